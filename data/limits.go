package data

import (
	"fmt"
	"io"
)

// MaxElements bounds the float32 values one loader materialises for a
// matrix (2^31 values, 8 GiB): a header claiming more is refused before
// anything is allocated.
const MaxElements = 1 << 31

// readChunk is the largest buffer readExactly allocates before it has seen
// that many bytes of data.
const readChunk = 1 << 20

// elements multiplies dims, refusing negative values, overflow and
// products above MaxElements. name labels the error.
func elements(name string, dims ...int) (int, error) {
	n := 1
	for _, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("%s: negative dimension in %v", name, dims)
		}
		if d != 0 && n > MaxElements/d {
			return 0, fmt.Errorf("%s: shape %v has more than %d elements", name, dims, MaxElements)
		}
		n *= d
	}
	return n, nil
}

// readExactly reads n bytes from r. Its buffer grows with the data that
// actually arrives (at most doubling), so a short file whose header
// claims a huge array fails with io.ErrUnexpectedEOF after allocating
// about as much as the file holds, not what the header claims. It
// returns the bytes read so far with the error.
func readExactly(r io.Reader, n int) ([]byte, error) {
	if n <= readChunk {
		buf := make([]byte, n)
		k, err := io.ReadFull(r, buf)
		return buf[:k], err
	}
	buf := make([]byte, 0, readChunk)
	for len(buf) < n {
		k := min(n-len(buf), max(readChunk, len(buf)))
		if cap(buf)-len(buf) < k {
			nb := make([]byte, len(buf), len(buf)+k)
			copy(nb, buf)
			buf = nb
		}
		got, err := io.ReadFull(r, buf[len(buf):len(buf)+k])
		buf = buf[:len(buf)+got]
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return buf, err
		}
	}
	return buf, nil
}

package data

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// Files whose headers claim enormous arrays but hold only a few bytes fail
// at once with a clear error, allocating about what the file holds.
func TestHugeClaimsFailFast(t *testing.T) {
	npyHeader := func(descr, shape string) []byte {
		h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, shape)
		h += strings.Repeat(" ", (64-(10+len(h)+1)%64)%64) + "\n"
		var b bytes.Buffer
		b.WriteString("\x93NUMPY\x01\x00")
		binary.Write(&b, binary.LittleEndian, uint16(len(h)))
		b.WriteString(h)
		b.Write(make([]byte, 100))
		return b.Bytes()
	}
	idx := func(dims ...uint32) []byte {
		b := []byte{0, 0, 0x0E, byte(len(dims))}
		for _, d := range dims {
			b = binary.BigEndian.AppendUint32(b, d)
		}
		return append(b, make([]byte, 100)...)
	}
	cases := []struct {
		name string
		data []byte
		read func(io.Reader) error
		want string
	}{
		{"npy 10^12 elements", npyHeader("<f8", "1000000, 1000000"), npyReader, "more than 2147483648 elements"},
		{"npy 2^31 elements", npyHeader("<f8", "65536, 32768"), npyReader, "truncated: got 100 of 17179869184 bytes"},
		{"npy overflowing shape", npyHeader("<f4", "4294967296, 4294967296"), npyReader, "more than"},
		{"idx 2^24 images of 4096x1024", idx(1<<24, 4096, 1024), idxReader, "images: shape [16777216 4194304] has more than 2147483648 elements"},
		{"idx 8 GiB of float64 in 100 bytes", idx(1024, 1024, 1024), idxReader, "idx data (1024 images of [1 1024 1024]): unexpected EOF"},
		{"idx overflowing image shape", idx(1, 1<<24, 1<<24, 1<<24), idxReader, "implausibly large"},
		{"image npy 10^6 images", npyHeader("<f8", "1000000, 1024, 1024"), imageNPYReader, "more than 2147483648 elements"},
		{"image npy 8 GiB in 100 bytes", npyHeader("<f8", "1024, 1024, 1024"), imageNPYReader, "npy data (1024 images of [1 1024 1024])"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			err := c.read(bytes.NewReader(c.data))
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want error containing %q", err, c.want)
			}
			if !strings.Contains(err.Error(), "hostile") {
				t.Errorf("error does not name the input: %v", err)
			}
			if a := after.TotalAlloc - before.TotalAlloc; a > 8<<20 {
				t.Errorf("allocated %d bytes for a %d-byte input", a, len(c.data))
			}
		})
	}
}

func npyReader(r io.Reader) error {
	_, err := ReadNPY(r, "hostile.npy")
	return err
}

func idxReader(r io.Reader) error {
	_, err := ReadIDX(r, "hostile.idx", 0)
	return err
}

func imageNPYReader(r io.Reader) error {
	_, err := ReadImagesNPY(r, "hostile.npy", 0)
	return err
}

// readExactly returns exactly n bytes when they are there, and what it got
// with io.ErrUnexpectedEOF when they are not, across the chunk boundary.
func TestReadExactly(t *testing.T) {
	src := make([]byte, 3*readChunk+17)
	for i := range src {
		src[i] = byte(i * 7)
	}
	for _, n := range []int{0, 1, readChunk, readChunk + 1, 3*readChunk + 17} {
		b, err := readExactly(bytes.NewReader(src), n)
		if err != nil || !bytes.Equal(b, src[:n]) {
			t.Errorf("n=%d: got %d bytes, %v", n, len(b), err)
		}
	}
	b, err := readExactly(bytes.NewReader(src), 5*readChunk)
	if err != io.ErrUnexpectedEOF || !bytes.Equal(b, src) {
		t.Errorf("short input: got %d bytes, %v; want %d and ErrUnexpectedEOF", len(b), err, len(src))
	}
}

// A float64 NPY value beyond float32's range is an error naming its cell,
// not a silent +Inf in the dataset (found by FuzzReadNPY).
func TestNPYFloat64OverflowRefused(t *testing.T) {
	h := "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }"
	h += strings.Repeat(" ", (64-(10+len(h)+1)%64)%64) + "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(h)))
	b.WriteString(h)
	binary.Write(&b, binary.LittleEndian, []float64{1, 1e300})
	_, err := ReadNPY(&b, "big.npy")
	if err == nil || !strings.Contains(err.Error(), "big.npy: row 1 column 2 is 1e+300, beyond float32's range") {
		t.Fatalf("got %v", err)
	}
}

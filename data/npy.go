package data

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// NPY files: the magic "\x93NUMPY", a version (1.0, 2.0 or 3.0), a little
// endian header length (2 bytes for 1.0, 4 otherwise), then a Python dict
// literal with 'descr', 'fortran_order' and 'shape', padded so the data
// starts on a 64-byte boundary, then the raw elements.

var npyMagic = []byte("\x93NUMPY")

// LoadNPY reads a 2-D float32 or float64 NPY file into a Dataset (a 1-D
// array becomes one column).
func LoadNPY(path string) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load npy: %w", err)
	}
	defer f.Close()
	return ReadNPY(bufio.NewReader(f), path)
}

var (
	reDescr   = regexp.MustCompile(`'descr'\s*:\s*'([^']*)'`)
	reFortran = regexp.MustCompile(`'fortran_order'\s*:\s*(True|False)`)
	reShape   = regexp.MustCompile(`'shape'\s*:\s*\(([^)]*)\)`)
)

// ReadNPY decodes an NPY stream; name labels errors.
func ReadNPY(r io.Reader, name string) (*Dataset, error) {
	h, descr, err := readNPYHeader(r, name)
	if err != nil {
		return nil, err
	}
	var size int
	var order binary.ByteOrder = binary.LittleEndian
	switch descr {
	case "<f4", "|f4", "=f4":
		size = 4
	case ">f4":
		size, order = 4, binary.BigEndian
	case "<f8", "|f8", "=f8":
		size = 8
	case ">f8":
		size, order = 8, binary.BigEndian
	default:
		return nil, fmt.Errorf("%s: NPY dtype %q unsupported (want float32 or float64)", name, descr)
	}
	fortran := false
	if m := reFortran.FindStringSubmatch(h); m != nil {
		fortran = m[1] == "True"
	}
	shape, err := npyShape(h, name)
	if err != nil {
		return nil, err
	}
	var rows, cols int
	switch len(shape) {
	case 1:
		rows, cols = shape[0], 1
	case 2:
		rows, cols = shape[0], shape[1]
	default:
		return nil, fmt.Errorf("%s: NPY array has %d dimensions, want 2", name, len(shape))
	}
	if rows == 0 || cols == 0 {
		return nil, fmt.Errorf("%s: NPY array is empty (shape %v)", name, shape)
	}
	total, err := elements(name+": NPY array", rows, cols)
	if err != nil {
		return nil, err
	}
	raw, err := readExactly(r, total*size)
	if err != nil {
		return nil, fmt.Errorf("%s: NPY data truncated: got %d of %d bytes: %w", name, len(raw), total*size, err)
	}
	d := &Dataset{N: rows, D: cols, X: make([]float32, rows*cols), Source: name}
	for i := range d.X {
		var v float64
		if size == 4 {
			v = float64(math.Float32frombits(order.Uint32(raw[i*4:])))
		} else {
			v = math.Float64frombits(order.Uint64(raw[i*8:]))
		}
		if math.IsNaN(v) || math.IsInf(v, 0) || math.IsInf(float64(float32(v)), 0) {
			r, c := i/cols, i%cols
			if fortran {
				r, c = i%rows, i/rows
			}
			if !math.IsInf(v, 0) && !math.IsNaN(v) {
				return nil, fmt.Errorf("%s: row %d column %d is %g, beyond float32's range", name, r+1, c+1, v)
			}
			return nil, fmt.Errorf("%s: row %d column %d is %v", name, r+1, c+1, v)
		}
		dst := i
		if fortran {
			dst = (i%rows)*cols + i/rows
		}
		d.X[dst] = float32(v)
	}
	return d, nil
}

// WriteNPY writes a rows×cols float32 matrix as an NPY 1.0 file.
func WriteNPY(w io.Writer, rows, cols int, x []float32) error {
	if len(x) != rows*cols {
		return fmt.Errorf("write npy: %d values for shape (%d, %d)", len(x), rows, cols)
	}
	h := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", rows, cols)
	total := len(npyMagic) + 4 + len(h) + 1
	pad := (64 - total%64) % 64
	h += strings.Repeat(" ", pad) + "\n"
	var buf bytes.Buffer
	buf.Write(npyMagic)
	buf.Write([]byte{1, 0})
	binary.Write(&buf, binary.LittleEndian, uint16(len(h)))
	buf.WriteString(h)
	b := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(b[i*4:], math.Float32bits(v))
	}
	buf.Write(b)
	_, err := w.Write(buf.Bytes())
	return err
}

// readNPYHeader reads an NPY preamble and header (versions 1 to 3) and
// returns the header dictionary text and its descr (dtype) entry. Both
// NPY readers start with it.
func readNPYHeader(r io.Reader, name string) (h, descr string, err error) {
	pre := make([]byte, 8)
	if _, err := io.ReadFull(r, pre); err != nil {
		return "", "", fmt.Errorf("%s: npy preamble: %w", name, err)
	}
	if !bytes.Equal(pre[:6], npyMagic) {
		return "", "", fmt.Errorf("%s: not an NPY file (bad magic %q)", name, pre[:6])
	}
	lenBytes := 4
	switch pre[6] {
	case 1:
		lenBytes = 2
	case 2, 3:
	default:
		return "", "", fmt.Errorf("%s: unsupported NPY version %d.%d", name, pre[6], pre[7])
	}
	lb := make([]byte, 4)
	if _, err := io.ReadFull(r, lb[:lenBytes]); err != nil {
		return "", "", fmt.Errorf("%s: npy header length: %w", name, err)
	}
	hlen := int(binary.LittleEndian.Uint32(lb))
	if hlen > 1<<20 {
		return "", "", fmt.Errorf("%s: NPY header of %d bytes is implausibly large", name, hlen)
	}
	hb := make([]byte, hlen)
	if _, err := io.ReadFull(r, hb); err != nil {
		return "", "", fmt.Errorf("%s: npy header: %w", name, err)
	}
	h = string(hb)
	m := reDescr.FindStringSubmatch(h)
	if m == nil {
		return "", "", fmt.Errorf("%s: NPY header has no descr: %q", name, h)
	}
	return h, m[1], nil
}

// npyShape parses the shape tuple of NPY header h.
func npyShape(h, name string) ([]int, error) {
	m := reShape.FindStringSubmatch(h)
	if m == nil {
		return nil, fmt.Errorf("%s: NPY header has no shape: %q", name, h)
	}
	var shape []int
	for _, p := range strings.Split(m[1], ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("%s: bad NPY shape %q", name, m[1])
		}
		shape = append(shape, v)
	}
	return shape, nil
}

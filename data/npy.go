package data

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// NPY files: the magic "\x93NUMPY", a version (1.0, 2.0 or 3.0), a little
// endian header length (2 bytes for 1.0, 4 otherwise), then a Python dict
// literal with 'descr', 'fortran_order' and 'shape', padded so the data
// starts on a 64-byte boundary, then the raw elements.

var npyMagic = []byte("\x93NUMPY")

var (
	reDescr   = regexp.MustCompile(`'descr'\s*:\s*'([^']*)'`)
	reFortran = regexp.MustCompile(`'fortran_order'\s*:\s*(True|False)`)
	reShape   = regexp.MustCompile(`'shape'\s*:\s*\(([^)]*)\)`)
)

// npyKinds maps an NPY type (descr without its byte-order character) to
// its element size.
var npyKinds = map[string]int{"f4": 4, "f8": 8, "u1": 1, "i1": 1, "i2": 2, "u2": 2, "i4": 4, "u4": 4, "i8": 8, "u8": 8}

// ReadNPY decodes an NPY stream whose first axis is the sample axis: a
// 1-D array is one column, a 2-D array rows of features, N×H×W images get
// Shape [1, H, W] and higher ranks the shape of their trailing axes. The
// dtype may be float32, float64 or an integer type of either byte order;
// uint8 elements are divided by 255 (Units BytesOver255), the others kept
// as stored. Fortran order is accepted for 1-D and 2-D arrays. It keeps
// the first limit samples (0: all); name labels errors.
func ReadNPY(r io.Reader, name string, limit int) (*Dataset, error) {
	h, descr, err := readNPYHeader(r, name)
	if err != nil {
		return nil, err
	}
	kind := strings.TrimLeft(descr, "<>|=")
	size := npyKinds[kind]
	if size == 0 || len(descr)-len(kind) > 1 {
		return nil, fmt.Errorf("%s: NPY dtype %q unsupported (want float32, float64 or an integer type)", name, descr)
	}
	var order binary.ByteOrder = binary.LittleEndian
	if strings.HasPrefix(descr, ">") {
		order = binary.BigEndian
	}
	fortran := false
	if m := reFortran.FindStringSubmatch(h); m != nil {
		fortran = m[1] == "True"
	}
	dims, err := npyShape(h, name)
	if err != nil {
		return nil, err
	}
	switch {
	case len(dims) == 0:
		return nil, fmt.Errorf("%s: NPY array is a scalar, want samples along the first axis", name)
	case fortran && len(dims) > 2:
		return nil, fmt.Errorf("%s: Fortran-ordered NPY arrays of %d dimensions are not supported (save with C order)", name, len(dims))
	}
	for _, d := range dims {
		if d == 0 {
			return nil, fmt.Errorf("%s: NPY array is empty (shape %v)", name, dims)
		}
	}
	// Fortran order stores columns first: every row is needed to build
	// the first limit of them.
	readLimit := limit
	if fortran {
		readLimit = 0
	}
	raw, n, err := readSamples(r, name, "npy", dims, readLimit, size)
	if err != nil {
		return nil, err
	}
	x := make([]float32, len(raw)/size)
	for i := range x {
		b := raw[i*size : (i+1)*size]
		var v float64
		switch kind {
		case "f4":
			v = float64(math.Float32frombits(order.Uint32(b)))
		case "f8":
			v = math.Float64frombits(order.Uint64(b))
			if !math.IsInf(v, 0) && !math.IsNaN(v) && math.IsInf(float64(float32(v)), 0) {
				r, c := npyCell(i, dims, fortran)
				return nil, fmt.Errorf("%s: row %d column %d is %g, beyond float32's range", name, r+1, c+1, v)
			}
		case "u1":
			v = float64(b[0]) / 255
		case "i1":
			v = float64(int8(b[0]))
		case "i2":
			v = float64(int16(order.Uint16(b)))
		case "u2":
			v = float64(order.Uint16(b))
		case "i4":
			v = float64(int32(order.Uint32(b)))
		case "u4":
			v = float64(order.Uint32(b))
		case "i8":
			v = float64(int64(order.Uint64(b)))
		case "u8":
			v = float64(order.Uint64(b))
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			r, c := npyCell(i, dims, fortran)
			return nil, fmt.Errorf("%s: row %d column %d is %v", name, r+1, c+1, v)
		}
		dst := i
		if fortran {
			r, c := npyCell(i, dims, true)
			dst = r*npyCols(dims) + c
		}
		x[dst] = float32(v)
	}
	units := AsStored
	if kind == "u1" {
		units = BytesOver255
	}
	if fortran && limit > 0 && limit < n {
		n = limit
		x = x[:n*npyCols(dims)]
	}
	return samplesOf(name, x, n, dims, units)
}

// npyCols is the number of values per sample of an array of dims.
func npyCols(dims []int) int {
	c := 1
	for _, d := range dims[1:] {
		c *= d
	}
	return c
}

// npyCell is the (sample, value) position of element i of the file's
// order.
func npyCell(i int, dims []int, fortran bool) (r, c int) {
	if fortran {
		return i % dims[0], i / dims[0]
	}
	cols := npyCols(dims)
	return i / cols, i % cols
}

func readNPY(r io.Reader, name string, opt Options) (*Dataset, error) {
	return ReadNPY(r, name, opt.Limit)
}

// WriteNPY writes a rows×cols float32 matrix as an NPY 1.0 file.
func WriteNPY(w io.Writer, rows, cols int, x []float32) error {
	return WriteArrayNPY(w, []int{rows, cols}, x)
}

// WriteArrayNPY writes x as a C-ordered float32 NPY 1.0 array of the
// given shape (samples first, e.g. [N, H, W] for images).
func WriteArrayNPY(w io.Writer, shape []int, x []float32) error {
	n, err := elements("write npy", shape...)
	if err != nil {
		return err
	}
	if len(x) != n {
		return fmt.Errorf("write npy: %d values for shape %v", len(x), shape)
	}
	var dims strings.Builder
	for _, d := range shape {
		dims.WriteString(strconv.Itoa(d))
		dims.WriteString(", ")
	}
	ds := strings.TrimSuffix(dims.String(), " ")
	if len(shape) > 1 {
		ds = strings.TrimSuffix(ds, ",")
	}
	h := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", ds)
	total := len(npyMagic) + 4 + len(h) + 1
	h += strings.Repeat(" ", (64-total%64)%64) + "\n"
	bw := bufio.NewWriter(w)
	bw.Write(npyMagic)
	bw.Write([]byte{1, 0})
	binary.Write(bw, binary.LittleEndian, uint16(len(h)))
	bw.WriteString(h)
	var b4 [4]byte
	for _, v := range x {
		binary.LittleEndian.PutUint32(b4[:], math.Float32bits(v))
		bw.Write(b4[:])
	}
	return bw.Flush()
}

// WriteImagesNPY writes n images of shape [C,H,W] as a float32 NPY array
// N×C×H×W (N×H×W when C is 1).
func WriteImagesNPY(w io.Writer, n int, shape []int, x []float32) error {
	dims := []int{n, shape[0], shape[1], shape[2]}
	if shape[0] == 1 {
		dims = []int{n, shape[1], shape[2]}
	}
	return WriteArrayNPY(w, dims, x[:n*shape[0]*shape[1]*shape[2]])
}

// readNPYHeader reads an NPY preamble and header (versions 1 to 3) and
// returns the header dictionary text and its descr (dtype) entry.
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

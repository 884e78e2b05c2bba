package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// Images is an image dataset: N samples of Shape [C,H,W] flattened
// channel-major into the rows of a Dataset, pixel values scaled to [0,1].
type Images struct {
	*Dataset
	Shape []int
}

// LoadImages reads an IDX (MNIST / Fashion-MNIST format) or NPY image file,
// raw or gzip-compressed (detected from the content), keeping at most limit
// images (0: all). See ReadIDX and ReadImagesNPY for the accepted layouts.
func LoadImages(path string, limit int) (*Images, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load images: %w", err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var r io.Reader = br
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("load images %s: gzip: %w", path, err)
		}
		defer gz.Close()
		r = bufio.NewReader(gz)
	}
	br2, ok := r.(*bufio.Reader)
	if !ok {
		br2 = bufio.NewReader(r)
	}
	if head, _ := br2.Peek(6); bytes.Equal(head, npyMagic) {
		return ReadImagesNPY(br2, path, limit)
	}
	return ReadIDX(br2, path, limit)
}

// ReadIDX decodes an IDX stream: two zero bytes, a type code (0x08 uint8,
// 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), the
// number of dimensions, big-endian uint32 sizes, then big-endian values.
// Three dimensions are N×H×W images (one channel), four are N×C×H×W.
// uint8 pixels are divided by 255; other types are scaled to [0,1] as
// described for scaleUnit. name labels errors.
func ReadIDX(r io.Reader, name string, limit int) (*Images, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("%s: idx header: %w", name, err)
	}
	if hdr[0] != 0 || hdr[1] != 0 {
		return nil, fmt.Errorf("%s: not an IDX file (magic %x, want 0000xxxx)", name, hdr)
	}
	sizes := map[byte]int{0x08: 1, 0x09: 1, 0x0B: 2, 0x0C: 4, 0x0D: 4, 0x0E: 8}
	esz, ok := sizes[hdr[2]]
	if !ok {
		return nil, fmt.Errorf("%s: IDX type code 0x%02x unknown", name, hdr[2])
	}
	nd := int(hdr[3])
	if nd != 3 && nd != 4 {
		return nil, fmt.Errorf("%s: IDX array has %d dimensions, want 3 (N×H×W) or 4 (N×C×H×W) for images", name, nd)
	}
	dims := make([]int, nd)
	for i := range dims {
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("%s: idx dimension %d: %w", name, i, err)
		}
		dims[i] = int(binary.BigEndian.Uint32(b[:]))
	}
	raw, n, shape, err := readImageData(r, name, "idx", dims, limit, esz)
	if err != nil {
		return nil, err
	}
	x := make([]float32, len(raw)/esz)
	for i := range x {
		b := raw[i*esz : (i+1)*esz]
		switch hdr[2] {
		case 0x08:
			x[i] = float32(b[0]) / 255
		case 0x09:
			x[i] = float32(int8(b[0]))
		case 0x0B:
			x[i] = float32(int16(binary.BigEndian.Uint16(b)))
		case 0x0C:
			x[i] = float32(int32(binary.BigEndian.Uint32(b)))
		case 0x0D:
			x[i] = math.Float32frombits(binary.BigEndian.Uint32(b))
		case 0x0E:
			x[i] = float32(math.Float64frombits(binary.BigEndian.Uint64(b)))
		}
	}
	return imagesOf(name, x, n, shape, hdr[2] != 0x08)
}

// readImageData reads the pixel bytes of the first limit (all when 0)
// images of an array of dims (N first, then [C,]H,W) with esz bytes per
// element; format ("idx", "npy") names the file kind in errors. Both image
// readers call it after parsing their header.
func readImageData(r io.Reader, name, format string, dims []int, limit, esz int) (raw []byte, n int, shape []int, err error) {
	shape, err = imageShape(dims, name)
	if err != nil {
		return nil, 0, nil, err
	}
	n = dims[0]
	if limit > 0 && limit < n {
		n = limit
	}
	D := shape[0] * shape[1] * shape[2]
	if _, err := elements(name+": images", n, D); err != nil {
		return nil, 0, nil, err
	}
	raw, err = readExactly(r, n*D*esz)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("%s: %s data (%d images of %v): %w", name, format, n, shape, err)
	}
	return raw, n, shape, nil
}

// imagesOf wraps n decoded images of shape, rescaling them to [0,1] with
// scaleUnit first when scale is set (every element type but uint8, which
// the readers divide by 255 themselves).
func imagesOf(name string, x []float32, n int, shape []int, scale bool) (*Images, error) {
	if scale {
		if err := scaleUnit(x, name); err != nil {
			return nil, err
		}
	}
	D := shape[0] * shape[1] * shape[2]
	return &Images{Dataset: &Dataset{N: n, D: D, X: x, Source: name}, Shape: shape}, nil
}

func imageShape(dims []int, name string) ([]int, error) {
	var shape []int
	if len(dims) == 3 {
		shape = []int{1, dims[1], dims[2]}
	} else {
		shape = []int{dims[1], dims[2], dims[3]}
	}
	for _, d := range dims {
		if d <= 0 || d > 1<<24 {
			return nil, fmt.Errorf("%s: image array dimensions %v must be positive", name, dims)
		}
	}
	if d, err := elements(name, shape...); err != nil || d > 1<<24 {
		return nil, fmt.Errorf("%s: images of %v are implausibly large", name, shape)
	}
	return shape, nil
}

// scaleUnit maps non-byte pixel values to [0,1]: values already in [0,1]
// are kept, values in [0,255] are divided by 255, anything else is
// min-max scaled over the whole array. NaN or Inf is an error.
func scaleUnit(x []float32, name string) error {
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, v := range x {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%s: pixel %d is %g", name, i, v)
		}
		lo, hi = math.Min(lo, f), math.Max(hi, f)
	}
	switch {
	case lo >= 0 && hi <= 1:
	case lo >= 0 && hi <= 255:
		for i := range x {
			x[i] /= 255
		}
	default:
		span := hi - lo
		if span == 0 {
			span = 1
		}
		for i := range x {
			x[i] = float32((float64(x[i]) - lo) / span)
		}
	}
	return nil
}

// ReadImagesNPY decodes an NPY image array: N×H×W (one channel) or
// N×C×H×W, C order, dtype uint8 (divided by 255), float32 or float64
// (scaled as described for scaleUnit). name labels errors.
func ReadImagesNPY(r io.Reader, name string, limit int) (*Images, error) {
	h, descr, err := readNPYHeader(r, name)
	if err != nil {
		return nil, err
	}
	var esz int
	var order binary.ByteOrder = binary.LittleEndian
	switch strings.TrimLeft(descr, "<>|=") {
	case "u1":
		esz = 1
	case "f4":
		esz = 4
	case "f8":
		esz = 8
	default:
		return nil, fmt.Errorf("%s: NPY dtype %q unsupported for images (want uint8, float32 or float64)", name, descr)
	}
	if strings.HasPrefix(descr, ">") {
		order = binary.BigEndian
	}
	if fm := reFortran.FindStringSubmatch(h); fm != nil && fm[1] == "True" {
		return nil, fmt.Errorf("%s: Fortran-ordered NPY images are not supported (save with C order)", name)
	}
	dims, err := npyShape(h, name)
	if err != nil {
		return nil, err
	}
	if len(dims) != 3 && len(dims) != 4 {
		return nil, fmt.Errorf("%s: NPY array has shape %v, want N×H×W or N×C×H×W images", name, dims)
	}
	raw, n, shape, err := readImageData(r, name, "npy", dims, limit, esz)
	if err != nil {
		return nil, err
	}
	x := make([]float32, len(raw)/esz)
	for i := range x {
		b := raw[i*esz : (i+1)*esz]
		switch esz {
		case 1:
			x[i] = float32(b[0]) / 255
		case 4:
			x[i] = math.Float32frombits(order.Uint32(b))
		case 8:
			x[i] = float32(math.Float64frombits(order.Uint64(b)))
		}
	}
	return imagesOf(name, x, n, shape, esz != 1)
}

// WriteImagesNPY writes n images of shape [C,H,W] as a float32 NPY array
// N×C×H×W (N×H×W when C is 1).
func WriteImagesNPY(w io.Writer, n int, shape []int, x []float32) error {
	dims := []int{n, shape[0], shape[1], shape[2]}
	if shape[0] == 1 {
		dims = []int{n, shape[1], shape[2]}
	}
	var sb strings.Builder
	for _, d := range dims {
		sb.WriteString(strconv.Itoa(d))
		sb.WriteString(", ")
	}
	hdr := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", strings.TrimSuffix(sb.String(), " "))
	pad := 64 - (10+len(hdr)+1)%64
	hdr += strings.Repeat(" ", pad%64) + "\n"
	bw := bufio.NewWriter(w)
	bw.Write(npyMagic)
	bw.Write([]byte{1, 0})
	binary.Write(bw, binary.LittleEndian, uint16(len(hdr)))
	bw.WriteString(hdr)
	b4 := make([]byte, 4)
	for _, v := range x[:n*shape[0]*shape[1]*shape[2]] {
		binary.LittleEndian.PutUint32(b4, math.Float32bits(v))
		bw.Write(b4)
	}
	return bw.Flush()
}

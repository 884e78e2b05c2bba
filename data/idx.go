package data

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
)

// IDX files (the MNIST format): two zero bytes, an element type code, the
// number of dimensions, each dimension as a big-endian uint32, then the
// elements, big-endian, in row-major order.

// idxSizes maps IDX element type codes to their size in bytes: 0x08
// uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.
var idxSizes = [256]int{0x08: 1, 0x09: 1, 0x0B: 2, 0x0C: 4, 0x0D: 4, 0x0E: 8}

// ReadIDX decodes an IDX stream (not compressed; Read decompresses) of
// any rank: the first dimension is the sample axis, a rank-3 file holds
// N×H×W images (Shape [1, H, W]) and a rank-4 one N×C×H×W images. It keeps
// the first limit samples (0: all). uint8 elements are divided by 255
// (Units BytesOver255); the other types are kept as stored. name labels
// errors.
func ReadIDX(r io.Reader, name string, limit int) (*Dataset, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("%s: idx header: %w", name, err)
	}
	if hdr[0] != 0 || hdr[1] != 0 {
		return nil, fmt.Errorf("%s: not an IDX file (magic % x, want 00 00 type dims)", name, hdr)
	}
	typ := hdr[2]
	esz := idxSizes[typ]
	if esz == 0 {
		return nil, fmt.Errorf("%s: IDX element type 0x%02x unknown (want 08, 09, 0B, 0C, 0D or 0E)", name, typ)
	}
	nd := int(hdr[3])
	if nd < 1 {
		return nil, fmt.Errorf("%s: IDX array with 0 dimensions, want samples along the first", name)
	}
	dims := make([]int, nd)
	for i := range dims {
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("%s: idx dimension %d: %w", name, i, err)
		}
		dims[i] = int(binary.BigEndian.Uint32(b[:]))
	}
	raw, n, err := readSamples(r, name, "idx", dims, limit, esz)
	if err != nil {
		return nil, err
	}
	x := make([]float32, len(raw)/esz)
	for i := range x {
		b := raw[i*esz : (i+1)*esz]
		switch typ {
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
	units := AsStored
	if typ == 0x08 {
		units = BytesOver255
	}
	return samplesOf(name, x, n, dims, units)
}

func readIDX(r io.Reader, name string, opt Options) (*Dataset, error) {
	return ReadIDX(r, name, opt.Limit)
}

// readSamples reads the elements of the first limit (all when 0) samples
// of an array of dims (samples first) with esz bytes per element; format
// ("idx", "npy") names the file kind in errors. Sizes are checked before
// anything is allocated, and the buffer grows only with data that
// arrives, so a short file claiming a huge array fails cheaply.
func readSamples(r io.Reader, name, format string, dims []int, limit, esz int) (raw []byte, n int, err error) {
	for _, d := range dims {
		if d < 0 || d > 1<<31 {
			return nil, 0, fmt.Errorf("%s: %s dimensions %v out of range", name, format, dims)
		}
		if d == 0 {
			return nil, 0, fmt.Errorf("%s: %s array of shape %v holds no values", name, format, dims)
		}
	}
	per, err := elements(name+": sample", dims[1:]...)
	if err != nil {
		return nil, 0, err
	}
	if per > 1<<26 {
		return nil, 0, fmt.Errorf("%s: samples of shape %v are implausibly large", name, dims[1:])
	}
	n = limitRows(dims[0], limit)
	total, err := elements(name+": "+format+" array", n, per)
	if err != nil {
		return nil, 0, err
	}
	raw, err = readExactly(r, total*esz)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %s data (%d samples of %v): %w", name, format, n, dims[1:], err)
	}
	return raw, n, nil
}

// samplesOf wraps n decoded samples of the array dims (samples first),
// refusing NaN and ±Inf with the element's position.
func samplesOf(name string, x []float32, n int, dims []int, units Units) (*Dataset, error) {
	per := 1
	for _, d := range dims[1:] {
		per *= d
	}
	for i, v := range x {
		if v-v != 0 {
			return nil, fmt.Errorf("%s: sample %d value %d is %v", name, i/max(per, 1)+1, i%max(per, 1)+1, v)
		}
	}
	return &Dataset{N: n, D: per, X: x, Shape: SampleShape(dims), Units: units, Source: name}, nil
}

// SampleShape is the per-sample shape of an array of dims (samples
// first): nil for rows (rank 1 or 2), [1, H, W] for N×H×W images, dims[1:]
// otherwise (N×C×H×W images: [C, H, W]).
func SampleShape(dims []int) []int {
	switch len(dims) {
	case 1, 2:
		return nil
	case 3:
		return []int{1, dims[1], dims[2]}
	}
	return append([]int(nil), dims[1:]...)
}

// LoadIDXLabels reads an IDX label file (raw or gzip; see ReadIDXLabels).
func LoadIDXLabels(path string, limit int) ([]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	defer f.Close()
	r, closeGz, err := maybeGzip(f, path)
	if err != nil {
		return nil, err
	}
	defer closeGz()
	return ReadIDXLabels(r, path, limit)
}

// ReadIDXLabels decodes an IDX1 label stream (uint8 elements, one
// dimension: magic 00 00 08 01) as class indices, not intensities,
// keeping the first limit labels (0: all).
func ReadIDXLabels(r io.Reader, name string, limit int) ([]int, error) {
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("labels %s: header: %w", name, err)
	}
	if m := binary.BigEndian.Uint32(hdr[:4]); m != 0x801 {
		return nil, fmt.Errorf("labels %s: magic %#08x is not an IDX1 uint8 file (0x00000801)", name, m)
	}
	n := limitRows(int(binary.BigEndian.Uint32(hdr[4:])), limit)
	b, err := readExactly(r, n)
	if err != nil {
		return nil, fmt.Errorf("labels %s: want %d labels: %w", name, n, err)
	}
	out := make([]int, n)
	for i, v := range b {
		out[i] = int(v)
	}
	return out, nil
}

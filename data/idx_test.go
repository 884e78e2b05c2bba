package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// idxFile builds an IDX stream by hand: 00 00 type ndims, big-endian
// sizes, then the elements.
func idxFile(typ byte, dims []uint32, elems []byte) []byte {
	b := []byte{0, 0, typ, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, elems...)
}

// idxBytes is two 2×3 uint8 images.
func idxBytes() []byte {
	return idxFile(0x08, []uint32{2, 2, 3}, []byte{0, 51, 255, 102, 0, 0, 255, 255, 255, 0, 0, 153})
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// uint8 pixels are divided by 255, raw or gzip, by extension or content.
func TestReadIDXBytesAreIntensities(t *testing.T) {
	dir := t.TempDir()
	raw := filepath.Join(dir, "img.idx")
	require.NoError(t, os.WriteFile(raw, idxBytes(), 0o644))
	gzp := filepath.Join(dir, "train-images-idx3-ubyte.gz")
	require.NoError(t, os.WriteFile(gzp, gzipped(t, idxBytes()), 0o644))
	unnamed := filepath.Join(dir, "blob")
	require.NoError(t, os.WriteFile(unnamed, idxBytes(), 0o644))
	// Hand-computed: v/255 for 0, 51, 255, 102, 0, 0 | 255, 255, 255, 0, 0, 153.
	want := []float32{0, 0.2, 1, 0.4, 0, 0, 1, 1, 1, 0, 0, 0.6}
	for _, p := range []string{raw, gzp, unnamed} {
		d, err := Load(p, Options{})
		require.NoError(t, err, p)
		assert.Equal(t, 2, d.N, p)
		assert.Equal(t, 6, d.D, p)
		assert.Equal(t, []int{1, 2, 3}, d.Shape, p)
		assert.Equal(t, BytesOver255, d.Units, p)
		assert.InDeltaSlice(t, want, d.X, 1e-7, p)
	}
	d, err := Load(raw, Options{Limit: 1})
	require.NoError(t, err)
	assert.Equal(t, 1, d.N)
	assert.Len(t, d.X, 6)
}

// Every element type but uint8 is kept as stored, at any rank.
func TestReadIDXOtherTypesAsStored(t *testing.T) {
	var f32 []byte
	for _, v := range []float32{1, 2, 3, 4, 5, 300} {
		f32 = binary.BigEndian.AppendUint32(f32, math.Float32bits(v))
	}
	var f64 []byte
	for _, v := range []float64{-1.5, 2} {
		f64 = binary.BigEndian.AppendUint64(f64, math.Float64bits(v))
	}
	for _, c := range []struct {
		name  string
		b     []byte
		n, d  int
		shape []int
		want  []float32
	}{
		{"float32 2-D", idxFile(0x0D, []uint32{2, 3}, f32), 2, 3, nil, []float32{1, 2, 3, 4, 5, 300}},
		{"float32 N×C×H×W", idxFile(0x0D, []uint32{1, 2, 1, 3}, f32), 1, 6, []int{2, 1, 3}, []float32{1, 2, 3, 4, 5, 300}},
		{"float64 1-D", idxFile(0x0E, []uint32{2}, f64), 2, 1, nil, []float32{-1.5, 2}},
		{"int16", idxFile(0x0B, []uint32{2, 1}, []byte{0xff, 0xfe, 0x01, 0x00}), 2, 1, nil, []float32{-2, 256}},
		{"int8", idxFile(0x09, []uint32{1, 2}, []byte{0xff, 0x7f}), 1, 2, nil, []float32{-1, 127}},
		{"int32", idxFile(0x0C, []uint32{1, 1}, []byte{0xff, 0xff, 0xff, 0xfd}), 1, 1, nil, []float32{-3}},
	} {
		d, err := ReadIDX(bytes.NewReader(c.b), c.name, 0)
		require.NoError(t, err, c.name)
		assert.Equal(t, c.n, d.N, c.name)
		assert.Equal(t, c.d, d.D, c.name)
		assert.Equal(t, c.shape, d.Shape, c.name)
		assert.Equal(t, c.want, d.X, c.name)
		assert.Equal(t, AsStored, d.Units, c.name)
	}
}

func TestReadIDXErrors(t *testing.T) {
	for want, b := range map[string][]byte{
		"bad: not an IDX file":                            {1, 2, 3, 4},
		"bad: IDX element type 0x07 unknown":              {0, 0, 7, 3},
		"bad: IDX array with 0 dimensions":                {0, 0, 8, 0},
		"bad: idx dimension 1: unexpected EOF":            {0, 0, 8, 2, 0, 0, 0, 1, 0},
		"bad: idx data (2 samples of [2 3])":              idxBytes()[:20],
		"bad: idx array of shape [3 0 2] holds no values": idxFile(0x08, []uint32{3, 0, 2}, nil),
		"bad: idx array of shape [0] holds no values":     idxFile(0x08, []uint32{0}, nil),
		"bad: sample 1 value 1 is NaN":                    idxFile(0x0D, []uint32{1}, binary.BigEndian.AppendUint32(nil, math.Float32bits(float32(math.NaN())))),
	} {
		_, err := ReadIDX(bytes.NewReader(b), "bad", 0)
		assert.ErrorContains(t, err, want)
	}
}

func TestIDXLabels(t *testing.T) {
	b := idxFile(0x08, []uint32{4}, []byte{9, 0, 3, 7})
	labels, err := ReadIDXLabels(bytes.NewReader(b), "l", 3)
	require.NoError(t, err)
	assert.Equal(t, []int{9, 0, 3}, labels, "labels are class indices, not intensities")
	p := filepath.Join(t.TempDir(), "t10k-labels-idx1-ubyte.gz")
	require.NoError(t, os.WriteFile(p, gzipped(t, b), 0o644))
	labels, err = LoadIDXLabels(p, 0)
	require.NoError(t, err)
	assert.Equal(t, []int{9, 0, 3, 7}, labels)
	_, err = ReadIDXLabels(bytes.NewReader(idxBytes()), "img", 0)
	assert.ErrorContains(t, err, "labels img: magic 0x00000803 is not an IDX1 uint8 file")
	_, err = ReadIDXLabels(bytes.NewReader(b[:10]), "short", 0)
	assert.ErrorContains(t, err, "labels short: want 4 labels")
}

func TestFashionMNISTFiles(t *testing.T) {
	dir := "/usr/share/datasets/fashion-mnist"
	p := filepath.Join(dir, "t10k-images-idx3-ubyte.gz")
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			require.NoError(t, err, "Fashion-MNIST missing under CI (tools/setup.sh installs dataset-fashion-mnist)")
		}
		t.Skipf("Fashion-MNIST not installed (Debian package dataset-fashion-mnist): %v", err)
	}
	d, err := Load(p, Options{Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, 10, d.N)
	assert.Equal(t, 784, d.D)
	assert.Equal(t, []int{1, 28, 28}, d.Shape)
	assert.Equal(t, BytesOver255, d.Units)
	lo, hi, ok := d.Range()
	require.True(t, ok)
	assert.Equal(t, float32(0), lo)
	assert.Equal(t, float32(1), hi)
	labels, err := LoadIDXLabels(filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"), 10)
	require.NoError(t, err)
	// The first ten t10k labels of Fashion-MNIST, as published.
	assert.Equal(t, []int{9, 2, 1, 1, 6, 1, 4, 6, 5, 7}, labels)
}

package data

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// npyFile builds an NPY 1.0 stream by hand.
func npyFile(descr, fortran, shape string, elems []byte) []byte {
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }", descr, fortran, shape)
	h += strings.Repeat(" ", (64-(10+len(h)+1)%64)%64) + "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(h)))
	b.WriteString(h)
	b.Write(elems)
	return b.Bytes()
}

func TestNPYRoundTrip(t *testing.T) {
	x := []float32{1, -2, 3.5, 4, 5, 6}
	var buf bytes.Buffer
	require.NoError(t, WriteNPY(&buf, 2, 3, x))
	assert.Zero(t, (buf.Len()-len(x)*4)%64, "header not padded to 64 bytes")
	d, err := ReadNPY(bytes.NewReader(buf.Bytes()), "x.npy", 0)
	require.NoError(t, err)
	assert.Equal(t, 2, d.N)
	assert.Equal(t, 3, d.D)
	assert.Equal(t, x, d.X)
	assert.Nil(t, d.Shape)

	for _, shape := range [][]int{{1, 2, 3}, {2, 1, 3}} {
		var img bytes.Buffer
		require.NoError(t, WriteImagesNPY(&img, 2, shape, append(x, x...)))
		d, err := ReadNPY(&img, "img.npy", 0)
		require.NoError(t, err)
		assert.Equal(t, 2, d.N)
		assert.Equal(t, shape, d.Shape)
		assert.Equal(t, append(x, x...), d.X)
	}
	var one bytes.Buffer
	require.NoError(t, WriteArrayNPY(&one, []int{3}, []float32{7, 8, 9}))
	assert.Contains(t, one.String(), "'shape': (3,)", "a 1-tuple keeps its comma")
	d, err = ReadNPY(&one, "v.npy", 2)
	require.NoError(t, err)
	assert.Equal(t, []float32{7, 8}, d.X, "1-D: one column, limit 2")
	assert.ErrorContains(t, WriteArrayNPY(&one, []int{2, 2}, x), "6 values for shape [2 2]")
}

func TestNPYDtypes(t *testing.T) {
	f64 := func(vs ...float64) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
		return b
	}
	for _, c := range []struct {
		name, descr, fortran, shape string
		elems                       []byte
		want                        []float32
		units                       Units
		sampleShape                 []int
	}{
		// [[1,2],[3,4]] stored column-major.
		{"fortran f8", "<f8", "True", "2, 2", f64(1, 3, 2, 4), []float32{1, 2, 3, 4}, AsStored, nil},
		{"uint8 images", "|u1", "False", "1, 1, 3", []byte{0, 51, 255}, []float32{0, 0.2, 1}, BytesOver255, []int{1, 1, 3}},
		{"uint8 rows", "|u1", "False", "1, 2", []byte{255, 102}, []float32{1, 0.4}, BytesOver255, nil},
		{"int16 big-endian", ">i2", "False", "1, 2", []byte{0xff, 0xfe, 0x01, 0x00}, []float32{-2, 256}, AsStored, nil},
		{"int32", "<i4", "False", "2,", []byte{5, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}, []float32{5, -1}, AsStored, nil},
		{"uint16", "<u2", "False", "1, 1", []byte{0x10, 0x27}, []float32{10000}, AsStored, nil},
		{"int8", "|i1", "False", "1, 2", []byte{0x80, 3}, []float32{-128, 3}, AsStored, nil},
		{"int64", "<i8", "False", "1, 1", []byte{0xf6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, []float32{-10}, AsStored, nil},
	} {
		d, err := ReadNPY(bytes.NewReader(npyFile(c.descr, c.fortran, c.shape, c.elems)), c.name, 0)
		require.NoError(t, err, c.name)
		assert.InDeltaSlice(t, c.want, d.X, 1e-7, c.name)
		assert.Equal(t, c.units, d.Units, c.name)
		assert.Equal(t, c.sampleShape, d.Shape, c.name)
	}
	// Fortran order with a limit keeps the first rows, not the first columns.
	d, err := ReadNPY(bytes.NewReader(npyFile("<f8", "True", "3, 2", f64(1, 3, 5, 2, 4, 6))), "f", 2)
	require.NoError(t, err)
	assert.Equal(t, []float32{1, 2, 3, 4}, d.X)
}

func TestNPYErrors(t *testing.T) {
	var ok bytes.Buffer
	require.NoError(t, WriteNPY(&ok, 2, 3, []float32{1, -2, 3.5, 4, 5, 6}))
	good := ok.Bytes()
	nan := append([]byte(nil), good...)
	copy(nan[len(nan)-4:], []byte{0, 0, 0xc0, 0x7f})
	inf := append([]byte(nil), good...)
	copy(inf[len(inf)-8:], []byte{0, 0, 0x80, 0xff}) // -Inf at row 2 column 2
	for _, c := range []struct {
		b    []byte
		want string
	}{
		{[]byte("not an npy file at all"), "x.npy: not an NPY file"},
		{good[:len(good)-3], "x.npy: npy data (2 samples of [3]): unexpected EOF"},
		{bytes.Replace(good, []byte("<f4"), []byte("<c8"), 1), `x.npy: NPY dtype "<c8" unsupported`},
		{bytes.Replace(good, []byte("(2, 3)"), []byte("()    "), 1), "x.npy: NPY array is a scalar"},
		{bytes.Replace(good, []byte("(2, 3)"), []byte("(0, 3)"), 1), "x.npy: NPY array is empty (shape [0 3])"},
		{npyFile("<f4", "True", "1, 1, 1", make([]byte, 4)), "Fortran-ordered NPY arrays of 3 dimensions"},
		{nan, "x.npy: row 2 column 3 is NaN"},
		{inf, "x.npy: row 2 column 2 is -Inf"},
		{[]byte("\x93NUMPY\x09\x00"), "unsupported NPY version 9.0"},
	} {
		_, err := ReadNPY(bytes.NewReader(c.b), "x.npy", 0)
		assert.ErrorContains(t, err, c.want)
	}
}

// A float64 NPY value beyond float32's range is an error naming its cell,
// not a silent +Inf in the dataset (found by FuzzReadNPY).
func TestNPYFloat64OverflowRefused(t *testing.T) {
	var b []byte
	for _, v := range []float64{1, 1e300} {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	_, err := ReadNPY(bytes.NewReader(npyFile("<f8", "False", "1, 2", b)), "big.npy", 0)
	assert.ErrorContains(t, err, "big.npy: row 1 column 2 is 1e+300, beyond float32's range")
}

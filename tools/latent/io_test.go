package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
)

// wantRows is the 2×3 matrix every format below encodes.
var wantRows = []float32{1, 2, 3, 4, 5, 6}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}

// idxBytes builds an IDX file by hand: 00 00 type ndims, big-endian sizes,
// big-endian elements.
func idxBytes(typ byte, dims []uint32, elems []byte) []byte {
	b := []byte{0, 0, typ, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, elems...)
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, err := w.Write(b)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

// Every command reads data through readMatrix, i.e. package data: the
// formats by extension, and uint8 data divided by 255.
func TestReadMatrixFormats(t *testing.T) {
	dir := t.TempDir()
	var npy bytes.Buffer
	require.NoError(t, data.WriteNPY(&npy, 2, 3, wantRows))
	var f32be []byte
	for _, v := range wantRows {
		f32be = binary.BigEndian.AppendUint32(f32be, math.Float32bits(v))
	}
	pb := filepath.Join(dir, "x.pb")
	require.NoError(t, graph.WriteTensorFile(pb, "x", ops.FromFloat64([]int{2, 3}, []float64{1, 2, 3, 4, 5, 6})))
	pb8 := filepath.Join(dir, "u8.pb")
	require.NoError(t, graph.WriteTensorFile(pb8, "x", &ops.Tensor{DType: ops.Uint8, Shape: []int{2, 3}, Data: []uint8{0, 51, 102, 153, 204, 255}}))
	bytesOver255 := []float32{1.0 / 255, 2.0 / 255, 3.0 / 255, 4.0 / 255, 5.0 / 255, 6.0 / 255}
	cases := []struct {
		path, format string
		n, d         int
		want         []float32
		units        data.Units
	}{
		{writeFile(t, dir, "x.csv", []byte("a,b,c\n1,2,3\n4,5,6\n")), "", 2, 3, wantRows, data.AsStored},
		{writeFile(t, dir, "x.tsv", []byte("1\t2\t3\n4\t5\t6\n")), "", 2, 3, wantRows, data.AsStored},
		{writeFile(t, dir, "x.jsonl", []byte("[1,2,3]\n\n[[4,5],[6]]\n")), "", 2, 3, wantRows, data.AsStored},
		{writeFile(t, dir, "x.npy", npy.Bytes()), "", 2, 3, wantRows, data.AsStored},
		{writeFile(t, dir, "x-idx3-ubyte", idxBytes(0x08, []uint32{2, 1, 3}, []byte{1, 2, 3, 4, 5, 6})), "", 2, 3, bytesOver255, data.BytesOver255},
		{writeFile(t, dir, "x-idx3-ubyte.gz", gz(t, idxBytes(0x08, []uint32{2, 3}, []byte{1, 2, 3, 4, 5, 6}))), "", 2, 3, bytesOver255, data.BytesOver255},
		{writeFile(t, dir, "f.bin", idxBytes(0x0D, []uint32{2, 3}, f32be)), "idx", 2, 3, wantRows, data.AsStored},
		{writeFile(t, dir, "s.idx", idxBytes(0x0B, []uint32{2, 1}, []byte{0xff, 0xfe, 0x01, 0x00})), "", 2, 1, []float32{-2, 256}, data.AsStored},
		{pb, "", 2, 3, wantRows, data.AsStored},
		{pb8, "", 2, 3, []float32{0, 0.2, 0.4, 0.6, 0.8, 1}, data.BytesOver255},
		// Ratings: users u1, u2 × items i1, i2 (observed entries only).
		{writeFile(t, dir, "u.data", []byte("u1 i1 5\nu2 i2 3\n")), "", 2, 2, []float32{5, 0, 0, 3}, data.AsStored},
	}
	for _, c := range cases {
		name := filepath.Base(c.path)
		d, err := readMatrix(c.path, c.format, false, nil)
		require.NoError(t, err, name)
		assert.Equal(t, c.n, d.N, name)
		assert.Equal(t, c.d, d.D, name)
		assert.InDeltaSlice(t, c.want, d.X, 1e-7, name)
		assert.Equal(t, c.units, d.Units, name)
	}
	// stdin: CSV, or what the content shows.
	d, err := readMatrix("-", "", false, strings.NewReader("1,2,3\n4,5,6\n"))
	require.NoError(t, err)
	assert.Equal(t, wantRows, d.X)
	d, err = readMatrix("-", "", false, bytes.NewReader(npy.Bytes()))
	require.NoError(t, err)
	assert.Equal(t, wantRows, d.X)
}

func TestReadMatrixErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		path, format, want string
	}{
		{writeFile(t, dir, "bad.idx", []byte{1, 2, 8, 1, 0, 0, 0, 1, 9}), "", "bad.idx: not an IDX file"},
		{writeFile(t, dir, "type.idx", idxBytes(0x07, []uint32{1}, []byte{1})), "", "type.idx: IDX element type 0x07 unknown"},
		{writeFile(t, dir, "short.idx", idxBytes(0x08, []uint32{2, 3}, []byte{1, 2})), "", "short.idx: idx data (2 samples of [3]): unexpected EOF"},
		{writeFile(t, dir, "nan.idx", idxBytes(0x0D, []uint32{1}, binary.BigEndian.AppendUint32(nil, math.Float32bits(float32(math.NaN()))))), "", "nan.idx: sample 1 value 1 is NaN"},
		{writeFile(t, dir, "ragged.jsonl", []byte("[1,2]\n[3]\n")), "", "ragged.jsonl:2: 1 values, earlier rows have 2"},
		{writeFile(t, dir, "obj.jsonl", []byte(`{"a":1}`+"\n")), "", "want an array of numbers"},
		{writeFile(t, dir, "empty.jsonl", []byte("\n")), "", "empty.jsonl: no samples"},
		{writeFile(t, dir, "x.csv", []byte("1,2\n")), "parquet", `unknown data format "parquet"`},
		{filepath.Join(dir, "missing.csv"), "", "missing.csv"},
	} {
		_, err := readMatrix(c.path, c.format, false, nil)
		assert.ErrorContains(t, err, c.want, filepath.Base(c.path))
	}
	_, err := readMatrix(filepath.Join(dir, "x.csv"), "parquet", false, nil)
	var ue usageError
	assert.ErrorAs(t, err, &ue, "an unknown --format is a usage error")

	// No --data and stdin a terminal (a character device, as /dev/null is):
	// a usage error at once instead of waiting for typed rows.
	tty, err := os.Open(os.DevNull)
	require.NoError(t, err)
	defer tty.Close()
	_, err = readMatrix("", "", false, tty)
	assert.ErrorAs(t, err, &ue)
	assert.EqualError(t, err, "--data FILE is required when stdin is a terminal (or pipe the data in)")
	_, err = readMatrix("-", "", false, tty)
	assert.ErrorContains(t, err, "stdin: ", "--data - reads stdin as asked")
	assert.NotErrorAs(t, err, &ue)
}

func TestPercentileByHand(t *testing.T) {
	xs := []float64{4, 1, 3, 2}
	for _, c := range []struct{ p, want float64 }{{0, 1}, {50, 2.5}, {90, 3.7}, {100, 4}, {25, 1.75}} {
		assert.InDelta(t, c.want, scorePercentile(xs, c.p), 1e-12, "percentile %g", c.p)
	}
	assert.Equal(t, []float64{4, 1, 3, 2}, xs, "percentile reordered its input")
	assert.Equal(t, 7.0, scorePercentile([]float64{7}, 99), "single value")
}

// latent score, encode and calibrate without --data read stdin, but not a
// terminal (a character device, as /dev/null is): there they stop at once
// with a usage error instead of waiting for rows nobody types.
func TestNoDataOnATerminal(t *testing.T) {
	tty, err := os.Open(os.DevNull)
	require.NoError(t, err)
	defer tty.Close()
	saved := os.Stdin
	os.Stdin = tty
	defer func() { os.Stdin = saved }()
	for _, args := range [][]string{{"score", exampleModel}, {"encode", exampleModel}, {"calibrate", exampleModel}} {
		code, _, stderr := latent(t, args...)
		assert.Equal(t, exitUsage, code, "%v: %s", args, stderr)
		assert.Contains(t, stderr, "latent "+args[0]+": --data FILE is required when stdin is a terminal (or pipe the data in)", "%v", args)
	}
}

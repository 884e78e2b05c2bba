package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
)

// want is the 2×3 matrix every format below encodes.
var wantRows = []float32{1, 2, 3, 4, 5, 6}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
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
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadMatrixFormats(t *testing.T) {
	dir := t.TempDir()
	var npy bytes.Buffer
	if err := data.WriteNPY(&npy, 2, 3, wantRows); err != nil {
		t.Fatal(err)
	}
	var f32be []byte
	for _, v := range wantRows {
		f32be = binary.BigEndian.AppendUint32(f32be, math.Float32bits(v))
	}
	pb := filepath.Join(dir, "x.pb")
	if err := graph.WriteTensorFile(pb, "x", ops.FromFloat64([]int{2, 3}, []float64{1, 2, 3, 4, 5, 6})); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path, format string
		n, d         int
		want         []float32
	}{
		{writeFile(t, dir, "x.csv", []byte("a,b,c\n1,2,3\n4,5,6\n")), "", 2, 3, wantRows},
		{writeFile(t, dir, "x.tsv", []byte("1\t2\t3\n4\t5\t6\n")), "", 2, 3, wantRows},
		{writeFile(t, dir, "x.jsonl", []byte("[1,2,3]\n\n[[4,5],[6]]\n")), "", 2, 3, wantRows},
		{writeFile(t, dir, "x.npy", npy.Bytes()), "", 2, 3, wantRows},
		{writeFile(t, dir, "x-idx3-ubyte", idxBytes(0x08, []uint32{2, 1, 3}, []byte{1, 2, 3, 4, 5, 6})), "", 2, 3, wantRows},
		{writeFile(t, dir, "x-idx3-ubyte.gz", gz(t, idxBytes(0x08, []uint32{2, 3}, []byte{1, 2, 3, 4, 5, 6}))), "", 2, 3, wantRows},
		{writeFile(t, dir, "f.bin", idxBytes(0x0D, []uint32{2, 3}, f32be)), "idx", 2, 3, wantRows},
		{writeFile(t, dir, "s.idx", idxBytes(0x0B, []uint32{2, 1}, []byte{0xff, 0xfe, 0x01, 0x00})), "", 2, 1, []float32{-2, 256}},
		{pb, "", 2, 3, wantRows},
		// Ratings: users u1, u2 × items i1, i2 (observed entries only).
		{writeFile(t, dir, "u.data", []byte("u1 i1 5\nu2 i2 3\n")), "", 2, 2, []float32{5, 0, 0, 3}},
	}
	for _, c := range cases {
		d, err := readMatrix(c.path, c.format, false, nil)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(c.path), err)
			continue
		}
		if d.N != c.n || d.D != c.d || !reflect.DeepEqual(d.X, c.want) {
			t.Errorf("%s: %d×%d %v, want %d×%d %v", filepath.Base(c.path), d.N, d.D, d.X, c.n, c.d, c.want)
		}
	}
	// stdin defaults to CSV.
	d, err := readMatrix("-", "", false, strings.NewReader("1,2,3\n4,5,6\n"))
	if err != nil || !reflect.DeepEqual(d.X, wantRows) {
		t.Errorf("stdin: %v %v", d, err)
	}
}

func TestReadMatrixErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		path, format, want string
	}{
		{writeFile(t, dir, "bad.idx", []byte{1, 2, 8, 1, 0, 0, 0, 1, 9}), "", "not an IDX file"},
		{writeFile(t, dir, "type.idx", idxBytes(0x07, []uint32{1}, []byte{1})), "", "element type 0x07 unknown"},
		{writeFile(t, dir, "short.idx", idxBytes(0x08, []uint32{2, 3}, []byte{1, 2})), "", "IDX data for shape [2 3]"},
		{writeFile(t, dir, "nan.idx", idxBytes(0x0D, []uint32{1}, binary.BigEndian.AppendUint32(nil, math.Float32bits(float32(math.NaN()))))), "", "row 0 column 0 is NaN"},
		{writeFile(t, dir, "ragged.jsonl", []byte("[1,2]\n[3]\n")), "", "ragged.jsonl:2: 1 values, earlier rows have 2"},
		{writeFile(t, dir, "obj.jsonl", []byte(`{"a":1}`+"\n")), "", "want an array of numbers"},
		{writeFile(t, dir, "empty.jsonl", []byte("\n")), "", "no samples"},
		{writeFile(t, dir, "x.csv", []byte("1,2\n")), "parquet", `unknown data format "parquet"`},
		{filepath.Join(dir, "missing.csv"), "", "missing.csv"},
	}
	for _, c := range cases {
		_, err := readMatrix(c.path, c.format, false, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", filepath.Base(c.path), err, c.want)
		}
	}
}

func TestPercentileByHand(t *testing.T) {
	xs := []float64{4, 1, 3, 2}
	for _, c := range []struct{ p, want float64 }{{0, 1}, {50, 2.5}, {90, 3.7}, {100, 4}, {25, 1.75}} {
		if got := scorePercentile(xs, c.p); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("percentile %g = %g, want %g", c.p, got, c.want)
		}
	}
	if !reflect.DeepEqual(xs, []float64{4, 1, 3, 2}) {
		t.Error("percentile reordered its input")
	}
	if got := scorePercentile([]float64{7}, 99); got != 7 {
		t.Errorf("single value: %g", got)
	}
}

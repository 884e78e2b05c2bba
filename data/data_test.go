package data

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadCSV(t *testing.T) {
	d, err := ReadCSV(strings.NewReader("a,b,c\n1,2,3\n\n4,5.5,-6e1\n"), "x.csv", CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{1, 2, 3, 4, 5.5, -60}
	if d.N != 2 || d.D != 3 || !equal(d.X, want) {
		t.Fatalf("got %d×%d %v, want 2×3 %v", d.N, d.D, d.X, want)
	}
	d, err = ReadCSV(strings.NewReader("1\t2\n3\t4\n"), "x.tsv", CSVOptions{})
	if err != nil || d.N != 2 || d.D != 2 || !equal(d.X, []float32{1, 2, 3, 4}) {
		t.Fatalf("tsv: %v %+v", err, d)
	}
	d, err = ReadCSV(strings.NewReader("9;8\n1;2\n"), "x.csv", CSVOptions{Header: true, Comma: ';'})
	if err != nil || d.N != 1 || !equal(d.X, []float32{1, 2}) {
		t.Fatalf("explicit header: %v %+v", err, d)
	}
}

func TestReadCSVErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{"1,2\n3\n", "x.csv:2: ragged row: 1 columns, want 2"},
		{"1,2\n3,abc\n", `x.csv:2: column 2: non-numeric value "abc"`},
		{"1,2\nNaN,1\n", `x.csv:2: column 1: value "NaN" is not finite`},
		{"1,Inf\n", `x.csv:1: column 2: value "Inf" is not finite`},
		{"", "x.csv: no data rows"},
		{"h1,h2\n", "x.csv: no data rows"},
	}
	for _, c := range cases {
		_, err := ReadCSV(strings.NewReader(c.in), "x.csv", CSVOptions{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.in, err, c.want)
		}
	}
	if _, err := LoadCSV(filepath.Join(t.TempDir(), "missing.csv"), CSVOptions{}); err == nil || !strings.Contains(err.Error(), "missing.csv") {
		t.Errorf("missing file: %v", err)
	}
}

func TestNPYRoundTripAndErrors(t *testing.T) {
	x := []float32{1, -2, 3.5, 4, 5, 6}
	var buf bytes.Buffer
	if err := WriteNPY(&buf, 2, 3, x); err != nil {
		t.Fatal(err)
	}
	if (buf.Len()-len(x)*4)%64 != 0 {
		t.Errorf("header not padded to 64 bytes: total %d", buf.Len())
	}
	d, err := ReadNPY(bytes.NewReader(buf.Bytes()), "x.npy")
	if err != nil || d.N != 2 || d.D != 3 || !equal(d.X, x) {
		t.Fatalf("round trip: %v %+v", err, d)
	}
	// Hand-built float64 Fortran-order file: [[1,2],[3,4]] stored column-major.
	h := "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }"
	h += strings.Repeat(" ", 64-(10+len(h)+1)%64) + "\n"
	var f64 bytes.Buffer
	f64.WriteString("\x93NUMPY\x01\x00")
	f64.Write([]byte{byte(len(h)), 0})
	f64.WriteString(h)
	for _, v := range []float64{1, 3, 2, 4} {
		var b [8]byte
		u := math.Float64bits(v)
		for i := range b {
			b[i] = byte(u >> (8 * i))
		}
		f64.Write(b[:])
	}
	d, err = ReadNPY(bytes.NewReader(f64.Bytes()), "f.npy")
	if err != nil || !equal(d.X, []float32{1, 2, 3, 4}) {
		t.Fatalf("fortran f8: %v %+v", err, d)
	}
	bad := func(name string, b []byte, want string) {
		t.Helper()
		if _, err := ReadNPY(bytes.NewReader(b), name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", name, err, want)
		}
	}
	bad("magic.npy", []byte("not an npy file at all"), "not an NPY file")
	bad("trunc.npy", buf.Bytes()[:buf.Len()-3], "truncated")
	i8 := bytes.Replace(buf.Bytes(), []byte("<f4"), []byte("<i4"), 1)
	bad("int.npy", i8, `dtype "<i4" unsupported`)
	d3 := bytes.Replace(buf.Bytes(), []byte("(2, 3)"), []byte("(1,2,3)"), 1)
	bad("3d.npy", d3, "3 dimensions")
	nan := append([]byte(nil), buf.Bytes()...)
	copy(nan[len(nan)-4:], []byte{0, 0, 0xc0, 0x7f})
	bad("nan.npy", nan, "row 2 column 3 is NaN")
	inf := append([]byte(nil), buf.Bytes()...)
	copy(inf[len(inf)-8:], []byte{0, 0, 0x80, 0xff}) // -Inf at row 2 column 2
	bad("inf.npy", inf, "row 2 column 2 is -Inf")
}

func TestRatings(t *testing.T) {
	in := "user\titem\trating\tts\n10\t7\t4\t1\n2\t7\t3\t1\n10\t1\t5\t2\n"
	d, err := ReadRatings(strings.NewReader(in), "r.tsv")
	if err != nil {
		t.Fatal(err)
	}
	// users sorted numerically: 2, 10; items: 1, 7.
	if d.N != 2 || d.D != 2 || d.Users[0] != "2" || d.Items[1] != "7" {
		t.Fatalf("got %d×%d users %v items %v", d.N, d.D, d.Users, d.Items)
	}
	if !equal(d.X, []float32{0, 3, 5, 4}) || !equal(d.Mask, []float32{0, 1, 1, 1}) {
		t.Fatalf("X %v mask %v", d.X, d.Mask)
	}
	if d2, err := ReadRatings(strings.NewReader("1::2::3::4\n"), "ml.dat"); err != nil || d2.X[0] != 3 {
		t.Errorf(":: separator: %v", err)
	}
	for _, c := range []struct{ in, want string }{
		{"1,2,3\n1,2,4\n", "r.csv:2: duplicate rating"},
		{"1,2,3\n1,3,x\n", `r.csv:2: rating "x" is not numeric`},
		{"1,2\n", "r.csv:1: want user, item, rating"},
		{"1,2,NaN\n", "not finite"},
		{"", "r.csv: no ratings"},
	} {
		if _, err := ReadRatings(strings.NewReader(c.in), "r.csv"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.in, err, c.want)
		}
	}
}

func TestSplitRatings(t *testing.T) {
	d := &Dataset{N: 3, D: 4, X: []float32{1, 2, 3, 4, 5, 0, 0, 0, 1, 1, 1, 0},
		Mask: []float32{1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0}}
	tr, val, err := SplitRatings(d, 0.5, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range d.Mask {
		if d.Mask[i] != tr.Mask[i]+val.Mask[i] {
			t.Fatalf("entry %d: train %v + val %v != observed %v", i, tr.Mask[i], val.Mask[i], d.Mask[i])
		}
		if val.Mask[i] != 0 && (val.Target[i] != d.X[i] || tr.X[i] != 0) {
			t.Fatalf("held-out entry %d leaked into training input", i)
		}
	}
	if tr.Mask[4] != 1 {
		t.Error("a user's only rating was held out")
	}
	if val.Mask[0]+val.Mask[1]+val.Mask[2]+val.Mask[3] != 2 {
		t.Errorf("want 2 of 4 ratings of user 0 held out, mask %v", val.Mask[:4])
	}
}

func TestScalers(t *testing.T) {
	d := &Dataset{N: 3, D: 2, X: []float32{0, 5, 2, 5, 4, 5}}
	mm, err := Fit(MinMax, d)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := mm.Apply(d)
	if !equal(out.X, []float32{0, 0, 0.5, 0, 1, 0}) {
		t.Errorf("minmax: %v", out.X)
	}
	st, _ := Fit(Standard, d)
	out, _ = st.Apply(d)
	s := float32(math.Sqrt(8.0 / 3))
	want := []float32{-2 / s, 0, 0, 0, 2 / s, 0}
	for i := range want {
		if math.Abs(float64(out.X[i]-want[i])) > 1e-6 {
			t.Fatalf("standard: %v want %v", out.X, want)
		}
	}
	back := make([]float32, 6)
	st.Inverse(back, out.X)
	for i := range back {
		if math.Abs(float64(back[i]-d.X[i])) > 1e-5 {
			t.Fatalf("inverse: %v", back)
		}
	}
	if _, err := Fit("log", d); err == nil {
		t.Error("unknown scaling accepted")
	}
	if err := mm.Check(3); err == nil {
		t.Error("scaler for 2 features accepted 3")
	}
}

func TestValidateAndSplitRows(t *testing.T) {
	d := &Dataset{N: 2, D: 2, X: []float32{1, 2, float32(math.Inf(1)), 4}, Source: "s"}
	if err := d.Validate(); err == nil || !strings.Contains(err.Error(), "s: row 2 column 1 is +Inf") {
		t.Errorf("got %v", err)
	}
	d = &Dataset{N: 10, D: 1, X: []float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}}
	tr, val, err := SplitRows(d, 0.3, 4)
	if err != nil || tr.N != 7 || val.N != 3 {
		t.Fatalf("split: %v %d/%d", err, tr.N, val.N)
	}
	seen := map[float32]bool{}
	for _, v := range append(append([]float32(nil), tr.X...), val.X...) {
		seen[v] = true
	}
	if len(seen) != 10 {
		t.Errorf("split lost or duplicated rows: %v %v", tr.X, val.X)
	}
	if _, _, err := SplitRows(&Dataset{N: 1, D: 1, X: []float32{1}}, 0.5, 1); err == nil {
		t.Error("split of one row accepted")
	}
}

func TestWriteCSVReadBack(t *testing.T) {
	d := &Dataset{N: 2, D: 2, X: []float32{1.25, -3, 1e-7, 4}}
	p := filepath.Join(t.TempDir(), "d.csv")
	f, _ := os.Create(p)
	if err := WriteCSV(f, d); err != nil {
		t.Fatal(err)
	}
	f.Close()
	got, err := LoadCSV(p, CSVOptions{})
	if err != nil || !equal(got.X, d.X) {
		t.Fatalf("%v %v", err, got)
	}
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

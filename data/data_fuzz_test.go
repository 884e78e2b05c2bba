package data

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// checkDataset is what every loader promises about what it returns.
func checkDataset(t *testing.T, d *Dataset) {
	t.Helper()
	if err := d.Validate(); err != nil {
		t.Fatalf("loader returned an invalid dataset: %v", err)
	}
	if d.Mask != nil {
		for i, m := range d.Mask {
			if m != 0 && m != 1 {
				t.Fatalf("mask[%d] = %v, want 0 or 1", i, m)
			}
		}
	}
}

// FuzzReadCSV: any input gives a dataset or an error, never a panic; an
// accepted dataset is valid and survives WriteCSV/ReadCSV unchanged.
func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("a,b\n1,2\n3,4\n"), false)
	f.Add([]byte("1\t2\t3\n4\t5\t6\n"), false)
	f.Add([]byte("x,y\n1,NaN\n"), true)
	f.Add([]byte("1,2\n3\n"), false)
	f.Add([]byte("\r\n\n1e38,-1e-45\n"), false)
	f.Fuzz(func(t *testing.T, b []byte, header bool) {
		d, err := ReadCSV(bytes.NewReader(b), "fuzz.csv", CSVOptions{Header: header})
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.csv") {
				t.Fatalf("error does not name the input: %v", err)
			}
			return
		}
		checkDataset(t, d)
		var buf bytes.Buffer
		if err := WriteCSV(&buf, d); err != nil {
			t.Fatal(err)
		}
		d2, err := ReadCSV(&buf, "again.csv", CSVOptions{})
		if err != nil {
			t.Fatalf("written CSV does not read back: %v", err)
		}
		if d2.N != d.N || d2.D != d.D || !equal(d2.X, d.X) {
			t.Fatalf("CSV round trip changed the data: %d×%d vs %d×%d", d.N, d.D, d2.N, d2.D)
		}
	})
}

// FuzzReadNPY: no panics and no allocation beyond the data present; an
// accepted array is valid and survives WriteNPY/ReadNPY bit for bit.
func FuzzReadNPY(f *testing.F) {
	var ok bytes.Buffer
	WriteNPY(&ok, 2, 3, []float32{1, -2, 3.5, 4, 5, 6})
	f.Add(ok.Bytes())
	f.Add(bytes.Replace(ok.Bytes(), []byte("(2, 3)"), []byte("(9999999999, 9)"), 1))
	f.Add(bytes.Replace(ok.Bytes(), []byte("'<f4'"), []byte("'>f8'"), 1))
	f.Add(bytes.Replace(ok.Bytes(), []byte("False"), []byte("True "), 1))
	f.Add([]byte("\x93NUMPY\x02\x00\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ReadNPY(bytes.NewReader(b), "fuzz.npy")
		if err != nil {
			return
		}
		checkDataset(t, d)
		var buf bytes.Buffer
		if err := WriteNPY(&buf, d.N, d.D, d.X); err != nil {
			t.Fatal(err)
		}
		d2, err := ReadNPY(&buf, "again.npy")
		if err != nil {
			t.Fatalf("written NPY does not read back: %v", err)
		}
		for i := range d.X {
			if math.Float32bits(d.X[i]) != math.Float32bits(d2.X[i]) {
				t.Fatalf("NPY round trip changed element %d", i)
			}
		}
	})
}

// FuzzReadRatings: no panics; an accepted matrix is valid, its mask marks
// exactly the non-zero ratings and the ID lists match its shape.
func FuzzReadRatings(f *testing.F) {
	f.Add([]byte("user\titem\trating\n1\t10\t4\n2\t10\t3.5\n1\t11\t2\n"))
	f.Add([]byte("1::1193::5::978300760\n1::661::3::978302109\n"))
	f.Add([]byte("a,b,1\na,b,2\n"))
	f.Add([]byte("u i 0\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ReadRatings(bytes.NewReader(b), "fuzz.data")
		if err != nil {
			return
		}
		checkDataset(t, d)
		if len(d.Users) != d.N || len(d.Items) != d.D {
			t.Fatalf("%d users and %d items for a %d×%d matrix", len(d.Users), len(d.Items), d.N, d.D)
		}
		for i, m := range d.Mask {
			if (m == 1) != (d.X[i] != 0) {
				t.Fatalf("entry %d: mask %v but rating %v", i, m, d.X[i])
			}
		}
	})
}

// FuzzReadImages: IDX and NPY image streams (LoadImages' two formats)
// never panic or allocate for sizes the stream does not hold; accepted
// images have the claimed shape and pixels in [0,1].
func FuzzReadImages(f *testing.F) {
	f.Add(idxBytes(), uint8(0))
	f.Add([]byte{0, 0, 0x0D, 4, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x3f, 0x80, 0, 0}, uint8(0))
	f.Add([]byte{0, 0, 0x08, 3, 0, 0xff, 0xff, 0xff, 0, 0xff, 0xff, 0xff, 0, 0, 0x10, 0}, uint8(0))
	var npy bytes.Buffer
	WriteImagesNPY(&npy, 2, []int{1, 2, 2}, []float32{0, 0.5, 1, 0.25, 1, 1, 0, 0})
	f.Add(npy.Bytes(), uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, limit uint8) {
		for _, read := range []func() (*Images, error){
			func() (*Images, error) { return ReadIDX(bytes.NewReader(b), "fuzz.idx", int(limit)) },
			func() (*Images, error) { return ReadImagesNPY(bytes.NewReader(b), "fuzz.npy", int(limit)) },
		} {
			im, err := read()
			if err != nil {
				continue
			}
			checkDataset(t, im.Dataset)
			if len(im.Shape) != 3 || im.Shape[0]*im.Shape[1]*im.Shape[2] != im.D {
				t.Fatalf("shape %v for rows of %d values", im.Shape, im.D)
			}
			if limit > 0 && im.N > int(limit) {
				t.Fatalf("%d images returned with limit %d", im.N, limit)
			}
			for i, v := range im.X {
				if v < 0 || v > 1 {
					t.Fatalf("pixel %d = %v outside [0,1]", i, v)
				}
			}
		}
	})
}

package data

import (
	"bytes"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkDataset is what every loader promises about what it returns.
func checkDataset(t *testing.T, d *Dataset) {
	t.Helper()
	require.NoError(t, d.Validate(), "loader returned an invalid dataset")
	for i, m := range d.Mask {
		require.True(t, m == 0 || m == 1, "mask[%d] = %v, want 0 or 1", i, m)
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
			require.ErrorContains(t, err, "fuzz.csv", "error does not name the input")
			return
		}
		checkDataset(t, d)
		var buf bytes.Buffer
		require.NoError(t, WriteCSV(&buf, d))
		d2, err := ReadCSV(&buf, "again.csv", CSVOptions{})
		require.NoError(t, err, "written CSV does not read back")
		assert.Equal(t, d.N, d2.N)
		assert.Equal(t, d.D, d2.D)
		assert.Equal(t, d.X, d2.X, "CSV round trip changed the data")
	})
}

// FuzzReadNPY: no panics and no allocation beyond the data present; an
// accepted array is valid and survives WriteArrayNPY/ReadNPY bit for bit.
func FuzzReadNPY(f *testing.F) {
	var ok bytes.Buffer
	WriteNPY(&ok, 2, 3, []float32{1, -2, 3.5, 4, 5, 6})
	f.Add(ok.Bytes())
	f.Add(bytes.Replace(ok.Bytes(), []byte("(2, 3)"), []byte("(9999999999, 9)"), 1))
	f.Add(bytes.Replace(ok.Bytes(), []byte("'<f4'"), []byte("'>f8'"), 1))
	f.Add(bytes.Replace(ok.Bytes(), []byte("'<f4'"), []byte("'|u1'"), 1))
	f.Add(bytes.Replace(ok.Bytes(), []byte("False"), []byte("True "), 1))
	f.Add([]byte("\x93NUMPY\x02\x00\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ReadNPY(bytes.NewReader(b), "fuzz.npy", 0)
		if err != nil {
			return
		}
		checkDataset(t, d)
		shape := append([]int{d.N}, d.Shape...)
		if d.Shape == nil {
			shape = []int{d.N, d.D}
		}
		var buf bytes.Buffer
		require.NoError(t, WriteArrayNPY(&buf, shape, d.X))
		d2, err := ReadNPY(&buf, "again.npy", 0)
		require.NoError(t, err, "written NPY does not read back")
		require.Len(t, d2.X, len(d.X))
		for i := range d.X {
			require.Equal(t, math.Float32bits(d.X[i]), math.Float32bits(d2.X[i]), "NPY round trip changed element %d", i)
		}
	})
}

// FuzzReadImages: IDX and NPY streams (the image formats) never panic or
// allocate for sizes the stream does not hold; an accepted array is a
// valid dataset of at most limit samples, and uint8 data lies in [0,1].
func FuzzReadImages(f *testing.F) {
	f.Add(idxBytes(), uint8(0))
	f.Add([]byte{0, 0, 0x0D, 4, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x3f, 0x80, 0, 0}, uint8(0))
	f.Add([]byte{0, 0, 0x08, 3, 0, 0xff, 0xff, 0xff, 0, 0xff, 0xff, 0xff, 0, 0, 0x10, 0}, uint8(0))
	var npy bytes.Buffer
	WriteImagesNPY(&npy, 2, []int{1, 2, 2}, []float32{0, 0.5, 1, 0.25, 1, 1, 0, 0})
	f.Add(npy.Bytes(), uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, limit uint8) {
		for _, read := range []func() (*Dataset, error){
			func() (*Dataset, error) { return ReadIDX(bytes.NewReader(b), "fuzz.idx", int(limit)) },
			func() (*Dataset, error) { return ReadNPY(bytes.NewReader(b), "fuzz.npy", int(limit)) },
		} {
			d, err := read()
			if err != nil {
				continue
			}
			checkDataset(t, d)
			if limit > 0 {
				require.LessOrEqual(t, d.N, int(limit), "samples returned beyond the limit")
			}
			if d.Units == BytesOver255 {
				for i, v := range d.X {
					require.True(t, v >= 0 && v <= 1, "byte intensity %d = %v outside [0,1]", i, v)
				}
			}
		}
	})
}

// FuzzReadRatings: no panics; an accepted matrix is valid, its mask marks
// exactly the non-zero ratings and the ID lists match its shape, read as
// MovieLens-style lines or as a RecBole .inter file.
func FuzzReadRatings(f *testing.F) {
	f.Add([]byte("user\titem\trating\n1\t10\t4\n2\t10\t3.5\n1\t11\t2\n"))
	f.Add([]byte("1::1193::5::978300760\n1::661::3::978302109\n"))
	f.Add([]byte("a,b,1\na,b,2\n"))
	f.Add([]byte("u i 0\n"))
	f.Add([]byte("user_id:token\titem_id:token\trating:float\ttimestamp:float\n196\t242\t3\t881250949\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, read := range []ReadFunc{readRatings, readInter} {
			d, err := read(bytes.NewReader(b), "fuzz", Options{})
			if err != nil {
				continue
			}
			checkDataset(t, d)
			require.Len(t, d.Users, d.N)
			require.Len(t, d.Items, d.D)
			for i, m := range d.Mask {
				require.Equal(t, m == 1, d.X[i] != 0, "entry %d: mask %v but rating %v", i, m, d.X[i])
			}
		}
	})
}

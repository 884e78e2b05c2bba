package data

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func idxBytes() []byte {
	// Two 2×3 uint8 images.
	b := []byte{0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3}
	return append(b, 0, 51, 255, 102, 0, 0, 255, 255, 255, 0, 0, 153)
}

func TestLoadIDXRawAndGzip(t *testing.T) {
	dir := t.TempDir()
	raw := filepath.Join(dir, "img.idx")
	os.WriteFile(raw, idxBytes(), 0o644)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(idxBytes())
	zw.Close()
	gzp := filepath.Join(dir, "img.idx.gz")
	os.WriteFile(gzp, gz.Bytes(), 0o644)
	for _, p := range []string{raw, gzp} {
		im, err := LoadImages(p, 0)
		if err != nil {
			t.Fatal(err)
		}
		if im.N != 2 || im.D != 6 || im.Shape[0] != 1 || im.Shape[1] != 2 || im.Shape[2] != 3 {
			t.Fatalf("%s: N=%d D=%d shape %v", p, im.N, im.D, im.Shape)
		}
		want := []float32{0, 0.2, 1, 0.4, 0, 0, 1, 1, 1, 0, 0, 0.6}
		for i, v := range want {
			if d := im.X[i] - v; d > 1e-6 || d < -1e-6 {
				t.Fatalf("%s: pixel %d = %g, want %g", p, i, im.X[i], v)
			}
		}
	}
	im, err := LoadImages(raw, 1)
	if err != nil || im.N != 1 {
		t.Fatalf("limit 1: %v %v", im, err)
	}
}

func TestLoadIDXErrors(t *testing.T) {
	dir := t.TempDir()
	cases := map[string][]byte{
		"not an IDX file":    {1, 2, 3, 4},
		"type code 0x07":     {0, 0, 7, 3},
		"2 dimensions":       {0, 0, 8, 2, 0, 0, 0, 1, 0, 0, 0, 1},
		"idx data":           idxBytes()[:20],
		"dimensions [0 2 3]": {0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 3},
	}
	for want, b := range cases {
		p := filepath.Join(dir, "bad")
		os.WriteFile(p, b, 0o644)
		if _, err := LoadImages(p, 0); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want an error containing %q", err, want)
		}
	}
}

func TestImagesNPYRoundTrip(t *testing.T) {
	dir := t.TempDir()
	x := []float32{0, 0.5, 1, 0.25, 0.75, 0.125, 1, 0, 0.5, 0.5, 0.5, 0.5}
	for _, shape := range [][]int{{1, 2, 3}, {2, 1, 3}} {
		var buf bytes.Buffer
		if err := WriteImagesNPY(&buf, 2, shape, x); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "x.npy")
		os.WriteFile(p, buf.Bytes(), 0o644)
		im, err := LoadImages(p, 0)
		if err != nil {
			t.Fatal(err)
		}
		if im.N != 2 || im.Shape[0] != shape[0] || im.Shape[1] != shape[1] || im.Shape[2] != shape[2] {
			t.Fatalf("shape %v read back as N=%d %v", shape, im.N, im.Shape)
		}
		for i := range x {
			if im.X[i] != x[i] {
				t.Fatalf("value %d: %g, want %g", i, im.X[i], x[i])
			}
		}
	}
	// Values 0..255 in float32 are divided by 255.
	var buf bytes.Buffer
	WriteImagesNPY(&buf, 1, []int{1, 1, 2}, []float32{0, 255})
	im, err := ReadImagesNPY(&buf, "f", 0)
	if err != nil || im.X[1] != 1 {
		t.Fatalf("0..255 floats: %v %v", im, err)
	}
}

func TestFashionMNISTHeader(t *testing.T) {
	p := "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
	if _, err := os.Stat(p); err != nil {
		t.Skipf("Fashion-MNIST not installed (Debian package dataset-fashion-mnist): %v", err)
	}
	im, err := LoadImages(p, 10)
	if err != nil {
		t.Fatal(err)
	}
	if im.N != 10 || im.D != 784 || im.Shape[1] != 28 {
		t.Fatalf("N=%d D=%d shape %v", im.N, im.D, im.Shape)
	}
	var lo, hi float32 = 1, 0
	for _, v := range im.X {
		lo, hi = min(lo, v), max(hi, v)
	}
	if lo != 0 || hi != 1 {
		t.Errorf("pixel range [%g, %g], want [0, 1]", lo, hi)
	}
}

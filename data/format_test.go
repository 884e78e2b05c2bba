package data

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFormatOf(t *testing.T) {
	for path, want := range map[string]Format{
		"x.csv": CSV, "X.CSV": CSV, "x.csv.gz": CSV, "x.tsv": TSV, "rows.jsonl": JSONL, "rows.ndjson": JSONL,
		"rows.json": JSONL, "a.npy": NPY, "dir/a.npy.gz": NPY, "train-images-idx3-ubyte.gz": IDX,
		"t10k-labels-idx1-ubyte": IDX, "x.idx": IDX, "x.idx3": IDX, "u.data": Ratings, "ratings.dat": Ratings,
		"x.ratings": Ratings, "ml-100k.inter": Inter, "input_0.pb": TensorPB, "": "", "-": "", "stdin": "", "x.parquet": "",
	} {
		assert.Equal(t, want, FormatOf(path), path)
	}
}

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"csv", "TSV", "jsonl", "npy", "idx", "ratings", "pb", ""} {
		f, err := ParseFormat(s)
		require.NoError(t, err, s)
		assert.Equal(t, Format(strings.ToLower(s)), f)
	}
	_, err := ParseFormat("parquet")
	assert.EqualError(t, err, `unknown data format "parquet" (want csv, idx, inter, jsonl, npy, pb, ratings, tsv)`)
}

// Read picks the format from Options, then the name, then the content,
// and decompresses gzip whatever the format.
func TestReadChoosesFormat(t *testing.T) {
	var npy bytes.Buffer
	require.NoError(t, WriteNPY(&npy, 2, 3, []float32{1, 2, 3, 4, 5, 6}))
	want := []float32{1, 2, 3, 4, 5, 6}
	for _, c := range []struct {
		name string
		b    []byte
		opt  Options
	}{
		{"x.csv", []byte("1,2,3\n4,5,6\n"), Options{}},
		{"x.tsv", []byte("1\t2\t3\n4\t5\t6\n"), Options{}},
		{"x.csv.gz", gzipped(t, []byte("a,b,c\n1,2,3\n4,5,6\n")), Options{}},
		{"stdin", []byte("1,2,3\n4,5,6\n"), Options{}},
		{"stdin", npy.Bytes(), Options{}},
		{"stdin", gzipped(t, npy.Bytes()), Options{}},
		{"x.bin", idxFile(0x0B, []uint32{2, 3}, []byte{0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6}), Options{}},
		{"x.txt", []byte("[1,2,3]\n[4,5,6]\n"), Options{Format: JSONL}},
		{"x.csv", []byte("1 2 3\n"), Options{Format: Ratings}},
	} {
		d, err := Read(bytes.NewReader(c.b), c.name, c.opt)
		require.NoError(t, err, c.name)
		if c.opt.Format == Ratings {
			assert.Equal(t, []float32{3}, d.X, "ratings forced by Options.Format")
			continue
		}
		assert.Equal(t, want, d.X, c.name)
		assert.Equal(t, c.name, d.Source)
	}
}

func TestReadErrors(t *testing.T) {
	for _, c := range []struct {
		name, in string
		opt      Options
		want     string
	}{
		{"x.csv", "1,2\n", Options{Format: "parquet"}, `x.csv: unknown data format "parquet"`},
		{"x.pb", "", Options{}, "x.pb: format pb is not linked into this program (import github.com/latent-ml/latent/data/tensorpb)"},
		{"x.jsonl", "\n\n", Options{}, "x.jsonl: no samples"},
		{"x.csv", "1\n", Options{Limit: -1}, "x.csv: negative sample limit -1"},
		{"x.csv.gz", "\x1f\x8bnot gzip", Options{}, "x.csv.gz: gzip"},
	} {
		_, err := Read(strings.NewReader(c.in), c.name, c.opt)
		assert.ErrorContains(t, err, c.want, c.name)
	}
	_, err := Load(filepath.Join(t.TempDir(), "missing.csv"), Options{})
	assert.ErrorContains(t, err, "missing.csv")
}

func TestRegisterFormat(t *testing.T) {
	const f Format = "test-upper"
	RegisterFormat(f, func(r io.Reader, name string, opt Options) (*Dataset, error) {
		b, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		return &Dataset{N: 1, D: 1, X: []float32{float32(len(b))}, Source: name}, nil
	}, ".upper")
	t.Cleanup(func() {
		formatsMu.Lock()
		delete(formats, f)
		formatsMu.Unlock()
	})
	assert.Equal(t, f, FormatOf("x.upper"))
	p := filepath.Join(t.TempDir(), "x.upper")
	require.NoError(t, os.WriteFile(p, []byte("abcd"), 0o644))
	d, err := Load(p, Options{})
	require.NoError(t, err)
	assert.Equal(t, []float32{4}, d.X)
	assert.Contains(t, FormatNames(), "test-upper")
}

// LoadRatings reads ratings whatever the extension says of CSV.
func TestLoadRatings(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"ratings.csv", "u1.base", "u.data"} {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte("1,10,4\n2,10,3\n"), 0o644))
		d, err := LoadRatings(p)
		require.NoError(t, err, name)
		assert.Equal(t, []float32{4, 3}, d.X, name)
		assert.Equal(t, []float32{1, 1}, d.Mask, name)
	}
}

package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Format names a data file format.
type Format string

// The formats Read understands. TensorPB needs package data/tensorpb
// linked in (it registers itself; see RegisterFormat).
const (
	CSV      Format = "csv"     // comma- or tab-separated numbers, optional header
	TSV      Format = "tsv"     // CSV with a tab separator
	JSONL    Format = "jsonl"   // one JSON array of numbers per line (nested arrays flattened)
	NPY      Format = "npy"     // NumPy .npy: samples along the first axis
	IDX      Format = "idx"     // IDX (the MNIST format): samples along the first dimension
	Ratings  Format = "ratings" // MovieLens-style "user item rating [timestamp]" lines
	Inter    Format = "inter"   // RecBole's atomic .inter: a typed header, then user_id, item_id, rating columns
	TensorPB Format = "pb"      // a serialised ONNX TensorProto: samples along the first dimension
)

// Options control Read and Load. The zero value infers the format and
// reads every sample.
type Options struct {
	// Format overrides the format inferred from the file name.
	Format Format
	// Header (CSV) skips the first non-empty line; without it a first line
	// none of whose cells is numeric is skipped as a header anyway.
	Header bool
	// Limit keeps only the first Limit samples (0: all). Ratings files
	// refuse it: their samples are users, known only at the end.
	Limit int
}

// ReadFunc decodes one format from r; name labels errors. The reader
// applies opt.Limit and the scaling rule of the package doc.
type ReadFunc func(r io.Reader, name string, opt Options) (*Dataset, error)

type formatEntry struct {
	read ReadFunc
	exts []string
	// needs names the package that registers read when it is nil.
	needs string
	// ratings marks ratings formats (users × items matrices with a mask).
	ratings bool
}

var (
	formatsMu sync.RWMutex
	formats   = map[Format]*formatEntry{
		CSV:      {read: readCSV, exts: []string{".csv"}},
		TSV:      {read: readTSV, exts: []string{".tsv", ".tab"}},
		JSONL:    {read: readJSONL, exts: []string{".jsonl", ".ndjson", ".json"}},
		NPY:      {read: readNPY, exts: []string{".npy"}},
		IDX:      {read: readIDX, exts: []string{".idx", ".idx1", ".idx2", ".idx3", ".idx4", "-ubyte"}},
		Ratings:  {read: readRatings, exts: []string{".data", ".dat", ".ratings"}, ratings: true},
		Inter:    {read: readInter, exts: []string{".inter"}, ratings: true},
		TensorPB: {exts: []string{".pb"}, needs: "github.com/latent-ml/latent/data/tensorpb"},
	}
)

// RegisterFormat sets the reader of format f and, when given, the file
// name endings (lower case, e.g. ".pb") that select it. Packages that
// implement a format outside this one call it from init, as image/png
// does for image.Decode.
func RegisterFormat(f Format, read ReadFunc, exts ...string) {
	formatsMu.Lock()
	defer formatsMu.Unlock()
	e := formats[f]
	if e == nil {
		e = &formatEntry{}
		formats[f] = e
	}
	e.read = read
	if len(exts) > 0 {
		e.exts = exts
	}
}

// Formats lists the known format names, sorted.
func Formats() []Format {
	formatsMu.RLock()
	defer formatsMu.RUnlock()
	out := make([]Format, 0, len(formats))
	for f := range formats {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// FormatNames is Formats as one comma-separated string, for help texts.
func FormatNames() string {
	var s []string
	for _, f := range Formats() {
		s = append(s, string(f))
	}
	return strings.Join(s, ", ")
}

// ParseFormat checks a format name (as given to --format); "" is valid
// and means "infer".
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	if f == "" {
		return "", nil
	}
	formatsMu.RLock()
	_, ok := formats[f]
	formatsMu.RUnlock()
	if !ok {
		return "", fmt.Errorf("unknown data format %q (want %s)", s, FormatNames())
	}
	return f, nil
}

// FormatOf infers a format from a file name: its extension, ignoring a
// trailing .gz (IDX files also by the MNIST naming, *-idx3-ubyte). It
// returns "" when the name says nothing; Read then looks at the content.
func FormatOf(path string) Format {
	base := strings.ToLower(filepath.Base(path))
	base = strings.TrimSuffix(base, ".gz")
	formatsMu.RLock()
	defer formatsMu.RUnlock()
	best, bestLen := Format(""), 0
	for f, e := range formats {
		for _, x := range e.exts {
			if strings.HasSuffix(base, x) && len(x) > bestLen {
				best, bestLen = f, len(x)
			}
		}
	}
	if best == "" && (strings.Contains(base, "-idx") || strings.Contains(base, "-ubyte")) {
		best = IDX
	}
	return best
}

// Load reads the data file at path (see Read).
func Load(path string, opt Options) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read data: %w", err)
	}
	defer f.Close()
	return Read(f, path, opt)
}

// Read decodes samples from r in opt.Format, else the format FormatOf
// infers from name, else the format the content shows (NPY and IDX by
// their magic bytes, CSV otherwise). gzip-compressed input (by its magic
// bytes) is decompressed first, whatever the format. name labels errors
// and is recorded as the dataset's Source. The dataset returned is valid
// (see Dataset.Validate) and holds at least one sample.
func Read(r io.Reader, name string, opt Options) (*Dataset, error) {
	if opt.Limit < 0 {
		return nil, fmt.Errorf("%s: negative sample limit %d", name, opt.Limit)
	}
	br, closeGz, err := maybeGzip(r, name)
	if err != nil {
		return nil, err
	}
	defer closeGz()
	f := opt.Format
	if f == "" {
		f = FormatOf(name)
	}
	if f == "" {
		f = sniff(br)
	}
	formatsMu.RLock()
	e := formats[f]
	formatsMu.RUnlock()
	switch {
	case e == nil:
		return nil, fmt.Errorf("%s: unknown data format %q (want %s)", name, f, FormatNames())
	case e.read == nil:
		return nil, fmt.Errorf("%s: format %s is not linked into this program (import %s)", name, f, e.needs)
	}
	d, err := e.read(br, name, opt)
	if err != nil {
		return nil, err
	}
	if d.N == 0 {
		return nil, fmt.Errorf("%s: no samples", name)
	}
	d.Units = d.Units.orAsStored()
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}

// maybeGzip buffers r and, when it starts with gzip's magic bytes,
// decompresses it; the function returned releases the decompressor.
func maybeGzip(r io.Reader, name string) (*bufio.Reader, func(), error) {
	br := bufio.NewReaderSize(r, 1<<16)
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: gzip: %w", name, err)
		}
		return bufio.NewReaderSize(gz, 1<<16), func() { gz.Close() }, nil
	}
	return br, func() {}, nil
}

// sniff guesses a binary format from the first bytes: NPY's magic, IDX's
// two zero bytes and known type code; anything else is taken for CSV.
func sniff(br *bufio.Reader) Format {
	head, _ := br.Peek(6)
	switch {
	case bytes.Equal(head, npyMagic):
		return NPY
	case len(head) >= 4 && head[0] == 0 && head[1] == 0 && idxSizes[head[2]] > 0:
		return IDX
	}
	return CSV
}

// limitRows returns n capped by limit (0: no cap).
func limitRows(n, limit int) int {
	if limit > 0 && limit < n {
		return limit
	}
	return n
}

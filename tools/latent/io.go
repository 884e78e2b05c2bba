package main

// Shared data I/O of the encode, decode, score and calibrate commands:
// reading sample matrices (CSV/TSV, JSON lines, NPY, IDX, MovieLens-style
// ratings, ONNX TensorProto .pb) from files or stdin, writing matrices and
// per-sample results as CSV, JSON lines or NPY, feeding a session in
// batches, and a progress line on terminals (slog lines otherwise).

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/internal/atomicfile"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
)

// inputFormats lists what readMatrix understands.
const inputFormats = "csv, jsonl, npy, idx, ratings, pb"

// inferInputFormat picks a data format from a file name ("" for stdin:
// csv). IDX files are recognised by the idx/ubyte naming of the MNIST
// files, with or without .gz.
func inferInputFormat(path string) string {
	base := strings.ToLower(filepath.Base(path))
	base = strings.TrimSuffix(base, ".gz")
	switch {
	case path == "" || path == "-":
		return "csv"
	case strings.HasSuffix(base, ".npy"):
		return "npy"
	case strings.HasSuffix(base, ".pb"):
		return "pb"
	case strings.HasSuffix(base, ".jsonl"), strings.HasSuffix(base, ".ndjson"), strings.HasSuffix(base, ".json"):
		return "jsonl"
	case strings.HasSuffix(base, ".idx"), strings.Contains(base, "-ubyte"), strings.Contains(base, ".idx1"),
		strings.Contains(base, ".idx2"), strings.Contains(base, ".idx3"), strings.Contains(base, ".idx4"):
		return "idx"
	case strings.HasSuffix(base, ".data"), strings.HasSuffix(base, ".dat"), strings.HasSuffix(base, ".ratings"):
		return "ratings"
	}
	return "csv"
}

// readMatrix reads the samples at path ("-": stdin) as an N×D matrix.
// format "" infers it from the name. Images and other higher-rank samples
// are flattened to rows.
func readMatrix(path, format string, header bool, stdin io.Reader) (*data.Dataset, error) {
	if format == "" {
		format = inferInputFormat(path)
	}
	var r io.Reader
	name := path
	if path == "-" || path == "" {
		r, name = stdin, "stdin"
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("read data: %w", err)
		}
		defer f.Close()
		r = f
	}
	br := bufio.NewReaderSize(r, 1<<16)
	var (
		d   *data.Dataset
		err error
	)
	switch format {
	case "csv", "tsv":
		d, err = data.ReadCSV(br, name, data.CSVOptions{Header: header})
	case "npy":
		d, err = data.ReadNPY(br, name)
	case "ratings":
		d, err = data.ReadRatings(br, name)
	case "idx":
		d, err = readIDX(br, name)
	case "jsonl":
		d, err = readJSONLines(br, name)
	case "pb":
		d, err = readTensorPB(br, name)
	default:
		return nil, usagef("unknown data format %q (want %s)", format, inputFormats)
	}
	if err != nil {
		return nil, err
	}
	if d.N == 0 {
		return nil, fmt.Errorf("%s: no samples", name)
	}
	return d, nil
}

// readIDX decodes an IDX file (the MNIST format), raw or gzip-compressed:
// two zero bytes, a type code, the number of dimensions, big-endian uint32
// sizes, then big-endian elements. The first dimension is the sample axis.
func readIDX(br *bufio.Reader, name string) (*data.Dataset, error) {
	var r io.Reader = br
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: gzip: %w", name, err)
		}
		defer gz.Close()
		r = bufio.NewReaderSize(gz, 1<<16)
	}
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, fmt.Errorf("%s: idx header: %w", name, err)
	}
	if head[0] != 0 || head[1] != 0 {
		return nil, fmt.Errorf("%s: not an IDX file (magic % x, want 00 00 type dims)", name, head[:])
	}
	size := map[byte]int{0x08: 1, 0x09: 1, 0x0B: 2, 0x0C: 4, 0x0D: 4, 0x0E: 8}[head[2]]
	if size == 0 {
		return nil, fmt.Errorf("%s: IDX element type 0x%02x unknown (want 08, 09, 0B, 0C, 0D or 0E)", name, head[2])
	}
	nd := int(head[3])
	if nd < 1 {
		return nil, fmt.Errorf("%s: IDX file with %d dimensions", name, nd)
	}
	dims := make([]int, nd)
	total := 1
	for i := range dims {
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("%s: idx dimension %d: %w", name, i, err)
		}
		dims[i] = int(binary.BigEndian.Uint32(b[:]))
		if dims[i] > 0 && total > (1<<31)/dims[i] {
			return nil, fmt.Errorf("%s: IDX shape %v is too large", name, dims)
		}
		total *= dims[i]
	}
	raw := make([]byte, total*size)
	if _, err := io.ReadFull(r, raw); err != nil {
		return nil, fmt.Errorf("%s: IDX data for shape %v (%d bytes): %w", name, dims, len(raw), err)
	}
	x := make([]float32, total)
	for i := range x {
		switch head[2] {
		case 0x08:
			x[i] = float32(raw[i])
		case 0x09:
			x[i] = float32(int8(raw[i]))
		case 0x0B:
			x[i] = float32(int16(binary.BigEndian.Uint16(raw[2*i:])))
		case 0x0C:
			x[i] = float32(int32(binary.BigEndian.Uint32(raw[4*i:])))
		case 0x0D:
			x[i] = math.Float32frombits(binary.BigEndian.Uint32(raw[4*i:]))
		case 0x0E:
			x[i] = float32(math.Float64frombits(binary.BigEndian.Uint64(raw[8*i:])))
		}
	}
	d := &data.Dataset{N: dims[0], D: 1, X: x, Source: name}
	if dims[0] > 0 {
		d.D = total / dims[0]
	}
	return d, checkFinite(d)
}

// readJSONLines reads one sample per line: a JSON array of numbers (nested
// arrays are flattened).
func readJSONLines(br *bufio.Reader, name string) (*data.Dataset, error) {
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	d := &data.Dataset{Source: name}
	line := 0
	var row []float32
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var v any
		if err := json.Unmarshal(text, &v); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		row = row[:0]
		if err := flattenJSON(v, &row); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if d.N == 0 {
			d.D = len(row)
		} else if len(row) != d.D {
			return nil, fmt.Errorf("%s:%d: %d values, earlier rows have %d", name, line, len(row), d.D)
		}
		d.X = append(d.X, row...)
		d.N++
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return d, checkFinite(d)
}

func flattenJSON(v any, out *[]float32) error {
	switch x := v.(type) {
	case float64:
		*out = append(*out, float32(x))
	case []any:
		for _, e := range x {
			if err := flattenJSON(e, out); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("want an array of numbers, found %T", v)
	}
	return nil
}

// readTensorPB reads a serialised ONNX TensorProto (float32 or float64)
// whose first dimension is the sample axis.
func readTensorPB(br *bufio.Reader, name string) (*data.Dataset, error) {
	b, err := io.ReadAll(br)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	_, t, err := graph.DecodeTensor(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(t.Shape) == 0 {
		return nil, fmt.Errorf("%s: tensor is a scalar, want samples along the first dimension", name)
	}
	x, err := toFloat32(t)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	d := &data.Dataset{N: t.Shape[0], D: 1, X: x, Source: name}
	if d.N > 0 {
		d.D = len(x) / d.N
	}
	return d, checkFinite(d)
}

func checkFinite(d *data.Dataset) error {
	for i, v := range d.X {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("%s: row %d column %d is %v", d.Source, i/max(d.D, 1), i%max(d.D, 1), v)
		}
	}
	return nil
}

// toFloat32 converts a floating-point or integer tensor to float32 with
// ops.Cast (ONNX Cast semantics); bool and string tensors are refused.
func toFloat32(t *ops.Tensor) ([]float32, error) {
	if t.DType == ops.Bool {
		return nil, fmt.Errorf("element type %v is not numeric", t.DType)
	}
	dst := ops.New(ops.Float32, t.Shape...)
	if err := ops.Cast(dst, t); err != nil {
		return nil, fmt.Errorf("element type %v is not numeric: %w", t.DType, err)
	}
	return dst.F32(), nil
}

// resolveModel returns the model file for MODEL: the path itself, or
// MODEL/part when MODEL is a directory (latent train/export output).
func resolveModel(path, part string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("model: %w", err)
	}
	if st.IsDir() {
		p := filepath.Join(path, part)
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("model folder %s has no %s: %w", path, part, err)
		}
		return p, nil
	}
	return path, nil
}

// batchInput builds the model's first input from rows [from, to) of d,
// reshaping to the declared sample shape (e.g. [batch,1,28,28]) when the
// model gives one that matches the row width, and converting to the
// declared element type.
func batchInput(vi graph.ValueInfo, d *data.Dataset, from, to int) (*ops.Tensor, error) {
	shape := []int{to - from, d.D}
	if vi.HasShape && len(vi.Shape) >= 2 {
		s := []int{to - from}
		prod := 1
		known := true
		for _, dim := range vi.Shape[1:] {
			if !dim.Known() {
				known = false
				break
			}
			s = append(s, int(dim.Value))
			prod *= int(dim.Value)
		}
		if known {
			if prod != d.D {
				return nil, fmt.Errorf("%s has %d values per sample, model input %q takes %v (%d values)", d.Source, d.D, vi.Name, vi.Shape, prod)
			}
			shape = s
		}
	}
	x := d.X[from*d.D : to*d.D]
	switch vi.DType {
	case ops.Float32, ops.Invalid:
		return ops.FromFloat32(shape, x), nil
	case ops.Float64:
		y := make([]float64, len(x))
		for i, v := range x {
			y[i] = float64(v)
		}
		return ops.FromFloat64(shape, y), nil
	}
	return nil, fmt.Errorf("model input %q is %v; these commands feed float32 or float64 samples", vi.Name, vi.DType)
}

// runBatches runs sess on d in batches of at most batch rows and calls
// each with the batch's input and outputs. Progress goes to stderr.
func runBatches(ctx context.Context, sess *runtime.Session, d *data.Dataset, batch int, prog *progress,
	each func(from int, in *ops.Tensor, outs []*ops.Tensor) error) error {
	ins := sess.Inputs()
	if len(ins) != 1 {
		return fmt.Errorf("model takes %d inputs; this command feeds exactly one", len(ins))
	}
	if batch <= 0 {
		batch = d.N
	}
	for from := 0; from < d.N; from += batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		to := min(from+batch, d.N)
		in, err := batchInput(ins[0], d, from, to)
		if err != nil {
			return err
		}
		outs, err := sess.RunOrdered(ctx, []*ops.Tensor{in})
		if err != nil {
			return fmt.Errorf("rows %d–%d: %w", from, to-1, err)
		}
		if err := each(from, in, outs); err != nil {
			return err
		}
		prog.update(to)
	}
	prog.done()
	return nil
}

// outputIndex finds the named output (or the only one).
func outputIndex(sess *runtime.Session, name string) (int, error) {
	outs := sess.Outputs()
	for i, vi := range outs {
		if vi.Name == name {
			return i, nil
		}
	}
	if len(outs) == 1 {
		return 0, nil
	}
	return -1, fmt.Errorf("model has no output %q", name)
}

// output formats.
const outputFormats = "csv, jsonl, npy"

func inferOutputFormat(path, flagValue string) (string, error) {
	f := flagValue
	if f == "" {
		f = "csv"
		if path != "" && path != "-" {
			switch strings.ToLower(filepath.Ext(path)) {
			case ".npy":
				f = "npy"
			case ".jsonl", ".ndjson", ".json":
				f = "jsonl"
			}
		}
	}
	switch f {
	case "csv", "jsonl", "npy":
		return f, nil
	case "json":
		return "jsonl", nil
	}
	return "", usagef("unknown output format %q (want %s)", f, outputFormats)
}

// openOutput returns the writer for path ("" or "-": stdout) and a
// function that commits it: files are written beside and renamed into
// place, so a failed command leaves no half-written output.
func openOutput(path string, stdout io.Writer) (io.Writer, func(ok bool) error, error) {
	if path == "" || path == "-" {
		bw := bufio.NewWriterSize(stdout, 1<<16)
		return bw, func(bool) error { return bw.Flush() }, nil
	}
	f, err := atomicfile.Create(path)
	if err != nil {
		return nil, nil, fmt.Errorf("create output: %w", err)
	}
	return f, func(ok bool) error {
		if !ok {
			f.Abort()
			return nil
		}
		if err := f.Commit(); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	}, nil
}

// matrixWriter writes rows of float32 values as CSV, JSON lines or (once
// all rows are in) NPY.
type matrixWriter struct {
	w      io.Writer
	format string
	cols   int
	rows   int
	buf    []byte
	all    []float32 // npy only
}

func (m *matrixWriter) write(row []float32) error {
	if m.cols == 0 {
		m.cols = len(row)
	}
	m.rows++
	switch m.format {
	case "npy":
		m.all = append(m.all, row...)
		return nil
	case "jsonl":
		m.buf = append(m.buf[:0], '[')
		for i, v := range row {
			if i > 0 {
				m.buf = append(m.buf, ',')
			}
			m.buf = strconv.AppendFloat(m.buf, float64(v), 'g', -1, 32)
		}
		m.buf = append(m.buf, ']', '\n')
	default:
		m.buf = m.buf[:0]
		for i, v := range row {
			if i > 0 {
				m.buf = append(m.buf, ',')
			}
			m.buf = strconv.AppendFloat(m.buf, float64(v), 'g', -1, 32)
		}
		m.buf = append(m.buf, '\n')
	}
	_, err := m.w.Write(m.buf)
	return err
}

func (m *matrixWriter) finish() error {
	if m.format == "npy" {
		return data.WriteNPY(m.w, m.rows, m.cols, m.all)
	}
	return nil
}

// progress reports how many of total rows are done: a live line on a
// terminal, otherwise one slog line at the end (and every 10 s).
type progress struct {
	w     io.Writer
	live  bool
	what  string
	total int
	start time.Time
	last  time.Time
	log   *slog.Logger
}

func newProgress(stderr io.Writer, what string, total int, quiet bool) *progress {
	if quiet {
		return &progress{}
	}
	p := &progress{w: stderr, live: isTerminal(stderr), what: what, total: total, start: time.Now()}
	p.last = p.start
	if !p.live {
		p.log = slog.New(slog.NewTextHandler(stderr, nil))
	}
	return p
}

func (p *progress) update(done int) {
	if p.w == nil {
		return
	}
	now := time.Now()
	if p.live {
		if now.Sub(p.last) < 100*time.Millisecond && done < p.total {
			return
		}
		p.last = now
		const width = 24
		fill := min(width*done/max(p.total, 1), width)
		fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d rows  ", p.what, strings.Repeat("=", fill), strings.Repeat(" ", width-fill), done, p.total)
		return
	}
	if now.Sub(p.last) >= 10*time.Second {
		p.last = now
		p.log.Info(p.what, "rows", done, "of", p.total)
	}
}

func (p *progress) done() {
	if p.w == nil {
		return
	}
	el := time.Since(p.start)
	if p.live {
		fmt.Fprintf(p.w, "\r%s: %d rows in %v%s\n", p.what, p.total, el.Round(time.Millisecond), strings.Repeat(" ", 20))
		return
	}
	p.log.Info(p.what+" done", "rows", p.total, "elapsed", el.Round(time.Millisecond).String())
}

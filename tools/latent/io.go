package main

// Shared data I/O of the train, encode, decode, score and calibrate
// commands: reading samples with package data (every format it knows,
// TensorProto .pb included through data/tensorpb) from files or stdin,
// the scale check against a model's recorded training data, writing
// matrices and per-sample results as CSV, JSON lines or NPY, feeding a
// session in batches, and a progress line on terminals (slog lines
// otherwise).

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/latent-ml/latent/data"
	_ "github.com/latent-ml/latent/data/tensorpb" // .pb sample files
	"github.com/latent-ml/latent/internal/atomicfile"
	"github.com/latent-ml/latent/metadata"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
)

// readMatrix reads the samples at path ("-" or "": stdin) with the data
// package's readers: format "" infers it from the file name, else from
// the content (stdin: CSV unless it starts like NPY, IDX or gzip). Every
// command reads data through here, so one file gives the same numbers
// (and the same uint8 scaling) in train, encode, score and calibrate.
func readMatrix(path, format string, header bool, stdin io.Reader) (*data.Dataset, error) {
	return readSamples(path, format, header, 0, stdin)
}

// readSamples is readMatrix keeping the first limit samples (0: all).
func readSamples(path, format string, header bool, limit int, stdin io.Reader) (*data.Dataset, error) {
	f, err := data.ParseFormat(format)
	if err != nil {
		return nil, usageError{err}
	}
	opt := data.Options{Format: f, Header: header, Limit: limit}
	if path == "" && isTerminal(stdin) {
		// Reading a terminal would wait for rows nobody means to type.
		return nil, usagef("--data FILE is required when stdin is a terminal (or pipe the data in)")
	}
	if path == "-" || path == "" {
		return data.Read(stdin, "stdin", opt)
	}
	return data.Load(path, opt)
}

// checkScale refuses data on another scale than the latent model in sess
// was trained on (see data.Scaler.CheckScale) unless allow is set. Models
// without latent metadata, decoders (their input is a code) and models
// exported before latent recorded the training range are not checked.
func checkScale(sess *runtime.Session, d *data.Dataset, allow bool) error {
	md, err := metadata.Read(sess.Model())
	if err != nil || allow || (md.Part != metadata.PartModel && md.Part != metadata.PartEncoder) {
		return nil
	}
	if err := md.Scaler.CheckScale(d.Source, d.X, d.D, d.Units); err != nil {
		return fmt.Errorf("%w (to use the data as it is, pass --allow-scale-mismatch)", err)
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

// modelArg checks that pos holds exactly one MODEL argument and resolves
// it with resolveModel: every command that takes a model takes a .onnx
// file or a run folder (what latent train, export and demo write).
func modelArg(pos []string, part string) (string, error) {
	switch len(pos) {
	case 0:
		return "", usagef("missing MODEL argument (a .onnx file or a run folder such as runs/fashion)")
	case 1:
	default:
		return "", usagef("want one MODEL argument, got %d: %q", len(pos), pos)
	}
	return resolveModel(pos[0], part)
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
			return "", fmt.Errorf("model folder %s has no %s (latent train and latent export write one)", path, part)
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

// Package verify owns cross-checking latent's backends: it runs one model
// on the native backend and on ONNX Runtime (or any two registered
// backends) with the same inputs, given or seeded-random, and reports per
// output the largest absolute and relative errors and where they occur. It
// also reads and checks golden data sets in the ONNX backend-test layout
// (model.onnx beside test_data_set_N/input_K.pb and output_K.pb).
//
// Importing verify registers the "ort" backend (package runtime/ort).
package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
	_ "github.com/latent-ml/latent/runtime/ort" // registers "ort"
)

// Options configures Compare.
type Options struct {
	// Atol and Rtol bound |got-want| <= Atol + Rtol*|want|. Zero selects
	// DefaultAtol / DefaultRtol; negative values are an error.
	Atol, Rtol float64
	// Batch is the size given to symbolic or unknown input dimensions when
	// inputs are generated (default 1).
	Batch int
	// Seed seeds the random inputs and the backends' random operators.
	Seed uint64
	// Candidate and Reference name the backends compared (defaults
	// "native" and "ort").
	Candidate, Reference string
	// Threads bounds each backend's intra-op threads (0: backend default).
	Threads int
}

func (o *Options) normalise() error {
	if o.Atol < 0 || o.Rtol < 0 || math.IsNaN(o.Atol) || math.IsNaN(o.Rtol) {
		return fmt.Errorf("tolerances must be non-negative (atol %v, rtol %v)", o.Atol, o.Rtol)
	}
	if o.Batch < 0 {
		return fmt.Errorf("batch must be positive, got %d", o.Batch)
	}
	if o.Atol == 0 {
		o.Atol = DefaultAtol
	}
	if o.Rtol == 0 {
		o.Rtol = DefaultRtol
	}
	if o.Batch == 0 {
		o.Batch = 1
	}
	if o.Candidate == "" {
		o.Candidate = "native"
	}
	if o.Reference == "" {
		o.Reference = "ort"
	}
	return nil
}

// Report is the outcome of Compare.
type Report struct {
	Model                string
	Candidate, Reference string
	Atol, Rtol           float64
	// Inputs are the tensors both backends ran on.
	Inputs []*ops.Tensor
	// InputNames name Inputs (graph input order).
	InputNames []string
	Outputs    []OutputReport
	// Pass is true when every output is within tolerance.
	Pass bool
}

// Compare runs the model at modelPath on the candidate and reference
// backends with inputs (graph input order), or with seeded random inputs
// shaped from the model's declared inputs when inputs is nil, and compares
// every output.
func Compare(ctx context.Context, modelPath string, inputs []*ops.Tensor, opts Options) (*Report, error) {
	if err := opts.normalise(); err != nil {
		return nil, fmt.Errorf("verify %s: %w", modelPath, err)
	}
	m, err := graph.DecodeFile(modelPath)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	rep, err := CompareModel(ctx, m, inputs, opts)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", modelPath, err)
	}
	rep.Model = modelPath
	return rep, nil
}

// CompareModel is Compare for a decoded model (which must carry its
// serialised bytes in Raw for the ort backend).
func CompareModel(ctx context.Context, m *graph.Model, inputs []*ops.Tensor, opts Options) (*Report, error) {
	if err := opts.normalise(); err != nil {
		return nil, err
	}
	if m == nil || m.Graph == nil {
		return nil, errors.New("model has no graph")
	}
	var err error
	if inputs == nil {
		inputs, err = RandomInputs(m.Graph.Inputs, opts.Batch, opts.Seed)
		if err != nil {
			return nil, err
		}
	} else if err := CheckInputs(m.Graph.Inputs, inputs); err != nil {
		return nil, err
	}
	cfg := runtime.Config{IntraOpThreads: opts.Threads, Seed: opts.Seed, Optimize: true}
	got, err := RunBackend(ctx, opts.Candidate, m, cfg, inputs)
	if err != nil {
		return nil, err
	}
	want, err := RunBackend(ctx, opts.Reference, m, cfg, inputs)
	if err != nil {
		return nil, err
	}
	rep := &Report{
		Candidate: opts.Candidate, Reference: opts.Reference,
		Atol: opts.Atol, Rtol: opts.Rtol, Inputs: inputs, Pass: true,
	}
	for _, in := range m.Graph.Inputs {
		rep.InputNames = append(rep.InputNames, in.Name)
	}
	for i, o := range m.Graph.Outputs {
		r := CompareTensors(o.Name, got[i], want[i], opts.Atol, opts.Rtol)
		rep.Outputs = append(rep.Outputs, r)
		rep.Pass = rep.Pass && r.Pass
	}
	return rep, nil
}

// RunBackend compiles m on the named backend, runs it once on inputs and
// closes it. It checks that the backend returned one tensor per output.
func RunBackend(ctx context.Context, backend string, m *graph.Model, cfg runtime.Config, inputs []*ops.Tensor) ([]*ops.Tensor, error) {
	b, err := runtime.LookupBackend(backend)
	if err != nil {
		return nil, err
	}
	x, err := b.Compile(ctx, m, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s backend: %w", backend, err)
	}
	defer x.Close()
	out, err := x.Run(ctx, inputs)
	if err != nil {
		return nil, fmt.Errorf("%s backend: %w", backend, err)
	}
	if len(out) != len(m.Graph.Outputs) {
		return nil, fmt.Errorf("%s backend returned %d outputs, the model declares %d", backend, len(out), len(m.Graph.Outputs))
	}
	for i, t := range out {
		if t == nil {
			return nil, fmt.Errorf("%s backend returned no tensor for output %q", backend, m.Graph.Outputs[i].Name)
		}
	}
	return out, nil
}

// CheckInputs checks inputs against the declared graph inputs: count,
// element type, rank and fixed dimensions.
func CheckInputs(decl []graph.ValueInfo, inputs []*ops.Tensor) error {
	if len(inputs) != len(decl) {
		names := make([]string, len(decl))
		for i, d := range decl {
			names[i] = d.Name
		}
		return fmt.Errorf("got %d inputs, the model takes %d (%s)", len(inputs), len(decl), strings.Join(names, ", "))
	}
	for i, d := range decl {
		t := inputs[i]
		if t == nil {
			return fmt.Errorf("input %q is nil", d.Name)
		}
		if d.DType != ops.Invalid && t.DType != d.DType {
			return fmt.Errorf("input %q: element type %v, the model declares %v", d.Name, t.DType, d.DType)
		}
		if !d.HasShape || d.Shape == nil {
			continue
		}
		if len(t.Shape) != len(d.Shape) {
			return fmt.Errorf("input %q: shape %v has rank %d, the model declares %v", d.Name, t.Shape, len(t.Shape), d.Shape)
		}
		for k, dim := range d.Shape {
			if dim.Known() && int64(t.Shape[k]) != dim.Value {
				return fmt.Errorf("input %q: shape %v, the model declares %v (dimension %d)", d.Name, t.Shape, d.Shape, k)
			}
		}
	}
	return nil
}

// WriteTable prints the report as an aligned table, one row per output,
// followed by a PASS/FAIL line.
func (r *Report) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "model %s: %s vs %s (reference), atol %g rtol %g\n", r.Model, r.Candidate, r.Reference, r.Atol, r.Rtol)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "output\tdtype\tshape\tmax abs\tmax rel\tworst at\tgot\twant\tresult")
	for _, o := range r.Outputs {
		res := "ok"
		if !o.Pass {
			res = "FAIL"
			if o.Failures > 0 {
				res = fmt.Sprintf("FAIL (%d elements)", o.Failures)
			}
			if o.Mismatch != "" {
				res = "FAIL: " + o.Mismatch
			}
		}
		at, g, wv := "-", "-", "-"
		if o.Worst != nil {
			at = fmt.Sprint(o.Worst)
			g = fmt.Sprintf("%.7g", o.Got)
			wv = fmt.Sprintf("%.7g", o.Want)
		}
		rel := "-" // no element where the relative error decides
		if o.RelElements > 0 {
			rel = fmt.Sprintf("%.3g", o.MaxRel)
		}
		fmt.Fprintf(tw, "%s\t%v\t%v\t%.3g\t%s\t%s\t%s\t%s\t%s\n", o.Name, o.DType, o.Shape, o.MaxAbs, rel, at, g, wv, res)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	verdict := "PASS"
	if !r.Pass {
		verdict = "FAIL"
	}
	_, err := fmt.Fprintf(w, "%s: %d output(s) compared\n", verdict, len(r.Outputs))
	return err
}

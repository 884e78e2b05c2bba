package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
)

const runUsage = `usage: latent run MODEL --inputs DIR [--outputs DIR] [--backend native]

Runs an ONNX model on values stored in the ONNX backend-test layout:
DIR/input_K.pb holds the K-th graph input (K from 0, in graph order), a
serialised TensorProto, or a SequenceProto or OptionalProto for inputs the
model declares as sequences or optionals. Outputs are written as
output_K.pb in graph output order, in the same forms and named after the
outputs, when --outputs is given, and a short summary of each output is
printed.

examples:
  latent run testdata/models/dense-ae/model.onnx \
      --inputs testdata/models/dense-ae/test_data_set_0 --outputs /tmp/out
  latent run model.onnx --inputs in/ --backend ort --seed 7
  latent run model.onnx --inputs in/ --disable-pass fuse-layers   # rule one rewrite out`

func init() {
	register(&command{
		name:    "run",
		summary: "run an ONNX model on input_K.pb values, write output_K.pb",
		run:     cmdRun,
	})
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", runUsage, stderr)
	inDir := fs.String("inputs", "", "folder with input_0.pb, input_1.pb … (required)")
	outDir := fs.String("outputs", "", "folder to write output_0.pb … into (created if missing)")
	backend := fs.String("backend", runtime.NativeBackendName, "backend: "+strings.Join(runtime.BackendNames(), ", "))
	seed := fs.Uint64("seed", 0, "seed for random operators without a seed attribute")
	threads := fs.Int("threads", 0, "threads per run (0: backend default)")
	optimize := fs.Bool("optimize", true, "run graph optimisation passes")
	disable := fs.String("disable-pass", "", "comma-separated native optimiser passes to skip (latent inspect --passes lists them)")
	show := fs.Int("show", 8, "values of each output to print")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *inDir == "" {
		return usagef("--inputs DIR is required (a folder of input_0.pb, input_1.pb … such as testdata/models/dense-ae/test_data_set_0)")
	}
	modelPath, err := modelArg(pos, "model.onnx")
	if err != nil {
		return err
	}

	sess, err := runtime.Open(modelPath, runtime.WithBackend(*backend), runtime.WithSeed(*seed),
		runtime.WithThreads(*threads), runtime.WithOptimize(*optimize), runtime.WithoutPasses(splitList(*disable)...))
	if err != nil {
		return err
	}
	defer sess.Close()

	inputs, err := readInputs(*inDir, sess)
	if err != nil {
		return err
	}
	outs, err := sess.RunValuesOrdered(ctx, inputs)
	if err != nil {
		return fmt.Errorf("run %s: %w", modelPath, err)
	}
	if *outDir != "" {
		if err := writeOutputs(*outDir, sess.Outputs(), outs); err != nil {
			return err
		}
	}
	for i, vi := range sess.Outputs() {
		typ, vals := summarizeValue(outs[i], *show)
		fmt.Fprintf(stdout, "%s\t%s\t%s\n", vi.Name, typ, vals)
	}
	if *outDir != "" {
		fmt.Fprintf(stdout, "wrote %d outputs to %s\n", len(outs), *outDir)
	}
	return nil
}

// readInputs loads DIR/input_K.pb for every graph input, in order, each
// read as the value the model declares (tensor, sequence, optional), and
// any extra files for the initializers the model lets callers override.
func readInputs(dir string, sess *runtime.Session) ([]*graph.Value, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("inputs folder: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("inputs folder %s is not a directory", dir)
	}
	want := sess.Inputs()
	over := sess.Model().Graph.OverridableInits
	var ins []*graph.Value
	for k := 0; ; k++ {
		path := filepath.Join(dir, fmt.Sprintf("input_%d.pb", k))
		_, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			if k < len(want) {
				return nil, fmt.Errorf("missing input %q: %s does not exist", want[k].Name, path)
			}
			break
		}
		if k >= len(want)+len(over) {
			return nil, fmt.Errorf("%s: the model takes only %d inputs", path, len(want))
		}
		var decl graph.ValueInfo
		if k < len(want) {
			decl = want[k]
		} else {
			decl = over[k-len(want)]
		}
		v, err := graph.ReadValueFile(path, decl)
		if err != nil {
			return nil, fmt.Errorf("read input %d (%s): %w", k, decl.Name, err)
		}
		ins = append(ins, v)
	}
	if len(ins) > len(want) {
		// Pad so that every overridable initializer has a slot (nil keeps
		// the initializer).
		for len(ins) < len(want)+len(over) {
			ins = append(ins, nil)
		}
	}
	return ins, nil
}

func writeOutputs(dir string, vis []graph.ValueInfo, outs []*graph.Value) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create outputs folder: %w", err)
	}
	for i, v := range outs {
		path := filepath.Join(dir, fmt.Sprintf("output_%d.pb", i))
		if err := graph.WriteValueFile(path, vis[i].Name, v); err != nil {
			return fmt.Errorf("write output %q: %w", vis[i].Name, err)
		}
	}
	return nil
}

// summarizeValue gives a value's type and shape ("float32[3 16]",
// "sequence(2: float32[2], float32[3])", "optional(none)") and its first n
// values: a tensor's elements, a sequence's elements' values in turn.
func summarizeValue(v *graph.Value, n int) (typ, vals string) {
	switch v.Kind {
	case graph.TensorValue:
		return v.Tensor.String(), summarize(v.Tensor, n)
	case graph.SequenceValue:
		parts := make([]string, 0, min(len(v.Elems), n))
		var shapes []string
		for i, e := range v.Elems {
			if i == n {
				shapes = append(shapes, "…")
				parts = append(parts, fmt.Sprintf("… (%d elements)", len(v.Elems)))
				break
			}
			t, s := summarizeValue(e, n)
			shapes, parts = append(shapes, t), append(parts, s)
		}
		if len(v.Elems) == 0 && v.DType != ops.Invalid {
			return fmt.Sprintf("sequence(0 of %v)", v.DType), "[]"
		}
		return fmt.Sprintf("sequence(%d: %s)", len(v.Elems), strings.Join(shapes, ", ")), "[" + strings.Join(parts, " ") + "]"
	case graph.OptionalValue:
		if v.Elem == nil {
			return "optional(none)", ""
		}
		t, s := summarizeValue(v.Elem, n)
		return "optional(" + t + ")", s
	}
	return v.String(), ""
}

// summarize formats the first n values of t.
func summarize(t *ops.Tensor, n int) string {
	total := t.Len()
	if n > total {
		n = total
	}
	var b strings.Builder
	b.WriteByte('[')
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(formatElem(t, i))
	}
	if n < total {
		fmt.Fprintf(&b, " … (%d values)", total)
	}
	b.WriteByte(']')
	return b.String()
}

// formatElem formats element i by t's DType (float16, bfloat16 and uint16
// share a storage type; so do the 8-bit floats and uint8).
func formatElem(t *ops.Tensor, i int) string {
	switch d := t.Data.(type) {
	case []float32:
		return fmt.Sprintf("%.6g", d[i])
	case []float64:
		return fmt.Sprintf("%.6g", d[i])
	case []uint16:
		if t.DType == ops.Uint16 {
			return fmt.Sprint(d[i])
		}
		return fmt.Sprintf("%.4g", ops.NarrowToFloat32(t.DType, d[i]))
	case []uint8:
		if t.DType.IsNarrowFloat() {
			return fmt.Sprintf("%.4g", ops.NarrowToFloat32(t.DType, uint16(d[i])))
		}
		return fmt.Sprint(d[i])
	case []string:
		return strconv.Quote(d[i])
	case []int64, []int32, []int16, []int8, []uint64, []uint32, []bool:
		return fmt.Sprint(reflect.ValueOf(d).Index(i).Interface())
	}
	return "?"
}

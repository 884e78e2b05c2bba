package verify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
)

// RandomInputs returns one seeded random tensor per declared input.
// Symbolic or unknown dimensions take the value batch. Values are drawn per
// type: floats uniform in [-1, 1), int64/int32 in [0, 10) (small enough to
// be valid indices and counts), int8 in [-10, 10], uint8 in [0, 255], bool
// fair coin flips.
func RandomInputs(decl []graph.ValueInfo, batch int, seed uint64) ([]*ops.Tensor, error) {
	if batch <= 0 {
		batch = 1
	}
	rng := rand.New(rand.NewPCG(seed, 0x6c6174656e74)) // "latent"
	out := make([]*ops.Tensor, len(decl))
	for i, d := range decl {
		if !d.HasShape || d.Shape == nil {
			return nil, fmt.Errorf("input %q declares no shape: random inputs cannot be generated, pass inputs explicitly", d.Name)
		}
		dims := make([]int, len(d.Shape))
		for k, dim := range d.Shape {
			if dim.Known() {
				dims[k] = int(dim.Value)
			} else {
				dims[k] = batch
			}
		}
		t := &ops.Tensor{DType: d.DType, Shape: dims}
		n := ops.NumElements(dims)
		switch d.DType {
		case ops.Float32:
			s := make([]float32, n)
			for j := range s {
				s[j] = float32(2*rng.Float64() - 1)
			}
			t.Data = s
		case ops.Float64:
			s := make([]float64, n)
			for j := range s {
				s[j] = 2*rng.Float64() - 1
			}
			t.Data = s
		case ops.Float16:
			s := make([]uint16, n)
			for j := range s {
				s[j] = ops.Float32ToFloat16(float32(2*rng.Float64() - 1))
			}
			t.Data = s
		case ops.Int64:
			s := make([]int64, n)
			for j := range s {
				s[j] = rng.Int64N(10)
			}
			t.Data = s
		case ops.Int32:
			s := make([]int32, n)
			for j := range s {
				s[j] = rng.Int32N(10)
			}
			t.Data = s
		case ops.Int8:
			s := make([]int8, n)
			for j := range s {
				s[j] = int8(rng.IntN(21) - 10)
			}
			t.Data = s
		case ops.Uint8:
			s := make([]uint8, n)
			for j := range s {
				s[j] = uint8(rng.IntN(256))
			}
			t.Data = s
		case ops.Bool:
			s := make([]bool, n)
			for j := range s {
				s[j] = rng.IntN(2) == 1
			}
			t.Data = s
		default:
			return nil, fmt.Errorf("input %q has element type %s, which latent cannot generate", d.Name, graph.ElemTypeName(d.ElemTypeCode))
		}
		out[i] = t
	}
	return out, nil
}

// DataSets lists the test_data_set_N folders in dir, ordered by N.
func DataSets(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list data sets: %w", err)
	}
	type set struct {
		n    int
		path string
	}
	var sets []set
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		s, ok := strings.CutPrefix(e.Name(), "test_data_set_")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			continue
		}
		sets = append(sets, set{n, filepath.Join(dir, e.Name())})
	}
	sort.Slice(sets, func(i, j int) bool { return sets[i].n < sets[j].n })
	out := make([]string, len(sets))
	for i, s := range sets {
		out[i] = s.path
	}
	return out, nil
}

// ReadTensors reads prefix_0.pb, prefix_1.pb, … from dir until the first
// missing index ("input" or "output" in the ONNX backend-test layout). It
// errors when a later index exists after a gap.
func ReadTensors(dir, prefix string) ([]*ops.Tensor, error) {
	var out []*ops.Tensor
	for k := 0; ; k++ {
		p := filepath.Join(dir, fmt.Sprintf("%s_%d.pb", prefix, k))
		if _, err := os.Stat(p); err != nil {
			if !os.IsNotExist(err) {
				return nil, fmt.Errorf("read %s: %w", p, err)
			}
			if _, err := os.Stat(filepath.Join(dir, fmt.Sprintf("%s_%d.pb", prefix, k+1))); err == nil {
				return nil, fmt.Errorf("%s is missing but %s_%d.pb exists", p, prefix, k+1)
			}
			return out, nil
		}
		_, t, err := graph.ReadTensorFile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
}

// WriteDataSet writes inputs and outputs as input_K.pb / output_K.pb into
// dir (created if needed), naming each tensor after its graph value.
func WriteDataSet(dir string, inNames []string, inputs []*ops.Tensor, outNames []string, outputs []*ops.Tensor) error {
	if len(inNames) != len(inputs) || len(outNames) != len(outputs) {
		return fmt.Errorf("write data set %s: %d input names for %d inputs, %d output names for %d outputs", dir, len(inNames), len(inputs), len(outNames), len(outputs))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write data set: %w", err)
	}
	for k, t := range inputs {
		if err := graph.WriteTensorFile(filepath.Join(dir, fmt.Sprintf("input_%d.pb", k)), inNames[k], t); err != nil {
			return err
		}
	}
	for k, t := range outputs {
		if err := graph.WriteTensorFile(filepath.Join(dir, fmt.Sprintf("output_%d.pb", k)), outNames[k], t); err != nil {
			return err
		}
	}
	return nil
}

// ToleranceFile is the optional file beside a golden model.onnx that
// loosens its comparison bounds; docs/tolerance.md says when that is
// justified. Its JSON form is {"atol": 1e-4, "rtol": 1e-3, "reason": "…"}.
const ToleranceFile = "tolerance.json"

// Tolerance is a golden model's comparison bounds.
type Tolerance struct {
	Atol   float64 `json:"atol"`
	Rtol   float64 `json:"rtol"`
	Reason string  `json:"reason"`
}

// LoadTolerance reads dir/tolerance.json, or returns the defaults when the
// file does not exist. Loosened bounds must give a reason.
func LoadTolerance(dir string) (Tolerance, error) {
	tol := Tolerance{Atol: DefaultAtol, Rtol: DefaultRtol}
	p := filepath.Join(dir, ToleranceFile)
	b, err := os.ReadFile(p)
	if os.IsNotExist(err) {
		return tol, nil
	}
	if err != nil {
		return tol, fmt.Errorf("read tolerance: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&tol); err != nil {
		return tol, fmt.Errorf("decode %s: %w", p, err)
	}
	if tol.Atol < 0 || tol.Rtol < 0 {
		return tol, fmt.Errorf("%s: negative tolerance (atol %g, rtol %g)", p, tol.Atol, tol.Rtol)
	}
	if strings.TrimSpace(tol.Reason) == "" {
		return tol, fmt.Errorf("%s: loosened tolerances need a reason (see docs/tolerance.md)", p)
	}
	return tol, nil
}

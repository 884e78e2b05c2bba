package serve

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
)

// The checks of an inference request that both protocols share: which
// input a tensor feeds, its datatype and shape, that every input is given
// once, which outputs are wanted.

// inputHeader checks one request tensor's header against m: it names an
// input not given before (ins holds those given so far, in graph order),
// its datatype is the input's and its shape is sane. It returns the
// input's index, element type and element count.
func inputHeader(m *model, ins []*ops.Tensor, name, datatype string, shape []int64) (int, ops.DType, int, error) {
	idx := m.inputIndex(name)
	if idx < 0 {
		return 0, 0, 0, errorf(http.StatusBadRequest, "model %q has no input %q (inputs: %s)", m.name, name, inputList(m))
	}
	if ins[idx] != nil {
		return 0, 0, 0, errorf(http.StatusBadRequest, "input %q given twice", name)
	}
	what := fmt.Sprintf("input %q", name)
	dt, ok := dtypeOf(datatype)
	if !ok {
		return 0, 0, 0, errorf(http.StatusBadRequest, "%s: datatype %q is not supported (want one of %s)", what, datatype, supportedNames())
	}
	// The data package's rule: a latent model's uint8 input is pixel
	// bytes, divided by 255 into the float32 intensities it takes
	// (prepareInputs converts them).
	fromBytes := m.scaler != nil && dt == ops.Uint8 && m.inputs[idx].DType == ops.Float32
	if want := m.inputs[idx].DType; want != ops.Invalid && want != dt && !fromBytes {
		return 0, 0, 0, errorf(http.StatusBadRequest, "%s: expected datatype %s, got %s", what, DatatypeName(want), datatype)
	}
	n, err := elemCount(what, shape)
	if err != nil {
		return 0, 0, 0, errorf(http.StatusBadRequest, "%v", err)
	}
	return idx, dt, n, nil
}

// checkTensorParams refuses tensor parameters that would change what the
// request means but latent does not implement.
func checkTensorParams(what string, keys []string) error {
	sort.Strings(keys)
	for _, k := range keys {
		if strings.HasPrefix(k, "shared_memory_") {
			return errorf(http.StatusBadRequest, "%s: parameter %q: shared memory is not supported (send the data in the request)", what, k)
		}
	}
	return nil
}

// allInputs checks that the request gave every input of m.
func allInputs(m *model, ins []*ops.Tensor) error {
	for i, t := range ins {
		if t == nil {
			return errorf(http.StatusBadRequest, "missing input %q (model %q takes %s)", m.inputs[i].Name, m.name, inputList(m))
		}
	}
	return nil
}

// prepareInputs applies the data package's uint8 rule to decoded inputs
// (UINT8 bytes for a latent model's FP32 data input become bytes/255) and
// checks the data input's scale. It returns the scale warning, or "".
func (s *Server) prepareInputs(m *model, ins []*ops.Tensor) string {
	units := data.AsStored
	for i, t := range ins {
		if m.scaler != nil && t.DType == ops.Uint8 && m.inputs[i].DType == ops.Float32 {
			x := make([]float32, t.Len())
			data.BytesToUnit(x, t.Data.([]uint8))
			ins[i] = &ops.Tensor{DType: ops.Float32, Shape: t.Shape, Data: x}
			units = data.BytesOver255
		}
	}
	return s.checkScale(m, units, ins)
}

// scaleLogEvery is the least time between two logged scale warnings of
// one model.
const scaleLogEvery = time.Minute

// checkScale checks a latent model's data input against the scale of its
// training data (data.Scaler.CheckScale) and returns the warning, or "".
// The server answers such requests all the same: a check over one
// request must not drop live traffic, and the CLI, which sees whole files,
// is where mismatches are refused. The warning goes into the response's
// "scale_warning" parameter, the latent_input_scale_warnings_total counter
// and, at most once a minute per model, the log.
func (s *Server) checkScale(m *model, units data.Units, ins []*ops.Tensor) string {
	if m.scaler == nil || len(ins) != 1 || ins[0].DType != ops.Float32 || len(ins[0].Shape) == 0 || ins[0].Shape[0] == 0 {
		return ""
	}
	in := ins[0]
	err := m.scaler.CheckScale("input \""+m.inputs[0].Name+"\"", in.F32(), in.Len()/in.Shape[0], units)
	if err == nil {
		return ""
	}
	s.metrics.scaleWarnings.WithLabelValues(m.name).Inc()
	now := time.Now().UnixNano()
	if last := m.lastScaleLog.Load(); now-last >= int64(scaleLogEvery) && m.lastScaleLog.CompareAndSwap(last, now) {
		s.log.Warn("input on another scale than the training data", "model", m.name, "err", err)
	}
	return err.Error()
}

func inputList(m *model) string {
	var s []string
	for _, vi := range m.inputs {
		s = append(s, fmt.Sprintf("%q", vi.Name))
	}
	return strings.Join(s, ", ")
}

// outputIndexOf returns the index of m's output name.
func outputIndexOf(m *model, name string) (int, error) {
	idx := m.outputIndex(name)
	if idx < 0 {
		var names []string
		for _, vi := range m.outputs {
			names = append(names, fmt.Sprintf("%q", vi.Name))
		}
		return 0, errorf(http.StatusBadRequest, "model %q has no output %q (outputs: %s)", m.name, name, strings.Join(names, ", "))
	}
	return idx, nil
}

func tensorOf(dt ops.DType, shape []int64, data any) *ops.Tensor {
	s := make([]int, len(shape))
	for i, d := range shape {
		s[i] = int(d)
	}
	return &ops.Tensor{DType: dt, Shape: s, Data: data}
}

func shape64(s []int) []int64 {
	out := make([]int64, len(s))
	for i, d := range s {
		out[i] = int64(d)
	}
	return out
}

func metaOf(vi graph.ValueInfo) tensorMeta {
	tm := tensorMeta{Name: vi.Name, Datatype: DatatypeName(vi.DType), Shape: []int64{}}
	if tm.Datatype == "" {
		tm.Datatype = "FP32"
	}
	for _, d := range vi.Shape {
		if d.Known() {
			tm.Shape = append(tm.Shape, d.Value)
		} else {
			tm.Shape = append(tm.Shape, -1)
		}
	}
	return tm
}

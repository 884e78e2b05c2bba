package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/ops"
)

// headerLength is the binary tensor data extension's header: the length
// of the JSON part of a request or response body followed by raw tensors.
const headerLength = "Inference-Header-Content-Length"

type inferRequest struct {
	ID         string            `json:"id,omitempty"`
	Parameters map[string]any    `json:"parameters,omitempty"`
	Inputs     []requestTensor   `json:"inputs"`
	Outputs    []requestedOutput `json:"outputs,omitempty"`
	// units is how the data input's values were produced (UINT8 inputs of
	// latent models are divided by 255).
	units data.Units
}

type requestTensor struct {
	Name       string          `json:"name"`
	Shape      []int64         `json:"shape"`
	Datatype   string          `json:"datatype"`
	Parameters map[string]any  `json:"parameters,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
}

type requestedOutput struct {
	Name       string         `json:"name"`
	Parameters map[string]any `json:"parameters,omitempty"`
}

type responseTensor struct {
	Name       string          `json:"name"`
	Datatype   string          `json:"datatype"`
	Shape      []int64         `json:"shape"`
	Parameters map[string]any  `json:"parameters,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
}

type inferResponse struct {
	ModelName    string           `json:"model_name"`
	ModelVersion string           `json:"model_version,omitempty"`
	ID           string           `json:"id,omitempty"`
	Parameters   map[string]any   `json:"parameters,omitempty"`
	Outputs      []responseTensor `json:"outputs"`
}

func boolParam(p map[string]any, key string) (bool, error) {
	v, ok := p[key]
	if !ok {
		return false, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("parameter %q is %v, want true or false", key, v)
	}
	return b, nil
}

// readRequest reads and decodes an infer request and its inputs (in the
// model's input order).
func (s *Server) readRequest(w http.ResponseWriter, r *http.Request, m *model) (*inferRequest, []*ops.Tensor, error) {
	if enc := r.Header.Get("Content-Encoding"); enc != "" && enc != "identity" {
		return nil, nil, errorf(http.StatusBadRequest, "Content-Encoding %q is not supported (send the body uncompressed)", enc)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxRequestBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, nil, errorf(http.StatusRequestEntityTooLarge, "request body exceeds %d bytes", s.cfg.MaxRequestBytes)
		}
		return nil, nil, errorf(http.StatusBadRequest, "read request body: %v", err)
	}
	jsonPart, bin := body, []byte(nil)
	if h := r.Header.Get(headerLength); h != "" {
		n, err := strconv.Atoi(h)
		if err != nil || n < 0 || n > len(body) {
			return nil, nil, errorf(http.StatusBadRequest, "%s is %q, want a length within the %d-byte body", headerLength, h, len(body))
		}
		jsonPart, bin = body[:n], body[n:]
	}
	var req inferRequest
	dec := json.NewDecoder(bytes.NewReader(jsonPart))
	if err := dec.Decode(&req); err != nil {
		return nil, nil, errorf(http.StatusBadRequest, "decode request JSON: %v", err)
	}
	if len(req.Inputs) == 0 {
		return nil, nil, errorf(http.StatusBadRequest, "request has no inputs (model %q takes %s)", m.name, inputList(m))
	}
	ins := make([]*ops.Tensor, len(m.inputs))
	for _, rt := range req.Inputs {
		idx := -1
		for i, vi := range m.inputs {
			if vi.Name == rt.Name {
				idx = i
			}
		}
		if idx < 0 {
			return nil, nil, errorf(http.StatusBadRequest, "model %q has no input %q (inputs: %s)", m.name, rt.Name, inputList(m))
		}
		if ins[idx] != nil {
			return nil, nil, errorf(http.StatusBadRequest, "input %q given twice", rt.Name)
		}
		what := fmt.Sprintf("input %q", rt.Name)
		dt, ok := dtypeOf(rt.Datatype)
		if !ok {
			return nil, nil, errorf(http.StatusBadRequest, "%s: datatype %q is not supported (want one of %s)", what, rt.Datatype, supportedNames())
		}
		// The data package's rule: a latent model's uint8 input is pixel
		// bytes, divided by 255 into the float32 intensities it takes.
		fromBytes := m.scaler != nil && dt == ops.Uint8 && m.inputs[idx].DType == ops.Float32
		if want := m.inputs[idx].DType; want != ops.Invalid && want != dt && !fromBytes {
			return nil, nil, errorf(http.StatusBadRequest, "%s: expected datatype %s, got %s", what, DatatypeName(want), rt.Datatype)
		}
		if rt.Shape == nil {
			return nil, nil, errorf(http.StatusBadRequest, "%s: shape missing", what)
		}
		n, err := elemCount(what, rt.Shape)
		if err != nil {
			return nil, nil, errorf(http.StatusBadRequest, "%v", err)
		}
		var vals any
		if size, ok := rt.Parameters["binary_data_size"]; ok {
			f, isNum := size.(float64)
			if !isNum || f < 0 || f != math.Trunc(f) || int(f) > len(bin) {
				return nil, nil, errorf(http.StatusBadRequest, "%s: binary_data_size %v does not fit the %d binary bytes left", what, size, len(bin))
			}
			if len(rt.Data) > 0 {
				return nil, nil, errorf(http.StatusBadRequest, "%s: both data and binary_data_size given", what)
			}
			vals, err = fromBinary(what, bin[:int(f)], dt, n)
			bin = bin[int(f):]
		} else {
			if len(rt.Data) == 0 {
				return nil, nil, errorf(http.StatusBadRequest, "%s: no data (give \"data\" or parameters.binary_data_size)", what)
			}
			vals, err = parseData(what, rt.Data, dt, n)
		}
		if err != nil {
			return nil, nil, errorf(http.StatusBadRequest, "%v", err)
		}
		shape := make([]int, len(rt.Shape))
		for i, d := range rt.Shape {
			shape[i] = int(d)
		}
		ins[idx] = &ops.Tensor{DType: dt, Shape: shape, Data: vals}
		if fromBytes {
			x := make([]float32, n)
			data.BytesToUnit(x, vals.([]uint8))
			ins[idx] = &ops.Tensor{DType: ops.Float32, Shape: shape, Data: x}
			req.units = data.BytesOver255
		}
	}
	if len(bin) > 0 {
		return nil, nil, errorf(http.StatusBadRequest, "%d bytes of binary data are not claimed by any input's binary_data_size", len(bin))
	}
	for i, t := range ins {
		if t == nil {
			return nil, nil, errorf(http.StatusBadRequest, "missing input %q (model %q takes %s)", m.inputs[i].Name, m.name, inputList(m))
		}
	}
	return &req, ins, nil
}

func inputList(m *model) string {
	var s []string
	for _, vi := range m.inputs {
		s = append(s, fmt.Sprintf("%q", vi.Name))
	}
	return strings.Join(s, ", ")
}

func (s *Server) infer(w http.ResponseWriter, r *http.Request, m *model) error {
	req, ins, err := s.readRequest(w, r, m)
	if err != nil {
		return err
	}
	warning := s.checkScale(m, req, ins)
	allBinary, err := boolParam(req.Parameters, "binary_data_output")
	if err != nil {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	// Which outputs, and which of them in binary.
	type pick struct {
		idx    int
		binary bool
	}
	var picks []pick
	if len(req.Outputs) == 0 {
		for i := range m.outputs {
			picks = append(picks, pick{i, allBinary})
		}
	}
	for _, ro := range req.Outputs {
		idx := -1
		for i, vi := range m.outputs {
			if vi.Name == ro.Name {
				idx = i
			}
		}
		if idx < 0 {
			var names []string
			for _, vi := range m.outputs {
				names = append(names, fmt.Sprintf("%q", vi.Name))
			}
			return errorf(http.StatusBadRequest, "model %q has no output %q (outputs: %s)", m.name, ro.Name, strings.Join(names, ", "))
		}
		b, err := boolParam(ro.Parameters, "binary_data")
		if err != nil {
			return errorf(http.StatusBadRequest, "output %q: %v", ro.Name, err)
		}
		if _, set := ro.Parameters["binary_data"]; !set {
			b = allBinary
		}
		picks = append(picks, pick{idx, b})
	}
	outs, err := s.run(r.Context(), m, ins)
	if err != nil {
		return err
	}
	resp := inferResponse{ModelName: m.name, ModelVersion: "1", ID: req.ID}
	if warning != "" {
		resp.Parameters = map[string]any{"scale_warning": warning}
	}
	var bin []byte
	for _, p := range picks {
		t := outs[p.idx]
		rt := responseTensor{Name: m.outputs[p.idx].Name, Datatype: DatatypeName(t.DType), Shape: make([]int64, len(t.Shape))}
		for i, d := range t.Shape {
			rt.Shape[i] = int64(d)
		}
		if rt.Datatype == "" {
			return errorf(http.StatusInternalServerError, "output %q has element type %v, which the protocol cannot carry", rt.Name, t.DType)
		}
		if p.binary {
			before := len(bin)
			bin = appendBinary(bin, t)
			rt.Parameters = map[string]any{"binary_data_size": len(bin) - before}
		} else {
			d, err := appendData(nil, t)
			if err != nil {
				// The run succeeded but its result has no JSON form (NaN or
				// ±Inf): the request must ask for binary output instead.
				return errorf(http.StatusBadRequest, "output %q: %v", rt.Name, err)
			}
			rt.Data = d
		}
		resp.Outputs = append(resp.Outputs, rt)
	}
	return writeResponse(w, resp, bin)
}

func writeResponse(w http.ResponseWriter, resp any, bin []byte) error {
	js, err := json.Marshal(resp)
	if err != nil {
		return errorf(http.StatusInternalServerError, "encode response: %v", err)
	}
	h := w.Header()
	if len(bin) > 0 {
		h.Set("Content-Type", "application/octet-stream")
		h.Set(headerLength, strconv.Itoa(len(js)))
	} else {
		h.Set("Content-Type", "application/json")
	}
	h.Set("Content-Length", strconv.Itoa(len(js)+len(bin)))
	w.WriteHeader(http.StatusOK)
	w.Write(js)
	w.Write(bin)
	return nil
}

// score answers POST /v2/models/{name}/score: the infer request format for
// the model's input; the response holds the per-sample "score" (FP64) and
// "anomaly" (BOOL: score > threshold) tensors. The threshold comes from
// ?threshold= or the model's latent.threshold; ?elbo=true scores VAEs by
// their negative ELBO instead of the reconstruction error.
func (s *Server) score(w http.ResponseWriter, r *http.Request, m *model) error {
	q := r.URL.Query()
	thr := m.threshold
	if v := q.Get("threshold"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return errorf(http.StatusBadRequest, "threshold %q is not a finite number", v)
		}
		thr = &f
	}
	elbo := false
	if v := q.Get("elbo"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errorf(http.StatusBadRequest, "elbo %q is not true or false", v)
		}
		elbo = b
	}
	if thr == nil {
		return errorf(http.StatusBadRequest, "model %q has no latent.threshold: calibrate it (latent calibrate) or pass ?threshold=", m.name)
	}
	plan, err := scorePlanOf(m, elbo)
	if err != nil {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	req, ins, err := s.readRequest(w, r, m)
	if err != nil {
		return err
	}
	warning := s.checkScale(m, req, ins)
	outs, err := s.run(r.Context(), m, ins)
	if err != nil {
		return err
	}
	scores, err := plan.scores(ins[0], outs)
	if err != nil {
		return errorf(http.StatusBadRequest, "model %q: %v", m.name, err)
	}
	flags := make([]bool, len(scores))
	for i, v := range scores {
		flags[i] = v > *thr
	}
	st := ops.FromFloat64([]int{len(scores)}, scores)
	ft := ops.FromBool([]int{len(flags)}, flags)
	resp := inferResponse{ModelName: m.name, ModelVersion: "1", ID: req.ID, Parameters: map[string]any{"threshold": *thr, "score": plan.kind}}
	if warning != "" {
		resp.Parameters["scale_warning"] = warning
	}
	for _, o := range []struct {
		name string
		t    *ops.Tensor
	}{{"score", st}, {"anomaly", ft}} {
		d, err := appendData(nil, o.t)
		if err != nil {
			return errorf(http.StatusInternalServerError, "score: %v", err)
		}
		resp.Outputs = append(resp.Outputs, responseTensor{Name: o.name, Datatype: DatatypeName(o.t.DType), Shape: []int64{int64(o.t.Shape[0])}, Data: d})
	}
	return writeResponse(w, resp, nil)
}

// scorePlan says which outputs of an autoencoder a score is computed from.
type scorePlan struct {
	kind            string // "reconstruction_error" or "negative_elbo"
	rec, mu, logvar int
}

// scorePlanOf finds the reconstruction (output "reconstruction", else the
// only output) and, for elbo, the "mu" and "logvar" outputs.
func scorePlanOf(m *model, elbo bool) (*scorePlan, error) {
	if len(m.inputs) != 1 {
		return nil, fmt.Errorf("model %q has %d inputs; scoring needs an autoencoder with one input", m.name, len(m.inputs))
	}
	find := func(name string) int {
		for i, vi := range m.outputs {
			if vi.Name == name {
				return i
			}
		}
		return -1
	}
	p := &scorePlan{kind: "reconstruction_error", rec: find("reconstruction"), mu: -1, logvar: -1}
	if p.rec < 0 {
		if len(m.outputs) != 1 {
			return nil, fmt.Errorf("model %q has no output named \"reconstruction\" to score", m.name)
		}
		p.rec = 0
	}
	if elbo {
		p.kind, p.mu, p.logvar = "negative_elbo", find("mu"), find("logvar")
		if p.mu < 0 || p.logvar < 0 {
			return nil, fmt.Errorf("model %q has no \"mu\" and \"logvar\" outputs: the ELBO needs a VAE", m.name)
		}
	}
	return p, nil
}

func (p *scorePlan) scores(in *ops.Tensor, outs []*ops.Tensor) ([]float64, error) {
	if p.mu >= 0 {
		return NegativeELBO(in, outs[p.rec], outs[p.mu], outs[p.logvar])
	}
	return ReconstructionError(in, outs[p.rec])
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
func (s *Server) checkScale(m *model, req *inferRequest, ins []*ops.Tensor) string {
	if m.scaler == nil || len(ins) != 1 || ins[0].DType != ops.Float32 || len(ins[0].Shape) == 0 || ins[0].Shape[0] == 0 {
		return ""
	}
	in := ins[0]
	err := m.scaler.CheckScale("input \""+m.inputs[0].Name+"\"", in.F32(), in.Len()/in.Shape[0], req.units)
	if err == nil {
		return ""
	}
	s.scaleWarnings.WithLabelValues(m.name).Inc()
	now := time.Now().UnixNano()
	if last := m.lastScaleLog.Load(); now-last >= int64(scaleLogEvery) && m.lastScaleLog.CompareAndSwap(last, now) {
		s.log.Warn("input on another scale than the training data", "model", m.name, "err", err)
	}
	return err.Error()
}

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
		what := fmt.Sprintf("input %q", rt.Name)
		if err := checkTensorParams(what, keysOf(rt.Parameters)); err != nil {
			return nil, nil, err
		}
		if rt.Shape == nil && m.inputIndex(rt.Name) >= 0 {
			return nil, nil, errorf(http.StatusBadRequest, "%s: shape missing", what)
		}
		idx, dt, n, err := inputHeader(m, ins, rt.Name, rt.Datatype, rt.Shape)
		if err != nil {
			return nil, nil, err
		}
		var data any
		if size, ok := rt.Parameters["binary_data_size"]; ok {
			f, isNum := size.(float64)
			if !isNum || f < 0 || f != math.Trunc(f) || int(f) > len(bin) {
				return nil, nil, errorf(http.StatusBadRequest, "%s: binary_data_size %v does not fit the %d binary bytes left", what, size, len(bin))
			}
			if len(rt.Data) > 0 {
				return nil, nil, errorf(http.StatusBadRequest, "%s: both data and binary_data_size given", what)
			}
			data, err = fromBinary(what, bin[:int(f)], dt, n)
			bin = bin[int(f):]
		} else {
			if len(rt.Data) == 0 {
				return nil, nil, errorf(http.StatusBadRequest, "%s: no data (give \"data\" or parameters.binary_data_size)", what)
			}
			data, err = parseData(what, rt.Data, dt, n)
		}
		if err != nil {
			return nil, nil, errorf(http.StatusBadRequest, "%v", err)
		}
		ins[idx] = tensorOf(dt, rt.Shape, data)
	}
	if len(bin) > 0 {
		return nil, nil, errorf(http.StatusBadRequest, "%d bytes of binary data are not claimed by any input's binary_data_size", len(bin))
	}
	if err := allInputs(m, ins); err != nil {
		return nil, nil, err
	}
	return &req, ins, nil
}

func keysOf[V any](p map[string]V) []string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	return keys
}

func (s *Server) infer(w http.ResponseWriter, r *http.Request, m *model) (err error) {
	tr := m.trace()
	defer func() { tr.finish(err) }()
	req, ins, err := s.readRequest(w, r, m)
	if err != nil {
		return err
	}
	warning := s.prepareInputs(m, ins)
	tr.inputsDecoded()
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
		idx, err := outputIndexOf(m, ro.Name)
		if err != nil {
			return err
		}
		what := fmt.Sprintf("output %q", ro.Name)
		if err := checkTensorParams(what, keysOf(ro.Parameters)); err != nil {
			return err
		}
		b, err := boolParam(ro.Parameters, "binary_data")
		if err != nil {
			return errorf(http.StatusBadRequest, "%s: %v", what, err)
		}
		if _, set := ro.Parameters["binary_data"]; !set {
			b = allBinary
		}
		picks = append(picks, pick{idx, b})
	}
	outs, ri, err := s.run(r.Context(), m, ins)
	if err != nil {
		return err
	}
	tr.modelRan(ri, m.samples(ins))
	resp := inferResponse{ModelName: m.name, ModelVersion: m.version, ID: req.ID}
	if warning != "" {
		resp.Parameters = map[string]any{"scale_warning": warning}
	}
	var bin []byte
	for _, p := range picks {
		t := outs[p.idx]
		rt := responseTensor{Name: m.outputs[p.idx].Name, Datatype: DatatypeName(t.DType), Shape: shape64(t.Shape)}
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

func writeResponse(w http.ResponseWriter, resp inferResponse, bin []byte) error {
	js, err := resp.appendJSON(nil)
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

// appendJSON encodes r as json.Marshal would, but copies the tensors'
// data (already valid JSON, written by appendData) as it is instead of
// scanning and compacting it again: for large tensors that second pass
// cost as much as writing the numbers.
func (r inferResponse) appendJSON(b []byte) ([]byte, error) {
	str := func(key, v string) {
		b = append(b, '"')
		b = append(b, key...)
		b = append(b, '"', ':')
		q, _ := json.Marshal(v)
		b = append(b, q...)
	}
	obj := func(key string, v any) error {
		q, err := json.Marshal(v)
		b = append(b, ',', '"')
		b = append(b, key...)
		b = append(b, '"', ':')
		b = append(b, q...)
		return err
	}
	b = append(b, '{')
	str("model_name", r.ModelName)
	if r.ModelVersion != "" {
		b = append(b, ',')
		str("model_version", r.ModelVersion)
	}
	if r.ID != "" {
		b = append(b, ',')
		str("id", r.ID)
	}
	if len(r.Parameters) > 0 {
		if err := obj("parameters", r.Parameters); err != nil {
			return nil, err
		}
	}
	b = append(b, `,"outputs":[`...)
	for i, o := range r.Outputs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		str("name", o.Name)
		b = append(b, ',')
		str("datatype", o.Datatype)
		if err := obj("shape", o.Shape); err != nil {
			return nil, err
		}
		if len(o.Parameters) > 0 {
			if err := obj("parameters", o.Parameters); err != nil {
				return nil, err
			}
		}
		if len(o.Data) > 0 {
			b = append(b, `,"data":`...)
			b = append(b, o.Data...)
		}
		b = append(b, '}')
	}
	return append(b, ']', '}'), nil
}

// score answers POST /v2/models/{name}/score: the infer request format for
// the model's input; the response holds the per-sample "score" (FP64) and
// "anomaly" (BOOL: score > threshold) tensors. The threshold comes from
// ?threshold= or the model's latent.threshold; ?elbo=true scores VAEs by
// their negative ELBO instead of the reconstruction error.
func (s *Server) score(w http.ResponseWriter, r *http.Request, m *model) (err error) {
	tr := m.trace()
	defer func() { tr.finish(err) }()
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
	warning := s.prepareInputs(m, ins)
	tr.inputsDecoded()
	outs, ri, err := s.run(r.Context(), m, ins)
	if err != nil {
		return err
	}
	tr.modelRan(ri, m.samples(ins))
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
	resp := inferResponse{ModelName: m.name, ModelVersion: m.version, ID: req.ID, Parameters: map[string]any{"threshold": *thr, "score": plan.kind}}
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

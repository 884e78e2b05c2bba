package serve

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"
)

// statusRecorder captures the status code for metrics.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(c int) {
	if r.code == 0 {
		r.code = c
	}
	r.ResponseWriter.WriteHeader(c)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// handle wraps a REST endpoint: the model named in the path (held for the
// request, so an unload or reload waits for it), metrics, panics turned
// into 500s, JSON errors.
func (s *Server) handle(endpoint string, h func(w http.ResponseWriter, r *http.Request, m *model) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		label := ""
		err := func() (err error) {
			defer func() {
				if p := recover(); p != nil {
					s.log.Error("panic in handler", "endpoint", endpoint, "panic", p, "stack", string(debug.Stack()))
					err = errorf(http.StatusInternalServerError, "internal error: %v", p)
				}
			}()
			var m *model
			if name := r.PathValue("model"); name != "" && s.repo.known(name) {
				label = name // a repository call
			}
			if name := r.PathValue("name"); name != "" {
				if s.repo.known(name) {
					label = name
				}
				m, err = s.repo.get(name, r.PathValue("version"))
				if err != nil {
					return err
				}
				defer m.release()
			}
			return h(rec, r, m)
		}()
		if err != nil {
			code := statusOf(err)
			if code >= 500 {
				s.log.Error("request failed", "endpoint", endpoint, "model", label, "status", code, "err", err)
			}
			writeJSON(rec, code, map[string]string{"error": err.Error()})
		}
		code := rec.code
		if code == 0 {
			code = http.StatusOK
		}
		s.metrics.observe(label, endpoint, "http", strconv.Itoa(code), code >= 400, time.Since(start))
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		b = []byte(`{"error":"encode response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(code)
	w.Write(b)
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.reg.Handler())
	mux.HandleFunc("GET /v2", s.handle("server_metadata", s.serverMetadata))
	mux.HandleFunc("GET /v2/{$}", s.handle("server_metadata", s.serverMetadata))
	mux.HandleFunc("GET /v2/health/live", s.handle("live", func(w http.ResponseWriter, r *http.Request, _ *model) error {
		writeJSON(w, http.StatusOK, map[string]bool{"live": true})
		return nil
	}))
	mux.HandleFunc("GET /v2/health/ready", s.handle("ready", func(w http.ResponseWriter, r *http.Request, _ *model) error {
		if !s.ready.Load() {
			writeJSON(w, http.StatusServiceUnavailable, map[string]bool{"ready": false})
			return nil
		}
		writeJSON(w, http.StatusOK, map[string]bool{"ready": true})
		return nil
	}))
	for _, prefix := range []string{"/v2/models/{name}", "/v2/models/{name}/versions/{version}"} {
		mux.HandleFunc("GET "+prefix, s.handle("model_metadata", s.modelMetadata))
		mux.HandleFunc("GET "+prefix+"/ready", s.handle("model_ready", s.modelReady))
		mux.HandleFunc("POST "+prefix+"/infer", s.handle("infer", s.infer))
		mux.HandleFunc("POST "+prefix+"/score", s.handle("score", s.score))
		mux.HandleFunc("GET "+prefix+"/stats", s.handle("statistics", s.modelStatistics))
	}
	mux.HandleFunc("GET /v2/models/stats", s.handle("statistics", s.modelStatistics))
	mux.HandleFunc("POST /v2/repository/index", s.handle("repository_index", s.repositoryIndex))
	mux.HandleFunc("POST /v2/repository/models/{model}/load", s.handle("repository_load", s.repositoryLoad))
	mux.HandleFunc("POST /v2/repository/models/{model}/unload", s.handle("repository_unload", s.repositoryUnload))
	mux.HandleFunc("/", s.handle("unknown", func(w http.ResponseWriter, r *http.Request, _ *model) error {
		return errorf(http.StatusNotFound, "no endpoint %s %s", r.Method, r.URL.Path)
	}))
	return mux
}

func (s *Server) serverMetadata(w http.ResponseWriter, r *http.Request, _ *model) error {
	writeJSON(w, http.StatusOK, map[string]any{"name": "latent", "version": Version(), "extensions": extensions})
	return nil
}

type tensorMeta struct {
	Name     string  `json:"name"`
	Datatype string  `json:"datatype"`
	Shape    []int64 `json:"shape"`
}

type modelMeta struct {
	Name       string         `json:"name"`
	Versions   []string       `json:"versions"`
	Platform   string         `json:"platform"`
	Inputs     []tensorMeta   `json:"inputs"`
	Outputs    []tensorMeta   `json:"outputs"`
	Parameters map[string]any `json:"parameters"`
}

// metadata describes m: its tensors (shape -1 for a symbolic dimension)
// and, as parameters, its backend and latent metadata.
func (m *model) metadata() modelMeta {
	md := modelMeta{Name: m.name, Versions: []string{m.version}, Platform: "onnx_onnxv1", Inputs: []tensorMeta{}, Outputs: []tensorMeta{}}
	for _, vi := range m.inputs {
		md.Inputs = append(md.Inputs, metaOf(vi))
	}
	for _, vi := range m.outputs {
		md.Outputs = append(md.Outputs, metaOf(vi))
	}
	md.Parameters = map[string]any{"backend": m.sess.Backend()}
	if m.threshold != nil {
		md.Parameters["threshold"] = *m.threshold
	}
	if m.latent {
		md.Parameters["kind"] = m.kind
	}
	if m.scaler != nil && m.scaler.Range != nil {
		// What a client must send: values on the training data's scale.
		md.Parameters["input_units"] = string(m.scaler.Units)
		md.Parameters["input_range"] = m.scaler.Range
	}
	return md
}

func (s *Server) modelMetadata(w http.ResponseWriter, r *http.Request, m *model) error {
	writeJSON(w, http.StatusOK, m.metadata())
	return nil
}

func (s *Server) modelReady(w http.ResponseWriter, r *http.Request, m *model) error {
	code := http.StatusOK
	if !s.ready.Load() {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, map[string]any{"name": m.name, "ready": code == http.StatusOK})
	return nil
}

// statistics returns the statistics of model name (all loaded models if
// name is ""), held by the caller's m when it has one.
func (s *Server) statistics(m *model) statsJSON {
	if m != nil {
		return statsJSON{ModelStats: []modelStatsJSON{m.snapshot()}}
	}
	out := statsJSON{ModelStats: []modelStatsJSON{}}
	for _, n := range s.repo.names() {
		mm, err := s.repo.get(n, "")
		if err != nil {
			continue // unloaded meanwhile
		}
		out.ModelStats = append(out.ModelStats, mm.snapshot())
		mm.release()
	}
	sort.Slice(out.ModelStats, func(i, j int) bool { return out.ModelStats[i].Name < out.ModelStats[j].Name })
	return out
}

func (s *Server) modelStatistics(w http.ResponseWriter, r *http.Request, m *model) error {
	writeJSON(w, http.StatusOK, s.statistics(m))
	return nil
}

// readSmallJSON decodes an optional JSON body of a control request into v.
func (s *Server) readSmallJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errorf(http.StatusRequestEntityTooLarge, "request body exceeds %d bytes", mbe.Limit)
		}
		return errorf(http.StatusBadRequest, "read request body: %v", err)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return errorf(http.StatusBadRequest, "decode request JSON: %v", err)
	}
	return nil
}

func (s *Server) repositoryIndex(w http.ResponseWriter, r *http.Request, _ *model) error {
	var req struct {
		Ready bool `json:"ready"`
	}
	if err := s.readSmallJSON(w, r, &req); err != nil {
		return err
	}
	idx, err := s.repo.index(req.Ready)
	if err != nil {
		return errorf(http.StatusInternalServerError, "%v", err)
	}
	writeJSON(w, http.StatusOK, idx)
	return nil
}

// checkRepositoryParams refuses the repository parameters latent does not
// implement (Triton's config override and file upload); unload takes
// unload_dependents, which has nothing to act on (latent models have no
// dependents).
func checkRepositoryParams(op string, keys []string) error {
	sort.Strings(keys)
	for _, k := range keys {
		if op == "unload" && k == "unload_dependents" {
			continue
		}
		return errorf(http.StatusBadRequest, "%s parameter %q is not supported (latent loads models only from the repository as they are)", op, k)
	}
	return nil
}

func (s *Server) repositoryLoad(w http.ResponseWriter, r *http.Request, _ *model) error {
	return s.repositoryOp(w, r, "load")
}

func (s *Server) repositoryUnload(w http.ResponseWriter, r *http.Request, _ *model) error {
	return s.repositoryOp(w, r, "unload")
}

func (s *Server) repositoryOp(w http.ResponseWriter, r *http.Request, op string) error {
	var req struct {
		Parameters map[string]json.RawMessage `json:"parameters"`
	}
	if err := s.readSmallJSON(w, r, &req); err != nil {
		return err
	}
	var keys []string
	for k := range req.Parameters {
		keys = append(keys, k)
	}
	if err := checkRepositoryParams(op, keys); err != nil {
		return err
	}
	name := r.PathValue("model")
	var err error
	if op == "load" {
		err = s.repo.load(r.Context(), name)
	} else {
		err = s.repo.unload(r.Context(), name)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

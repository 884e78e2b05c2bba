package serve

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	pb "github.com/latent-ml/latent/serve/inferencepb"
)

// scaleModel writes to path a model whose output "reconstruction" is its
// input "input" [n,8] times c, so the version that answered a request is
// plain from the numbers.
func scaleModel(t *testing.T, path string, c float32) {
	t.Helper()
	vi := func(name string) graph.ValueInfo {
		return graph.ValueInfo{Name: name, DType: ops.Float32, HasShape: true,
			Shape: graph.Shape{{Value: -1, Param: "batch"}, {Value: 8}}, ElemTypeCode: graph.ElemTypeOf(ops.Float32)}
	}
	g := &graph.Graph{
		Name:         "scale",
		Initializers: map[string]*ops.Tensor{"c": ops.FromFloat32([]int{}, []float32{c})},
		InitOrder:    []string{"c"},
		Inputs:       []graph.ValueInfo{vi("input")},
		Outputs:      []graph.ValueInfo{vi("reconstruction")},
		Nodes:        []*graph.Node{{Name: "mul", OpType: "Mul", Inputs: []string{"input", "c"}, Outputs: []string{"reconstruction"}}},
	}
	b, err := graph.Encode(&graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 17}, Graph: g})
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	// Write beside and rename, as a deployment would, so a poll never sees
	// half a file.
	tmp := path + ".tmp"
	require.NoError(t, os.WriteFile(tmp, b, 0o644))
	require.NoError(t, os.Rename(tmp, path))
}

// scaleOf sends row [1..8] to model name over REST and returns the factor
// the answering version multiplies by (0 and the reply on failure).
func scaleOf(t *testing.T, base, name string) (float64, reply) {
	r := do(t, "POST", base+"/v2/models/"+name+"/infer", inferBody("input", []int{1, 8}, "FP32", []float32{1, 2, 3, 4, 5, 6, 7, 8}), nil)
	if r.code != 200 {
		return 0, r
	}
	var ir inferReply
	decodeJSON(t, r, &ir)
	return ir.Outputs[0].Data[0], r
}

func indexOf(t *testing.T, base string) map[string]indexEntry {
	t.Helper()
	r := do(t, "POST", base+"/v2/repository/index", nil, nil)
	require.Equal(t, 200, r.code, "%s", r.body)
	var idx []indexEntry
	decodeJSON(t, r, &idx)
	out := map[string]indexEntry{}
	for _, e := range idx {
		out[e.Name] = e
	}
	return out
}

// The repository layouts: a flat folder, Triton's version folders (the
// highest with a model file wins), a folder without a model (reported,
// not fatal), hidden folders and loose files (ignored).
func TestRepositoryLayouts(t *testing.T) {
	dir := t.TempDir()
	scaleModel(t, filepath.Join(dir, "flat", "model.onnx"), 1)
	scaleModel(t, filepath.Join(dir, "versioned", "1", "model.onnx"), 1)
	scaleModel(t, filepath.Join(dir, "versioned", "3", "model.onnx"), 3)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "versioned", "4"), 0o755)) // being copied: no model yet
	scaleModel(t, filepath.Join(dir, "named", "ae.onnx"), 5)                     // the only .onnx file
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "lost+found"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "empty"), 0o755))
	scaleModel(t, filepath.Join(dir, ".hidden", "model.onnx"), 9)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "README"), []byte("models"), 0o644))

	lb := startLoopback(t, Config{Repository: dir, Models: []ModelSpec{{Name: "fixed", Path: filepath.Join(golden, "model.onnx")}}})
	for name, want := range map[string]float64{"flat": 1, "versioned": 3, "named": 5} {
		got, r := scaleOf(t, lb.base, name)
		assert.Equal(t, want, got, "%s: %s", name, r.body)
	}
	var md modelMeta
	decodeJSON(t, do(t, "GET", lb.base+"/v2/models/versioned", nil, nil), &md)
	assert.Equal(t, []string{"3"}, md.Versions)
	got, _ := scaleOf(t, lb.base, "versioned/versions/3")
	assert.Equal(t, 3.0, got)
	wantError(t, "old version", do(t, "POST", lb.base+"/v2/models/versioned/versions/1/infer", inferBody("input", []int{1, 8}, "FP32", make([]float32, 8)), nil),
		404, `model "versioned" has no version "1" (serving version "3")`)

	idx := indexOf(t, lb.base)
	assert.Len(t, idx, 5, "%v", idx) // flat, versioned, named, empty, fixed ("lost+found" is no model name)
	for _, n := range []string{"flat", "named", "fixed"} {
		assert.Equal(t, indexEntry{Name: n, Version: "1", State: stateReady}, idx[n])
	}
	assert.Equal(t, indexEntry{Name: "versioned", Version: "3", State: stateReady}, idx["versioned"])
	assert.Equal(t, stateUnavailable, idx["empty"].State)
	assert.Contains(t, idx["empty"].Reason, "no model file in")
	wantError(t, "empty model", do(t, "POST", lb.base+"/v2/models/empty/infer", []byte("{}"), nil), 404, `model "empty" is not loaded (UNAVAILABLE: no model file in`)

	r := do(t, "POST", lb.base+"/v2/repository/index", []byte(`{"ready": true}`), nil)
	var ready []indexEntry
	decodeJSON(t, r, &ready)
	assert.Len(t, ready, 4)
}

// A folder holding one model file directly is served under ModelName, as
// KServe mounts a single model at /mnt/models.
func TestSingleModelRepository(t *testing.T) {
	dir := t.TempDir()
	scaleModel(t, filepath.Join(dir, "model.onnx"), 2)
	lb := startLoopback(t, Config{Repository: dir, ModelName: "ae"})
	got, r := scaleOf(t, lb.base, "ae")
	assert.Equal(t, 2.0, got, "%s", r.body)
	assert.Equal(t, map[string]indexEntry{"ae": {Name: "ae", Version: "1", State: stateReady}}, indexOf(t, lb.base))
	wantError(t, "other name", do(t, "POST", lb.base+"/v2/repository/models/other/load", nil, nil), 404,
		`unknown model "other": the model repository `+dir+` holds one model, "ae"`)
}

func TestRepositoryStartErrors(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "bad"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad", "model.onnx"), []byte("not a model"), 0o644))
	_, err := New(context.Background(), Config{Repository: dir})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `load model "bad" from `+filepath.Join(dir, "bad", "model.onnx"))

	two := t.TempDir()
	scaleModel(t, filepath.Join(two, "m", "a.onnx"), 1)
	scaleModel(t, filepath.Join(two, "m", "b.onnx"), 1)
	_, err = New(context.Background(), Config{Repository: two})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "holds 2 .onnx files (a.onnx, b.onnx) and none is named model.onnx")

	clash := t.TempDir()
	scaleModel(t, filepath.Join(clash, "ae", "model.onnx"), 1)
	_, err = New(context.Background(), Config{Repository: clash, Models: aeModel()})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `model "ae" is given by path and is in the model repository`)

	// An empty repository is a server waiting for loads.
	s, err := New(context.Background(), Config{Repository: t.TempDir()})
	require.NoError(t, err)
	assert.Empty(t, s.repo.names())
	require.NoError(t, s.Close())
}

// Load, unload and reload over REST and gRPC, with Triton's and KServe's
// request layouts, and the errors a client can get.
func TestRepositoryLoadUnload(t *testing.T) {
	dir := t.TempDir()
	scaleModel(t, filepath.Join(dir, "m", "1", "model.onnx"), 1)
	lb := startLoopback(t, Config{Repository: dir})
	c, ctx := grpcClient(t, lb), testCtx(t)
	load := func(name, body string) reply {
		return do(t, "POST", lb.base+"/v2/repository/models/"+name+"/load", []byte(body), nil)
	}
	unload := func(name, body string) reply {
		return do(t, "POST", lb.base+"/v2/repository/models/"+name+"/unload", []byte(body), nil)
	}

	// Unload (tritonclient's body), then the model is gone but listed.
	r := unload("m", `{"parameters":{"unload_dependents":false}}`)
	require.Equal(t, 200, r.code, "%s", r.body)
	assert.Empty(t, r.body)
	wantError(t, "unloaded", do(t, "POST", lb.base+"/v2/models/m/infer", inferBody("input", []int{1, 8}, "FP32", make([]float32, 8)), nil),
		404, `model "m" is not loaded (UNAVAILABLE: unloaded)`)
	assert.Equal(t, indexEntry{Name: "m", Version: "1", State: stateUnavailable, Reason: "unloaded"}, indexOf(t, lb.base)["m"])
	rd, err := c.ModelReady(ctx, &pb.ModelReadyRequest{Name: "m"})
	require.NoError(t, err)
	assert.False(t, rd.GetReady())
	assert.Equal(t, 200, unload("m", "").code, "unloading twice is fine")

	// Load it back (an empty body, as tritonclient sends "{}").
	require.Equal(t, 200, load("m", "{}").code)
	got, _ := scaleOf(t, lb.base, "m")
	assert.Equal(t, 1.0, got)

	// A new version folder, then a reload: version 2 serves.
	scaleModel(t, filepath.Join(dir, "m", "2", "model.onnx"), 2)
	got, _ = scaleOf(t, lb.base, "m")
	assert.Equal(t, 1.0, got, "no reload without a load call or polling")
	_, err = c.RepositoryModelLoad(ctx, &pb.RepositoryModelLoadRequest{ModelName: "m"})
	require.NoError(t, err)
	got, _ = scaleOf(t, lb.base, "m")
	assert.Equal(t, 2.0, got)
	assert.Equal(t, "2", indexOf(t, lb.base)["m"].Version)

	// KServe's layout puts the model name in field 1 (repository_name here).
	ures, err := c.RepositoryModelUnload(ctx, &pb.RepositoryModelUnloadRequest{RepositoryName: "m"})
	require.NoError(t, err)
	assert.Equal(t, "m", ures.GetModelName())
	assert.True(t, ures.GetIsUnloaded())
	lres, err := c.RepositoryModelLoad(ctx, &pb.RepositoryModelLoadRequest{RepositoryName: "m"})
	require.NoError(t, err)
	assert.True(t, lres.GetIsLoaded())
	idx, err := c.RepositoryIndex(ctx, &pb.RepositoryIndexRequest{})
	require.NoError(t, err)
	require.Len(t, idx.GetModels(), 1)
	assert.Equal(t, "READY", idx.GetModels()[0].GetState())
	assert.Equal(t, "2", idx.GetModels()[0].GetVersion())

	// Errors.
	wantError(t, "unknown load", load("nope", ""), 404, `unknown model "nope": no folder `+filepath.Join(dir, "nope"))
	wantError(t, "unknown unload", unload("nope", ""), 404, `unknown model "nope"`)
	wantError(t, "bad name", load("..", ""), 404, "") // the mux cleans the path: never a folder outside
	wantError(t, "config override", load("m", `{"parameters":{"config":"{}"}}`), 400, `load parameter "config" is not supported`)
	wantError(t, "bad json", load("m", `{"parameters":`), 400, "decode request JSON")
	_, err = c.RepositoryModelLoad(ctx, &pb.RepositoryModelLoadRequest{})
	requireStatus(t, "no name", err, codes.InvalidArgument, "no model_name given")
	_, err = c.RepositoryModelLoad(ctx, &pb.RepositoryModelLoadRequest{ModelName: "../m"})
	requireStatus(t, "path name", err, codes.InvalidArgument, "may only hold")
	_, err = c.RepositoryModelLoad(ctx, &pb.RepositoryModelLoadRequest{ModelName: "m",
		Parameters: map[string]*pb.ModelRepositoryParameter{"file:1/model.onnx": {ParameterChoice: &pb.ModelRepositoryParameter_BytesParam{BytesParam: []byte("x")}}}})
	requireStatus(t, "file upload", err, codes.InvalidArgument, `load parameter "file:1/model.onnx" is not supported`)

	// A broken new version: the load fails, the loaded version keeps
	// serving and the index says why.
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "m", "3"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "m", "3", "model.onnx"), []byte("truncated"), 0o644))
	wantError(t, "broken reload", load("m", ""), 400, `load model "m" from `+filepath.Join(dir, "m", "3", "model.onnx"))
	got, _ = scaleOf(t, lb.base, "m")
	assert.Equal(t, 2.0, got, "the old version stops serving after a failed reload")
	e := indexOf(t, lb.base)["m"]
	assert.Equal(t, stateReady, e.State)
	assert.Equal(t, "2", e.Version)
	assert.Contains(t, e.Reason, "reload from "+filepath.Join(dir, "m", "3", "model.onnx")+" failed, the loaded version still serves")

	m := do(t, "GET", lb.base+"/metrics", nil, nil)
	assert.Contains(t, string(m.body), `latent_model_loads_total{model="m",result="error"} 1`)
	assert.Contains(t, string(m.body), `latent_requests_total{code="200",endpoint="repository_load",model="m",protocol="http"}`)
}

// Reloads and unloads never drop a request in flight: requests that hold
// the old version finish on it, with its numbers, while new requests get
// the new one; an unload waits for them.
func TestHotReloadKeepsRequestsInFlight(t *testing.T) {
	dir := t.TempDir()
	scaleModel(t, filepath.Join(dir, "m", "1", "model.onnx"), 1)
	lb := startLoopback(t, Config{Repository: dir, MaxConcurrent: 1})
	s := lb.s

	// Requests waiting for the only run slot hold version 1.
	s.sem <- struct{}{}
	const waiting = 4
	results := make(chan float64, waiting)
	for i := 0; i < waiting; i++ {
		go func() {
			got, r := scaleOf(t, lb.base, "m")
			assert.EqualValues(t, 200, r.code, "in-flight request: %d %s", r.code, r.body)
			results <- got
		}()
	}
	require.Eventually(t, func() bool {
		m, err := s.repo.get("m", "")
		if err != nil {
			return false
		}
		defer m.release()
		return m.refs.Load() == waiting+1
	}, 5*time.Second, time.Millisecond)
	old, err := s.repo.get("m", "")
	require.NoError(t, err)
	old.release()

	scaleModel(t, filepath.Join(dir, "m", "2", "model.onnx"), 2)
	require.Equal(t, 200, do(t, "POST", lb.base+"/v2/repository/models/m/load", nil, nil).code)
	assert.True(t, old.retired.Load())
	select {
	case <-old.closed:
		require.Fail(t, "version 1 closed with requests in flight")
	default:
	}
	// Unload version 2 while nothing holds it, load it back.
	<-s.sem
	for i := 0; i < waiting; i++ {
		assert.Equal(t, 1.0, <-results, "an in-flight request was not answered by the version it started on")
	}
	select {
	case <-old.closed:
	case <-time.After(5 * time.Second):
		require.Fail(t, "version 1 did not close after its last request")
	}
	got, r := scaleOf(t, lb.base, "m")
	assert.Equal(t, 2.0, got, "%s", r.body)

	// An unload waits for the request holding the model.
	s.sem <- struct{}{}
	inflight := make(chan reply, 1)
	go func() {
		_, r := scaleOf(t, lb.base, "m")
		inflight <- r
	}()
	require.Eventually(t, func() bool {
		m, err := s.repo.get("m", "")
		if err != nil {
			return false
		}
		defer m.release()
		return m.refs.Load() == 2
	}, 5*time.Second, time.Millisecond)
	unloaded := make(chan reply, 1)
	go func() { unloaded <- do(t, "POST", lb.base+"/v2/repository/models/m/unload", nil, nil) }()
	require.Eventually(t, func() bool { return indexOf(t, lb.base)["m"].State == stateUnloading }, 10*time.Second, time.Millisecond)
	select {
	case r := <-unloaded:
		require.Fail(t, "unload returned with a request in flight", "%d %s", r.code, r.body)
	default:
	}
	assert.Equal(t, stateUnloading, indexOf(t, lb.base)["m"].State)
	<-s.sem
	assert.Equal(t, 200, (<-inflight).code)
	assert.Equal(t, 200, (<-unloaded).code)
	assert.Equal(t, stateUnavailable, indexOf(t, lb.base)["m"].State)
}

// Under steady load from REST and gRPC clients, repeated reloads and an
// unload/load cycle answer every request with 200 (or, between unload and
// load, a clean 404), never a dropped connection or a 5xx.
func TestReloadUnderLoad(t *testing.T) {
	dir := t.TempDir()
	scaleModel(t, filepath.Join(dir, "m", "model.onnx"), 1)
	lb := startLoopback(t, Config{Repository: dir, MaxBatch: 16, MaxDelay: time.Millisecond})
	c := grpcClient(t, lb)
	stop := make(chan struct{})
	var ok, notLoaded atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	x := ops.FromFloat32([]int{1, 8}, []float32{1, 2, 3, 4, 5, 6, 7, 8})
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var got float64
				var code int
				var msg string
				if w%2 == 0 {
					var r reply
					got, r = scaleOf(t, lb.base, "m")
					code, msg = r.code, string(r.body)
				} else {
					resp, err := c.ModelInfer(testCtx(t), rawRequest(t, "m", x))
					code = 200
					if err != nil {
						code = map[codes.Code]int{codes.NotFound: 404}[status.Code(err)]
						msg = err.Error()
					} else {
						got = float64(rawFloats(t, resp.GetRawOutputContents()[0])[0])
					}
				}
				switch {
				case code == 200 && (got == 1 || got == 2):
					ok.Add(1)
				case code == 404:
					notLoaded.Add(1)
				default:
					errc <- fmt.Errorf("worker %d: status %d (%g): %s", w, code, got, msg)
					return
				}
			}
		}(w)
	}
	// Between steps, wait for the workers to get answers, not for time
	// to pass: each version and the unloaded gap see traffic.
	progress := func(what string, counter *atomic.Int64, k int64) {
		t.Helper()
		n := counter.Load()
		require.Eventually(t, func() bool { return counter.Load() >= n+k || len(errc) > 0 }, 30*time.Second, time.Millisecond,
			"no %s answers", what)
	}
	for i := 0; i < 10; i++ {
		scaleModel(t, filepath.Join(dir, "m", "model.onnx"), float32(1+i%2))
		require.Equal(t, http.StatusOK, do(t, "POST", lb.base+"/v2/repository/models/m/load", nil, nil).code)
		progress("200", &ok, 4)
	}
	require.Equal(t, http.StatusOK, do(t, "POST", lb.base+"/v2/repository/models/m/unload", nil, nil).code)
	progress("404", &notLoaded, 2)
	require.Equal(t, http.StatusOK, do(t, "POST", lb.base+"/v2/repository/models/m/load", nil, nil).code)
	progress("200", &ok, 4)
	close(stop)
	wg.Wait()
	close(errc)
	for err := range errc {
		assert.NoError(t, err)
	}
	assert.GreaterOrEqual(t, ok.Load(), int64(44))
	assert.GreaterOrEqual(t, notLoaded.Load(), int64(2))
	t.Logf("%d requests answered, %d while unloaded", ok.Load(), notLoaded.Load())
}

// A rescan (what each poll runs) loads new folders, reloads changed files
// and new versions, leaves unchanged ones alone, unloads removed folders,
// tries a broken file once, and leaves a model unloaded on request
// unloaded. The test calls rescan itself, so every step is checked right
// after the scan that must have made it.
func TestRepositoryRescan(t *testing.T) {
	dir := t.TempDir()
	scaleModel(t, filepath.Join(dir, "a", "model.onnx"), 1)
	lb := startLoopback(t, Config{Repository: dir})
	rescan := func() { lb.s.repo.rescan(context.Background()) }
	scale := func(name string) float64 {
		t.Helper()
		got, r := scaleOf(t, lb.base, name)
		require.Equal(t, 200, r.code, "%s: %s", name, r.body)
		return got
	}
	loads := func(name, result string) string {
		t.Helper()
		return fmt.Sprintf("latent_model_loads_total{model=%q,result=%q}", name, result)
	}
	metrics := func() string { return string(do(t, "GET", lb.base+"/metrics", nil, nil).body) }
	assert.Equal(t, 1.0, scale("a"))

	scaleModel(t, filepath.Join(dir, "b", "1", "model.onnx"), 3)
	rescan()
	assert.Equal(t, 3.0, scale("b"))
	scaleModel(t, filepath.Join(dir, "b", "2", "model.onnx"), 4)
	rescan()
	assert.Equal(t, 4.0, scale("b"))
	assert.Equal(t, indexEntry{Name: "b", Version: "2", State: stateReady}, indexOf(t, lb.base)["b"])

	// An unchanged file is not loaded again; a rewritten one (same size,
	// later modification time) is.
	rescan()
	assert.Contains(t, metrics(), loads("a", "ok")+" 1\n")
	a := filepath.Join(dir, "a", "model.onnx")
	fi, err := os.Stat(a)
	require.NoError(t, err)
	scaleModel(t, a, 5)
	later := fi.ModTime().Add(time.Second)
	require.NoError(t, os.Chtimes(a, later, later))
	rescan()
	assert.Equal(t, 5.0, scale("a"))
	assert.Contains(t, metrics(), loads("a", "ok")+" 2\n")

	// A removed folder is unloaded, with the reason in the index.
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "a")))
	rescan()
	_, r := scaleOf(t, lb.base, "a")
	assert.Equal(t, 404, r.code)
	assert.Contains(t, string(r.body), "removed from the model repository")
	assert.Equal(t, indexEntry{Name: "a", Version: "1", State: stateUnavailable, Reason: "removed from the model repository"},
		indexOf(t, lb.base)["a"])

	// An explicit unload sticks although the folder is still there, until
	// an explicit load.
	require.Equal(t, 200, do(t, "POST", lb.base+"/v2/repository/models/b/unload", nil, nil).code)
	rescan()
	_, r = scaleOf(t, lb.base, "b")
	assert.Equal(t, 404, r.code)
	assert.Equal(t, "unloaded", indexOf(t, lb.base)["b"].Reason)
	require.Equal(t, 200, do(t, "POST", lb.base+"/v2/repository/models/b/load", nil, nil).code)
	assert.Equal(t, 4.0, scale("b"))

	// A broken file is tried once, not on every scan; fixed, it loads.
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "c"), 0o755))
	c := filepath.Join(dir, "c", "model.onnx")
	require.NoError(t, os.WriteFile(c, []byte("broken"), 0o644))
	rescan()
	rescan()
	assert.Contains(t, metrics(), loads("c", "error")+" 1\n")
	assert.Equal(t, stateUnavailable, indexOf(t, lb.base)["c"].State)
	assert.NotEmpty(t, indexOf(t, lb.base)["c"].Reason)
	require.NoError(t, os.Remove(c))
	scaleModel(t, c, 6)
	rescan()
	assert.Equal(t, 6.0, scale("c"))

	// A removed folder that comes back is loaded again.
	scaleModel(t, a, 7)
	rescan()
	assert.Equal(t, 7.0, scale("a"))
	assert.Equal(t, []string{"a", "b", "c"}, lb.s.repo.names())
}

// The poller runs rescans by itself: a folder added while the server runs
// is served without a load request, and a removed one goes away.
func TestRepositoryPoll(t *testing.T) {
	dir := t.TempDir()
	lb := startLoopback(t, Config{Repository: dir, PollInterval: 5 * time.Millisecond})
	scaleModel(t, filepath.Join(dir, "a", "1", "model.onnx"), 2)
	require.Eventually(t, func() bool {
		got, _ := scaleOf(t, lb.base, "a")
		return got == 2
	}, 30*time.Second, 5*time.Millisecond, "the poller never loaded the new folder")
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "a")))
	require.Eventually(t, func() bool {
		return indexOf(t, lb.base)["a"].State == stateUnavailable
	}, 30*time.Second, 5*time.Millisecond, "the poller never unloaded the removed folder")
	_, r := scaleOf(t, lb.base, "a")
	assert.Equal(t, 404, r.code)
}

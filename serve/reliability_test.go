package serve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A request whose shape claims far more elements than its body holds is a
// 400 before anything of the claimed size is allocated.
func TestHugeShapeClaimRefusedBeforeAllocating(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	d := 8
	body := inferBody("input", []int{100_000_000 / d, d}, "FP32", []float32{1})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/v2/models/ae/infer", bytes.NewReader(body)))
	runtime.ReadMemStats(&after)
	wantError(t, "huge shape", reply{code: rec.Code, body: rec.Body.Bytes()}, 400, "shape needs 100000000 elements")
	assert.LessOrEqual(t, after.TotalAlloc-before.TotalAlloc, uint64(16<<20), "bytes allocated refusing a %d-byte request", len(body))
}

// FuzzInferRequest posts arbitrary bodies (and binary-extension header
// values) to the infer and score endpoints: every reply is 200 or a 4xx
// with {"error": ...}; never a 5xx, which is where a recovered panic or a
// model failure would show.
func FuzzInferRequest(f *testing.F) {
	f.Add(inferBody("input", []int{1, 8}, "FP32", []float32{1, 2, 3, 4, 5, 6, 7, 8}), "", false)
	f.Add(inferBody("input", []int{2, 8}, "FP32", [][]float32{{1, 2, 3, 4, 5, 6, 7, 8}, {0, 0, 0, 0, 0, 0, 0, 0}}), "", true)
	f.Add([]byte(`{"inputs":[{"name":"input","shape":[1,8],"datatype":"FP32","parameters":{"binary_data_size":32}}]}`+strings.Repeat("\x00", 32)), "98", false)
	f.Add([]byte(`{"inputs":[{"name":"input","shape":[1,8],"datatype":"FP32","data":[NaN]}]}`), "", false)
	f.Add([]byte(`{"id":"x","parameters":{"binary_data_output":true},"outputs":[{"name":"reconstruction"}],"inputs":[{"name":"input","shape":[0,8],"datatype":"FP32","data":[]}]}`), "", false)
	f.Add([]byte(`{"inputs":[{"name":"input","shape":[1,8],"datatype":"FP32","data":[1e39,-1e39,0,0,0,0,0,0]}]}`), "", true)
	s, err := New(context.Background(), Config{MaxRequestBytes: 1 << 16,
		Models: []ModelSpec{{Name: "ae", Path: filepath.Join(golden, "model.onnx")}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	h := s.Handler()
	f.Fuzz(func(t *testing.T, body []byte, binLen string, score bool) {
		path := "/v2/models/ae/infer"
		if score {
			path = "/v2/models/ae/score"
		}
		req := httptest.NewRequest("POST", path, bytes.NewReader(body))
		if binLen != "" {
			req.Header.Set(headerLength, binLen)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch {
		case rec.Code == 200:
			if !json.Valid(rec.Body.Bytes()) && rec.Header().Get(headerLength) == "" {
				t.Fatalf("200 with a body that is not JSON: %q", rec.Body.Bytes())
			}
		case rec.Code >= 400 && rec.Code < 500:
			var e map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e["error"] == "" {
				t.Fatalf("%d without a JSON error: %q", rec.Code, rec.Body.Bytes())
			}
		default:
			t.Fatalf("status %d for body %q: %s", rec.Code, body, rec.Body.Bytes())
		}
	})
}

// Under concurrent load (48 keep-alive clients on a real listener) every
// request succeeds with the same outputs as a serial request, and the
// 99th-percentile latency stays within a bound far above the median, not
// growing with queueing pathologies.
func TestConcurrentLoadNoErrorsBoundedP99(t *testing.T) {
	url := startLoopback(t, Config{Models: []ModelSpec{{Name: "ae", Path: filepath.Join(golden, "model.onnx")}}}).base + "/v2/models/ae/infer"
	in, _ := goldenIO(t)
	body := inferBody("input", in.Shape, "FP32", in.F32())
	serial := do(t, "POST", url, body, nil)
	require.EqualValues(t, 200, serial.code, "serial request: %d %s", serial.code, serial.body)
	var want inferReply
	decodeJSON(t, serial, &want)

	const clients, perClient = 48, 8
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}, Timeout: 30 * time.Second}
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	errc := make(chan error, clients)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perClient; i++ {
				start := time.Now()
				resp, err := client.Post(url, "application/json", bytes.NewReader(body))
				if err != nil {
					errc <- err
					return
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					errc <- fmt.Errorf("read response: %w", err)
					return
				}
				d := time.Since(start)
				if resp.StatusCode != 200 {
					errc <- fmt.Errorf("status %d: %s", resp.StatusCode, b)
					return
				}
				var got inferReply
				if err := json.Unmarshal(b, &got); err != nil {
					errc <- err
					return
				}
				for o := range want.Outputs {
					for j, v := range want.Outputs[o].Data {
						if got.Outputs[o].Data[j] != v {
							errc <- fmt.Errorf("output %s[%d] = %v under load, %v serially", want.Outputs[o].Name, j, got.Outputs[o].Data[j], v)
							return
						}
					}
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		require.NoError(t, err)
	}
	client.CloseIdleConnections()
	http.DefaultClient.CloseIdleConnections()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
	t.Logf("%d requests from %d clients: p50 %v, p99 %v, max %v", len(lat), clients, p50, p99, lat[len(lat)-1])
	// Generous bounds: the machine running the tests may be shared, but a
	// p99 beyond 2 s (or 100× the median) means requests starve.
	assert.LessOrEqual(t, p99, 2*time.Second, "p99 (p50 %v) is unbounded", p50)
	assert.LessOrEqual(t, p99, 100*max(p50, time.Millisecond), "p99 beyond 100× the median (p50 %v): requests starve", p50)
}

// A client that sends headers slowly (slowloris) or never finishes its
// body is cut off after ReadTimeout instead of holding a connection open.
func TestSlowClientTimesOut(t *testing.T) {
	lb := startLoopback(t, Config{ReadTimeout: 200 * time.Millisecond,
		Models: []ModelSpec{{Name: "ae", Path: filepath.Join(golden, "model.onnx")}}})
	for _, partial := range []string{
		"POST /v2/models/ae/infer HTTP/1.1\r\nHost: x\r\n",                              // headers never end
		"POST /v2/models/ae/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{", // body never ends
	} {
		conn, err := net.Dial("tcp", lb.addr)
		require.NoError(t, err)
		start := time.Now()
		_, err = conn.Write([]byte(partial))
		require.NoError(t, err)
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		took := time.Since(start)
		if err == nil {
			b, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			resp.Body.Close()
			assert.GreaterOrEqual(t, resp.StatusCode, 400, "partial request answered %s", b)
		} else if ne, ok := err.(net.Error); ok {
			assert.False(t, ne.Timeout(), "server kept a stalled connection open for %v", took)
		}
		assert.LessOrEqual(t, took, 3*time.Second, "stalled connection cut after %v, want about the 200ms read timeout", took)
		conn.Close()
	}
}

// NaN and ±Inf in a request's data are refused by the JSON format (they
// are not JSON numbers) with a 400, while the binary extension carries them
// to the model, whose outputs propagate them (see runtime's
// TestNaNInfPropagation) and come back as a JSON-safe error rather than a
// broken body.
func TestNonFiniteInputs(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	h := s.Handler()
	post := func(body []byte, hdr map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/v2/models/ae/infer", bytes.NewReader(body))
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	rec := post([]byte(`{"inputs":[{"name":"input","shape":[1,8],"datatype":"FP32","data":[NaN,0,0,0,0,0,0,0]}]}`), nil)
	wantError(t, "NaN literal", reply{code: rec.Code, body: rec.Body.Bytes()}, 400, "")
	js := []byte(`{"inputs":[{"name":"input","shape":[1,8],"datatype":"FP32","parameters":{"binary_data_size":32}}],"parameters":{"binary_data_output":true}}`)
	bin := make([]byte, 32)
	for i, v := range []float32{float32(math.NaN()), float32(math.Inf(1)), 0, 0, 0, 0, 0, 0} {
		u := math.Float32bits(v)
		bin[4*i], bin[4*i+1], bin[4*i+2], bin[4*i+3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
	}
	rec = post(append(js, bin...), map[string]string{headerLength: fmt.Sprint(len(js))})
	require.EqualValues(t, 200, rec.Code, "binary NaN input: %d %s", rec.Code, rec.Body.Bytes())
	n := rec.Header().Get(headerLength)
	require.NotEqual(t, "", n, "binary output requested but no %s header", headerLength)
	var hdrLen int
	fmt.Sscan(n, &hdrLen)
	out := rec.Body.Bytes()[hdrLen:]
	nan := 0
	for i := 0; i+4 <= len(out); i += 4 {
		u := uint32(out[i]) | uint32(out[i+1])<<8 | uint32(out[i+2])<<16 | uint32(out[i+3])<<24
		if v := math.Float32frombits(u); v != v {
			nan++
		}
	}
	assert.Positive(t, nan, "NaN input produced no NaN output: the model hid it")
}

// A panic inside a handler never reaches the client as a dropped
// connection: it becomes a 500 with a JSON error, is counted, and the
// server keeps answering.
func TestHandlerPanicBecomes500(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	h := s.handle("test", func(w http.ResponseWriter, r *http.Request, m *model) error {
		panic("boom")
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/panic", nil))
	wantError(t, "panicking handler", reply{code: rec.Code, body: rec.Body.Bytes()}, 500, "internal error: boom")
	rec = httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/v2/health/live", nil))
	assert.EqualValues(t, 200, rec.Code, "server unhealthy after a handler panic: %d", rec.Code)
}

// A JSON number beyond FP32's range is refused as bad input instead of
// silently becoming ±Inf; a result whose JSON form does not exist (NaN or
// ±Inf after a float overflow inside the model) is a 400 that says to ask
// for binary output, not a server error.
func TestUnrepresentableFloatsAre400(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	post := func(body []byte) reply {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/v2/models/ae/infer", bytes.NewReader(body)))
		return reply{code: rec.Code, body: rec.Body.Bytes()}
	}
	wantError(t, "1e70 as FP32", post([]byte(`{"inputs":[{"name":"input","shape":[1,8],"datatype":"FP32","data":[1e70,0,0,0,0,0,0,0]}]}`)),
		400, "element 0 (1e70) is outside FP32's range")
	// NaN reaches the model through the binary extension; asking for the
	// output as JSON then has no answer the format can carry.
	js := []byte(`{"inputs":[{"name":"input","shape":[1,8],"datatype":"FP32","parameters":{"binary_data_size":32}}]}`)
	bin := make([]byte, 32)
	u := math.Float32bits(float32(math.NaN()))
	bin[0], bin[1], bin[2], bin[3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
	req := httptest.NewRequest("POST", "/v2/models/ae/infer", bytes.NewReader(append(js, bin...)))
	req.Header.Set(headerLength, fmt.Sprint(len(js)))
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	wantError(t, "NaN output as JSON", reply{code: rec.Code, body: rec.Body.Bytes()}, 400, "which JSON cannot carry (ask for binary_data)")
}

package serve

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/export"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
)

const golden = "../testdata/golden/ae-undercomplete"

// goldenIO returns the golden input and the trainer's reconstruction.
func goldenIO(t *testing.T) (in, want *ops.Tensor) {
	t.Helper()
	_, in, err := graph.ReadTensorFile(filepath.Join(golden, "test_data_set_0", "input_0.pb"))
	require.NoError(t, err)
	_, want, err = graph.ReadTensorFile(filepath.Join(golden, "test_data_set_0", "output_0.pb"))
	require.NoError(t, err)
	return in, want
}

// identityModel writes a model that passes one input of every protocol
// datatype (but those excluded) through Identity, named by its datatype in
// lower case.
func identityModel(t *testing.T, exclude ...ops.DType) string {
	t.Helper()
	g := &graph.Graph{Name: "identities", Initializers: map[string]*ops.Tensor{}}
	for _, d := range datatypes {
		if slices.Contains(exclude, d.dt) {
			continue
		}
		name := strings.ToLower(d.name)
		g.Inputs = append(g.Inputs, graph.ValueInfo{Name: name, DType: d.dt, HasShape: true,
			Shape: graph.Shape{{Value: -1, Param: "n"}, {Value: 2}}, ElemTypeCode: graph.ElemTypeOf(d.dt)})
		g.Outputs = append(g.Outputs, graph.ValueInfo{Name: name + "_out", DType: d.dt, HasShape: true,
			Shape: graph.Shape{{Value: -1, Param: "n"}, {Value: 2}}, ElemTypeCode: graph.ElemTypeOf(d.dt)})
		g.Nodes = append(g.Nodes, &graph.Node{OpType: "Identity", Inputs: []string{name}, Outputs: []string{name + "_out"}})
	}
	m := &graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 17}, ProducerName: "serve test", Graph: g}
	b, err := graph.Encode(m)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "identity.onnx")
	require.NoError(t, os.WriteFile(path, b, 0o644))
	return path
}

func newTestServer(t *testing.T, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	if cfg.Models == nil {
		cfg.Models = []ModelSpec{{Name: "ae", Path: filepath.Join(golden, "model.onnx")}}
	}
	s, err := New(context.Background(), cfg)
	require.NoError(t, err)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		ts.Close()
		s.Close()
	})
	return s, ts
}

type reply struct {
	code int
	body []byte
	hdr  http.Header
}

func do(t *testing.T, method, url string, body []byte, hdr map[string]string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	require.NoError(t, err)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return reply{resp.StatusCode, b, resp.Header}
}

func decodeJSON(t *testing.T, r reply, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.body, v), "decode %s", r.body)
}

// wantError checks an error reply: status, JSON {"error": ...} holding want.
func wantError(t *testing.T, what string, r reply, code int, want string) {
	t.Helper()
	b := r.body
	if len(b) > 300 {
		b = b[:300]
	}
	if !assert.Equal(t, code, r.code, "%s: status (%s)", what, b) {
		return
	}
	var e map[string]string
	if !assert.NoError(t, json.Unmarshal(r.body, &e), "%s: body %q is not {\"error\": ...}", what, r.body) ||
		!assert.Len(t, e, 1, "%s: body %q is not {\"error\": ...}", what, r.body) {
		return
	}
	assert.Contains(t, e["error"], want, what)
}

func inferBody(name string, shape []int, datatype string, data any) []byte {
	b, _ := json.Marshal(map[string]any{"inputs": []map[string]any{{"name": name, "shape": shape, "datatype": datatype, "data": data}}})
	return b
}

func rowsOf(t *ops.Tensor) [][]float32 {
	x := t.F32()
	n, d := t.Shape[0], t.Shape[1]
	out := make([][]float32, n)
	for i := range out {
		out[i] = x[i*d : (i+1)*d]
	}
	return out
}

type outTensor struct {
	Name       string         `json:"name"`
	Datatype   string         `json:"datatype"`
	Shape      []int          `json:"shape"`
	Parameters map[string]any `json:"parameters"`
	Data       []float64      `json:"data"`
}

type inferReply struct {
	ModelName  string         `json:"model_name"`
	ID         string         `json:"id"`
	Parameters map[string]any `json:"parameters"`
	Outputs    []outTensor    `json:"outputs"`
}

func near(t *testing.T, what string, got []float64, want []float32, atol float64) {
	t.Helper()
	require.Len(t, got, len(want), what)
	for i := range got {
		require.InDelta(t, float64(want[i]), got[i], atol, "%s[%d]", what, i)
	}
}

func TestServerAndModelEndpoints(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	var md map[string]any
	r := do(t, "GET", ts.URL+"/v2", nil, nil)
	decodeJSON(t, r, &md)
	assert.Equal(t, 200, r.code)
	assert.Equal(t, "latent", md["name"])
	assert.NotEmpty(t, md["version"])
	assert.ElementsMatch(t, []any{"binary_tensor_data", "model_repository", "statistics", "score"}, md["extensions"])
	for _, p := range []string{"/v2/health/live", "/v2/health/ready"} {
		assert.Equal(t, 200, do(t, "GET", ts.URL+p, nil, nil).code, p)
	}
	for _, p := range []string{"/v2/models/ae", "/v2/models/ae/versions/1"} {
		r := do(t, "GET", ts.URL+p, nil, nil)
		var mm struct {
			Name     string       `json:"name"`
			Versions []string     `json:"versions"`
			Inputs   []tensorMeta `json:"inputs"`
			Outputs  []tensorMeta `json:"outputs"`
		}
		decodeJSON(t, r, &mm)
		require.Equal(t, 200, r.code, "GET %s: %s", p, r.body)
		assert.Equal(t, "ae", mm.Name)
		assert.Equal(t, []string{"1"}, mm.Versions)
		assert.Equal(t, []tensorMeta{{Name: "input", Datatype: "FP32", Shape: []int64{-1, 8}}}, mm.Inputs, p)
		require.Len(t, mm.Outputs, 1, p)
		assert.Equal(t, "reconstruction", mm.Outputs[0].Name)
	}
	r = do(t, "GET", ts.URL+"/v2/models/ae/ready", nil, nil)
	var rd map[string]any
	decodeJSON(t, r, &rd)
	assert.Equal(t, 200, r.code)
	assert.Equal(t, map[string]any{"name": "ae", "ready": true}, rd)
	wantError(t, "unknown model", do(t, "GET", ts.URL+"/v2/models/nope", nil, nil), 404, `unknown model "nope"`)
	wantError(t, "unknown model ready", do(t, "GET", ts.URL+"/v2/models/nope/ready", nil, nil), 404, `unknown model`)
	wantError(t, "unknown model infer", do(t, "POST", ts.URL+"/v2/models/nope/infer", []byte("{}"), nil), 404, `unknown model`)
	wantError(t, "unknown version", do(t, "GET", ts.URL+"/v2/models/ae/versions/2", nil, nil), 404, `no version "2"`)
	wantError(t, "unknown path", do(t, "GET", ts.URL+"/v3/x", nil, nil), 404, "no endpoint GET /v3/x")
}

func TestInferMatchesTrainer(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	in, want := goldenIO(t)
	for _, c := range []struct {
		name string
		data any
	}{{"flat", in.F32()}, {"nested", rowsOf(in)}} {
		body, _ := json.Marshal(map[string]any{"id": "req-7", "inputs": []map[string]any{{"name": "input", "shape": in.Shape, "datatype": "FP32", "data": c.data}}})
		r := do(t, "POST", ts.URL+"/v2/models/ae/infer", body, nil)
		require.Equal(t, 200, r.code, "%s: %s", c.name, r.body)
		var ir inferReply
		decodeJSON(t, r, &ir)
		assert.Equal(t, "ae", ir.ModelName, c.name)
		assert.Equal(t, "req-7", ir.ID, c.name)
		require.Len(t, ir.Outputs, 1, c.name)
		o := ir.Outputs[0]
		assert.Equal(t, "reconstruction", o.Name, c.name)
		assert.Equal(t, "FP32", o.Datatype, c.name)
		assert.Equal(t, want.Shape, o.Shape, c.name)
		near(t, c.name, o.Data, want.F32(), 1e-5)
	}
}

// binaryRequest builds a request in the binary tensor data extension.
func binaryRequest(t *testing.T, in *ops.Tensor, outputs string) ([]byte, map[string]string) {
	raw := appendBinary(nil, in)
	js := fmt.Sprintf(`{"inputs":[{"name":"input","shape":[%d,%d],"datatype":"FP32","parameters":{"binary_data_size":%d}}]%s}`,
		in.Shape[0], in.Shape[1], len(raw), outputs)
	return append([]byte(js), raw...), map[string]string{headerLength: strconv.Itoa(len(js)), "Content-Type": "application/octet-stream"}
}

func TestInferBinaryTensors(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	in, want := goldenIO(t)
	body, hdr := binaryRequest(t, in, `,"outputs":[{"name":"reconstruction","parameters":{"binary_data":true}}]`)
	r := do(t, "POST", ts.URL+"/v2/models/ae/infer", body, hdr)
	require.Equal(t, 200, r.code, "%s", r.body)
	hl, err := strconv.Atoi(r.hdr.Get(headerLength))
	require.NoError(t, err, "response %s header", headerLength)
	require.LessOrEqual(t, hl, len(r.body))
	var ir inferReply
	require.NoError(t, json.Unmarshal(r.body[:hl], &ir))
	raw := r.body[hl:]
	require.Len(t, ir.Outputs, 1)
	assert.Equal(t, float64(len(raw)), ir.Outputs[0].Parameters["binary_data_size"])
	require.Len(t, raw, 4*want.Len())
	got := make([]float64, want.Len())
	for i := range got {
		got[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
	}
	near(t, "binary", got, want.F32(), 1e-5)

	// binary_data_output asks for every output in binary; JSON input data
	// mixes freely with it.
	body, _ = json.Marshal(map[string]any{"parameters": map[string]any{"binary_data_output": true},
		"inputs": []map[string]any{{"name": "input", "shape": in.Shape, "datatype": "FP32", "data": in.F32()}}})
	r = do(t, "POST", ts.URL+"/v2/models/ae/infer", body, nil)
	assert.Equal(t, 200, r.code)
	assert.NotEmpty(t, r.hdr.Get(headerLength), "binary_data_output")
}

func TestInferDatatypes(t *testing.T) {
	_, ts := newTestServer(t, Config{Models: []ModelSpec{{Name: "id", Path: identityModel(t)}}})
	type in struct {
		name, dt string
		data     any
		want     string
	}
	cases := []in{
		{"fp32", "FP32", [][]float64{{1.5, -2}, {3, 4.25}}, "[1.5,-2,3,4.25]"},
		{"fp64", "FP64", []float64{0.1, 1e300, -3, 4}, "[0.1,1e+300,-3,4]"},
		{"fp16", "FP16", []float64{0.5, -2, 3, 65504}, "[0.5,-2,3,65504]"},
		{"int64", "INT64", []int64{9007199254740993, -1, 0, 7}, "[9007199254740993,-1,0,7]"},
		{"int32", "INT32", [][]int{{2147483647, -2147483648}, {1, 2.0}}, "[2147483647,-2147483648,1,2]"},
		{"int8", "INT8", []int{-128, 127, 0, 1}, "[-128,127,0,1]"},
		{"uint8", "UINT8", []int{0, 255, 3, 4}, "[0,255,3,4]"},
		{"bool", "BOOL", [][]bool{{true, false}, {false, true}}, "[true,false,false,true]"},
		{"int16", "INT16", []int{-32768, 32767, 0, 1}, "[-32768,32767,0,1]"},
		{"uint16", "UINT16", []int{0, 65535, 3, 4}, "[0,65535,3,4]"},
		{"uint32", "UINT32", []uint32{0, 4294967295, 3, 4}, "[0,4294967295,3,4]"},
		{"uint64", "UINT64", []uint64{0, 18446744073709551615, 3, 4}, "[0,18446744073709551615,3,4]"},
		// 0.1 is 0x3DCCCCCD in FP32; BF16 keeps the top half, rounded up
		// (0xCCCD > 0x8000) to 0x3DCD: 0.10009765625, written as the shortest
		// decimal that reads back as that FP32 value.
		{"bf16", "BF16", []float64{1.5, -2, 256, 0.1}, "[1.5,-2,256,0.100097656]"},
		// Any text, commas, brackets, quotes and escapes included.
		{"bytes", "BYTES", []string{"héllo", "", `a,b]"c`, "\x00x"}, `["héllo","","a,b]\"c","\u0000x"]`},
	}
	var inputs []map[string]any
	for _, c := range cases {
		inputs = append(inputs, map[string]any{"name": c.name, "shape": []int{2, 2}, "datatype": c.dt, "data": c.data})
	}
	body, _ := json.Marshal(map[string]any{"inputs": inputs})
	r := do(t, "POST", ts.URL+"/v2/models/id/infer", body, nil)
	require.Equal(t, 200, r.code, "%s", r.body)
	var ir struct {
		Outputs []struct {
			Name     string          `json:"name"`
			Datatype string          `json:"datatype"`
			Shape    []int           `json:"shape"`
			Data     json.RawMessage `json:"data"`
		} `json:"outputs"`
	}
	decodeJSON(t, r, &ir)
	require.Len(t, ir.Outputs, len(cases))
	for i, c := range cases {
		o := ir.Outputs[i]
		assert.Equal(t, c.name+"_out", o.Name)
		assert.Equal(t, c.dt, o.Datatype, c.name)
		assert.Equal(t, []int{2, 2}, o.Shape, c.name)
		assert.Equal(t, c.want, string(o.Data), c.name)
	}
}

// typeSamples holds, for every protocol datatype (by its name in lower
// case), a [2,2] tensor of values at the edges of its range: NaN and
// infinities, the extreme integers, and BYTES elements that are empty,
// hold NUL, quotes and bytes that are not UTF-8.
func typeSamples() map[string]*ops.Tensor {
	t := func(dt ops.DType, data any) *ops.Tensor {
		return &ops.Tensor{DType: dt, Shape: []int{2, 2}, Data: data}
	}
	h := ops.Float32ToFloat16
	b := ops.Float32ToBFloat16
	return map[string]*ops.Tensor{
		"fp32":   t(ops.Float32, []float32{1.5, -2, float32(math.Inf(1)), 4.25}),
		"fp64":   t(ops.Float64, []float64{0.1, 1e300, -3, math.NaN()}),
		"fp16":   t(ops.Float16, []uint16{h(0.5), h(-2), h(3), h(65504)}),
		"int64":  t(ops.Int64, []int64{9007199254740993, -1, 0, math.MinInt64}),
		"int32":  t(ops.Int32, []int32{2147483647, -2147483648, 1, 2}),
		"int8":   t(ops.Int8, []int8{-128, 127, 0, 1}),
		"uint8":  t(ops.Uint8, []uint8{0, 255, 3, 4}),
		"bool":   t(ops.Bool, []bool{true, false, false, true}),
		"int16":  t(ops.Int16, []int16{-32768, 32767, 0, 1}),
		"uint16": t(ops.Uint16, []uint16{0, 65535, 3, 4}),
		"uint32": t(ops.Uint32, []uint32{0, 4294967295, 3, 4}),
		"uint64": t(ops.Uint64, []uint64{0, 18446744073709551615, 3, 4}),
		"bf16":   t(ops.BFloat16, []uint16{b(1.5), b(-2), b(float32(math.Inf(-1))), 0x7FC0}),
		"bytes":  t(ops.String, []string{"héllo", "", "a\x00\"b", "\xff\xfe"}),
	}
}

// rawLE writes t in the binary tensor data layout, by the protocol's rule
// and not the server's code: numbers little-endian, BOOL a byte each, each
// BYTES element its length as 4 little-endian bytes, then its bytes.
func rawLE(t *testing.T, x *ops.Tensor) []byte {
	t.Helper()
	if x.DType == ops.String {
		var b []byte
		for _, v := range x.Data.([]string) {
			b = append(b, byte(len(v)), byte(len(v)>>8), byte(len(v)>>16), byte(len(v)>>24))
			b = append(b, v...)
		}
		return b
	}
	b, err := ops.AppendLE(nil, x)
	require.NoError(t, err)
	return b
}

// Every datatype in the binary tensor data extension, in and out: the
// bytes come back as they went (NaN payloads, infinities, BYTES that are
// not text included).
func TestInferBinaryDatatypes(t *testing.T) {
	_, ts := newTestServer(t, Config{Models: []ModelSpec{{Name: "id", Path: identityModel(t)}}})
	samples := typeSamples()
	var inputs []string
	var bin []byte
	for _, d := range datatypes {
		name := strings.ToLower(d.name)
		raw := rawLE(t, samples[name])
		inputs = append(inputs, fmt.Sprintf(`{"name":%q,"shape":[2,2],"datatype":%q,"parameters":{"binary_data_size":%d}}`, name, d.name, len(raw)))
		bin = append(bin, raw...)
	}
	js := `{"inputs":[` + strings.Join(inputs, ",") + `],"parameters":{"binary_data_output":true}}`
	r := do(t, "POST", ts.URL+"/v2/models/id/infer", append([]byte(js), bin...),
		map[string]string{headerLength: strconv.Itoa(len(js)), "Content-Type": "application/octet-stream"})
	require.Equal(t, 200, r.code, "%s", r.body)
	hl, err := strconv.Atoi(r.hdr.Get(headerLength))
	require.NoError(t, err)
	var ir inferReply
	require.NoError(t, json.Unmarshal(r.body[:hl], &ir))
	rest := r.body[hl:]
	require.Len(t, ir.Outputs, len(datatypes))
	for i, d := range datatypes {
		name := strings.ToLower(d.name)
		o := ir.Outputs[i]
		assert.Equal(t, name+"_out", o.Name)
		assert.Equal(t, d.name, o.Datatype)
		want := rawLE(t, samples[name])
		n := int(o.Parameters["binary_data_size"].(float64))
		require.LessOrEqual(t, n, len(rest), name)
		assert.Equal(t, want, rest[:n], name)
		rest = rest[n:]
	}
	assert.Empty(t, rest)

	// BYTES that are not UTF-8 have no JSON form: asked for in JSON, the
	// answer says so.
	only := func(keep ops.DType) []ops.DType {
		var ex []ops.DType
		for _, d := range datatypes {
			if d.dt != keep {
				ex = append(ex, d.dt)
			}
		}
		return ex
	}
	_, ts = newTestServer(t, Config{Models: []ModelSpec{{Name: "s", Path: identityModel(t, only(ops.String)...)}}})
	raw := rawLE(t, samples["bytes"])
	js = fmt.Sprintf(`{"inputs":[{"name":"bytes","shape":[2,2],"datatype":"BYTES","parameters":{"binary_data_size":%d}}]}`, len(raw))
	r = do(t, "POST", ts.URL+"/v2/models/s/infer", append([]byte(js), raw...), map[string]string{headerLength: strconv.Itoa(len(js))})
	wantError(t, "not UTF-8 as JSON", r, 400, `output "bytes_out": element 3 is not UTF-8 text, which JSON cannot carry (ask for binary_data)`)
}

// Values a datatype cannot hold and malformed BYTES are 400s naming the
// input, the element and what was wrong.
func TestInferDatatypeErrors(t *testing.T) {
	_, ts := newTestServer(t, Config{Models: []ModelSpec{{Name: "id", Path: identityModel(t)}}})
	url := ts.URL + "/v2/models/id/infer"
	binary := func(name, dt string, shape string, raw []byte) ([]byte, map[string]string) {
		js := fmt.Sprintf(`{"inputs":[{"name":%q,"shape":%s,"datatype":%q,"parameters":{"binary_data_size":%d}}]}`, name, shape, dt, len(raw))
		return append([]byte(js), raw...), map[string]string{headerLength: strconv.Itoa(len(js))}
	}
	long, longHdr := binary("bytes", "BYTES", "[1,1]", []byte{100, 0, 0, 0, 'a', 'b'})
	few, fewHdr := binary("bytes", "BYTES", "[1,2]", []byte{1, 0, 0, 0, 'a', 0, 0, 0})
	extra, extraHdr := binary("bytes", "BYTES", "[1,1]", []byte{1, 0, 0, 0, 'a', 'b'})
	huge, hugeHdr := binary("bytes", "BYTES", "[1,1000]", []byte{0, 0, 0, 0})
	cases := []struct {
		name string
		body []byte
		hdr  map[string]string
		want string
	}{
		{"int16", inferBody("int16", []int{1, 2}, "INT16", []int{1, 40000}), nil, `input "int16": element 1 (40000) is outside INT16's range [-32768, 32767]`},
		{"uint16", inferBody("uint16", []int{1, 2}, "UINT16", []int{1, 65536}), nil, `element 1 (65536) is outside UINT16's range [0, 65535]`},
		{"uint32", inferBody("uint32", []int{1, 2}, "UINT32", []int{-1, 0}), nil, `element 0 (-1) is outside UINT32's range [0, 4294967295]`},
		{"uint64", inferBody("uint64", []int{1, 2}, "UINT64", []int{0, -1}), nil, `element 1 (-1) is outside UINT64's range [0, 18446744073709551615]`},
		{"bf16", inferBody("bf16", []int{1, 2}, "BF16", []float64{1, 1e39}), nil, `element 1 (1e+39) is outside BF16's range`},
		{"bf16 rounds to infinity", inferBody("bf16", []int{1, 1}, "BF16", []float64{3.4e38}), nil, `element 0 (3.4e+38) is outside BF16's range`},
		{"bytes as numbers", inferBody("bytes", []int{1, 2}, "BYTES", []int{1, 2}), nil, `input "bytes": BYTES data element 0 is "1,2]", want a JSON string`},
		{"bytes length past the end", long, longHdr, `input "bytes": BYTES element 0 claims 100 bytes, 2 are left`},
		{"bytes too few", few, fewHdr, `binary data ends at element 1 of 2`},
		{"bytes left over", extra, extraHdr, `binary data has 1 bytes after the 1 BYTES elements of the shape`},
		{"bytes shape beyond the data", huge, hugeHdr, `too few for 1000 BYTES elements`},
	}
	for _, c := range cases {
		wantError(t, c.name, do(t, "POST", url, c.body, c.hdr), 400, c.want)
	}
}

func TestInferErrors(t *testing.T) {
	_, ts := newTestServer(t, Config{MaxRequestBytes: 4096, Models: []ModelSpec{
		{Name: "ae", Path: filepath.Join(golden, "model.onnx")}, {Name: "id", Path: identityModel(t)}}})
	url := ts.URL + "/v2/models/ae/infer"
	row := []float32{1, 2, 3, 4, 5, 6, 7, 8}
	big := make([]float32, 8*600)
	cases := []struct {
		name string
		body []byte
		hdr  map[string]string
		code int
		want string
	}{
		{"bad json", []byte(`{"inputs": [`), nil, 400, "decode request JSON"},
		{"no inputs", []byte(`{"inputs": []}`), nil, 400, "no inputs"},
		{"unknown input", inferBody("x", []int{1, 8}, "FP32", row), nil, 400, `no input "x"`},
		{"bad datatype", inferBody("input", []int{1, 8}, "FP128", row), nil, 400, `datatype "FP128" is not supported`},
		{"strings for numbers", inferBody("input", []int{1, 1}, "BYTES", []string{"1"}), nil, 400, `expected datatype FP32, got BYTES`},
		{"wrong datatype", inferBody("input", []int{1, 8}, "INT64", []int{1, 2, 3, 4, 5, 6, 7, 8}), nil, 400, "expected datatype FP32, got INT64"},
		{"wrong shape", inferBody("input", []int{2, 4}, "FP32", row), nil, 400, "expected shape [batch,8], got [2 4]"},
		{"too few values", inferBody("input", []int{2, 8}, "FP32", row), nil, 400, "data has 8 elements, shape needs 16"},
		{"too many values", inferBody("input", []int{1, 4}, "FP32", row), nil, 400, "more elements than the shape's 4"},
		{"negative dim", inferBody("input", []int{-1, 8}, "FP32", row), nil, 400, "negative dimension"},
		{"no shape", []byte(`{"inputs":[{"name":"input","datatype":"FP32","data":[1]}]}`), nil, 400, "shape missing"},
		{"no data", []byte(`{"inputs":[{"name":"input","shape":[1,8],"datatype":"FP32"}]}`), nil, 400, "no data"},
		{"not a number", inferBody("input", []int{1, 2}, "FP32", []any{1, "a"}), nil, 400, `element 1 is "\"a\"", not a number`},
		{"twice", []byte(`{"inputs":[{"name":"input","shape":[1,1],"datatype":"FP32","data":[1]},{"name":"input","shape":[1,1],"datatype":"FP32","data":[1]}]}`), nil, 400, "given twice"},
		{"unknown output", []byte(`{"inputs":[{"name":"input","shape":[1,8],"datatype":"FP32","data":[1,2,3,4,5,6,7,8]}],"outputs":[{"name":"code"}]}`), nil, 400, `no output "code"`},
		{"shared memory", []byte(`{"inputs":[{"name":"input","shape":[1,8],"datatype":"FP32","parameters":{"shared_memory_region":"r"}}]}`), nil, 400, "shared memory is not supported"},
		{"bad header length", inferBody("input", []int{1, 8}, "FP32", row), map[string]string{headerLength: "99999"}, 400, headerLength},
		{"binary too short", []byte(`{"inputs":[{"name":"input","shape":[1,8],"datatype":"FP32","parameters":{"binary_data_size":32}}]}` + "abcd"),
			map[string]string{headerLength: "98"}, 400, "binary_data_size 32 does not fit"},
		{"gzip", inferBody("input", []int{1, 8}, "FP32", row), map[string]string{"Content-Encoding": "gzip"}, 400, `Content-Encoding "gzip"`},
		{"too large", inferBody("input", []int{600, 8}, "FP32", big), nil, 413, "exceeds 4096 bytes"},
	}
	for _, c := range cases {
		wantError(t, c.name, do(t, "POST", url, c.body, c.hdr), c.code, c.want)
	}
	// Datatype-specific element checks on the identity model.
	idURL := ts.URL + "/v2/models/id/infer"
	wantError(t, "int8 range", do(t, "POST", idURL, inferBody("int8", []int{1, 2}, "INT8", []int{1, 300}), nil), 400, "outside INT8's range")
	wantError(t, "fractional int", do(t, "POST", idURL, inferBody("int32", []int{1, 2}, "INT32", []float64{1, 2.5}), nil), 400, "not an integer")
	wantError(t, "bool token", do(t, "POST", idURL, inferBody("bool", []int{1, 2}, "BOOL", []int{1, 0}), nil), 400, "want true or false")
	wantError(t, "missing input", do(t, "POST", idURL, inferBody("bool", []int{1, 2}, "BOOL", []bool{true, false}), nil), 400, `missing input "fp32"`)
	// Wrong methods get JSON errors too.
	wantError(t, "GET infer", do(t, "GET", url, nil, nil), 404, "no endpoint GET /v2/models/ae/infer")
}

func TestScoreEndpoint(t *testing.T) {
	dir := t.TempDir()
	calibrated := filepath.Join(dir, "model.onnx")
	b, err := os.ReadFile(filepath.Join(golden, "model.onnx"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(calibrated, b, 0o644))
	in, want := goldenIO(t)
	// Independent expectation: per-row MSE of input vs the trainer's reconstruction.
	n, d := in.Shape[0], in.Shape[1]
	mse := make([]float64, n)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			e := float64(in.F32()[i*d+j]) - float64(want.F32()[i*d+j])
			mse[i] += e * e / float64(d)
		}
	}
	// A threshold between the smallest and largest score flags some rows.
	lo, hi := mse[0], mse[0]
	for _, v := range mse {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	thr := (lo + hi) / 2
	require.NoError(t, export.SetThreshold(context.Background(), calibrated, thr))
	_, ts := newTestServer(t, Config{Models: []ModelSpec{{Name: "raw", Path: filepath.Join(golden, "model.onnx")}, {Name: "cal", Path: calibrated}}})
	body := inferBody("input", in.Shape, "FP32", in.F32())
	check := func(what string, r reply, thr float64) {
		t.Helper()
		require.Equal(t, 200, r.code, "%s: %s", what, r.body)
		var sr struct {
			Parameters map[string]any `json:"parameters"`
			Outputs    []struct {
				Name  string          `json:"name"`
				Shape []int           `json:"shape"`
				Data  json.RawMessage `json:"data"`
			} `json:"outputs"`
		}
		decodeJSON(t, r, &sr)
		require.Len(t, sr.Outputs, 2, what)
		assert.Equal(t, "score", sr.Outputs[0].Name, what)
		assert.Equal(t, "anomaly", sr.Outputs[1].Name, what)
		assert.Equal(t, thr, sr.Parameters["threshold"], what)
		var scores []float64
		var flags []bool
		require.NoError(t, json.Unmarshal(sr.Outputs[0].Data, &scores))
		require.NoError(t, json.Unmarshal(sr.Outputs[1].Data, &flags))
		require.Len(t, scores, n, what)
		require.Len(t, flags, n, what)
		for i := range scores {
			assert.InDelta(t, mse[i], scores[i], 1e-5*(1+mse[i]), "%s: score[%d]", what, i)
			// The flag follows the score the server reported; against the
			// independent expectation it must agree wherever the two
			// scores are not within tolerance of the threshold (thr = lo
			// puts one row exactly on it).
			assert.Equal(t, scores[i] > thr, flags[i], "%s: anomaly[%d] with reported score %g and threshold %g", what, i, scores[i], thr)
			if math.Abs(mse[i]-thr) > 1e-5*(1+mse[i]) {
				assert.Equal(t, mse[i] > thr, flags[i], "%s: anomaly[%d] with score %g and threshold %g", what, i, mse[i], thr)
			}
		}
	}
	check("metadata threshold", do(t, "POST", ts.URL+"/v2/models/cal/score", body, nil), thr)
	check("query threshold", do(t, "POST", ts.URL+"/v2/models/raw/score?threshold="+strconv.FormatFloat(lo, 'g', -1, 64), body, nil), lo)
	wantError(t, "uncalibrated", do(t, "POST", ts.URL+"/v2/models/raw/score", body, nil), 400, "has no latent.threshold")
	wantError(t, "bad threshold", do(t, "POST", ts.URL+"/v2/models/raw/score?threshold=abc", body, nil), 400, `threshold "abc"`)
	wantError(t, "elbo on plain AE", do(t, "POST", ts.URL+"/v2/models/cal/score?elbo=true", body, nil), 400, `no "mu" and "logvar"`)
}

func TestMetrics(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	in, _ := goldenIO(t)
	body := inferBody("input", in.Shape, "FP32", in.F32())
	for i := 0; i < 3; i++ {
		do(t, "POST", ts.URL+"/v2/models/ae/infer", body, nil)
	}
	do(t, "POST", ts.URL+"/v2/models/ae/infer", []byte("{"), nil)
	do(t, "POST", ts.URL+"/v2/models/nope/infer", body, nil)
	r := do(t, "GET", ts.URL+"/metrics", nil, nil)
	require.Equal(t, 200, r.code)
	text := string(r.body)
	for _, want := range []string{
		`latent_requests_total{code="200",endpoint="infer",model="ae",protocol="http"} 3`,
		`latent_requests_total{code="400",endpoint="infer",model="ae",protocol="http"} 1`,
		// Names of models the server does not know are not labels (they
		// would grow the series without bound).
		`latent_requests_total{code="404",endpoint="infer",model="",protocol="http"} 1`,
		`latent_request_errors_total{endpoint="infer",model="ae",protocol="http"} 1`,
		`latent_request_duration_seconds_count{endpoint="infer",model="ae",protocol="http"} 4`,
		`latent_batch_requests_count{model="ae"} 3`,
		`latent_runs_in_flight 0`,
		`latent_requests_pending 0`,
		`latent_models_loaded 1`,
		`latent_model_loads_total{model="ae",result="ok"} 1`,
	} {
		assert.Contains(t, text, want)
	}
}

func TestDynamicBatching(t *testing.T) {
	s, ts := newTestServer(t, Config{MaxBatch: 64, MaxDelay: 100 * time.Millisecond})
	m, err := s.repo.get("ae", "")
	require.NoError(t, err)
	batched := m.batcher != nil
	m.release()
	require.True(t, batched, "batching is off for a batch-major model")
	in, want := goldenIO(t)
	n, d := in.Shape[0], in.Shape[1]
	const clients = 8
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			// Client c sends k = 1+c%3 rows: golden rows c, c+1, … (cyclic).
			k := 1 + c%3
			x := make([]float32, 0, k*d)
			w := make([]float32, 0, k*d)
			for i := 0; i < k; i++ {
				r := (c + i) % n
				x = append(x, in.F32()[r*d:(r+1)*d]...)
				w = append(w, want.F32()[r*d:(r+1)*d]...)
			}
			body := inferBody("input", []int{k, d}, "FP32", x)
			resp, err := http.Post(ts.URL+"/v2/models/ae/infer", "application/json", bytes.NewReader(body))
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			var ir inferReply
			if err := json.NewDecoder(resp.Body).Decode(&ir); err != nil || resp.StatusCode != 200 || len(ir.Outputs) != 1 {
				errs <- fmt.Errorf("client %d: status %d, %v", c, resp.StatusCode, err)
				return
			}
			if len(ir.Outputs[0].Data) != len(w) {
				errs <- fmt.Errorf("client %d: %d values, want %d", c, len(ir.Outputs[0].Data), len(w))
				return
			}
			for i, v := range ir.Outputs[0].Data {
				if math.Abs(v-float64(w[i])) > 1e-5 {
					errs <- fmt.Errorf("client %d: value %d = %g, want %g", c, i, v, w[i])
					return
				}
			}
		}(c)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	r := do(t, "GET", ts.URL+"/metrics", nil, nil)
	runs, _ := strconv.Atoi(regexpFind(string(r.body), `latent_batch_requests_count{model="ae"} `))
	assert.GreaterOrEqual(t, runs, 1)
	assert.Less(t, runs, clients, "%d concurrent requests ran as %d model runs; batching should merge some", clients, runs)
}

// latent_requests_pending counts requests waiting for a run slot or for
// their batch to run; a request whose client leaves while its batch waits
// for a slot leaves the count and never runs.
func TestPendingRequests(t *testing.T) {
	lb := startLoopback(t, Config{MaxConcurrent: 1, QueueTimeout: time.Minute, MaxBatch: 4, MaxDelay: time.Millisecond,
		Models: []ModelSpec{{Name: "ae", Path: filepath.Join(golden, "model.onnx")}}})
	s := lb.s
	in, want := goldenIO(t)
	body := inferBody("input", in.Shape, "FP32", in.F32())
	pending := func() string {
		return regexpFind(string(do(t, "GET", lb.base+"/metrics", nil, nil).body), "\nlatent_requests_pending ")
	}
	s.sem <- struct{}{} // the only run slot is taken
	first := make(chan reply, 1)
	go func() { first <- do(t, "POST", lb.base+"/v2/models/ae/infer", body, nil) }()
	waitHeld(t, s, "ae", 1)
	ctx, cancel := context.WithCancel(context.Background())
	second := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, "POST", lb.base+"/v2/models/ae/infer", bytes.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		second <- err
	}()
	waitHeld(t, s, "ae", 2)
	// Both wait: the first batch for the slot, the second behind it (each
	// request has its batch, 1 ms apart; or both one batch).
	require.Eventually(t, func() bool { return pending() == "2" }, 10*time.Second, time.Millisecond)
	cancel()
	assert.Error(t, <-second)
	require.Eventually(t, func() bool { return pending() == "1" }, 10*time.Second, time.Millisecond)
	<-s.sem
	r := <-first
	require.Equal(t, 200, r.code, "%s", r.body)
	var ir inferReply
	decodeJSON(t, r, &ir)
	near(t, "first", ir.Outputs[0].Data, want.F32(), 1e-5)
	assert.Equal(t, "0", pending())
	require.Eventually(t, func() bool { return s.statistics(nil).ModelStats[0].InferenceStats.Fail.Count == 1 }, 10*time.Second, time.Millisecond)
	assert.Equal(t, uint64(1), s.statistics(nil).ModelStats[0].ExecutionCount, "the request that left ran")
}

func regexpFind(text, prefix string) string {
	i := strings.Index(text, prefix)
	if i < 0 {
		return ""
	}
	rest := text[i+len(prefix):]
	if j := strings.IndexByte(rest, '\n'); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

func TestBoundedConcurrency(t *testing.T) {
	s, ts := newTestServer(t, Config{MaxConcurrent: 1, QueueTimeout: 50 * time.Millisecond})
	in, _ := goldenIO(t)
	body := inferBody("input", in.Shape, "FP32", in.F32())
	s.sem <- struct{}{} // the only slot is taken
	// A request that cannot get a slot within QueueTimeout gets 503.
	wantError(t, "queue timeout", do(t, "POST", ts.URL+"/v2/models/ae/infer", body, nil), 503, "no capacity: 1 runs in flight for 50ms")
	// A client that gives up while queued is let go (its handler returns).
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/v2/models/ae/infer", bytes.NewReader(body))
	_, err := http.DefaultClient.Do(req)
	assert.Error(t, err, "request finished while the only run slot was held")
	<-s.sem
	r := do(t, "POST", ts.URL+"/v2/models/ae/infer", body, nil)
	assert.Equal(t, 200, r.code, "after the slot is free: %s", r.body)
	// Not ready (shutdown began): health says so, accepted requests still run.
	s.ready.Store(false)
	r = do(t, "POST", ts.URL+"/v2/models/ae/infer", body, nil)
	assert.Equal(t, 200, r.code, "infer while draining: %s", r.body)
	assert.Equal(t, 503, do(t, "GET", ts.URL+"/v2/health/ready", nil, nil).code, "health/ready while not ready")
	assert.Equal(t, 503, do(t, "GET", ts.URL+"/v2/models/ae/ready", nil, nil).code, "model ready while not ready")
	assert.Equal(t, 200, do(t, "GET", ts.URL+"/v2/health/live", nil, nil).code, "health/live while not ready")
	// After Close, runs are refused with 503 rather than failing on a
	// closed session.
	require.NoError(t, s.Close())
	wantError(t, "closed", do(t, "POST", ts.URL+"/v2/models/ae/infer", body, nil), 503, "shut down")
}

// loopback is a server for the tests running Serve (and ServeGRPC) on
// loopback ports.
type loopback struct {
	s        *Server
	addr     string // host:port
	base     string // http://host:port
	grpcAddr string // host:port of the gRPC service
	stop     context.CancelFunc
	done     chan struct{} // closed when Serve and ServeGRPC have returned
	err      error         // their first error, once done is closed
}

// waitHeld waits until n requests hold the live version of model name:
// they have been decoded and wait for, or hold, a run slot.
func waitHeld(t *testing.T, s *Server, name string, n int64) {
	t.Helper()
	require.Eventually(t, func() bool {
		m, err := s.repo.get(name, "")
		if err != nil {
			return false
		}
		defer m.release()
		return m.refs.Load() == n+1 // +1: this check's own reference
	}, 10*time.Second, time.Millisecond, "%d requests never held model %q", n, name)
}

// startLoopback builds a server for c and serves REST and gRPC on
// loopback ports. The test's cleanup stops it, requires Serve and
// ServeGRPC to return nil within 10 s and closes the server.
func startLoopback(t *testing.T, c Config) *loopback {
	t.Helper()
	s, err := New(context.Background(), c)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.Close()
		require.NoError(t, err)
	}
	gln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		ln.Close()
		s.Close()
		require.NoError(t, err)
	}
	ctx, stop := context.WithCancel(context.Background())
	lb := &loopback{s: s, addr: ln.Addr().String(), base: "http://" + ln.Addr().String(), grpcAddr: gln.Addr().String(),
		stop: stop, done: make(chan struct{})}
	errc := make(chan error, 2)
	go func() { errc <- s.Serve(ctx, ln) }()
	go func() { errc <- s.ServeGRPC(ctx, gln) }()
	go func() {
		lb.err = <-errc
		if err := <-errc; lb.err == nil {
			lb.err = err
		}
		close(lb.done)
	}()
	t.Cleanup(func() {
		stop()
		select {
		case <-lb.done:
			assert.NoError(t, lb.err)
		case <-time.After(10 * time.Second):
			assert.Fail(t, "Serve did not return within 10 s of being stopped")
		}
		s.Close()
	})
	return lb
}

func TestGracefulShutdownDrains(t *testing.T) {
	lb := startLoopback(t, Config{MaxConcurrent: 1, Models: []ModelSpec{{Name: "ae", Path: filepath.Join(golden, "model.onnx")}}})
	s, base := lb.s, lb.base
	in, want := goldenIO(t)
	body := inferBody("input", in.Shape, "FP32", in.F32())

	s.sem <- struct{}{} // hold the run slot so the request stays in flight
	got := make(chan reply, 1)
	go func() {
		resp, err := http.Post(base+"/v2/models/ae/infer", "application/json", bytes.NewReader(body))
		if err != nil {
			got <- reply{code: -1, body: []byte(err.Error())}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			got <- reply{code: -1, body: []byte(err.Error())}
			return
		}
		got <- reply{code: resp.StatusCode, body: b}
	}()
	waitHeld(t, s, "ae", 1) // the request is waiting for the slot
	lb.stop()
	require.Eventually(t, func() bool { return !s.Ready() }, 10*time.Second, time.Millisecond,
		"server still ready after shutdown began")
	select {
	case <-lb.done:
		require.Fail(t, "Serve returned with a request in flight", "%v", lb.err)
	default:
	}
	<-s.sem // let the in-flight request run
	r := <-got
	require.Equal(t, 200, r.code, "in-flight request: %s", r.body)
	var ir inferReply
	decodeJSON(t, r, &ir)
	near(t, "drained", ir.Outputs[0].Data, want.F32(), 1e-5)
	select {
	case <-lb.done:
		require.NoError(t, lb.err)
	case <-time.After(5 * time.Second):
		require.Fail(t, "Serve did not return after draining")
	}
	_, err := http.Get(base + "/v2/health/live")
	assert.Error(t, err, "server still accepts connections after shutdown")
}

func TestNewErrors(t *testing.T) {
	ae := filepath.Join(golden, "model.onnx")
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"none", Config{}, "no models"},
		{"missing file", Config{Models: []ModelSpec{{Name: "a", Path: "nope.onnx"}}}, "nope.onnx"},
		{"duplicate", Config{Models: []ModelSpec{{Name: "a", Path: ae}, {Name: "a", Path: ae}}}, `"a" given twice`},
		{"bad name", Config{Models: []ModelSpec{{Name: "a/b", Path: ae}}}, "may only hold"},
		{"dot dot", Config{Models: []ModelSpec{{Name: "..", Path: ae}}}, "path element"},
		{"bad backend", Config{Backend: "tpu", Models: []ModelSpec{{Name: "a", Path: ae}}}, "tpu"},
		{"no repository", Config{Repository: "/nonexistent/repo"}, "/nonexistent/repo"},
		{"repository is a file", Config{Repository: ae}, "is not a folder"},
	}
	for _, c := range cases {
		s, err := New(context.Background(), c.cfg)
		if !assert.Error(t, err, c.name) {
			s.Close()
			continue
		}
		assert.Contains(t, err.Error(), c.want, c.name)
	}
}

// failingModel writes a model that reshapes its [n,2] input to [5], which
// only fails when it runs.
func failingModel(t *testing.T) string {
	t.Helper()
	g := &graph.Graph{
		Name:         "fails",
		Initializers: map[string]*ops.Tensor{"shape": ops.FromInt64([]int{1}, []int64{5})},
		InitOrder:    []string{"shape"},
		Inputs: []graph.ValueInfo{{Name: "x", DType: ops.Float32, HasShape: true,
			Shape: graph.Shape{{Value: -1, Param: "n"}, {Value: 2}}, ElemTypeCode: graph.ElemTypeOf(ops.Float32)}},
		Outputs: []graph.ValueInfo{{Name: "y", DType: ops.Float32, ElemTypeCode: graph.ElemTypeOf(ops.Float32)}},
		Nodes:   []*graph.Node{{Name: "reshape", OpType: "Reshape", Inputs: []string{"x", "shape"}, Outputs: []string{"y"}}},
	}
	b, err := graph.Encode(&graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 17}, Graph: g})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "fails.onnx")
	require.NoError(t, os.WriteFile(path, b, 0o644))
	return path
}

func TestModelFailureIs500(t *testing.T) {
	_, ts := newTestServer(t, Config{Models: []ModelSpec{{Name: "f", Path: failingModel(t)}}})
	r := do(t, "POST", ts.URL+"/v2/models/f/infer", inferBody("x", []int{1, 2}, "FP32", []float32{1, 2}), nil)
	wantError(t, "runtime failure", r, 500, `model "f": run:`)
	// An empty batch cannot become 5 elements either.
	r = do(t, "POST", ts.URL+"/v2/models/f/infer", inferBody("x", []int{0, 2}, "FP32", []float32{}), nil)
	wantError(t, "empty batch", r, 500, `model "f": run:`)
	m := do(t, "GET", ts.URL+"/metrics", nil, nil)
	assert.Contains(t, string(m.body), `latent_requests_total{code="500",endpoint="infer",model="f",protocol="http"} 2`, "500s are counted per model")
}

// The hand-written response encoder gives what encoding/json gives.
func TestResponseJSONMatchesEncodingJSON(t *testing.T) {
	for _, r := range []inferResponse{
		{ModelName: "ae", Outputs: []responseTensor{}},
		{ModelName: "a\"b\\c\n<x>", ModelVersion: "2", ID: "id-\u2028", Parameters: map[string]any{"scale_warning": "w", "n": 1.5},
			Outputs: []responseTensor{
				{Name: "out", Datatype: "FP32", Shape: []int64{2, 1}, Data: json.RawMessage(`[1,2.5]`)},
				{Name: "bin", Datatype: "BOOL", Shape: []int64{0}, Parameters: map[string]any{"binary_data_size": 0}},
			}},
	} {
		want, err := json.Marshal(r)
		require.NoError(t, err)
		got, err := r.appendJSON(nil)
		require.NoError(t, err)
		assert.JSONEq(t, string(want), string(got))
		assert.Equal(t, string(want), string(got), "byte for byte")
	}
}

package promtext

import (
	"bytes"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The exposition of a small registry, written out by hand from the text
// format's rules: families by name, HELP and TYPE lines, labels sorted by
// name and escaped, children by label values, cumulative buckets with
// le="+Inf", _sum and _count.
func TestExposition(t *testing.T) {
	r := NewRegistry()
	req := r.Counter("app_requests_total", "Requests by path\nand code.", "path", "code")
	req.WithLabelValues("/b", "200").Inc()
	req.WithLabelValues("/a", "500").Add(2)
	req.WithLabelValues("/a", "200").Inc()
	req.WithLabelValues("/a", "200").Inc()
	req.WithLabelValues(`q"x\y`+"\n", "200").Inc()
	g := r.Gauge("app_in_flight", "Runs now.")
	g.Inc()
	g.Inc()
	g.Dec()
	lat := r.Histogram("app_seconds", "Latency.", []float64{0.001, 0.01, 0.1}, "path")
	for _, v := range []float64{0.0005, 0.001, 0.05, 0.05, 3} {
		lat.WithLabelValues("/a").Observe(v)
	}
	r.Counter("app_unused_total", "Never incremented.", "x") // a family with labels shows once used
	r.Gauge("app_zero", "Zero until set.")

	var b bytes.Buffer
	_, err := r.WriteTo(&b)
	require.NoError(t, err)
	want := `# HELP app_in_flight Runs now.
# TYPE app_in_flight gauge
app_in_flight 1
# HELP app_requests_total Requests by path\nand code.
# TYPE app_requests_total counter
app_requests_total{code="200",path="/a"} 2
app_requests_total{code="200",path="/b"} 1
app_requests_total{code="200",path="q\"x\\y\n"} 1
app_requests_total{code="500",path="/a"} 2
# HELP app_seconds Latency.
# TYPE app_seconds histogram
app_seconds_bucket{path="/a",le="0.001"} 2
app_seconds_bucket{path="/a",le="0.01"} 2
app_seconds_bucket{path="/a",le="0.1"} 4
app_seconds_bucket{path="/a",le="+Inf"} 5
app_seconds_sum{path="/a"} 3.1015
app_seconds_count{path="/a"} 5
# HELP app_zero Zero until set.
# TYPE app_zero gauge
app_zero 0
`
	assert.Equal(t, want, b.String())

	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	assert.Equal(t, "text/plain; version=0.0.4; charset=utf-8", rec.Header().Get("Content-Type"))
	assert.Equal(t, want, rec.Body.String())
}

func TestBuckets(t *testing.T) {
	assert.Equal(t, []float64{1, 2.5, 6.25}, ExponentialBuckets(1, 2.5, 3))
	assert.Equal(t, []float64{1, 2, 3, 4}, LinearBuckets(1, 1, 4))
}

func TestMisuse(t *testing.T) {
	r := NewRegistry()
	r.Counter("a_total", "x", "l")
	assert.Panics(t, func() { r.Counter("a_total", "again") }, "duplicate name")
	assert.Panics(t, func() { r.Counter("1bad", "x") }, "bad name")
	assert.Panics(t, func() { r.Counter("b_total", "x", "le") }, "reserved label")
	assert.Panics(t, func() { r.Histogram("h", "x", []float64{2, 1}) }, "unsorted buckets")
	c := r.Counter("c_total", "x", "l")
	assert.Panics(t, func() { c.WithLabelValues("a", "b") }, "label count")
	assert.Panics(t, func() { c.WithLabelValues("a").Add(-1) }, "counter down")
}

// Concurrent updates lose nothing.
func TestConcurrentUpdates(t *testing.T) {
	r := NewRegistry()
	c := r.Counter("n_total", "x", "k")
	h := r.Histogram("h", "x", []float64{1}, "k")
	g := r.Gauge("g", "x")
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				c.WithLabelValues("a").Inc()
				h.WithLabelValues("a").Observe(0.5)
				g.Inc()
				g.Dec()
			}
		}()
	}
	wg.Wait()
	var b bytes.Buffer
	r.WriteTo(&b)
	assert.Contains(t, b.String(), `n_total{k="a"} 8000`)
	assert.Contains(t, b.String(), `h_count{k="a"} 8000`)
	assert.Contains(t, b.String(), `h_sum{k="a"} 4000`)
	assert.Contains(t, b.String(), "g 0\n")
}

// Package promtext owns latent's Prometheus metrics: counters, gauges and
// histograms with labels, and their exposition in Prometheus' text format
// (version 0.0.4) for a /metrics endpoint.
//
// It does what the server needs and no more, in a few hundred lines: the
// Prometheus client library costs the static edge binary about 0.75 MB
// (its protobuf exposition, process collectors and their dependencies),
// which the 15 MB limit cannot spare next to gRPC.
package promtext

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Registry holds metric families and writes them in name order.
type Registry struct {
	mu       sync.Mutex
	families map[string]*family
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{families: map[string]*family{}} }

type kind string

const (
	kindCounter   kind = "counter"
	kindGauge     kind = "gauge"
	kindHistogram kind = "histogram"
)

// family is one metric name with its children, one per label values.
type family struct {
	name, help string
	kind       kind
	labels     []string // as declared
	order      []int    // label indices sorted by name, the exposition order
	buckets    []float64

	mu       sync.Mutex
	children map[string]*child
}

// child is the value of one label combination.
type child struct {
	values []string
	bits   atomic.Uint64 // counter or gauge value as float64 bits
	// histogram
	mu     sync.Mutex
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	count  uint64
}

func (r *Registry) add(name, help string, k kind, buckets []float64, labels []string) *family {
	if !validName(name) {
		panic(fmt.Sprintf("promtext: invalid metric name %q", name))
	}
	for _, l := range labels {
		if !validName(l) || l == "le" {
			panic(fmt.Sprintf("promtext: metric %s: invalid label name %q", name, l))
		}
	}
	f := &family{name: name, help: help, kind: k, labels: labels, buckets: buckets, children: map[string]*child{}}
	f.order = make([]int, len(labels))
	for i := range f.order {
		f.order[i] = i
	}
	sort.Slice(f.order, func(i, j int) bool { return labels[f.order[i]] < labels[f.order[j]] })
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.families[name]; dup {
		panic(fmt.Sprintf("promtext: metric %s registered twice", name))
	}
	r.families[name] = f
	return f
}

func validName(n string) bool {
	if n == "" {
		return false
	}
	for i, c := range n {
		if !(c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (f *family) with(values []string) *child {
	if len(values) != len(f.labels) {
		panic(fmt.Sprintf("promtext: metric %s has labels %v, got %d values", f.name, f.labels, len(values)))
	}
	key := strings.Join(values, "\xff")
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.children[key]
	if c == nil {
		c = &child{values: append([]string(nil), values...)}
		if f.kind == kindHistogram {
			c.counts = make([]uint64, len(f.buckets)+1)
		}
		f.children[key] = c
	}
	return c
}

func (c *child) add(v float64) {
	for {
		old := c.bits.Load()
		if c.bits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			return
		}
	}
}

// CounterVec is a counter with labels.
type CounterVec struct{ f *family }

// Counter registers a counter; labels are the label names.
func (r *Registry) Counter(name, help string, labels ...string) *CounterVec {
	return &CounterVec{r.add(name, help, kindCounter, nil, labels)}
}

// WithLabelValues returns the counter of the label values (in the order
// the label names were given).
func (v *CounterVec) WithLabelValues(values ...string) *Counter {
	return &Counter{v.f.with(values)}
}

// Counter only goes up.
type Counter struct{ c *child }

// Inc adds one.
func (c *Counter) Inc() { c.c.add(1) }

// Add adds v, which must not be negative.
func (c *Counter) Add(v float64) {
	if v < 0 {
		panic("promtext: counter decreased")
	}
	c.c.add(v)
}

// Gauge is a value without labels that goes up and down.
type Gauge struct{ c *child }

// Gauge registers a gauge.
func (r *Registry) Gauge(name, help string) *Gauge {
	return &Gauge{r.add(name, help, kindGauge, nil, nil).with(nil)}
}

// Inc adds one.
func (g *Gauge) Inc() { g.c.add(1) }

// Dec subtracts one.
func (g *Gauge) Dec() { g.c.add(-1) }

// Set sets the value.
func (g *Gauge) Set(v float64) { g.c.bits.Store(math.Float64bits(v)) }

// HistogramVec is a histogram with labels.
type HistogramVec struct{ f *family }

// Histogram registers a histogram with the given upper bucket bounds (in
// increasing order; +Inf is implied).
func (r *Registry) Histogram(name, help string, buckets []float64, labels ...string) *HistogramVec {
	if !sort.Float64sAreSorted(buckets) {
		panic(fmt.Sprintf("promtext: histogram %s: buckets %v are not increasing", name, buckets))
	}
	return &HistogramVec{r.add(name, help, kindHistogram, append([]float64(nil), buckets...), labels)}
}

// WithLabelValues returns the histogram of the label values.
func (v *HistogramVec) WithLabelValues(values ...string) *Histogram {
	return &Histogram{v.f.with(values), v.f.buckets}
}

// Histogram counts observations into buckets.
type Histogram struct {
	c       *child
	buckets []float64
}

// Observe records one value.
func (h *Histogram) Observe(v float64) {
	i := sort.SearchFloat64s(h.buckets, v) // the first bound ≥ v
	h.c.mu.Lock()
	h.c.counts[i]++
	h.c.sum += v
	h.c.count++
	h.c.mu.Unlock()
}

// ExponentialBuckets returns n bounds: start, start·factor, start·factor², …
func ExponentialBuckets(start, factor float64, n int) []float64 {
	b := make([]float64, n)
	for i := range b {
		b[i] = start
		start *= factor
	}
	return b
}

// LinearBuckets returns n bounds: start, start+width, …
func LinearBuckets(start, width float64, n int) []float64 {
	b := make([]float64, n)
	for i := range b {
		b[i] = start + float64(i)*width
	}
	return b
}

// WriteTo writes every metric in the text exposition format, families in
// name order and children in label-value order.
func (r *Registry) WriteTo(w io.Writer) (int64, error) {
	r.mu.Lock()
	fams := make([]*family, 0, len(r.families))
	for _, f := range r.families {
		fams = append(fams, f)
	}
	r.mu.Unlock()
	sort.Slice(fams, func(i, j int) bool { return fams[i].name < fams[j].name })
	var b bytes.Buffer
	for _, f := range fams {
		f.write(&b)
	}
	return b.WriteTo(w)
}

func (f *family) write(b *bytes.Buffer) {
	f.mu.Lock()
	children := make([]*child, 0, len(f.children))
	for _, c := range f.children {
		children = append(children, c)
	}
	f.mu.Unlock()
	if len(children) == 0 && len(f.labels) > 0 {
		return // a family with labels shows once it has a child
	}
	sort.Slice(children, func(i, j int) bool {
		a, c := children[i].values, children[j].values
		for _, k := range f.order {
			if a[k] != c[k] {
				return a[k] < c[k]
			}
		}
		return false
	})
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", f.name, escapeHelp(f.help), f.name, f.kind)
	for _, c := range children {
		if f.kind != kindHistogram {
			f.sample(b, "", c.values, "", math.Float64frombits(c.bits.Load()))
			continue
		}
		c.mu.Lock()
		counts, sum, count := append([]uint64(nil), c.counts...), c.sum, c.count
		c.mu.Unlock()
		var cum uint64
		for i, bound := range f.buckets {
			cum += counts[i]
			f.sample(b, "_bucket", c.values, formatFloat(bound), float64(cum))
		}
		f.sample(b, "_bucket", c.values, "+Inf", float64(count))
		f.sample(b, "_sum", c.values, "", sum)
		f.sample(b, "_count", c.values, "", float64(count))
	}
}

// sample writes one line: name+suffix{labels[,le]} value.
func (f *family) sample(b *bytes.Buffer, suffix string, values []string, le string, v float64) {
	b.WriteString(f.name)
	b.WriteString(suffix)
	if len(values) > 0 || le != "" {
		b.WriteByte('{')
		for i, k := range f.order {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(b, "%s=\"%s\"", f.labels[k], escapeLabel(values[k]))
		}
		if le != "" {
			if len(values) > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(b, "le=\"%s\"", le)
		}
		b.WriteByte('}')
	}
	b.WriteByte(' ')
	b.WriteString(formatFloat(v))
	b.WriteByte('\n')
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

func escapeHelp(s string) string  { return helpEscaper.Replace(s) }
func escapeLabel(s string) string { return labelEscaper.Replace(s) }

// Handler serves the registry's metrics.
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var b bytes.Buffer
		r.WriteTo(&b)
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
		w.Write(b.Bytes())
	})
}

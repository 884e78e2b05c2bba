package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/native"
	"github.com/latent-ml/latent/runtime/native/passes"
	"github.com/latent-ml/latent/runtime/operators"
)

const inspectUsage = `usage: latent inspect MODEL [--json] [--optimized [--disable-pass NAMES]]
       latent inspect --operators [--json]
       latent inspect --passes [--json]

Prints what an ONNX model contains: IR and opset versions, producer, graph
inputs and outputs with element types and (symbolic) shapes, a histogram
of operators (marking those the native backend lacks), the parameter count
and the metadata. The model is decoded and validated but not compiled.
With --optimized, describes the graph the native backend runs, after its
optimiser passes, and what each pass changed; --disable-pass leaves the
named passes (comma-separated) out. With --operators, lists the operators
the native backend implements; with --passes, its passes in order.

examples:
  latent inspect testdata/models/dense-ae/model.onnx
  latent inspect model.onnx --json | jq .operators
  latent inspect model.onnx --optimized   # after constant folding and Gemm fusion
  latent inspect model.onnx --optimized --disable-pass fuse-layers,prepack-weights
  latent inspect --operators
  latent inspect --passes`

func init() {
	register(&command{
		name:    "inspect",
		summary: "describe an ONNX model: versions, inputs/outputs, operators, parameters",
		run:     cmdInspect,
	})
}

// modelReport is the --json form of inspect.
type modelReport struct {
	Path            string            `json:"path"`
	IRVersion       int64             `json:"ir_version"`
	Opsets          map[string]int64  `json:"opsets"`
	Producer        string            `json:"producer"`
	ProducerVersion string            `json:"producer_version,omitempty"`
	Graph           string            `json:"graph"`
	Inputs          []valueReport     `json:"inputs"`
	Outputs         []valueReport     `json:"outputs"`
	Nodes           int               `json:"nodes"`
	Operators       []opReport        `json:"operators"`
	Initializers    int               `json:"initializers"`
	Parameters      int64             `json:"parameters"`
	Metadata        map[string]string `json:"metadata"`
	// Passes, with --optimized: what each optimiser pass changed, in order.
	Passes []passReport `json:"passes,omitempty"`
}

// passReport is one optimiser pass of an --optimized inspection.
type passReport struct {
	Name        string  `json:"name"`
	NodesBefore int     `json:"nodes_before"`
	NodesAfter  int     `json:"nodes_after"`
	InitsBefore int     `json:"initializers_before"`
	InitsAfter  int     `json:"initializers_after"`
	Millis      float64 `json:"ms"`
}

type valueReport struct {
	Name  string `json:"name"`
	DType string `json:"dtype"`
	Shape string `json:"shape"` // "[batch,784]", "?" when unknown
}

type opReport struct {
	Op     string `json:"op"` // "Conv", or "domain/Op" outside ai.onnx (latent.native/FusedGemm after --optimized)
	Count  int    `json:"count"`
	Native bool   `json:"native"` // the native backend has a kernel
}

func cmdInspect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("inspect", inspectUsage, stderr)
	asJSON := fs.Bool("json", false, "print a JSON object instead of text")
	listOps := fs.Bool("operators", false, "list the operators the native backend implements")
	optimized := fs.Bool("optimized", false, "describe the graph after the native backend's passes (folding, fusion)")
	listPasses := fs.Bool("passes", false, "list the native optimiser's passes in order")
	disable := fs.String("disable-pass", "", "with --optimized: comma-separated passes to leave out")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *listPasses {
		if len(pos) != 0 || *listOps {
			return usagef("--passes takes no MODEL argument")
		}
		type passDoc struct {
			Name string `json:"name"`
			Doc  string `json:"doc"`
		}
		var docs []passDoc
		for _, p := range passes.Default() {
			docs = append(docs, passDoc{p.Name, p.Doc})
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(docs)
		}
		for _, d := range docs {
			fmt.Fprintf(stdout, "%-20s %s\n", d.Name, d.Doc)
		}
		return nil
	}
	if *disable != "" && !*optimized {
		return usagef("--disable-pass needs --optimized")
	}
	if *listOps {
		if len(pos) != 0 {
			return usagef("--operators takes no MODEL argument")
		}
		names := operators.Operators()
		if *asJSON {
			return json.NewEncoder(stdout).Encode(names)
		}
		for _, n := range names {
			fmt.Fprintln(stdout, n)
		}
		return nil
	}
	path, err := modelArg(pos, "model.onnx")
	if err != nil {
		return err
	}
	m, err := graph.DecodeFile(path)
	if err != nil {
		return err
	}
	var steps []passReport
	if *optimized {
		pipeline, err := passes.Default().Without(splitList(*disable)...)
		if err != nil {
			return usagef("--disable-pass: %v", err)
		}
		traced := passes.Pipeline{{Name: "trace", Run: func(m *graph.Model, g *graph.Graph) (*graph.Graph, error) {
			return pipeline.Trace(m, g, func(s passes.Step) {
				steps = append(steps, passReport{Name: s.Pass, NodesBefore: s.NodesBefore, NodesAfter: s.NodesAfter,
					InitsBefore: s.InitsBefore, InitsAfter: s.InitsAfter, Millis: float64(s.Elapsed.Microseconds()) / 1000})
			})
		}}}
		// Compile, not just the passes: the report is of the graph the
		// backend runs, and a model it cannot plan is an error here too.
		p, err := native.Compile(m, native.Options{Optimize: true, Passes: traced})
		if err != nil {
			return err
		}
		om := *m
		om.Graph = p.Graph()
		m = &om
	}
	r := inspectModel(path, m)
	r.Passes = steps
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	printReport(stdout, r)
	return nil
}

func describeValue(vi graph.ValueInfo) valueReport {
	dt := vi.DType.String()
	switch {
	case vi.TypeRaw != nil:
		dt = graph.TypeString(vi) // seq(tensor(float)), optional(…)
	case vi.DType == 0:
		dt = graph.ElemTypeName(vi.ElemTypeCode)
	}
	shape := "?"
	if vi.HasShape {
		shape = vi.Shape.String()
	}
	return valueReport{Name: vi.Name, DType: dt, Shape: shape}
}

func inspectModel(path string, m *graph.Model) modelReport {
	g := m.Graph
	r := modelReport{
		Path: path, IRVersion: m.IRVersion, Opsets: map[string]int64{},
		Producer: m.ProducerName, ProducerVersion: m.ProducerVersion,
		Graph: g.Name, Nodes: len(g.Nodes), Initializers: len(g.Initializers),
		Metadata: map[string]string{},
		Inputs:   []valueReport{}, Outputs: []valueReport{}, Operators: []opReport{},
	}
	for d, v := range m.Opsets {
		if d == "" {
			d = "ai.onnx"
		}
		r.Opsets[d] = v
	}
	for _, vi := range g.Inputs {
		r.Inputs = append(r.Inputs, describeValue(vi))
	}
	for _, vi := range g.Outputs {
		r.Outputs = append(r.Outputs, describeValue(vi))
	}
	counts := map[string]*opReport{}
	for _, n := range g.Nodes {
		key := n.OpType
		if n.Domain != "" && n.Domain != "ai.onnx" {
			key = n.Domain + "/" + n.OpType
		}
		if c := counts[key]; c != nil {
			c.Count++
			continue
		}
		counts[key] = &opReport{Op: key, Count: 1, Native: operators.Supported(n.Domain, n.OpType)}
	}
	for _, c := range counts {
		r.Operators = append(r.Operators, *c)
	}
	sort.Slice(r.Operators, func(i, j int) bool {
		a, b := r.Operators[i], r.Operators[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Op < b.Op
	})
	for _, t := range g.Initializers {
		if t != nil {
			r.Parameters += int64(t.Len())
		}
	}
	for _, e := range m.Metadata {
		r.Metadata[e.Key] = e.Value
	}
	return r
}

func printReport(w io.Writer, r modelReport) {
	fmt.Fprintf(w, "model:      %s\n", r.Path)
	fmt.Fprintf(w, "ir_version: %d\n", r.IRVersion)
	var doms []string
	for d := range r.Opsets {
		doms = append(doms, d)
	}
	sort.Strings(doms)
	fmt.Fprint(w, "opsets:    ")
	for _, d := range doms {
		fmt.Fprintf(w, " %s=%d", d, r.Opsets[d])
	}
	fmt.Fprintln(w)
	prod := r.Producer
	if r.ProducerVersion != "" {
		prod += " " + r.ProducerVersion
	}
	if prod == "" {
		prod = "(none)"
	}
	fmt.Fprintf(w, "producer:   %s\n", prod)
	fmt.Fprintf(w, "graph:      %s\n", r.Graph)
	fmt.Fprintf(w, "inputs:\n")
	for _, v := range r.Inputs {
		fmt.Fprintf(w, "  %-20s %s%s\n", v.Name, v.DType, v.Shape)
	}
	fmt.Fprintf(w, "outputs:\n")
	for _, v := range r.Outputs {
		fmt.Fprintf(w, "  %-20s %s%s\n", v.Name, v.DType, v.Shape)
	}
	fmt.Fprintf(w, "operators (%d nodes):\n", r.Nodes)
	width := 20
	for _, o := range r.Operators {
		width = max(width, len(o.Op))
	}
	for _, o := range r.Operators {
		note := ""
		if !o.Native {
			note = "  (no native kernel)"
		}
		fmt.Fprintf(w, "  %-*s %d%s\n", width, o.Op, o.Count, note)
	}
	fmt.Fprintf(w, "parameters: %d in %d initializers\n", r.Parameters, r.Initializers)
	if len(r.Passes) > 0 {
		fmt.Fprintf(w, "passes (nodes, initializers):\n")
		for _, p := range r.Passes {
			fmt.Fprintf(w, "  %-20s %4d -> %-4d %4d -> %-4d %8.3f ms\n", p.Name, p.NodesBefore, p.NodesAfter, p.InitsBefore, p.InitsAfter, p.Millis)
		}
	}
	if len(r.Metadata) > 0 {
		keys := make([]string, 0, len(r.Metadata))
		for k := range r.Metadata {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintf(w, "metadata:\n")
		for _, k := range keys {
			fmt.Fprintf(w, "  %s = %s\n", k, r.Metadata[k])
		}
	}
}

// splitList splits a comma-separated flag value, dropping blanks.
func splitList(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	goruntime "runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/latent-ml/latent/internal/atomicfile"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/native"
)

const profileUsage = `usage: latent profile MODEL [--batch N] [--threads T] [--runs R] [--warmup W]
                      [--top K] [--cpuprofile FILE] [--json]

Shows where the native backend spends its time on MODEL: it compiles the
model as latent run does (optimisation passes on, so fused nodes appear as
FusedConv, FusedGemm, …), makes W warm-up runs on random inputs (as latent
bench: the first dimension set to --batch, floats uniform in [0, 1),
integers zero), then R runs timing every node, and prints

  - the time per kind of node (CPU time of the running thread on Linux,
    so that a busy machine's waits for a core do not count; wall time
    elsewhere; with --threads above 1 the helpers' work is not counted): the operator, and for convolutions whether
    they are depthwise, grouped, 1×1 or k×k, their stride and the fused
    activation (e.g. "Conv depthwise 5x5/2 +HardSwish"), with the share of
    the run;
  - the K slowest nodes with their input and output shapes.

--cpuprofile FILE also writes a Go CPU profile of R further runs without
the per-node timing (go tool pprof -top FILE): the kernels' functions
behind the node times. --json prints one JSON object per node instead.

examples:
  latent profile model.onnx --batch 2 --threads 1
  latent profile model.onnx --batch 8 --threads 1 --cpuprofile cpu.out --top 30`

func init() {
	register(&command{
		name:    "profile",
		summary: "time every node of a model on the native backend (and write a CPU profile)",
		run:     cmdProfile,
	})
}

// nodeProfile is one node's accumulated time, also its JSON form.
type nodeProfile struct {
	Index  int      `json:"index"` // execution order
	Name   string   `json:"name"`
	OpType string   `json:"op_type"`
	Kind   string   `json:"kind"`
	Inputs []string `json:"inputs"`         // shapes, "" for omitted inputs
	Output string   `json:"output"`         // first output's shape
	US     float64  `json:"us_per_run"`     // wall time
	CPUUS  float64  `json:"cpu_us_per_run"` // the running thread's CPU time (0 where unavailable)
	Share  float64  `json:"share"`          // of the sum over nodes (CPU time when available)
	wall   time.Duration
	cpu    time.Duration
}

func cmdProfile(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("profile", profileUsage, stderr)
	batch := fs.Int("batch", 1, "batch size bound to the first input dimension")
	threads := fs.Int("threads", 1, "threads per run (0: GOMAXPROCS)")
	runs := fs.Int("runs", 20, "timed runs")
	warmup := fs.Int("warmup", 3, "untimed runs before measuring")
	top := fs.Int("top", 15, "slowest nodes to list")
	cpuprofile := fs.String("cpuprofile", "", "also write a CPU profile of --runs untimed runs to FILE")
	asJSON := fs.Bool("json", false, "print one JSON object per node")
	seed := fs.Uint64("seed", 1, "seed of the random inputs")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *batch < 1 || *threads < 0 || *runs < 1 || *warmup < 0 || *top < 0 {
		return usagef("--batch and --runs must be at least 1, --threads, --warmup and --top at least 0 (got %d, %d, %d, %d, %d)",
			*batch, *runs, *threads, *warmup, *top)
	}
	path, err := modelArg(pos, "model.onnx")
	if err != nil {
		return err
	}
	t := *threads
	if t == 0 {
		t = ops.Threads()
	}
	prev := ops.Threads()
	ops.SetThreads(t)
	defer ops.SetThreads(prev)

	m, err := graph.DecodeFile(path)
	if err != nil {
		return err
	}
	plan, err := native.Compile(m, native.Options{Threads: t, Optimize: true})
	if err != nil {
		return fmt.Errorf("compile %s: %w", path, err)
	}
	inputs, err := benchInputs(m.Graph.Inputs, *batch, *seed)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for range *warmup {
		if _, err := plan.Run(ctx, inputs); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}

	var wall time.Duration
	if *cpuprofile != "" {
		var buf strings.Builder
		if err := pprof.StartCPUProfile(&buf); err != nil {
			return fmt.Errorf("start CPU profile: %w", err)
		}
		start := time.Now()
		for range *runs {
			if _, err := plan.Run(ctx, inputs); err != nil {
				pprof.StopCPUProfile()
				return fmt.Errorf("%s: %w", path, err)
			}
		}
		wall = time.Since(start)
		pprof.StopCPUProfile()
		if err := atomicfile.Write(*cpuprofile, []byte(buf.String())); err != nil {
			return fmt.Errorf("write CPU profile: %w", err)
		}
	}

	var nodes []*nodeProfile
	byNode := map[*graph.Node]*nodeProfile{}
	// The CPU time between two observations is the step's (plus the
	// executor's small bookkeeping between steps).
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()
	lastCPU, haveCPU := threadCPU()
	observe := func(s native.StepTiming) {
		now, _ := threadCPU()
		p := byNode[s.Node]
		if p == nil {
			p = &nodeProfile{Index: len(nodes), Name: s.Node.Name, OpType: s.Node.OpType, Kind: nodeKind(s)}
			for _, in := range s.In {
				p.Inputs = append(p.Inputs, shapeString(in))
			}
			if len(s.Out) > 0 {
				p.Output = shapeString(s.Out[0])
			}
			byNode[s.Node] = p
			nodes = append(nodes, p)
		}
		p.wall += s.Elapsed
		p.cpu += now - lastCPU
		lastCPU = now
	}
	start, procStart := time.Now(), processCPU()
	for range *runs {
		lastCPU, _ = threadCPU()
		if _, err := plan.RunObserved(ctx, inputs, observe); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	observed, procCPU := time.Since(start), processCPU()-procStart
	if wall == 0 {
		wall = observed
	}
	var sum, sumCPU time.Duration
	for _, p := range nodes {
		if !haveCPU {
			p.cpu = 0
		}
		sum += p.wall
		sumCPU += p.cpu
	}
	for _, p := range nodes {
		p.US = float64(p.wall) / float64(*runs) / float64(time.Microsecond)
		p.CPUUS = float64(p.cpu) / float64(*runs) / float64(time.Microsecond)
		switch {
		case haveCPU && sumCPU > 0:
			p.Share = float64(p.cpu) / float64(sumCPU)
		case sum > 0:
			p.Share = float64(p.wall) / float64(sum)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, p := range nodes {
			if err := enc.Encode(p); err != nil {
				return err
			}
		}
		return nil
	}
	printProfile(stdout, path, *batch, t, *runs, wall, sum, sumCPU, procCPU, haveCPU, nodes, *top)
	return nil
}

// printProfile prints the per-kind table and the slowest nodes: wall and
// (where available) CPU milliseconds per run, shares of the CPU time. The
// header gives the whole process's CPU time per run beside the nodes' sum:
// a process figure well above it means kernels used helper threads (or the
// garbage collector ran), which the per-node CPU times do not see.
func printProfile(w io.Writer, path string, batch, threads, runs int, wall, sum, sumCPU, procCPU time.Duration, haveCPU bool, nodes []*nodeProfile, top int) {
	perRun := func(d time.Duration) float64 { return float64(d) / float64(runs) / float64(time.Millisecond) }
	fmt.Fprintf(w, "model %s, batch %d, threads %d, native kernels %s: %d runs, %.3f ms per run (nodes: wall %.3f ms, CPU %.3f ms; process CPU %.3f ms; %d nodes after optimisation)\n\n",
		path, batch, threads, ops.GemmKernel(), runs, perRun(wall), perRun(sum), perRun(sumCPU), perRun(procCPU), len(nodes))
	cost := func(p *nodeProfile) time.Duration {
		if haveCPU {
			return p.cpu
		}
		return p.wall
	}
	total := sum
	if haveCPU {
		total = sumCPU
	}
	type kindTotal struct {
		kind      string
		n         int
		wall, cpu time.Duration
		cost      time.Duration
	}
	kinds := map[string]*kindTotal{}
	var order []*kindTotal
	for _, p := range nodes {
		k := kinds[p.Kind]
		if k == nil {
			k = &kindTotal{kind: p.Kind}
			kinds[p.Kind] = k
			order = append(order, k)
		}
		k.n++
		k.wall += p.wall
		k.cpu += p.cpu
		k.cost += cost(p)
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].cost > order[j].cost })
	share := func(d time.Duration) float64 {
		if total == 0 {
			return 0
		}
		return 100 * float64(d) / float64(total)
	}
	fmt.Fprintln(w, "| kind | nodes | CPU ms/run | wall ms/run | % |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|")
	for _, k := range order {
		fmt.Fprintf(w, "| %s | %d | %.3f | %.3f | %.1f |\n", k.kind, k.n, perRun(k.cpu), perRun(k.wall), share(k.cost))
	}
	if top == 0 {
		return
	}
	sorted := append([]*nodeProfile(nil), nodes...)
	sort.SliceStable(sorted, func(i, j int) bool { return cost(sorted[i]) > cost(sorted[j]) })
	if len(sorted) > top {
		sorted = sorted[:top]
	}
	fmt.Fprintf(w, "\nslowest %d nodes:\n\n", len(sorted))
	fmt.Fprintln(w, "| # | kind | node | inputs → output | CPU ms/run | % |")
	fmt.Fprintln(w, "|--:|---|---|---|--:|--:|")
	for _, p := range sorted {
		name := p.Name
		if len(name) > 48 {
			name = "…" + name[len(name)-47:]
		}
		fmt.Fprintf(w, "| %d | %s | %s | %s → %s | %.3f | %.1f |\n", p.Index, p.Kind, name, strings.Join(p.Inputs, " "), p.Output, perRun(cost(p)), share(cost(p)))
	}
}

// shapeString writes a tensor's shape as 2x3x4 ("" for an omitted input,
// "scalar" for rank 0).
func shapeString(t *ops.Tensor) string {
	if t == nil {
		return "–"
	}
	if len(t.Shape) == 0 {
		return "scalar"
	}
	s := make([]string, len(t.Shape))
	for i, d := range t.Shape {
		s[i] = fmt.Sprint(d)
	}
	return strings.Join(s, "x")
}

// nodeKind names what a step computes, finely enough to tell the kernel
// paths apart: convolutions by depthwise / grouped / 1×1 / k×k, kernel size
// and stride, and every fused node with its activation.
func nodeKind(s native.StepTiming) string {
	n := s.Node
	act := ""
	if a, ok := n.Attrs["activation"]; ok {
		act = " +" + string(a.S)
	}
	switch n.OpType {
	case "Conv", "FusedConv", "ConvTranspose", "FusedConvTranspose":
		base := strings.TrimPrefix(n.OpType, "Fused")
		if len(s.In) < 2 || s.In[0] == nil || s.In[1] == nil || len(s.In[1].Shape) < 3 {
			return base + act
		}
		x, wt := s.In[0].Shape, s.In[1].Shape
		group, _ := n.Int("group", 1)
		strides, _ := n.Ints("strides", nil)
		k := wt[2:]
		ks := make([]string, len(k))
		ones := true
		for i, d := range k {
			ks[i] = fmt.Sprint(d)
			ones = ones && d == 1
		}
		stride := int64(1)
		for _, st := range strides {
			stride = max(stride, st)
		}
		shape := strings.Join(ks, "x")
		if stride > 1 {
			shape += fmt.Sprintf("/%d", stride)
		}
		dims := fmt.Sprintf("%dd", len(k))
		if len(k) == 2 {
			dims = ""
		} else {
			dims = " " + dims
		}
		switch {
		case base == "Conv" && group > 1 && len(x) > 1 && int64(x[1]) == group:
			return fmt.Sprintf("%s%s depthwise %s%s", base, dims, shape, act)
		case group > 1:
			return fmt.Sprintf("%s%s grouped %s%s", base, dims, shape, act)
		case ones:
			return fmt.Sprintf("%s%s 1x1%s%s", base, dims, strings.TrimPrefix(shape, strings.Join(ks, "x")), act)
		default:
			return fmt.Sprintf("%s%s %s%s", base, dims, shape, act)
		}
	case "FusedGemm":
		if _, ok := n.Attrs["matmul"]; ok {
			return "MatMul+Add" + act
		}
		return "Gemm" + act
	case "MatMul":
		if len(s.In) == 2 && s.In[0] != nil && s.In[1] != nil && len(s.In[0].Shape) >= 3 && len(s.In[1].Shape) >= 3 {
			return "MatMul batched"
		}
	}
	return n.OpType + act
}

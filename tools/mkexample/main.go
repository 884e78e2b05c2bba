// Command mkexample writes the example model used by the README and the
// tests: a small dense autoencoder (16-8-4-8-16, Gemm with Relu and a
// Sigmoid output) with weights drawn from a fixed seed, plus one golden
// test set in the ONNX backend-test layout. The golden output is computed
// here in float64, independently of latent's runtime.
//
// Usage:
//
//	go run ./tools/mkexample [-out testdata/models/dense-ae]
package main

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
)

// Layer widths: input 16 -> 8 -> code 4 -> 8 -> reconstruction 16.
var widths = []int{16, 8, 4, 8, 16}

const (
	seed  = 20240601
	batch = 3
)

// layer is one dense layer: y = act(x·Wᵀ + b) with W stored [out, in]
// (PyTorch's Linear layout, so Gemm uses transB=1).
type layer struct {
	in, out int
	w, b    []float32
	act     string // "Relu", "Sigmoid" or "" (the code layer is linear)
}

func main() {
	out := flag.String("out", filepath.Join("testdata", "models", "dense-ae"), "output folder")
	flag.Parse()
	if err := write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "mkexample:", err)
		os.Exit(1)
	}
}

func layers() []layer {
	r := rand.New(rand.NewPCG(seed, seed))
	acts := []string{"Relu", "", "Relu", "Sigmoid"}
	var ls []layer
	for i := 0; i+1 < len(widths); i++ {
		in, out := widths[i], widths[i+1]
		bound := math.Sqrt(6 / float64(in+out)) // Glorot uniform
		l := layer{in: in, out: out, act: acts[i], w: make([]float32, in*out), b: make([]float32, out)}
		for j := range l.w {
			l.w[j] = float32((2*r.Float64() - 1) * bound)
		}
		for j := range l.b {
			l.b[j] = float32((2*r.Float64() - 1) * 0.1)
		}
		ls = append(ls, l)
	}
	return ls
}

func buildModel(ls []layer) *graph.Model {
	f32 := graph.ElemTypeOf(ops.Float32)
	vi := func(name string, width int) graph.ValueInfo {
		return graph.ValueInfo{Name: name, DType: ops.Float32, ElemTypeCode: f32, HasShape: true,
			Shape: graph.Shape{{Value: -1, Param: "batch"}, {Value: int64(width)}}}
	}
	g := &graph.Graph{
		Name:         "dense_ae",
		Inputs:       []graph.ValueInfo{vi("input", widths[0])},
		Outputs:      []graph.ValueInfo{vi("reconstruction", widths[len(widths)-1]), vi("code", widths[2])},
		Initializers: map[string]*ops.Tensor{},
		ValueInfo:    map[string]graph.ValueInfo{},
	}
	prev := "input"
	for i, l := range ls {
		wn, bn := fmt.Sprintf("enc%d.weight", i), fmt.Sprintf("enc%d.bias", i)
		if i >= 2 {
			wn, bn = fmt.Sprintf("dec%d.weight", i-2), fmt.Sprintf("dec%d.bias", i-2)
		}
		g.Initializers[wn] = ops.FromFloat32([]int{l.out, l.in}, l.w)
		g.Initializers[bn] = ops.FromFloat32([]int{l.out}, l.b)
		g.InitOrder = append(g.InitOrder, wn, bn)
		lin := fmt.Sprintf("linear%d", i)
		if i == 1 {
			lin = "code"
		}
		g.Nodes = append(g.Nodes, &graph.Node{
			Name: fmt.Sprintf("gemm%d", i), OpType: "Gemm",
			Inputs: []string{prev, wn, bn}, Outputs: []string{lin},
			Attrs:     map[string]*graph.Attr{"transB": {Name: "transB", Type: graph.AttrInt, I: 1}},
			AttrOrder: []string{"transB"},
		})
		prev = lin
		if l.act != "" {
			out := fmt.Sprintf("act%d", i)
			if i == len(ls)-1 {
				out = "reconstruction"
			}
			g.Nodes = append(g.Nodes, &graph.Node{
				Name:   fmt.Sprintf("%s%d", map[string]string{"Relu": "relu", "Sigmoid": "sigmoid"}[l.act], i),
				OpType: l.act, Inputs: []string{prev}, Outputs: []string{out},
			})
			prev = out
		}
	}
	return &graph.Model{
		IRVersion:       8,
		ProducerName:    "latent-mkexample",
		ProducerVersion: "1",
		Opsets:          map[string]int64{"": 17},
		DocString:       "A 16-8-4-8-16 dense autoencoder with fixed random weights (latent's README example).",
		Metadata: []graph.MetadataEntry{
			{Key: "latent.kind", Value: "dense-ae"},
			{Key: "latent.layers", Value: "16-8-4-8-16"},
			{Key: "latent.seed", Value: fmt.Sprint(seed)},
		},
		Graph: g,
	}
}

// reference computes the autoencoder in float64 from the float32 weights:
// the golden outputs, independent of latent's kernels.
func reference(ls []layer, x []float64, rows int) (recon, code []float64) {
	cur := x
	for i, l := range ls {
		next := make([]float64, rows*l.out)
		for r := 0; r < rows; r++ {
			for o := 0; o < l.out; o++ {
				s := float64(l.b[o])
				for k := 0; k < l.in; k++ {
					s += cur[r*l.in+k] * float64(l.w[o*l.in+k])
				}
				switch l.act {
				case "Relu":
					s = math.Max(s, 0)
				case "Sigmoid":
					s = 1 / (1 + math.Exp(-s))
				}
				next[r*l.out+o] = s
			}
		}
		if i == 1 {
			code = next
		}
		cur = next
	}
	return cur, code
}

func toF32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

func write(dir string) error {
	ls := layers()
	data, err := graph.Encode(buildModel(ls))
	if err != nil {
		return fmt.Errorf("encode model: %w", err)
	}
	set := filepath.Join(dir, "test_data_set_0")
	if err := os.MkdirAll(set, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "model.onnx"), data, 0o644); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	// Inputs in [0, 1) like scaled pixel intensities, from the same seed.
	r := rand.New(rand.NewPCG(seed+1, seed+1))
	x32 := make([]float32, batch*widths[0])
	x64 := make([]float64, len(x32))
	for i := range x32 {
		x32[i] = float32(r.Float64())
		x64[i] = float64(x32[i])
	}
	recon, code := reference(ls, x64, batch)
	files := []struct {
		name, tensor string
		t            *ops.Tensor
	}{
		{"input_0.pb", "input", ops.FromFloat32([]int{batch, widths[0]}, x32)},
		{"output_0.pb", "reconstruction", ops.FromFloat32([]int{batch, widths[4]}, toF32(recon))},
		{"output_1.pb", "code", ops.FromFloat32([]int{batch, widths[2]}, toF32(code))},
	}
	for _, f := range files {
		if err := graph.WriteTensorFile(filepath.Join(set, f.name), f.tensor, f.t); err != nil {
			return fmt.Errorf("write %s: %w", f.name, err)
		}
	}
	fmt.Printf("wrote %s and %s\n", filepath.Join(dir, "model.onnx"), set)
	return nil
}

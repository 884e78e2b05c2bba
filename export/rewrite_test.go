package export_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/latent-ml/latent/export"
	"github.com/latent-ml/latent/runtime/graph"
)

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSetThreshold(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.onnx")
	copyFile(t, "../testdata/golden/ae-undercomplete/model.onnx", path)
	before, err := graph.DecodeFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := before.MetadataValue(export.KeyThreshold); ok {
		t.Fatal("golden model already carries a threshold; the test needs an uncalibrated one")
	}
	ctx := context.Background()
	for _, thr := range []float64{0.125, 3.5e-7} {
		if err := export.SetThreshold(ctx, path, thr); err != nil {
			t.Fatal(err)
		}
		after, err := graph.DecodeFile(path)
		if err != nil {
			t.Fatal(err)
		}
		md, err := export.ReadMetadata(after)
		if err != nil {
			t.Fatal(err)
		}
		if md.Threshold == nil || *md.Threshold != thr {
			t.Fatalf("threshold after SetThreshold(%g): %v", thr, md.Threshold)
		}
		// Earlier entries keep their order and values; the threshold is
		// added once (replaced in place the second time).
		if len(after.Metadata) != len(before.Metadata)+1 {
			t.Fatalf("metadata has %d entries, want %d", len(after.Metadata), len(before.Metadata)+1)
		}
		if !reflect.DeepEqual(after.Metadata[:len(before.Metadata)], before.Metadata) {
			t.Errorf("existing metadata changed:\n got %v\nwant %v", after.Metadata[:len(before.Metadata)], before.Metadata)
		}
		// The graph itself is untouched: same nodes, same initializer bits.
		if len(after.Graph.Nodes) != len(before.Graph.Nodes) {
			t.Fatalf("%d nodes, want %d", len(after.Graph.Nodes), len(before.Graph.Nodes))
		}
		for i, n := range after.Graph.Nodes {
			b := before.Graph.Nodes[i]
			if n.OpType != b.OpType || !reflect.DeepEqual(n.Inputs, b.Inputs) || !reflect.DeepEqual(n.Outputs, b.Outputs) {
				t.Errorf("node %d: %s%v→%v, want %s%v→%v", i, n.OpType, n.Inputs, n.Outputs, b.OpType, b.Inputs, b.Outputs)
			}
		}
		if !reflect.DeepEqual(after.Graph.Initializers, before.Graph.Initializers) {
			t.Error("initializers changed")
		}
		if after.Opset() != before.Opset() || after.IRVersion != before.IRVersion {
			t.Errorf("opset/IR %d/%d, want %d/%d", after.Opset(), after.IRVersion, before.Opset(), before.IRVersion)
		}
	}
	// The rewritten model still imports into the trainer, threshold included.
	if _, md, err := export.Import(path); err != nil || md.Threshold == nil {
		t.Errorf("import after SetThreshold: %v, %v", md, err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 {
		t.Errorf("temporary files left behind: %v", ents)
	}
}

func TestSetMetadataKeepsOrderAndAddsSorted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.onnx")
	copyFile(t, "../testdata/golden/ae-undercomplete-encoder/model.onnx", path)
	before, err := graph.DecodeFile(path)
	if err != nil {
		t.Fatal(err)
	}
	first := before.Metadata[0]
	err = export.SetMetadata(context.Background(), path, map[string]string{"z.b": "2", "z.a": "1", first.Key: first.Value + "x"})
	if err != nil {
		t.Fatal(err)
	}
	after, err := graph.DecodeFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := len(before.Metadata)
	if len(after.Metadata) != n+2 {
		t.Fatalf("%d entries, want %d", len(after.Metadata), n+2)
	}
	if after.Metadata[0] != (graph.MetadataEntry{Key: first.Key, Value: first.Value + "x"}) {
		t.Errorf("first entry %v not replaced in place", after.Metadata[0])
	}
	want := []graph.MetadataEntry{{Key: "z.a", Value: "1"}, {Key: "z.b", Value: "2"}}
	if !reflect.DeepEqual(after.Metadata[n:], want) {
		t.Errorf("appended %v, want %v", after.Metadata[n:], want)
	}
}

func TestSetThresholdErrors(t *testing.T) {
	dir := t.TempDir()
	latentModel := filepath.Join(dir, "model.onnx")
	copyFile(t, "../testdata/golden/ae-undercomplete/model.onnx", latentModel)
	orig, err := os.ReadFile(latentModel)
	if err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(dir, "foreign.onnx")
	copyFile(t, "../testdata/golden/dense_gemm/model.onnx", foreign)
	garbage := filepath.Join(dir, "garbage.onnx")
	if err := os.WriteFile(garbage, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"nan", export.SetThreshold(ctx, latentModel, math.NaN()), "not a finite"},
		{"negative", export.SetThreshold(ctx, latentModel, -1), "not a finite"},
		{"foreign", export.SetThreshold(ctx, foreign, 1), "latent.format_version missing"},
		{"garbage", export.SetThreshold(ctx, garbage, 1), "garbage.onnx"},
		{"missing", export.SetThreshold(ctx, filepath.Join(dir, "nope.onnx"), 1), "nope.onnx"},
		{"cancelled", export.SetThreshold(cancelled, latentModel, 1), "context canceled"},
		{"empty", export.SetMetadata(ctx, latentModel, nil), "no entries"},
	}
	for _, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, c.err, c.want)
		}
	}
	now, err := os.ReadFile(latentModel)
	if err != nil {
		t.Fatal(err)
	}
	if string(now) != string(orig) {
		t.Error("failed calls modified the model file")
	}
}

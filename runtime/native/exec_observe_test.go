package native_test

import (
	"context"
	"testing"

	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/native"
	"github.com/latent-ml/latent/runtime/verify"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunObserved runs a zoo model (the small Conv2d autoencoder: Conv,
// LeakyRelu, MaxPool, Resize, Sigmoid) with and without the observer: the
// outputs are identical, every step is reported once per run in execution
// order, and what the observer sees chains up: the first step reads the
// graph input, the last step's output is the graph output.
func TestRunObserved(t *testing.T) {
	dir := "../../testdata/interop/zoo/conv2d_ae-dynamo"
	m, err := graph.DecodeFile(dir + "/model.onnx")
	require.NoError(t, err)
	p, err := native.Compile(m, native.Options{Optimize: true})
	require.NoError(t, err)
	in, err := verify.ReadTensors(dir+"/test_data_set_0", "input")
	require.NoError(t, err)
	ctx := context.Background()
	want, err := p.Run(ctx, in)
	require.NoError(t, err)

	var seen []*graph.Node
	var firstIn, lastOut []int
	var lastData []float32
	got, err := p.RunObserved(ctx, in, func(s native.StepTiming) {
		if len(seen) == 0 {
			firstIn = append([]int(nil), s.In[0].Shape...)
		}
		seen = append(seen, s.Node)
		assert.GreaterOrEqual(t, s.Elapsed.Nanoseconds(), int64(0))
		require.NotEmpty(t, s.Out, "step %s reports its outputs", s.Node.OpType)
		lastOut = append([]int(nil), s.Out[0].Shape...)
		lastData = append([]float32(nil), s.Out[0].F32()...)
	})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, want[0].Shape, got[0].Shape)
	assert.Equal(t, want[0].F32(), got[0].F32(), "observing changes nothing")

	require.Len(t, seen, p.NumSteps(), "one report per step")
	assert.Equal(t, p.Graph().Nodes, seen, "in execution order")
	assert.Equal(t, in[0].Shape, firstIn, "the first step reads the graph input")
	assert.Equal(t, got[0].Shape, lastOut)
	assert.Equal(t, got[0].F32(), lastData, "the last step produces the graph output")

	// A second observed run reports the same steps again.
	n := len(seen)
	_, err = p.RunObserved(ctx, in, func(s native.StepTiming) { seen = append(seen, s.Node) })
	require.NoError(t, err)
	assert.Equal(t, seen[:n], seen[n:])
}

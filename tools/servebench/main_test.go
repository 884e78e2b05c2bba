package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A short run against latent alone: every protocol and both batch sizes
// answer without errors, the servers' answers check out, the soak samples
// memory, and the report prints.
func TestBenchLatentOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs latent serve")
	}
	rep, err := bench(context.Background(), options{
		model: "../../testdata/golden/ae-undercomplete/model.onnx",
		// A window long enough that some request starts inside it even
		// when a loaded machine stalls the client for a few hundred ms
		// (200 ms once measured no request at load average 30).
		duration:  time.Second,
		warmup:    100 * time.Millisecond,
		protocols: []string{"rest-json", "rest-binary", "grpc"},
		batches:   []int{1, 3},
		conns:     []int{1, 2},
		rounds:    1,
		soak:      1500 * time.Millisecond,
	})
	require.NoError(t, err)
	require.Len(t, rep.Closed, 3*2*2)
	for _, r := range rep.Closed {
		assert.Equal(t, "latent", r.Server)
		assert.Zero(t, r.Errors, "%s batch %d conns %d: %s", r.Protocol, r.Batch, r.Conns, r.FirstErr)
		assert.Positive(t, r.Requests, "%s batch %d conns %d", r.Protocol, r.Batch, r.Conns)
		assert.Positive(t, r.P99ms)
	}
	require.NotNil(t, rep.Soak)
	assert.Zero(t, rep.Soak.Errors)
	assert.Positive(t, rep.Soak.Requests)
	assert.NotEmpty(t, rep.Soak.RSSMB)
	assert.Positive(t, rep.LatentRSS)
	assert.Equal(t, 8, rep.Features)
}

func TestThousands(t *testing.T) {
	assert.Equal(t, "0", thousands(0.2))
	assert.Equal(t, "999", thousands(999))
	assert.Equal(t, "1 000", thousands(999.6))
	assert.Equal(t, "12 345 678", thousands(12345678))
}

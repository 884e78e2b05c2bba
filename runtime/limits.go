package runtime

import (
	"fmt"
	"io"

	"github.com/latent-ml/latent/runtime/graph"
)

// WithLimits caps what opening an untrusted model may allocate: model
// bytes, tensor bytes, node count and subgraph depth (see graph.Limits;
// zero fields keep graph.DefaultLimits, negative ones lift the cap).
// Without this option the defaults apply. Exceeding a cap is an error
// wrapping graph.ErrLimit.
func WithLimits(l graph.Limits) Option {
	return func(o *options) { o.limits = l }
}

// limitsOf returns the limits opts select.
func limitsOf(opts []Option) graph.Limits {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o.limits
}

// readModel reads a serialised model from r, stopping with an error as
// soon as it exceeds the model-size limit.
func readModel(r io.Reader, l graph.Limits) ([]byte, error) {
	max := l.MaxModelBytes
	switch {
	case max == 0:
		max = graph.DefaultMaxModelBytes
	case max < 0:
		return io.ReadAll(r)
	}
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("model exceeds the %d-byte model limit: %w", max, graph.ErrLimit)
	}
	return data, nil
}

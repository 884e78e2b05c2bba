package runtime

import (
	"context"
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/native"
	"github.com/latent-ml/latent/runtime/native/passes"
)

// NativeBackendName is the registry name of the pure-Go backend.
const NativeBackendName = "native"

func init() {
	RegisterBackend(NativeBackendName, func() Backend { return nativeBackend{} })
}

// nativeBackend runs models with package native's planner and kernels.
type nativeBackend struct{}

func (nativeBackend) Name() string { return NativeBackendName }

func (nativeBackend) Compile(ctx context.Context, m *graph.Model, cfg Config) (Executable, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	pipeline, err := passes.Default().Without(cfg.DisabledPasses...)
	if err != nil {
		return nil, err
	}
	p, err := native.Compile(m, native.Options{
		Seed:     cfg.Seed,
		Threads:  cfg.IntraOpThreads,
		Optimize: cfg.Optimize,
		Passes:   pipeline,

		MaxTensorBytes:    cfg.MaxTensorBytes,
		MaxLoopIterations: cfg.MaxLoopIterations,
		MaxSequenceLength: cfg.MaxSequenceLength,
	})
	if err != nil {
		return nil, err
	}
	return nativeExecutable{p}, nil
}

type nativeExecutable struct{ plan *native.Plan }

func (e nativeExecutable) Run(ctx context.Context, inputs []*ops.Tensor) ([]*ops.Tensor, error) {
	out, err := e.plan.Run(ctx, inputs)
	if err != nil {
		return nil, fmt.Errorf("native: %w", err)
	}
	return out, nil
}

func (e nativeExecutable) RunValues(ctx context.Context, inputs []*graph.Value) ([]*graph.Value, error) {
	out, err := e.plan.RunValues(ctx, inputs)
	if err != nil {
		return nil, fmt.Errorf("native: %w", err)
	}
	return out, nil
}

func (nativeExecutable) Close() error { return nil }

//go:build !cgo

package ort

import (
	"context"
	"errors"

	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
)

// errNoCgo is what every use of the backend reports in a cgo-free build.
var errNoCgo = errors.New("ort backend unavailable: this binary was built without cgo (CGO_ENABLED=0); rebuild with CGO_ENABLED=1 and a C compiler to use ONNX Runtime")

func init() {
	runtime.RegisterBackend("ort", func() runtime.Backend { return backend{} })
}

type backend struct{}

func (backend) Name() string { return "ort" }

func (backend) Compile(ctx context.Context, m *graph.Model, cfg runtime.Config) (runtime.Executable, error) {
	return nil, errNoCgo
}

// Available reports whether the ONNX Runtime library can be used. In a
// build without cgo it never can.
func Available() error { return errNoCgo }

// Version returns the loaded ONNX Runtime version ("" without cgo).
func Version() string { return "" }

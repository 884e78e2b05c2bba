package buffers

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
)

// LimitError reports a tensor a kernel tried to allocate that exceeds the
// run's limit (runtime/native's Options.MaxTensorBytes). The executor
// returns it wrapped with the node's label; it also wraps graph.ErrLimit.
type LimitError struct {
	DType ops.DType
	Shape []int
	Limit int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("output %v%v needs more than the %d-byte tensor limit", e.DType, e.Shape, e.Limit)
}

// Unwrap makes errors.Is(err, graph.ErrLimit) hold.
func (e *LimitError) Unwrap() error { return graph.ErrLimit }

// CheckSize panics with a *LimitError when shape's elements of dt need
// more than max bytes (or the count overflows). The executor turns the
// panic into an error naming the node: Env.New has no error result, and
// this way no kernel needs to check sizes itself.
func CheckSize(dt ops.DType, shape []int, max int64) {
	size := int64(dt.Size())
	if size == 0 {
		size = 1
	}
	n := size
	for _, d := range shape {
		if d < 0 {
			panic(&LimitError{DType: dt, Shape: append([]int(nil), shape...), Limit: max})
		}
		if d != 0 && n > max/int64(d) {
			panic(&LimitError{DType: dt, Shape: append([]int(nil), shape...), Limit: max})
		}
		n *= int64(d)
	}
	if n > max {
		panic(&LimitError{DType: dt, Shape: append([]int(nil), shape...), Limit: max})
	}
}

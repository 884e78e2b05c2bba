package ops

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Every activation accepts empty slices (a zero-row batch reaches them
// through fused epilogues); ActNone used to index dst[0].
func TestApplyActEmpty(t *testing.T) {
	for act := ActNone; act <= ActGeluTanh; act++ {
		func() {
			defer func() {
				r := recover()
				assert.Nilf(t, r, "ApplyAct(%d) on empty slices panicked: %v", act, r)
			}()
			ApplyAct(nil, nil, act, 0.1)
			ApplyAct([]float32{}, []float32{}, act, 0.1)
		}()
	}
}

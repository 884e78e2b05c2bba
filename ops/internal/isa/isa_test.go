package isa

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestParse checks the LATENT_ISA values: unset and avx512 allow
// everything, avx2 and go cap, anything else is reported and ignored.
func TestParse(t *testing.T) {
	for v, want := range map[string]Level{"": AVX512, "avx512": AVX512, "avx2": AVX2, "go": Go, "sse": AVX512, "AVX2": AVX512} {
		assert.Equalf(t, want, parse(v), "LATENT_ISA=%q", v)
	}
	assert.Less(t, Go, AVX2)
	assert.Less(t, AVX2, AVX512)
}

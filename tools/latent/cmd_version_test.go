package main

import (
	"encoding/json"
	goruntime "runtime"
	"strings"
	"testing"

	"github.com/latent-ml/latent/runtime/ort"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVersion(t *testing.T) {
	code, stdout, stderr := latent(t, "version", "--json")
	require.Equal(t, 0, code, stderr)
	var v versionInfo
	require.NoError(t, json.Unmarshal([]byte(stdout), &v), stdout)
	assert.Equal(t, goruntime.Version(), v.Go)
	assert.Equal(t, goruntime.GOOS+"/"+goruntime.GOARCH, v.Platform)
	assert.NotEmpty(t, v.Version)
	assert.Contains(t, v.Backends, "native")
	// The ort entry says whether the library loads here, as ort.Available
	// does: a version when it does, the reason (no cgo, library missing)
	// when it does not.
	if err := ort.Available(); err != nil {
		assert.Contains(t, v.Unavailable["ort"], err.Error())
		assert.Empty(t, v.ORTVersion)
	} else {
		assert.Equal(t, ort.Version(), v.ORTVersion)
		assert.Empty(t, v.Unavailable["ort"])
	}
	code, stdout, _ = latent(t, "version")
	assert.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(stdout, "latent "), stdout)
	assert.Contains(t, stdout, goruntime.Version())
	code, _, stderr = latent(t, "version", "x")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "takes no arguments")
}

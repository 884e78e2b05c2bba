// Package ort owns latent's ONNX Runtime backend: a runtime.Backend
// registered as "ort" that runs a model's original ONNX bytes on the ONNX
// Runtime shared library through github.com/yalue/onnxruntime_go, and the
// lookup of that library.
//
// The library is not linked at build time; it is loaded on first use from
// $LATENT_ORT_LIB or from the cache that tools/install-ort.sh fills
// (${XDG_CACHE_HOME:-$HOME/.cache}/latent/ort/<ORTVersion>/). Binaries built
// without cgo still register "ort", but compiling a model reports that the
// backend is unavailable.
//
// Import the package for its side effect:
//
//	import _ "github.com/latent-ml/latent/runtime/ort"
package ort

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ORTVersion is the ONNX Runtime release the backend is pinned to. It must
// provide the C API version that the pinned onnxruntime_go requests
// (v1.38.0: ORT_API_VERSION 31, ONNX Runtime 1.31).
const ORTVersion = "1.31.1"

// LibraryEnv names the environment variable that overrides the library path.
const LibraryEnv = "LATENT_ORT_LIB"

// InstallCommand is the command that downloads the pinned library.
const InstallCommand = "bash tools/install-ort.sh"

// libName is the file name install-ort.sh writes.
const libName = "libonnxruntime.so.1"

// CachePath returns where tools/install-ort.sh installs the library, or ""
// when neither XDG_CACHE_HOME nor a home directory is known.
func CachePath() string {
	root := os.Getenv("XDG_CACHE_HOME")
	if root == "" {
		home, err := os.UserHomeDir()
		if err != nil || home == "" {
			return ""
		}
		root = filepath.Join(home, ".cache")
	}
	return filepath.Join(root, "latent", "ort", ORTVersion, libName)
}

// CandidatePaths lists the library paths the backend tries, in order:
// $LATENT_ORT_LIB when set, then CachePath.
func CandidatePaths() []string {
	var out []string
	if p := os.Getenv(LibraryEnv); p != "" {
		out = append(out, p)
	}
	if p := CachePath(); p != "" {
		out = append(out, p)
	}
	return out
}

// findLibrary returns the first of paths that is an existing file, or an
// error naming every path tried and the install command.
func findLibrary(paths []string) (string, error) {
	if len(paths) == 0 {
		return "", fmt.Errorf("ONNX Runtime library not found: neither %s nor a home directory is set; install ONNX Runtime %s with: %s", LibraryEnv, ORTVersion, InstallCommand)
	}
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("ONNX Runtime %s library not found (tried %s); install it with: %s, or point %s at libonnxruntime.so", ORTVersion, strings.Join(paths, ", "), InstallCommand, LibraryEnv)
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	goruntime "runtime"

	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/ort"
	"github.com/latent-ml/latent/serve"
)

const versionUsage = `usage: latent version [--json]

Prints latent's version, the Go toolchain and platform it was built with,
the VCS revision when built from a checkout, whether cgo was enabled and
the runtime backends compiled in, with whether each can run here (a static
CGO_ENABLED=0 build has the ONNX Runtime backend registered but cannot load
it; a cgo build says which ONNX Runtime library it loaded, or why not).

examples:
  latent version
  latent version --json`

func init() {
	register(&command{name: "version", summary: "print version, build and backend information", run: cmdVersion})
}

type versionInfo struct {
	Version  string   `json:"version"`
	Go       string   `json:"go"`
	Platform string   `json:"platform"`
	Revision string   `json:"revision,omitempty"`
	Modified bool     `json:"modified,omitempty"`
	CGO      bool     `json:"cgo"`
	Backends []string `json:"backends"`
	// Unavailable maps a compiled-in backend that cannot run here to why.
	Unavailable map[string]string `json:"unavailable,omitempty"`
	// ORTVersion is the ONNX Runtime library version loaded, if any.
	ORTVersion string `json:"ort_version,omitempty"`
}

func buildVersion() versionInfo {
	v := versionInfo{Version: serve.Version(), Go: goruntime.Version(), Platform: goruntime.GOOS + "/" + goruntime.GOARCH,
		Backends: runtime.BackendNames()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Revision = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			case "CGO_ENABLED":
				v.CGO = s.Value == "1"
			}
		}
	}
	for _, name := range v.Backends {
		if name != "ort" {
			continue
		}
		if err := ort.Available(); err != nil {
			v.Unavailable = map[string]string{name: err.Error()}
		} else {
			v.ORTVersion = ort.Version()
		}
	}
	return v
}

func cmdVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", versionUsage, stderr)
	asJSON := fs.Bool("json", false, "print as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("version takes no arguments, got %q", pos)
	}
	v := buildVersion()
	if *asJSON {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode version: %w", err)
		}
		fmt.Fprintf(stdout, "%s\n", b)
		return nil
	}
	rev := v.Revision
	if rev == "" {
		rev = "unknown"
	} else if v.Modified {
		rev += " (modified)"
	}
	names := make([]string, len(v.Backends))
	for i, b := range v.Backends {
		switch {
		case v.Unavailable[b] != "":
			names[i] = b + " (unavailable)"
		case b == "ort" && v.ORTVersion != "":
			names[i] = b + " (ONNX Runtime " + v.ORTVersion + ")"
		default:
			names[i] = b
		}
	}
	fmt.Fprintf(stdout, "latent %s\n  go        %s %s\n  revision  %s\n  cgo       %v\n  backends  %s\n",
		v.Version, v.Go, v.Platform, rev, v.CGO, strings.Join(names, ", "))
	for _, b := range v.Backends {
		if why := v.Unavailable[b]; why != "" {
			fmt.Fprintf(stdout, "  %s: %s\n", b, why)
		}
	}
	return nil
}

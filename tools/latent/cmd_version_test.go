package main

import (
	"encoding/json"
	goruntime "runtime"
	"slices"
	"strings"
	"testing"

	"github.com/latent-ml/latent/runtime/ort"
)

func TestVersion(t *testing.T) {
	code, stdout, stderr := latent(t, "version", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var v versionInfo
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Fatalf("%q: %v", stdout, err)
	}
	if v.Go != goruntime.Version() || v.Platform != goruntime.GOOS+"/"+goruntime.GOARCH || v.Version == "" || !slices.Contains(v.Backends, "native") {
		t.Errorf("version %+v", v)
	}
	// The ort entry says whether the library loads here, as ort.Available
	// does: a version when it does, the reason (no cgo, library missing)
	// when it does not.
	if err := ort.Available(); err != nil {
		if !strings.Contains(v.Unavailable["ort"], err.Error()) || v.ORTVersion != "" {
			t.Errorf("ORT unavailable (%v) but version reports %+v", err, v)
		}
	} else if v.ORTVersion != ort.Version() || v.Unavailable["ort"] != "" {
		t.Errorf("ORT %s loads but version reports %+v", ort.Version(), v)
	}
	code, stdout, _ = latent(t, "version")
	if code != 0 || !strings.HasPrefix(stdout, "latent ") || !strings.Contains(stdout, goruntime.Version()) {
		t.Errorf("plain version: exit %d %q", code, stdout)
	}
	if code, _, stderr := latent(t, "version", "x"); code != 2 || !strings.Contains(stderr, "takes no arguments") {
		t.Errorf("extra argument: exit %d %s", code, stderr)
	}
}

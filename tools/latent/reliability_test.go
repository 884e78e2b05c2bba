package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latent-ml/latent/trainer"
)

// A real SIGINT to a running `latent train` stops it with a final
// checkpoint written atomically; `--resume` then finishes the run.
func TestTrainCLISignalWritesCheckpointAndResumes(t *testing.T) {
	csv := writeManifoldCSV(t, 400, 12)
	dir := t.TempDir()
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errs := trainCLI(t, "--model", "undercomplete", "--data", csv, "--out", dir,
			"--epochs", "100000", "--batch", "8", "--quiet")
		done <- result{code, out, errs}
	}()
	metrics := filepath.Join(dir, "metrics.jsonl")
	deadline := time.Now().Add(60 * time.Second)
	for {
		b, _ := os.ReadFile(metrics)
		if strings.Count(string(b), "\n") >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("training wrote no metrics within 60s")
		}
		select {
		case r := <-done:
			t.Fatalf("training ended before the signal: exit %d\n%s", r.code, r.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var r result
	select {
	case r = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("training did not stop within 60s of SIGINT")
	}
	ckpt := filepath.Join(dir, "checkpoint.latent")
	if r.code != exitFail || !strings.Contains(r.stderr, "context canceled") || !strings.Contains(r.stderr, "--resume "+ckpt) {
		t.Fatalf("after SIGINT: exit %d, stderr %q; want exit %d naming the final checkpoint", r.code, r.stderr, exitFail)
	}
	_, st, err := trainer.LoadCheckpoint(ckpt)
	if err != nil {
		t.Fatalf("final checkpoint: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
	want := st.Epoch + 2
	code, out, errs := trainCLI(t, "--data", csv, "--out", dir, "--resume", ckpt,
		"--epochs", strconv.Itoa(want), "--batch", "8", "--quiet")
	if code != exitOK {
		t.Fatalf("resume: exit %d\n%s", code, errs)
	}
	if !strings.Contains(out, "in "+strconv.Itoa(want)+" epochs") {
		t.Errorf("resumed run output %q, want %d epochs in total", out, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "model.onnx")); err != nil {
		t.Errorf("resumed run did not export: %v", err)
	}
}

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
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

// A real SIGTERM to `latent serve` while a request waits drains it: the
// request completes with 200, the command exits 0 and logs that it stopped.
func TestServeCLISignalDrains(t *testing.T) {
	dir := aeDir(t)
	pr, pw := io.Pipe()
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"serve", "--model", "ae=" + filepath.Join(dir, "model.onnx"), "--addr", "127.0.0.1:0"}, pw, &stderr)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no listening line (%v); stderr: %s", err, stderr.String())
	}
	go io.Copy(io.Discard, pr)
	base := strings.TrimSpace(line[strings.Index(line, "http://"):])
	in, _ := goldenPair(t, goldenAE)
	_, x := readTensor(t, in)
	body, _ := json.Marshal(map[string]any{"inputs": []map[string]any{{"name": "input", "shape": x.Shape, "datatype": "FP32", "data": x.F32()}}})
	// Keep a request in flight across the signal: its body arrives slowly.
	slow, slowW := io.Pipe()
	got := make(chan int, 1)
	go func() {
		resp, err := http.Post(base+"/v2/models/ae/infer", "application/json", slow)
		if err != nil {
			got <- -1
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	slowW.Write(body[:10])
	time.Sleep(100 * time.Millisecond)
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	slowW.Write(body[10:])
	slowW.Close()
	select {
	case code := <-got:
		if code != 200 {
			t.Errorf("request in flight at SIGTERM: status %d, want 200", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("request in flight never completed")
	}
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("latent serve exited %d after SIGTERM; stderr: %s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("latent serve did not exit after SIGTERM")
	}
	if !strings.Contains(stderr.String(), "stopped") {
		t.Errorf("no shutdown log line: %s", stderr.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the server's logger and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

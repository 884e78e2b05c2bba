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
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
			require.FailNow(t, "training wrote no metrics within 60s")
		}
		select {
		case r := <-done:
			require.FailNowf(t, "training ended before the signal", "exit %d\n%s", r.code, r.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGINT))
	var r result
	select {
	case r = <-done:
	case <-time.After(60 * time.Second):
		require.FailNow(t, "training did not stop within 60s of SIGINT")
	}
	ckpt := filepath.Join(dir, "checkpoint.latent")
	require.Equal(t, exitFail, r.code, "after SIGINT: stderr %q", r.stderr)
	require.Contains(t, r.stderr, "context canceled", "after SIGINT")
	require.Contains(t, r.stderr, "--resume "+ckpt, "after SIGINT: the error names the final checkpoint")
	_, st, err := trainer.LoadCheckpoint(ckpt)
	require.NoError(t, err, "final checkpoint")
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range ents {
		assert.NotContains(t, e.Name(), ".tmp-", "temporary file left behind")
	}
	want := st.Epoch + 2
	code, out, errs := trainCLI(t, "--data", csv, "--out", dir, "--resume", ckpt,
		"--epochs", strconv.Itoa(want), "--batch", "8", "--quiet")
	require.Equal(t, exitOK, code, "resume:\n%s", errs)
	assert.Contains(t, out, "in "+strconv.Itoa(want)+" epochs", "resumed run: want %d epochs in total", want)
	assert.FileExists(t, filepath.Join(dir, "model.onnx"), "resumed run did not export")
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
	require.NoError(t, err, "no listening line; stderr: %s", stderr.String())
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
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGTERM))
	time.Sleep(100 * time.Millisecond)
	slowW.Write(body[10:])
	slowW.Close()
	select {
	case code := <-got:
		assert.Equal(t, http.StatusOK, code, "request in flight at SIGTERM")
	case <-time.After(30 * time.Second):
		require.FailNow(t, "request in flight never completed")
	}
	select {
	case code := <-done:
		assert.Equal(t, exitOK, code, "latent serve exit after SIGTERM; stderr: %s", stderr.String())
	case <-time.After(30 * time.Second):
		require.FailNow(t, "latent serve did not exit after SIGTERM")
	}
	assert.Contains(t, stderr.String(), "stopped", "no shutdown log line")

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

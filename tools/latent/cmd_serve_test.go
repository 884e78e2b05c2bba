package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeCommand starts latent serve on a free loopback port, answers
// an infer request with the trainer's golden reconstruction and shuts
// down cleanly when its context ends (as on SIGTERM).
func TestServeCommand(t *testing.T) {
	dir := aeDir(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- cmdServe(ctx, []string{"--model", "ae=" + filepath.Join(dir, "model.onnx"), "--addr", "127.0.0.1:0", "--max-batch", "8"}, pw, &stderr)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no listening line (%v); stderr: %s", err, stderr.String())
	}
	go io.Copy(io.Discard, pr)
	base := strings.TrimSpace(line[strings.Index(line, "http://"):])

	resp, err := http.Get(base + "/v2/health/ready")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("ready: %v %v", resp, err)
	}
	resp.Body.Close()
	in, want := goldenPair(t, goldenAE)
	_, x := readTensor(t, in)
	body, _ := json.Marshal(map[string]any{"inputs": []map[string]any{{"name": "input", "shape": x.Shape, "datatype": "FP32", "data": x.F32()}}})
	resp, err = http.Post(base+"/v2/models/ae/infer", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var ir struct {
		Outputs []struct {
			Data []float64 `json:"data"`
		} `json:"outputs"`
	}
	err = json.NewDecoder(resp.Body).Decode(&ir)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || len(ir.Outputs) != 1 || len(ir.Outputs[0].Data) != want.Len() {
		t.Fatalf("infer: status %d, %v, %+v", resp.StatusCode, err, ir)
	}
	for i, v := range ir.Outputs[0].Data {
		if math.Abs(v-float64(want.F32()[i])) > 1e-5 {
			t.Fatalf("value %d = %g, want %g", i, v, want.F32()[i])
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after its context ended")
	}
	if !strings.Contains(stderr.String(), "stopped") {
		t.Errorf("no shutdown log line: %s", stderr.String())
	}
}

func TestServeUsage(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"serve"}, 2, "at least one --model NAME=PATH"},
		{[]string{"serve", "--model", "noequals"}, 2, `"noequals" is not NAME=PATH`},
		{[]string{"serve", "--model", "a=x.onnx", "extra"}, 2, "unexpected arguments"},
		{[]string{"serve", "--model", "a=x.onnx", "--max-batch", "-1"}, 2, "must be ≥ 0"},
		{[]string{"serve", "--model", "a=/nonexistent/x.onnx"}, 1, "/nonexistent/x.onnx"},
		{[]string{"serve", "--model", "a=" + goldenAE + "/model.onnx", "--addr", "256.0.0.1:1"}, 1, "listen on 256.0.0.1:1"},
	}
	for _, c := range cases {
		code, _, stderr := latent(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d containing %q", c.args, code, stderr, c.code, c.want)
		}
	}
	code, _, stderr := latent(t, "serve", "--help")
	if code != 0 || !strings.Contains(stderr, "examples:") || !strings.Contains(stderr, "-max-batch") {
		t.Errorf("--help: exit %d: %s", code, stderr)
	}
}

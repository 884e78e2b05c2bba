package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	goruntime "runtime"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/ort"
)

// benchChildEnv marks a process started by benchMemory. The latent binary
// ignores it; a test binary (whose os.Executable is not latent) checks it in
// TestMain and runs the command line instead of its tests.
const benchChildEnv = "LATENT_BENCH_MEMORY_CHILD"

// memProbe is what a --memory-child process reports: its resident set
// size (bytes) before loading the model, after loading it (the model
// decoded, compiled, and the Go-side copy released where the backend does
// not need it), and at its peak while running it. HWMReset says whether
// the peak was reset after loading (Linux); when false the peak includes
// the load.
type memProbe struct {
	BaselineBytes int64 `json:"baseline_bytes"`
	LoadedBytes   int64 `json:"loaded_bytes"`
	PeakBytes     int64 `json:"peak_bytes"`
	HWMReset      bool  `json:"hwm_reset"`
}

// benchMemory measures one backend's memory on path at batch and threads
// in a child process (this executable with --memory-child), so that
// neither backend's allocations, nor the other's library, count against
// the other, and the operating system's own accounting can be used.
func benchMemory(ctx context.Context, path, backend string, batch, threads int, cfg benchConfig) (memProbe, error) {
	exe, err := os.Executable()
	if err != nil {
		return memProbe{}, fmt.Errorf("find this executable: %w", err)
	}
	args := []string{"bench", path, "--memory-child", "--backend", backend,
		"--batch", strconv.Itoa(batch), "--threads", strconv.Itoa(threads),
		"--warmup", strconv.Itoa(min(cfg.warmup, 2)), "--seed", strconv.FormatUint(cfg.seed, 10),
		"--optimize=" + strconv.FormatBool(cfg.optimize)}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(os.Environ(), benchChildEnv+"=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		return memProbe{}, fmt.Errorf("child process: %w: %s", err, msg)
	}
	var p memProbe
	if err := json.Unmarshal(out.Bytes(), &p); err != nil {
		return memProbe{}, fmt.Errorf("child process printed %q: %w", out.String(), err)
	}
	return p, nil
}

// benchMemoryChild is the --memory-child process: it loads path on one
// backend, releases what the backend does not keep, resets the peak RSS,
// runs the model warmup+3 times and prints a memProbe as JSON.
func benchMemoryChild(ctx context.Context, path, backend string, batch, threads int, cfg benchConfig, stdout io.Writer) error {
	ops.SetThreads(threads)
	b, err := runtime.LookupBackend(backend)
	if err != nil {
		return err
	}
	if backend == "ort" {
		// Load the ONNX Runtime library before the baseline: its code is
		// not the model's memory.
		if err := ort.Available(); err != nil {
			return err
		}
	}
	settle()
	var p memProbe
	if p.BaselineBytes, _, err = procRSS(); err != nil {
		return err
	}
	m, err := graph.DecodeFile(path)
	if err != nil {
		return err
	}
	inputs, err := benchInputs(m.Graph.Inputs, batch, cfg.seed)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	x, err := b.Compile(ctx, m, runtime.Config{IntraOpThreads: threads, Optimize: cfg.optimize})
	if err != nil {
		return fmt.Errorf("open %s on %s: %w", path, backend, err)
	}
	defer x.Close()
	m = nil // whatever the executable still needs, it references itself
	settle()
	if p.LoadedBytes, _, err = procRSS(); err != nil {
		return err
	}
	p.HWMReset = resetPeakRSS() == nil
	for range cfg.warmup + 3 {
		if _, err := x.Run(ctx, inputs); err != nil {
			return fmt.Errorf("%s: run on %s: %w", path, backend, err)
		}
	}
	if _, p.PeakBytes, err = procRSS(); err != nil {
		return err
	}
	goruntime.KeepAlive(inputs)
	return json.NewEncoder(stdout).Encode(p)
}

// settle collects garbage and returns free memory to the operating
// system, so resident sizes count live data only.
func settle() {
	goruntime.GC()
	debug.FreeOSMemory()
}

// procRSS reads this process's resident set size and its peak (VmRSS,
// VmHWM) from /proc/self/status, in bytes.
func procRSS() (rss, hwm int64, err error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, 0, fmt.Errorf("--memory needs Linux's /proc/self/status: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, 0, fmt.Errorf("/proc/self/status: unexpected %s line %q", k, sc.Text())
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/self/status: %s: %w", k, err)
		}
		if k == "VmRSS" {
			rss = n << 10
		} else {
			hwm = n << 10
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, err
	}
	if rss == 0 || hwm == 0 {
		return 0, 0, errors.New("/proc/self/status has no VmRSS/VmHWM")
	}
	return rss, hwm, nil
}

// resetPeakRSS resets VmHWM to the current RSS (Linux 4.0+: writing 5 to
// /proc/self/clear_refs).
func resetPeakRSS() error {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

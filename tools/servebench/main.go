// Command servebench measures latent serve under a bounded loopback load
// beside KServe's Python ModelServer on onnxruntime, serving the same ONNX
// model in the same run, for BENCHMARKS.md "Server":
//
//   - closed-loop throughput and latency (p50, p99) for REST with JSON
//     tensors, REST with the binary tensor extension and gRPC with raw
//     contents, at batch 1 and 64, from 1, 16 and 64 connections (each
//     connection one client goroutine sending its next request when the
//     last is answered), the two servers alternating configuration by
//     configuration and round by round;
//   - open-loop latency: requests sent on a fixed schedule over 16
//     connections at five times the rate KServe sustained, latency counted
//     from the scheduled send time, against latent's unloaded (one
//     connection) latency;
//   - a soak: latent under a mixed load for a minute, its resident memory
//     sampled every second.
//
// Every answer is checked: status, and the outputs' size; the first
// answers of each configuration are compared value by value between the
// servers (tolerance 1e-4). Any error fails the run.
//
//	go run ./tools/servebench --model runs/bench/model.onnx \
//	    --kserve-python "$(bash tools/python/venv.sh kserve)"
//
// tools/servebench.sh makes the benchmark model and the KServe venv and
// runs it as BENCHMARKS.md records. Without --kserve-python only latent is
// measured.
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/latent-ml/latent/runtime"
	pb "github.com/latent-ml/latent/serve/inferencepb"
)

type options struct {
	model, latentBin, kservePy, kserveScript string
	latentFlags                              []string
	duration, warmup, soak, openLoop         time.Duration
	protocols                                []string
	batches, conns                           []int
	rounds                                   int
	out                                      string
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "servebench:", err)
		os.Exit(1)
	}
}

func run() error {
	var o options
	var protocols, batches, conns, latentFlags string
	flag.StringVar(&o.model, "model", "", "ONNX model to serve (one input, batch-major; required)")
	flag.StringVar(&o.latentBin, "latent", "", "latent binary (default: build the static edge binary from this checkout)")
	flag.StringVar(&latentFlags, "latent-flags", "", "extra flags for latent serve, space separated (e.g. \"--max-batch 64\")")
	flag.StringVar(&o.kservePy, "kserve-python", "", "Python of a venv with kserve and onnxruntime (tools/python/venv.sh kserve); empty: latent only")
	flag.StringVar(&o.kserveScript, "kserve-script", "tools/python/kserve_onnx.py", "KServe model server script")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "measured time per configuration and round")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured load before each measurement")
	flag.StringVar(&protocols, "protocols", "rest-json,rest-binary,grpc", "protocols to measure")
	flag.StringVar(&batches, "batches", "1,64", "batch sizes (rows per request)")
	flag.StringVar(&conns, "conns", "1,16,64", "connection counts")
	flag.IntVar(&o.rounds, "rounds", 2, "rounds; servers alternate their order each round")
	flag.DurationVar(&o.openLoop, "open-loop", 10*time.Second, "open-loop run per protocol at 5× KServe's 16-connection rate (0: skip)")
	flag.DurationVar(&o.soak, "soak", 60*time.Second, "soak duration for latent (0: skip)")
	flag.StringVar(&o.out, "json", "", "also write the results as JSON to this file")
	flag.Parse()
	if o.model == "" {
		return errors.New("--model is required")
	}
	o.protocols = strings.Split(protocols, ",")
	for _, p := range o.protocols {
		if !slices.Contains([]string{"rest-json", "rest-binary", "grpc"}, p) {
			return fmt.Errorf("unknown protocol %q (want rest-json, rest-binary, grpc)", p)
		}
	}
	var err error
	if o.batches, err = ints(batches); err != nil {
		return fmt.Errorf("--batches: %w", err)
	}
	if o.conns, err = ints(conns); err != nil {
		return fmt.Errorf("--conns: %w", err)
	}
	o.latentFlags = strings.Fields(latentFlags)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := bench(ctx, o)
	if rep != nil {
		rep.print(os.Stdout)
		if o.out != "" {
			b, _ := json.MarshalIndent(rep, "", "  ")
			if werr := os.WriteFile(o.out, b, 0o644); werr != nil && err == nil {
				err = werr
			}
		}
	}
	return err
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive count", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// server is a model server process under test.
type server struct {
	name       string // "latent" or "kserve"
	cmd        *exec.Cmd
	http, grpc string // host:port
	log        *os.File
	exited     chan error
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// start runs cmd (in its own process group) and waits until readyURL
// answers 200.
func start(ctx context.Context, name string, args []string, httpAddr, grpcAddr, readyURL, logPath string) (*server, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s := &server{name: name, cmd: cmd, http: httpAddr, grpc: grpcAddr, log: log, exited: make(chan error, 1)}
	go func() { s.exited <- cmd.Wait() }()
	deadline := time.Now().Add(120 * time.Second)
	for {
		resp, err := http.Get(readyURL)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s, nil
			}
		}
		select {
		case err := <-s.exited:
			return nil, fmt.Errorf("%s exited before it was ready (%v); log: %s", name, err, logPath)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("%s not ready after 120 s; log: %s", name, logPath)
		}
	}
}

// stop sends SIGTERM to the server's process group and waits (SIGKILL
// after 30 s).
func (s *server) stop() error {
	defer s.log.Close()
	pgid := s.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case err := <-s.exited:
		return err
	case <-time.After(30 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-s.exited
		return fmt.Errorf("%s did not stop within 30 s of SIGTERM", s.name)
	}
}

// cpu sums the user and system CPU time of the server's process group.
func (s *server) cpu() time.Duration {
	var ticks int64
	s.eachProcess(func(pid int, fields []string) {
		// utime and stime are fields 14 and 15 of /proc/PID/stat, 12 and 13
		// after the command.
		u, _ := strconv.ParseInt(fields[11], 10, 64)
		k, _ := strconv.ParseInt(fields[12], 10, 64)
		ticks += u + k
	})
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}

// eachProcess calls f for every process of the server's process group
// with the fields of /proc/PID/stat after the command name.
func (s *server) eachProcess(f func(pid int, fields []string)) {
	pgid := strconv.Itoa(s.cmd.Process.Pid)
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(stat, ')')
		fields := strings.Fields(string(stat[i+1:]))
		if len(fields) > 12 && fields[2] == pgid {
			f(pid, fields)
		}
	}
}

// rss sums the resident memory of the server's process group (KServe's
// uvicorn may fork workers).
func (s *server) rss() (int64, error) {
	var total int64
	s.eachProcess(func(pid int, _ []string) {
		status, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
		if err != nil {
			return
		}
		for _, line := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(line, "VmRSS:") {
				kb, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
				total += kb << 10
			}
		}
	})
	if total == 0 {
		return 0, fmt.Errorf("%s: no resident memory found", s.name)
	}
	return total, nil
}

func startLatent(ctx context.Context, o options, dir string) (*server, error) {
	bin := o.latentBin
	if bin == "" {
		bin = filepath.Join(dir, "latent")
		build := exec.Command("go", "build", "-tags", "grpcnotrace,nethttpomithttp2", "-trimpath", "-ldflags", "-s -w", "-o", bin, "github.com/latent-ml/latent/tools/latent")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("build latent: %v: %s", err, out)
		}
	}
	repo := filepath.Join(dir, "repo", "ae", "1")
	if err := os.MkdirAll(repo, 0o755); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(o.model)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(repo, "model.onnx"), b, 0o644); err != nil {
		return nil, err
	}
	h, err := freePort()
	if err != nil {
		return nil, err
	}
	g, err := freePort()
	if err != nil {
		return nil, err
	}
	args := append([]string{bin, "serve", "--model-repository", filepath.Join(dir, "repo"), "--addr", h, "--grpc-addr", g}, o.latentFlags...)
	return start(ctx, "latent", args, h, g, "http://"+h+"/v2/health/ready", filepath.Join(dir, "latent.log"))
}

func startKServe(ctx context.Context, o options, dir string) (*server, error) {
	h, err := freePort()
	if err != nil {
		return nil, err
	}
	g, err := freePort()
	if err != nil {
		return nil, err
	}
	_, hp, _ := net.SplitHostPort(h)
	_, gp, _ := net.SplitHostPort(g)
	args := []string{o.kservePy, o.kserveScript, "--model_path", o.model, "--model_name", "ae",
		"--http_port", hp, "--grpc_port", gp, "--enable_latency_logging", "false"}
	s, err := start(ctx, "kserve", args, "127.0.0.1:"+hp, "127.0.0.1:"+gp, "http://127.0.0.1:"+hp+"/v2/models/ae/ready", filepath.Join(dir, "kserve.log"))
	return s, err
}

// workload is one configuration's request, prepared once.
type workload struct {
	protocol  string
	batch     int
	features  int
	input     []float32
	body      []byte // REST
	headerLen int    // REST binary: JSON part length
	req       *pb.ModelInferRequest
}

func newWorkload(protocol string, batch, features int) *workload {
	r := rand.New(rand.NewPCG(uint64(batch), 7))
	w := &workload{protocol: protocol, batch: batch, features: features, input: make([]float32, batch*features)}
	for i := range w.input {
		w.input[i] = r.Float32()
	}
	raw := make([]byte, 4*len(w.input))
	for i, v := range w.input {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	switch protocol {
	case "rest-json":
		var b bytes.Buffer
		fmt.Fprintf(&b, `{"inputs":[{"name":"input","shape":[%d,%d],"datatype":"FP32","data":[`, batch, features)
		for i, v := range w.input {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatFloat(float64(v), 'g', -1, 32))
		}
		b.WriteString(`]}]}`)
		w.body = b.Bytes()
	case "rest-binary":
		js := fmt.Sprintf(`{"inputs":[{"name":"input","shape":[%d,%d],"datatype":"FP32","parameters":{"binary_data_size":%d}}],`+
			`"outputs":[{"name":"reconstruction","parameters":{"binary_data":true}}]}`, batch, features, len(raw))
		w.headerLen = len(js)
		w.body = append([]byte(js), raw...)
	case "grpc":
		w.req = &pb.ModelInferRequest{ModelName: "ae",
			Inputs:           []*pb.ModelInferRequest_InferInputTensor{{Name: "input", Datatype: "FP32", Shape: []int64{int64(batch), int64(features)}}},
			RawInputContents: [][]byte{raw}}
	}
	return w
}

// client is one connection's worth of client.
type client struct {
	w    *workload
	http *http.Client
	conn *grpc.ClientConn
	rpc  pb.GRPCInferenceServiceClient
	url  string
}

func newClient(s *server, w *workload) (*client, error) {
	c := &client{w: w}
	if w.protocol == "grpc" {
		conn, err := grpc.NewClient(s.grpc, grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
		if err != nil {
			return nil, err
		}
		c.conn, c.rpc = conn, pb.NewGRPCInferenceServiceClient(conn)
		return c, nil
	}
	// One client per connection: one keep-alive connection each.
	c.http = &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1, DisableCompression: true}, Timeout: 60 * time.Second}
	c.url = "http://" + s.http + "/v2/models/ae/infer"
	return c, nil
}

func (c *client) close() {
	if c.conn != nil {
		c.conn.Close()
	}
	if c.http != nil {
		c.http.CloseIdleConnections()
	}
}

// do sends one request and returns the output values when full is set
// (else only checks the answer's size).
func (c *client) do(ctx context.Context, full bool) ([]float32, error) {
	w := c.w
	n := w.batch * w.features
	if w.protocol == "grpc" {
		resp, err := c.rpc.ModelInfer(ctx, w.req)
		if err != nil {
			return nil, err
		}
		var out []float32
		switch {
		case len(resp.GetRawOutputContents()) > 0:
			raw := resp.GetRawOutputContents()[0]
			if len(raw) != 4*n {
				return nil, fmt.Errorf("gRPC: %d output bytes, want %d", len(raw), 4*n)
			}
			if full {
				out = make([]float32, n)
				for i := range out {
					out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
				}
			}
		case len(resp.GetOutputs()) > 0:
			out = resp.GetOutputs()[0].GetContents().GetFp32Contents()
			if len(out) != n {
				return nil, fmt.Errorf("gRPC: %d output values, want %d", len(out), n)
			}
		default:
			return nil, errors.New("gRPC: no outputs")
		}
		return out, nil
	}
	req, err := http.NewRequestWithContext(ctx, "POST", c.url, bytes.NewReader(w.body))
	if err != nil {
		return nil, err
	}
	if w.protocol == "rest-binary" {
		req.Header.Set("Content-Type", "application/octet-stream")
		req.Header.Set("Inference-Header-Content-Length", strconv.Itoa(w.headerLen))
	} else {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, body)
	}
	if w.protocol == "rest-binary" {
		hl, err := strconv.Atoi(resp.Header.Get("Inference-Header-Content-Length"))
		if err != nil || hl > len(body) || len(body)-hl != 4*n {
			return nil, fmt.Errorf("binary response: header length %q, %d bytes, want %d binary bytes", resp.Header.Get("Inference-Header-Content-Length"), len(body), 4*n)
		}
		if !full {
			return nil, nil
		}
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[hl+4*i:]))
		}
		return out, nil
	}
	if !full {
		if !bytes.Contains(body, []byte(`"reconstruction"`)) {
			return nil, fmt.Errorf("JSON response without the output: %.200s", body)
		}
		return nil, nil
	}
	var r struct {
		Outputs []struct {
			Data []float32 `json:"data"`
		} `json:"outputs"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("JSON response: %v", err)
	}
	if len(r.Outputs) == 0 || len(r.Outputs[0].Data) != n {
		return nil, fmt.Errorf("JSON response: want %d values: %.200s", n, body)
	}
	return r.Outputs[0].Data, nil
}

// Result is one measured configuration.
type Result struct {
	Server   string  `json:"server"`
	Protocol string  `json:"protocol"`
	Batch    int     `json:"batch"`
	Conns    int     `json:"conns"`
	Rate     float64 `json:"rate,omitempty"` // open loop: offered requests/s
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	Seconds  float64 `json:"seconds"`
	RPS      float64 `json:"rps"`
	// CPUSeconds is the server's CPU time over the measured window (all
	// its processes and threads); ReqPerCPUs divides the requests by it,
	// which the machine's other load disturbs less than req/s.
	CPUSeconds float64 `json:"cpu_seconds,omitempty"`
	ReqPerCPUs float64 `json:"requests_per_cpu_second,omitempty"`
	P50ms      float64 `json:"p50_ms"`
	P99ms      float64 `json:"p99_ms"`
	FirstErr   string  `json:"first_error,omitempty"`
	lat        []time.Duration
}

func (r *Result) finish() {
	sort.Slice(r.lat, func(i, j int) bool { return r.lat[i] < r.lat[j] })
	pct := func(p float64) float64 {
		if len(r.lat) == 0 {
			return 0
		}
		return float64(r.lat[min(int(p*float64(len(r.lat))), len(r.lat)-1)]) / 1e6
	}
	r.P50ms, r.P99ms = pct(0.50), pct(0.99)
	if r.Seconds > 0 {
		r.RPS = float64(r.Requests) / r.Seconds
	}
	if r.CPUSeconds > 0 {
		r.ReqPerCPUs = float64(r.Requests) / r.CPUSeconds
	}
}

func (r *Result) merge(o *Result) {
	r.Requests += o.Requests
	r.Errors += o.Errors
	r.Seconds += o.Seconds
	r.CPUSeconds += o.CPUSeconds
	r.lat = append(r.lat, o.lat...)
	if r.FirstErr == "" {
		r.FirstErr = o.FirstErr
	}
}

// closedLoop runs conns clients, each sending its next request when the
// last is answered: warmup unmeasured, then duration measured.
func closedLoop(ctx context.Context, s *server, w *workload, conns int, warmup, duration time.Duration) (*Result, error) {
	clients := make([]*client, conns)
	for i := range clients {
		c, err := newClient(s, w)
		if err != nil {
			return nil, err
		}
		clients[i] = c
		defer c.close()
	}
	res := &Result{Server: s.name, Protocol: w.protocol, Batch: w.batch, Conns: conns}
	var mu sync.Mutex
	var measuring atomic.Bool
	startAt := time.Now().Add(warmup)
	endAt := startAt.Add(duration)
	// The server's CPU time over the measured window.
	var cpu0, cpu1 time.Duration
	cpuDone := make(chan struct{})
	go func() {
		defer close(cpuDone)
		time.Sleep(time.Until(startAt))
		cpu0 = s.cpu()
		time.Sleep(time.Until(endAt))
		cpu1 = s.cpu()
	}()
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var errs int
			var first string
			for k := 0; ; k++ {
				t0 := time.Now()
				if t0.After(endAt) || ctx.Err() != nil {
					break
				}
				rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
				_, err := c.do(rctx, k%50 == 0)
				cancel()
				d := time.Since(t0)
				if !t0.Before(startAt) {
					measuring.Store(true)
					lat = append(lat, d)
					if err != nil {
						errs++
						if first == "" {
							first = err.Error()
						}
					}
				} else if err != nil && first == "" {
					errs++
					first = err.Error()
				}
			}
			mu.Lock()
			res.lat = append(res.lat, lat...)
			res.Errors += errs
			if res.FirstErr == "" {
				res.FirstErr = first
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	<-cpuDone
	// Requests still in flight at endAt finish after it; the rate counts
	// requests sent within the window over the window.
	res.Requests = len(res.lat)
	res.Seconds = duration.Seconds()
	res.CPUSeconds = (cpu1 - cpu0).Seconds()
	if err := ctx.Err(); err != nil {
		return res, err
	}
	return res, nil
}

// openLoop sends requests on a fixed schedule (rate per second) over conns
// connections for duration; a request's latency runs from its scheduled
// time, so queueing behind a slow answer counts.
func openLoop(ctx context.Context, s *server, w *workload, conns int, rate float64, duration time.Duration) (*Result, error) {
	clients := make([]*client, conns)
	for i := range clients {
		c, err := newClient(s, w)
		if err != nil {
			return nil, err
		}
		clients[i] = c
		defer c.close()
	}
	// Warm the connections.
	for _, c := range clients {
		if _, err := c.do(ctx, true); err != nil {
			return nil, err
		}
	}
	total := int(rate * duration.Seconds())
	sched := make(chan time.Time, total)
	res := &Result{Server: s.name, Protocol: w.protocol, Batch: w.batch, Conns: conns, Rate: rate}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for at := range sched {
				if d := time.Until(at); d > 0 {
					time.Sleep(d)
				}
				rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
				_, err := c.do(rctx, false)
				cancel()
				d := time.Since(at)
				mu.Lock()
				res.lat = append(res.lat, d)
				if err != nil {
					res.Errors++
					if res.FirstErr == "" {
						res.FirstErr = err.Error()
					}
				}
				mu.Unlock()
			}
		}()
	}
	start := time.Now().Add(50 * time.Millisecond)
	interval := time.Duration(float64(time.Second) / rate)
	for i := 0; i < total; i++ {
		sched <- start.Add(time.Duration(i) * interval)
	}
	close(sched)
	wg.Wait()
	res.Requests = len(res.lat)
	res.Seconds = duration.Seconds()
	return res, ctx.Err()
}

// crossCheck compares the servers' answers to one request of each
// protocol and batch size, value by value.
func crossCheck(ctx context.Context, servers []*server, w *workload) error {
	var ref []float32
	var refName string
	for _, s := range servers {
		c, err := newClient(s, w)
		if err != nil {
			return err
		}
		out, err := c.do(ctx, true)
		c.close()
		if err != nil {
			return fmt.Errorf("%s %s batch %d: %w", s.name, w.protocol, w.batch, err)
		}
		if ref == nil {
			ref, refName = out, s.name
			continue
		}
		for i := range out {
			if math.Abs(float64(out[i]-ref[i])) > 1e-4 {
				return fmt.Errorf("%s %s batch %d: output %d is %g, %s says %g", s.name, w.protocol, w.batch, i, out[i], refName, ref[i])
			}
		}
	}
	return nil
}

// Soak is the long run's record.
type Soak struct {
	Seconds  float64   `json:"seconds"`
	Requests int       `json:"requests"`
	Errors   int       `json:"errors"`
	FirstErr string    `json:"first_error,omitempty"`
	RSSMB    []float64 `json:"rss_mb"` // one sample a second
}

// soak runs latent for d under 16 connections cycling through the
// protocols and batch sizes, sampling its resident memory every second.
func soak(ctx context.Context, s *server, features int, protocols []string, batches []int, d time.Duration) (*Soak, error) {
	const conns = 16
	var clients []*client
	for i := 0; i < conns; i++ {
		w := newWorkload(protocols[i%len(protocols)], batches[(i/len(protocols))%len(batches)], features)
		c, err := newClient(s, w)
		if err != nil {
			return nil, err
		}
		clients = append(clients, c)
		defer c.close()
	}
	out := &Soak{Seconds: d.Seconds()}
	end := time.Now().Add(d)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, errs, first := 0, 0, ""
			for k := 0; time.Now().Before(end) && ctx.Err() == nil; k++ {
				rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
				_, err := c.do(rctx, k%100 == 0)
				cancel()
				n++
				if err != nil {
					errs++
					if first == "" {
						first = err.Error()
					}
				}
			}
			mu.Lock()
			out.Requests += n
			out.Errors += errs
			if out.FirstErr == "" {
				out.FirstErr = first
			}
			mu.Unlock()
		}()
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for time.Now().Before(end) && ctx.Err() == nil {
		<-tick.C
		rss, err := s.rss()
		if err != nil {
			return nil, err
		}
		out.RSSMB = append(out.RSSMB, float64(rss)/(1<<20))
	}
	wg.Wait()
	return out, ctx.Err()
}

// Report is the whole run.
type Report struct {
	Model     string    `json:"model"`
	Features  int       `json:"features"`
	Started   time.Time `json:"started"`
	LoadAvg   []string  `json:"load_average"` // at start and end
	Closed    []*Result `json:"closed_loop"`
	Open      []*Result `json:"open_loop,omitempty"`
	Unloaded  []*Result `json:"unloaded,omitempty"` // latent, one connection, batch 1
	Soak      *Soak     `json:"soak,omitempty"`
	LatentRSS float64   `json:"latent_rss_mb_idle"`
	KServeRSS float64   `json:"kserve_rss_mb_idle,omitempty"`
}

func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func bench(ctx context.Context, o options) (*Report, error) {
	sess, err := runtime.Open(o.model)
	if err != nil {
		return nil, err
	}
	ins := sess.Inputs()
	sess.Close()
	if len(ins) != 1 || len(ins[0].Shape) != 2 || !ins[0].Shape[1].Known() {
		return nil, fmt.Errorf("%s: want one input [batch, features], got %v", o.model, ins)
	}
	features := int(ins[0].Shape[1].Value)
	dir, err := os.MkdirTemp("", "servebench")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	rep := &Report{Model: o.model, Features: features, Started: time.Now().UTC(), LoadAvg: []string{loadAvg()}}
	defer func() { rep.LoadAvg = append(rep.LoadAvg, loadAvg()) }()

	latent, err := startLatent(ctx, o, dir)
	if err != nil {
		return nil, err
	}
	defer latent.stop()
	servers := []*server{latent}
	if o.kservePy != "" {
		ks, err := startKServe(ctx, o, dir)
		if err != nil {
			return nil, err
		}
		defer ks.stop()
		servers = append(servers, ks)
	}
	for _, p := range o.protocols {
		for _, b := range o.batches {
			if err := crossCheck(ctx, servers, newWorkload(p, b, features)); err != nil {
				return nil, fmt.Errorf("cross-check: %w", err)
			}
		}
	}
	if r, err := latent.rss(); err == nil {
		rep.LatentRSS = float64(r) / (1 << 20)
	}
	if len(servers) > 1 {
		if r, err := servers[1].rss(); err == nil {
			rep.KServeRSS = float64(r) / (1 << 20)
		}
	}

	// Closed loop: every configuration, servers alternating.
	merged := map[string]*Result{}
	key := func(r *Result) string { return fmt.Sprintf("%s/%s/%d/%d", r.Server, r.Protocol, r.Batch, r.Conns) }
	for round := 0; round < o.rounds; round++ {
		for _, p := range o.protocols {
			for _, b := range o.batches {
				w := newWorkload(p, b, features)
				for _, n := range o.conns {
					order := servers
					if round%2 == 1 {
						order = append([]*server(nil), servers...)
						slices.Reverse(order)
					}
					for _, s := range order {
						r, err := closedLoop(ctx, s, w, n, o.warmup, o.duration)
						if err != nil {
							return rep, err
						}
						fmt.Fprintf(os.Stderr, "round %d %-6s %-11s batch %2d conns %2d: %8.0f req/s  p50 %7.2f ms  p99 %7.2f ms  errors %d\n",
							round+1, s.name, p, b, n, float64(len(r.lat))/r.Seconds, pctOf(r.lat, 0.5), pctOf(r.lat, 0.99), r.Errors)
						if m := merged[key(r)]; m != nil {
							m.merge(r)
						} else {
							merged[key(r)] = r
							rep.Closed = append(rep.Closed, r)
						}
					}
				}
			}
		}
	}
	for _, r := range rep.Closed {
		r.finish()
	}

	// Open loop at KServe's 16-connection rate and five times it, against
	// latent's unloaded latency measured just before.
	if o.openLoop > 0 && len(servers) > 1 {
		for _, p := range o.protocols {
			ks := merged[fmt.Sprintf("kserve/%s/1/16", p)]
			if ks == nil {
				continue
			}
			w := newWorkload(p, 1, features)
			for _, mult := range []float64{1, 5} {
				un, err := closedLoop(ctx, latent, w, 1, o.warmup, o.duration)
				if err != nil {
					return rep, err
				}
				un.finish()
				rep.Unloaded = append(rep.Unloaded, un)
				r, err := openLoop(ctx, latent, w, 16, mult*ks.RPS, o.openLoop)
				if err != nil {
					return rep, err
				}
				r.finish()
				fmt.Fprintf(os.Stderr, "open loop latent %-11s batch 1, 16 conns at %.0f req/s: p50 %.2f ms p99 %.2f ms (unloaded p99 %.2f ms), errors %d\n",
					p, r.Rate, r.P50ms, r.P99ms, un.P99ms, r.Errors)
				rep.Open = append(rep.Open, r)
			}
		}
	}

	if o.soak > 0 {
		// KServe idles meanwhile; only latent is soaked.
		sk, err := soak(ctx, latent, features, o.protocols, o.batches, o.soak)
		if err != nil {
			return rep, err
		}
		rep.Soak = sk
	}

	// latent must answer everything; KServe's errors (time-outs under
	// loads it cannot carry) are reported in the table, not fatal.
	var errs []string
	for _, r := range append(append(append([]*Result(nil), rep.Closed...), rep.Open...), rep.Unloaded...) {
		if r.Errors > 0 && r.Server == "latent" {
			errs = append(errs, fmt.Sprintf("%s: %d errors (first: %s)", key(r), r.Errors, r.FirstErr))
		}
	}
	if rep.Soak != nil && rep.Soak.Errors > 0 {
		errs = append(errs, fmt.Sprintf("soak: %d errors (first: %s)", rep.Soak.Errors, rep.Soak.FirstErr))
	}
	if len(errs) > 0 {
		return rep, errors.New(strings.Join(errs, "; "))
	}
	return rep, nil
}

func pctOf(lat []time.Duration, p float64) float64 {
	if len(lat) == 0 {
		return 0
	}
	l := append([]time.Duration(nil), lat...)
	sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	return float64(l[min(int(p*float64(len(l))), len(l)-1)]) / 1e6
}

// print writes the report as Markdown tables.
func (rep *Report) print(w io.Writer) {
	fmt.Fprintf(w, "model %s (%d features), started %s, load average %s\n\n", rep.Model, rep.Features, rep.Started.Format(time.RFC3339), strings.Join(rep.LoadAvg, " → "))
	find := func(server, p string, b, n int) *Result {
		for _, r := range rep.Closed {
			if r.Server == server && r.Protocol == p && r.Batch == b && r.Conns == n {
				return r
			}
		}
		return nil
	}
	fmt.Fprintln(w, "| protocol | batch | conns | latent req/s | p50 ms | p99 ms | errors | KServe req/s | p50 ms | p99 ms | errors | req/s ratio | req per CPU-s, latent / KServe |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rep.Closed {
		if r.Server != "latent" {
			continue
		}
		k := find("kserve", r.Protocol, r.Batch, r.Conns)
		ks, ratio, eff := "– | – | – | –", "–", thousands(r.ReqPerCPUs)+" / –"
		if k != nil {
			ks = fmt.Sprintf("%s | %.2f | %.2f | %d", thousands(k.RPS), k.P50ms, k.P99ms, k.Errors)
			ratio = fmt.Sprintf("%.1f×", r.RPS/k.RPS)
			eff = fmt.Sprintf("%s / %s (%.1f×)", thousands(r.ReqPerCPUs), thousands(k.ReqPerCPUs), r.ReqPerCPUs/k.ReqPerCPUs)
		}
		fmt.Fprintf(w, "| %s | %d | %d | %s | %.2f | %.2f | %d | %s | %s | %s |\n", r.Protocol, r.Batch, r.Conns, thousands(r.RPS), r.P50ms, r.P99ms, r.Errors, ks, ratio, eff)
	}
	if len(rep.Open) > 0 {
		fmt.Fprintln(w, "\n| protocol (batch 1) | offered req/s (× KServe's 16-conn req/s) | latent p50 ms | p99 ms | unloaded p99 ms (1 conn, just before) | p99 / unloaded p99 | errors |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
		for i, r := range rep.Open {
			u := rep.Unloaded[i]
			mult := 1
			if i%2 == 1 {
				mult = 5
			}
			fmt.Fprintf(w, "| %s | %s (%d×) | %.2f | %.2f | %.2f | %.2f | %d |\n", r.Protocol, thousands(r.Rate), mult, r.P50ms, r.P99ms, u.P99ms, r.P99ms/u.P99ms, r.Errors)
		}
	}
	if s := rep.Soak; s != nil && len(s.RSSMB) > 0 {
		lo, hi := s.RSSMB[0], s.RSSMB[0]
		for _, v := range s.RSSMB {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		var marks []string
		for sec := 0; sec < len(s.RSSMB); sec += 10 {
			marks = append(marks, fmt.Sprintf("%d s %.1f", sec+1, s.RSSMB[sec]))
		}
		marks = append(marks, fmt.Sprintf("end %.1f", s.RSSMB[len(s.RSSMB)-1]))
		fmt.Fprintf(w, "\nsoak: %.0f s, %d requests (%s req/s) over 16 connections cycling the protocols and batch sizes, %d errors; "+
			"latent RSS MB: %s (min %.1f, max %.1f); idle before the load: latent %.1f MB, KServe %.1f MB\n",
			s.Seconds, s.Requests, thousands(float64(s.Requests)/s.Seconds), s.Errors, strings.Join(marks, ", "), lo, hi, rep.LatentRSS, rep.KServeRSS)
	}
}

func thousands(v float64) string {
	s := strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteRune(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLoopbackLoad is the bounded load test of BENCHMARKS.md "## Server":
// a fixed number of infer requests from concurrent keep-alive clients to
// a real server on 127.0.0.1, capped in time, with and without dynamic
// batching. Every response must be 200 and hold the right number of
// values. By default it sends a few hundred requests as a smoke test;
// LATENT_SERVE_LOAD=N sends N per configuration and logs req/s and
// latency percentiles (go test ./serve -run LoopbackLoad -v).
func TestLoopbackLoad(t *testing.T) {
	total := 300
	if s := os.Getenv("LATENT_SERVE_LOAD"); s != "" {
		n, err := strconv.Atoi(s)
		require.NoError(t, err, "LATENT_SERVE_LOAD=%q", s)
		require.Positive(t, n, "LATENT_SERVE_LOAD=%q is not a positive count", s)
		total = n
	}
	const clients = 16
	const rows = 4
	in, _ := goldenIO(t)
	d := in.Shape[1]
	x := make([]float32, rows*d)
	for i := range x {
		x[i] = in.F32()[i%in.Len()]
	}
	body := inferBody("input", []int{rows, d}, "FP32", x)
	for _, cfg := range []struct {
		name string
		c    Config
	}{
		{"unbatched", Config{}},
		{"batched(max 64, 1ms)", Config{MaxBatch: 64, MaxDelay: time.Millisecond}},
	} {
		t.Run(cfg.name, func(t *testing.T) {
			c := cfg.c
			c.Models = []ModelSpec{{Name: "ae", Path: filepath.Join(golden, "model.onnx")}}
			url := startLoopback(t, c).base + "/v2/models/ae/infer"
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
			deadline := time.Now().Add(60 * time.Second)
			var next atomic.Int64
			lat := make([]time.Duration, total)
			var failures atomic.Int64
			var firstErr sync.Once
			var wg sync.WaitGroup
			start := time.Now()
			for w := 0; w < clients; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1)) - 1
						if i >= total || time.Now().After(deadline) {
							return
						}
						t0 := time.Now()
						err := func() error {
							resp, err := client.Post(url, "application/json", bytes.NewReader(body))
							if err != nil {
								return err
							}
							defer resp.Body.Close()
							b, err := io.ReadAll(resp.Body)
							if err != nil {
								return err
							}
							var ir inferReply
							if resp.StatusCode != 200 || json.Unmarshal(b, &ir) != nil || len(ir.Outputs) != 1 || len(ir.Outputs[0].Data) != rows*d {
								return fmt.Errorf("status %d: %.200s", resp.StatusCode, b)
							}
							return nil
						}()
						lat[i] = time.Since(t0)
						if err != nil {
							failures.Add(1)
							firstErr.Do(func() { t.Error(err) })
						}
					}
				}()
			}
			wg.Wait()
			el := time.Since(start)
			finished := min(int(next.Load()), total)
			assert.Equal(t, total, finished, "requests finished within the time cap")
			require.Zero(t, failures.Load(), "requests failed of %d", finished)
			l := append([]time.Duration(nil), lat[:finished]...)
			sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
			pct := func(p float64) time.Duration { return l[min(int(p*float64(len(l))), len(l)-1)] }
			t.Logf("%s: %d requests × %d rows, %d clients: %.0f req/s, p50 %v, p99 %v, max %v",
				cfg.name, finished, rows, clients, float64(finished)/el.Seconds(), pct(0.50), pct(0.99), l[len(l)-1])
		})
	}
}

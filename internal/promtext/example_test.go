package promtext_test

import (
	"os"

	"github.com/latent-ml/latent/internal/promtext"
)

func Example() {
	reg := promtext.NewRegistry()
	requests := reg.Counter("requests_total", "Requests by code.", "code")
	requests.WithLabelValues("200").Inc()
	requests.WithLabelValues("404").Inc()
	requests.WithLabelValues("200").Inc()
	reg.WriteTo(os.Stdout) // or mount reg.Handler() at /metrics
	// Output:
	// # HELP requests_total Requests by code.
	// # TYPE requests_total counter
	// requests_total{code="200"} 2
	// requests_total{code="404"} 1
}

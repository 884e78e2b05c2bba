package runtime_test

import (
	"os"
	"testing"
)

// TestConformanceORT runs the ONNX backend-test cases selected for the
// native backend on ONNX Runtime. ORT is the reference implementation, so
// its failures point at the harness (data reading, comparison, session
// plumbing) or at the ort backend, not at the operators: see .notes/ort.md.
// Under CI a missing ONNX Runtime library fails the test.
//
//	go test ./runtime -run 'TestConformanceORT$' -v | grep 'conformance ort'
func TestConformanceORT(t *testing.T) {
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip("conformance suite skipped in -short mode (runs in full with `bash tools/test.sh`)")
	}
	requireORTGolden(t)
	runConformance(t, "ort")
}

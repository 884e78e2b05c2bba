package runtime_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latent-ml/latent/runtime/ort"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readmePath is the README whose conformance table -conformance.update
// rewrites, between these markers.
var readmePath = filepath.Join("..", "README.md")

const (
	readmeBegin = "<!-- conformance:begin -->"
	readmeEnd   = "<!-- conformance:end -->"
)

// readmeSuiteNotes are the notes the table gives a suite's name and its
// ONNX Runtime count.
var readmeSuiteNotes = map[string][2]string{
	"onnx-node":         {" (onnx %s)", ""},
	"node":              {" (ONNX 1.12)", ""},
	"pytorch-converted": {"", " (opset < 7 unsupported)"},
}

// conformanceTable is the README's conformance table for a full run of
// every suite on the three backends: the same counts as the summary, so
// the README says what the last -conformance.update measured.
func conformanceTable(suites []confSuite, onnxVersion string, cat map[string][]*confCase, results map[string]*runResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", readmeBegin)
	fmt.Fprintf(&b, "Passed cases, as the last `-conformance.update` counted them (ONNX Runtime\n%s through the `ort` backend in the same run; times on this project's busy\n2-core machine):\n\n", ort.ORTVersion)
	b.WriteString("| Suite | Cases | native | native, no graph passes | ONNX Runtime |\n| --- | --- | --- | --- | --- |\n")
	for _, s := range suites {
		cases := cat[s.id]
		if len(cases) == 0 {
			continue
		}
		notes := readmeSuiteNotes[s.id]
		name := s.id + notes[0]
		if strings.Contains(name, "%s") {
			name = fmt.Sprintf(name, onnxVersion)
		}
		_, nat := tally(results["native"], cases)
		_, unopt := tally(results["native-unoptimised"], cases)
		_, ortPassed := tally(results["ort"], cases)
		fmt.Fprintf(&b, "| %s | %d | %d (%s) | %d | %d (%s)%s |\n", name, len(cases), nat, pct(nat, len(cases)), unopt, ortPassed, pct(ortPassed, len(cases)), notes[1])
	}
	fmt.Fprintf(&b, "| time for all %d suites | | %s | %s | %s |\n", len(suites),
		roundSeconds(results["native"]), roundSeconds(results["native-unoptimised"]), roundSeconds(results["ort"]))
	fmt.Fprintf(&b, "%s", readmeEnd)
	return b.String()
}

func roundSeconds(r *runResult) string {
	return fmt.Sprintf("%.1f s", r.elapsed.Seconds())
}

// replaceBlock returns doc with the text from begin to end (markers
// included) replaced by block, which carries its own markers.
func replaceBlock(doc []byte, block string) ([]byte, error) {
	i := bytes.Index(doc, []byte(readmeBegin))
	j := bytes.Index(doc, []byte(readmeEnd))
	if i < 0 || j < i {
		return nil, fmt.Errorf("no %s … %s block", readmeBegin, readmeEnd)
	}
	out := append([]byte(nil), doc[:i]...)
	out = append(out, block...)
	return append(out, doc[j+len(readmeEnd):]...), nil
}

// updateReadme rewrites the README's conformance table from a full run.
func updateReadme(suites []confSuite, onnxVersion string, cat map[string][]*confCase, results map[string]*runResult) error {
	doc, err := os.ReadFile(readmePath)
	if err != nil {
		return err
	}
	out, err := replaceBlock(doc, conformanceTable(suites, onnxVersion, cat, results))
	if err != nil {
		return fmt.Errorf("%s: %w", readmePath, err)
	}
	return os.WriteFile(readmePath, out, 0o644)
}

// The README block is replaced whole, the text around it kept.
func TestReplaceConformanceBlock(t *testing.T) {
	doc := []byte("intro\n" + readmeBegin + "\nold table\n" + readmeEnd + "\nafter\n")
	out, err := replaceBlock(doc, readmeBegin+"\nnew\n"+readmeEnd)
	require.NoError(t, err)
	assert.Equal(t, "intro\n"+readmeBegin+"\nnew\n"+readmeEnd+"\nafter\n", string(out))
	_, err = replaceBlock([]byte("no markers"), "x")
	assert.ErrorContains(t, err, readmeBegin)
}

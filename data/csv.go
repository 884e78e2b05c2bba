package data

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// CSVOptions controls ReadCSV.
type CSVOptions struct {
	// Header skips the first non-empty line. When false, a first line none
	// of whose cells is numeric is treated as a header automatically (a line
	// mixing numbers and text is a data row with a bad cell).
	Header bool
	// Comma is the separator; 0 detects ',' or '\t' from the first line.
	Comma rune
	// Limit keeps only the first Limit rows (0: all).
	Limit int
}

func readCSV(r io.Reader, name string, opt Options) (*Dataset, error) {
	return ReadCSV(r, name, CSVOptions{Header: opt.Header, Limit: opt.Limit})
}

func readTSV(r io.Reader, name string, opt Options) (*Dataset, error) {
	return ReadCSV(r, name, CSVOptions{Header: opt.Header, Comma: '\t', Limit: opt.Limit})
}

// ReadCSV reads numeric CSV or TSV from r, values as stored; name labels
// errors. Empty lines are skipped. Ragged rows, non-numeric cells and NaN/Inf values are errors that
// name the file, line and column.
func ReadCSV(r io.Reader, name string, opt CSVOptions) (*Dataset, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	d := &Dataset{Source: name}
	comma := opt.Comma
	line := 0
	first := true
	for (opt.Limit <= 0 || d.N < opt.Limit) && sc.Scan() {
		line++
		text := strings.TrimSpace(strings.TrimSuffix(sc.Text(), "\r"))
		if text == "" {
			continue
		}
		if comma == 0 {
			comma = ','
			if strings.ContainsRune(text, '\t') {
				comma = '\t'
			}
		}
		cells := strings.Split(text, string(comma))
		if first {
			first = false
			if opt.Header || looksLikeHeader(cells) {
				d.D = len(cells)
				continue
			}
		}
		if d.D == 0 {
			d.D = len(cells)
		} else if len(cells) != d.D {
			return nil, fmt.Errorf("%s:%d: ragged row: %d columns, want %d", name, line, len(cells), d.D)
		}
		for c, cell := range cells {
			v, err := strconv.ParseFloat(strings.TrimSpace(cell), 32)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: column %d: non-numeric value %q", name, line, c+1, cell)
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%s:%d: column %d: value %q is not finite", name, line, c+1, cell)
			}
			d.X = append(d.X, float32(v))
		}
		d.N++
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	if d.N == 0 {
		return nil, fmt.Errorf("%s: no data rows", name)
	}
	return d, nil
}

// looksLikeHeader reports whether no cell of a non-numeric first line parses
// as a number: a header, rather than a data row with a bad cell.
func looksLikeHeader(cells []string) bool {
	for _, c := range cells {
		if _, err := strconv.ParseFloat(strings.TrimSpace(c), 64); err == nil {
			return false
		}
	}
	return true
}

// WriteCSV writes d's input matrix as comma-separated values.
func WriteCSV(w io.Writer, d *Dataset) error {
	bw := bufio.NewWriter(w)
	for i := 0; i < d.N; i++ {
		for j, v := range d.Row(i) {
			if j > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString(strconv.FormatFloat(float64(v), 'g', -1, 32))
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

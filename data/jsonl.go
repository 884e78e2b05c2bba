package data

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
)

// ReadJSONL reads one sample per line, a JSON array of numbers (nested
// arrays are flattened in order), values as stored; blank lines are
// skipped. Every sample must have as many values as the first. It keeps
// the first limit samples (0: all); name labels errors.
func ReadJSONL(r io.Reader, name string, limit int) (*Dataset, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	d := &Dataset{Source: name}
	line := 0
	var row []float32
	for (limit <= 0 || d.N < limit) && sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var v any
		if err := json.Unmarshal(text, &v); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		row = row[:0]
		if err := flattenJSON(v, &row); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if len(row) == 0 {
			return nil, fmt.Errorf("%s:%d: empty sample", name, line)
		}
		if d.N == 0 {
			d.D = len(row)
		} else if len(row) != d.D {
			return nil, fmt.Errorf("%s:%d: %d values, earlier rows have %d", name, line, len(row), d.D)
		}
		d.X = append(d.X, row...)
		d.N++
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	return d, nil
}

func readJSONL(r io.Reader, name string, opt Options) (*Dataset, error) {
	return ReadJSONL(r, name, opt.Limit)
}

func flattenJSON(v any, out *[]float32) error {
	switch x := v.(type) {
	case float64:
		if math.IsInf(float64(float32(x)), 0) {
			return fmt.Errorf("value %g is beyond float32's range", x)
		}
		*out = append(*out, float32(x))
	case []any:
		for _, e := range x {
			if err := flattenJSON(e, out); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("want an array of numbers, found %T", v)
	}
	return nil
}

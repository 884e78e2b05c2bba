package serve

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/latent-ml/latent/ops"
)

// Datatype names of the Open Inference Protocol for the element types
// latent computes with: every protocol datatype (BYTES is an ONNX string
// tensor, each element any bytes). ONNX types the protocol has no name for
// (the 8-, 4- and 2-bit ones) cannot be served.
var datatypes = []struct {
	name string
	dt   ops.DType
}{
	{"FP32", ops.Float32}, {"FP64", ops.Float64}, {"FP16", ops.Float16},
	{"INT64", ops.Int64}, {"INT32", ops.Int32}, {"INT8", ops.Int8},
	{"UINT8", ops.Uint8}, {"BOOL", ops.Bool},
	{"INT16", ops.Int16}, {"UINT16", ops.Uint16}, {"UINT32", ops.Uint32},
	{"UINT64", ops.Uint64}, {"BF16", ops.BFloat16}, {"BYTES", ops.String},
}

// DatatypeName returns the protocol name of dt ("FP32" …), or "" when the
// protocol has none latent supports.
func DatatypeName(dt ops.DType) string {
	for _, d := range datatypes {
		if d.dt == dt {
			return d.name
		}
	}
	return ""
}

func dtypeOf(name string) (ops.DType, bool) {
	for _, d := range datatypes {
		if d.name == name {
			return d.dt, true
		}
	}
	return ops.Invalid, false
}

func supportedNames() string {
	s := ""
	for i, d := range datatypes {
		if i > 0 {
			s += ", "
		}
		s += d.name
	}
	return s
}

// elemCount checks a request shape and returns its element count.
func elemCount(what string, shape []int64) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("%s: negative dimension in shape %v", what, shape)
		}
		if d > 0 && n > math.MaxInt32/int(d) {
			return 0, fmt.Errorf("%s: shape %v is too large", what, shape)
		}
		n *= int(d)
	}
	return n, nil
}

// parseData decodes the JSON "data" of a tensor (a flat or nested array of
// numbers or booleans) straight into a typed slice of n elements, without
// building an intermediate []any.
func parseData(what string, raw []byte, dt ops.DType, n int) (any, error) {
	// Every element takes at least one byte of JSON: refuse a shape the
	// data cannot fill before allocating for it.
	if n > len(raw) {
		return nil, fmt.Errorf("%s: shape needs %d elements, more than the %d bytes of data can hold", what, n, len(raw))
	}
	p := dataParser{b: raw, what: what, dt: dt, out: ops.MakeSlice(dt, n), n: n}
	if err := p.value(0); err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.i != len(p.b) {
		return nil, fmt.Errorf("%s: unexpected %q after data", what, p.rest())
	}
	if p.k != n {
		return nil, fmt.Errorf("%s: data has %d elements, shape needs %d", what, p.k, n)
	}
	return p.out, nil
}

type dataParser struct {
	b    []byte
	i    int
	what string
	dt   ops.DType
	out  any
	n, k int
}

func (p *dataParser) skipSpace() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *dataParser) rest() string {
	r := p.b[p.i:]
	if len(r) > 20 {
		r = r[:20]
	}
	return string(r)
}

func (p *dataParser) value(depth int) error {
	if depth > 32 {
		return fmt.Errorf("%s: data nested deeper than 32 levels", p.what)
	}
	p.skipSpace()
	if p.i >= len(p.b) {
		return fmt.Errorf("%s: data ends early", p.what)
	}
	if p.b[p.i] != '[' {
		if p.dt == ops.String {
			return p.str()
		}
		return p.scalar()
	}
	p.i++
	p.skipSpace()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return nil
	}
	for {
		if err := p.value(depth + 1); err != nil {
			return err
		}
		p.skipSpace()
		if p.i >= len(p.b) {
			return fmt.Errorf("%s: data ends inside an array", p.what)
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return nil
		default:
			return fmt.Errorf("%s: unexpected %q in data", p.what, p.rest())
		}
	}
}

// str reads one BYTES element: a JSON string, its UTF-8 bytes the
// element.
func (p *dataParser) str() error {
	k := p.k
	if k >= p.n {
		return fmt.Errorf("%s: data has more elements than the shape's %d", p.what, p.n)
	}
	if p.b[p.i] != '"' {
		return fmt.Errorf("%s: BYTES data element %d is %q, want a JSON string", p.what, k, p.rest())
	}
	start, esc := p.i, false
	for p.i++; p.i < len(p.b) && p.b[p.i] != '"'; p.i++ {
		if p.b[p.i] == '\\' {
			esc = true
			p.i++
		}
	}
	if p.i >= len(p.b) {
		return fmt.Errorf("%s: BYTES data element %d: string not closed", p.what, k)
	}
	p.i++
	tok := p.b[start:p.i]
	var v string
	if !esc && utf8.Valid(tok) {
		v = string(tok[1 : len(tok)-1])
	} else if err := json.Unmarshal(tok, &v); err != nil {
		return fmt.Errorf("%s: BYTES data element %d: %v", p.what, k, err)
	}
	p.out.([]string)[k] = v
	p.k++
	return nil
}

func (p *dataParser) scalar() error {
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		if c == ',' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			break
		}
		p.i++
	}
	tok := string(p.b[start:p.i])
	if p.k >= p.n {
		return fmt.Errorf("%s: data has more elements than the shape's %d", p.what, p.n)
	}
	k := p.k
	p.k++
	if p.dt == ops.Bool {
		switch tok {
		case "true":
			p.out.([]bool)[k] = true
		case "false":
			p.out.([]bool)[k] = false
		default:
			return fmt.Errorf("%s: BOOL data element %d is %q, want true or false", p.what, k, tok)
		}
		return nil
	}
	if p.dt.IsFloat() || p.dt == ops.BFloat16 {
		v, err := strconv.ParseFloat(tok, 64)
		if err != nil {
			return fmt.Errorf("%s: element %d is %q, not a number", p.what, k, tok)
		}
		if math.Abs(v) > math.MaxFloat32 && p.dt != ops.Float64 {
			return fmt.Errorf("%s: element %d (%s) is outside %s's range", p.what, k, tok, DatatypeName(p.dt))
		}
		switch p.dt {
		case ops.Float32:
			p.out.([]float32)[k] = float32(v)
		case ops.Float64:
			p.out.([]float64)[k] = v
		case ops.Float16:
			if math.Abs(v) > 65504 {
				return fmt.Errorf("%s: element %d (%s) is outside FP16's range", p.what, k, tok)
			}
			p.out.([]uint16)[k] = ops.Float32ToFloat16(float32(v))
		case ops.BFloat16:
			h := ops.Float32ToBFloat16(float32(v))
			if math.IsInf(float64(ops.BFloat16ToFloat32(h)), 0) {
				return fmt.Errorf("%s: element %d (%s) is outside BF16's range", p.what, k, tok)
			}
			p.out.([]uint16)[k] = h
		}
		return nil
	}
	if p.dt == ops.String {
		return fmt.Errorf("%s: BYTES data element %d is %q, want a JSON string", p.what, k, tok)
	}
	if p.dt == ops.Uint64 {
		if u, err := strconv.ParseUint(tok, 10, 64); err == nil {
			p.out.([]uint64)[k] = u
			return nil
		}
	}
	v, err := strconv.ParseInt(tok, 10, 64)
	if err != nil {
		// Accept integral values written as floats (1.0, 2e3).
		f, ferr := strconv.ParseFloat(tok, 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return fmt.Errorf("%s: element %d is %q, not an integer", p.what, k, tok)
		}
		v = int64(f)
	}
	var lo, hi int64
	switch d := p.out.(type) {
	case []int64:
		d[k] = v
		return nil
	case []uint64:
		lo, hi = 0, math.MaxInt64
		if v >= 0 {
			d[k] = uint64(v)
			return nil
		}
	case []uint32:
		lo, hi = 0, math.MaxUint32
		if v >= lo && v <= hi {
			d[k] = uint32(v)
			return nil
		}
	case []int16:
		lo, hi = math.MinInt16, math.MaxInt16
		if v >= lo && v <= hi {
			d[k] = int16(v)
			return nil
		}
	case []uint16:
		lo, hi = 0, math.MaxUint16
		if v >= lo && v <= hi {
			d[k] = uint16(v)
			return nil
		}
	case []int32:
		lo, hi = math.MinInt32, math.MaxInt32
		if v >= lo && v <= hi {
			d[k] = int32(v)
			return nil
		}
	case []int8:
		lo, hi = math.MinInt8, math.MaxInt8
		if v >= lo && v <= hi {
			d[k] = int8(v)
			return nil
		}
	case []uint8:
		lo, hi = 0, math.MaxUint8
		if v >= lo && v <= hi {
			d[k] = uint8(v)
			return nil
		}
	}
	if p.dt == ops.Uint64 {
		return fmt.Errorf("%s: element %d (%d) is outside UINT64's range [0, %d]", p.what, k, v, uint64(math.MaxUint64))
	}
	return fmt.Errorf("%s: element %d (%d) is outside %s's range [%d, %d]", p.what, k, v, DatatypeName(p.dt), lo, hi)
}

// appendData appends the elements of t as a flat JSON array.
func appendData(b []byte, t *ops.Tensor) ([]byte, error) {
	b = append(b, '[')
	n := t.Len()
	noJSON := func(i int, v float64) error {
		return fmt.Errorf("element %d is %g, which JSON cannot carry (ask for binary_data)", i, v)
	}
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		switch d := t.Data.(type) {
		case []float32:
			v := float64(d[i])
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, noJSON(i, v)
			}
			b = strconv.AppendFloat(b, v, 'g', -1, 32)
		case []float64:
			if math.IsNaN(d[i]) || math.IsInf(d[i], 0) {
				return nil, noJSON(i, d[i])
			}
			b = strconv.AppendFloat(b, d[i], 'g', -1, 64)
		case []uint16:
			if t.DType == ops.Uint16 {
				b = strconv.AppendUint(b, uint64(d[i]), 10)
				break
			}
			var v float64
			if t.DType == ops.BFloat16 {
				v = float64(ops.BFloat16ToFloat32(d[i]))
			} else {
				v = float64(ops.Float16ToFloat32(d[i]))
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, noJSON(i, v)
			}
			b = strconv.AppendFloat(b, v, 'g', -1, 32)
		case []int64:
			b = strconv.AppendInt(b, d[i], 10)
		case []int32:
			b = strconv.AppendInt(b, int64(d[i]), 10)
		case []int16:
			b = strconv.AppendInt(b, int64(d[i]), 10)
		case []int8:
			b = strconv.AppendInt(b, int64(d[i]), 10)
		case []uint64:
			b = strconv.AppendUint(b, d[i], 10)
		case []uint32:
			b = strconv.AppendUint(b, uint64(d[i]), 10)
		case []uint8:
			b = strconv.AppendInt(b, int64(d[i]), 10)
		case []bool:
			b = strconv.AppendBool(b, d[i])
		case []string:
			if !utf8.ValidString(d[i]) {
				return nil, fmt.Errorf("element %d is not UTF-8 text, which JSON cannot carry (ask for binary_data)", i)
			}
			q, _ := json.Marshal(d[i])
			b = append(b, q...)
		default:
			return nil, fmt.Errorf("element type %v has no protocol datatype", t.DType)
		}
	}
	return append(b, ']'), nil
}

// fromBinary decodes n elements of the binary tensor data extension (and
// of gRPC's raw contents): little-endian numbers, BOOL one byte each,
// BYTES each element a 4-byte little-endian length and that many bytes.
func fromBinary(what string, raw []byte, dt ops.DType, n int) (any, error) {
	if dt == ops.String {
		return stringsFromBinary(what, raw, n)
	}
	size := dt.Size()
	if len(raw) != n*size {
		return nil, fmt.Errorf("%s: binary data has %d bytes, shape and %s need %d", what, len(raw), DatatypeName(dt), n*size)
	}
	return ops.FromLE(dt, raw, n)
}

func stringsFromBinary(what string, raw []byte, n int) ([]string, error) {
	// Every element takes at least its 4-byte length: refuse a shape the
	// data cannot fill before allocating for it.
	if n > len(raw)/4 {
		return nil, fmt.Errorf("%s: binary data has %d bytes, too few for %d BYTES elements (each a 4-byte length and its bytes)", what, len(raw), n)
	}
	out := make([]string, n)
	off := 0
	for k := range out {
		if len(raw)-off < 4 {
			return nil, fmt.Errorf("%s: binary data ends at element %d of %d (BYTES: each element a 4-byte length and its bytes)", what, k, n)
		}
		l := int(binary.LittleEndian.Uint32(raw[off:]))
		off += 4
		if l > len(raw)-off {
			return nil, fmt.Errorf("%s: BYTES element %d claims %d bytes, %d are left", what, k, l, len(raw)-off)
		}
		out[k] = string(raw[off : off+l])
		off += l
	}
	if off != len(raw) {
		return nil, fmt.Errorf("%s: binary data has %d bytes after the %d BYTES elements of the shape", what, len(raw)-off, n)
	}
	return out, nil
}

// appendBinary appends t's elements in the binary tensor data layout
// (numbers little-endian, as ops.AppendLE writes them; BYTES elements each
// a 4-byte little-endian length and the bytes). t is one of the server's
// own valid outputs, so every element type has a form.
func appendBinary(b []byte, t *ops.Tensor) []byte {
	if d, ok := t.Data.([]string); ok {
		for _, v := range d {
			b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
			b = append(b, v...)
		}
		return b
	}
	b, _ = ops.AppendLE(b, t)
	return b
}

// binarySize is the length of t in the binary layout.
func binarySize(t *ops.Tensor) int {
	if d, ok := t.Data.([]string); ok {
		n := 4 * len(d)
		for _, v := range d {
			n += len(v)
		}
		return n
	}
	return ops.LEBytes(t.DType, t.Len())
}

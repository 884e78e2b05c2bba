package ops

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// String kernels: concatenation with broadcasting, splitting into a padded
// tensor, case folding with stop-word removal, and full-match regular
// expressions (RE2 syntax, Go's regexp).

// StringConcat sets dst = a + b elementwise with broadcasting (all three
// String tensors).
func StringConcat(dst, a, b *Tensor) error {
	if a.DType != String || b.DType != String || dst.DType != String {
		return fmt.Errorf("StringConcat: inputs %v and %v, output %v (want strings)", a.DType, b.DType, dst.DType)
	}
	cat := func(x, y string) string { return x + y }
	return runBinary(BinaryFuncs[string, string]{
		VV: func(d, x, y []string) {
			for i := range d {
				d[i] = cat(x[i], y[i])
			}
		},
		VS: func(d, x []string, y string) {
			for i := range d {
				d[i] = cat(x[i], y)
			}
		},
		SV: func(d []string, x string, y []string) {
			for i := range d {
				d[i] = cat(x, y[i])
			}
		},
	}, dst, a, b)
}

// stringsEqual are the loops of Equal on strings.
var stringsEqual = BinaryFuncs[string, bool]{
	VV: func(d []bool, x, y []string) {
		for i := range d {
			d[i] = x[i] == y[i]
		}
	},
	VS: func(d []bool, x []string, y string) {
		for i := range d {
			d[i] = x[i] == y
		}
	},
	SV: func(d []bool, x string, y []string) {
		for i := range d {
			d[i] = x == y[i]
		}
	},
}

// SplitString splits s as Python's str.split does: on each occurrence of
// sep, or, when sep is "", on runs of whitespace with leading and trailing
// whitespace ignored. maxsplit < 0 splits everywhere; otherwise at most
// maxsplit times, the rest of s being the last part.
func SplitString(s, sep string, maxsplit int) []string {
	if sep != "" {
		return strings.SplitN(s, sep, maxsplitN(maxsplit))
	}
	var out []string
	rest := strings.TrimLeftFunc(s, unicode.IsSpace)
	for rest != "" {
		if maxsplit >= 0 && len(out) == maxsplit {
			return append(out, rest)
		}
		end := strings.IndexFunc(rest, unicode.IsSpace)
		if end < 0 {
			return append(out, rest)
		}
		out = append(out, rest[:end])
		rest = strings.TrimLeftFunc(rest[end:], unicode.IsSpace)
	}
	return out
}

func maxsplitN(maxsplit int) int {
	if maxsplit < 0 {
		return -1
	}
	return maxsplit + 1
}

// StringSplitAll splits every element of x (see SplitString) and returns
// the parts padded with "" to the largest count, as a tensor of shape
// x.Shape + [largest count], with the count of each element.
func StringSplitAll(x *Tensor, sep string, maxsplit int) (parts, counts *Tensor, err error) {
	if x.DType != String {
		return nil, nil, fmt.Errorf("StringSplit: input is %v, want string", x.DType)
	}
	split := make([][]string, x.Len())
	most := 0
	for i, s := range x.Str() {
		split[i] = SplitString(s, sep, maxsplit)
		most = max(most, len(split[i]))
	}
	parts = New(String, append(append([]int(nil), x.Shape...), most)...)
	counts = New(Int64, x.Shape...)
	pd, cd := parts.Str(), counts.I64()
	for i, p := range split {
		copy(pd[i*most:], p)
		cd[i] = int64(len(p))
	}
	return parts, counts, nil
}

// CaseChange is StringNormalizer's case_change_action.
type CaseChange uint8

// The case changes of StringNormalizer.
const (
	CaseNone CaseChange = iota
	CaseLower
	CaseUpper
)

// NormalizeStrings applies ONNX StringNormalizer to a 1-D [C] or 2-D [1, C]
// string tensor: words (separated by single spaces) found in stopwords are
// removed (compared after the case change unless caseSensitive), the case
// changed, elements left empty dropped; when none remain the result is one
// empty string ([1] or [1, 1]).
func NormalizeStrings(x *Tensor, change CaseChange, caseSensitive bool, stopwords []string) (*Tensor, error) {
	if x.DType != String {
		return nil, fmt.Errorf("StringNormalizer: input is %v, want string", x.DType)
	}
	if r := x.Rank(); r != 1 && !(r == 2 && x.Shape[0] == 1) {
		return nil, fmt.Errorf("StringNormalizer: input shape %s, want [C] or [1, C]", ShapeString(x.Shape))
	}
	apply := func(s string) string {
		switch change {
		case CaseLower:
			return strings.ToLower(s)
		case CaseUpper:
			return strings.ToUpper(s)
		}
		return s
	}
	stops := map[string]bool{}
	for _, w := range stopwords {
		if caseSensitive {
			stops[w] = true
		} else {
			stops[apply(w)] = true
		}
	}
	remove := func(s string) string {
		if len(stops) == 0 {
			return s
		}
		words := strings.Split(s, " ")
		kept := words[:0]
		for _, w := range words {
			if !stops[w] {
				kept = append(kept, w)
			}
		}
		return strings.Join(kept, " ")
	}
	var out []string
	for _, s := range x.Str() {
		if caseSensitive {
			s = apply(remove(s))
		} else {
			s = remove(apply(s))
		}
		if s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		out = []string{""}
	}
	shape := []int{len(out)}
	if x.Rank() == 2 {
		shape = []int{1, len(out)}
	}
	return &Tensor{DType: String, Shape: shape, Data: out}, nil
}

// FullMatch compiles an RE2 pattern that must match a whole string.
func FullMatch(pattern string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(`^(?:` + pattern + `)$`)
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", pattern, err)
	}
	return re, nil
}

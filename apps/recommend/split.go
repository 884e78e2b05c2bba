package recommend

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/latent-ml/latent/data"
)

// Rating is one observed rating: the row (user) and column (item) in the
// base file's index, negative when the base file does not know that user
// or item (an unknown user's ratings share one negative id, -1 - its row
// in the test file).
type Rating struct {
	User, Item int
	Value      float32
}

// Split is a base (training) ratings file and a held-out test file indexed
// alike: Users and Items are the base file's ids in data.LoadRatings order
// (numeric when every id is an integer), Base lists its ratings by user,
// then item, and Test the held-out ones in the same order.
type Split struct {
	Users, Items []string
	Base, Test   []Rating
	// BaseFile and TestFile name the files, for messages.
	BaseFile, TestFile string
}

// LoadSplit reads a base and a test ratings file (any format
// data.LoadRatings reads).
func LoadSplit(basePath, testPath string) (*Split, error) {
	b, err := data.LoadRatings(basePath)
	if err != nil {
		return nil, err
	}
	t, err := data.LoadRatings(testPath)
	if err != nil {
		return nil, err
	}
	return NewSplit(b, t)
}

// LoadBase reads a base ratings file alone: a split without test ratings
// (see Validation).
func LoadBase(basePath string) (*Split, error) {
	b, err := data.LoadRatings(basePath)
	if err != nil {
		return nil, err
	}
	if b.Mask == nil || b.Users == nil || b.Items == nil {
		return nil, fmt.Errorf("%s: not a ratings dataset (no users, items or mask)", b.Source)
	}
	return &Split{Users: b.Users, Items: b.Items, BaseFile: b.Source, Base: sparse(b, nil, nil)}, nil
}

// NewSplit indexes the ratings of test (a ratings dataset, users × items
// with a mask) by base's users and items.
func NewSplit(base, test *data.Dataset) (*Split, error) {
	if base.Mask == nil || base.Users == nil || base.Items == nil {
		return nil, fmt.Errorf("%s: not a ratings dataset (no users, items or mask)", base.Source)
	}
	if test.Mask == nil || test.Users == nil || test.Items == nil {
		return nil, fmt.Errorf("%s: not a ratings dataset (no users, items or mask)", test.Source)
	}
	s := &Split{Users: base.Users, Items: base.Items, BaseFile: base.Source, TestFile: test.Source,
		Base: sparse(base, nil, nil)}
	ui, ii := index(base.Users), index(base.Items)
	um := make([]int, len(test.Users))
	for r, u := range test.Users {
		if j, ok := ui[u]; ok {
			um[r] = j
		} else {
			um[r] = -1 - r
		}
	}
	im := make([]int, len(test.Items))
	for c, it := range test.Items {
		if j, ok := ii[it]; ok {
			im[c] = j
		} else {
			im[c] = -1
		}
	}
	s.Test = sparse(test, um, im)
	return s, nil
}

// sparse lists the observed entries of d, row by row, mapping rows and
// columns through um and im when given.
func sparse(d *data.Dataset, um, im []int) []Rating {
	var out []Rating
	for r := 0; r < d.N; r++ {
		for c := 0; c < d.D; c++ {
			k := r*d.D + c
			if d.Mask[k] == 0 {
				continue
			}
			u, i := r, c
			if um != nil {
				u = um[r]
			}
			if im != nil {
				i = im[c]
			}
			out = append(out, Rating{User: u, Item: i, Value: d.X[k]})
		}
	}
	return out
}

func index(ids []string) map[string]int {
	m := make(map[string]int, len(ids))
	for i, id := range ids {
		m[id] = i
	}
	return m
}

// Scale returns the lowest and highest base rating: the scale
// predictions are clipped to.
func (s *Split) Scale() (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, r := range s.Base {
		lo, hi = math.Min(lo, float64(r.Value)), math.Max(hi, float64(r.Value))
	}
	return lo, hi
}

// Unknown counts the test ratings whose user or item the base file lacks.
func (s *Split) Unknown() int {
	n := 0
	for _, r := range s.Test {
		if r.User < 0 || r.Item < 0 {
			n++
		}
	}
	return n
}

// HoldOut splits the base ratings into a training part and a validation
// part of about frac of each user's ratings (rounded; a user keeps at
// least one rating for training), drawn with seed. Both keep the base
// order.
func (s *Split) HoldOut(frac float64, seed uint64) (train, val []Rating, err error) {
	if frac <= 0 || frac >= 1 {
		return nil, nil, fmt.Errorf("validation fraction must be in (0,1), got %g", frac)
	}
	rng := rand.New(rand.NewPCG(seed, 0x7e57))
	held := make([]bool, len(s.Base))
	for lo := 0; lo < len(s.Base); {
		hi := lo
		for hi < len(s.Base) && s.Base[hi].User == s.Base[lo].User {
			hi++
		}
		n := hi - lo
		k := min(int(math.Round(frac*float64(n))), n-1)
		perm := rng.Perm(n)
		for _, j := range perm[:k] {
			held[lo+j] = true
		}
		lo = hi
	}
	for i, r := range s.Base {
		if held[i] {
			val = append(val, r)
		} else {
			train = append(train, r)
		}
	}
	if len(val) == 0 {
		return nil, nil, fmt.Errorf("%s: validation fraction %g holds out no ratings", s.BaseFile, frac)
	}
	return train, val, nil
}

// Dense returns ratings as a users × items matrix (0 where missing) and
// its observation mask.
func Dense(rs []Rating, users, items int) (x, mask []float32) {
	x = make([]float32, users*items)
	mask = make([]float32, users*items)
	for _, r := range rs {
		if r.User < 0 || r.Item < 0 {
			continue
		}
		k := r.User*items + r.Item
		x[k], mask[k] = r.Value, 1
	}
	return x, mask
}

// Transpose returns the cols × rows transpose of the rows × cols matrix v.
func Transpose(v []float32, rows, cols int) []float32 {
	out := make([]float32, len(v))
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			out[c*rows+r] = v[r*cols+c]
		}
	}
	return out
}

// Validation returns the split whose base is s's base ratings less a
// validation part of frac of each user's ratings (see HoldOut) and whose
// test ratings are that part: the split the documented search of defaults
// scores on, never touching s's test file.
func (s *Split) Validation(frac float64, seed uint64) (*Split, error) {
	train, val, err := s.HoldOut(frac, seed)
	if err != nil {
		return nil, err
	}
	return &Split{Users: s.Users, Items: s.Items, Base: train, Test: val,
		BaseFile: s.BaseFile, TestFile: fmt.Sprintf("%s (validation part %g, seed %d)", s.BaseFile, frac, seed)}, nil
}

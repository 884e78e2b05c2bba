package recommend

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/latent-ml/latent/internal/atomicfile"
)

// Blend is how a run folder predicts: the weighted sum of its
// autoencoders' predictions, an item-based and a user-based one by
// default (a single autoencoder has weight 1). latent recommend train
// records it as recommender.json.
type Blend struct {
	Parts []BlendPart `json:"parts"`
}

// BlendPart is one exported autoencoder of a Blend.
type BlendPart struct {
	// Model is the model.onnx path, relative to the run folder.
	Model  string  `json:"model"`
	Layout Layout  `json:"layout"`
	Weight float64 `json:"weight"`
}

// blendFile records a run's Blend.
const blendFile = "recommender.json"

// ReadBlend reads the Blend a run folder records.
func ReadBlend(dir string) (*Blend, error) {
	p := filepath.Join(dir, blendFile)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("recommender: %w (is %s a folder written by latent recommend train?)", err, dir)
	}
	var bl Blend
	if err := json.Unmarshal(b, &bl); err != nil {
		return nil, fmt.Errorf("recommender %s: %w", p, err)
	}
	if len(bl.Parts) == 0 {
		return nil, fmt.Errorf("recommender %s: no models", p)
	}
	for _, pt := range bl.Parts {
		if pt.Model == "" || filepath.IsAbs(pt.Model) || !filepath.IsLocal(pt.Model) {
			return nil, fmt.Errorf("recommender %s: model path %q must be a path inside the run folder", p, pt.Model)
		}
		if math.IsNaN(pt.Weight) || math.IsInf(pt.Weight, 0) {
			return nil, fmt.Errorf("recommender %s: weight %v of %s is not finite", p, pt.Weight, pt.Model)
		}
	}
	return &bl, nil
}

// Write records b in dir.
func (b *Blend) Write(dir string) error {
	j, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, blendFile), append(j, '\n')); err != nil {
		return fmt.Errorf("recommender: %w", err)
	}
	return nil
}

// PredictUser runs every part's exported model (in run folder dir) on the
// users × items ratings x and returns user u's blended prediction of every
// item.
func (b *Blend) PredictUser(ctx context.Context, dir, backend string, x []float32, users, items, u int) ([]float32, error) {
	out := make([]float32, items)
	for _, pt := range b.Parts {
		p, err := PredictUser(ctx, filepath.Join(dir, pt.Model), backend, pt.Layout, x, users, items, u)
		if err != nil {
			return nil, err
		}
		for i, v := range p {
			out[i] += float32(pt.Weight) * v
		}
	}
	return out, nil
}

// FitBlendWeight returns the weight w in [0, 1] minimising the squared
// error of w·a + (1−w)·b over ratings (least squares in one variable).
func FitBlendWeight(a, b *Matrix, ratings []Rating) float64 {
	var num, den float64
	for _, r := range ratings {
		if r.User < 0 || r.Item < 0 {
			continue
		}
		k := r.User*a.Items + r.Item
		pa, pb := float64(a.V[k]), float64(b.V[k])
		num += (float64(r.Value) - pb) * (pa - pb)
		den += (pa - pb) * (pa - pb)
	}
	if den == 0 {
		return 0.5
	}
	return math.Min(1, math.Max(0, num/den))
}

// Mix returns w·a + (1−w)·b.
func Mix(a, b *Matrix, w float64) *Matrix {
	m := NewMatrix(a.Users, a.Items)
	for k := range m.V {
		m.V[k] = float32(w)*a.V[k] + float32(1-w)*b.V[k]
	}
	return m
}

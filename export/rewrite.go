package export

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/latent-ml/latent/internal/atomicfile"
	"github.com/latent-ml/latent/metadata"
	"github.com/latent-ml/latent/runtime/graph"
)

// SetMetadata rewrites the model file at path with the given metadata_props
// entries set (added when missing, replaced in place when present; other
// entries keep their order). The model is decoded with runtime/graph,
// edited and re-encoded, then written to a temporary file beside path and
// renamed over it, so readers see either the old or the new file, never a
// partial one. Tensors a model kept in external data files come back
// inlined in the rewritten file.
func SetMetadata(ctx context.Context, path string, set map[string]string) error {
	if len(set) == 0 {
		return fmt.Errorf("set metadata of %s: no entries given", path)
	}
	gm, err := graph.DecodeFile(path)
	if err != nil {
		return fmt.Errorf("set metadata: %w", err)
	}
	return rewriteMetadata(ctx, path, gm, set)
}

// rewriteMetadata applies set to gm, decoded from path, and writes it back
// atomically.
func rewriteMetadata(ctx context.Context, path string, gm *graph.Model, set map[string]string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("set metadata of %s: %w", path, err)
	}
	applyMetadata(gm, set)
	b, err := graph.Encode(gm)
	if err != nil {
		return fmt.Errorf("set metadata of %s: encode: %w", path, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("set metadata of %s: %w", path, err)
	}
	if err := atomicfile.Write(path, b); err != nil {
		return fmt.Errorf("set metadata of %s: write: %w", path, err)
	}
	return nil
}

// SetThreshold records a calibrated anomaly threshold (latent.threshold)
// in the latent model at path; see SetMetadata for how the file is
// rewritten. The model must carry latent metadata.
func SetThreshold(ctx context.Context, path string, threshold float64) error {
	if math.IsNaN(threshold) || math.IsInf(threshold, 0) || threshold < 0 {
		return fmt.Errorf("set threshold of %s: %g is not a finite, non-negative error", path, threshold)
	}
	gm, err := graph.DecodeFile(path)
	if err != nil {
		return fmt.Errorf("set threshold: %w", err)
	}
	if _, err := metadata.Read(gm); err != nil {
		return fmt.Errorf("set threshold of %s: %w", path, err)
	}
	return rewriteMetadata(ctx, path, gm, map[string]string{metadata.KeyThreshold: metadata.FormatThreshold(threshold)})
}

// applyMetadata sets the entries of set on gm, replacing existing keys in
// place and appending new ones in a stable (sorted) order.
func applyMetadata(gm *graph.Model, set map[string]string) {
	done := make(map[string]bool, len(set))
	for i := range gm.Metadata {
		if v, ok := set[gm.Metadata[i].Key]; ok {
			gm.Metadata[i].Value = v
			done[gm.Metadata[i].Key] = true
		}
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		if !done[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		gm.Metadata = append(gm.Metadata, graph.MetadataEntry{Key: k, Value: set[k]})
	}
}

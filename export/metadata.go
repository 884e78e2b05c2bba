package export

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/trainer"
)

// Metadata keys written into metadata_props (see the package doc).
const (
	KeyFormatVersion  = "latent.format_version"
	KeyPart           = "latent.part"
	KeyKind           = "latent.kind"
	KeySpec           = "latent.spec"
	KeyInputSize      = "latent.input_size"
	KeyCodeSize       = "latent.code_size"
	KeyLoss           = "latent.loss"
	KeyInputScaling   = "latent.input_scaling"
	KeyScalingApplied = "latent.input_scaling_applied"
	KeyInputOffset    = "latent.input_offset"
	KeyInputScale     = "latent.input_scale"
	KeyThreshold      = "latent.threshold"
	KeyTraining       = "latent.training"
)

// ScalingInGraph is the value of latent.input_scaling_applied: the graphs
// scale raw inputs and unscale reconstructions themselves.
const ScalingInGraph = "in-graph"

func metadataFor(m *trainer.Model, opts Options) ([]graph.MetadataEntry, error) {
	spec, err := json.Marshal(m.Spec)
	if err != nil {
		return nil, fmt.Errorf("export: spec: %w", err)
	}
	kind := m.Scaler.Kind
	if kind == "" {
		kind = data.NoScaling
	}
	off, sc := m.Scaler.Offset, m.Scaler.Scale
	if m.Scaler.Identity() {
		off, sc = []float32{}, []float32{}
	}
	offJ, err := jsonString(off)
	if err != nil {
		return nil, fmt.Errorf("export: scaler offsets: %w", err)
	}
	scJ, err := jsonString(sc)
	if err != nil {
		return nil, fmt.Errorf("export: scaler scales: %w", err)
	}
	md := []graph.MetadataEntry{
		{Key: KeyFormatVersion, Value: FormatVersion},
		{Key: KeyKind, Value: string(m.Spec.Kind)},
		{Key: KeySpec, Value: string(spec)},
		{Key: KeyInputSize, Value: strconv.Itoa(m.Spec.Input)},
		{Key: KeyCodeSize, Value: strconv.Itoa(m.Spec.Code)},
		{Key: KeyLoss, Value: string(m.Spec.Loss)},
		{Key: KeyInputScaling, Value: string(kind)},
		{Key: KeyScalingApplied, Value: ScalingInGraph},
		{Key: KeyInputOffset, Value: offJ},
		{Key: KeyInputScale, Value: scJ},
	}
	if opts.Threshold != nil {
		md = append(md, graph.MetadataEntry{Key: KeyThreshold, Value: formatFloat(*opts.Threshold)})
	}
	if opts.Training != nil {
		tj, err := jsonString(opts.Training)
		if err != nil {
			return nil, fmt.Errorf("export: training summary: %w", err)
		}
		md = append(md, graph.MetadataEntry{Key: KeyTraining, Value: tj})
	}
	return md, nil
}

// Metadata is the parsed latent.* metadata of an exported model.
type Metadata struct {
	Part   string
	Spec   models.Spec
	Scaler data.Scaler
	// Threshold is nil when the model was exported before calibration.
	Threshold *float64
	// Training is nil when the export carries no training summary.
	Training *Summary
}

// ReadMetadata parses the latent.* metadata of a decoded model. It fails
// with a message naming the key when a model was not exported by latent or
// a value is malformed.
func ReadMetadata(gm *graph.Model) (*Metadata, error) {
	get := func(key string) (string, error) {
		v, ok := gm.MetadataValue(key)
		if !ok {
			return "", fmt.Errorf("metadata key %s missing (not a model exported by latent?)", key)
		}
		return v, nil
	}
	v, err := get(KeyFormatVersion)
	if err != nil {
		return nil, err
	}
	if v != FormatVersion {
		return nil, fmt.Errorf("metadata %s is %q, this latent reads %q", KeyFormatVersion, v, FormatVersion)
	}
	var md Metadata
	if md.Part, err = get(KeyPart); err != nil {
		return nil, err
	}
	sj, err := get(KeySpec)
	if err != nil {
		return nil, err
	}
	if md.Spec, err = models.Parse([]byte(sj)); err != nil {
		return nil, fmt.Errorf("metadata %s: %w", KeySpec, err)
	}
	kind, err := get(KeyInputScaling)
	if err != nil {
		return nil, err
	}
	md.Scaler.Kind = data.ScalingKind(kind)
	if !md.Scaler.Identity() {
		for _, f := range []struct {
			key string
			dst *[]float32
		}{{KeyInputOffset, &md.Scaler.Offset}, {KeyInputScale, &md.Scaler.Scale}} {
			s, err := get(f.key)
			if err != nil {
				return nil, err
			}
			if err := json.Unmarshal([]byte(s), f.dst); err != nil {
				return nil, fmt.Errorf("metadata %s: %w", f.key, err)
			}
		}
		if err := md.Scaler.Check(md.Spec.Input); err != nil {
			return nil, fmt.Errorf("metadata %s/%s: %w", KeyInputOffset, KeyInputScale, err)
		}
	}
	if s, ok := gm.MetadataValue(KeyThreshold); ok {
		t, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("metadata %s: %w", KeyThreshold, err)
		}
		md.Threshold = &t
	}
	if s, ok := gm.MetadataValue(KeyTraining); ok {
		var sum Summary
		if err := json.Unmarshal([]byte(s), &sum); err != nil {
			return nil, fmt.Errorf("metadata %s: %w", KeyTraining, err)
		}
		md.Training = &sum
	}
	return &md, nil
}

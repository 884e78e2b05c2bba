// Package metadata owns the latent.* metadata_props of the models latent
// exports: the key names, the parsed Metadata, reading it from a decoded
// model (Read) and writing it as metadata entries (Entries). It depends
// on the model spec (models), the scaler (data) and the graph IR
// (runtime/graph), and on nothing of training, so the server and the
// inference commands read a model's kind, scaling and threshold without
// linking the trainer. Package export is the only writer of ONNX files;
// it builds a Metadata and stores Entries in every graph it writes.
//
// The keys, all prefixed "latent.":
//
//	format_version         layout version of these keys (FormatVersion)
//	part                   model, encoder, decoder or generate
//	kind                   the model kind (models.Kind)
//	spec                   the models.Spec as JSON
//	input_size, code_size  features per sample and code width
//	loss                   the training loss
//	input_scaling          the fitted feature scaler: none, minmax or standard
//	input_scaling_applied  "in-graph": the graphs scale inputs themselves
//	input_offset, input_scale
//	                       the scaler's per-feature offsets and scales (JSON)
//	input_units            how the training data's reader produced its values:
//	                       "as-stored", or "uint8/255" (bytes divided by 255)
//	input_range            [min, max] of the training data's raw values (JSON)
//	threshold              the calibrated anomaly threshold (once calibrated)
//	training               the training Summary as JSON
package metadata

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/runtime/graph"
)

// FormatVersion is the version of the latent.* metadata layout this
// package reads and writes.
const FormatVersion = "1"

// Metadata keys (see the package doc).
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
	KeyInputUnits     = "latent.input_units"
	KeyInputRange     = "latent.input_range"
	KeyThreshold      = "latent.threshold"
	KeyTraining       = "latent.training"
)

// ScalingInGraph is the value of latent.input_scaling_applied: the graphs
// scale raw inputs and unscale reconstructions themselves.
const ScalingInGraph = "in-graph"

// Parts of an export, as recorded in latent.part.
const (
	PartModel    = "model"    // input → reconstruction
	PartEncoder  = "encoder"  // input → code
	PartDecoder  = "decoder"  // code → reconstruction
	PartGenerate = "generate" // noise z → sample (VAE kinds)
)

// Summary describes the training run behind an export (latent.training).
type Summary struct {
	Epochs         int      `json:"epochs"`
	BestEpoch      int      `json:"best_epoch,omitempty"`
	FinalLoss      float64  `json:"final_loss"`
	FinalReconLoss float64  `json:"final_recon_loss"`
	FinalValLoss   *float64 `json:"final_val_loss,omitempty"`
	// DataShape is [rows, features] of the training data (before any
	// validation split); nil when unknown.
	DataShape    []int `json:"data_shape,omitempty"`
	StoppedEarly bool  `json:"stopped_early,omitempty"`
	// Defaults are the settings latent train chose because they were not
	// given: flag name → value and, for sizes, the rule that gave it
	// (e.g. "hidden": "512,128 (derived from 784 inputs and code 32: …)").
	Defaults map[string]string `json:"defaults,omitempty"`
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

// Entries returns md as metadata_props entries in the order export writes
// them. Part must be set; Scaler must fit Spec.Input.
func (md *Metadata) Entries() ([]graph.MetadataEntry, error) {
	if md.Part == "" {
		return nil, fmt.Errorf("metadata: no part")
	}
	spec, err := json.Marshal(md.Spec)
	if err != nil {
		return nil, fmt.Errorf("metadata: spec: %w", err)
	}
	kind := md.Scaler.Kind
	if kind == "" {
		kind = data.NoScaling
	}
	off, sc := md.Scaler.Offset, md.Scaler.Scale
	if md.Scaler.Identity() {
		off, sc = []float32{}, []float32{}
	}
	offJ, err := jsonString(off)
	if err != nil {
		return nil, fmt.Errorf("metadata: scaler offsets: %w", err)
	}
	scJ, err := jsonString(sc)
	if err != nil {
		return nil, fmt.Errorf("metadata: scaler scales: %w", err)
	}
	out := []graph.MetadataEntry{
		{Key: KeyPart, Value: md.Part},
		{Key: KeyFormatVersion, Value: FormatVersion},
		{Key: KeyKind, Value: string(md.Spec.Kind)},
		{Key: KeySpec, Value: string(spec)},
		{Key: KeyInputSize, Value: strconv.Itoa(md.Spec.Input)},
		{Key: KeyCodeSize, Value: strconv.Itoa(md.Spec.Code)},
		{Key: KeyLoss, Value: string(md.Spec.Loss)},
		{Key: KeyInputScaling, Value: string(kind)},
		{Key: KeyScalingApplied, Value: ScalingInGraph},
		{Key: KeyInputOffset, Value: offJ},
		{Key: KeyInputScale, Value: scJ},
	}
	if md.Scaler.Range != nil {
		rj, err := jsonString(md.Scaler.Range)
		if err != nil {
			return nil, fmt.Errorf("metadata: input range: %w", err)
		}
		units := md.Scaler.Units
		if units == "" {
			units = data.AsStored
		}
		out = append(out, graph.MetadataEntry{Key: KeyInputUnits, Value: string(units)},
			graph.MetadataEntry{Key: KeyInputRange, Value: rj})
	}
	if md.Threshold != nil {
		out = append(out, graph.MetadataEntry{Key: KeyThreshold, Value: FormatThreshold(*md.Threshold)})
	}
	if md.Training != nil {
		tj, err := jsonString(md.Training)
		if err != nil {
			return nil, fmt.Errorf("metadata: training summary: %w", err)
		}
		out = append(out, graph.MetadataEntry{Key: KeyTraining, Value: tj})
	}
	return out, nil
}

// FormatThreshold is the text of a latent.threshold value: the shortest
// decimal that reads back as the same float64.
func FormatThreshold(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// Read parses the latent.* metadata of a decoded model. It fails with a
// message naming the key when a model was not exported by latent or a
// value is malformed.
func Read(gm *graph.Model) (*Metadata, error) {
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
	// The training data's units and range (absent from models exported
	// before latent recorded them: no scale check then).
	if s, ok := gm.MetadataValue(KeyInputRange); ok {
		if err := json.Unmarshal([]byte(s), &md.Scaler.Range); err != nil {
			return nil, fmt.Errorf("metadata %s: %w", KeyInputRange, err)
		}
		u, _ := gm.MetadataValue(KeyInputUnits)
		if md.Scaler.Units, err = data.ParseUnits(u); err != nil {
			return nil, fmt.Errorf("metadata %s: %w", KeyInputUnits, err)
		}
		if err := md.Scaler.Check(md.Spec.Input); err != nil {
			return nil, fmt.Errorf("metadata %s: %w", KeyInputRange, err)
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

func jsonString(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

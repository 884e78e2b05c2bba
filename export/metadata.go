package export

import (
	"github.com/latent-ml/latent/metadata"
	"github.com/latent-ml/latent/trainer"
)

// metadataFor is the latent.* metadata of every graph exported from m
// (Part is set per graph).
func metadataFor(m *trainer.Model, opts Options) metadata.Metadata {
	return metadata.Metadata{Spec: m.Spec, Scaler: m.Scaler, Threshold: opts.Threshold, Training: opts.Training}
}

package main

import (
	"flag"
	"fmt"

	"github.com/latent-ml/latent/models"
)

// imageFlags are the train flags of the image and VAE kinds.
type imageFlags struct {
	filters   intList
	kernel    *int
	batchNorm *bool
	upsample  *string
	pooling   *string
	dropout   *float64
	klWarmup  *int
	limit     *int
}

func addImageFlags(fs *flag.FlagSet) *imageFlags {
	f := &imageFlags{}
	fs.Var(&f.filters, "filters", "conv, conv-vae: channels of the stride-2 convolutions, e.g. 16,32 (decoder mirrors them)")
	f.kernel = fs.Int("kernel", 0, "conv, conv-vae: odd square kernel size (default 3)")
	f.batchNorm = fs.Bool("batch-norm", false, "conv, conv-vae: batch normalisation after hidden convolutions")
	f.upsample = fs.String("upsampling", "", "conv, conv-vae decoder: transposed (default), nearest or bilinear (upsample then convolve)")
	f.pooling = fs.String("pooling", "", "conv, conv-vae encoder: strided (default: stride-2 convolutions), max or avg (stride-1 convolution then 2x2 pooling)")
	f.dropout = fs.Float64("dropout", 0, "dropout probability after the encoder's hidden dense layers (and a conv encoder's flattened features; training only)")
	f.klWarmup = fs.Int("kl-warmup", 0, "vae, conv-vae: epochs over which the KL weight ramps up to --beta (default 0: full weight)")
	f.limit = fs.Int("limit", 0, "use only the first N samples of --data and --val (0: all; not for ratings)")
	return f
}

// applyImageFlags fills the convolution, dropout and KL warm-up fields of
// a flag-built spec.
func applyImageFlags(spec *models.Spec, f *imageFlags, set map[string]bool, shape []int, code int, hidden []int) error {
	for _, n := range []string{"filters", "kernel", "batch-norm", "upsampling", "pooling"} {
		if set[n] && !models.IsConv(spec.Kind) {
			return fmt.Errorf("--%s applies to conv and conv-vae, not %s", n, spec.Kind)
		}
	}
	if set["kl-warmup"] && !models.IsVAE(spec.Kind) {
		return fmt.Errorf("--kl-warmup applies to vae and conv-vae, not %s", spec.Kind)
	}
	if models.IsConv(spec.Kind) {
		if shape == nil {
			return fmt.Errorf("%s needs image data: an IDX file or an N×H×W / N×C×H×W NPY array (--format idx or images)", spec.Kind)
		}
		s := models.NewConv(shape, f.filters, code)
		s.Kind, s.Beta = spec.Kind, spec.Beta
		s.Hidden = hidden
		*spec = s
		if set["kernel"] {
			spec.Kernel = *f.kernel
		}
		spec.BatchNorm = *f.batchNorm
		if *f.upsample != "transposed" {
			spec.Upsampling = models.Upsampling(*f.upsample)
		}
		if *f.pooling != "strided" {
			spec.Pooling = models.Downsampling(*f.pooling)
		}
	}
	if set["dropout"] {
		spec.Dropout = *f.dropout
	}
	if set["kl-warmup"] {
		spec.KLWarmup = *f.klWarmup
	}
	return nil
}

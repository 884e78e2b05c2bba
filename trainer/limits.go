package trainer

import (
	"fmt"

	"github.com/latent-ml/latent/models"
)

// checkSpecFits refuses a checkpoint whose spec describes layers with
// more weights than the file's nvals values can hold, before NewModel
// allocates them: the checksum guards against corruption, not against a
// crafted file claiming a billion-wide layer.
func checkSpecFits(s models.Spec, nvals int) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("model spec: %w", err)
	}
	fits := func(what string, dims ...int) (int, error) {
		n := 1
		for _, d := range dims {
			if d < 0 {
				return 0, fmt.Errorf("spec %s: negative size in %v", what, dims)
			}
			if d != 0 && n > nvals/d {
				return 0, fmt.Errorf("spec %s %v needs more weights than the checkpoint's %d values", what, dims, nvals)
			}
			n *= d
		}
		return n, nil
	}
	width := s.Input
	if len(s.Filters) > 0 {
		if _, err := fits("image", s.Image...); err != nil {
			return err
		}
		ins, last := s.ConvStages()
		for i, f := range s.Filters {
			if _, err := fits(fmt.Sprintf("convolution %d", i), ins[i][0], f, s.Kernel, s.Kernel); err != nil {
				return err
			}
		}
		var err error
		if width, err = fits("feature map", last...); err != nil {
			return err
		}
	}
	for i, h := range append(append([]int(nil), s.Hidden...), s.Code) {
		if _, err := fits(fmt.Sprintf("dense layer %d", i), width, h); err != nil {
			return err
		}
		width = h
	}
	return nil
}

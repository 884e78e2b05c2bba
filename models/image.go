package models

import "fmt"

// The image and generative kinds. Like every kind they are a chain of
// layers (package trainer/nn); Input is always the flattened per-sample
// size (C·H·W for images).
const (
	// Conv is a convolutional autoencoder: stride-2 convolutions (one per
	// Filters entry) → flatten → optional dense Hidden → code, mirrored by
	// dense → reshape → stride-2 transposed convolutions.
	Conv Kind = "conv"
	// VAE is a dense variational autoencoder: Input → Hidden... → heads mu
	// and logvar (Code each); z = mu + exp(logvar/2)·eps; Code → reversed
	// Hidden → Input.
	VAE Kind = "vae"
	// ConvVAE is a VAE with the convolutional encoder and decoder of Conv.
	ConvVAE Kind = "conv-vae"
)

// ImageKinds lists the image and generative kinds.
func ImageKinds() []Kind { return []Kind{Conv, VAE, ConvVAE} }

// AllKinds lists every kind: the dense kinds then the image kinds.
func AllKinds() []Kind { return append(Kinds(), ImageKinds()...) }

// IsVAE reports whether k is variational.
func IsVAE(k Kind) bool { return k == VAE || k == ConvVAE }

// IsConv reports whether k has a convolutional encoder and decoder.
func IsConv(k Kind) bool { return k == Conv || k == ConvVAE }

// Upsampling names how a convolutional decoder doubles its resolution.
type Upsampling string

// Decoder upsampling choices.
const (
	TransposedConv Upsampling = ""         // stride-2 transposed convolutions
	NearestConv    Upsampling = "nearest"  // nearest ×2 upsample then a stride-1 convolution
	BilinearConv   Upsampling = "bilinear" // bilinear ×2 upsample then a stride-1 convolution
)

// Downsampling names how a convolutional encoder halves its resolution.
type Downsampling string

// Encoder downsampling choices.
const (
	StridedConv Downsampling = ""    // stride-2 convolutions
	MaxPooling  Downsampling = "max" // stride-1 convolution then 2×2 max pooling
	AvgPooling  Downsampling = "avg" // stride-1 convolution then 2×2 average pooling
)

// ImageSpec holds the fields of the image and generative kinds (embedded in
// Spec; all empty for the dense kinds).
type ImageSpec struct {
	// Image is the per-sample [channels, height, width] (conv kinds).
	Image []int `json:"image,omitempty"`
	// Filters are the output channels of the encoder's stride-2
	// convolutions; the decoder mirrors them.
	Filters []int `json:"filters,omitempty"`
	// Kernel is the square convolution kernel size (odd; padding Kernel/2).
	Kernel int `json:"kernel,omitempty"`
	// BatchNorm adds batch normalisation after every hidden convolution.
	BatchNorm bool `json:"batch_norm,omitempty"`
	// Upsampling selects the decoder's resolution doubling.
	Upsampling Upsampling `json:"upsampling,omitempty"`
	// Pooling selects the encoder's resolution halving.
	Pooling Downsampling `json:"pooling,omitempty"`
	// Dropout is the drop probability of a dropout layer after the
	// flattened features (conv kinds) and after each hidden dense layer of
	// the encoder, in every kind (training only; exported graphs omit
	// it). 0: none.
	Dropout float64 `json:"dropout,omitempty"`
	// KLWarmup ramps the VAE's KL weight linearly from 0 to Beta over this
	// many epochs (0: full weight from the start).
	KLWarmup int `json:"kl_warmup,omitempty"`
}

// ConvStages returns, for each encoder stage, its input [C,H,W] (stage:
// a stride-2 convolution with Kernel k and padding k/2, or a stride-1
// convolution and 2×2 pooling), and the shape after the last one.
func (s *Spec) ConvStages() (ins [][]int, last []int) {
	c, h, w := s.Image[0], s.Image[1], s.Image[2]
	k := s.Kernel
	for _, f := range s.Filters {
		ins = append(ins, []int{c, h, w})
		if s.Pooling != StridedConv {
			h, w = h/2, w/2
		} else {
			h = (h+2*(k/2)-k)/2 + 1
			w = (w+2*(k/2)-k)/2 + 1
		}
		c = f
	}
	return ins, []int{c, h, w}
}

func baseImage(kind Kind, input, code int) Spec {
	s := Spec{Kind: kind, Input: input, Code: code, Activation: Relu, CodeActivation: Identity,
		OutputActivation: Sigmoid, Init: He, Loss: BCE}
	if IsVAE(kind) {
		s.Beta = 1
	}
	return s
}

// NewConv returns a convolutional autoencoder of C×H×W images with the
// given stride-2 convolution channels (default [16, 32]) and code size: BCE
// loss, relu hidden layers, linear code, sigmoid output.
func NewConv(image []int, filters []int, code int) Spec {
	s := baseImage(Conv, image[0]*image[1]*image[2], code)
	s.Image = append([]int(nil), image...)
	s.Filters = append([]int(nil), filters...)
	if len(s.Filters) == 0 {
		s.Filters = []int{16, 32}
	}
	s.Kernel = 3
	return s
}

// NewVAE returns a dense VAE Input → hidden... → (mu, logvar) of size code,
// with BCE reconstruction and KL weight beta = 1.
func NewVAE(input int, hidden []int, code int) Spec {
	s := baseImage(VAE, input, code)
	s.Hidden = append([]int(nil), hidden...)
	return s
}

// NewConvVAE returns a convolutional VAE (the Conv layout with mu and
// logvar heads).
func NewConvVAE(image []int, filters []int, code int) Spec {
	s := NewConv(image, filters, code)
	s.Kind = ConvVAE
	s.Beta = 1
	return s
}

// newImage is New for the image kinds. Without an image shape, a conv kind
// assumes one square channel (input must then be a perfect square).
func newImage(kind Kind, input int, hidden []int, code int) (Spec, error) {
	switch kind {
	case VAE:
		if hidden == nil {
			hidden = []int{max(2*code, min(256, input/2))}
		}
		return NewVAE(input, hidden, code), nil
	case Conv, ConvVAE:
		side := 0
		for side*side < input {
			side++
		}
		if side*side != input {
			return Spec{}, fmt.Errorf("%s needs an image shape: input %d is not a square single-channel image (set Image)", kind, input)
		}
		s := NewConv([]int{1, side, side}, nil, code)
		s.Kind = kind
		if kind == ConvVAE {
			s.Beta = 1
		}
		s.Hidden = append([]int(nil), hidden...)
		return s, nil
	}
	return Spec{}, fmt.Errorf("unknown model kind %q", kind)
}

// validateConv reports what is wrong with the convolution fields of a
// conv kind.
func (s *Spec) validateConv() []error {
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, &FieldError{Field: field, Msg: fmt.Sprintf(format, a...)})
	}
	if len(s.Image) != 3 || s.Image[0] <= 0 || s.Image[1] <= 0 || s.Image[2] <= 0 {
		bad("image", "%s needs image [channels, height, width] with positive entries, got %v", s.Kind, s.Image)
		return errs
	}
	if n := s.Image[0] * s.Image[1] * s.Image[2]; s.Input != n {
		bad("input", "input %d must equal channels·height·width = %d", s.Input, n)
	}
	if s.Kernel <= 0 || s.Kernel%2 == 0 {
		bad("kernel", "kernel must be a positive odd size, got %d", s.Kernel)
		return errs
	}
	if len(s.Filters) == 0 {
		bad("filters", "%s needs at least one convolution (filters)", s.Kind)
	}
	for i, f := range s.Filters {
		if f <= 0 {
			bad("filters", "filters[%d] must be positive, got %d", i, f)
		}
	}
	switch s.Upsampling {
	case TransposedConv, NearestConv, BilinearConv:
	default:
		bad("upsampling", "upsampling %q is not empty (transposed convolutions), nearest or bilinear", s.Upsampling)
	}
	switch s.Pooling {
	case StridedConv, MaxPooling, AvgPooling:
	default:
		bad("pooling", "pooling %q is not empty (stride-2 convolutions), max or avg", s.Pooling)
	}
	if len(errs) == 0 {
		h, w := s.Image[1], s.Image[2]
		for i := range s.Filters {
			if h < 2 || w < 2 {
				bad("filters", "image %v is too small for %d stride-2 convolutions (stage %d sees %dx%d)", s.Image, len(s.Filters), i, h, w)
				break
			}
			if s.Upsampling != TransposedConv && (h%2 != 0 || w%2 != 0) {
				bad("upsampling", "upsampling %s doubles sizes exactly: stage %d input %dx%d must be even", s.Upsampling, i, h, w)
				break
			}
			if s.Pooling != StridedConv && (h%2 != 0 || w%2 != 0) {
				bad("pooling", "pooling %s halves sizes exactly: stage %d input %dx%d must be even", s.Pooling, i, h, w)
				break
			}
			k := s.Kernel
			h, w = (h+2*(k/2)-k)/2+1, (w+2*(k/2)-k)/2+1
		}
	}
	return errs
}

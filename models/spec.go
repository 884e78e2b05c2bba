// Package models owns the declarative, JSON-serialisable description of an
// autoencoder architecture (a Spec): its kind, layer sizes, activations,
// loss, regularisers and noise. The trainer builds networks from a Spec, the
// exporter serialises them and the CLI fills one from flags or JSON.
//
// Dense kinds share one layout: an encoder stack Input → Hidden... → Code and
// a mirrored decoder stack Code → reversed(Hidden)... → Input. Later kinds
// (conv, vae, conv-vae) add fields without changing the existing ones.
package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Kind names an autoencoder family.
type Kind string

// The dense autoencoder kinds.
const (
	Undercomplete Kind = "undercomplete" // one hidden code layer smaller than the input
	Deep          Kind = "deep"          // symmetric encoder/decoder stacks
	SparseL1      Kind = "sparse-l1"     // L1 activity penalty on the code
	SparseKL      Kind = "sparse-kl"     // KL(rho || mean code activation), sigmoid code
	KSparse       Kind = "k-sparse"      // only the k largest code activations survive
	Denoising     Kind = "denoising"     // corrupt the input, reconstruct the clean input
	Contractive   Kind = "contractive"   // lambda·||dh/dx||_F^2 penalty
	Stacked       Kind = "stacked"       // greedy layer-wise pre-training then fine-tuning
	Recommender   Kind = "recommender"   // ratings matrix, masked MSE over observed ratings
)

// Kinds lists every kind this package can describe, in documentation order.
func Kinds() []Kind {
	return []Kind{Undercomplete, Deep, SparseL1, SparseKL, KSparse, Denoising, Contractive, Stacked, Recommender}
}

// Activation names an elementwise activation of a dense layer.
type Activation string

// Supported activations.
const (
	Identity  Activation = "identity"
	Relu      Activation = "relu"
	LeakyRelu Activation = "leaky-relu" // slope Spec.Alpha for x < 0
	Sigmoid   Activation = "sigmoid"
	Tanh      Activation = "tanh"
	Elu       Activation = "elu" // scale Spec.Alpha for x < 0
	Selu      Activation = "selu"
	Softplus  Activation = "softplus"
)

// Activations lists the supported activations.
func Activations() []Activation {
	return []Activation{Identity, Relu, LeakyRelu, Sigmoid, Tanh, Elu, Selu, Softplus}
}

// Loss names a reconstruction loss.
type Loss string

// Supported losses. MSE and BCE average over all elements; MaskedMSE
// averages the squared error over observed entries only.
const (
	MSE       Loss = "mse"
	BCE       Loss = "bce" // binary cross-entropy; computed from logits when the output is sigmoid
	MaskedMSE Loss = "masked-mse"
)

// Init names a weight initialisation scheme.
type Init string

// Supported initialisations (uniform variants).
const (
	Xavier Init = "xavier" // U(±sqrt(6/(in+out)))
	He     Init = "he"     // U(±sqrt(6/in))
)

// NoiseType names the input corruption of a denoising autoencoder.
type NoiseType string

// Supported noise types.
const (
	NoNoise       NoiseType = ""
	MaskingNoise  NoiseType = "mask"     // each input element is zeroed with probability Drop
	GaussianNoise NoiseType = "gaussian" // N(0, Sigma²) is added to each input element
)

// Noise parameterises input corruption.
type Noise struct {
	Type  NoiseType `json:"type,omitempty"`
	Drop  float64   `json:"drop,omitempty"`
	Sigma float64   `json:"sigma,omitempty"`
}

// Spec describes a dense autoencoder. The zero values of optional fields
// mean "not used"; the constructors fill sensible defaults per kind.
type Spec struct {
	Kind  Kind `json:"kind"`
	Input int  `json:"input"`
	// Hidden are the encoder's hidden layer sizes between Input and Code;
	// the decoder mirrors them.
	Hidden []int `json:"hidden,omitempty"`
	Code   int   `json:"code"`

	Activation       Activation `json:"activation"`        // hidden layers of encoder and decoder
	CodeActivation   Activation `json:"code_activation"`   // the code layer
	OutputActivation Activation `json:"output_activation"` // the reconstruction layer
	// Alpha is the slope of leaky-relu or the scale of elu (default 0.01 and 1).
	Alpha float64 `json:"alpha,omitempty"`
	Init  Init    `json:"init"`
	// Tied makes each decoder layer use the transpose of its mirror encoder
	// layer's weights (own biases).
	Tied bool `json:"tied,omitempty"`
	Loss Loss `json:"loss"`

	// L1 is the weight of the L1 activity penalty on the code (sparse-l1).
	L1 float64 `json:"l1,omitempty"`
	// Rho is the target mean code activation and Beta the weight of the KL
	// penalty (sparse-kl).
	Rho  float64 `json:"rho,omitempty"`
	Beta float64 `json:"beta,omitempty"`
	// K is the number of code activations kept per sample (k-sparse).
	K int `json:"k,omitempty"`
	// Noise corrupts the input during training: required by the denoising
	// kind, input noise (e.g. input dropout) for any other.
	Noise Noise `json:"noise,omitzero"`
	// Lambda is the weight of the contractive penalty (contractive).
	Lambda float64 `json:"lambda,omitempty"`
	// PretrainEpochs is the number of greedy pre-training epochs per layer
	// (stacked).
	PretrainEpochs int `json:"pretrain_epochs,omitempty"`

	// Image kinds (conv, conv-vae) and VAEs: see image.go.
	ImageSpec
}

// Sizes returns the encoder's layer widths: Input, Hidden..., Code.
func (s *Spec) Sizes() []int {
	out := append([]int{s.Input}, s.Hidden...)
	return append(out, s.Code)
}

// EncoderActivations returns the activation of each encoder layer.
func (s *Spec) EncoderActivations() []Activation {
	acts := make([]Activation, len(s.Hidden)+1)
	for i := range s.Hidden {
		acts[i] = s.Activation
	}
	acts[len(s.Hidden)] = s.CodeActivation
	return acts
}

// DecoderActivations returns the activation of each decoder layer.
func (s *Spec) DecoderActivations() []Activation {
	acts := make([]Activation, len(s.Hidden)+1)
	for i := range s.Hidden {
		acts[i] = s.Activation
	}
	acts[len(s.Hidden)] = s.OutputActivation
	return acts
}

// ActivationAlpha returns the parameter of act under this spec: the slope of
// leaky-relu or the scale of elu (defaults 0.01 and 1), 0 otherwise.
func (s *Spec) ActivationAlpha(act Activation) float64 {
	switch act {
	case LeakyRelu:
		if s.Alpha != 0 {
			return s.Alpha
		}
		return 0.01
	case Elu:
		if s.Alpha != 0 {
			return s.Alpha
		}
		return 1
	}
	return 0
}

func base(kind Kind, input, code int) Spec {
	return Spec{
		Kind: kind, Input: input, Code: code,
		Activation: Relu, CodeActivation: Relu, OutputActivation: Sigmoid,
		Init: He, Loss: MSE,
	}
}

// NewUndercomplete returns a single-code-layer autoencoder Input → code → Input.
func NewUndercomplete(input, code int) Spec {
	s := base(Undercomplete, input, code)
	s.CodeActivation = Tanh
	s.Init = Xavier
	return s
}

// NewDeep returns a symmetric deep autoencoder with the given encoder hidden
// sizes, e.g. NewDeep(784, []int{256, 64}, 32).
func NewDeep(input int, hidden []int, code int) Spec {
	s := base(Deep, input, code)
	s.Hidden = append([]int(nil), hidden...)
	s.CodeActivation = Identity
	return s
}

// NewSparseL1 returns an autoencoder with an L1 penalty l1·mean(Σ|code|).
func NewSparseL1(input, code int, l1 float64) Spec {
	s := base(SparseL1, input, code)
	s.L1 = l1
	return s
}

// NewSparseKL returns an autoencoder with a sigmoid code and the penalty
// beta·Σ_j KL(rho || mean activation of code unit j).
func NewSparseKL(input, code int, rho, beta float64) Spec {
	s := base(SparseKL, input, code)
	s.Activation = Sigmoid
	s.CodeActivation = Sigmoid
	s.Init = Xavier
	s.Rho, s.Beta = rho, beta
	return s
}

// NewKSparse returns an autoencoder with a linear code of which only the k
// largest activations per sample survive.
func NewKSparse(input, code, k int) Spec {
	s := base(KSparse, input, code)
	s.CodeActivation = Identity
	s.Init = Xavier
	s.K = k
	return s
}

// NewDenoising returns an autoencoder trained to reconstruct the clean input
// from a corrupted copy.
func NewDenoising(input, code int, noise Noise) Spec {
	s := base(Denoising, input, code)
	s.CodeActivation = Tanh
	s.Init = Xavier
	s.Noise = noise
	return s
}

// NewContractive returns a single-layer autoencoder with the penalty
// lambda·||dh/dx||_F^2 on its sigmoid code.
func NewContractive(input, code int, lambda float64) Spec {
	s := base(Contractive, input, code)
	s.CodeActivation = Sigmoid
	s.Init = Xavier
	s.Lambda = lambda
	return s
}

// NewStacked returns a deep autoencoder trained greedily layer by layer
// (pretrainEpochs each) before end-to-end fine-tuning.
func NewStacked(input int, hidden []int, code, pretrainEpochs int) Spec {
	s := base(Stacked, input, code)
	s.Hidden = append([]int(nil), hidden...)
	s.Activation = Sigmoid
	s.CodeActivation = Sigmoid
	s.Init = Xavier
	s.PretrainEpochs = pretrainEpochs
	return s
}

// NewRecommender returns the classic stacked recommender autoencoder over
// items: items → 20 → 10 → 20 → items with sigmoid hidden layers, a linear
// output and masked MSE over observed ratings.
func NewRecommender(items int) Spec {
	s := base(Recommender, items, 10)
	s.Hidden = []int{20}
	s.Activation = Sigmoid
	s.CodeActivation = Sigmoid
	s.OutputActivation = Identity
	s.Init = Xavier
	s.Loss = MaskedMSE
	return s
}

// DefaultHiddenRule says in words what DefaultHidden computes.
const DefaultHiddenRule = "powers of two from the largest below the input (at most 1024), each a quarter of the one before, while wider than the code, at most three layers"

// DefaultHidden returns the encoder hidden sizes deep and stacked
// autoencoders get when none are given, derived from the input and code
// sizes (DefaultHiddenRule): 784 inputs with code 32 give 512,128 (the
// Fashion-MNIST demo's stack), 30 inputs with code 7 give 16, 3072 inputs
// with code 32 give 1024,256,64. When no such layer fits (an input of
// two or one), one layer as wide as the code.
func DefaultHidden(input, code int) []int {
	var h []int
	w := 1
	for w*2 < input && w < 1024 {
		w *= 2
	}
	for ; w > code && w < input && len(h) < 3; w /= 4 {
		h = append(h, w)
	}
	if len(h) == 0 {
		h = []int{max(1, code)}
	}
	return h
}

// New returns the default spec of kind for the given input and code size.
// Hidden sizes apply to every kind that has hidden layers; nil gives deep
// and stacked DefaultHidden(input, code). Defaults: sparse-l1 l1=1e-3;
// sparse-kl rho=0.05, beta=1e-1; k-sparse k=max(1, code/4); denoising
// masking noise 0.2; contractive lambda=1e-2; stacked 5 pre-training
// epochs per layer.
func New(kind Kind, input int, hidden []int, code int) (Spec, error) {
	var s Spec
	switch kind {
	case Conv, ConvVAE, VAE:
		return newImage(kind, input, hidden, code)
	case Undercomplete:
		s = NewUndercomplete(input, code)
	case Deep:
		if hidden == nil {
			hidden = DefaultHidden(input, code)
		}
		s = NewDeep(input, hidden, code)
	case SparseL1:
		s = NewSparseL1(input, code, 1e-3)
	case SparseKL:
		s = NewSparseKL(input, code, 0.05, 0.1)
	case KSparse:
		s = NewKSparse(input, code, max(1, code/4))
	case Denoising:
		s = NewDenoising(input, code, Noise{Type: MaskingNoise, Drop: 0.2})
	case Contractive:
		s = NewContractive(input, code, 1e-2)
	case Stacked:
		if hidden == nil {
			hidden = DefaultHidden(input, code)
		}
		s = NewStacked(input, hidden, code, 5)
	case Recommender:
		s = NewRecommender(input)
		if code > 0 {
			s.Code = code
		}
		if hidden != nil {
			s.Hidden = append([]int(nil), hidden...)
		}
		return s, nil
	default:
		return Spec{}, fmt.Errorf("unknown model kind %q (want one of %s)", kind, kindList())
	}
	if hidden != nil && kind != Deep && kind != Stacked {
		s.Hidden = append([]int(nil), hidden...)
	}
	return s, nil
}

func kindList() string {
	var names []string
	for _, k := range AllKinds() {
		names = append(names, string(k))
	}
	return strings.Join(names, ", ")
}

// FieldError is one inconsistency Validate found, with the spec field that
// holds the bad or missing value (its JSON name; "noise.type",
// "noise.drop" and "noise.sigma" for the Noise fields), so that a caller
// that filled the spec from elsewhere, such as latent train's flags, can
// name its own spelling of that setting.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Msg }

// penaltyField names the first negative penalty weight of s.
func penaltyField(s *Spec) string {
	switch {
	case s.L1 < 0:
		return "l1"
	case s.Beta < 0:
		return "beta"
	}
	return "lambda"
}

// Validate reports every inconsistency in s, joined into one error; each
// joined error is a *FieldError.
func (s *Spec) Validate() error {
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, &FieldError{Field: field, Msg: fmt.Sprintf(format, a...)})
	}
	if !slices.Contains(AllKinds(), s.Kind) {
		bad("kind", "kind %q is not one of %s", s.Kind, kindList())
	}
	if s.Input <= 0 && len(s.Image) == 0 {
		bad("input", "input size must be positive, got %d", s.Input)
	}
	if s.Code <= 0 {
		bad("code", "code size must be positive, got %d", s.Code)
	}
	for i, h := range s.Hidden {
		if h <= 0 {
			bad("hidden", "hidden[%d] must be positive, got %d", i, h)
		}
	}
	for _, a := range []struct {
		name string
		act  Activation
	}{{"activation", s.Activation}, {"code_activation", s.CodeActivation}, {"output_activation", s.OutputActivation}} {
		if !slices.Contains(Activations(), a.act) {
			bad(a.name, "%s %q is not one of identity, relu, leaky-relu, sigmoid, tanh, elu, selu, softplus", a.name, a.act)
		}
	}
	if s.Alpha < 0 {
		bad("alpha", "alpha must be non-negative, got %g", s.Alpha)
	}
	if s.Init != Xavier && s.Init != He {
		bad("init", "init %q is not xavier or he", s.Init)
	}
	layered := IsConv(s.Kind) || IsVAE(s.Kind)
	switch s.Loss {
	case MSE, BCE:
		if s.Loss == BCE && s.OutputActivation != Sigmoid {
			bad("output_activation", "loss bce needs output_activation sigmoid, got %q", s.OutputActivation)
		}
	case MaskedMSE:
		if layered {
			bad("loss", "loss %q is not mse or bce (the %s kind)", s.Loss, s.Kind)
		}
	default:
		bad("loss", "loss %q is not mse, bce or masked-mse", s.Loss)
	}
	if s.L1 < 0 || s.Beta < 0 || s.Lambda < 0 {
		bad(penaltyField(s), "penalty weights must be non-negative (l1=%g beta=%g lambda=%g)", s.L1, s.Beta, s.Lambda)
	}
	switch s.Noise.Type {
	case NoNoise:
	case MaskingNoise:
		if s.Noise.Drop <= 0 || s.Noise.Drop >= 1 {
			bad("noise.drop", "masking noise drop probability must be in (0,1), got %g", s.Noise.Drop)
		}
	case GaussianNoise:
		if s.Noise.Sigma <= 0 {
			bad("noise.sigma", "gaussian noise sigma must be positive, got %g", s.Noise.Sigma)
		}
	default:
		bad("noise.type", "noise type %q is not mask or gaussian", s.Noise.Type)
	}
	if s.Dropout < 0 || s.Dropout >= 1 {
		bad("dropout", "dropout must be in [0,1), got %g", s.Dropout)
	}
	if s.KLWarmup < 0 {
		bad("kl_warmup", "kl_warmup must be non-negative, got %d", s.KLWarmup)
	}
	if !IsVAE(s.Kind) && s.KLWarmup != 0 {
		bad("kl_warmup", "kl_warmup is only used by vae and conv-vae")
	}
	if !IsConv(s.Kind) && (len(s.Image) != 0 || len(s.Filters) != 0 || s.BatchNorm || s.Upsampling != "" || s.Pooling != "" || s.Kernel != 0) {
		bad("kind", "%s has no convolutions; image, filters, kernel, batch_norm, upsampling and pooling belong to conv and conv-vae", s.Kind)
	}
	if layered && (s.K != 0 || s.L1 != 0 || s.Lambda != 0 || s.Tied || s.PretrainEpochs != 0 || s.Rho != 0) {
		bad("kind", "%s does not support the dense regularisers (k, l1, lambda, tied, pretrain_epochs, rho)", s.Kind)
	}
	switch s.Kind {
	case Undercomplete:
		if len(s.Hidden) != 0 {
			bad("hidden", "undercomplete has one code layer; hidden must be empty, got %v", s.Hidden)
		}
		if s.Code >= s.Input && s.Input > 0 {
			bad("code", "undercomplete code size %d must be smaller than input %d", s.Code, s.Input)
		}
	case Deep, Stacked:
		if len(s.Hidden) == 0 {
			bad("hidden", "%s needs at least one hidden layer", s.Kind)
		}
		if s.Kind == Stacked && s.PretrainEpochs <= 0 {
			bad("pretrain_epochs", "stacked needs pretrain_epochs > 0, got %d", s.PretrainEpochs)
		}
		if s.Kind == Stacked && s.Tied {
			bad("tied", "stacked does not support tied weights")
		}
	case SparseL1:
		if s.L1 <= 0 {
			bad("l1", "sparse-l1 needs l1 > 0, got %g", s.L1)
		}
	case SparseKL:
		if s.Rho <= 0 || s.Rho >= 1 {
			bad("rho", "sparse-kl target rho must be in (0,1), got %g", s.Rho)
		}
		if s.Beta <= 0 {
			bad("beta", "sparse-kl needs beta > 0, got %g", s.Beta)
		}
		if s.CodeActivation != Sigmoid {
			bad("code_activation", "sparse-kl needs code_activation sigmoid, got %q", s.CodeActivation)
		}
	case KSparse:
		if s.K <= 0 || s.K > s.Code {
			bad("k", "k-sparse k must be in [1, code=%d], got %d", s.Code, s.K)
		}
	case Denoising:
		if s.Noise.Type == NoNoise {
			bad("noise.type", "denoising needs a noise type (mask or gaussian)")
		}
	case Contractive:
		if s.Lambda <= 0 {
			bad("lambda", "contractive needs lambda > 0, got %g", s.Lambda)
		}
		if len(s.Hidden) != 0 {
			bad("hidden", "contractive computes ||dh/dx||_F exactly for a single encoder layer; hidden must be empty, got %v", s.Hidden)
		}
	case Recommender:
		if s.Loss != MaskedMSE {
			bad("loss", "recommender needs loss masked-mse, got %q", s.Loss)
		}
	case VAE, ConvVAE:
		if s.CodeActivation != Identity {
			bad("code_activation", "%s samples its code; code_activation must be identity, got %q", s.Kind, s.CodeActivation)
		}
	}
	if IsConv(s.Kind) {
		errs = append(errs, s.validateConv()...)
	}
	return errors.Join(errs...)
}

// Marshal returns the indented JSON form of s.
func (s *Spec) Marshal() ([]byte, error) { return json.MarshalIndent(s, "", "  ") }

// Parse decodes a JSON spec, rejecting unknown fields, and validates it.
func Parse(data []byte) (Spec, error) {
	var s Spec
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Spec{}, fmt.Errorf("parse model spec: %w", err)
	}
	if err := s.Validate(); err != nil {
		return Spec{}, fmt.Errorf("invalid model spec: %w", err)
	}
	return s, nil
}

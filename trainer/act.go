package trainer

import (
	"fmt"

	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/ops"
)

// opsAct maps a spec activation to the ops kernel activation.
func opsAct(a models.Activation) (ops.Act, error) {
	switch a {
	case models.Identity:
		return ops.ActNone, nil
	case models.Relu:
		return ops.ActRelu, nil
	case models.LeakyRelu:
		return ops.ActLeakyRelu, nil
	case models.Sigmoid:
		return ops.ActSigmoid, nil
	case models.Tanh:
		return ops.ActTanh, nil
	case models.Elu:
		return ops.ActElu, nil
	case models.Selu:
		return ops.ActSelu, nil
	case models.Softplus:
		return ops.ActSoftplus, nil
	}
	return 0, fmt.Errorf("unknown activation %q", a)
}

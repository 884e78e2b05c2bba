package nn

import (
	"fmt"
	"slices"
)

// Net is an autoencoder as one chain of layers: Layers[:Code] map the
// input to the code and Layers[Code:] the code to the reconstruction.
// Point i of the chain is the input of Layers[i] (point 0 is the network
// input, point len(Layers) its output); penalties attach to points.
type Net struct {
	Layers []Layer
	// Code is the index of the first decoder layer (the code is point
	// Code).
	Code int
}

// NewNet checks that consecutive layers agree on the number of values per
// sample and returns the chain with its code at point code.
func NewNet(code int, layers ...Layer) (*Net, error) {
	if len(layers) == 0 {
		return nil, fmt.Errorf("network has no layers")
	}
	if code < 0 || code > len(layers) {
		return nil, fmt.Errorf("code point %d outside the %d layers", code, len(layers))
	}
	if err := checkShapes(layers); err != nil {
		return nil, err
	}
	return &Net{Layers: layers, Code: code}, nil
}

// InShape and OutShape are the per-sample shapes of the network's input
// and reconstruction.
func (n *Net) InShape() []int  { return n.Layers[0].InShape() }
func (n *Net) OutShape() []int { return n.Layers[len(n.Layers)-1].OutShape() }

// PointSize is the number of values per sample at point i.
func (n *Net) PointSize(i int) int {
	if i == 0 {
		return size(n.InShape())
	}
	return size(n.Layers[i-1].OutShape())
}

// Encoder and Decoder are the layers before and after the code.
func (n *Net) Encoder() []Layer { return n.Layers[:n.Code] }
func (n *Net) Decoder() []Layer { return n.Layers[n.Code:] }

// Params lists the trainable tensors of every layer in layer order, each
// shared tensor once (at its first use).
func (n *Net) Params() []*Param {
	var ps []*Param
	for _, l := range n.Layers {
		for _, p := range l.Params() {
			if !slices.Contains(ps, p) {
				ps = append(ps, p)
			}
		}
	}
	return ps
}

// State lists every stateful layer's state tensors in layer order.
func (n *Net) State() []*Param {
	var ps []*Param
	for _, l := range n.Layers {
		if st, ok := l.(Stateful); ok {
			ps = append(ps, st.State()...)
		}
	}
	return ps
}

// Replica returns a chain of replicas of the layers (sharing parameters
// and state, see Layer.Replica).
func (n *Net) Replica() *Net {
	r := &Net{Layers: make([]Layer, len(n.Layers)), Code: n.Code}
	for i, l := range n.Layers {
		r.Layers[i] = l.Replica()
	}
	return r
}

// GradViews maps gradients laid out like Params (one slice per unique
// tensor) to each layer's view (one slice per entry of its Params), so
// that layers sharing a tensor add into the same slice.
func (n *Net) GradViews(grads [][]float32) [][][]float32 {
	ps := n.Params()
	views := make([][][]float32, len(n.Layers))
	for i, l := range n.Layers {
		for _, p := range l.Params() {
			views[i] = append(views[i], grads[slices.Index(ps, p)])
		}
	}
	return views
}

// Forward runs layers lo..hi-1 over x (n samples).
func (n *Net) Forward(lo, hi int, x []float32, rows int, p *Pass) []float32 {
	for _, l := range n.Layers[lo:hi] {
		x = l.Forward(x, rows, p)
	}
	return x
}

// Backward propagates dy from the output of layer hi-1 back through
// layers lo..hi-1, adding parameter gradients into views (from GradViews),
// and returns the gradient at point lo when needInput.
func (n *Net) Backward(lo, hi int, dy []float32, views [][][]float32, needInput bool) []float32 {
	for i := hi - 1; i >= lo; i-- {
		dy = n.Layers[i].Backward(dy, views[i], needInput || i > lo)
	}
	return dy
}

package kernels

// The ai.onnx.ml linear and kernel models: LinearRegressor,
// LinearClassifier, SVMRegressor (SVR, and OneClassSVM's decision
// function), SVMClassifier (SVC, with Platt probabilities), and ZipMap,
// which turns a classifier's score matrix into a sequence of
// class→probability maps.
//
// Scores are computed in float64 and written as float. Where the
// specification is silent on binary classifiers with one score column
// (which label wins, what the second score column holds), the kernels do
// what ONNX Runtime does, since that is what converters are tested
// against.

import (
	"fmt"
	"math"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	in := []operators.TypeSet{mlNumeric}
	registerML(operators.Op{Type: "LinearRegressor", Inputs: in, Infer: inferTargets("targets"), Build: buildLinearRegressor}, 1)
	registerML(operators.Op{Type: "LinearClassifier", Inputs: in, Infer: inferLinearClassifier, Build: buildLinearClassifier}, 1)
	registerML(operators.Op{Type: "SVMRegressor", Inputs: in, Infer: inferSVMRegressor, Build: buildSVMRegressor}, 1)
	registerML(operators.Op{Type: "SVMClassifier", Inputs: in, Infer: inferSVMClassifier, Build: buildSVMClassifier}, 1)
	registerML(operators.Op{Type: "ZipMap", Infer: inferZipMap, BuildValues: buildZipMap}, 1)
}

// binaryScores expands a binary model's one score s into the two score
// columns [negative class, positive class], as ONNX Runtime does: with
// probabilities (mode 0) [1−s, s]; with margins (mode 2) [−s, s], or their
// logistic under LOGISTIC.
func binaryScores(s float64, probabilities bool, post postTransform) (float64, float64) {
	if probabilities {
		return 1 - s, s
	}
	if post == postLogistic {
		return logistic(-s), logistic(s)
	}
	return -s, s
}

// --- LinearRegressor / LinearClassifier ---

type linearModel struct {
	coef, intercepts []float64 // [targets, C], [targets]
	targets          int
	post             postTransform
}

func linearAttrs(n *graph.Node, targets int) (linearModel, error) {
	m := linearModel{targets: targets}
	cf, err := n.Floats("coefficients", nil)
	if err != nil {
		return m, err
	}
	it, err := n.Floats("intercepts", nil)
	if err != nil {
		return m, err
	}
	if m.post, err = postTransformAttr(n); err != nil {
		return m, err
	}
	if targets <= 0 || len(cf) == 0 || len(cf)%targets != 0 {
		return m, fmt.Errorf("node %s: %d coefficients do not split into %d targets", n.Label(), len(cf), targets)
	}
	if len(it) != 0 && len(it) != targets {
		return m, fmt.Errorf("node %s: %d intercepts for %d targets", n.Label(), len(it), targets)
	}
	m.coef = f32to64(cf)
	m.intercepts = make([]float64, targets)
	copy(m.intercepts, f32to64(it))
	return m, nil
}

func f32to64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// scores computes X·coefᵀ + intercepts into out [rows, targets].
func (m linearModel) scores(n *graph.Node, x *ops.Tensor) (out []float64, rows int, err error) {
	rows, cols, err := mlRows(n, x)
	if err != nil {
		return nil, 0, err
	}
	if cols*m.targets != len(m.coef) {
		return nil, 0, fmt.Errorf("node %s: X has %d features, the model %d", n.Label(), cols, len(m.coef)/m.targets)
	}
	xs, err := mlFloat64s(n, x)
	if err != nil {
		return nil, 0, err
	}
	out = make([]float64, rows*m.targets)
	for r := 0; r < rows; r++ {
		row := xs[r*cols : (r+1)*cols]
		for t := 0; t < m.targets; t++ {
			w := m.coef[t*cols : (t+1)*cols]
			s := m.intercepts[t]
			for j, v := range row {
				s += v * w[j]
			}
			out[r*m.targets+t] = s
		}
	}
	return out, rows, nil
}

// inferTargets is the rule of the regressors (LinearRegressor,
// TreeEnsembleRegressor): float32 [N, attr], attr (default 1) the number of
// targets.
func inferTargets(attr string) func(*operators.InferContext, *graph.Node, []graph.ValueInfo) ([]graph.ValueInfo, error) {
	return func(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
		if err := needInputs(n, in, 1); err != nil {
			return nil, err
		}
		t, err := n.Int(attr, 1)
		if err != nil {
			return nil, err
		}
		rows, err := rowsOf(in[0])
		if err != nil {
			return nil, err
		}
		return one(ranked(ops.Float32, graph.Shape{rows, operators.KnownDim(t)})), nil
	}
}

// buildLinearRegressor compiles LinearRegressor: Y = post(X·coefᵀ + b),
// [N, targets].
func buildLinearRegressor(n *graph.Node, _ int64) (operators.Kernel, error) {
	t, err := n.Int("targets", 1)
	if err != nil {
		return nil, err
	}
	m, err := linearAttrs(n, int(t))
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		s, rows, err := m.scores(n, x)
		if err != nil {
			return nil, err
		}
		y := env.New(ops.Float32, rows, m.targets)
		ys := y.F32()
		for r := 0; r < rows; r++ {
			row := s[r*m.targets : (r+1)*m.targets]
			m.post.apply(row)
			for j, v := range row {
				ys[r*m.targets+j] = float32(v)
			}
		}
		return []*ops.Tensor{y}, nil
	}, nil
}

func linearClassifierAttrs(n *graph.Node) (linearModel, classLabels, error) {
	labels, err := classLabelsAttr(n, "classlabels_ints")
	if err != nil {
		return linearModel{}, labels, err
	}
	it, err := n.Floats("intercepts", nil)
	if err != nil {
		return linearModel{}, labels, err
	}
	e := len(it)
	if e == 0 {
		e = max(labels.count(), 1)
		if labels.count() == 2 {
			if cf, _ := n.Floats("coefficients", nil); len(cf)%2 != 0 {
				e = 1
			}
		}
	}
	m, err := linearAttrs(n, e)
	return m, labels, err
}

func inferLinearClassifier(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	m, labels, err := linearClassifierAttrs(n)
	if err != nil {
		return nil, err
	}
	e := m.targets
	if e == 1 && labels.count() == 2 {
		e = 2
	}
	return classifierOutputs(n, in, labels.dtype(), operators.KnownDim(int64(e)))
}

// buildLinearClassifier compiles LinearClassifier: scores X·coefᵀ + b per
// class, the label of the largest; with one coefficient row (a binary
// model) the label is the positive class when its score is > 0 and the
// scores are [1−s, s] (ONNX Runtime's convention).
func buildLinearClassifier(n *graph.Node, _ int64) (operators.Kernel, error) {
	m, labels, err := linearClassifierAttrs(n)
	if err != nil {
		return nil, err
	}
	if m.targets > 1 && labels.count() != m.targets {
		return nil, fmt.Errorf("node %s: %d classes for %d coefficient rows", n.Label(), labels.count(), m.targets)
	}
	second := m.targets == 1 && labels.count() == 2
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		s, rows, err := m.scores(n, x)
		if err != nil {
			return nil, err
		}
		e := m.targets
		if second {
			e = 2
		}
		y := labels.newLabels(env, rows)
		z := env.New(ops.Float32, rows, e)
		zs := z.F32()
		for r := 0; r < rows; r++ {
			row := s[r*m.targets : (r+1)*m.targets]
			if m.targets == 1 {
				k, v := 0, int64(0)
				if row[0] > 0 {
					k, v = 1, 1
				}
				if labels.count() != 2 {
					k = -1
				}
				labels.set(y, r, k, v)
				if second {
					if m.post == postProbit {
						row[0] = probit(row[0])
					}
					a, b := binaryScores(row[0], true, postNone)
					zs[2*r], zs[2*r+1] = float32(a), float32(b)
				} else {
					m.post.apply(row)
					zs[r] = float32(row[0])
				}
				continue
			}
			best := 0
			for j, v := range row {
				if v > row[best] {
					best = j
				}
			}
			labels.set(y, r, best, int64(best))
			m.post.apply(row)
			for j, v := range row {
				zs[r*e+j] = float32(v)
			}
		}
		return []*ops.Tensor{y, z}, nil
	}, nil
}

// --- SVM ---

// svmKernel is the kernel of an SVM: LINEAR x·v, POLY (γ·x·v + c₀)^d, RBF
// exp(−γ·|x−v|²), SIGMOID tanh(γ·x·v + c₀).
type svmKernel struct {
	kind                 int // 0 LINEAR, 1 POLY, 2 RBF, 3 SIGMOID
	gamma, coef0, degree float64
}

func svmKernelAttrs(n *graph.Node) (svmKernel, error) {
	var k svmKernel
	var err error
	if k.kind, err = enumAttr(n, "kernel_type", "LINEAR", enumChoice[int]{"LINEAR", 0}, enumChoice[int]{"POLY", 1},
		enumChoice[int]{"RBF", 2}, enumChoice[int]{"SIGMOID", 3}); err != nil {
		return k, err
	}
	p, err := n.Floats("kernel_params", nil)
	if err != nil {
		return k, err
	}
	if len(p) != 0 && len(p) != 3 {
		return k, fmt.Errorf("node %s: kernel_params must be [gamma, coef0, degree], has %d values", n.Label(), len(p))
	}
	if len(p) == 3 {
		k.gamma, k.coef0, k.degree = float64(p[0]), float64(p[1]), float64(p[2])
	}
	return k, nil
}

func (k svmKernel) eval(x, v []float64) float64 {
	if k.kind == 2 {
		s := 0.0
		for i, a := range x {
			d := a - v[i]
			s += d * d
		}
		return math.Exp(-k.gamma * s)
	}
	s := 0.0
	for i, a := range x {
		s += a * v[i]
	}
	switch k.kind {
	case 1:
		b := k.gamma*s + k.coef0
		switch k.degree {
		case 2:
			return b * b
		case 3:
			return b * b * b
		}
		return math.Pow(b, k.degree)
	case 3:
		return math.Tanh(k.gamma*s + k.coef0)
	}
	return s
}

type svmRegressor struct {
	kernel   svmKernel
	sv, coef []float64
	nsv      int
	rho      float64
	oneClass bool
	features int
}

func svmRegressorAttrs(n *graph.Node) (*svmRegressor, error) {
	m := &svmRegressor{}
	var err error
	if m.kernel, err = svmKernelAttrs(n); err != nil {
		return nil, err
	}
	sv, err := n.Floats("support_vectors", nil)
	if err != nil {
		return nil, err
	}
	cf, err := n.Floats("coefficients", nil)
	if err != nil {
		return nil, err
	}
	rho, err := n.Floats("rho", nil)
	if err != nil {
		return nil, err
	}
	nsv, err := n.Int("n_supports", 0)
	if err != nil {
		return nil, err
	}
	oc, err := n.Int("one_class", 0)
	if err != nil {
		return nil, err
	}
	if len(cf) == 0 || len(rho) == 0 {
		return nil, fmt.Errorf("node %s: SVMRegressor needs coefficients and rho", n.Label())
	}
	m.coef, m.sv, m.nsv, m.rho, m.oneClass = f32to64(cf), f32to64(sv), int(nsv), float64(rho[0]), oc != 0
	if m.nsv > 0 {
		if len(sv)%m.nsv != 0 || len(cf) != m.nsv {
			return nil, fmt.Errorf("node %s: %d support vector values and %d coefficients for n_supports %d", n.Label(), len(sv), len(cf), m.nsv)
		}
		m.features = len(sv) / m.nsv
	} else {
		// No support vectors: a linear model over the coefficients.
		m.features = len(cf)
		m.kernel = svmKernel{}
	}
	return m, nil
}

func inferSVMRegressor(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	rows, err := rowsOf(in[0])
	if err != nil {
		return nil, err
	}
	return one(ranked(ops.Float32, graph.Shape{rows, operators.KnownDim(1)})), nil
}

// buildSVMRegressor compiles SVMRegressor: Σⱼ coefⱼ·K(x, svⱼ) + ρ (or
// x·coef + ρ without support vectors), [N, 1]; one_class=1 maps it to ±1.
func buildSVMRegressor(n *graph.Node, _ int64) (operators.Kernel, error) {
	m, err := svmRegressorAttrs(n)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		rows, cols, err := mlRows(n, x)
		if err != nil {
			return nil, err
		}
		if cols != m.features {
			return nil, fmt.Errorf("node %s: X has %d features, the model %d", n.Label(), cols, m.features)
		}
		xs, err := mlFloat64s(n, x)
		if err != nil {
			return nil, err
		}
		y := env.New(ops.Float32, rows, 1)
		ys := y.F32()
		for r := 0; r < rows; r++ {
			row := xs[r*cols : (r+1)*cols]
			s := m.rho
			if m.nsv > 0 {
				for j := 0; j < m.nsv; j++ {
					s += m.coef[j] * m.kernel.eval(row, m.sv[j*cols:(j+1)*cols])
				}
			} else {
				s += m.kernel.eval(row, m.coef)
			}
			if m.oneClass {
				if s > 0 {
					s = 1
				} else {
					s = -1
				}
			}
			ys[r] = float32(s)
		}
		return []*ops.Tensor{y}, nil
	}, nil
}

type svmClassifier struct {
	kernel       svmKernel
	labels       classLabels
	classes      int
	perClass     []int // support vectors per class
	start        []int // first support vector of each class
	nsv          int
	sv, coef     []float64
	rho          []float64
	probA, probB []float64
	features     int
	allPositive  bool
	post         postTransform
}

func svmClassifierAttrs(n *graph.Node) (*svmClassifier, error) {
	m := &svmClassifier{}
	var err error
	if m.kernel, err = svmKernelAttrs(n); err != nil {
		return nil, err
	}
	if m.labels, err = classLabelsAttr(n, "classlabels_ints"); err != nil {
		return nil, err
	}
	if m.post, err = postTransformAttr(n); err != nil {
		return nil, err
	}
	m.classes = m.labels.count()
	if m.classes < 2 {
		return nil, fmt.Errorf("node %s: SVMClassifier needs at least 2 class labels, has %d", n.Label(), m.classes)
	}
	vpc, err := n.Ints("vectors_per_class", nil)
	if err != nil {
		return nil, err
	}
	var sv, cf, rho, pa, pb []float32
	for _, a := range []struct {
		name string
		dst  *[]float32
	}{{"support_vectors", &sv}, {"coefficients", &cf}, {"rho", &rho}, {"prob_a", &pa}, {"prob_b", &pb}} {
		if *a.dst, err = n.Floats(a.name, nil); err != nil {
			return nil, err
		}
	}
	if len(cf) == 0 || len(rho) == 0 {
		return nil, fmt.Errorf("node %s: SVMClassifier needs coefficients and rho", n.Label())
	}
	if len(pa) != len(pb) {
		return nil, fmt.Errorf("node %s: prob_a has %d values, prob_b %d", n.Label(), len(pa), len(pb))
	}
	m.sv, m.coef, m.rho, m.probA, m.probB = f32to64(sv), f32to64(cf), f32to64(rho), f32to64(pa), f32to64(pb)
	m.allPositive = true
	for _, c := range cf {
		if c < 0 {
			m.allPositive = false
		}
	}
	for _, v := range vpc {
		if v < 0 {
			return nil, fmt.Errorf("node %s: negative vectors_per_class %d", n.Label(), v)
		}
		m.start = append(m.start, m.nsv)
		m.perClass = append(m.perClass, int(v))
		m.nsv += int(v)
	}
	pairs := m.classes * (m.classes - 1) / 2
	if m.nsv > 0 {
		if len(vpc) != m.classes {
			return nil, fmt.Errorf("node %s: vectors_per_class has %d entries for %d classes", n.Label(), len(vpc), m.classes)
		}
		if len(sv)%m.nsv != 0 || len(cf) < (m.classes-1)*m.nsv || len(rho) < pairs || (len(pa) > 0 && len(pa) < pairs) {
			return nil, fmt.Errorf("node %s: attribute sizes do not match %d classes and %d support vectors", n.Label(), m.classes, m.nsv)
		}
		m.features = len(sv) / m.nsv
	} else {
		if len(cf)%m.classes != 0 {
			return nil, fmt.Errorf("node %s: %d coefficients for %d classes", n.Label(), len(cf), m.classes)
		}
		m.features = len(cf) / m.classes
		m.kernel = svmKernel{}
	}
	return m, nil
}

// scoreColumns is the width of the scores output.
func (m *svmClassifier) scoreColumns() int {
	if m.nsv > 0 && len(m.probA) == 0 {
		if m.classes > 2 {
			return m.classes * (m.classes - 1) / 2
		}
		return 2
	}
	return m.classes
}

func inferSVMClassifier(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	m, err := svmClassifierAttrs(n)
	if err != nil {
		return nil, err
	}
	return classifierOutputs(n, in, m.labels.dtype(), operators.KnownDim(int64(m.scoreColumns())))
}

// buildSVMClassifier compiles SVMClassifier. With support vectors (SVC) it
// scores every pair of classes (one-vs-one), votes, and outputs the pair
// scores, or with prob_a/prob_b the class probabilities from Platt scaling
// and pairwise coupling (Wu, Lin and Weng, 2004). Without support vectors
// (a linear SVM) it scores each class by x·coef + ρ₀.
func buildSVMClassifier(n *graph.Node, _ int64) (operators.Kernel, error) {
	m, err := svmClassifierAttrs(n)
	if err != nil {
		return nil, err
	}
	width := m.scoreColumns()
	pairs := m.classes * (m.classes - 1) / 2
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		rows, cols, err := mlRows(n, x)
		if err != nil {
			return nil, err
		}
		if cols != m.features {
			return nil, fmt.Errorf("node %s: X has %d features, the model %d", n.Label(), cols, m.features)
		}
		xs, err := mlFloat64s(n, x)
		if err != nil {
			return nil, err
		}
		y := m.labels.newLabels(env, rows)
		z := env.New(ops.Float32, rows, width)
		zs := z.F32()
		kern := make([]float64, m.nsv)
		pair := make([]float64, pairs)
		votes := make([]int, m.classes)
		scores := make([]float64, m.classes)
		for r := 0; r < rows; r++ {
			row := xs[r*cols : (r+1)*cols]
			out := zs[r*width : (r+1)*width]
			if m.nsv == 0 {
				for k := 0; k < m.classes; k++ {
					scores[k] = m.rho[0] + m.kernel.eval(row, m.coef[k*cols:(k+1)*cols])
				}
				best := 0
				for k, v := range scores {
					if v > scores[best] {
						best = k
					}
				}
				k := best
				if m.classes == 2 {
					w := scores[best]
					if (m.allPositive && w >= 0.5) || (!m.allPositive && w > 0) {
						k = 1
					}
				}
				m.labels.set(y, r, k, int64(k))
				m.post.apply(scores)
				for k, v := range scores {
					out[k] = float32(v)
				}
				continue
			}
			for j := 0; j < m.nsv; j++ {
				kern[j] = m.kernel.eval(row, m.sv[j*cols:(j+1)*cols])
			}
			clear(votes)
			p := 0
			for i := 0; i < m.classes-1; i++ {
				for j := i + 1; j < m.classes; j++ {
					s := 0.0
					ci := m.coef[(j-1)*m.nsv:]
					for v := m.start[i]; v < m.start[i]+m.perClass[i]; v++ {
						s += ci[v] * kern[v]
					}
					cj := m.coef[i*m.nsv:]
					for v := m.start[j]; v < m.start[j]+m.perClass[j]; v++ {
						s += cj[v] * kern[v]
					}
					s += m.rho[p]
					pair[p] = s
					p++
					if s > 0 {
						votes[i]++
					} else {
						votes[j]++
					}
				}
			}
			best := 0
			for k, v := range votes {
				if v > votes[best] {
					best = k
				}
			}
			m.labels.set(y, r, best, int64(best))
			switch {
			case len(m.probA) > 0:
				m.probabilities(pair, scores)
				m.post.apply(scores)
				for k, v := range scores {
					out[k] = float32(v)
				}
			case m.classes == 2:
				s := pair[0]
				if m.post == postProbit {
					out[0], out[1] = float32(probit(s)), 0
					break
				}
				a, b := binaryScores(s, m.post != postNone, m.post)
				out[0], out[1] = float32(a), float32(b)
			default:
				m.post.apply(pair)
				for k, v := range pair {
					out[k] = float32(v)
				}
			}
		}
		return []*ops.Tensor{y, z}, nil
	}, nil
}

// probabilities turns the pairwise decision values into class
// probabilities: each pair's Platt sigmoid, then the pairwise-coupling
// fixed point of libsvm's multiclass_probability.
func (m *svmClassifier) probabilities(pair, p []float64) {
	k := m.classes
	r := make([]float64, k*k)
	idx := 0
	for i := 0; i < k-1; i++ {
		for j := i + 1; j < k; j++ {
			v := 1 - logistic(pair[idx]*m.probA[idx]+m.probB[idx])
			v = math.Min(math.Max(v, 1e-7), 1-1e-7)
			r[i*k+j] = v
			r[j*k+i] = 1 - v
			idx++
		}
	}
	q := make([]float64, k*k)
	qp := make([]float64, k)
	for i := 0; i < k; i++ {
		p[i] = 1 / float64(k)
		for j := 0; j < k; j++ {
			if j == i {
				continue
			}
			q[i*k+i] += r[j*k+i] * r[j*k+i]
			q[i*k+j] = -r[j*k+i] * r[i*k+j]
		}
	}
	eps := 0.005 / float64(k)
	for iter := 0; iter < 100; iter++ {
		pqp := 0.0
		for i := 0; i < k; i++ {
			qp[i] = 0
			for j := 0; j < k; j++ {
				qp[i] += q[i*k+j] * p[j]
			}
			pqp += p[i] * qp[i]
		}
		maxErr := 0.0
		for i := 0; i < k; i++ {
			maxErr = math.Max(maxErr, math.Abs(qp[i]-pqp))
		}
		if maxErr < eps {
			break
		}
		for i := 0; i < k; i++ {
			diff := (-qp[i] + pqp) / q[i*k+i]
			p[i] += diff
			pqp = (pqp + diff*(diff*q[i*k+i]+2*qp[i])) / (1 + diff) / (1 + diff)
			for j := 0; j < k; j++ {
				qp[j] = (qp[j] + diff*q[i*k+j]) / (1 + diff)
				p[j] /= 1 + diff
			}
		}
	}
}

// --- ZipMap ---

func zipMapLabels(n *graph.Node) (classLabels, error) {
	l, err := classLabelsAttr(n, "classlabels_int64s")
	if err != nil {
		return l, err
	}
	if l.count() == 0 {
		return l, fmt.Errorf("node %s: ZipMap needs classlabels_int64s or classlabels_strings", n.Label())
	}
	return l, nil
}

func inferZipMap(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	if _, err := zipMapLabels(n); err != nil {
		return nil, err
	}
	// A sequence of maps: no tensor type or shape to state.
	return []graph.ValueInfo{{}}, nil
}

// buildZipMap compiles ZipMap: each row of the [N, C] float scores becomes
// a map from the C class labels to that row's scores, the rows a sequence.
func buildZipMap(n *graph.Node, _ int64) (operators.ValueKernel, error) {
	labels, err := zipMapLabels(n)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*graph.Value) ([]*graph.Value, error) {
		x, err := tensorValue(n, in, 0, "X", true)
		if err != nil {
			return nil, err
		}
		if x.DType != ops.Float32 {
			return nil, fmt.Errorf("node %s: input X must be float, got %s", n.Label(), x.DType)
		}
		rows, cols, err := mlRows(n, x)
		if err != nil {
			return nil, err
		}
		if cols != labels.count() {
			return nil, fmt.Errorf("node %s: X has %d columns for %d class labels", n.Label(), cols, labels.count())
		}
		var keys *ops.Tensor
		if labels.strs != nil {
			keys = &ops.Tensor{DType: ops.String, Shape: []int{cols}, Data: labels.strs}
		} else {
			keys = ops.FromInt64([]int{cols}, labels.ints)
		}
		xs := x.F32()
		maps := make([]*graph.Value, rows)
		for r := range maps {
			vals := make([]*graph.Value, cols)
			for j := range vals {
				vals[j] = graph.TensorOf(ops.FromFloat32([]int{}, []float32{xs[r*cols+j]}))
			}
			maps[r] = &graph.Value{Kind: graph.MapValue, Keys: keys, Elems: vals}
		}
		return []*graph.Value{graph.SequenceOf(ops.Invalid, maps...)}, nil
	}, nil
}

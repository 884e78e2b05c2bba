package kernels

// The ai.onnx.ml tree ensembles: TreeEnsembleRegressor and
// TreeEnsembleClassifier (opsets 1 and 3; 3 adds the *_as_tensor
// attributes that carry double thresholds and weights) and TreeEnsemble
// (opset 5: set-membership splits, leaves in their own arrays, typed
// output). All three compile to one flat form: nodes in an array with
// child indices, leaves with a run of (target, weight) pairs, one root per
// tree. A sample walks each tree to its leaf; the leaves' weights are
// aggregated per target (SUM, AVERAGE, MIN or MAX), the base values added
// and the post transform applied.

import (
	"fmt"
	"math"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	registerML(operators.Op{Type: "TreeEnsembleRegressor", Inputs: []operators.TypeSet{mlNumeric},
		Infer: inferTargets("n_targets"), Build: buildTreeRegressor}, 1, 3)
	registerML(operators.Op{Type: "TreeEnsembleClassifier", Inputs: []operators.TypeSet{mlNumeric},
		Infer: inferTreeClassifier, Build: buildTreeClassifier}, 1, 3)
	registerML(operators.Op{Type: "TreeEnsemble", Inputs: []operators.TypeSet{{ops.Float32, ops.Float64, ops.Float16}},
		Infer: inferTreeEnsemble, Build: buildTreeEnsemble}, 5)
}

// Split modes.
const (
	splitLEQ uint8 = iota
	splitLT
	splitGTE
	splitGT
	splitEQ
	splitNEQ
	splitMember
	splitLeaf
)

// treeNode is one node of the flat form. A leaf's weights are
// leafTargets/leafWeights[lo:hi].
type treeNode struct {
	mode        uint8
	missingTrue bool
	feature     int
	value       float64
	set         map[float64]bool // splitMember
	yes, no     int              // child node indices
	lo, hi      int              // a leaf's weights
}

// treeEnsemble is a compiled ensemble.
type treeEnsemble struct {
	nodes       []treeNode
	roots       []int
	leafTargets []int
	leafWeights []float64
	targets     int
	agg         int // 0 AVERAGE, 1 SUM, 2 MIN, 3 MAX
	base        []float64
	post        postTransform
	features    int // 1 + the largest feature index used
}

// leaf walks one tree from root for sample x and returns its leaf.
func (e *treeEnsemble) leaf(root int, x []float64) *treeNode {
	n := &e.nodes[root]
	for n.mode != splitLeaf {
		v := x[n.feature]
		var yes bool
		switch n.mode {
		case splitLEQ:
			yes = v <= n.value
		case splitLT:
			yes = v < n.value
		case splitGTE:
			yes = v >= n.value
		case splitGT:
			yes = v > n.value
		case splitEQ:
			yes = v == n.value
		case splitNEQ:
			yes = v != n.value
		case splitMember:
			yes = n.set[v]
		}
		if n.missingTrue && v != v {
			yes = true
		}
		if yes {
			n = &e.nodes[n.yes]
		} else {
			n = &e.nodes[n.no]
		}
	}
	return n
}

// run aggregates the ensemble over one sample into s (targets long) and
// has (whether any leaf wrote each target), before base values.
func (e *treeEnsemble) run(x []float64, s []float64, has []bool) {
	clear(s)
	clear(has)
	for _, r := range e.roots {
		l := e.leaf(r, x)
		for i := l.lo; i < l.hi; i++ {
			t, w := e.leafTargets[i], e.leafWeights[i]
			switch {
			case !has[t] || e.agg <= 1:
				if has[t] {
					s[t] += w
				} else {
					s[t] = w
				}
			case e.agg == 2:
				s[t] = math.Min(s[t], w)
			case e.agg == 3:
				s[t] = math.Max(s[t], w)
			}
			has[t] = true
		}
	}
	if e.agg == 0 && len(e.roots) > 0 {
		for t := range s {
			s[t] /= float64(len(e.roots))
		}
	}
}

// forRows runs the ensemble on every sample of x, calling f with the
// sample index and its aggregated scores.
func (e *treeEnsemble) forRows(n *graph.Node, x *ops.Tensor, f func(r int, s []float64, has []bool)) (int, error) {
	rows, cols, err := mlRows(n, x)
	if err != nil {
		return 0, err
	}
	if cols < e.features {
		return 0, fmt.Errorf("node %s: X has %d features, the trees split on feature %d", n.Label(), cols, e.features-1)
	}
	xs, err := mlFloat64s(n, x)
	if err != nil {
		return 0, err
	}
	s := make([]float64, e.targets)
	has := make([]bool, e.targets)
	for r := 0; r < rows; r++ {
		e.run(xs[r*cols:(r+1)*cols], s, has)
		f(r, s, has)
	}
	return rows, nil
}

// legacyTrees reads the TreeEnsembleRegressor/Classifier attributes (the
// node arrays keyed by tree and node id, and the leaf weights under
// prefix "target" or "class") into the flat form.
func legacyTrees(n *graph.Node, prefix string, targets int) (*treeEnsemble, error) {
	ints := func(name string) ([]int64, error) { return n.Ints(name, nil) }
	treeIDs, err := ints("nodes_treeids")
	if err != nil {
		return nil, err
	}
	nodeIDs, err := ints("nodes_nodeids")
	if err != nil {
		return nil, err
	}
	featIDs, err := ints("nodes_featureids")
	if err != nil {
		return nil, err
	}
	trueIDs, err := ints("nodes_truenodeids")
	if err != nil {
		return nil, err
	}
	falseIDs, err := ints("nodes_falsenodeids")
	if err != nil {
		return nil, err
	}
	missing, err := ints("nodes_missing_value_tracks_true")
	if err != nil {
		return nil, err
	}
	modes, err := n.Strings("nodes_modes", nil)
	if err != nil {
		return nil, err
	}
	values, err := floatsOrTensor(n, "nodes_values")
	if err != nil {
		return nil, err
	}
	k := len(nodeIDs)
	if k == 0 {
		return nil, fmt.Errorf("node %s: the ensemble has no nodes", n.Label())
	}
	for name, l := range map[string]int{"nodes_treeids": len(treeIDs), "nodes_featureids": len(featIDs), "nodes_modes": len(modes),
		"nodes_truenodeids": len(trueIDs), "nodes_falsenodeids": len(falseIDs)} {
		if l != k {
			return nil, fmt.Errorf("node %s: %s has %d entries for %d nodes", n.Label(), name, l, k)
		}
	}
	if (len(values) != 0 && len(values) != k) || (len(missing) != 0 && len(missing) != k) {
		return nil, fmt.Errorf("node %s: nodes_values or nodes_missing_value_tracks_true does not have one entry per node", n.Label())
	}
	type key struct{ tree, node int64 }
	index := make(map[key]int, k)
	e := &treeEnsemble{nodes: make([]treeNode, k), targets: targets}
	for i := range k {
		kk := key{treeIDs[i], nodeIDs[i]}
		if _, dup := index[kk]; dup {
			return nil, fmt.Errorf("node %s: tree %d has node %d twice", n.Label(), treeIDs[i], nodeIDs[i])
		}
		index[kk] = i
	}
	child := make([]bool, k)
	for i := range k {
		nd := &e.nodes[i]
		switch modes[i] {
		case "BRANCH_LEQ":
			nd.mode = splitLEQ
		case "BRANCH_LT":
			nd.mode = splitLT
		case "BRANCH_GTE":
			nd.mode = splitGTE
		case "BRANCH_GT":
			nd.mode = splitGT
		case "BRANCH_EQ":
			nd.mode = splitEQ
		case "BRANCH_NEQ":
			nd.mode = splitNEQ
		case "LEAF":
			nd.mode = splitLeaf
			continue
		default:
			return nil, fmt.Errorf("node %s: unknown node mode %q", n.Label(), modes[i])
		}
		if featIDs[i] < 0 || featIDs[i] > 1<<31 {
			return nil, fmt.Errorf("node %s: feature id %d out of range", n.Label(), featIDs[i])
		}
		nd.feature = int(featIDs[i])
		e.features = max(e.features, nd.feature+1)
		if len(values) > 0 {
			nd.value = values[i]
		}
		nd.missingTrue = len(missing) > 0 && missing[i] != 0
		yes, ok1 := index[key{treeIDs[i], trueIDs[i]}]
		no, ok2 := index[key{treeIDs[i], falseIDs[i]}]
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("node %s: node %d of tree %d branches to a node the tree does not have", n.Label(), nodeIDs[i], treeIDs[i])
		}
		nd.yes, nd.no = yes, no
		child[yes], child[no] = true, true
	}
	seen := map[int64]bool{}
	for i := range k {
		if !child[i] {
			if seen[treeIDs[i]] {
				return nil, fmt.Errorf("node %s: tree %d has more than one root", n.Label(), treeIDs[i])
			}
			seen[treeIDs[i]] = true
			e.roots = append(e.roots, i)
		}
	}
	// Leaf weights.
	wTree, err := ints(prefix + "_treeids")
	if err != nil {
		return nil, err
	}
	wNode, err := ints(prefix + "_nodeids")
	if err != nil {
		return nil, err
	}
	wID, err := ints(prefix + "_ids")
	if err != nil {
		return nil, err
	}
	weights, err := floatsOrTensor(n, prefix+"_weights")
	if err != nil {
		return nil, err
	}
	if len(wNode) != len(wTree) || len(wID) != len(wTree) || len(weights) != len(wTree) {
		return nil, fmt.Errorf("node %s: %s_treeids, _nodeids, _ids and _weights differ in length", n.Label(), prefix)
	}
	per := make([][]int, k) // weight entries per node, in order
	for j := range wTree {
		i, ok := index[key{wTree[j], wNode[j]}]
		if !ok {
			return nil, fmt.Errorf("node %s: a weight names node %d of tree %d, which does not exist", n.Label(), wNode[j], wTree[j])
		}
		if wID[j] < 0 || wID[j] >= int64(targets) {
			return nil, fmt.Errorf("node %s: weight for %s %d of %d", n.Label(), prefix, wID[j], targets)
		}
		per[i] = append(per[i], j)
	}
	for i := range e.nodes {
		nd := &e.nodes[i]
		nd.lo = len(e.leafWeights)
		for _, j := range per[i] {
			e.leafTargets = append(e.leafTargets, int(wID[j]))
			e.leafWeights = append(e.leafWeights, weights[j])
		}
		nd.hi = len(e.leafWeights)
	}
	if e.base, err = floatsOrTensor(n, "base_values"); err != nil {
		return nil, err
	}
	if e.post, err = postTransformAttr(n); err != nil {
		return nil, err
	}
	return e, checkAcyclic(n, e)
}

// checkAcyclic rejects trees whose branches loop (a walk would never end).
func checkAcyclic(n *graph.Node, e *treeEnsemble) error {
	state := make([]uint8, len(e.nodes)) // 0 new, 1 on the path, 2 done
	var visit func(i, depth int) error
	visit = func(i, depth int) error {
		if state[i] == 1 || depth > len(e.nodes) {
			return fmt.Errorf("node %s: a tree's branches form a cycle", n.Label())
		}
		if state[i] == 2 || e.nodes[i].mode == splitLeaf {
			return nil
		}
		state[i] = 1
		if err := visit(e.nodes[i].yes, depth+1); err != nil {
			return err
		}
		if err := visit(e.nodes[i].no, depth+1); err != nil {
			return err
		}
		state[i] = 2
		return nil
	}
	for _, r := range e.roots {
		if err := visit(r, 0); err != nil {
			return err
		}
	}
	return nil
}

func treeAggregate(n *graph.Node) (int, error) {
	return enumAttr(n, "aggregate_function", "SUM", enumChoice[int]{"AVERAGE", 0}, enumChoice[int]{"SUM", 1},
		enumChoice[int]{"MIN", 2}, enumChoice[int]{"MAX", 3})
}

// buildTreeRegressor compiles TreeEnsembleRegressor: Y [N, n_targets].
func buildTreeRegressor(n *graph.Node, _ int64) (operators.Kernel, error) {
	t, err := n.Int("n_targets", 1)
	if err != nil {
		return nil, err
	}
	if t <= 0 || t > 1<<24 {
		return nil, fmt.Errorf("node %s: n_targets %d out of range", n.Label(), t)
	}
	e, err := legacyTrees(n, "target", int(t))
	if err != nil {
		return nil, err
	}
	if e.agg, err = treeAggregate(n); err != nil {
		return nil, err
	}
	if len(e.base) != 0 && len(e.base) != e.targets {
		return nil, fmt.Errorf("node %s: %d base_values for %d targets", n.Label(), len(e.base), e.targets)
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		rows, _, err := mlRows(n, x)
		if err != nil {
			return nil, err
		}
		y := env.New(ops.Float32, rows, e.targets)
		ys := y.F32()
		_, err = e.forRows(n, x, func(r int, s []float64, _ []bool) {
			if len(e.base) > 0 {
				for i := range s {
					s[i] += e.base[i]
				}
			}
			e.post.apply(s)
			for i, v := range s {
				ys[r*e.targets+i] = float32(v)
			}
		})
		return []*ops.Tensor{y}, err
	}, nil
}

type treeClassifier struct {
	*treeEnsemble
	labels      classLabels
	binary      bool // two classes and weights for only one of them
	allPositive bool
}

func treeClassifierAttrs(n *graph.Node) (*treeClassifier, error) {
	labels, err := classLabelsAttr(n, "classlabels_int64s")
	if err != nil {
		return nil, err
	}
	if labels.count() == 0 {
		return nil, fmt.Errorf("node %s: TreeEnsembleClassifier needs classlabels_int64s or classlabels_strings", n.Label())
	}
	e, err := legacyTrees(n, "class", labels.count())
	if err != nil {
		return nil, err
	}
	e.agg = 1
	if len(e.base) > e.targets {
		return nil, fmt.Errorf("node %s: %d base_values for %d classes", n.Label(), len(e.base), e.targets)
	}
	c := &treeClassifier{treeEnsemble: e, labels: labels, allPositive: true}
	ids := map[int]bool{}
	for i, t := range e.leafTargets {
		ids[t] = true
		if e.leafWeights[i] < 0 {
			c.allPositive = false
		}
	}
	c.binary = labels.count() == 2 && len(ids) == 1
	return c, nil
}

func inferTreeClassifier(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	l, err := classLabelsAttr(n, "classlabels_int64s")
	if err != nil {
		return nil, err
	}
	return classifierOutputs(n, in, l.dtype(), operators.KnownDim(int64(l.count())))
}

// buildTreeClassifier compiles TreeEnsembleClassifier: per-class sums of
// the leaves' weights plus base values, the label of the largest. Two
// classes follow ONNX Runtime: with weights for one class only, its score
// s gives scores [1−s, s] and the positive label when s > 0.5 (all
// weights non-negative: probabilities) or [−s, s] and s > 0 (margins).
func buildTreeClassifier(n *graph.Node, _ int64) (operators.Kernel, error) {
	c, err := treeClassifierAttrs(n)
	if err != nil {
		return nil, err
	}
	e := c.targets
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		rows, _, err := mlRows(n, x)
		if err != nil {
			return nil, err
		}
		y := c.labels.newLabels(env, rows)
		z := env.New(ops.Float32, rows, e)
		zs := z.F32()
		_, err = c.forRows(n, x, func(r int, s []float64, has []bool) {
			out := zs[r*e : (r+1)*e]
			if e > 2 {
				for k := range c.base {
					s[k] += c.base[k]
					has[k] = true
				}
				best := -1
				for k, v := range s {
					if has[k] && (best < 0 || v > s[best]) {
						best = k
					}
				}
				c.labels.set(y, r, max(best, 0), int64(max(best, 0)))
				c.post.apply(s)
				for k, v := range s {
					out[k] = float32(v)
				}
				return
			}
			c.binaryRow(r, s, has, out, y)
		})
		return []*ops.Tensor{y, z}, err
	}, nil
}

// binaryRow finishes a two-class sample as ONNX Runtime does.
func (c *treeClassifier) binaryRow(r int, s []float64, has []bool, out []float32, y *ops.Tensor) {
	switch len(c.base) {
	case 2:
		if has[1] {
			s[1] = c.base[1] + s[0]
			s[0] = -s[1]
		} else {
			s[0] += c.base[0]
			s[1] += c.base[1]
		}
	case 1:
		s[0] += c.base[0]
	}
	single := !has[1] && len(c.base) != 2
	pos := 0.0
	switch {
	case has[1]:
		pos = s[1]
	case has[0]:
		pos = s[0]
	}
	k, v := 0, int64(0)
	probabilities := false
	if c.binary {
		if c.allPositive {
			probabilities = true
			if pos > 0.5 {
				k, v = 1, 1
			}
		} else if pos > 0 {
			k, v = 1, 1
		}
	} else if pos > 0 {
		k, v = -1, 1
	}
	if !c.binary {
		// ONNX Runtime's two-class model with weights for both classes
		// labels by the sign of the positive score (1 or 0).
		if v == 1 {
			k = 1
		} else {
			k = 0
		}
	}
	c.labels.set(y, r, k, v)
	if !single {
		c.post.apply(s)
		out[0], out[1] = float32(s[0]), float32(s[1])
		return
	}
	if c.post == postProbit {
		out[0], out[1] = float32(probit(s[0])), 0
		return
	}
	a, b := binaryScores(s[0], probabilities, c.post)
	out[0], out[1] = float32(a), float32(b)
}

// --- TreeEnsemble (opset 5) ---

func inferTreeEnsemble(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	t, err := n.Int("n_targets", 1)
	if err != nil {
		return nil, err
	}
	rows, err := rowsOf(in[0])
	if err != nil {
		return nil, err
	}
	return one(ranked(in[0].DType, graph.Shape{rows, operators.KnownDim(t)})), nil
}

// treeEnsembleAttrs reads TreeEnsemble's attributes: tree_roots index the
// node arrays; a branch whose nodes_trueleafs/falseleafs flag is set
// points into the leaf arrays instead; BRANCH_MEMBER (mode 6) nodes take
// their sets, in node order, from membership_values separated by NaN.
func treeEnsembleAttrs(n *graph.Node) (*treeEnsemble, error) {
	ints := func(name string) ([]int64, error) { return n.Ints(name, nil) }
	roots, err := ints("tree_roots")
	if err != nil {
		return nil, err
	}
	feat, err := ints("nodes_featureids")
	if err != nil {
		return nil, err
	}
	trueIDs, err := ints("nodes_truenodeids")
	if err != nil {
		return nil, err
	}
	falseIDs, err := ints("nodes_falsenodeids")
	if err != nil {
		return nil, err
	}
	trueLeaf, err := ints("nodes_trueleafs")
	if err != nil {
		return nil, err
	}
	falseLeaf, err := ints("nodes_falseleafs")
	if err != nil {
		return nil, err
	}
	missing, err := ints("nodes_missing_value_tracks_true")
	if err != nil {
		return nil, err
	}
	leafTargets, err := ints("leaf_targetids")
	if err != nil {
		return nil, err
	}
	tensorF64 := func(name string) ([]float64, error) {
		t, err := n.Tensor(name)
		if err != nil {
			return nil, err
		}
		return attrTensorFloat64s(n, name, t)
	}
	splits, err := tensorF64("nodes_splits")
	if err != nil {
		return nil, err
	}
	leafWeights, err := tensorF64("leaf_weights")
	if err != nil {
		return nil, err
	}
	members, err := tensorF64("membership_values")
	if err != nil {
		return nil, err
	}
	modesT, err := n.Tensor("nodes_modes")
	if err != nil {
		return nil, err
	}
	k := len(feat)
	var modes []uint8
	if modesT != nil {
		if modesT.DType != ops.Uint8 {
			return nil, fmt.Errorf("node %s: nodes_modes must be a uint8 tensor, is %s", n.Label(), modesT.DType)
		}
		modes = modesT.U8()
	}
	for name, l := range map[string]int{"nodes_truenodeids": len(trueIDs), "nodes_falsenodeids": len(falseIDs),
		"nodes_trueleafs": len(trueLeaf), "nodes_falseleafs": len(falseLeaf), "nodes_splits": len(splits), "nodes_modes": len(modes)} {
		if l != k {
			return nil, fmt.Errorf("node %s: %s has %d entries for %d nodes", n.Label(), name, l, k)
		}
	}
	if len(missing) != 0 && len(missing) != k {
		return nil, fmt.Errorf("node %s: nodes_missing_value_tracks_true has %d entries for %d nodes", n.Label(), len(missing), k)
	}
	if len(leafTargets) != len(leafWeights) || len(leafTargets) == 0 {
		return nil, fmt.Errorf("node %s: %d leaf_targetids for %d leaf_weights", n.Label(), len(leafTargets), len(leafWeights))
	}
	t, err := n.Int("n_targets", 1)
	if err != nil {
		return nil, err
	}
	if t <= 0 || t > 1<<24 {
		return nil, fmt.Errorf("node %s: n_targets %d out of range", n.Label(), t)
	}
	e := &treeEnsemble{targets: int(t), nodes: make([]treeNode, k, k+len(leafTargets))}
	// Leaves follow the branch nodes in the flat array.
	for j, tg := range leafTargets {
		if tg < 0 || tg >= t {
			return nil, fmt.Errorf("node %s: leaf target %d out of range [0, %d)", n.Label(), tg, t)
		}
		e.leafTargets = append(e.leafTargets, int(tg))
		e.leafWeights = append(e.leafWeights, leafWeights[j])
		e.nodes = append(e.nodes, treeNode{mode: splitLeaf, lo: j, hi: j + 1})
	}
	child := func(id, isLeaf int64) (int, error) {
		if isLeaf != 0 {
			if id < 0 || id >= int64(len(leafTargets)) {
				return 0, fmt.Errorf("node %s: leaf %d out of range [0, %d)", n.Label(), id, len(leafTargets))
			}
			return k + int(id), nil
		}
		if id < 0 || id >= int64(k) {
			return 0, fmt.Errorf("node %s: node %d out of range [0, %d)", n.Label(), id, k)
		}
		return int(id), nil
	}
	mi := 0
	for i := range k {
		nd := &e.nodes[i]
		if modes[i] > splitMember {
			return nil, fmt.Errorf("node %s: node mode %d out of range", n.Label(), modes[i])
		}
		nd.mode = modes[i]
		if feat[i] < 0 || feat[i] > 1<<31 {
			return nil, fmt.Errorf("node %s: feature id %d out of range", n.Label(), feat[i])
		}
		nd.feature = int(feat[i])
		e.features = max(e.features, nd.feature+1)
		nd.value = splits[i]
		nd.missingTrue = len(missing) > 0 && missing[i] != 0
		if nd.mode == splitMember {
			nd.set = map[float64]bool{}
			for mi < len(members) && !math.IsNaN(members[mi]) {
				nd.set[members[mi]] = true
				mi++
			}
			mi++ // the NaN separator
		}
		if nd.yes, err = child(trueIDs[i], trueLeaf[i]); err != nil {
			return nil, err
		}
		if nd.no, err = child(falseIDs[i], falseLeaf[i]); err != nil {
			return nil, err
		}
	}
	for _, r := range roots {
		if r < 0 || r >= int64(k) {
			return nil, fmt.Errorf("node %s: tree root %d out of range [0, %d)", n.Label(), r, k)
		}
		e.roots = append(e.roots, int(r))
	}
	agg, err := n.Int("aggregate_function", 1)
	if err != nil {
		return nil, err
	}
	// Opset 5 numbers: 0 AVERAGE, 1 SUM, 2 MIN, 3 MAX.
	if agg < 0 || agg > 3 {
		return nil, fmt.Errorf("node %s: aggregate_function %d out of range", n.Label(), agg)
	}
	e.agg = int(agg)
	post, err := n.Int("post_transform", 0)
	if err != nil {
		return nil, err
	}
	// Opset 5 numbers: 0 NONE, 1 SOFTMAX, 2 LOGISTIC, 3 SOFTMAX_ZERO, 4 PROBIT.
	switch post {
	case 0:
		e.post = postNone
	case 1:
		e.post = postSoftmax
	case 2:
		e.post = postLogistic
	case 3:
		e.post = postSoftmaxZero
	case 4:
		e.post = postProbit
	default:
		return nil, fmt.Errorf("node %s: post_transform %d out of range", n.Label(), post)
	}
	return e, checkAcyclic(n, e)
}

// buildTreeEnsemble compiles TreeEnsemble: Y [N, n_targets] in X's type.
func buildTreeEnsemble(n *graph.Node, _ int64) (operators.Kernel, error) {
	e, err := treeEnsembleAttrs(n)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		xf := x
		if x.DType == ops.Float16 {
			xf = ops.New(ops.Float64, x.Shape...)
			if err := ops.Cast(xf, x); err != nil {
				return nil, err
			}
		}
		rows, _, err := mlRows(n, x)
		if err != nil {
			return nil, err
		}
		y64 := make([]float64, rows*e.targets)
		_, err = e.forRows(n, xf, func(r int, s []float64, _ []bool) {
			e.post.apply(s)
			copy(y64[r*e.targets:], s)
		})
		if err != nil {
			return nil, err
		}
		y := env.New(x.DType, rows, e.targets)
		if err := ops.Cast(y, ops.FromFloat64([]int{rows, e.targets}, y64)); err != nil {
			return nil, err
		}
		return []*ops.Tensor{y}, nil
	}, nil
}

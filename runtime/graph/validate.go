package graph

import (
	"fmt"
	"sort"
)

// Validate checks the graph's structure: every node has an op type, every
// node input is a graph input, an initializer or the output of exactly one
// node, no value is defined twice, every graph output is defined, and the
// graph has no cycle. Subgraphs (If/Loop/Scan bodies) are checked with the
// enclosing graphs' values visible. Node order does not matter.
func (g *Graph) Validate() error {
	return g.validate(nil, "graph", freeMemo{})
}

// freeMemo caches each subgraph's free values so that validating and
// sorting nested subgraphs stays linear in the model size.
type freeMemo map[*Graph][]string

// scope is a chain of the value names visible from enclosing graphs.
type scope struct {
	names  map[string]bool
	parent *scope
}

func (s *scope) has(name string) bool {
	for ; s != nil; s = s.parent {
		if s.names[name] {
			return true
		}
	}
	return false
}

// definer describes what defines a value, for error messages.
func definerOf(g *Graph, name string, producer map[string]*Node) string {
	if n, ok := producer[name]; ok {
		return "node " + n.Label()
	}
	if _, ok := g.Initializers[name]; ok {
		return "an initializer"
	}
	return "a graph input"
}

func (g *Graph) validate(outer *scope, where string, memo freeMemo) error {
	if g.Name != "" {
		where = "graph " + g.Name
	}
	defined := map[string]bool{}
	for name := range g.Initializers {
		defined[name] = true
	}
	for _, vi := range g.Inputs {
		if defined[vi.Name] {
			return fmt.Errorf("%s: input %s is declared twice", where, vi.Name)
		}
		defined[vi.Name] = true
	}
	for _, vi := range g.OverridableInits {
		if _, ok := g.Initializers[vi.Name]; !ok {
			return fmt.Errorf("%s: overridable input %s has no initializer", where, vi.Name)
		}
	}
	producer := map[string]*Node{}
	for i, n := range g.Nodes {
		if n == nil {
			return fmt.Errorf("%s: node %d is nil", where, i)
		}
		if n.OpType == "" {
			return fmt.Errorf("%s: node %d (%q) has an empty op type", where, i, n.Name)
		}
		for _, out := range n.Outputs {
			if out == "" {
				continue
			}
			if p, ok := producer[out]; ok {
				return fmt.Errorf("%s: value %s is produced by both node %s and node %s", where, out, p.Label(), n.Label())
			}
			if defined[out] {
				return fmt.Errorf("%s: value %s is produced by node %s and is also %s", where, out, n.Label(), definerOf(g, out, producer))
			}
			producer[out] = n
		}
		for _, out := range n.Outputs {
			if out != "" {
				defined[out] = true
			}
		}
	}
	inner := &scope{names: defined, parent: outer}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in == "" || defined[in] || outer.has(in) {
				continue
			}
			return fmt.Errorf("%s: node %s: input %q is not produced by any node, initializer or graph input", where, n.Label(), in)
		}
		for _, name := range n.AttrOrderOrSorted() {
			a := n.Attrs[name]
			if a == nil {
				return fmt.Errorf("%s: node %s: attribute %q is nil", where, n.Label(), name)
			}
			sub := "subgraph " + name + " of node " + n.Label()
			if a.G != nil {
				if err := a.G.validate(inner, sub, memo); err != nil {
					return fmt.Errorf("%s: node %s: %w", where, n.Label(), err)
				}
			}
			for i, sg := range a.Graphs {
				if sg == nil {
					return fmt.Errorf("%s: node %s: attribute %q graph %d is nil", where, n.Label(), name, i)
				}
				if err := sg.validate(inner, fmt.Sprintf("%s[%d]", sub, i), memo); err != nil {
					return fmt.Errorf("%s: node %s: %w", where, n.Label(), err)
				}
			}
		}
	}
	for _, vi := range g.Outputs {
		if !defined[vi.Name] && !(outer != nil && outer.has(vi.Name)) {
			return fmt.Errorf("%s: output %s is not produced by any node, initializer or input", where, vi.Name)
		}
	}
	if _, err := g.order(memo); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	return nil
}

// AttrOrderOrSorted returns the node's attribute names in file order,
// followed (sorted) by any attributes added without an AttrOrder entry.
func (n *Node) AttrOrderOrSorted() []string {
	seen := make(map[string]bool, len(n.Attrs))
	var names []string
	for _, name := range n.AttrOrder {
		if _, ok := n.Attrs[name]; ok && !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	var extra []string
	for name := range n.Attrs {
		if !seen[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	return append(names, extra...)
}

// Sort orders the nodes topologically, keeping file order among nodes that
// are ready at the same time. A node that carries subgraphs depends on the
// producers of the outer values those subgraphs use. It fails, naming a node
// on the cycle, when the graph is cyclic. Subgraphs are sorted too.
func (g *Graph) Sort() error {
	return g.sort(freeMemo{})
}

// Order returns the nodes in the order Sort would give them, without
// changing g.
func (g *Graph) Order() ([]*Node, error) { return g.order(freeMemo{}) }

func (g *Graph) sort(memo freeMemo) error {
	order, err := g.order(memo)
	if err != nil {
		return err
	}
	g.Nodes = order
	for _, n := range g.Nodes {
		for _, a := range n.Attrs {
			if a == nil {
				continue
			}
			if a.G != nil {
				if err := a.G.sort(memo); err != nil {
					return fmt.Errorf("node %s: subgraph %s: %w", n.Label(), a.Name, err)
				}
			}
			for _, sg := range a.Graphs {
				if sg != nil {
					if err := sg.sort(memo); err != nil {
						return fmt.Errorf("node %s: subgraph %s: %w", n.Label(), a.Name, err)
					}
				}
			}
		}
	}
	return nil
}

// NodeInputs returns every value a node reads: its inputs plus the outer
// values its subgraphs use (implicit inputs), without duplicates or "".
func (n *Node) NodeInputs() []string { return n.inputs(freeMemo{}) }

func (n *Node) inputs(memo freeMemo) []string {
	seen := map[string]bool{"": true}
	var out []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, in := range n.Inputs {
		add(in)
	}
	for _, name := range n.AttrOrderOrSorted() {
		a := n.Attrs[name]
		if a == nil {
			continue
		}
		if a.G != nil {
			for _, s := range a.G.freeValues(memo) {
				add(s)
			}
		}
		for _, sg := range a.Graphs {
			if sg != nil {
				for _, s := range sg.freeValues(memo) {
					add(s)
				}
			}
		}
	}
	return out
}

// FreeValues lists the values a graph uses but does not define itself
// (outer-scope references of a subgraph), in first-use order.
func (g *Graph) FreeValues() []string { return g.freeValues(freeMemo{}) }

func (g *Graph) freeValues(memo freeMemo) []string {
	if fv, ok := memo[g]; ok {
		return fv
	}
	defined := map[string]bool{"": true}
	for name := range g.Initializers {
		defined[name] = true
	}
	for _, vi := range g.Inputs {
		defined[vi.Name] = true
	}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			defined[o] = true
		}
	}
	seen := map[string]bool{}
	var out []string
	for _, n := range g.Nodes {
		for _, in := range n.inputs(memo) {
			if !defined[in] && !seen[in] {
				seen[in] = true
				out = append(out, in)
			}
		}
	}
	for _, vi := range g.Outputs {
		if !defined[vi.Name] && !seen[vi.Name] {
			seen[vi.Name] = true
			out = append(out, vi.Name)
		}
	}
	memo[g] = out
	return out
}

// order computes a topological order (Kahn's algorithm, smallest file index
// first) without modifying the graph.
func (g *Graph) order(memo freeMemo) ([]*Node, error) {
	producer := map[string]int{}
	for i, n := range g.Nodes {
		if n == nil {
			return nil, fmt.Errorf("node %d is nil", i)
		}
		for _, o := range n.Outputs {
			if o != "" {
				producer[o] = i
			}
		}
	}
	deps := make([][]int, len(g.Nodes)) // deps[i]: producers node i waits for
	users := make([][]int, len(g.Nodes))
	pending := make([]int, len(g.Nodes))
	for i, n := range g.Nodes {
		seen := map[int]bool{}
		for _, in := range n.inputs(memo) {
			p, ok := producer[in]
			if !ok || seen[p] {
				continue
			}
			seen[p] = true
			deps[i] = append(deps[i], p)
			users[p] = append(users[p], i)
			pending[i]++
		}
	}
	// A min-heap of ready node indices keeps file order stable.
	ready := &intHeap{}
	for i := range g.Nodes {
		if pending[i] == 0 {
			ready.push(i)
		}
	}
	out := make([]*Node, 0, len(g.Nodes))
	for ready.len() > 0 {
		i := ready.pop()
		out = append(out, g.Nodes[i])
		for _, u := range users[i] {
			pending[u]--
			if pending[u] == 0 {
				ready.push(u)
			}
		}
	}
	if len(out) == len(g.Nodes) {
		return out, nil
	}
	// Walk back from any unscheduled node through unscheduled producers
	// until a node repeats: that node lies on a cycle.
	start := -1
	for i := range g.Nodes {
		if pending[i] > 0 {
			start = i
			break
		}
	}
	visited := map[int]int{}
	path := []int{}
	cur := start
	for {
		if at, ok := visited[cur]; ok {
			cyc := path[at:]
			names := make([]string, len(cyc))
			for k := range cyc {
				// path follows producers; print in data-flow order.
				names[len(cyc)-1-k] = g.Nodes[cyc[k]].Label()
			}
			return nil, fmt.Errorf("cycle through node %s (%s)", g.Nodes[cur].Label(), joinArrow(names))
		}
		visited[cur] = len(path)
		path = append(path, cur)
		next := -1
		for _, p := range deps[cur] {
			if pending[p] > 0 {
				next = p
				break
			}
		}
		if next < 0 { // cannot happen: an unscheduled node waits on one
			return nil, fmt.Errorf("cycle involving node %s", g.Nodes[cur].Label())
		}
		cur = next
	}
}

func joinArrow(names []string) string {
	s := ""
	for i, n := range names {
		if i > 0 {
			s += " -> "
		}
		s += n
	}
	return s
}

type intHeap struct{ a []int }

func (h *intHeap) len() int { return len(h.a) }

func (h *intHeap) push(v int) {
	h.a = append(h.a, v)
	i := len(h.a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h.a[p] <= h.a[i] {
			break
		}
		h.a[p], h.a[i] = h.a[i], h.a[p]
		i = p
	}
}

func (h *intHeap) pop() int {
	top := h.a[0]
	last := len(h.a) - 1
	h.a[0] = h.a[last]
	h.a = h.a[:last]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h.a) && h.a[l] < h.a[m] {
			m = l
		}
		if r < len(h.a) && h.a[r] < h.a[m] {
			m = r
		}
		if m == i {
			return top
		}
		h.a[i], h.a[m] = h.a[m], h.a[i]
		i = m
	}
}

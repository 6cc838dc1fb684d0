package compiler

import (
	"slices"
	"strings"
)

// The dependency graph: map A depends on map B when a field of A looks up B.
// First-pass lookups order the maps into stages; second-pass lookups are
// written after both records exist, so they break cycles.

type edge struct {
	from, to *srcMap
	field    *srcField
	second   bool
}

// edges returns every lookup between two distinct, existing maps.
func (s *srcMaps) edges() []edge {
	var es []edge
	for _, m := range s.Maps {
		for _, f := range m.Fields {
			if !f.Lookup.Set {
				continue
			}
			t := s.byName[f.Lookup.V]
			if t == nil || t == m {
				continue
			}
			es = append(es, edge{from: m, to: t, field: f, second: f.SecondPass.Set})
		}
	}
	return es
}

// cycles returns the strongly connected components of more than one map in
// the graph of first-pass lookups, each sorted by name, in name order.
func (s *srcMaps) cycles() [][]*srcMap {
	adj := map[*srcMap][]*srcMap{}
	for _, e := range s.edges() {
		if !e.second {
			adj[e.from] = append(adj[e.from], e.to)
		}
	}
	// Tarjan's algorithm.
	index := map[*srcMap]int{}
	low := map[*srcMap]int{}
	on := map[*srcMap]bool{}
	var stack []*srcMap
	var out [][]*srcMap
	next := 0
	var visit func(v *srcMap)
	visit = func(v *srcMap) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		on[v] = true
		for _, w := range adj[v] {
			if _, seen := index[w]; !seen {
				visit(w)
				low[v] = min(low[v], low[w])
			} else if on[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			var comp []*srcMap
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				on[w] = false
				comp = append(comp, w)
				if w == v {
					break
				}
			}
			if len(comp) > 1 {
				slices.SortFunc(comp, func(a, b *srcMap) int { return strings.Compare(a.Name, b.Name) })
				out = append(out, comp)
			}
		}
	}
	for _, m := range s.sorted() {
		if _, seen := index[m]; !seen {
			visit(m)
		}
	}
	slices.SortFunc(out, func(a, b []*srcMap) int { return strings.Compare(a[0].Name, b[0].Name) })
	return out
}

// sorted returns the maps sorted by name.
func (s *srcMaps) sorted() []*srcMap {
	ms := slices.Clone(s.Maps)
	slices.SortFunc(ms, func(a, b *srcMap) int { return strings.Compare(a.Name, b.Name) })
	return ms
}

// stages layers the maps so that every first-pass lookup points to an
// earlier stage. It assumes the first-pass graph is acyclic (checked by
// checkCycles); maps left in a cycle are put in a final stage.
func (s *srcMaps) stages() [][]*srcMap {
	deps := map[*srcMap]map[*srcMap]bool{}
	for _, m := range s.Maps {
		deps[m] = map[*srcMap]bool{}
	}
	for _, e := range s.edges() {
		if !e.second {
			deps[e.from][e.to] = true
		}
	}
	done := map[*srcMap]bool{}
	var out [][]*srcMap
	for len(done) < len(s.Maps) {
		var stage []*srcMap
		for _, m := range s.sorted() {
			if done[m] {
				continue
			}
			ready := true
			for d := range deps[m] {
				if !done[d] {
					ready = false
					break
				}
			}
			if ready {
				stage = append(stage, m)
			}
		}
		if len(stage) == 0 {
			for _, m := range s.sorted() {
				if !done[m] {
					stage = append(stage, m)
				}
			}
		}
		for _, m := range stage {
			done[m] = true
		}
		out = append(out, stage)
	}
	return out
}

// cycleThrough returns the maps on a shortest path from e.to back to e.from
// over all lookups, starting with e.from: the cycle that edge e closes. It
// returns nil when e closes no cycle.
func (s *srcMaps) cycleThrough(e edge) []string {
	adj := map[*srcMap][]*srcMap{}
	for _, x := range s.edges() {
		adj[x.from] = append(adj[x.from], x.to)
	}
	prev := map[*srcMap]*srcMap{e.to: nil}
	queue := []*srcMap{e.to}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		if v == e.from {
			var path []string
			for w := v; w != nil; w = prev[w] {
				path = append(path, w.Name)
			}
			// path runs from e.from back to e.to; the cycle reads
			// e.from -> e.to -> ... -> e.from.
			cycle := []string{path[0]}
			for i := len(path) - 1; i >= 1; i-- {
				cycle = append(cycle, path[i])
			}
			return cycle
		}
		next := slices.Clone(adj[v])
		slices.SortFunc(next, func(a, b *srcMap) int { return strings.Compare(a.Name, b.Name) })
		for _, w := range next {
			if _, seen := prev[w]; !seen {
				prev[w] = v
				queue = append(queue, w)
			}
		}
	}
	return nil
}

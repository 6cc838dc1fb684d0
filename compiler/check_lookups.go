package compiler

import (
	"cmp"
	"slices"
	"strings"

	"github.com/dualsync/dualsync/runtime/plan"
)

// Lookups. A field with lookup: "other" references a record of map other;
// the runtime resolves it through other's key on the side it writes to, so
// the parent must exist there: other must exist, must not be excluded, and
// must carry records the way this field flows. Lookups order the maps; a
// cycle of first-pass lookups cannot be ordered and has to be broken by
// writing one of its lookups in a second pass.

// checkLookups reports DS170-DS172, DS174 and DS175/DS176.
func checkLookups(c *checker) {
	names := make([]string, 0, len(c.src.Maps))
	for _, m := range c.src.Maps {
		names = append(names, m.Name)
	}
	slices.Sort(names)
	for _, m := range c.src.Maps {
		for _, f := range m.Fields {
			checkSecondPass(c, m, f)
			if !f.Lookup.Set {
				continue
			}
			t := c.src.byName[f.Lookup.V]
			if t == nil {
				if e := c.excl[f.Lookup.V]; e != nil {
					c.report(f.Lookup.Pos, CodeLookupExcluded, f.Path+".lookup",
						"lookup names exclusion %q (%s): its records never sync, so this reference could never be resolved; drop the lookup or map the entity",
						e.Name, exclusionWhat(e))
					continue
				}
				c.report(f.Lookup.Pos, CodeLookupUnknown, f.Path+".lookup",
					"lookup names map %q, which does not exist%s", f.Lookup.V, suggest(f.Lookup.V, names))
				continue
			}
			if e := excludedBy(c, t); e != nil {
				c.report(f.Lookup.Pos, CodeLookupExcluded, f.Path+".lookup",
					"lookup names map %q, which syncs %s, excluded by exclude.%s: its records must not sync, so this reference could never be resolved",
					t.Name, exclusionWhat(e), e.Name)
			}
			checkLookupDirection(c, m, f, t)
			checkLookupColumn(c, m, f, t)
		}
	}
}

// excludedBy returns the exclusion that names one of m's sides, if any.
func excludedBy(c *checker, m *srcMap) *srcExclusion {
	for _, e := range c.src.Excludes {
		if e.FO.Set && e.FO.V == m.FOEntity.V || e.DV.Set && e.DV.V == m.DVTable.V {
			return e
		}
	}
	return nil
}

func exclusionWhat(e *srcExclusion) string {
	var s []string
	if e.FO.Set {
		s = append(s, "F&O entity "+e.FO.V)
	}
	if e.DV.Set {
		s = append(s, "Dataverse table "+e.DV.V)
	}
	if len(s) == 0 {
		return "no entity"
	}
	return strings.Join(s, ", ")
}

// checkLookupDirection reports a looked-up map that does not carry records
// the way the field flows (DS172): a field flowing from S to T writes a
// reference on T, so the parent must have been carried from S to T.
func checkLookupDirection(c *checker, m *srcMap, f *srcField, t *srcMap) {
	fd := fieldDirection(m, f)
	td := plan.Direction(t.Direction.V)
	for _, from := range []plan.Side{plan.FO, plan.DV} {
		if !fd.Flows(from) || td.Flows(from) {
			continue
		}
		to := from.Other()
		need := plan.FOToDV
		if from == plan.DV {
			need = plan.DVToFO
		}
		c.report(f.Lookup.Pos, CodeLookupDirection, f.Path+".lookup",
			"field %s flows from %s to %s, but map %q carries records %s only: a parent created in %s never reaches %s, so the reference could not be resolved there; make %q %s or bidirectional, or stop this field flowing to %s",
			f.FO, systemName(from), systemName(to), t.Name, td, systemName(from), systemName(to), t.Name, need, systemName(to))
		return
	}
}

// checkLookupColumn reports a Dataverse column that cannot hold a reference
// to the looked-up map's table (DS174).
func checkLookupColumn(c *checker, m *srcMap, f *srcField, t *srcMap) {
	dt := c.dv[m]
	if dt == nil || c.dv[t] == nil || !f.DV.Set {
		return
	}
	col := dt.Fields[f.DV.V]
	if col == nil {
		return // DS104 reports the unknown column
	}
	if col.Type != plan.Lookup {
		c.report(f.DV.Pos, CodeLookupTarget, f.Path+".dv",
			"Dataverse column %q is a %s, not a lookup: a lookup field must name the table's lookup column to map %q's table %q",
			f.DV.V, col.Type, t.Name, t.DVTable.V)
		return
	}
	if !slices.Contains(col.Targets, t.DVTable.V) {
		c.report(f.Lookup.Pos, CodeLookupTarget, f.Path+".lookup",
			"lookup column %q points to %s, not to table %q of map %q: look up the map that syncs %s, or use a column that points to %q",
			f.DV.V, quoteList(col.Targets), t.DVTable.V, t.Name, orList(col.Targets), t.DVTable.V)
	}
}

func orList(names []string) string {
	switch len(names) {
	case 0:
		return "its target"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// checkSecondPass reports secondPass without a lookup or without a
// rationale (DS175), and a second pass that breaks no cycle (DS176).
func checkSecondPass(c *checker, m *srcMap, f *srcField) {
	if !f.SecondPass.Set {
		return
	}
	path := f.Path + ".secondPass"
	switch {
	case !f.Lookup.Set:
		c.report(f.SecondPass.Pos, CodeSecondPassNoWhy, path,
			"secondPass is set on field %s, which has no lookup: only a lookup can be written in a second pass; remove it", f.FO)
		return
	case strings.TrimSpace(f.SecondPass.V) == "":
		c.report(f.SecondPass.Pos, CodeSecondPassNoWhy, path,
			"secondPass is blank: say why this reference is written after both records exist, e.g. which cycle it breaks")
		return
	}
	checkWhy(c, f.SecondPass, path, "secondPass rationale")
	t := c.src.byName[f.Lookup.V]
	if t == nil || t == m {
		return // unknown maps are DS170; a self-reference may need two passes
	}
	if c.src.cycleThrough(edge{from: m, to: t, field: f, second: true}) == nil {
		c.report(f.SecondPass.Pos, CodeSecondPassNoCycle, path,
			"secondPass on a lookup to %q that closes no cycle: the reference stays empty until the second pass for no reason; remove secondPass", t.Name)
	}
}

// checkCycles reports each strongly connected group of maps in the graph of
// first-pass lookups once (DS173). The report sits at the group's lookup
// that comes first in source order (file, line, column), a line the author
// can edit to break it, and names the shortest cycle through that lookup
// with every lookup on it. Breaking that cycle may leave another in a larger
// group; vet then reports that one.
func checkCycles(c *checker) {
	for _, comp := range c.src.cycles() {
		in := map[*srcMap]bool{}
		for _, m := range comp {
			in[m] = true
		}
		var es []edge
		for _, e := range c.src.edges() {
			if !e.second && in[e.from] && in[e.to] {
				es = append(es, e)
			}
		}
		if len(es) == 0 {
			continue
		}
		slices.SortFunc(es, func(a, b edge) int { return comparePos(a.field.Lookup.Pos, b.field.Lookup.Pos) })
		cycle := cycleEdges(es, es[0])
		first := cycle[0]
		names := []string{cycle[0].from.Name}
		fields := make([]string, len(cycle))
		for i, e := range cycle {
			names = append(names, e.to.Name)
			fields[i] = e.field.Path
		}
		c.report(first.field.Lookup.Pos, CodeCycle, first.field.Path+".lookup",
			"lookups form a cycle %s that nothing breaks: mark one of them (%s) secondPass: \"<why>\" so it is written after both records exist",
			strings.Join(names, " -> "), strings.Join(fields, ", "))
	}
}

// cycleEdges returns the edges of a shortest cycle through start, using
// only the edges in es, starting with start.
func cycleEdges(es []edge, start edge) []edge {
	out := map[*srcMap][]edge{}
	for _, e := range es {
		out[e.from] = append(out[e.from], e)
	}
	via := map[*srcMap]edge{}
	seen := map[*srcMap]bool{start.to: true}
	queue := []*srcMap{start.to}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		if v == start.from {
			var path []edge
			for w := v; w != start.to; w = via[w].from {
				path = append(path, via[w])
			}
			slices.Reverse(path)
			return append([]edge{start}, path...)
		}
		for _, e := range out[v] {
			if !seen[e.to] {
				seen[e.to] = true
				via[e.to] = e
				queue = append(queue, e.to)
			}
		}
	}
	return []edge{start}
}

func comparePos(a, b plan.Pos) int {
	return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
}

// lookupCount returns the number of lookup fields of m.
func lookupCount(m *srcMap) int {
	n := 0
	for _, f := range m.Fields {
		if f.Lookup.Set {
			n++
		}
	}
	return n
}

// systemName names a side for messages.
func systemName(s plan.Side) string {
	if s == plan.FO {
		return "F&O"
	}
	return "Dataverse"
}

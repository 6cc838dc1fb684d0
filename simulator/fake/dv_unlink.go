package fake

import (
	"cmp"
	"slices"

	"github.com/dualsync/dualsync/runtime/engine"
)

// Relationship behaviour on delete. The lookups the plan maps are
// Dataverse's typical ones, whose delete behaviour is "remove link": when
// a referenced record is deleted, the service clears every lookup that
// pointed to it. Each referencing record is updated like any write, with a
// new version and modifiedon, so the change appears on the change feed.
// The company lookup (a key field) is never cleared: companies are not
// deleted here.

// linkUndo is how to put one referencing record back.
type linkUndo struct {
	t      *dvTable
	r      *dvRow
	prev   dvRow
	logLen int
	latest int64
}

// unlink clears the lookups that reference record id of table t, tables
// in name order and records in version order, and returns how to put them
// back (nil when nothing referenced it). It is called with the lock held.
func (s *DV) unlink(t *dvTable, id string) func() {
	var undo []linkUndo
	for _, name := range s.Sets() {
		rt := s.tables[name]
		var fields []string
		for _, n := range rt.def.sortedFields() {
			if f := rt.def.fields[n]; f.target == t.def.name && !f.key {
				fields = append(fields, n)
			}
		}
		if len(fields) == 0 {
			continue
		}
		var hit []*dvRow
		for _, r := range rt.byID {
			if slices.ContainsFunc(fields, func(n string) bool { return links(r.vals[n], id) }) {
				hit = append(hit, r)
			}
		}
		slices.SortFunc(hit, func(a, b *dvRow) int { return cmp.Compare(a.ver, b.ver) })
		for _, r := range hit {
			undo = append(undo, linkUndo{t: rt, r: r, prev: *r, logLen: len(rt.log), latest: rt.latest[r.id]})
			vals := cloneValues(r.vals)
			for _, n := range fields {
				if links(vals[n], id) {
					vals[n] = engine.Null()
				}
			}
			s.ver++
			r.vals, r.ver, r.mod = vals, s.ver, s.stamp()
			rt.record(r.id, r.ver, false)
		}
	}
	if len(undo) == 0 {
		return nil
	}
	return func() {
		for i := len(undo) - 1; i >= 0; i-- {
			u := undo[i]
			*u.r = u.prev
			u.t.log = slices.Delete(u.t.log, u.logLen, len(u.t.log))
			u.t.latest[u.r.id] = u.latest
		}
	}
}

// links reports whether lookup value v holds GUID id.
func links(v engine.Value, id string) bool {
	s, ok := v.AsString()
	return ok && s == id
}

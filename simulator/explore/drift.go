package explore

import (
	"fmt"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// Links the service clears.
//
// Dataverse links by id, and its lookups' delete behaviour is "remove
// link": deleting a record (by a user on Dataverse, or by the engine
// propagating a delete from F&O) clears every lookup that named it, as a
// write of the referencing record. The checker replays each Dataverse
// lookup from the history and the engine's writes to know when that
// happened:
//
//   - on a field that flows from Dataverse (contact's parent customer) the
//     engine observes the cleared link as a Dataverse edit made at the
//     delete's time, and the plan's rule decides it against edits on
//     F&O; the expectation of the field is therefore not held against a
//     value set before the clear (compare);
//   - on a field that flows one way to Dataverse (invoice's customer and
//     payment terms) the engine does not read the target side, so F&O
//     keeps its value and Dataverse holds null: target drift, which only a
//     reconciliation detects. That difference, and exactly it, is the
//     exemption TargetDrift: it is counted (Case.Exemptions,
//     Outcome.Exemptions, Summary.Exempted), and the record's other fields
//     and properties are still checked.

// TargetDrift names the exemption of a one-way map's Dataverse lookup the
// service cleared because the record it named was deleted on Dataverse.
const TargetDrift = "target drift (reconciliation)"

// Exemption is a difference the checker accepts for a documented reason.
type Exemption struct {
	Name    string
	Record  RecID
	Field   string // by its F&O name
	Message string
}

func (e Exemption) String() string {
	return fmt.Sprintf("%s: %s %s: %s", e.Name, e.Record, e.Field, e.Message)
}

// dvLink is the replay of one record's Dataverse lookup.
type dvLink struct {
	clears  []int // positions at which the service cleared it
	cleared bool  // its last change was a clear by the service
	ref     string
}

// opPos and writePos order user operations and engine writes: operation i
// comes after the writes sent before it (OpResult.WritesBefore) and after
// the operations before it.
func (c *Case) opPos(i int) int { return (2*c.Outcome.Ops[i].WritesBefore)<<20 | i }
func writePos(w int) int        { return (2*w + 1) << 20 }

// replayLink replays lookup field fi of record id on Dataverse over the
// user operations and the first n engine writes.
func (c *Case) replayLink(id RecID, fi *fieldInfo, n int) dvLink {
	var l dvLink
	set := func(v engine.Value) {
		l.ref, l.cleared = "", false
		if s, ok := v.AsString(); ok {
			l.ref = s
		}
	}
	del := func(m, key string, pos int) {
		switch {
		case m == id.Map && key == id.Key:
			l.ref, l.cleared = "", false
		case m == fi.ref.m.Name && key == l.ref && l.ref != "":
			l.ref, l.cleared = "", true
			l.clears = append(l.clears, pos)
		}
	}
	w := 0
	writes := func(upto int) {
		for ; w < upto && w < n && w < len(c.Outcome.Writes); w++ {
			wr := &c.Outcome.Writes[w]
			if wr.Side != plan.DV || !wr.Acked {
				continue
			}
			switch {
			case wr.Op == engine.OpDelete:
				del(wr.Map, wr.Key, writePos(w))
			case wr.Op == engine.OpUpsert && wr.Map == id.Map && wr.Key == id.Key:
				for _, fv := range wr.Values {
					if fv.Field == fi.f.DV {
						set(fv.Value)
					}
				}
			}
		}
	}
	for i := range c.History.Ops {
		writes(c.Outcome.Ops[i].WritesBefore)
		op := &c.History.Ops[i]
		if op.Side != plan.DV || !c.applied(i) {
			continue
		}
		switch op.Kind {
		case Delete:
			del(op.Map, op.Key, c.opPos(i))
		case Put:
			if op.Map == id.Map && op.Key == id.Key {
				if v, ok := op.Value(fi.f.DV); ok {
					set(v)
				}
			}
		}
	}
	writes(n)
	return l
}

// clearedSince reports whether the service cleared lookup fi of record id
// on Dataverse, within the writes of snapshot s, since the sides last
// agreed on the record before user operation k (its last clean point):
// an edit on Dataverse in the same segment as k, or after it.
func (c *Case) clearedSince(s *Snapshot, id RecID, fi *fieldInfo, k int) bool {
	if fi.ref == nil {
		return false
	}
	from := 0
	for b := k - 1; b >= 0; b-- {
		if c.History.Ops[b].Kind == Sync && c.clean(id, b) {
			// What the sync did is settled once it ended clean.
			from = (2 * c.Outcome.Ops[b+1].WritesBefore) << 20
			break
		}
	}
	for _, p := range c.replayLink(id, fi, s.Writes).clears {
		if p >= from {
			return true
		}
	}
	return false
}

// unlinked reports whether the service cleared any lookup of record id on
// Dataverse since the sides last agreed before user operation k (see
// clearedSince).
func (c *Case) unlinked(s *Snapshot, id RecID, k int) bool {
	mi := c.md.maps[id.Map]
	for j := range mi.fields {
		if c.clearedSince(s, id, &mi.fields[j], k) {
			return true
		}
	}
	return false
}

// targetDrift reports whether field fi of record id differs in s only
// because of target drift: the field flows one way from F&O, Dataverse
// holds null because the service cleared the link when the record it
// named was deleted on Dataverse, nothing set it since, and F&O still
// names a record.
func (c *Case) targetDrift(s *Snapshot, id RecID, fi *fieldInfo) bool {
	if fi.ref == nil || fi.owner != plan.FO {
		return false
	}
	p := s.Rows[id]
	if p == nil || p.FO == nil || p.DV == nil || !p.DV[fi.f.DV].IsNull() {
		return false
	}
	if v := p.FO[fi.f.FO]; v.IsNull() {
		return false
	} else if str, ok := v.AsString(); ok && str == "" {
		return false
	}
	return c.replayLink(id, fi, s.Writes).cleared
}

// exempt records an exemption once.
func (c *Case) exempt(e Exemption) {
	for _, x := range c.exemptions {
		if x.Name == e.Name && x.Record == e.Record && x.Field == e.Field {
			return
		}
	}
	c.exemptions = append(c.exemptions, e)
}

// Exemptions returns the differences the checks accepted for a documented
// reason (TargetDrift), after Check.
func (c *Case) Exemptions() []Exemption { return c.exemptions }

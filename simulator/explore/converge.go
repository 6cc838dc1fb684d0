package explore

import (
	"fmt"
	"strings"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// Convergence and nothing silently lost.
//
// A record may legitimately differ between the two sides only for a
// reason the plan or the engine documents:
//
//   - it is in the error queue (a person decides);
//   - it was deleted on a side whose delete action is ignore, and not
//     created again there since: the other side keeps its copy;
//   - it exists only on a side its map does not flow from (a copy made
//     there, which the engine never writes back);
//   - the engine refused to resurrect it: an update on one side of a
//     record deleted on the other, logged as a conflict decided by the
//     delete rule.
//
// Before the queue is retried (Outcome.Healed) every difference must have
// one of these reasons: otherwise something was lost silently. After the
// queue is retried (Outcome.Final) only dependency errors may remain (a
// parent that never came), and every other record must have converged.

func checkSilentLoss(c *Case) []Violation {
	s := &c.Outcome.Healed
	var out []Violation
	for _, id := range sortedRecords(s) {
		diff := c.difference(id, s)
		if diff == "" || s.queued(id) {
			continue
		}
		if why := c.allowedDifference(id, s); why != "" {
			continue
		}
		out = append(out, Violation{Property: NothingSilentlyLost, Record: id,
			Message: diff + ", and the record has no error-queue entry after the faults healed"})
	}
	return out
}

func checkConvergence(c *Case) []Violation {
	s := &c.Outcome.Final
	var out []Violation
	for _, id := range sortedRecords(s) {
		diff := c.difference(id, s)
		if diff == "" || c.allowedDifference(id, s) != "" {
			continue
		}
		if cls := queuedClasses(s, id); len(cls) > 0 {
			if onlyDependency(cls) || !c.Outcome.RetriedQueue {
				continue
			}
			diff += fmt.Sprintf(" (still queued as %s after the faults healed and the queue was retried)", strings.Join(cls, ", "))
		}
		out = append(out, Violation{Property: Convergence, Record: id, Message: diff})
	}
	return out
}

func queuedClasses(s *Snapshot, id RecID) []string {
	var out []string
	for i := range s.Errors {
		if e := &s.Errors[i]; e.Map == id.Map && e.Key == id.Key {
			out = append(out, string(e.Class))
		}
	}
	return out
}

func onlyDependency(cls []string) bool {
	for _, c := range cls {
		if c != string(engine.Dependency) {
			return false
		}
	}
	return true
}

// difference says how the two sides' copies of record id differ in s, or
// "" when they agree.
func (c *Case) difference(id RecID, s *Snapshot) string {
	mi := c.md.maps[id.Map]
	p := s.Rows[id]
	if mi == nil || p == nil {
		return ""
	}
	switch {
	case p.FO == nil && p.DV == nil:
		return ""
	case p.FO == nil:
		return "only dv has the record"
	case p.DV == nil:
		return "only fo has the record"
	}
	var diffs []string
	for i := range mi.fields {
		fi := &mi.fields[i]
		a := common(mi, fi, plan.FO, id.Key, p.FO[fi.f.FO])
		b := common(mi, fi, plan.DV, id.Key, p.DV[fi.f.DV])
		if !equivalent(fi, a, b) && !equivalent(fi, c.deref(s, id, fi, plan.FO, a), c.deref(s, id, fi, plan.DV, b)) {
			if c.targetDrift(s, id, fi) {
				c.exempt(Exemption{Name: TargetDrift, Record: id, Field: fi.f.FO, Message: fmt.Sprintf(
					"fo %s, dv null: Dataverse cleared the link when the record it named was deleted there, and the engine does not read the side the map flows to",
					c.describe(p.FO[fi.f.FO]))})
				continue
			}
			diffs = append(diffs, fmt.Sprintf("%s: fo %s, dv %s", fi.f.FO, c.describe(p.FO[fi.f.FO]), c.describe(p.DV[fi.f.DV])))
		}
	}
	if len(diffs) == 0 {
		return ""
	}
	return "the sides differ: " + strings.Join(diffs, "; ")
}

// allowedDifference returns the documented reason why record id may differ
// between the sides in s, or "".
func (c *Case) allowedDifference(id RecID, s *Snapshot) string {
	mi := c.md.maps[id.Map]
	p := s.Rows[id]
	for _, side := range []plan.Side{plan.FO, plan.DV} {
		if p.Side(side) != nil && p.Side(side.Other()) == nil && !mi.flowsFrom(side) {
			return "exists only on " + string(side) + ", which the map does not flow from"
		}
	}
	// The last applied delete of the record, and whether its side created
	// the record again afterwards.
	last := -1
	for i := range c.History.Ops {
		op := &c.History.Ops[i]
		if !op.Touches(id.Map, id.Key) || !c.applied(i) {
			continue
		}
		if op.Kind == Delete {
			last = i
		} else if last >= 0 && op.Side == c.History.Ops[last].Side {
			last = -1
		}
	}
	if last >= 0 && mi.deleteAction(c.History.Ops[last].Side) == plan.Ignore {
		return "deleted on " + string(c.History.Ops[last].Side) + " with delete action ignore"
	}
	if last >= 0 && !mi.flowsFrom(c.History.Ops[last].Side) {
		return "deleted on " + string(c.History.Ops[last].Side) + ", which the map does not flow from"
	}
	for i := range s.Conflicts {
		cf := &s.Conflicts[i]
		if cf.Map == id.Map && cf.Key == id.Key && cf.Rule == engine.RuleDelete {
			return "an update of a deleted record was refused (logged under the delete rule)"
		}
	}
	return ""
}

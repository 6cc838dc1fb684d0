package explore

import (
	"fmt"
	"strings"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// No lost update.
//
// Where the expectation model knows a field was edited on one side only
// (rules.go), both sides must hold that edit. Everywhere else, because
// every value is unique, each final value of a traceable field names the
// Put that wrote it, and that Put must be one that could win: a write of
// this record and field that the service accepted, and not one its own
// side replaced later (without a delete in between). A value replaced on
// its own side that comes back is a lost update, whatever the rules.

func checkLostUpdates(c *Case) []Violation {
	var out []Violation
	for _, re := range c.cachedExpectations() {
		out = append(out, c.compare(re, false)...)
	}
	seen := map[[2]string]bool{}
	for _, s := range []struct {
		snap *Snapshot
		when string
	}{{&c.Outcome.Healed, "after the faults healed"}, {&c.Outcome.Final, "after the error queue was retried"}} {
		for _, v := range c.traceValues(s.snap, s.when) {
			k := [2]string{v.Record.String(), v.Field}
			if !seen[k] {
				seen[k] = true
				out = append(out, v)
			}
		}
	}
	return dedupe(out)
}

// traceValues checks every traceable value of the records in s that both
// sides have and that are not in the error queue: one violation per
// field at most.
func (c *Case) traceValues(s *Snapshot, when string) []Violation {
	var out []Violation
	for _, id := range sortedRecords(s) {
		mi := c.md.maps[id.Map]
		p := s.Rows[id]
		if mi == nil || p.FO == nil || p.DV == nil || s.queued(id) {
			continue
		}
		for j := range mi.fields {
			fi := &mi.fields[j]
			if !traceable(fi.f) {
				continue
			}
			var sides []string
			var bad string
			var v engine.Value
			for _, side := range []plan.Side{plan.FO, plan.DV} {
				val := p.Side(side)[fi.name(side)]
				if why := c.traceValue(id, mi, fi, val); why != "" && (bad == "" || why == bad) {
					sides, bad, v = append(sides, string(side)), why, val
				}
			}
			if bad != "" {
				out = append(out, Violation{Property: NoLostUpdate, Record: id, Field: fi.f.FO, Message: fmt.Sprintf(
					"%s %s %s %s: %s", strings.Join(sides, " and "), map[bool]string{true: "hold", false: "holds"}[len(sides) > 1], v, when, bad)})
			}
		}
	}
	return out
}

// traceValue says why value v of field fi of record id could not have
// won, or "".
func (c *Case) traceValue(id RecID, mi *mapInfo, fi *fieldInfo, v engine.Value) string {
	n, ok := token(v)
	if !ok {
		return ""
	}
	k, ok := c.writers[n]
	if !ok {
		return ""
	}
	op := &c.History.Ops[k]
	switch {
	case !op.Touches(id.Map, id.Key) || mi.field(op.Side, fi.name(op.Side)) == nil:
		return fmt.Sprintf("it was written to another record or field by %s", c.opName(k))
	case !c.applied(k):
		return fmt.Sprintf("%s, which the service refused, wrote it", c.opName(k))
	}
	if later := c.replacedLater(id, fi, k); later >= 0 {
		return fmt.Sprintf("%s wrote it, but %s replaced it on %s later", c.opName(k), c.opName(later), op.Side)
	}
	return ""
}

// replacedLater returns an applied Put after operation k, on k's side, of
// the same record and field, with no delete of the record in between; or
// -1.
func (c *Case) replacedLater(id RecID, fi *fieldInfo, k int) int {
	s := c.History.Ops[k].Side
	for i := k + 1; i < len(c.History.Ops); i++ {
		op := &c.History.Ops[i]
		if !op.Touches(id.Map, id.Key) || !c.applied(i) {
			continue
		}
		if op.Kind == Delete {
			return -1
		}
		if op.Side != s {
			continue
		}
		if _, ok := op.Value(fi.name(s)); ok {
			return i
		}
	}
	return -1
}

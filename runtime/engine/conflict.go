package engine

import (
	"time"

	"github.com/dualsync/dualsync/runtime/plan"
)

// decide picks the side whose value wins a field both sides changed.
//
//   - A field that flows one way is owned by its source side.
//   - A record seen on both sides with no merge base yet (the first
//     pairing, as in an initial sync) goes to the map's master side.
//   - Otherwise the field's rule from the plan: fo, dv, or last_write, which
//     compares each side's own modified time of the row; the later wins and
//     F&O wins a tie (also when a side's time is unknown), so the outcome
//     never depends on the order in which the changes were observed.
func (e *Engine) decide(m *mapping, r *round, f *fieldInfo, initial bool) (side, Rule, string) {
	if f.owner >= 0 {
		return side(f.owner), RuleOneWay, f.rule.Why
	}
	if initial {
		return m.master, RuleInitial, "first pairing of the record: the map's master side (" + string(m.master.plan()) + ") wins"
	}
	switch f.rule.Winner {
	case plan.WinFO:
		return fo, RuleFO, f.rule.Why
	case plan.WinDV:
		return dv, RuleDV, f.rule.Why
	case plan.LastWrite:
		var t [2]int64
		for s := range t {
			if o := r.obs[s]; o != nil {
				t[s] = o.modified
			}
		}
		if t[fo] != 0 && t[dv] > t[fo] {
			return dv, RuleLastWrite, f.rule.Why
		}
		return fo, RuleLastWrite, f.rule.Why
	}
	return m.master, Rule(f.rule.Winner), f.rule.Why
}

func oneWayWhy(f *fieldInfo, edited side) string {
	why := "field flows " + string(side(f.owner).plan()) + " to " + string(edited.plan()) +
		" only: the edit on " + string(edited.plan()) + " is overwritten with the " + string(side(f.owner).plan()) + " value"
	if f.rule.Why != "" {
		why += " (" + f.rule.Why + ")"
	}
	return why
}

// logConflict appends a conflict-log entry for field f (nil for a record).
func (e *Engine) logConflict(m *mapping, rec *record, f *fieldInfo, cur [2]Value, winner side, rule Rule, pos plan.Pos, why string) {
	r := rec.round
	if r != nil && r.quiet {
		return
	}
	c := Conflict{
		Map:    m.name,
		Key:    rec.key,
		FO:     visible(cur[fo]),
		DV:     visible(cur[dv]),
		Winner: winner.plan(),
		Rule:   rule,
		Pos:    pos,
		Why:    why,
		At:     e.nowTime(),
	}
	if f != nil {
		c.Field, c.DVField = f.name[fo], f.name[dv]
	}
	if r != nil {
		if o := r.obs[fo]; o != nil {
			c.FOModified = timeOf(o.modified)
		}
		if o := r.obs[dv]; o != nil {
			c.DVModified = timeOf(o.modified)
		}
	}
	e.acct.Conflicts++
	e.out.Conflicts = append(e.out.Conflicts, c)
}

func visible(v Value) Value {
	if v.k == kindAbsent {
		return Value{}
	}
	return v
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func timeOf(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

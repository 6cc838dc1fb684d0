package explore

import (
	"fmt"
	"slices"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// Expected values.
//
// For each record the checker splits the history at its clean points: a
// Sync that ran until quiet, without error or crash, after which the
// record had no error-queue entry (and the end, after the faults healed,
// on the same terms). At a clean point both sides agree on the record, so
// the edits between two clean points meet one merge base. When those
// edits all fall in one window between Syncs, the engine saw only their
// end states, and what it must do is known from the plan alone:
//
//   - a field only one side edited takes that side's last value (no lost
//     update), unless it flows one way from the other side, whose value is
//     re-asserted;
//   - a field both sides edited takes the value the conflict rule names:
//     fo, dv, or last_write, which compares the two rows' modified times
//     (each side's own clock, to the second) and gives a tie to fo;
//     one-way fields their owner's;
//   - a record both sides created in the window is paired for the first
//     time: the map's master side wins every field (a one-way field: its
//     owner);
//   - a propagated delete wins over edits on the other side.
//
// Windows interrupted by a Sync that did not end clean, and everything the
// plan cannot decide on its own (defaults, deletes with review), leave the
// fields they touch unknown; the weaker trace checks (lost.go) still
// apply to them.

type tri uint8

const (
	no tri = iota
	yes
	unknown
)

// expect is what one field of a record must hold.
type expect struct {
	op    int // the Put whose value the field must hold; -1: unknown
	rule  plan.Winner
	pos   plan.Pos
	loser int // the Put whose value lost the conflict, -1 if none
	// modified times of the two rows, for last_write
	foMod, dvMod time.Time
	initial      bool
}

// recExpect is what a record must look like after the faults healed.
type recExpect struct {
	id     RecID
	exists tri
	delOp  int // the delete that removed it, when exists is no
	fields []expect
}

func (c *Case) expectations() []*recExpect {
	var ids []RecID
	seen := map[RecID]bool{}
	for i := range c.History.Ops {
		op := &c.History.Ops[i]
		if (op.Kind == Put || op.Kind == Delete) && c.md.maps[op.Map] != nil {
			id := RecID{op.Map, op.Key}
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	var out []*recExpect
	for _, id := range ids {
		out = append(out, c.expectRecord(id))
	}
	return out
}

// clean reports whether record id is at a clean point after operation i
// (i == len(Ops): after the faults healed).
func (c *Case) clean(id RecID, i int) bool {
	if i == len(c.History.Ops) {
		s := &c.Outcome.Healed
		return s.RunErr == "" && s.Quiet && !s.queued(id)
	}
	op := &c.History.Ops[i]
	res := &c.Outcome.Ops[i]
	return op.Kind == Sync && op.Rounds == 0 && res.RunErr == "" && !res.Crashed && !res.queued(id)
}

func (c *Case) expectRecord(id RecID) *recExpect {
	mi := c.md.maps[id.Map]
	re := &recExpect{id: id, exists: no, delOp: -1, fields: make([]expect, len(mi.fields))}
	forget(re.fields)
	var seg []int
	n := len(c.History.Ops)
	for i := 0; i <= n; i++ {
		if i == n || c.History.Ops[i].Kind == Sync {
			if c.clean(id, i) {
				if len(seg) > 0 {
					c.segment(mi, re, seg, c.concurrent(seg))
				}
				seg = seg[:0]
			}
			continue
		}
		if c.History.Ops[i].Touches(id.Map, id.Key) && c.applied(i) {
			seg = append(seg, i)
		}
	}
	if len(seg) > 0 {
		c.segment(mi, re, seg, false)
	}
	return re
}

func forget(fs []expect) {
	for i := range fs {
		fs[i] = expect{op: -1, loser: -1}
	}
}

// concurrent reports whether the operations of seg all fall between the
// same two Syncs.
func (c *Case) concurrent(seg []int) bool {
	for i := seg[0] + 1; i < seg[len(seg)-1]; i++ {
		if c.History.Ops[i].Kind == Sync {
			return false
		}
	}
	return true
}

// segment folds the edits of one segment into the record's expectation.
func (c *Case) segment(mi *mapInfo, re *recExpect, seg []int, det bool) {
	ops := c.History.Ops
	var created [2]bool
	var deletes []int
	for _, i := range seg {
		switch {
		case ops[i].Kind == Delete:
			deletes = append(deletes, i)
		case c.Outcome.Ops[i].Created:
			created[sideIdx(ops[i].Side)] = true
		}
	}
	if !det || (len(deletes) > 0 && !c.deleteSegment(mi, re, seg, deletes)) {
		// Unknown: the fields this segment wrote, and everything when it
		// created or deleted the record.
		if len(deletes) > 0 || created[0] || created[1] {
			re.exists = unknown
			forget(re.fields)
			return
		}
		for _, i := range seg {
			for _, fv := range ops[i].Values {
				if fi := mi.field(ops[i].Side, fv.Field); fi != nil {
					re.fields[fi.idx] = expect{op: -1, loser: -1}
				}
			}
		}
		return
	}
	if len(deletes) > 0 {
		return
	}
	switch {
	case re.exists == no && created[0] && created[1]:
		c.pairing(mi, re, seg)
	case re.exists == no && (created[0] || created[1]):
		s := plan.FO
		if created[1] {
			s = plan.DV
		}
		forget(re.fields)
		if !mi.flowsFrom(s) {
			re.exists = unknown
			return
		}
		re.exists = yes
		for j := range mi.fields {
			fi := &mi.fields[j]
			if fi.owner != "" && fi.owner != s {
				continue // the owner's value is not known yet
			}
			if k := c.lastWrite(seg, s, fi); k >= 0 {
				re.fields[j] = expect{op: k, loser: -1}
			}
		}
	case re.exists == yes && !created[0] && !created[1]:
		c.edits(mi, re, seg)
	default:
		re.exists = unknown
		forget(re.fields)
	}
}

// deleteSegment handles a segment with deletes: a propagated delete on a
// side the map flows from wins over edits on the other side. It reports
// false when the outcome is not decided by the plan alone.
func (c *Case) deleteSegment(mi *mapInfo, re *recExpect, seg, deletes []int) bool {
	if re.exists != yes {
		return false
	}
	ops := c.History.Ops
	for _, d := range deletes {
		s := ops[d].Side
		for _, i := range seg {
			if i > d && ops[i].Side == s {
				return false // created again on the deleting side
			}
		}
	}
	for _, d := range deletes {
		s := ops[d].Side
		if mi.flowsFrom(s) && mi.deleteAction(s) == plan.Propagate {
			re.exists, re.delOp = no, d
			forget(re.fields)
			return true
		}
	}
	return false
}

// lastWrite returns the last applied Put of seg on side s that wrote
// field fi, or -1.
func (c *Case) lastWrite(seg []int, s plan.Side, fi *fieldInfo) int {
	for j := len(seg) - 1; j >= 0; j-- {
		op := &c.History.Ops[seg[j]]
		if op.Kind == Put && op.Side == s {
			if _, ok := op.Value(fi.name(s)); ok {
				return seg[j]
			}
		}
	}
	return -1
}

// rowModified returns the modified time of the record on side s after the
// last applied Put of seg on that side.
func (c *Case) rowModified(seg []int, s plan.Side) (time.Time, bool) {
	for j := len(seg) - 1; j >= 0; j-- {
		if op := &c.History.Ops[seg[j]]; op.Kind == Put && op.Side == s {
			return c.Outcome.Ops[seg[j]].Modified, true
		}
	}
	return time.Time{}, false
}

// pairing: both sides created the record in one window.
func (c *Case) pairing(mi *mapInfo, re *recExpect, seg []int) {
	re.exists = yes
	forget(re.fields)
	for j := range mi.fields {
		fi := &mi.fields[j]
		w := mi.m.Master
		rule := plan.Winner("initial")
		pos := mi.m.Pos
		if fi.owner != "" {
			w, rule, pos = fi.owner, plan.OneWay, fi.f.Pos
		}
		k := c.lastWrite(seg, w, fi)
		if k < 0 {
			continue // the winner's value is its default
		}
		re.fields[j] = expect{op: k, rule: rule, pos: pos, loser: c.lastWrite(seg, w.Other(), fi), initial: true}
	}
}

// edits: updates of a record both sides have.
func (c *Case) edits(mi *mapInfo, re *recExpect, seg []int) {
	foMod, _ := c.rowModified(seg, plan.FO)
	dvMod, _ := c.rowModified(seg, plan.DV)
	for j := range mi.fields {
		fi := &mi.fields[j]
		kf, kd := c.lastWrite(seg, plan.FO, fi), c.lastWrite(seg, plan.DV, fi)
		if kf < 0 && kd < 0 {
			continue
		}
		prev := re.fields[j]
		if !traceable(fi.f) {
			// Values that are not unique may be written again unchanged,
			// which the engine rightly sees as no edit at all.
			if prev.op < 0 {
				re.fields[j] = expect{op: -1, loser: -1}
				continue
			}
			if c.sameValue(re.id, fi, kf, prev.op) {
				kf = -1
			}
			if c.sameValue(re.id, fi, kd, prev.op) {
				kd = -1
			}
			if kf < 0 && kd < 0 {
				continue
			}
		}
		switch {
		case fi.owner != "":
			k, loser := kf, kd
			if fi.owner == plan.DV {
				k, loser = kd, kf
			}
			if k < 0 {
				// Only the other side edited it: the owner's value stays.
				if prev.op < 0 {
					continue
				}
				k = prev.op
			}
			re.fields[j] = expect{op: k, rule: plan.OneWay, pos: fi.f.Pos, loser: loser}
		case kf >= 0 && kd >= 0:
			e := expect{rule: fi.rule.Winner, pos: fi.rule.Pos, foMod: foMod, dvMod: dvMod}
			switch fi.rule.Winner {
			case plan.WinFO:
				e.op, e.loser = kf, kd
			case plan.WinDV:
				e.op, e.loser = kd, kf
			case plan.LastWrite:
				e.op, e.loser = kf, kd
				if dvMod.After(foMod) {
					e.op, e.loser = kd, kf
				}
			default:
				e.op, e.loser = -1, -1
			}
			re.fields[j] = e
		case kf >= 0:
			re.fields[j] = expect{op: kf, loser: -1}
		default:
			re.fields[j] = expect{op: kd, loser: -1}
		}
	}
}

// checkRules checks the decided conflicts, one-way fields, first
// pairings and deletes against the record's state after the faults healed,
// and, in every state, that a one-way field's owner never holds a value
// written on the other side.
func checkRules(c *Case) []Violation {
	var out []Violation
	for _, re := range c.cachedExpectations() {
		out = append(out, c.compare(re, true)...)
	}
	out = append(out, c.ownerValues(&c.Outcome.Healed)...)
	out = append(out, c.ownerValues(&c.Outcome.Final)...)
	return dedupe(out)
}

// compare checks record re's expectations: the rule-decided ones (rules
// set) or the uncontested ones.
func (c *Case) compare(re *recExpect, rules bool) []Violation {
	s := &c.Outcome.Healed
	p := s.Rows[re.id]
	mi := c.md.maps[re.id.Map]
	var out []Violation
	if re.exists == no && rules && re.delOp >= 0 && p != nil && (p.FO != nil || p.DV != nil) && !s.queued(re.id) {
		has := "fo"
		if p.FO == nil {
			has = "dv"
		} else if p.DV != nil {
			has = "both sides"
		}
		out = append(out, Violation{Property: RuleCompliance, Record: re.id, Message: fmt.Sprintf(
			"%s deleted it with delete action propagate, and nothing touched it afterwards, but %s still %s it: a propagated delete wins over concurrent edits",
			c.opName(re.delOp), has, map[bool]string{true: "have", false: "has"}[has == "both sides"])})
	}
	if re.exists != yes || p == nil || p.FO == nil || p.DV == nil || s.queued(re.id) {
		return out
	}
	for j := range mi.fields {
		e := &re.fields[j]
		if e.op < 0 || (e.rule != "") != rules {
			continue
		}
		fi := &mi.fields[j]
		op := &c.History.Ops[e.op]
		want, _ := op.Value(fi.name(op.Side))
		if c.deletedRef(fi, op.Side, re.id, want) || c.clearedSince(s, re.id, fi, e.op) {
			// Deleting the record a lookup names removes the link on
			// Dataverse: an edit the model does not see; a link the
			// service cleared since the sides last agreed is a
			// Dataverse edit the rule decides against this one
			// (drift.go).
			continue
		}
		if e.rule == plan.LastWrite && c.unlinked(s, re.id, e.op) {
			// The service's clearing of a link stamped the Dataverse row
			// with a modified time no user operation set: last_write
			// rightly compares it, and the model cannot.
			continue
		}
		want = common(mi, fi, op.Side, re.id.Key, want)
		fo := c.value(s, re.id, fi, plan.FO, p.FO)
		dv := c.value(s, re.id, fi, plan.DV, p.DV)
		if equivalent(fi, c.deref(s, re.id, fi, plan.FO, want), fo) && equivalent(fi, c.deref(s, re.id, fi, plan.DV, want), dv) {
			continue
		}
		v := Violation{Record: re.id, Field: fi.f.FO}
		got := fmt.Sprintf("fo has %s and dv has %s", c.describe(p.FO[fi.f.FO]), c.describe(p.DV[fi.f.DV]))
		if !rules {
			v.Property = NoLostUpdate
			v.Message = fmt.Sprintf("only %s edited it since the sides last agreed (%s wrote %s), but %s",
				op.Side, c.opName(e.op), want, got)
		} else {
			v.Property = RuleCompliance
			v.Message = c.ruleMessage(e, want, got)
		}
		out = append(out, v)
	}
	return out
}

func (c *Case) ruleMessage(e *expect, want engine.Value, got string) string {
	op := &c.History.Ops[e.op]
	lost := ""
	if e.loser >= 0 {
		lop := &c.History.Ops[e.loser]
		lost = fmt.Sprintf(" over %s's %s", lop.Side, c.opName(e.loser))
	}
	var why string
	switch {
	case e.initial && e.rule != plan.OneWay:
		why = fmt.Sprintf("both sides created the record in one window: the first pairing goes to the master side %s (%s)", op.Side, e.pos)
	case e.rule == plan.OneWay:
		why = fmt.Sprintf("the field flows one way from %s (%s): its value is re-asserted", op.Side, e.pos)
	case e.rule == plan.LastWrite:
		why = fmt.Sprintf("both sides edited it in one window; rule last_write (%s) compares the rows' modified times fo %s, dv %s (a tie goes to fo)",
			e.pos, e.foMod.Format(time.TimeOnly), e.dvMod.Format(time.TimeOnly))
	default:
		why = fmt.Sprintf("both sides edited it in one window; rule %s (%s)", e.rule, e.pos)
	}
	return fmt.Sprintf("%s: want %s's value %s from %s%s, but %s", why, op.Side, want, c.opName(e.op), lost, got)
}

// ownerValues checks that no side that owns a one-way field holds a value
// written on the other side.
func (c *Case) ownerValues(s *Snapshot) []Violation {
	var out []Violation
	for _, id := range sortedRecords(s) {
		mi := c.md.maps[id.Map]
		p := s.Rows[id]
		for j := range mi.fields {
			fi := &mi.fields[j]
			if fi.owner == "" || !traceable(fi.f) {
				continue
			}
			row := p.Side(fi.owner)
			if row == nil {
				continue
			}
			n, ok := token(row[fi.name(fi.owner)])
			if !ok {
				continue
			}
			if k, ok := c.writers[n]; ok && c.History.Ops[k].Side != fi.owner && c.History.Ops[k].Touches(id.Map, id.Key) {
				out = append(out, Violation{Property: RuleCompliance, Record: id, Field: fi.f.FO, Message: fmt.Sprintf(
					"the field flows one way from %s, but %s holds %s, written on %s",
					fi.owner, fi.owner, c.describe(row[fi.name(fi.owner)]), c.History.Ops[k].Side)})
			}
		}
	}
	return out
}

func (c *Case) cachedExpectations() []*recExpect {
	if c.exp == nil {
		c.exp = c.expectations()
	}
	return c.exp
}

// dedupe drops repeated violations (the same finding in both snapshots).
func dedupe(vs []Violation) []Violation {
	out := vs[:0]
	for _, v := range vs {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// deletedRef reports whether lookup value v (as side s stores it) of field
// fi of record id names a record that a user deleted somewhere in the
// history.
func (c *Case) deletedRef(fi *fieldInfo, s plan.Side, id RecID, v engine.Value) bool {
	if fi.ref == nil {
		return false
	}
	mi := c.md.maps[id.Map]
	ref, ok := common(mi, fi, s, id.Key, v).AsString()
	if !ok {
		return false
	}
	for i := range c.History.Ops {
		if op := &c.History.Ops[i]; op.Kind == Delete && op.Touches(fi.ref.m.Name, ref) {
			return true
		}
	}
	return false
}

// sameValue reports whether Puts a and b wrote the same value of field fi
// of record id (in common form); false when a is -1.
func (c *Case) sameValue(id RecID, fi *fieldInfo, a, b int) bool {
	if a < 0 || b < 0 {
		return false
	}
	mi := c.md.maps[id.Map]
	oa, ob := &c.History.Ops[a], &c.History.Ops[b]
	va, _ := oa.Value(fi.name(oa.Side))
	vb, _ := ob.Value(fi.name(ob.Side))
	return equivalent(fi, common(mi, fi, oa.Side, id.Key, va), common(mi, fi, ob.Side, id.Key, vb))
}

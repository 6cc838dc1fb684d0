package engine

import (
	"github.com/dualsync/dualsync/runtime/plan"
)

// Deletes.
//
// A delete observed on side s does what the map's plan says for s:
//
//   - propagate: the record is deleted on the other side (with its expected
//     version; a concurrent edit there makes the delete fail with a version
//     mismatch, the engine reads again, logs the edit as a conflict lost to
//     the delete, and deletes again);
//   - ignore: the other side keeps its record and the pairing is forgotten;
//   - review: the other side keeps its record and a delete-review entry goes
//     to the error queue for a person (RetryError propagates the delete,
//     DiscardError ignores it).
//
// When the map's direction does not flow from s, a delete on s only makes
// the engine forget s's copy; the source side keeps the record.
//
// In every case the record keeps a tombstone: an update of a deleted record
// never re-creates it. The one exception is a row on the deleting side
// modified after the delete (by that side's own clock), or at the same time
// with a new version (see recreated): the key was created again there, and
// syncs as a new record. Any other update of a tombstoned
// record is suppressed and, unless the action was ignore, logged as a
// conflict decided by RuleDelete, so that nothing is dropped silently.
//
// A delete observed on a side while the engine's own write there has not
// come back yet is checked by a read before it is merged: Dataverse reports
// a deleted row by its id alone, so the echo of a delete the engine
// propagated can arrive after the record was created again under the same
// key (verifyDelete). A propagated delete that ended in the error queue is
// sent again when the entry is retried (mergeTombstoned).

func (e *Engine) mergeDelete(m *mapping, rec *record, s side) {
	r := rec.round
	t := s.other()
	o := r.obs[s]
	r.want[fo], r.want[dv] = r.want[fo][:0], r.want[dv][:0]
	r.del = [2]bool{}
	e.unpark(m, rec, fo, true)
	e.unpark(m, rec, dv, true)
	e.markDirty(m, rec)
	if !m.flows[s] {
		rec.forget(s)
		return
	}
	action := m.del[s]
	if ot := r.obs[t]; ot != nil && !ot.deleted && action == plan.Propagate && e.changedSinceBase(m, rec, t, ot) {
		e.logConflict(m, rec, nil, [2]Value{}, s, RuleDelete, m.pm.Pos,
			"deleted on "+string(s.plan())+" while "+string(t.plan())+" edited it: the delete wins")
	}
	if ts, ta := rec.tomb(); !rec.tombstoned() || ts != s || ta != action {
		rec.setTomb(s, action, deletedAt(rec, s, o))
	}
	rec.deleted(s)
	switch action {
	case plan.Propagate:
		r.del[t] = rec.exists(t)
	case plan.Ignore:
		rec.base[t] = ""
	case plan.Review:
		if rec.exists(t) {
			e.enqueue(m, rec, t, failure{class: DeleteReview,
				message: "deleted on " + string(s.plan()) + "; the plan asks for review: retry deletes the " +
					string(t.plan()) + " record, discard keeps it"}, nil, nil, 1)
		}
	}
}

// mergeTombstoned merges a round of a deleted record that holds no delete:
// a propagated delete that is sent again (retried from the error queue, or
// after a person's review) and met a version mismatch, so that the round
// read the other side again. The delete still wins: an edit found there is
// logged as a conflict lost to the delete, and the delete is sent again
// with the fresh version. Nothing is ever written back to the deleting side.
func (e *Engine) mergeTombstoned(m *mapping, rec *record) {
	r := rec.round
	ts, action := rec.tomb()
	t := ts.other()
	r.want[fo], r.want[dv] = r.want[fo][:0], r.want[dv][:0]
	r.del = [2]bool{}
	if action != plan.Propagate || !rec.exists(t) {
		return
	}
	if ot := r.obs[t]; ot != nil && e.changedSinceBase(m, rec, t, ot) {
		e.logConflict(m, rec, nil, [2]Value{}, ts, RuleDelete, m.pm.Pos,
			"deleted on "+string(ts.plan())+" while "+string(t.plan())+" edited it: the delete wins")
	}
	r.del[t] = true
}

// deletedAt is the time of delete o on side s, by s's clock: the row's, or
// the last known of the side when the delete carries none.
func deletedAt(rec *record, s side, o *obs) int64 {
	if o.modified != 0 {
		return o.modified
	}
	return rec.mod[s]
}

// changedSinceBase reports whether observation o of side t differs from t's
// merge base in any field.
func (e *Engine) changedSinceBase(m *mapping, rec *record, t side, o *obs) bool {
	bv, _ := e.loadBase(m, rec)
	for i, v := range o.vals {
		if v.k != kindAbsent && !v.Equal(bv[t][i]) {
			return true
		}
	}
	return false
}

// recreated reports whether a live row o on side s, where the record was
// deleted, is the key created again there: modified after the delete (by
// s's own clock), or in the same tick of that clock (F&O stamps to the
// second) with a version other than the last live one seen before the
// delete. A late copy of that last row keeps its version and is refused.
func (e *Engine) recreated(rec *record, s side, o *obs) bool {
	switch {
	case o.modified == 0:
		return false
	case o.modified > rec.delAt:
		return true
	}
	return o.modified == rec.delAt && o.version != "" && rec.ver[s] != "" && o.version != rec.ver[s]
}

// tombstoneObserved handles an observation of a tombstoned record outside a
// round. It returns false when the record was created again and the
// observation must be merged as usual.
func (e *Engine) tombstoneObserved(m *mapping, rec *record, s side, o *obs) bool {
	ts, action := rec.tomb()
	if o.deleted {
		why := reasonUnchanged
		if s != ts && !rec.exists(s) {
			why = reasonEcho // the engine's propagated delete coming back
		}
		if rec.exists(s) {
			// Deleted on both sides now. s deleted last: a later row there
			// creates the record again (see recreated).
			rec.setTomb(s, action, deletedAt(rec, s, o))
			rec.deleted(s)
			e.markDirty(m, rec)
			if es := e.errs[errKey{m: m.idx, key: rec.key, s: s}]; es != nil && es.entry.Class == DeleteReview {
				e.resolve(es) // deleted on both sides: nothing left to review
			}
		}
		e.drop(o, why)
		return true
	}
	if s == ts && e.recreated(rec, s, o) {
		rec.clearTomb()
		if !rec.intent(s.other()) {
			// (A restored intent to create on the other side stays: it
			// recognises the copy the engine may have created there.)
			rec.base = [2]string{}
		}
		rec.setOwn(fo, false)
		rec.setOwn(dv, false)
		e.markDirty(m, rec)
		return false
	}
	if action != plan.Ignore {
		var cur [2]Value
		e.logConflict(m, rec, nil, cur, ts, RuleDelete, m.pm.Pos,
			"update on "+string(s.plan())+" of a record deleted on "+string(ts.plan())+": not applied (no resurrection)")
	}
	e.drop(o, reasonTombstone)
	return true
}

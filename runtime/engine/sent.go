package engine

import "slices"

// The intent of an update.
//
// A record is checkpointed between rounds, so a crash after an update
// landed on its target and before the round ended restarts the engine from
// the base the update was merged against. The target's row then holds the
// engine's own values, which look like an edit made there: the conflict
// rules would decide between them and the source's values, and an edit made
// on the source since the update (which should simply flow) could lose to
// the engine's own copy of an older one.
//
// So an update, like a create, persists its intent before it is sent: the
// record is checkpointed as the round found it (its snapshot: the bases
// with the versions they were agreed at) plus, per target side, the fields
// sent, each with the value sent and the source value it came from
// (SideState.Sent). A round that parked is persisted as it is, with its
// changes, and the intent added.
//
// After a restart, the first row of the target decides, field by field,
// before anything of the record is merged (the engine reads the target
// when no row of it is at hand). A field that holds the value sent (as the
// target stores it) becomes the merge base on both sides, as if the update
// had been acknowledged: what the source's users changed since flows. A
// field that does not is merged from the base before the update: the
// update never landed (the source's change, seen again from its feed, is
// sent again), or the target's users changed the field since, which the
// engine cannot tell from a concurrent edit, so the conflict rule decides.
// A user who typed the very value sent, where the update never landed,
// agreed with it: taking it as the engine's own loses nothing.
//
// When the store already holds the record as the round found it (it was
// stored and not dirty when the round started, or the round checkpointed
// it since), an intent is persisted alone, as a RecordSent in
// Checkpoint.Sent; the whole record is written again only as the round
// ends.

// snapshot is a record's persistent state as a round found it.
type snapshot struct {
	base  [2]string
	ver   [2]string
	mod   [2]int64
	umod  [2]int64
	delAt int64
	flags uint16
}

func (r *round) snapshot(rec *record) {
	r.snap = snapshot{base: rec.base, ver: rec.ver, mod: rec.mod, umod: rec.umod, delAt: rec.delAt, flags: rec.flags}
	// A record that is not dirty is stored as it is.
	r.snapSaved = rec.flags&(flagSaved|flagDirty) == flagSaved
}

// sentBack holds the restored intents of a record, per target side, until
// the target's first row confirms them.
type sentBack [2][]fieldWrite

// noteSent adds the fields of an update to side t to the round's intent,
// replacing what an earlier write of the round sent for the same field, to
// either side: the latest write of a field is the one a restart must
// recognise.
func (r *round) noteSent(t side, fws []fieldWrite) {
	s := t.other()
	for _, fw := range fws {
		r.sent[s] = slices.DeleteFunc(r.sent[s], func(x fieldWrite) bool { return x.i == fw.i })
		j := 0
		for j < len(r.sent[t]) && r.sent[t][j].i != fw.i {
			j++
		}
		if j < len(r.sent[t]) {
			r.sent[t][j] = fw
		} else {
			r.sent[t] = append(r.sent[t], fw)
		}
	}
}

// persistView returns the record as it must be persisted: itself, or,
// while a round that has not parked has updates out, the record as the
// round found it. A create out keeps the record itself: its intent is
// persisted in the bases (see persistBase).
func (e *Engine) persistView(rec *record) *record {
	r := rec.round
	if r == nil || r.persisted || len(r.sent[fo])+len(r.sent[dv]) == 0 {
		return rec
	}
	for _, fl := range r.flight {
		if fl != nil && fl.w.Create {
			return rec
		}
	}
	v := &e.view
	*v = record{key: rec.key, base: r.snap.base, ver: r.snap.ver, mod: r.snap.mod, umod: r.snap.umod, delAt: r.snap.delAt, flags: r.snap.flags}
	return v
}

// checkpointed notes that rec was checkpointed in the middle of a round, so
// that the round's end is checkpointed too. When it was checkpointed as
// itself (asis), with bases base (a create out, or the end of the round
// before), that state, not the one the round started from, is what an
// update must be persisted with from now on.
func (e *Engine) checkpointed(rec *record, asis bool, base [2]string) {
	r := rec.round
	if r == nil || r.persisted {
		return
	}
	r.midway = true
	r.snapSaved = true
	if asis {
		r.snap = snapshot{base: base, ver: rec.ver, mod: rec.mod, umod: rec.umod, delAt: rec.delAt, flags: rec.flags}
	}
}

// sentOnly reports whether the record's checkpoint can be a RecordSent:
// its round has updates out and the store holds the record as the round
// found it.
func (e *Engine) sentOnly(rec *record) bool {
	r := rec.round
	return r != nil && r.snapSaved && e.persistView(rec) != rec
}

// recordSent is the RecordSent of rec, its slices from arena.
func (e *Engine) recordSent(m *mapping, rec *record, arena *stateArena) RecordSent {
	rs := RecordSent{Map: m.name, Key: rec.key}
	for s, out := range [2]*[]SentValue{&rs.FO, &rs.DV} {
		start := len(arena.sent)
		arena.sent = e.appendSent(m, rec, side(s), arena.sent)
		if n := len(arena.sent); n > start {
			*out = arena.sent[start:n:n]
		}
	}
	rec.round.midway = true
	return rs
}

// appendSent appends the persisted intent of the updates to side t: the
// restored intent not yet confirmed, and the round's.
func (e *Engine) appendSent(m *mapping, rec *record, t side, out []SentValue) []SentValue {
	var cur []fieldWrite
	if r := rec.round; r != nil {
		cur = r.sent[t]
	}
	if sb := e.sentBack[rec]; sb != nil {
		for _, fw := range sb[t] {
			if !hasField(cur, fw.i) {
				out = append(out, SentValue{Field: m.fields[fw.i].name[t], Value: fw.val, Source: fw.srcVal})
			}
		}
	}
	for _, fw := range cur {
		out = append(out, SentValue{Field: m.fields[fw.i].name[t], Value: fw.val, Source: fw.srcVal})
	}
	return out
}

func hasField(fws []fieldWrite, i int) bool {
	for _, fw := range fws {
		if fw.i == i {
			return true
		}
	}
	return false
}

// restoreSent takes the persisted intent of the updates to side t in.
func (e *Engine) restoreSent(m *mapping, rec *record, t side, sent []SentValue) {
	var fws []fieldWrite
	for _, sv := range sent {
		if i, ok := m.byName[t][sv.Field]; ok {
			fws = append(fws, fieldWrite{i: i, src: t.other(), srcVal: sv.Source, val: sv.Value})
		}
	}
	if len(fws) == 0 {
		return
	}
	if e.sentBack == nil {
		e.sentBack = make(map[*record]*sentBack)
	}
	sb := e.sentBack[rec]
	if sb == nil {
		sb = new(sentBack)
		e.sentBack[rec] = sb
	}
	sb[t] = fws
}

// confirmSent settles the restored intents of the record's round against
// the targets' rows, and reports whether the merge waits for a row it
// asked for.
func (e *Engine) confirmSent(m *mapping, rec *record) bool {
	sb := e.sentBack[rec]
	if sb == nil {
		return false
	}
	r := rec.round
	waiting := false
	for t := fo; t <= dv; t++ {
		if len(sb[t]) == 0 {
			continue
		}
		o := r.obs[t]
		if o == nil && rec.exists(t) {
			if !r.await[t] {
				r.await[t] = true
				e.out.Reads = append(e.out.Reads, Read{Side: t.plan(), Map: m.name, Key: rec.key})
			}
			waiting = true
			continue
		}
		if o != nil && !o.deleted {
			e.confirmUpdate(m, rec, t, o, sb[t])
		}
		sb[t] = nil
	}
	if sb[fo] == nil && sb[dv] == nil {
		delete(e.sentBack, rec)
	}
	return waiting
}

// confirmUpdate decides from row o of side t whether the update with
// fields fws landed there before the crash, and if so moves the bases as
// its acknowledgement would have.
func (e *Engine) confirmUpdate(m *mapping, rec *record, t side, o *obs, fws []fieldWrite) {
	bv, bu := e.loadBase(m, rec)
	s := t.other()
	moved := false
	for _, fw := range fws {
		if v := o.vals[fw.i]; v.k != kindAbsent && m.fields[fw.i].storedEqual(t, fw.val, v) {
			bv[t][fw.i], bu[t][fw.i] = fw.val, true
			bv[s][fw.i], bu[s][fw.i] = fw.srcVal, false
			moved = true
		}
	}
	e.markDirty(m, rec)
	if !moved {
		return
	}
	e.storeBase(rec, fo, bv[fo], bu[fo])
	e.storeBase(rec, dv, bv[dv], bu[dv])
	// The update's outcome is part of the state the round started from,
	// which the store does not hold yet.
	rec.round.snap.base = rec.base
	rec.round.snapSaved = false
}

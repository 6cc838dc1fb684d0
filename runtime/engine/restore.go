package engine

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
)

// State returns the engine's persistent state, in a stable order: records
// by plan map order and key, error entries likewise, watermarks by map and
// side. When the engine is quiet, a store that applied every Ready's
// Checkpoint, Errors and Resolved holds the same state. (Checkpoints leave
// out records in the middle of a round until it ends; State shows them as
// they are, which is also safe to restore from.)
func (e *Engine) State() *State {
	st := &State{
		Version:    StateVersion,
		PlanDigest: e.plan.Digest,
		NextID:     e.nextID,
		Records:    []RecordState{},
		Errors:     []ErrorEntry{},
		Watermarks: []Watermark{},
	}
	for _, m := range e.maps {
		for _, k := range slices.Sorted(maps.Keys(m.recs)) {
			st.Records = append(st.Records, e.recordState(m, m.recs[k], nil, false))
		}
	}
	errs := slices.Collect(maps.Values(e.errByID))
	slices.SortFunc(errs, func(a, b *errState) int {
		return cmp.Or(cmp.Compare(a.m.idx, b.m.idx), cmp.Compare(a.entry.Key, b.entry.Key), cmp.Compare(a.entry.Side, b.entry.Side), cmp.Compare(a.entry.ID, b.entry.ID))
	})
	for _, es := range errs {
		st.Errors = append(st.Errors, es.entry)
	}
	feeds := slices.Collect(maps.Values(e.feeds))
	slices.SortFunc(feeds, func(a, b *feed) int {
		return cmp.Or(cmp.Compare(a.key.m, b.key.m), cmp.Compare(a.key.s, b.key.s))
	})
	for _, f := range feeds {
		if f.mark > 0 || f.token != "" {
			st.Watermarks = append(st.Watermarks, e.watermark(f))
		}
	}
	return st
}

// recordState is the persisted form of one record. Its slices come from the
// arena (valid until the next Ready), or are allocated when arena is nil.
// checkpoint says the state goes into a Ready's checkpoint.
func (e *Engine) recordState(m *mapping, rec *record, arena *stateArena, checkpoint bool) RecordState {
	if arena == nil {
		arena = &stateArena{}
	}
	rs := RecordState{Map: m.name, Key: rec.key}
	cur := rec
	rec = e.persistView(cur)
	base := rec.base
	if rec == cur {
		base = e.persistBase(m, cur)
	}
	if checkpoint {
		e.checkpointed(cur, rec == cur, base)
	}
	for s, ss := range [2]*SideState{&rs.FO, &rs.DV} {
		ss.Exists = rec.exists(side(s))
		ss.Version = rec.ver[s]
		ss.Modified = timeOf(rec.mod[s])
		if u := rec.umod[s]; u != 0 && u != rec.mod[s] {
			ss.UserModified = timeOf(u)
		}
		ss.OwnVersion = rec.own(side(s))
		sstart := len(arena.sent)
		arena.sent = e.appendSent(m, cur, side(s), arena.sent)
		if n := len(arena.sent); n > sstart {
			ss.Sent = arena.sent[sstart:n:n]
		}
		start, ustart := len(arena.vals), len(arena.strs)
		p, pos := base[s], 0
		for i := 0; i < len(m.fields) && pos < len(p); i++ {
			var v Value
			var unconf bool
			v, unconf, pos = decodeAt(p, pos)
			if v.k == kindAbsent {
				continue
			}
			name := m.names[s][i]
			arena.vals = append(arena.vals, FieldValue{Field: name, Value: v})
			if unconf {
				arena.strs = append(arena.strs, name)
			}
		}
		if n := len(arena.vals); n > start {
			ss.Base = arena.vals[start:n:n]
		}
		if n := len(arena.strs); n > ustart {
			ss.Unconfirmed = arena.strs[ustart:n:n]
		}
	}
	if rec.tombstoned() {
		ts, a := rec.tomb()
		rs.Tombstone = &Tombstone{Side: ts.plan(), Action: a, At: timeOf(rec.delAt)}
	}
	if r := cur.round; r != nil && r.persisted {
		for _, p := range r.park {
			if p != nil && p.since != 0 && (rs.ParkedSince.IsZero() || p.since < nanos(rs.ParkedSince)) {
				rs.ParkedSince = timeOf(p.since)
			}
		}
		for s := fo; s <= dv; s++ {
			if o := r.obs[s]; o != nil {
				rs.Pending = append(rs.Pending, PendingChange{
					Side:     s.plan(),
					Values:   obsValues(m, s, o),
					Version:  o.version,
					Modified: timeOf(o.modified),
					Deleted:  o.deleted,
				})
			}
		}
	}
	return rs
}

// persistBase returns the packed bases to persist for the record: its
// merge bases, except while a create is in flight to a side t. Then they
// are the intent to create, as if the create had been acknowledged: t's
// base holds the values sent, unconfirmed, with t still not known to exist,
// and the source's base the values they came from. The intent is persisted
// with the create, before it is sent, so that a crash between the create
// and its acknowledgement cannot make the engine's own copy look like a
// record created on t by someone else: after a restart, the copy coming
// back is recognised field by field (confirmIntent) instead of being paired
// for the first time with the master winning over newer values; and if the
// create never landed, the source's row, seen again from its feed, sends it
// again (merge.go).
func (e *Engine) persistBase(m *mapping, rec *record) [2]string {
	base := rec.base
	r := rec.round
	if r == nil {
		return base
	}
	for t := fo; t <= dv; t++ {
		fl := r.flight[t]
		if fl == nil || !fl.w.Create {
			continue
		}
		bv, bu := e.loadBase(m, rec)
		for _, fw := range fl.fields {
			bv[t][fw.i], bu[t][fw.i] = fw.val, true
			bv[fw.src][fw.i] = fw.srcVal
		}
		heldBack(r.want[t], bv[t], bu[t])
		for s := fo; s <= dv; s++ {
			base[s] = string(pack(nil, bv[s], bu[s]))
		}
		return base
	}
	return base
}

// restore loads a persisted state into a new engine. Parked rounds are
// merged again (without logging their conflicts a second time); their
// writes or parks appear in the first Ready.
func (e *Engine) restore(st *State) error {
	if st.Version != StateVersion {
		return fmt.Errorf("state format version %d, this build reads %d", st.Version, StateVersion)
	}
	e.nextID = st.NextID
	var pending []recRef
	for _, rs := range st.Records {
		m := e.byName[rs.Map]
		if m == nil {
			e.droppedOnRestore++
			continue
		}
		rec := m.recs[rs.Key]
		if rec == nil {
			rec = e.newRecord(m, rs.Key)
		}
		rec.flags |= flagSaved
		n := len(m.fields)
		for s, ss := range [2]*SideState{&rs.FO, &rs.DV} {
			bv, bu := e.bv[s][:n], e.bu[s][:n]
			for i := range bv {
				bv[i], bu[i] = absent, false
			}
			for _, fv := range ss.Base {
				if i, ok := m.byName[s][fv.Field]; ok {
					bv[i] = fv.Value
				}
			}
			for _, name := range ss.Unconfirmed {
				if i, ok := m.byName[s][name]; ok {
					bu[i] = true
				}
			}
			e.storeBase(rec, side(s), bv, bu)
			e.restoreSent(m, rec, side(s), ss.Sent)
			rec.setExists(side(s), ss.Exists)
			// A base of a side not known to have the record is an intent
			// to create there (see Engine.persistBase).
			rec.set(flagIntentFO<<s, !ss.Exists && rec.base[s] != "")
			rec.ver[s] = ss.Version
			rec.mod[s] = nanos(ss.Modified)
			rec.umod[s] = rec.mod[s]
			if !ss.UserModified.IsZero() {
				rec.umod[s] = nanos(ss.UserModified)
			}
			rec.setOwn(side(s), ss.OwnVersion)
		}
		if ts := rs.Tombstone; ts != nil {
			s, err := sideOf(ts.Side)
			if err != nil {
				return fmt.Errorf("record %s %q: tombstone: %w", rs.Map, rs.Key, err)
			}
			rec.setTomb(s, ts.Action, nanos(ts.At))
		}
		if len(rs.Pending) == 0 {
			continue
		}
		r := e.startRound(rec)
		r.persisted, r.quiet, r.needMerge = true, true, true
		r.since = nanos(rs.ParkedSince)
		for _, pc := range rs.Pending {
			s, err := sideOf(pc.Side)
			if err != nil {
				return fmt.Errorf("record %s %q: pending change: %w", rs.Map, rs.Key, err)
			}
			o := e.newObs(n)
			for _, fv := range pc.Values {
				if i, ok := m.byName[s][fv.Field]; ok {
					o.vals[i] = fv.Value
				}
			}
			o.version, o.modified, o.deleted = pc.Version, nanos(pc.Modified), pc.Deleted
			e.freeObs(r.obs[s])
			r.obs[s] = o
			r.n++
			e.acct.Observed++
			e.acct.InFlight++
		}
		pending = append(pending, recRef{m, rec})
	}
	for _, en := range st.Errors {
		m := e.byName[en.Map]
		if m == nil {
			e.droppedOnRestore++
			continue
		}
		t, err := sideOf(en.Side)
		if err != nil {
			return fmt.Errorf("error entry %s: %w", en.ID, err)
		}
		es := &errState{m: m, entry: en}
		for _, name := range en.Fields {
			if i, ok := m.byName[t][name]; ok {
				es.fields = append(es.fields, i)
			}
		}
		switch {
		case en.Class != Malformed:
			e.errs[errKey{m: m.idx, key: en.Key, s: t}] = es
		case en.Key != "":
			e.bad[errKey{m: m.idx, key: en.Key, s: t}] = es
		}
		e.errByID[en.ID] = es
	}
	for _, w := range st.Watermarks {
		m := e.byName[w.Map]
		s, err := sideOf(w.Side)
		if m == nil || err != nil {
			continue
		}
		e.feed(m, s).token = w.Token
	}
	for _, p := range pending {
		e.advance(p.m, p.rec)
		if r := p.rec.round; r != nil {
			r.quiet = false
		}
	}
	e.drain()
	return nil
}

// stateArena lends the slices of the RecordStates of one Ready: they are
// valid until Advance (the store copies what it keeps), so a checkpoint
// costs no allocation once the arena has grown. Growing moves later records
// to a new array; earlier ones keep the old.
type stateArena struct {
	vals []FieldValue
	strs []string
	sent []SentValue
}

func (a *stateArena) reset() {
	a.vals, a.strs, a.sent = a.vals[:0], a.strs[:0], a.sent[:0]
}

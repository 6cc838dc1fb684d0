package engine

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/dualsync/dualsync/runtime/plan"
)

// dispatch emits the round's next write to side t, or parks it.
func (e *Engine) dispatch(m *mapping, rec *record, t side) {
	r := rec.round
	if r.flight[t] != nil || r.failed[t] || r.await[t] {
		return
	}
	if r.del[t] {
		r.del[t] = false
		e.unpark(m, rec, t, false)
		if rec.exists(t) {
			e.emit(m, rec, t, OpDelete, nil, false, 1)
		}
		return
	}
	if len(r.want[t]) == 0 {
		e.unpark(m, rec, t, true)
		return
	}
	create := !rec.exists(t)
	if create && !e.completeCreate(m, rec, t) {
		return
	}
	send, remain := e.sendBuf[:0], e.remainBuf[:0]
	var missing []depKey
	blocked := false // a first-pass lookup is missing: nothing can be written yet
	for _, fw := range r.want[t] {
		f := &m.fields[fw.i]
		if f.lookup == nil || fw.val.k == KindNull {
			send = append(send, fw)
			continue
		}
		ref := fw.val.text()
		second := f.pass == 2 || (f.lookup == m && ref == rec.key)
		if second && create {
			remain = append(remain, fw)
			continue
		}
		if !e.known(f.lookup, ref, t) {
			missing = append(missing, depKey{m: f.lookup.idx, s: t, key: ref})
			blocked = blocked || !second
			remain = append(remain, fw)
			continue
		}
		send = append(send, fw)
	}
	e.sendBuf, e.remainBuf = send, remain
	if blocked || (len(send) == 0 && !create) {
		e.park(m, rec, t, missing)
		return
	}
	e.unpark(m, rec, t, true)
	pass := 1
	if !create && len(send) > 0 && allSecondPass(m, send) {
		pass = 2
	}
	e.emit(m, rec, t, OpUpsert, send, create, pass)
	r.want[t] = append(r.want[t][:0], remain...)
}

func allSecondPass(m *mapping, fws []fieldWrite) bool {
	for _, fw := range fws {
		if f := &m.fields[fw.i]; f.lookup == nil || f.pass != 2 {
			return false
		}
	}
	return true
}

// known reports whether the record with key in map lm exists on side t,
// and stays: a record deleted on the other side, with the delete propagated
// to t, is on its way out there, and a lookup to it would fail.
func (e *Engine) known(lm *mapping, key string, t side) bool {
	rec := lm.recs[key]
	if rec == nil || !rec.exists(t) {
		return false
	}
	if rec.tombstoned() {
		if ts, a := rec.tomb(); ts != t && a == plan.Propagate {
			return false
		}
	}
	return true
}

// completeCreate adds to the round's writes for t every field that flows to
// t and is not there yet, so that a record is created whole: values from the
// source side's latest state, defaults where it has none.
func (e *Engine) completeCreate(m *mapping, rec *record, t side) bool {
	r := rec.round
	s := t.other()
	bv, _ := e.loadBase(m, rec)
	want := r.want[t]
	j := 0
	added := false
	for i := range m.fields {
		for j < len(want) && want[j].i < i {
			j++
		}
		if j < len(want) && want[j].i == i {
			continue
		}
		f := &m.fields[i]
		if !f.flows[s] {
			continue
		}
		v, fresh := bv[s][i], false
		if o := r.obs[s]; o != nil && o.vals[i].k != kindAbsent {
			v, fresh = o.vals[i], true
		}
		if v.k == kindAbsent {
			if f.def[t] == nil {
				continue
			}
			v = Value{}
		}
		cv, err := f.convert(s, v)
		if err != nil {
			e.invalid(m, rec, t, f, err)
			return false
		}
		want = append(want, fieldWrite{i: i, src: s, fresh: fresh, srcVal: v, val: cv})
		added = true
	}
	if added {
		slices.SortFunc(want, func(a, b fieldWrite) int { return a.i - b.i })
	}
	r.want[t] = want
	return true
}

// emit hands a write to the driver.
func (e *Engine) emit(m *mapping, rec *record, t side, op Op, fws []fieldWrite, create bool, pass int) {
	w := Write{
		ID:      e.newID("w"),
		Side:    t.plan(),
		Map:     m.name,
		Key:     rec.key,
		Op:      op,
		Create:  create,
		Pass:    pass,
		Attempt: 1,
	}
	if !create {
		w.ExpectedVersion = rec.ver[t]
	}
	if op == OpUpsert {
		w.Values = make([]FieldValue, 0, len(fws)+len(m.consts[t]))
		for _, fw := range fws {
			w.Values = append(w.Values, FieldValue{Field: m.fields[fw.i].name[t], Value: fw.val})
		}
		if create {
			for _, c := range m.consts[t] {
				if !slices.ContainsFunc(w.Values, func(fv FieldValue) bool { return fv.Field == c.Field }) {
					w.Values = append(w.Values, c)
				}
			}
		}
	}
	fl := e.newFlight()
	fl.m, fl.rec, fl.side, fl.w = m, rec, t, w
	fl.fields = append(fl.fields, fws...)
	rec.round.flight[t] = fl
	e.flights[w.ID] = fl
	e.acct.Writes++
	e.out.Writes = append(e.out.Writes, w)
	switch {
	case create:
		e.checkpointNow(m, rec) // the intent goes out with the write
	case op == OpUpsert:
		rec.round.noteSent(t, fws)
		e.checkpointNow(m, rec) // so does an update's (sent.go)
	}
}

// Ack handles a WriteAcked: the written values become the merge base on
// both sides (as the target stored them, when it says), marked unconfirmed
// on the target until they come back through its change feed.
func (e *Engine) Ack(a WriteAcked) error {
	fl := e.flights[a.WriteID]
	if fl == nil {
		return fmt.Errorf("acknowledgement of unknown write %q", a.WriteID)
	}
	delete(e.flights, a.WriteID)
	m, rec, t := fl.m, fl.rec, fl.side
	r := rec.round
	r.flight[t] = nil
	r.rereads[t] = 0
	if mod := nanos(a.Modified); mod > rec.mod[t] {
		rec.mod[t] = mod
	}
	if fl.w.Op == OpDelete {
		rec.forget(t)
	} else {
		bv, bu := e.loadBase(m, rec)
		for _, fw := range fl.fields {
			v := fw.val
			if sv, ok := a.Stored[m.fields[fw.i].name[t]]; ok {
				v = sv
			}
			bv[t][fw.i], bu[t][fw.i] = v, true
			bv[fw.src][fw.i] = fw.srcVal
			if o := r.obs[t]; o != nil {
				o.vals[fw.i] = v
			}
		}
		if fl.w.Create {
			heldBack(r.want[t], bv[t], bu[t])
			rec.set(flagIntentFO<<t, false)
		}
		e.storeBase(rec, fo, bv[fo], bu[fo])
		e.storeBase(rec, dv, bv[dv], bu[dv])
		was := rec.exists(t)
		rec.setExists(t, true)
		if a.NewVersion != "" {
			rec.ver[t] = a.NewVersion
			rec.setOwn(t, true)
		}
		e.resolveCovered(m, rec, t, fl.fields)
		if !was {
			e.onExists(m, rec, t)
		}
	}
	e.freeFlight(fl)
	r.applied = true
	e.markDirty(m, rec)
	e.advance(m, rec)
	e.drain()
	return nil
}

// heldBack sets, in the target's base vals, the second-pass lookups a
// create left out (fws, still to write) to null, unconfirmed: that is what
// the new record holds, by the engine's doing, until their second pass.
// When the created record comes back through the feed, its null is then no
// edit of the target's, and cannot win a first pairing over the source's
// value that is still to be written.
func heldBack(fws []fieldWrite, vals []Value, unconf []bool) {
	for _, fw := range fws {
		if vals[fw.i].k == kindAbsent {
			vals[fw.i], unconf[fw.i] = Value{}, true
		}
	}
}

// newID returns a fresh ID from the configured source, or from the engine's
// counter (persisted as State.NextID).
func (e *Engine) newID(prefix string) string {
	if e.cfg.IDs != nil {
		return e.cfg.IDs.NewID()
	}
	e.nextID++
	return prefix + strconv.FormatUint(e.nextID, 10)
}

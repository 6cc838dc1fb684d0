package engine

// The merge compares each side's latest observed state with that side's
// merge base, field by field, and decides what to write where:
//
//   - a field neither side changed: nothing;
//   - a field one side changed, which flows from that side: the converted
//     value is written to the other side (unless the other side already has
//     it);
//   - a field one side changed but does not own (a one-way field): the owning
//     side's value is written back, and the edit is logged as a conflict;
//   - a field both sides changed: equal values agree; different values are
//     a conflict decided by the field's rule (conflict.go) and logged.
//
// A base only moves when both sides agree on a value: at once when no write
// is needed, or when the write carrying it is acknowledged (write.go).

// merger holds one merge's working state.
type merger struct {
	e      *Engine
	m      *mapping
	rec    *record
	r      *round
	bv     [2][]Value
	bu     [2][]bool
	stored [2]bool // the side's base changed and must be packed again
}

func (e *Engine) merge(m *mapping, rec *record) {
	r := rec.round
	for s := fo; s <= dv; s++ {
		if o := r.obs[s]; o != nil && o.deleted {
			e.mergeDelete(m, rec, s)
			return
		}
	}
	if rec.tombstoned() {
		e.mergeTombstoned(m, rec)
		return
	}
	g := merger{e: e, m: m, rec: rec, r: r}
	g.bv, g.bu = e.loadBase(m, rec)
	r.want[fo], r.want[dv] = r.want[fo][:0], r.want[dv][:0]
	r.del = [2]bool{}
	for i := range m.fields {
		g.field(i)
	}
	for s := fo; s <= dv; s++ {
		if g.stored[s] {
			e.storeBase(rec, s, g.bv[s], g.bu[s])
			e.markDirty(m, rec)
		}
	}
	for t := fo; t <= dv; t++ {
		s := t.other()
		if rec.intent(t) && len(r.want[t]) == 0 && !rec.exists(t) && r.obs[s] != nil &&
			rec.exists(s) && m.flows[s] && !r.failed[t] {
			// A persisted intent to create on t (see Engine.persistBase), and t
			// is not known to have the record: the create may never have
			// landed. Send it again; if it did land, it meets the record,
			// and the re-read recognises the engine's copy.
			e.completeCreate(m, rec, t)
		}
	}
}

// confirmIntent takes the first row o of side t after a restart with a
// persisted intent to create on t (see Engine.persistBase). A field that holds
// the value the create sent (as t stores it) is the engine's own copy: the
// merge takes it as its echo, so that an edit made since on the source side
// flows. A field that differs may be the copy edited since on t, or a
// record someone else created on t before the create arrived (which then
// failed): the engine cannot tell, so it takes the reading it would have
// without the intent, a first pairing of that field, which the map's master
// decides.
func (e *Engine) confirmIntent(m *mapping, rec *record, t side, o *obs) {
	rec.set(flagIntentFO<<t, false)
	e.markDirty(m, rec)
	if o.deleted {
		return
	}
	s := t.other()
	bv, bu := e.loadBase(m, rec)
	dropped := false
	for i, v := range o.vals {
		if bu[t][i] && v.k != kindAbsent && !m.fields[i].storedEqual(t, bv[t][i], v) {
			bv[t][i], bu[t][i] = absent, false
			bv[s][i], bu[s][i] = absent, false
			dropped = true
		}
	}
	if !dropped {
		return
	}
	e.storeBase(rec, fo, bv[fo], bu[fo])
	e.storeBase(rec, dv, bv[dv], bu[dv])
	if r := rec.round; r.obs[s] == nil && rec.exists(s) && !r.await[s] {
		// The first pairing needs the source side's row.
		r.await[s] = true
		e.out.Reads = append(e.out.Reads, Read{Side: s.plan(), Map: m.name, Key: rec.key})
	}
}

func (g *merger) field(i int) {
	f := &g.m.fields[i]
	var cur [2]Value
	var changed [2]bool
	for s := fo; s <= dv; s++ {
		cur[s] = g.bv[s][i]
		o := g.r.obs[s]
		if o == nil || o.vals[i].k == kindAbsent {
			continue
		}
		v := o.vals[i]
		cur[s] = v
		if g.bu[s][i] {
			// The base holds a value the engine wrote: is this its echo?
			g.bu[s][i] = false
			g.stored[s] = true
			if o.echo || f.storedEqual(s, g.bv[s][i], v) {
				g.bv[s][i] = v
				g.r.echo = true
				continue
			}
		}
		changed[s] = g.bv[s][i].k == kindAbsent || !g.bv[s][i].Equal(v)
	}
	switch {
	case changed[fo] && changed[dv]:
		g.both(i, f, cur)
	case changed[fo]:
		g.one(i, f, fo, cur)
	case changed[dv]:
		g.one(i, f, dv, cur)
	}
}

// adopt makes the current values the base on both sides.
func (g *merger) adopt(i int, cur [2]Value) {
	for s := fo; s <= dv; s++ {
		if cur[s].k != kindAbsent && !cur[s].Equal(g.bv[s][i]) {
			g.bv[s][i] = cur[s]
			g.stored[s] = true
		}
	}
}

// one handles a field that only side s changed.
func (g *merger) one(i int, f *fieldInfo, s side, cur [2]Value) {
	t := s.other()
	if f.flows[s] {
		if g.r.failed[t] {
			return
		}
		v, err := f.convert(s, cur[s])
		if err != nil {
			g.e.invalid(g.m, g.rec, t, f, err)
			return
		}
		if cur[t].k != kindAbsent && cur[t].Equal(v) {
			g.adopt(i, cur)
			return
		}
		g.r.want[t] = append(g.r.want[t], fieldWrite{i: i, src: s, fresh: g.fresh(s, i), srcVal: cur[s], val: v})
		return
	}
	// s changed a field that flows only from t: re-assert t's value on s.
	if cur[t].k == kindAbsent {
		// The owner's value is not known yet (s is the first side seen).
		g.adopt(i, cur)
		return
	}
	v, err := f.convert(t, cur[t])
	if err != nil {
		g.e.invalid(g.m, g.rec, s, f, err)
		return
	}
	if v.Equal(cur[s]) || f.storedEqual(s, v, cur[s]) {
		g.adopt(i, cur)
		return
	}
	g.e.logConflict(g.m, g.rec, f, cur, t, RuleOneWay, f.rule.Pos, oneWayWhy(f, s))
	if g.r.failed[s] {
		return
	}
	g.r.want[s] = append(g.r.want[s], fieldWrite{i: i, src: t, fresh: g.fresh(t, i), srcVal: cur[t], val: v})
}

// fresh reports whether side s's value of field i was observed in this
// round, rather than taken from its merge base.
func (g *merger) fresh(s side, i int) bool {
	o := g.r.obs[s]
	return o != nil && o.vals[i].k != kindAbsent
}

// both handles a field both sides changed since the base.
func (g *merger) both(i int, f *fieldInfo, cur [2]Value) {
	if cv, err := f.convert(fo, cur[fo]); err == nil && f.storedEqual(dv, cv, cur[dv]) {
		g.adopt(i, cur)
		return
	}
	initial := g.bv[fo][i].k == kindAbsent && g.bv[dv][i].k == kindAbsent
	w, rule, why := g.e.decide(g.m, g.r, f, initial)
	l := w.other()
	pos := f.rule.Pos
	if rule == RuleInitial {
		pos = g.m.pm.Pos
	}
	v, err := f.convert(w, cur[w])
	if err != nil {
		g.e.invalid(g.m, g.rec, l, f, err)
		return
	}
	g.e.logConflict(g.m, g.rec, f, cur, w, rule, pos, why)
	if g.r.failed[l] {
		return
	}
	g.r.want[l] = append(g.r.want[l], fieldWrite{i: i, src: w, fresh: g.fresh(w, i), srcVal: cur[w], val: v})
}

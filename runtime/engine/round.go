package engine

// A round is the work on one record from the observation that starts it
// until every write it decided is acknowledged, queued or dropped. While a
// write of the round is in flight (or waiting for its retry), new
// observations of the record are deferred to the next round, so that each
// merge sees a stable base. A round that only waits (parked, or for a
// re-read) takes new observations in and merges again.
type round struct {
	obs  [2]*obs // the latest state of each side known to this round
	next [2]*obs // deferred observations, for the next round
	n    int32   // observations folded into this round
	refs []feedRef

	want   [2][]fieldWrite // fields still to write, per target side
	del    [2]bool         // a delete still to write, per target side
	flight [2]*flight      // a write in flight or waiting for its retry
	await  [2]bool         // waiting for a fresh observation after a version mismatch
	park   [2]*park
	failed [2]bool // this round's writes to the side ended in the error queue

	snap snapshot        // the record as the round found it (sent.go)
	sent [2][]fieldWrite // the updates sent, per target side (sent.go)
	// snapSaved: the store holds snap, so the intents need no more than
	// RecordSent increments (sent.go).
	snapSaved bool

	rereads [2]int
	since   int64 // when a restored round first parked, before the restart

	needMerge bool
	parked    bool // counted as parked in the accounting
	persisted bool // its observations are part of the checkpointed state
	midway    bool // the record was checkpointed during the round (checkpointNow)
	quiet     bool // merged again on restore: do not log conflicts twice
	retry     bool // started by RetryError: resolve its entries as it ends
	retryNext bool // RetryError came while a write was in flight: retry next
	applied   bool
	queued    bool
	echo      bool
}

// obs is one side's observed state, with a dense value per plan field
// (absent when the observation did not carry the field).
type obs struct {
	vals     []Value
	version  string
	modified int64
	deleted  bool
	echo     bool // carries the version the engine's own write was acknowledged with
	n        int32
	refs     []feedRef
}

// fieldWrite is one field of a write: the value for the target, and the
// source side's value that becomes that side's merge base on success.
type fieldWrite struct {
	i   int
	src side
	// fresh: srcVal was observed on the source side in this round (not
	// taken from the merge base).
	fresh  bool
	srcVal Value
	val    Value
}

// flight is a write the engine emitted and has not heard the end of.
type flight struct {
	m      *mapping
	rec    *record
	side   side
	w      Write
	fields []fieldWrite
	due    int64 // retry time while waiting to be retried, else 0
	// failures counts transient and plug-in failures (throttling is free).
	failures int
	gen      uint64 // tells a retry timer whether the flight is still this one
}

func (e *Engine) newFlight() *flight {
	var fl *flight
	if k := len(e.flightPool); k > 0 {
		fl = e.flightPool[k-1]
		e.flightPool = e.flightPool[:k-1]
	} else {
		fl = new(flight)
	}
	e.gen++
	fl.gen = e.gen
	return fl
}

// freeFlight recycles a flight that ended (acknowledged, queued or to be
// merged again).
func (e *Engine) freeFlight(fl *flight) {
	fields := fl.fields[:0]
	clear(fl.fields)
	*fl = flight{fields: fields}
	e.flightPool = append(e.flightPool, fl)
}

func (r *round) busy() bool { return r.flight[fo] != nil || r.flight[dv] != nil }

func (r *round) gauge() int64 {
	n := int64(r.n)
	for _, o := range r.next {
		if o != nil {
			n += int64(o.n)
		}
	}
	return n
}

func (e *Engine) newObs(n int) *obs {
	var o *obs
	if k := len(e.obsPool); k > 0 {
		o = e.obsPool[k-1]
		e.obsPool = e.obsPool[:k-1]
	} else {
		o = new(obs)
	}
	if cap(o.vals) < n {
		o.vals = make([]Value, n)
	}
	o.vals = o.vals[:n]
	for i := range o.vals {
		o.vals[i] = absent
	}
	return o
}

func (e *Engine) freeObs(o *obs) {
	if o == nil {
		return
	}
	vals, refs := o.vals, o.refs[:0]
	clear(vals)
	*o = obs{vals: vals, refs: refs}
	e.obsPool = append(e.obsPool, o)
}

// startRound returns the record's round, starting one if needed.
func (e *Engine) startRound(rec *record) *round {
	if rec.round != nil {
		return rec.round
	}
	var r *round
	if k := len(e.roundPool); k > 0 {
		r = e.roundPool[k-1]
		e.roundPool = e.roundPool[:k-1]
	} else {
		r = new(round)
	}
	r.snapshot(rec)
	rec.round = r
	e.rounds++
	return r
}

func (e *Engine) freeRound(r *round) {
	w0, w1, refs := r.want[fo][:0], r.want[dv][:0], r.refs[:0]
	s0, s1 := r.sent[fo][:0], r.sent[dv][:0]
	*r = round{refs: refs}
	r.want[fo], r.want[dv] = w0, w1
	r.sent[fo], r.sent[dv] = s0, s1
	e.roundPool = append(e.roundPool, r)
}

// admit takes an observation of side s into the record's life: stale and
// tombstoned rows end here, everything else joins a round.
func (e *Engine) admit(m *mapping, rec *record, s side, o *obs) {
	if o.modified != 0 && o.modified < rec.mod[s] {
		e.drop(o, reasonStale)
		return
	}
	if o.deleted && !rec.exists(s) && (rec.round == nil || rec.round.flight[s] == nil && !rec.round.await[s]) {
		// From s's feed, a delete of a record s is known not to have: a
		// late echo of a delete the engine propagated, or of an older
		// record under the key. It tells nothing new. (A read answer is
		// awaited, and a write out decides what s has.)
		e.drop(o, reasonEcho)
		return
	}
	if rec.round == nil && rec.tombstoned() && e.tombstoneObserved(m, rec, s, o) {
		return
	}
	r := e.startRound(rec)
	e.gaugeAdd(r, int64(o.n))
	if r.busy() || r.next[s] != nil || (r.obs[s] != nil && r.obs[s].deleted && !o.deleted) {
		// (Behind a deferred observation of the side, a later one waits
		// too: it must not overtake it.)
		e.deferObs(r, s, o)
		return
	}
	if o.deleted && rec.own(s) && rec.exists(s) && !r.await[s] {
		e.verifyDelete(m, rec, s, o)
		return
	}
	e.fold(m, rec, s, o)
	e.advance(m, rec)
}

// verifyDelete takes in a delete observed on side s while the engine's own
// write to s is acknowledged and not yet seen back. The delete may be of an
// older row under the same key: Dataverse reports a deleted row by its id
// alone, so the echo of a delete the engine propagated arrives after the
// record was created again, and looks like a delete of the new one. The
// engine reads the record again and merges what it finds instead.
func (e *Engine) verifyDelete(m *mapping, rec *record, s side, o *obs) {
	r := rec.round
	r.n += o.n
	if r.persisted {
		for _, ref := range o.refs {
			e.feedSettle(ref)
		}
	} else {
		r.refs = append(r.refs, o.refs...)
	}
	o.n, o.refs = 0, o.refs[:0]
	e.freeObs(o)
	r.await[s] = true
	e.out.Reads = append(e.out.Reads, Read{Side: s.plan(), Map: m.name, Key: rec.key})
	e.advance(m, rec)
}

// drop ends an observation that joins no round.
func (e *Engine) drop(o *obs, why reason) {
	e.acct.suppress(int64(o.n), why)
	for _, ref := range o.refs {
		e.feedSettle(ref)
	}
	e.freeObs(o)
}

func (e *Engine) deferObs(r *round, s side, o *obs) {
	if cur := r.next[s]; cur != nil {
		o = e.overlay(cur, o)
	}
	r.next[s] = o
}

// overlay merges newer observation o into older cur and returns the result:
// o's present values win; a delete, or a row after a delete, replaces.
func (e *Engine) overlay(cur, o *obs) *obs {
	if cur.deleted || o.deleted {
		o.n += cur.n
		o.refs = append(o.refs, cur.refs...)
		e.freeObs(cur)
		return o
	}
	for i, v := range o.vals {
		if v.k != kindAbsent {
			cur.vals[i] = v
		}
	}
	if o.version != "" {
		cur.version = o.version
	}
	cur.modified = max(cur.modified, o.modified)
	cur.echo = o.echo
	cur.n += o.n
	cur.refs = append(cur.refs, o.refs...)
	e.freeObs(o)
	return cur
}

// fold makes o the round's latest state of side s.
func (e *Engine) fold(m *mapping, rec *record, s side, o *obs) {
	r := rec.round
	sameVer := o.version != "" && o.version == rec.ver[s]
	o.echo = rec.own(s) && sameVer
	seen := sameVer && o.modified == rec.mod[s] // the row as last observed, read again
	if o.version != "" && !o.deleted {
		rec.ver[s] = o.version // a delete keeps the last live version (delete.go)
	}
	rec.mod[s] = max(rec.mod[s], o.modified)
	switch {
	case (o.echo || seen) && rec.umod[s] != 0:
		// The row's modified time is the engine's own write (or the row is
		// the one last observed); its users last changed it at umod, which
		// is what last_write compares.
		o.modified = rec.umod[s]
	case !o.echo && o.modified != 0:
		rec.umod[s] = o.modified
	}
	rec.setOwn(s, false)
	was := rec.exists(s)
	rec.setExists(s, !o.deleted)
	r.n += o.n
	if r.persisted {
		for _, ref := range o.refs {
			e.feedSettle(ref)
		}
	} else {
		r.refs = append(r.refs, o.refs...)
	}
	o.n, o.refs = 0, o.refs[:0]
	if cur := r.obs[s]; cur != nil {
		o = e.overlay(cur, o)
	}
	r.obs[s] = o
	r.await[s] = false
	r.needMerge = true
	e.markDirty(m, rec)
	if !was && !o.deleted {
		e.onExists(m, rec, s)
	}
}

// advance moves a record's round as far as it can go without new input.
func (e *Engine) advance(m *mapping, rec *record) {
	for rec.round != nil {
		r := rec.round
		if !r.busy() {
			for s := fo; s <= dv; s++ {
				if r.await[s] && r.next[s] != nil {
					o := r.next[s]
					r.next[s] = nil
					e.fold(m, rec, s, o)
				}
			}
		}
		if r.busy() || r.await[fo] || r.await[dv] {
			e.regauge(m, rec)
			return
		}
		if r.needMerge {
			for t := fo; t <= dv; t++ {
				if o := r.obs[t]; o != nil && rec.intent(t) {
					e.confirmIntent(m, rec, t, o)
				}
			}
			if len(e.sentBack) > 0 && e.confirmSent(m, rec) {
				e.regauge(m, rec)
				return
			}
			if r.await[fo] || r.await[dv] || e.readFirst(m, rec) {
				e.regauge(m, rec)
				return
			}
			r.needMerge = false
			e.merge(m, rec)
		}
		e.dispatch(m, rec, fo)
		e.dispatch(m, rec, dv)
		if r.busy() || r.park[fo] != nil || r.park[dv] != nil {
			e.regauge(m, rec)
			return
		}
		e.settle(m, rec)
	}
}

// readFirst asks for the current row of a side t that the round has not
// observed but must know before the other side's change can be merged, and
// reports whether the merge waits for the answer. That is the case when t's
// merge base lags its row: t's own changes to the other side are in the
// error queue (its base would re-assert an older value, or count the other
// side's edit as the only change), or t exists with no merge base at all
// (its create on the other side never happened, so this is a first pairing,
// which the map's master decides).
func (e *Engine) readFirst(m *mapping, rec *record) bool {
	r := rec.round
	if rec.tombstoned() {
		return false
	}
	for t := fo; t <= dv; t++ {
		o := r.obs[t.other()]
		if r.obs[t] != nil || r.await[t] || o == nil || o.deleted || !rec.exists(t) {
			continue
		}
		if rec.base[t] != "" && !e.queuedFrom(m, rec, t) {
			continue
		}
		r.await[t] = true
		e.out.Reads = append(e.out.Reads, Read{Side: t.plan(), Map: m.name, Key: rec.key})
		return true
	}
	return false
}

// queuedFrom reports whether the record has an error-queue entry for a
// change from side s to the other side.
func (e *Engine) queuedFrom(m *mapping, rec *record, s side) bool {
	if len(e.errs) == 0 {
		return false
	}
	es := e.errs[errKey{m: m.idx, key: rec.key, s: s.other()}]
	return es != nil && es.entry.Class != DeleteReview
}

// regauge keeps the accounting's parked and in-flight gauges in step with
// the round, and persists a round once it parks.
func (e *Engine) regauge(m *mapping, rec *record) {
	r := rec.round
	parked := (r.park[fo] != nil || r.park[dv] != nil) && !r.busy() && !r.await[fo] && !r.await[dv]
	if parked != r.parked {
		n := r.gauge()
		if parked {
			e.acct.InFlight -= n
			e.acct.Parked += n
		} else {
			e.acct.Parked -= n
			e.acct.InFlight += n
		}
		r.parked = parked
	}
	if parked && !r.persisted {
		r.persisted = true
		for _, ref := range r.refs {
			e.feedSettle(ref)
		}
		r.refs = r.refs[:0]
		e.markDirty(m, rec)
	}
}

func (e *Engine) gaugeAdd(r *round, n int64) {
	if r.parked {
		e.acct.Parked += n
	} else {
		e.acct.InFlight += n
	}
}

// settle ends the round: its observations get their outcome, its feed
// positions settle, and deferred observations start the next round.
func (e *Engine) settle(m *mapping, rec *record) {
	r := rec.round
	n := int64(r.n)
	if r.parked {
		e.acct.Parked -= r.gauge()
	} else {
		e.acct.InFlight -= r.gauge()
	}
	switch {
	case r.queued:
		e.acct.Queued += n
	case r.applied:
		e.acct.Applied += n
	case r.echo:
		e.acct.suppress(n, reasonEcho)
	default:
		e.acct.suppress(n, reasonUnchanged)
	}
	for _, ref := range r.refs {
		e.feedSettle(ref)
	}
	if r.persisted || r.midway {
		// What was persisted during the round is not its outcome.
		e.markDirty(m, rec)
	}
	if r.retry {
		e.retried(m, rec)
	}
	next, retry := r.next, r.retryNext
	if next[fo] != nil || next[dv] != nil {
		// The deferred observations start the next round at once, but this
		// round's observations have settled (their feeds' watermarks move
		// on): its outcome must be checkpointed although the record is
		// already in its next round. Nothing of that round is acknowledged
		// before the next Ready, so the state persisted is this round's
		// with, at most, what the next one merged and agreed.
		e.checkpointNow(m, rec)
	}
	e.freeObs(r.obs[fo])
	e.freeObs(r.obs[dv])
	rec.round = nil
	e.rounds--
	e.freeRound(r)
	for s := fo; s <= dv; s++ {
		if next[s] != nil {
			e.admit(m, rec, s, next[s])
		}
	}
	if retry {
		e.retry(m, rec)
	}
}

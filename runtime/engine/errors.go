package engine

import (
	"fmt"
	"slices"
	"time"

	"github.com/dualsync/dualsync/runtime/plan"
)

// failure describes why a change to a side ends in the error queue.
type failure struct {
	class   Class
	status  int
	code    string
	message string
	field   string // target field name, when the target named one
}

type errKey struct {
	m   int
	key string
	s   side
}

type errState struct {
	m      *mapping
	entry  ErrorEntry
	fields []int // indexes of the target fields that were not written
	// retrying: a person retried the entry and the retry has not settled.
	retrying bool
}

// Fail handles a WriteFailed according to its class (see Class).
func (e *Engine) Fail(f WriteFailed) error {
	fl := e.flights[f.WriteID]
	if fl == nil {
		return fmt.Errorf("failure of unknown write %q", f.WriteID)
	}
	delete(e.flights, f.WriteID)
	m, rec, t := fl.m, fl.rec, fl.side
	r := rec.round
	fail := failure{class: f.Class, status: f.Status, code: f.Code, message: f.Message, field: f.Field}
	switch f.Class {
	case VersionMismatch:
		r.flight[t] = nil
		r.rereads[t]++
		e.acct.Rereads++
		if r.rereads[t] > e.cfg.MaxRereads {
			fail.message = fmt.Sprintf("%d version mismatches in a row: the record keeps changing on %s: %s", r.rereads[t], t.plan(), f.Message)
			e.enqueue(m, rec, t, fail, nil, fieldIdx(fl.fields), fl.w.Attempt)
			break
		}
		r.await[t] = true
		r.needMerge = true
		if r.next[t] == nil {
			e.out.Reads = append(e.out.Reads, Read{Side: t.plan(), Map: m.name, Key: rec.key})
		}
	case Throttled:
		d := f.RetryAfter
		if d <= 0 {
			d = e.backoff(m, 1)
		}
		e.retryLater(fl, d)
	case Transient, Plugin:
		fl.failures++
		if fl.failures >= m.retry.Attempts {
			fail.message = fmt.Sprintf("gave up after %d attempts: %s", fl.failures, f.Message)
			r.flight[t] = nil
			e.enqueue(m, rec, t, fail, nil, fieldIdx(fl.fields), fl.failures)
			break
		}
		e.retryLater(fl, e.backoff(m, fl.failures))
	default:
		// Validation, MissingMapping and anything unknown: no retry.
		r.flight[t] = nil
		e.enqueue(m, rec, t, fail, nil, fieldIdx(fl.fields), 1)
	}
	if r.flight[t] != fl {
		if fl.w.Create {
			// The create ended; its intent stays persisted until the round
			// ends (a crash before then meets it again, see confirmIntent).
			e.markDirty(m, rec)
		}
		e.freeFlight(fl)
	}
	e.advance(m, rec)
	e.drain()
	return nil
}

func fieldIdx(fws []fieldWrite) []int {
	out := make([]int, len(fws))
	for i, fw := range fws {
		out[i] = fw.i
	}
	return out
}

// retryLater keeps the write as the round's flight and sends it again at
// now+d (on the first Tick at or after that time).
func (e *Engine) retryLater(fl *flight, d time.Duration) {
	fl.due = e.now + int64(d)
	e.schedule(timer{at: fl.due, kind: timerRetry, fl: fl, gen: fl.gen})
}

// resend emits a write again, under a new ID.
func (e *Engine) resend(fl *flight, gen uint64) {
	if fl.gen != gen || fl.rec == nil {
		return
	}
	r := fl.rec.round
	if r == nil || r.flight[fl.side] != fl || fl.due == 0 {
		return
	}
	fl.due = 0
	fl.w.ID = e.newID("w")
	fl.w.Attempt++
	e.flights[fl.w.ID] = fl
	e.acct.Retries++
	e.acct.Writes++
	e.out.Writes = append(e.out.Writes, fl.w)
}

// backoff returns the wait before retry n (1-based): the plan's initial
// backoff doubled per retry, capped at its maximum, with equal jitter (half
// fixed, half drawn from the injected random source).
func (e *Engine) backoff(m *mapping, n int) time.Duration {
	base := time.Duration(m.retry.InitialBackoffMS) * time.Millisecond
	if base <= 0 {
		base = time.Second
	}
	limit := time.Duration(m.retry.MaxBackoffMS) * time.Millisecond
	if limit < base {
		limit = base
	}
	d := base
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	half := d / 2
	return half + time.Duration(e.rand.Int63n(int64(d-half)+1))
}

// invalid queues the round's change to t because field f's value cannot be
// converted.
func (e *Engine) invalid(m *mapping, rec *record, t side, f *fieldInfo, err error) {
	e.enqueue(m, rec, t, failure{class: InvalidValue, message: err.Error()}, f, []int{f.idx}, 1)
}

// enqueue ends the round's writes to t in the error queue: it creates or
// updates the record's entry for t.
func (e *Engine) enqueue(m *mapping, rec *record, t side, fail failure, f *fieldInfo, fields []int, attempts int) {
	r := rec.round
	e.unpark(m, rec, t, false)
	r.want[t] = r.want[t][:0]
	r.del[t] = false
	r.await[t] = false
	r.failed[t] = true
	r.queued = true
	k := errKey{m: m.idx, key: rec.key, s: t}
	es := e.errs[k]
	now := e.nowTime()
	if es != nil && es.retrying {
		// The retry failed again: the retried entry is closed and the
		// failure is a new entry, which takes the old one's fields and
		// values over (a store keeps the person's retry as done, and the
		// new failure as queued).
		old := es
		e.resolve(old)
		es = &errState{m: m, entry: old.entry, fields: old.fields}
		es.entry.ID = e.newID("e")
		e.errs[k] = es
		e.errByID[es.entry.ID] = es
	}
	if es == nil {
		es = &errState{m: m, entry: ErrorEntry{ID: e.newID("e"), Map: m.name, Key: rec.key, Side: t.plan(), First: now}}
		e.errs[k] = es
		e.errByID[es.entry.ID] = es
	}
	en := &es.entry
	en.Class, en.Status, en.Code = fail.class, fail.status, fail.code
	en.Message = fmt.Sprintf("%s: %s", fail.class, fail.message)
	en.Field, en.Pos = fail.field, m.pm.Pos
	if f == nil && fail.field != "" {
		if i, ok := m.byName[t][fail.field]; ok {
			f = &m.fields[i]
		}
	}
	if f != nil {
		en.Field, en.Pos = f.name[t], f.pos
	}
	en.Attempts += attempts
	en.Last = now
	src := t.other()
	o := r.obs[src]
	if o == nil {
		src, o = t, r.obs[t]
	}
	// A later failure adds to the entry: the fields that were not written
	// are the union, and the values are the latest known of each field, so
	// that the first failed change is still retried, reported and, when
	// discarded, accepted.
	if en.Source == src.plan() {
		en.Values = mergeValues(en.Values, obsValues(m, src, o))
	} else {
		en.Source = src.plan()
		en.Values = obsValues(m, src, o)
	}
	for _, i := range fields {
		if !slices.Contains(es.fields, i) {
			es.fields = append(es.fields, i)
		}
	}
	slices.Sort(es.fields)
	e.setEntryFields(es, t)
	e.out.Errors = append(e.out.Errors, *en)
}

// setEntryFields names the entry's failed fields (target names, plan order).
func (e *Engine) setEntryFields(es *errState, t side) {
	en := &es.entry
	en.Fields = nil
	for _, i := range es.fields {
		en.Fields = append(en.Fields, es.m.fields[i].name[t])
	}
}

// mergeValues returns old with every field of newer set to newer's value
// (fields of newer that old lacks are added at the end).
func mergeValues(old, newer []FieldValue) []FieldValue {
	out := slices.Clone(old)
	for _, fv := range newer {
		if i := slices.IndexFunc(out, func(x FieldValue) bool { return x.Field == fv.Field }); i >= 0 {
			out[i].Value = fv.Value
		} else {
			out = append(out, fv)
		}
	}
	return out
}

func obsValues(m *mapping, s side, o *obs) []FieldValue {
	if o == nil {
		return nil
	}
	var out []FieldValue
	for i, v := range o.vals {
		if v.k != kindAbsent {
			out = append(out, FieldValue{Field: m.fields[i].name[s], Value: v})
		}
	}
	return out
}

// resolveCovered resolves the record's error entry for t once acknowledged
// writes carried all the fields that entry failed to write, each with the
// value that failed or a newer one: a value observed on the source side in
// the round of the write (fresh), or the very value of the entry. A write
// that carried only some of them takes those off the entry. A write of an
// older value (from a merge base that the failed change never moved) does
// not count: the entry stays, so that nothing is cleared silently.
func (e *Engine) resolveCovered(m *mapping, rec *record, t side, fws []fieldWrite) {
	if len(e.errs) == 0 {
		return
	}
	es := e.errs[errKey{m: m.idx, key: rec.key, s: t}]
	if es == nil || es.entry.Class == DeleteReview {
		return
	}
	left := es.fields[:0]
	for _, i := range es.fields {
		j := slices.IndexFunc(fws, func(fw fieldWrite) bool { return fw.i == i })
		if j < 0 || !e.carries(es, &fws[j]) {
			left = append(left, i)
		}
	}
	switch {
	case len(left) == 0:
		es.fields = left
		e.resolve(es)
	case len(left) < len(es.fields):
		es.fields = left
		e.setEntryFields(es, t)
		e.out.Errors = append(e.out.Errors, es.entry)
	}
}

// carries reports whether fw wrote the entry's failed value of its field,
// or a newer one.
func (e *Engine) carries(es *errState, fw *fieldWrite) bool {
	if fw.fresh {
		return true
	}
	src, err := sideOf(es.entry.Source)
	if err != nil || src != fw.src {
		return false
	}
	v, ok := entryValue(es, src, fw.i)
	return ok && v.Equal(fw.srcVal)
}

// entryValue returns the entry's value of field i (on side src).
func entryValue(es *errState, src side, i int) (Value, bool) {
	name := es.m.fields[i].name[src]
	for _, fv := range es.entry.Values {
		if fv.Field == name {
			return fv.Value, true
		}
	}
	return Value{}, false
}

func (e *Engine) resolve(es *errState) {
	t, _ := sideOf(es.entry.Side)
	k := errKey{m: es.m.idx, key: es.entry.Key, s: t}
	if es.entry.Class == Malformed {
		if e.bad[k] == es {
			delete(e.bad, k)
		}
	} else if e.errs[k] == es {
		delete(e.errs, k)
	}
	delete(e.errByID, es.entry.ID)
	e.out.Resolved = append(e.out.Resolved, es.entry.ID)
}

// RetryError tries an error-queue entry's change again (a delete-review
// entry: the delete is propagated). The entry's values are what the source
// side held when the change failed, and the record may have moved on either
// side since: the engine reads both sides again and merges the fresh rows
// with the merge base, which the failed change never moved, so the change is
// written again as it is now (a failed propagated delete is sent again).
//
// The entry stays in the queue until the retry settles: it is resolved when
// a write carries its fields, or when the retry's round ends without a new
// failure to its side (nothing was left to write); a new failure updates it.
// A crash in between leaves it in the queue, to be retried again.
func (e *Engine) RetryError(id string) error {
	es := e.errByID[id]
	if es == nil {
		return fmt.Errorf("no error-queue entry %q", id)
	}
	if es.entry.Class == Malformed {
		e.retryMalformed(es)
		return nil
	}
	m := es.m
	rec := m.recs[es.entry.Key]
	if rec == nil {
		e.resolve(es)
		return nil
	}
	if es.entry.Class == DeleteReview {
		// The person decided: the delete is propagated (by retry, below).
		if s, a := rec.tomb(); rec.tombstoned() && a == plan.Review {
			rec.setTomb(s, plan.Propagate, rec.delAt)
			e.markDirty(m, rec)
		}
	}
	es.retrying = true
	e.retry(m, rec)
	e.drain()
	return nil
}

// retry starts the work of a retried entry on its record: a round that
// reads every side the record exists on and merges the answers, or, for a
// deleted record, sends a propagated delete again. A round with a write in
// flight does it when it ends.
func (e *Engine) retry(m *mapping, rec *record) {
	if r := rec.round; r != nil && r.busy() {
		r.retryNext = true
		return
	}
	r := e.startRound(rec)
	r.retry = true
	if rec.tombstoned() {
		// The delete wins. If it was to be propagated and the other side
		// still has the record (the failed change was the delete), it is
		// sent again.
		if ts, a := rec.tomb(); a == plan.Propagate && rec.exists(ts.other()) {
			r.del[ts.other()] = true
		}
	} else {
		for s := fo; s <= dv; s++ {
			if rec.exists(s) {
				r.await[s] = true
				e.out.Reads = append(e.out.Reads, Read{Side: s.plan(), Map: m.name, Key: rec.key})
			}
		}
	}
	e.advance(m, rec)
}

// retried resolves, as a retry's round ends, the record's retried entries
// that the round did not queue again: nothing was left to write.
func (e *Engine) retried(m *mapping, rec *record) {
	if len(e.errs) == 0 {
		return
	}
	r := rec.round
	for t := fo; t <= dv; t++ {
		if es := e.errs[errKey{m: m.idx, key: rec.key, s: t}]; es != nil && es.retrying && !r.failed[t] {
			e.resolve(es)
		}
	}
}

// DiscardError drops an entry from the error queue and accepts the
// difference: the failed source values become the source side's merge base,
// so they are not sent again until they change (a delete-review entry: the
// other side keeps its record and the pairing is forgotten).
func (e *Engine) DiscardError(id string) error {
	es := e.errByID[id]
	if es == nil {
		return fmt.Errorf("no error-queue entry %q", id)
	}
	m := es.m
	rec := m.recs[es.entry.Key]
	e.resolve(es)
	if rec == nil || es.entry.Class == Malformed {
		return nil
	}
	if es.entry.Class == DeleteReview {
		e.keepUnderReview(m, rec)
		return nil
	}
	s, err := sideOf(es.entry.Source)
	if err != nil {
		return err
	}
	bv, bu := e.loadBase(m, rec)
	for _, fv := range es.entry.Values {
		if i, ok := m.byName[s][fv.Field]; ok && slices.Contains(es.fields, i) {
			bv[s][i], bu[s][i] = fv.Value, false
		}
	}
	e.storeBase(rec, s, bv[s], bu[s])
	e.markDirty(m, rec)
	return nil
}

// keepUnderReview carries out a person's decision to discard a delete under
// review: the other side keeps its record and the pairing is forgotten.
func (e *Engine) keepUnderReview(m *mapping, rec *record) {
	if !rec.tombstoned() {
		return
	}
	s, a := rec.tomb()
	if a != plan.Review {
		return
	}
	e.markDirty(m, rec)
	rec.setTomb(s, plan.Ignore, rec.delAt)
	rec.base[s.other()] = ""
}

// ObserveFail handles an ObserveFailed: the unreadable row is an observed
// change that ends in the error queue at once, as a Malformed entry with
// the raw payload. A row with a key updates its record's open Malformed
// entry of that side, if there is one; a row without a key is always a new
// entry.
func (e *Engine) ObserveFail(ev ObserveFailed) error {
	m := e.byName[ev.Map]
	if m == nil {
		return fmt.Errorf("unreadable %s row of unknown map %q", ev.Side, ev.Map)
	}
	s, err := sideOf(ev.Side)
	if err != nil {
		return fmt.Errorf("unreadable row of map %q: %w", ev.Map, err)
	}
	e.acct.Observed++
	e.acct.Queued++
	now := e.nowTime()
	k := errKey{m: m.idx, key: ev.Key, s: s}
	var es *errState
	if ev.Key != "" {
		es = e.bad[k]
	}
	if es == nil {
		es = &errState{m: m, entry: ErrorEntry{ID: e.newID("e"), Map: m.name, Key: ev.Key, Side: s.plan(), Source: s.plan(), Class: Malformed, First: now}}
		e.errByID[es.entry.ID] = es
		if ev.Key != "" {
			e.bad[k] = es
		}
	}
	en := &es.entry
	en.Message = fmt.Sprintf("%s: %s", Malformed, ev.Message)
	en.Field, en.Pos = ev.Field, m.pm.Pos
	if i, ok := m.byName[s][ev.Field]; ok && ev.Field != "" {
		en.Pos = m.fields[i].pos
	}
	en.Raw = ev.Raw
	en.Attempts++
	en.Last = now
	e.out.Errors = append(e.out.Errors, *en)
	return nil
}

// retryMalformed resolves a Malformed entry and, when its key is known,
// reads the record again from the side the row came from: the answer is
// stepped as a fresh observation.
func (e *Engine) retryMalformed(es *errState) {
	e.resolve(es)
	if es.entry.Key != "" {
		e.out.Reads = append(e.out.Reads, Read{Side: es.entry.Side, Map: es.m.name, Key: es.entry.Key})
	}
}

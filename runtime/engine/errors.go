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
	en.Source = src.plan()
	en.Values = obsValues(m, src, o)
	es.fields = fields
	en.Fields = nil
	for _, i := range fields {
		en.Fields = append(en.Fields, m.fields[i].name[t])
	}
	e.out.Errors = append(e.out.Errors, *en)
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

// resolveCovered resolves the record's error entry for t once an
// acknowledged write carried all the fields that entry failed to write.
func (e *Engine) resolveCovered(m *mapping, rec *record, t side, fws []fieldWrite) {
	es := e.errs[errKey{m: m.idx, key: rec.key, s: t}]
	if es == nil || es.entry.Class == DeleteReview {
		return
	}
	for _, i := range es.fields {
		if !slices.ContainsFunc(fws, func(fw fieldWrite) bool { return fw.i == i }) {
			return
		}
	}
	e.resolve(es)
}

func (e *Engine) resolve(es *errState) {
	t, _ := sideOf(es.entry.Side)
	delete(e.errs, errKey{m: es.m.idx, key: es.entry.Key, s: t})
	delete(e.errByID, es.entry.ID)
	e.out.Resolved = append(e.out.Resolved, es.entry.ID)
}

// RetryError takes an entry out of the error queue and tries its change
// again, as a new observation of its source values (a delete-review entry:
// the delete is propagated).
func (e *Engine) RetryError(id string) error {
	es := e.errByID[id]
	if es == nil {
		return fmt.Errorf("no error-queue entry %q", id)
	}
	m := es.m
	rec := m.recs[es.entry.Key]
	e.resolve(es)
	if rec == nil {
		return nil
	}
	if es.entry.Class == DeleteReview {
		e.reviewDecision(m, rec, true)
		e.drain()
		return nil
	}
	s, err := sideOf(es.entry.Source)
	if err != nil {
		return err
	}
	o := e.newObs(len(m.fields))
	for _, fv := range es.entry.Values {
		if i, ok := m.byName[s][fv.Field]; ok {
			o.vals[i] = fv.Value
		}
	}
	o.n = 1
	e.acct.Observed++
	e.admit(m, rec, s, o)
	e.drain()
	return nil
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
	if rec == nil {
		return nil
	}
	if es.entry.Class == DeleteReview {
		e.reviewDecision(m, rec, false)
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

// reviewDecision carries out a person's decision on a delete under review.
func (e *Engine) reviewDecision(m *mapping, rec *record, propagate bool) {
	if !rec.tombstoned() {
		return
	}
	s, a := rec.tomb()
	if a != plan.Review {
		return
	}
	t := s.other()
	e.markDirty(m, rec)
	if !propagate {
		rec.setTomb(s, plan.Ignore, rec.delAt)
		rec.base[t] = ""
		return
	}
	rec.setTomb(s, plan.Propagate, rec.delAt)
	if !rec.exists(t) {
		return
	}
	e.startRound(rec).del[t] = true
	e.advance(m, rec)
}

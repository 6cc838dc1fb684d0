package engine

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/dualsync/dualsync/runtime/plan"
)

// world plays both systems for loop tests: rows with versions, targets that
// normalise what they store, change feeds that deliver the current row, a
// store that applies checkpoints, and crashes.
type world struct {
	tb    testing.TB
	p     *plan.Plan
	cfg   Config
	e     *Engine
	now   time.Time
	rows  [2]map[string]*row
	queue []feedItem
	seq   int64
	log   []delivery // every feed delivery, for replay after a crash

	// norm is how a side stores a written value (nil: as written).
	norm func(s plan.Side, field string, v Value) Value
	// noStored makes acknowledgements carry no stored values.
	noStored bool
	// fault, when it returns non-nil, fails the write instead.
	fault func(w Write) *WriteFailed
	// handleHook sees every Ready.
	handleHook func(rd Ready)

	writes    []Write
	stepped   int64 // Observed events stepped
	applied   int   // writes that changed a row
	conflicts []Conflict
	errs      map[string]ErrorEntry
	store     State
}

type row struct {
	vals map[string]Value
	ver  int
	mod  time.Time
	gone bool
}

type feedItem struct {
	side   plan.Side
	m, key string
}

type delivery struct {
	seq  int64
	item feedItem
}

func newWorld(tb testing.TB, cfg Config) *world {
	tb.Helper()
	w := &world{
		tb: tb, p: testPlan(tb), cfg: cfg, now: at(0),
		rows:  [2]map[string]*row{{}, {}},
		errs:  map[string]ErrorEntry{},
		store: State{Version: StateVersion},
	}
	var err error
	w.e, err = New(w.p, cfg, nil)
	if err != nil {
		tb.Fatal(err)
	}
	w.e.Tick(w.now)
	return w
}

func sideIdx(s plan.Side) int {
	if s == plan.FO {
		return 0
	}
	return 1
}

func (w *world) row(s plan.Side, m, key string) *row { return w.rows[sideIdx(s)][m+"|"+key] }

func (w *world) version(s plan.Side, r *row) string { return string(s) + strconv.Itoa(r.ver) }

func (w *world) notify(s plan.Side, m, key string) {
	it := feedItem{s, m, key}
	if !slices.Contains(w.queue, it) {
		w.queue = append(w.queue, it)
	}
}

// edit changes a row on a side as a user would, at the world's clock.
func (w *world) edit(s plan.Side, m, key string, v map[string]Value) {
	w.now = w.now.Add(time.Second)
	w.editAt(s, m, key, v, w.now)
}

func (w *world) editAt(s plan.Side, m, key string, v map[string]Value, mod time.Time) {
	k := m + "|" + key
	r := w.rows[sideIdx(s)][k]
	if r == nil || r.gone {
		ver := 0
		if r != nil {
			ver = r.ver
		}
		r = &row{vals: map[string]Value{}, ver: ver}
		w.rows[sideIdx(s)][k] = r
	}
	maps.Copy(r.vals, v)
	r.ver++
	r.mod = mod
	w.notify(s, m, key)
}

func (w *world) remove(s plan.Side, m, key string) {
	w.now = w.now.Add(time.Second)
	r := w.row(s, m, key)
	r.gone = true
	r.ver++
	r.mod = w.now
	w.notify(s, m, key)
}

func (w *world) observed(it feedItem, seq int64) Observed {
	ob := Observed{Side: it.side, Map: it.m, Key: it.key, Seq: seq}
	if seq > 0 {
		ob.Token = strconv.FormatInt(seq, 10)
	}
	r := w.row(it.side, it.m, it.key)
	if r == nil || r.gone {
		ob.Deleted = true
		if r != nil {
			ob.Version = w.version(it.side, r)
		}
		return ob
	}
	ob.Values = maps.Clone(r.vals)
	ob.Version = w.version(it.side, r)
	ob.Modified = r.mod
	return ob
}

// execute applies a write to its target like the real services do.
func (w *world) execute(wr Write) Event {
	if w.fault != nil {
		if f := w.fault(wr); f != nil {
			f.WriteID = wr.ID
			return *f
		}
	}
	w.writes = append(w.writes, wr)
	r := w.row(wr.Side, wr.Map, wr.Key)
	defer func() {
		if r := w.row(wr.Side, wr.Map, wr.Key); r != nil && r.mod == w.now {
			w.applied++
		}
	}()
	exists := r != nil && !r.gone
	mismatch := WriteFailed{WriteID: wr.ID, Class: VersionMismatch, Status: 412}
	w.now = w.now.Add(10 * time.Millisecond)
	if wr.Op == OpDelete {
		if !exists {
			return WriteAcked{WriteID: wr.ID}
		}
		if wr.ExpectedVersion != "" && wr.ExpectedVersion != w.version(wr.Side, r) {
			return mismatch
		}
		r.gone, r.mod = true, w.now
		r.ver++
		w.notify(wr.Side, wr.Map, wr.Key)
		return WriteAcked{WriteID: wr.ID, Modified: w.now}
	}
	if wr.Create && exists {
		return mismatch
	}
	if !wr.Create && (!exists || wr.ExpectedVersion != w.version(wr.Side, r)) {
		return mismatch
	}
	if !exists {
		ver := 0
		if r != nil {
			ver = r.ver
		}
		r = &row{vals: map[string]Value{}, ver: ver}
		w.rows[sideIdx(wr.Side)][wr.Map+"|"+wr.Key] = r
	}
	stored := map[string]Value{}
	for _, fv := range wr.Values {
		v := fv.Value
		if w.norm != nil {
			v = w.norm(wr.Side, fv.Field, v)
		}
		r.vals[fv.Field] = v
		stored[fv.Field] = v
	}
	r.ver++
	r.mod = w.now
	w.notify(wr.Side, wr.Map, wr.Key)
	ack := WriteAcked{WriteID: wr.ID, NewVersion: w.version(wr.Side, r), Modified: w.now}
	if !w.noStored {
		ack.Stored = stored
	}
	return ack
}

// handle persists a Ready and carries it out; it returns the answers.
func (w *world) handle(rd Ready) []Event {
	w.tb.Helper()
	if err := rd.Accounting.Check(); err != nil {
		w.tb.Fatal(err)
	}
	if w.handleHook != nil {
		w.handleHook(rd)
	}
	w.persist(rd)
	w.conflicts = append(w.conflicts, rd.Conflicts...)
	for _, en := range rd.Errors {
		w.errs[en.ID] = en
	}
	for _, id := range rd.Resolved {
		delete(w.errs, id)
	}
	var evs []Event
	for _, wr := range rd.Writes {
		evs = append(evs, w.execute(wr))
	}
	for _, rq := range rd.Reads {
		evs = append(evs, w.observed(feedItem{rq.Side, rq.Map, rq.Key}, 0))
	}
	return evs
}

// persist applies a Ready to the world's store, as the real store will.
func (w *world) persist(rd Ready) {
	st := &w.store
	// The Ready's slices are the engine's until Advance: keep copies.
	rd.Checkpoint.Records = clone(w.tb, rd.Checkpoint.Records)
	for _, rs := range rd.Checkpoint.Records {
		i := slices.IndexFunc(st.Records, func(x RecordState) bool { return x.Map == rs.Map && x.Key == rs.Key })
		if i < 0 {
			st.Records = append(st.Records, rs)
		} else {
			st.Records[i] = rs
		}
	}
	for _, sent := range clone(w.tb, rd.Checkpoint.Sent) {
		i := slices.IndexFunc(st.Records, func(x RecordState) bool { return x.Map == sent.Map && x.Key == sent.Key })
		if i < 0 {
			w.tb.Fatalf("intent of a record not stored: %s %s", sent.Map, sent.Key)
		}
		st.Records[i].FO.Sent, st.Records[i].DV.Sent = sent.FO, sent.DV
	}
	for _, en := range rd.Errors {
		i := slices.IndexFunc(st.Errors, func(x ErrorEntry) bool { return x.ID == en.ID })
		if i < 0 {
			st.Errors = append(st.Errors, en)
		} else {
			st.Errors[i] = en
		}
	}
	for _, id := range rd.Resolved {
		st.Errors = slices.DeleteFunc(st.Errors, func(x ErrorEntry) bool { return x.ID == id })
	}
	for _, wm := range rd.Checkpoint.Watermarks {
		i := slices.IndexFunc(st.Watermarks, func(x Watermark) bool { return x.Map == wm.Map && x.Side == wm.Side })
		if i < 0 {
			st.Watermarks = append(st.Watermarks, wm)
		} else {
			st.Watermarks[i] = wm
		}
	}
	st.NextID = rd.Checkpoint.NextID
}

// run delivers feeds and carries out the engine's requests until nothing
// is left to do, sending due retries on the way. It fails on a loop.
func (w *world) run() {
	w.tb.Helper()
	for steps := 0; ; steps++ {
		if steps > 2000 {
			w.tb.Fatalf("the system does not go quiet: %d writes so far\n%s", len(w.writes), show(w.writes[max(0, len(w.writes)-10):]))
		}
		if w.e.HasReady() {
			evs := w.handle(w.e.Ready())
			w.e.Advance()
			w.stepAll(evs)
			continue
		}
		if len(w.queue) > 0 {
			w.deliver()
			continue
		}
		if n := len(w.e.timers); n > 0 && w.e.timers[0].kind == timerRetry {
			w.now = timeOf(w.e.timers[0].at)
			w.e.Tick(w.now)
			continue
		}
		break
	}
	if err := w.e.Accounting().Check(); err != nil {
		w.tb.Fatal(err)
	}
}

// deliver steps the next feed row.
func (w *world) deliver() {
	w.tb.Helper()
	it := w.queue[0]
	w.queue = w.queue[1:]
	w.seq++
	w.log = append(w.log, delivery{w.seq, it})
	w.stepAll([]Event{w.observed(it, w.seq)})
}

// readyOnce persists and carries out one Ready, and returns the answers
// without stepping them.
func (w *world) readyOnce() []Event {
	w.tb.Helper()
	evs := w.handle(w.e.Ready())
	w.e.Advance()
	return evs
}

func (w *world) stepAll(evs []Event) {
	w.tb.Helper()
	for _, ev := range evs {
		if _, ok := ev.(Observed); ok {
			w.stepped++
		}
		if err := w.e.Step(ev); err != nil {
			w.tb.Fatal(err)
		}
	}
}

// crash throws the engine away and starts a new one from the store; the
// feeds are read again from the persisted watermarks.
func (w *world) crash() {
	w.tb.Helper()
	var err error
	st := clone(w.tb, w.store)
	w.e, err = New(w.p, w.cfg, &st)
	if err != nil {
		w.tb.Fatal(err)
	}
	w.e.Tick(w.now)
	from := map[feedItem]int64{}
	for _, wm := range w.store.Watermarks {
		n, _ := strconv.ParseInt(wm.Token, 10, 64)
		from[feedItem{side: wm.Side, m: wm.Map}] = n
	}
	for _, d := range w.log {
		if d.seq > from[feedItem{side: d.item.side, m: d.item.m}] {
			w.notify(d.item.side, d.item.m, d.item.key)
		}
	}
}

func clone[T any](tb testing.TB, v T) T {
	tb.Helper()
	var out T
	b := mustJSON(tb, v)
	if err := json.Unmarshal([]byte(b), &out); err != nil {
		tb.Fatal(err)
	}
	return out
}

// fieldOf returns a field of a row on a side (absent when there is none).
func (w *world) fieldOf(s plan.Side, m, key, field string) Value {
	r := w.row(s, m, key)
	if r == nil || r.gone {
		return Value{k: kindAbsent}
	}
	v, ok := r.vals[field]
	if !ok {
		return Value{k: kindAbsent}
	}
	return v
}

func (w *world) writesTo(s plan.Side) int {
	n := 0
	for _, wr := range w.writes {
		if wr.Side == s {
			n++
		}
	}
	return n
}

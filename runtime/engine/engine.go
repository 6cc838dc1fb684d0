package engine

import (
	"fmt"
	"slices"
	"time"

	"github.com/dualsync/dualsync/runtime/plan"
)

// Config holds the engine's options. The zero value works.
type Config struct {
	// Rand draws backoff jitter. Nil: a generator seeded with Seed.
	Rand Rand
	Seed uint64
	// IDs names writes and error-queue entries. Nil: a counter ("w1",
	// "e2", ...) that is persisted in State.NextID.
	IDs IDSource
	// ParkTimeout is how long (event time) a write may wait for its
	// lookups before it becomes a dependency error. Default 10 minutes.
	ParkTimeout time.Duration
	// MaxRereads is how many version mismatches in a row a change may meet
	// before it is queued. Default 10.
	MaxRereads int
	// Retry is the retry policy of maps whose plan policy is all zero.
	// Default 5 attempts, 1 s initial backoff, 60 s maximum. Attempts
	// counts tries, the first included: a change is queued after that many
	// transient or plug-in failures (0 or 1: at the first).
	Retry plan.Retry
}

// Rand is a source of randomness, such as *math/rand.Rand.
type Rand interface {
	// Int63n returns a number in [0, n).
	Int63n(n int64) int64
}

// IDSource returns unique IDs.
type IDSource interface {
	NewID() string
}

// Engine is the sync state machine. It is not safe for concurrent use: one
// driver goroutine steps it.
type Engine struct {
	plan   *plan.Plan
	cfg    Config
	rand   Rand
	maps   []*mapping
	byName map[string]*mapping

	now     int64 // event time, Unix nanoseconds; 0 before the first Tick
	nextID  uint64
	gen     uint64
	flights map[string]*flight
	waiters map[depKey][]waiter
	wake    []waiter
	untimed []waiter // parks waiting for the first Tick to start their timer
	errs    map[errKey]*errState
	bad     map[errKey]*errState // Malformed entries with a key (not in errs)
	errByID map[string]*errState
	feeds   map[feedKey]*feed
	timers  timerHeap

	timerSeq uint64
	draining bool
	acct     Accounting

	// output
	out       Ready
	handedOut bool
	hand      [7]int // lengths of the output slices handed out by Ready
	dirty     []recRef
	feedDirty []*feed

	// scratch
	bv         [2][]Value
	bu         [2][]bool
	packBuf    []byte
	sendBuf    []fieldWrite
	remainBuf  []fieldWrite
	obsPool    []*obs
	roundPool  []*round
	flightPool []*flight
	cpRecords  []RecordState
	cpSent     []RecordSent
	cpArena    stateArena
	cpMarks    []Watermark

	// sentBack: restored intents of updates, until confirmed (sent.go).
	sentBack map[*record]*sentBack
	view     record // scratch for persistView

	droppedOnRestore int
	rounds           int // records with a round in progress
}

// New returns an engine for plan p, resumed from state st (nil for a fresh
// start). Records and error entries of maps no longer in the plan are
// dropped (DroppedOnRestore says how many); fields no longer mapped are
// forgotten.
func New(p *plan.Plan, cfg Config, st *State) (*Engine, error) {
	if cfg.ParkTimeout <= 0 {
		cfg.ParkTimeout = 10 * time.Minute
	}
	if cfg.MaxRereads <= 0 {
		cfg.MaxRereads = 10
	}
	if cfg.Retry == (plan.Retry{}) {
		cfg.Retry = plan.Retry{Attempts: 5, InitialBackoffMS: 1000, MaxBackoffMS: 60000}
	}
	e := &Engine{
		plan:    p,
		cfg:     cfg,
		rand:    cfg.Rand,
		flights: make(map[string]*flight),
		waiters: make(map[depKey][]waiter),
		errs:    make(map[errKey]*errState),
		bad:     make(map[errKey]*errState),
		errByID: make(map[string]*errState),
		feeds:   make(map[feedKey]*feed),
	}
	if e.rand == nil {
		e.rand = &splitMix{state: cfg.Seed}
	}
	var err error
	e.maps, e.byName, err = compile(p, &cfg)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, m := range e.maps {
		n = max(n, len(m.fields))
	}
	for s := range e.bv {
		e.bv[s] = make([]Value, n)
		e.bu[s] = make([]bool, n)
	}
	if st != nil {
		if err := e.restore(st); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// Step feeds one event to the engine.
func (e *Engine) Step(ev Event) error {
	switch ev := ev.(type) {
	case Observed:
		return e.Observe(ev)
	case *Observed:
		return e.Observe(*ev)
	case ObserveFailed:
		return e.ObserveFail(ev)
	case *ObserveFailed:
		return e.ObserveFail(*ev)
	case WriteAcked:
		return e.Ack(ev)
	case *WriteAcked:
		return e.Ack(*ev)
	case WriteFailed:
		return e.Fail(ev)
	case *WriteFailed:
		return e.Fail(*ev)
	case Tick:
		e.Tick(ev.Now)
		return nil
	case *Tick:
		e.Tick(ev.Now)
		return nil
	case RetryError:
		return e.RetryError(ev.ID)
	case *RetryError:
		return e.RetryError(ev.ID)
	case DiscardError:
		return e.DiscardError(ev.ID)
	case *DiscardError:
		return e.DiscardError(ev.ID)
	}
	return fmt.Errorf("unknown event %T", ev)
}

// Observe handles an Observed.
func (e *Engine) Observe(ev Observed) error {
	m := e.byName[ev.Map]
	if m == nil {
		return fmt.Errorf("observed %s row of unknown map %q", ev.Side, ev.Map)
	}
	s, err := sideOf(ev.Side)
	if err != nil {
		return fmt.Errorf("observed row of map %q: %w", ev.Map, err)
	}
	if ev.Key == "" {
		return fmt.Errorf("observed %s row of map %q without a key", ev.Side, ev.Map)
	}
	e.acct.Observed++
	o := e.newObs(len(m.fields))
	o.version, o.modified, o.deleted, o.n = ev.Version, nanos(ev.Modified), ev.Deleted, 1
	if ref, ok := e.feedOpen(m, s, ev.Seq, ev.Token); ok {
		o.refs = append(o.refs, ref)
	}
	switch {
	case ev.Deleted:
	case len(ev.Values) >= len(m.fields)/2:
		// A whole row: a lookup per mapped field costs less than a pass
		// over the row's map. Names the map does not know (key fields,
		// extra columns) are ignored either way.
		for i, name := range m.names[s] {
			if v, ok := ev.Values[name]; ok {
				o.vals[i] = v
			}
		}
	default:
		byName := m.byName[s]
		for name, v := range ev.Values {
			if i, ok := byName[name]; ok {
				o.vals[i] = v
			}
		}
	}
	rec := m.recs[ev.Key]
	if rec == nil {
		if ev.Deleted {
			// Never seen: remember the delete, so a late row cannot create it.
			if m.flows[s] {
				rec = e.newRecord(m, ev.Key)
				rec.setTomb(s, m.del[s], o.modified)
				e.markDirty(m, rec)
			}
			e.drop(o, reasonUnchanged)
			return nil
		}
		rec = e.newRecord(m, ev.Key)
	}
	e.admit(m, rec, s, o)
	e.drain()
	return nil
}

// Tick advances event time: due retries are sent and expired parks become
// dependency errors.
func (e *Engine) Tick(now time.Time) {
	n := nanos(now)
	if n <= e.now {
		return
	}
	e.now = n
	for _, w := range e.untimed {
		if e.parkedAs(w) {
			p := w.rec.round.park[w.t]
			p.since = n
			e.startParkTimer(w.m, w.rec, w.t, p)
		}
	}
	e.untimed = e.untimed[:0]
	e.fireTimers()
	e.drain()
}

func (e *Engine) nowTime() time.Time { return timeOf(e.now) }

// HasReady reports whether Ready has anything new.
func (e *Engine) HasReady() bool {
	o := &e.out
	lens := [7]int{len(o.Writes), len(o.Reads), len(o.Parked), len(o.Released), len(o.Errors), len(o.Resolved), len(o.Conflicts)}
	for i, n := range lens {
		if n > e.hand[i] {
			return true
		}
	}
	if len(e.feedDirty) > 0 {
		return true
	}
	for _, d := range e.dirty {
		if r := d.rec.round; r == nil || r.persisted || d.rec.flags&flagCheckpoint != 0 {
			return true
		}
	}
	return false
}

// Ready returns what to do since the last Ready. Call Advance when it is
// done (persisted and sent) before calling Ready again (Ready panics
// otherwise); events may be stepped in between. The Ready's slices, those
// inside its records included, belong to the engine until Advance: a store
// copies what it keeps.
func (e *Engine) Ready() Ready {
	if e.handedOut {
		panic("engine: Ready called again before Advance")
	}
	e.handedOut = true
	e.cpRecords, e.cpSent = e.cpRecords[:0], e.cpSent[:0]
	e.cpArena.reset()
	keep := e.dirty[:0]
	for _, d := range e.dirty {
		if r := d.rec.round; r != nil && !r.persisted && d.rec.flags&flagCheckpoint == 0 {
			// Mid-round: the last checkpoint stays the record's consistent
			// state (its base with the versions that go with it) until the
			// round ends. Its observations hold the feed's watermark back.
			// (The exceptions are marked flagCheckpoint: see checkpointNow.)
			keep = append(keep, d)
			continue
		}
		d.rec.flags &^= flagDirty | flagCheckpoint
		if e.sentOnly(d.rec) {
			e.cpSent = append(e.cpSent, e.recordSent(d.m, d.rec, &e.cpArena))
			continue
		}
		e.cpRecords = append(e.cpRecords, e.recordState(d.m, d.rec, &e.cpArena, true))
		d.rec.flags |= flagSaved
	}
	clear(e.dirty[len(keep):])
	e.dirty = keep
	e.cpMarks = e.cpMarks[:0]
	for _, f := range e.feedDirty {
		f.dirty = false
		e.cpMarks = append(e.cpMarks, e.watermark(f))
	}
	clear(e.feedDirty)
	e.feedDirty = e.feedDirty[:0]
	o := &e.out
	e.hand = [7]int{len(o.Writes), len(o.Reads), len(o.Parked), len(o.Released), len(o.Errors), len(o.Resolved), len(o.Conflicts)}
	return Ready{
		Writes:     o.Writes[:len(o.Writes):len(o.Writes)],
		Reads:      o.Reads[:len(o.Reads):len(o.Reads)],
		Parked:     o.Parked[:len(o.Parked):len(o.Parked)],
		Released:   o.Released[:len(o.Released):len(o.Released)],
		Errors:     o.Errors[:len(o.Errors):len(o.Errors)],
		Resolved:   o.Resolved[:len(o.Resolved):len(o.Resolved)],
		Conflicts:  o.Conflicts[:len(o.Conflicts):len(o.Conflicts)],
		Checkpoint: Checkpoint{Records: e.cpRecords, Sent: e.cpSent, Watermarks: e.cpMarks, NextID: e.nextID},
		Accounting: e.acct,
	}
}

// Advance tells the engine the last Ready was handled: its checkpoint is
// persisted and its writes and reads are sent.
func (e *Engine) Advance() {
	if !e.handedOut {
		return
	}
	o := &e.out
	o.Writes = shift(o.Writes, e.hand[0])
	o.Reads = shift(o.Reads, e.hand[1])
	o.Parked = shift(o.Parked, e.hand[2])
	o.Released = shift(o.Released, e.hand[3])
	o.Errors = shift(o.Errors, e.hand[4])
	o.Resolved = shift(o.Resolved, e.hand[5])
	o.Conflicts = shift(o.Conflicts, e.hand[6])
	e.hand = [7]int{}
	e.handedOut = false
}

func shift[T any](s []T, n int) []T {
	k := copy(s, s[n:])
	clear(s[k:])
	return s[:k]
}

// Accounting returns the current totals.
func (e *Engine) Accounting() Accounting { return e.acct }

// Quiet reports whether no record has work in progress: no write awaits an
// answer, no retry or read is pending, and no record is parked.
func (e *Engine) Quiet() bool { return e.rounds == 0 }

// Existing returns, sorted, the keys of map m's records that the engine
// knows to exist on side s (what a full read of that side should list).
func (e *Engine) Existing(m string, s plan.Side) []string {
	mp := e.byName[m]
	t, err := sideOf(s)
	if mp == nil || err != nil {
		return nil
	}
	var keys []string
	for k, rec := range mp.recs {
		if rec.exists(t) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// DroppedOnRestore is the number of records and error entries of the
// restored state that belonged to maps no longer in the plan.
func (e *Engine) DroppedOnRestore() int { return e.droppedOnRestore }

// splitMix is the default random source (SplitMix64): small, seeded, and the
// same sequence everywhere.
type splitMix struct{ state uint64 }

func (r *splitMix) Int63n(n int64) int64 {
	if n <= 0 {
		return 0
	}
	r.state += 0x9e3779b97f4a7c15
	z := r.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return int64(z>>1) % n
}

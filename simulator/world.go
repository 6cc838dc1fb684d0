package simulator

import (
	"context"
	"errors"
	"fmt"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator/fake"
)

// Config holds a world's options. The zero value works: both fakes
// configured from the plan alone, no faults, the driver's and engine's
// defaults, at most DefaultMaxRounds rounds per Run.
type Config struct {
	// FO and DV configure the fake services. The world sets their Seed
	// (from its seed) and Clock (its own); everything else is kept.
	FO, DV fake.Config
	// Connector configures the adapters between the driver and the fakes.
	Connector fake.ConnectorConfig
	// Engine configures the engine; the world sets Seed from its seed
	// unless Rand is set.
	Engine engine.Config
	// BatchSize, PageSize and PollTargets are passed to the driver
	// (dsruntime.Config); zero means the driver's default.
	BatchSize   int
	PageSize    int
	PollTargets bool
	// MaxRounds bounds the driver rounds of one Run. Default
	// DefaultMaxRounds.
	MaxRounds int
	// Start is the virtual time the world starts at. Default fake.Epoch.
	Start time.Time
	// NoTrace turns the trace off: nothing is formatted and Trace returns
	// nothing. It saves the cost of describing every event when nobody
	// reads the trace (randomized exploration, which replays a failing
	// seed with the trace on to show it). The default keeps the trace.
	NoTrace bool
}

// DefaultMaxRounds is the default bound on the rounds of one Run.
const DefaultMaxRounds = 2000

// ErrNotQuiet is wrapped by Run's error when the system did not go quiet
// within the rounds allowed: an echo loop (the sides ping-pong) or work
// that never settles.
var ErrNotQuiet = dsruntime.ErrNotQuiet

// ErrDown is returned by Run and Step while the engine is crashed: call
// Restart first.
var ErrDown = errors.New("the engine is down: restart it first")

// World is one deterministic simulated deployment: a plan, the two fake
// services, a virtual clock, a driver with its engine, and the persisted
// state the driver saves through. It is not safe for concurrent use.
type World struct {
	plan  *plan.Plan
	seed  int64
	cfg   Config
	clock *fake.Clock
	start time.Time
	fo    *fake.FO
	dv    *fake.DV
	conns [2]*conn // fo, dv: the fakes' connectors, wrapped
	store *dsruntime.MemoryPersister
	saver *saver

	drv   *dsruntime.Driver
	lives int               // drivers built so far
	acct  engine.Accounting // the current driver's accounting when it crashed
	crash *armed            // an armed crash, or nil

	timed    []timedAction
	timedSeq int
	writes   []WriteLog
	trace    tracer
}

// NewWorld builds a world for plan p at the virtual time cfg.Start, with
// empty services, and starts its driver.
func NewWorld(p *plan.Plan, seed int64, cfg Config) (*World, error) {
	if p == nil {
		return nil, errors.New("world needs a plan")
	}
	if cfg.MaxRounds <= 0 {
		cfg.MaxRounds = DefaultMaxRounds
	}
	if cfg.Start.IsZero() {
		cfg.Start = fake.Epoch
	}
	w := &World{plan: p, seed: seed, cfg: cfg, start: cfg.Start.UTC()}
	w.clock = fake.NewClock(w.start)
	w.trace.start = w.start
	w.trace.clock = w.clock
	w.trace.off = cfg.NoTrace

	foCfg, dvCfg := cfg.FO, cfg.DV
	foCfg.Seed, foCfg.Clock = uint64(seed), w.clock
	dvCfg.Seed, dvCfg.Clock = uint64(seed), w.clock
	var err error
	if w.fo, err = fake.NewFO(p, foCfg); err != nil {
		return nil, fmt.Errorf("fake f&o: %w", err)
	}
	if w.dv, err = fake.NewDV(p, dvCfg); err != nil {
		return nil, fmt.Errorf("fake dataverse: %w", err)
	}
	w.store = dsruntime.NewMemoryPersister(nil)
	w.saver = &saver{w: w, inner: w.store}
	w.trace.linef("world seed=%d plan=%s", seed, p.Digest)
	if err := w.startDriver(nil); err != nil {
		return nil, err
	}
	return w, nil
}

// startDriver builds a driver and engine resumed from st, with new
// connectors: like a restarted process, they remember nothing.
func (w *World) startDriver(st *engine.State) error {
	w.conns[0] = &conn{w: w, inner: fake.NewFOConnector(w.fo, w.plan, w.cfg.Connector)}
	w.conns[1] = &conn{w: w, inner: fake.NewDVConnector(w.dv, w.plan, w.cfg.Connector)}
	var trace func(dsruntime.TraceEvent)
	if w.trace.on() {
		trace = w.trace.driver
	}
	ec := w.cfg.Engine
	if ec.Rand == nil {
		// A different stream per life, so that a restart does not replay
		// the jitter of the first life.
		ec.Seed = uint64(w.seed)*0x9e3779b97f4a7c15 + uint64(w.lives) + 1
	}
	d, err := dsruntime.New(w.plan, w.conns[0], w.conns[1], dsruntime.Config{
		Engine:      ec,
		State:       st,
		Persister:   w.saver,
		Clock:       w.clock,
		BatchSize:   w.cfg.BatchSize,
		PageSize:    w.cfg.PageSize,
		PollTargets: w.cfg.PollTargets,
		Trace:       trace,
	})
	if err != nil {
		return fmt.Errorf("start driver: %w", err)
	}
	w.drv = d
	w.lives++
	return nil
}

// Plan returns the world's plan.
func (w *World) Plan() *plan.Plan { return w.plan }

// Seed returns the world's seed.
func (w *World) Seed() int64 { return w.seed }

// Clock returns the virtual clock shared by the driver and both fakes.
func (w *World) Clock() *fake.Clock { return w.clock }

// Now returns the virtual time.
func (w *World) Now() time.Time { return w.clock.Now() }

// Elapsed returns the virtual time since the world started.
func (w *World) Elapsed() time.Duration { return w.clock.Now().Sub(w.start) }

// SetTime moves the virtual clock to d after the world's start. Time never
// goes back: a d before the current time is an error.
func (w *World) SetTime(d time.Duration) error {
	now := w.Elapsed()
	if d < now {
		return fmt.Errorf("time %s is before the current time %s: time never goes back", d, now)
	}
	w.clock.Set(w.start.Add(d))
	w.runTimed()
	return nil
}

// Advance moves the virtual clock forward by d.
func (w *World) Advance(d time.Duration) {
	w.clock.Advance(d)
	w.runTimed()
}

// FO returns the fake F&O.
func (w *World) FO() *fake.FO { return w.fo }

// DV returns the fake Dataverse.
func (w *World) DV() *fake.DV { return w.dv }

// Driver returns the running driver, or nil while the engine is down.
func (w *World) Driver() *dsruntime.Driver { return w.drv }

// Store returns the persisted state: what survives a crash.
func (w *World) Store() *dsruntime.MemoryPersister { return w.store }

// Down reports whether the engine is crashed.
func (w *World) Down() bool { return w.drv == nil }

// Run runs the driver until the system is quiet, within Config.MaxRounds
// rounds, and then checks the accounting identity. Running out of rounds
// fails with an error wrapping ErrNotQuiet. A crash armed with CrashAt
// that fires during the run ends it: Run returns nil and the engine is
// down.
func (w *World) Run(ctx context.Context) error {
	if w.drv == nil {
		return ErrDown
	}
	start := w.drv.Stats()
	crashed, err := w.guard(func() error { return w.drv.RunUntilQuiet(ctx, w.cfg.MaxRounds) })
	if crashed {
		return nil
	}
	st := w.drv.Stats()
	rounds, writes := st.Rounds-start.Rounds, st.Writes-start.Writes
	if err != nil {
		if errors.Is(err, dsruntime.ErrNotQuiet) {
			w.trace.linef("run not quiet rounds=%d writes=%d", rounds, writes)
			return fmt.Errorf("echo loop or no quiescence: %w", err)
		}
		w.trace.linef("run error: %v", err)
		return err
	}
	w.trace.linef("run quiet rounds=%d writes=%d", rounds, writes)
	if err := w.drv.Engine().Accounting().Check(); err != nil {
		w.trace.linef("accounting broken: %v", err)
		return err
	}
	return nil
}

// RunIdle runs driver rounds, without moving the clock, until a round
// does nothing: no rows polled, no writes or reads sent. Unlike Run it
// leaves parked records and pending retries waiting (only time would move
// them on), so that a caller can look at them or let something else
// happen first. It fails with ErrNotQuiet after Config.MaxRounds rounds,
// and when the accounting does not balance. A crash armed with CrashAt
// that fires ends it.
func (w *World) RunIdle(ctx context.Context) error {
	for round := 0; round < w.cfg.MaxRounds; round++ {
		progress, err := w.Step(ctx)
		if err != nil || w.drv == nil {
			return err
		}
		if !progress {
			w.trace.linef("run idle rounds=%d", round+1)
			return w.drv.Engine().Accounting().Check()
		}
	}
	w.trace.linef("run idle: still busy after %d rounds", w.cfg.MaxRounds)
	return fmt.Errorf("echo loop or no quiescence: %w after %d rounds without moving the clock", ErrNotQuiet, w.cfg.MaxRounds)
}

// Parked returns the persisted records whose writes wait for lookups, as
// map and key, sorted.
func (w *World) Parked() []engine.Dep {
	var out []engine.Dep
	for _, r := range w.store.State().Records {
		if !r.ParkedSince.IsZero() {
			out = append(out, engine.Dep{Map: r.Map, Key: r.Key})
		}
	}
	return out
}

// Step runs one driver round: Tick, Poll and Pump, without moving the
// clock. It reports whether the round did anything (rows polled, writes
// or reads sent). A crash armed with CrashAt that fires ends the round.
func (w *World) Step(ctx context.Context) (bool, error) {
	if w.drv == nil {
		return false, ErrDown
	}
	before := w.drv.Stats()
	progress := false
	crashed, err := w.guard(func() error {
		if err := w.drv.Tick(ctx); err != nil {
			return err
		}
		n, err := w.drv.Poll(ctx)
		if err != nil {
			return err
		}
		progress = n > 0
		return w.drv.Pump(ctx)
	})
	if crashed {
		return true, nil
	}
	after := w.drv.Stats()
	progress = progress || after.Writes > before.Writes || after.Reads > before.Reads
	return progress, err
}

// Quiet reports whether the engine has nothing in flight, waiting or
// parked. A crashed engine is not quiet.
func (w *World) Quiet() bool {
	return w.drv != nil && w.drv.Engine().Quiet() && !w.drv.Engine().HasReady()
}

// Errors returns the persisted error queue, sorted by map, key and side.
func (w *World) Errors() []engine.ErrorEntry { return w.store.Errors() }

// Conflicts returns the persisted conflict log, oldest first.
func (w *World) Conflicts() []engine.Conflict { return w.store.Conflicts() }

// Accounting returns the accounting of the current engine: since the last
// Restart (or the start). While the engine is down it is the accounting
// the crashed engine had.
func (w *World) Accounting() engine.Accounting {
	if w.drv == nil {
		return w.acct
	}
	return w.drv.Engine().Accounting()
}

// Lives returns how many engines the world has started: 1 plus the
// restarts.
func (w *World) Lives() int { return w.lives }

// Note adds a line to the trace, for the caller's own markers.
func (w *World) Note(format string, args ...any) {
	w.trace.linef("note "+format, args...)
}

// Trace returns the canonical trace so far (nothing with
// Config.NoTrace).
func (w *World) Trace() []byte { return w.trace.bytes() }

// RetryError takes error-queue entry id out of the queue and has the
// engine try its change again, as a person would from the error queue
// (for a delete under review: propagate the delete). The work happens in
// the next Run or Step.
func (w *World) RetryError(id string) error {
	if w.drv == nil {
		return ErrDown
	}
	if err := w.drv.Engine().Step(engine.RetryError{ID: id}); err != nil {
		return err
	}
	w.trace.linef("queue retry %s", id)
	return nil
}

// DiscardError drops error-queue entry id and accepts the difference (for
// a delete under review: keep the other side's record).
func (w *World) DiscardError(id string) error {
	if w.drv == nil {
		return ErrDown
	}
	if err := w.drv.Engine().Step(engine.DiscardError{ID: id}); err != nil {
		return err
	}
	w.trace.linef("queue discard %s", id)
	return nil
}

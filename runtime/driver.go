package runtime

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// Config holds the driver's options. The zero value works.
type Config struct {
	// Engine configures the engine the driver builds.
	Engine engine.Config
	// State is the persisted state to resume from; nil for a first run.
	State *engine.State
	// Persister saves each Ready. Nil: a MemoryPersister starting from State.
	Persister Persister
	// Clock gives the engine's event time. Nil: SystemClock.
	Clock Clock
	// BatchSize caps the writes sent in one Connector.Apply. Each map's
	// plan batch size decides below the cap; a map without one (an older
	// plan) uses 100. Zero: no cap beyond the plan's.
	BatchSize int
	// PageSize is the limit passed to Connector.Changes. Default 500.
	PageSize int
	// IdleStep is how far RunUntilQuiet first moves a virtual clock when
	// nothing but time can make progress; each idle round doubles it, up to
	// MaxIdleStep. Defaults 1 s and 1 min.
	IdleStep    time.Duration
	MaxIdleStep time.Duration
	// MaxPumpSteps bounds the Readies one Pump handles. Default 100,000.
	MaxPumpSteps int
	// PollTargets also polls the side a one-way map flows to, so that the
	// engine sees edits and deletes of the copies there. Default: only the
	// sides a map's direction flows from are polled.
	PollTargets bool
	// Trace, when set, sees everything the driver does, in order. The
	// values it gets are only valid during the call.
	Trace func(TraceEvent)
}

// TraceEvent is one thing the driver did, for traces and debugging.
type TraceEvent struct {
	At   time.Time `json:"at"`
	Kind string    `json:"kind"` // tick, page, poll-error, cursor-reset, ready, apply, read, read-error, advance-clock
	Side plan.Side `json:"side,omitempty"`
	Map  string    `json:"map,omitempty"`

	Page     *Page            `json:"page,omitempty"`
	Ready    *engine.Ready    `json:"ready,omitempty"`
	Writes   []engine.Write   `json:"writes,omitempty"`
	Results  []Result         `json:"results,omitempty"`
	Read     *engine.Read     `json:"read,omitempty"`
	Observed *engine.Observed `json:"observed,omitempty"`
	Err      string           `json:"err,omitempty"`
}

// Stats counts what the driver did since it was built.
type Stats struct {
	Polls        int64 `json:"polls"`        // Poll calls
	Pages        int64 `json:"pages"`        // Changes calls that answered
	Rows         int64 `json:"rows"`         // rows stepped from change feeds
	Rejected     int64 `json:"rejected"`     // unreadable rows stepped as engine.ObserveFailed
	PollErrors   int64 `json:"pollErrors"`   // Changes calls that failed
	CursorResets int64 `json:"cursorResets"` // feeds read again after ErrCursorExpired
	Readies      int64 `json:"readies"`      // Readies persisted
	Batches      int64 `json:"batches"`      // Apply calls
	Writes       int64 `json:"writes"`       // writes sent
	Acked        int64 `json:"acked"`
	Failed       int64 `json:"failed"`
	// FailedBy counts failed writes by class.
	FailedBy   map[engine.Class]int64 `json:"failedBy,omitempty"`
	Reads      int64                  `json:"reads"` // reads answered
	ReadErrors int64                  `json:"readErrors"`
	Rounds     int64                  `json:"rounds"` // RunUntilQuiet rounds
}

// Driver runs an engine against two connectors: it owns the engine, the
// feeds' cursors, the persister and the clock. It is not safe for
// concurrent use and starts no goroutines.
type Driver struct {
	plan    *plan.Plan
	eng     *engine.Engine
	conns   map[plan.Side]Connector
	persist Persister
	clock   Clock
	cfg     Config

	feeds  []*feed
	byFeed map[feedID]*feed
	stage  map[string]int // map name to position in poll order
	reads  []engine.Read  // reads that failed, to try again
	broken error
	stats  Stats
}

type feedID struct {
	m string
	s plan.Side
}

// feed is one side of one map: its cursor and the last Seq numbered.
type feed struct {
	m      *plan.Map
	side   plan.Side
	cursor string
	seq    int64
	more   bool
	// seen collects the keys of a full read (from an empty cursor) while it
	// lasts; nil otherwise. See reconcile.
	seen map[string]bool
}

// ErrNotQuiet is wrapped by RunUntilQuiet's error when its rounds run out.
var ErrNotQuiet = errors.New("not quiet")

// New builds a driver for plan p with connectors fo and dv: it builds the
// engine from cfg.State, resumes each feed from the state's watermark
// tokens, and ticks the engine with the clock's time.
func New(p *plan.Plan, fo, dv Connector, cfg Config) (*Driver, error) {
	if fo == nil || dv == nil {
		return nil, errors.New("driver needs a connector for each side")
	}
	if fo.Side() != plan.FO || dv.Side() != plan.DV {
		return nil, fmt.Errorf("connectors for sides %s and %s, want fo and dv", fo.Side(), dv.Side())
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 500
	}
	if cfg.IdleStep <= 0 {
		cfg.IdleStep = time.Second
	}
	if cfg.MaxIdleStep < cfg.IdleStep {
		cfg.MaxIdleStep = max(time.Minute, cfg.IdleStep)
	}
	if cfg.MaxPumpSteps <= 0 {
		cfg.MaxPumpSteps = 100_000
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.Persister == nil {
		cfg.Persister = NewMemoryPersister(cfg.State)
	}
	eng, err := engine.New(p, cfg.Engine, cfg.State)
	if err != nil {
		return nil, err
	}
	d := &Driver{
		plan:    p,
		eng:     eng,
		conns:   map[plan.Side]Connector{plan.FO: fo, plan.DV: dv},
		persist: cfg.Persister,
		clock:   cfg.Clock,
		cfg:     cfg,
		byFeed:  map[feedID]*feed{},
		stage:   map[string]int{},
		stats:   Stats{FailedBy: map[engine.Class]int64{}},
	}
	for _, st := range p.Stages {
		for _, name := range st {
			m := p.MapByName(name)
			if m == nil {
				continue
			}
			d.stage[name] = len(d.stage)
			for _, s := range []plan.Side{plan.FO, plan.DV} {
				if !m.Direction.Flows(s) && !cfg.PollTargets {
					continue
				}
				f := &feed{m: m, side: s}
				d.feeds = append(d.feeds, f)
				d.byFeed[feedID{name, s}] = f
			}
		}
	}
	if cfg.State != nil {
		for _, w := range cfg.State.Watermarks {
			if f := d.byFeed[feedID{w.Map, w.Side}]; f != nil {
				f.cursor = w.Token
			}
		}
	}
	d.eng.Tick(d.clock.Now())
	return d, nil
}

// Engine returns the driver's engine, for inspection (Accounting, State,
// Quiet). Stepping it directly bypasses the driver's persistence.
func (d *Driver) Engine() *engine.Engine { return d.eng }

// Stats returns what the driver did so far.
func (d *Driver) Stats() Stats {
	s := d.stats
	s.FailedBy = make(map[engine.Class]int64, len(d.stats.FailedBy))
	for k, v := range d.stats.FailedBy {
		s.FailedBy[k] = v
	}
	return s
}

// Cursor returns the in-memory cursor of map m's feed on side s.
func (d *Driver) Cursor(m string, s plan.Side) string {
	if f := d.byFeed[feedID{m, s}]; f != nil {
		return f.cursor
	}
	return ""
}

// Err returns the error that stopped the driver (a failed Save), if any.
func (d *Driver) Err() error { return d.broken }

func (d *Driver) trace(ev TraceEvent) {
	if d.cfg.Trace == nil {
		return
	}
	if ev.At.IsZero() {
		ev.At = d.clock.Now()
	}
	d.cfg.Trace(ev)
}

// Tick steps the engine's event time to the clock's time: due retries are
// sent (on the next Pump) and expired parks become dependency errors.
func (d *Driver) Tick(ctx context.Context) error {
	if d.broken != nil {
		return d.broken
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	now := d.clock.Now()
	d.eng.Tick(now)
	d.trace(TraceEvent{At: now, Kind: "tick"})
	return nil
}

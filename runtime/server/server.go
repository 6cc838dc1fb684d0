package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/runtime/store"
)

// Server is the runtime process around one Driver. Run drives the loop
// from one goroutine; Handler, Status, Kick, Pause and Resume may be
// called from any goroutine.
type Server struct {
	plan   *plan.Plan
	fo, dv dsruntime.Connector
	cfg    Config
	log    *slog.Logger
	reg    *prometheus.Registry
	met    *metrics
	memory *dsruntime.MemoryPersister // the persister when Config.Store is nil
	feeds  map[plan.Side]bool         // sides that have a change feed
	start  time.Time
	redact *redactor

	// Owned by the loop goroutine (and New).
	drv     *dsruntime.Driver
	acc     attributor
	errs    map[string]errInfo // open error-queue entries by ID
	stepped map[string]bool    // requests stepped into this driver
	round   roundNotes
	down    map[plan.Side]bool // sides whose last poll failed

	kick chan struct{}
	gate chan struct{} // held by a round, or by Pause

	mu sync.Mutex // guards st
	st state
}

// state is what other goroutines may read, under Server.mu.
type state struct {
	lastOK   map[plan.Side]time.Time
	lastErr  map[plan.Side]string
	broken   error
	stopping bool
	acct     engine.Accounting
	stats    dsruntime.Stats
	queue    map[engine.Class]int
	loops    int64
}

// errInfo is what the server keeps of an open error-queue entry.
type errInfo struct {
	m      string
	class  engine.Class
	source plan.Side
}

// roundNotes collects what the driver's trace said during one round.
type roundNotes struct {
	failed map[plan.Side][]string // poll errors by side
	more   bool                   // a feed has more changes ready
}

// New builds a server for plan p with connectors fo and dv: it loads the
// state from cfg.Store, refuses a store written with another plan unless
// cfg.AllowPlanChange is set, and builds the driver.
func New(ctx context.Context, p *plan.Plan, fo, dv dsruntime.Connector, cfg Config) (*Server, error) {
	if p == nil {
		return nil, errors.New("server needs a plan")
	}
	if fo == nil || dv == nil {
		return nil, errors.New("server needs a connector for each side")
	}
	cfg = cfg.withDefaults()
	s := &Server{
		plan:    p,
		cfg:     cfg,
		log:     cfg.Logger,
		reg:     cfg.Registry,
		feeds:   map[plan.Side]bool{},
		errs:    map[string]errInfo{},
		stepped: map[string]bool{},
		down:    map[plan.Side]bool{},
		kick:    make(chan struct{}, 1),
		gate:    make(chan struct{}, 1),
		start:   cfg.Clock.Now(),
		redact:  newRedactor(cfg.Secrets),
		st: state{
			lastOK:  map[plan.Side]time.Time{},
			lastErr: map[plan.Side]string{},
			queue:   map[engine.Class]int{},
		},
	}
	for _, m := range p.Maps {
		for _, side := range []plan.Side{plan.FO, plan.DV} {
			if m.Direction.Flows(side) || cfg.PollTargets {
				s.feeds[side] = true
			}
		}
	}
	if s.reg == nil {
		s.reg = prometheus.NewRegistry()
		s.reg.MustRegister(goCollector(), processCollector())
	}
	met, err := newMetrics(s, s.reg)
	if err != nil {
		return nil, err
	}
	s.met = met
	s.fo = timed{Connector: fo, s: s}
	s.dv = timed{Connector: dv, s: s}

	st, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.build(st); err != nil {
		return nil, err
	}
	s.log.Info("runtime started", "plan", p.Digest, "maps", len(p.Maps),
		"store", s.storeName(ctx), "records", len(st.Records), "errors", len(st.Errors))
	return s, nil
}

// load reads the state to resume from and checks the plan it was written
// with.
func (s *Server) load(ctx context.Context) (*engine.State, error) {
	if s.cfg.Store == nil {
		if s.memory == nil {
			s.memory = dsruntime.NewMemoryPersister(nil)
		}
		return s.memory.State(), nil
	}
	st, err := s.cfg.Store.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("load store: %w", err)
	}
	if st.PlanDigest != "" && st.PlanDigest != s.plan.Digest {
		if !s.cfg.AllowPlanChange {
			return nil, &store.PlanMismatchError{Location: s.storeName(ctx), Stored: st.PlanDigest, Want: s.plan.Digest}
		}
		s.log.Warn("store was written with another plan: resuming with this one", "stored", st.PlanDigest, "plan", s.plan.Digest)
	}
	return &st, nil
}

func (s *Server) storeName(ctx context.Context) string {
	if s.cfg.Store == nil {
		return "memory"
	}
	info, err := s.cfg.Store.Info(ctx)
	if err != nil {
		return "store"
	}
	return info.Location
}

// build makes a new driver from st.
func (s *Server) build(st *engine.State) error {
	var ps dsruntime.Persister = s.memory
	if s.cfg.Store != nil {
		ps = store.Saver{Store: s.cfg.Store}
	}
	d, err := dsruntime.New(s.plan, s.fo, s.dv, dsruntime.Config{
		Engine:      s.cfg.Engine,
		State:       st,
		Persister:   ps,
		Clock:       s.cfg.Clock,
		BatchSize:   s.cfg.BatchSize,
		PageSize:    s.cfg.PageSize,
		PollTargets: s.cfg.PollTargets,
		Trace:       s.trace,
	})
	if err != nil {
		return fmt.Errorf("start driver: %w", err)
	}
	if n := d.Engine().DroppedOnRestore(); n > 0 {
		s.log.Warn("dropped state of maps no longer in the plan", "records_and_errors", n)
	}
	s.drv = d
	s.acc = attributor{last: d.Engine().Accounting()}
	clear(s.stepped)
	clear(s.errs)
	for _, e := range st.Errors {
		if s.plan.MapByName(e.Map) != nil {
			s.errs[e.ID] = errInfo{m: e.Map, class: e.Class, source: e.Source}
		}
	}
	s.met.setQueue(s.errs)
	s.publish(nil)
	return nil
}

// Registry returns the registry the metrics are in.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// Plan returns the plan the server runs.
func (s *Server) Plan() *plan.Plan { return s.plan }

// ReadThrottled counts a read the target answered with 429 and the wait
// it asked for. Throttled writes are counted from their results; reads
// never reach the engine, so their connector reports them here (wire it
// to the connector's throttle hook for GET requests).
func (s *Server) ReadThrottled(side plan.Side, wait time.Duration) {
	s.met.throttled.WithLabelValues(string(side)).Inc()
	s.met.throttleWait.WithLabelValues(string(side)).Add(wait.Seconds())
}

// Kick ends the current wait between rounds, so that the next round
// starts at once.
func (s *Server) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Pause waits for the round in progress to end and holds the loop until
// the returned resume is called (once is enough; more calls do nothing).
// It fails when ctx ends first.
func (s *Server) Pause(ctx context.Context) (resume func(), err error) {
	select {
	case s.gate <- struct{}{}:
	case <-ctx.Done():
		return func() {}, ctx.Err()
	}
	var once sync.Once
	return func() { once.Do(func() { <-s.gate }) }, nil
}

// Status is a snapshot of the server, as of the end of the last round.
type Status struct {
	Plan   string  `json:"plan"`
	Ready  bool    `json:"ready"`
	Checks []Check `json:"checks"`
	// Accounting is the engine's totals for the current driver.
	Accounting engine.Accounting `json:"accounting"`
	Driver     dsruntime.Stats   `json:"driver"`
	// ErrorQueue counts the open error-queue entries by class.
	ErrorQueue map[engine.Class]int `json:"errorQueue"`
	// LastPoll is the time of the last successful poll of each side.
	LastPoll map[plan.Side]time.Time `json:"lastPoll"`
	Loops    int64                   `json:"loops"`
}

// Check is one readiness check.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Status returns a snapshot of the server.
func (s *Server) Status() Status {
	now := s.cfg.Clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	checks, ready := s.checks(now)
	out := Status{
		Plan:       s.plan.Digest,
		Ready:      ready,
		Checks:     checks,
		Accounting: s.st.acct,
		Driver:     s.st.stats,
		ErrorQueue: map[engine.Class]int{},
		LastPoll:   map[plan.Side]time.Time{},
		Loops:      s.st.loops,
	}
	for k, v := range s.st.queue {
		out.ErrorQueue[k] = v
	}
	for k, v := range s.st.lastOK {
		out.LastPoll[k] = v
	}
	return out
}

// publish copies the loop's view into the shared state.
func (s *Server) publish(update func(*state)) {
	acct := s.drv.Engine().Accounting()
	stats := s.drv.Stats()
	queue := map[engine.Class]int{}
	for _, e := range s.errs {
		queue[e.class]++
	}
	s.mu.Lock()
	s.st.acct, s.st.stats, s.st.queue = acct, stats, queue
	if update != nil {
		update(&s.st)
	}
	s.mu.Unlock()
	s.met.parked.Set(float64(acct.Parked))
	s.met.inFlight.Set(float64(acct.InFlight))
}

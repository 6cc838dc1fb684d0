package server

import (
	"context"
	"errors"
	"time"

	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/runtime/store"
)

// Run runs the loop until ctx ends, then shuts down as the package
// documentation describes and returns nil. It returns an error only when
// the store was closed under it. Run must not be called twice.
func (s *Server) Run(ctx context.Context) error {
	// The rounds run under work, which outlives ctx by ShutdownGrace so
	// that a Pump in progress can finish.
	work, abandon := context.WithCancel(context.WithoutCancel(ctx))
	defer abandon()
	stop := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.st.stopping = true
		s.mu.Unlock()
		t := time.AfterFunc(s.cfg.ShutdownGrace, abandon)
		context.AfterFunc(work, func() { t.Stop() })
	})
	defer stop()

	s.log.Info("sync loop started", "poll_interval", s.cfg.PollInterval.String())
	var err error
	for ctx.Err() == nil {
		select {
		case s.gate <- struct{}{}:
		case <-ctx.Done():
			continue
		}
		var more bool
		more, err = s.Round(ctx, work)
		<-s.gate
		if err != nil {
			break
		}
		if more {
			continue
		}
		s.wait(ctx, s.cfg.PollInterval)
	}
	abandoned := work.Err() != nil
	a := s.drv.Engine().Accounting()
	s.log.Info("sync loop stopped", "abandoned_in_flight", abandoned,
		"observed", a.Observed, "applied", a.Applied, "suppressed", a.Suppressed,
		"queued", a.Queued, "parked", a.Parked, "in_flight", a.InFlight)
	return err
}

// wait sleeps for d, until Kick or until ctx ends.
func (s *Server) wait(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.kick:
	case <-ctx.Done():
	}
}

// Round runs one round of the loop: error-queue requests, Poll, Pump,
// Tick. Requests and Poll run under stop; once stop ends no new phase
// starts. Pump and Tick run under work, so that a Pump in progress can
// finish after stop ended. Round reports whether more work is ready now.
// Run calls it; tests call it to step the server (never while Run runs).
// Its error ends Run: the store was closed.
func (s *Server) Round(stop, work context.Context) (more bool, err error) {
	s.round = roundNotes{failed: map[plan.Side][]string{}}
	s.met.loops.Inc()
	defer func() {
		s.publish(func(st *state) { st.loops++ })
	}()

	if s.drv.Err() != nil {
		// The new driver's first round starts at once.
		return true, s.restart(stop)
	}
	before := s.drv.Stats()
	// Requests and Poll stop at once when stop ends: what they read and
	// did not pump is read again by the next start.
	if stop.Err() != nil {
		return false, nil
	}
	s.requests(stop)

	if stop.Err() != nil {
		return false, nil
	}
	rows, perr := s.drv.Poll(stop)
	if perr != nil && stop.Err() == nil {
		s.log.Warn("poll stopped early", "err", perr)
	}
	if perr == nil {
		s.polled()
	}

	if stop.Err() != nil {
		return false, nil
	}
	if err := s.drv.Pump(work); err != nil {
		if s.drv.Err() != nil {
			s.log.Error("save failed: the driver stopped", "err", s.drv.Err())
			s.publish(func(st *state) { st.broken = s.drv.Err() })
			return false, nil
		}
		if work.Err() == nil {
			s.log.Warn("pump", "err", err)
		}
	}

	s.credit()
	s.acc.tick = true
	if err := s.drv.Tick(work); err == nil {
		s.credit()
	}

	after := s.drv.Stats()
	if rows > 0 || after.Writes > before.Writes || after.Reads > before.Reads {
		a := s.drv.Engine().Accounting()
		s.log.Info("round", "rows", rows, "writes", after.Writes-before.Writes,
			"acked", after.Acked-before.Acked, "failed", after.Failed-before.Failed,
			"reads", after.Reads-before.Reads,
			"applied", a.Applied, "suppressed", a.Suppressed, "queued", a.Queued,
			"parked", a.Parked, "in_flight", a.InFlight)
	}
	return s.round.more || s.drv.Engine().HasReady(), nil
}

// polled records the outcome of a Poll that went through every feed.
func (s *Server) polled() {
	now := s.cfg.Clock.Now()
	for side := range s.feeds {
		if len(s.round.failed[side]) > 0 {
			continue // logged as it happened
		}
		if s.down[side] {
			s.log.Info("poll recovered", "side", string(side))
		}
		s.down[side] = false
		s.publish(func(st *state) {
			st.lastOK[side] = now
			delete(st.lastErr, side)
		})
	}
}

// restart builds a new driver from the store after a failed Save.
func (s *Server) restart(ctx context.Context) error {
	if errors.Is(s.drv.Err(), store.ErrStoreClosed) {
		return s.drv.Err()
	}
	s.wait(ctx, s.cfg.RestartDelay)
	if ctx.Err() != nil {
		return nil
	}
	st, err := s.load(ctx)
	if err != nil {
		s.log.Error("reload state", "err", err)
		return nil
	}
	if err := s.build(st); err != nil {
		return err
	}
	s.met.restarts.Inc()
	s.publish(func(st *state) { st.broken = nil })
	s.log.Info("driver rebuilt from the store", "records", len(st.Records), "errors", len(st.Errors))
	return nil
}

// requests steps the pending error-queue decisions into the engine (see
// package store). A request the engine cannot act on (its entry's map
// left the plan) is closed in the store directly.
func (s *Server) requests(ctx context.Context) {
	if s.cfg.Store == nil {
		return
	}
	rs, err := s.cfg.Store.Requests(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("read error-queue requests", "err", err)
		}
		return
	}
	pending := make(map[string]bool, len(rs))
	var orphans []string
	for _, r := range rs {
		pending[r.ID] = true
		if s.stepped[r.ID] {
			continue
		}
		s.stepped[r.ID] = true
		s.credit()
		if e, ok := s.errs[r.ID]; ok {
			s.acc.at, s.acc.tick = label{e.m, e.source}, false
		}
		if err := s.drv.Engine().Step(r.Event()); err != nil {
			s.log.Warn("error-queue request for an entry the engine does not hold: closing it",
				"id", r.ID, "action", string(r.Action), "err", err)
			orphans = append(orphans, r.ID)
			continue
		}
		s.log.Info("error-queue request carried out", "id", r.ID, "action", string(r.Action))
	}
	s.credit()
	for id := range s.stepped {
		if !pending[id] {
			delete(s.stepped, id)
		}
	}
	if len(orphans) > 0 {
		if err := s.cfg.Store.Apply(ctx, store.Batch{Resolved: orphans}); err != nil {
			if ctx.Err() == nil {
				s.log.Warn("close error-queue requests", "err", err)
			}
			for _, id := range orphans {
				delete(s.stepped, id)
			}
		}
	}
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

package server

import (
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// label is where a change of the engine's totals is credited: a map and
// the side the changes came from.
type label struct {
	m    string
	side plan.Side
}

// attributor credits the engine's Accounting, difference by difference,
// to the map and side of the step that caused it (see the package
// documentation).
type attributor struct {
	last engine.Accounting // totals when last credited
	at   label             // the step in progress
	tick bool              // the step in progress is a Tick
	// fromTick holds what a Tick decided until the Ready that carries its
	// error entries names the map.
	fromTick outcomes
}

// outcomes is the part of Accounting the changes counters follow.
type outcomes struct {
	observed, applied, suppressed, queued int64
}

func (o outcomes) zero() bool { return o == outcomes{} }

func (o outcomes) add(p outcomes) outcomes {
	return outcomes{o.observed + p.observed, o.applied + p.applied, o.suppressed + p.suppressed, o.queued + p.queued}
}

func diff(a, b engine.Accounting) outcomes {
	return outcomes{a.Observed - b.Observed, a.Applied - b.Applied, a.Suppressed - b.Suppressed, a.Queued - b.Queued}
}

// credit hands the difference since the last credit to the step in
// progress.
func (s *Server) credit() {
	now := s.drv.Engine().Accounting()
	d := diff(now, s.acc.last)
	s.acc.last = now
	if d.zero() {
		return
	}
	if s.acc.tick {
		s.acc.fromTick = s.acc.fromTick.add(d)
		return
	}
	s.met.changes(s.acc.at, d)
}

// trace is the driver's Trace: it credits the totals to the step that
// just ended and notes what the new step is about.
func (s *Server) trace(ev dsruntime.TraceEvent) {
	if s.drv != nil {
		s.credit()
	}
	switch ev.Kind {
	case "page":
		s.acc.at, s.acc.tick = label{ev.Map, ev.Side}, false
		if ev.Page != nil {
			s.page(ev)
		}
	case "poll-error":
		msg := ev.Map + ": " + ev.Err
		s.round.failed[ev.Side] = append(s.round.failed[ev.Side], msg)
		s.mu.Lock()
		s.st.lastErr[ev.Side] = s.redact.text(msg)
		s.mu.Unlock()
		if !s.down[ev.Side] {
			// Logged once per outage; "poll recovered" ends it.
			s.down[ev.Side] = true
			s.log.Warn("poll failed", "side", string(ev.Side), "map", ev.Map, "err", ev.Err)
		}
		s.met.pollErrors.WithLabelValues(ev.Map, string(ev.Side)).Inc()
	case "cursor-reset":
		s.log.Warn("change cursor expired: reading the feed again from the start",
			"map", ev.Map, "side", string(ev.Side), "err", ev.Err)
	case "apply":
		s.acc.at, s.acc.tick = label{ev.Map, ev.Side.Other()}, false
		s.applied(ev)
	case "read":
		s.acc.at, s.acc.tick = label{ev.Map, ev.Side.Other()}, false
	case "read-error":
		s.log.Warn("read failed: trying again on the next round", "map", ev.Map, "side", string(ev.Side), "err", ev.Err)
	case "ready":
		if ev.Ready != nil {
			s.ready(ev.Ready)
		}
	}
}

// page notes a change-feed page: whether more is ready, the lag, and the
// rows that could not be read (queued by the driver as malformed).
func (s *Server) page(ev dsruntime.TraceEvent) {
	p := ev.Page
	if p.More {
		s.round.more = true
	}
	for _, r := range p.Rejected {
		s.RowRejected(ev.Side, ev.Map, r.Key, r.Field, r.Reason, r.Raw)
	}
	var newest time.Time
	for _, o := range p.Rows {
		if o.Modified.After(newest) {
			newest = o.Modified
		}
	}
	g := s.met.lag.WithLabelValues(ev.Map, string(ev.Side))
	switch {
	case !newest.IsZero():
		g.Set(max(0, ev.At.Sub(newest).Seconds()))
	case len(p.Rows) == 0 && !p.More:
		g.Set(0) // caught up
	}
}

// applied counts the answers to a batch of writes.
func (s *Server) applied(ev dsruntime.TraceEvent) {
	side := string(ev.Side)
	for _, r := range ev.Results {
		switch {
		case r.Acked != nil:
			s.met.writes.WithLabelValues(ev.Map, side, "acked").Inc()
		case r.Failed != nil:
			f := r.Failed
			s.met.writes.WithLabelValues(ev.Map, side, string(f.Class)).Inc()
			if f.Class == engine.Throttled {
				s.met.throttled.WithLabelValues(side).Inc()
				s.met.throttleWait.WithLabelValues(side).Add(f.RetryAfter.Seconds())
			}
			s.log.Debug("write failed", "map", ev.Map, "side", side, "write", f.WriteID,
				"class", string(f.Class), "status", f.Status, "code", f.Code, "err", f.Message)
		}
	}
}

// ready handles what a persisted Ready reports: conflicts, parks, the
// error queue, and the credit of what a Tick decided.
func (s *Server) ready(rd *engine.Ready) {
	for _, c := range rd.Conflicts {
		s.met.conflicts.WithLabelValues(c.Map, string(c.Rule)).Inc()
		s.log.Info("conflict", "map", c.Map, "key", c.Key, "field", c.Field,
			"winner", string(c.Winner), "rule", string(c.Rule), "pos", c.Pos.String(), "why", c.Why)
		s.log.Debug("conflict values", "map", c.Map, "key", c.Key, "field", c.Field,
			"fo", c.FO.String(), "dv", c.DV.String())
	}
	for _, p := range rd.Parked {
		s.met.park(label{p.Map, p.Side.Other()})
		deps := make([]string, len(p.Waiting))
		for i, d := range p.Waiting {
			deps[i] = d.Map + " " + d.Key
		}
		s.log.Info("parked: waiting for a lookup target", "map", p.Map, "key", p.Key, "side", string(p.Side), "waiting", deps)
	}
	for _, r := range rd.Released {
		s.log.Info("released", "map", r.Map, "key", r.Key, "side", string(r.Side))
	}
	var deps []label
	for _, e := range rd.Errors {
		s.errs[e.ID] = errInfo{m: e.Map, class: e.Class, source: e.Source}
		if e.Class == engine.Dependency {
			deps = append(deps, label{e.Map, e.Source})
		}
		s.log.Warn("error queued", "id", e.ID, "map", e.Map, "key", e.Key, "side", string(e.Side),
			"class", string(e.Class), "status", e.Status, "code", e.Code, "field", e.Field,
			"pos", e.Pos.String(), "attempts", e.Attempts, "err", e.Message)
	}
	for _, id := range rd.Resolved {
		if e, ok := s.errs[id]; ok {
			s.log.Info("error resolved", "id", id, "map", e.m, "class", string(e.class))
		}
		delete(s.errs, id)
	}
	if len(rd.Errors) > 0 || len(rd.Resolved) > 0 {
		s.met.setQueue(s.errs)
	}
	if t := s.acc.fromTick; !t.zero() {
		s.acc.fromTick = outcomes{}
		if len(deps) == 0 {
			s.met.changes(label{}, t)
			return
		}
		// One queued change per dependency error, the rest to the last.
		for i, l := range deps {
			d := outcomes{queued: min(1, t.queued)}
			if i == 0 {
				d.observed, d.applied, d.suppressed = t.observed, t.applied, t.suppressed
			}
			if i == len(deps)-1 {
				d.queued = t.queued
			}
			t.queued -= d.queued
			s.met.changes(l, d)
		}
	}
}

// RowRejected reports a change-feed row a connector could not read: it is
// logged (the raw payload at debug level only) and counted in
// dualsync_rejected_rows_total. The server calls it for the rows of
// Page.Rejected, which the driver queues as malformed error-queue entries;
// a connector that skips such rows itself (the OData connectors'
// OnReject) may call it too. It is safe for concurrent use.
func (s *Server) RowRejected(side plan.Side, mapName, key, field, reason, raw string) {
	s.met.rejected.WithLabelValues(mapName, string(side)).Inc()
	s.log.Warn("row rejected", "side", string(side), "map", mapName, "key", key, "field", field, "reason", reason)
	s.log.Debug("rejected row", "side", string(side), "map", mapName, "key", key, "raw", raw)
}

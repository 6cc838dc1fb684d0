package server

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// Outcome label values of dualsync_changes_total.
const (
	OutcomeObserved   = "observed"
	OutcomeApplied    = "applied"
	OutcomeSuppressed = "suppressed"
	OutcomeParked     = "parked"
	OutcomeQueued     = "queued"
)

// queueClasses are the classes an error-queue entry can have.
var queueClasses = []engine.Class{
	engine.VersionMismatch, engine.Transient, engine.Plugin, engine.Validation,
	engine.MissingMapping, engine.InvalidValue, engine.Dependency, engine.DeleteReview, engine.Malformed,
}

// metrics holds the server's collectors.
type metrics struct {
	changesVec   *prometheus.CounterVec
	conflicts    *prometheus.CounterVec
	queue        *prometheus.GaugeVec
	parked       prometheus.Gauge
	inFlight     prometheus.Gauge
	lag          *prometheus.GaugeVec
	pollErrors   *prometheus.CounterVec
	writes       *prometheus.CounterVec
	writeSeconds *prometheus.HistogramVec
	throttled    *prometheus.CounterVec
	throttleWait *prometheus.CounterVec
	rejected     *prometheus.CounterVec
	loops        prometheus.Counter
	restarts     prometheus.Counter

	queueKeys map[[2]string]bool // label pairs of queue set so far
}

func newMetrics(s *Server, reg *prometheus.Registry) (*metrics, error) {
	m := &metrics{
		changesVec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dualsync_changes_total",
			Help: "Changes observed, and how they ended (applied, suppressed, parked, queued), by map and the side they came from.",
		}, []string{"map", "side", "outcome"}),
		conflicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dualsync_conflicts_total",
			Help: "Field conflicts decided, by map and the rule that decided them.",
		}, []string{"map", "rule"}),
		queue: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "dualsync_error_queue_depth",
			Help: "Open error-queue entries, by map and error class.",
		}, []string{"map", "class"}),
		parked: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "dualsync_parked_changes",
			Help: "Changes waiting for a lookup target to exist on the other side.",
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "dualsync_in_flight_changes",
			Help: "Changes being decided or written.",
		}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "dualsync_change_lag_seconds",
			Help: "How old the newest change of the last change-feed page was when it was read (0 when caught up).",
		}, []string{"map", "side"}),
		pollErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dualsync_poll_errors_total",
			Help: "Change-feed reads that failed, by map and side.",
		}, []string{"map", "side"}),
		writes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dualsync_writes_total",
			Help: "Writes answered, by map, target side and result (acked or the failure class).",
		}, []string{"map", "side", "result"}),
		writeSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "dualsync_write_duration_seconds",
			Help:    "Time to send one batch of writes and get the answers, by map and target side.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14), // 5 ms to 41 s
		}, []string{"map", "side"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dualsync_throttled_total",
			Help: "Waits the target asked for (429 with Retry-After), reads and writes, by side.",
		}, []string{"side"}),
		throttleWait: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dualsync_throttle_wait_seconds_total",
			Help: "Seconds of the waits the target asked for, by side.",
		}, []string{"side"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dualsync_rejected_rows_total",
			Help: "Change-feed rows a connector could not read (malformed values, missing keys), queued as malformed, by map and side.",
		}, []string{"map", "side"}),
		loops: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dualsync_loops_total",
			Help: "Rounds of the sync loop.",
		}),
		restarts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dualsync_driver_restarts_total",
			Help: "Drivers rebuilt from the store after a failed save.",
		}),
		queueKeys: map[[2]string]bool{},
	}
	info := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "dualsync_plan_info",
		Help: "The plan being run: always 1, labelled with its digest.",
	}, []string{"digest"})
	info.WithLabelValues(s.plan.Digest).Set(1)
	ready := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "dualsync_ready",
		Help: "1 when the runtime is ready (see /readyz), else 0.",
	}, func() float64 { return boolFloat(s.Status().Ready) })
	cs := []prometheus.Collector{m.changesVec, m.conflicts, m.queue, m.parked, m.inFlight, m.lag,
		m.pollErrors, m.writes, m.writeSeconds, m.throttled, m.throttleWait, m.rejected, m.loops, m.restarts, info, ready}
	for _, side := range []plan.Side{plan.FO, plan.DV} {
		cs = append(cs, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "dualsync_poll_age_seconds",
			Help:        "Time since the last successful poll of the side (since the start when there was none).",
			ConstLabels: prometheus.Labels{"side": string(side)},
		}, func() float64 { return s.pollAge(side).Seconds() }))
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	// Series that exist from the start, so that rates and alerts see them.
	for _, mp := range s.plan.Maps {
		for _, side := range []plan.Side{plan.FO, plan.DV} {
			if !s.feeds[side] {
				continue
			}
			if mp.Direction.Flows(side) || s.cfg.PollTargets {
				m.pollErrors.WithLabelValues(mp.Name, string(side))
				m.rejected.WithLabelValues(mp.Name, string(side))
			}
			if !mp.Direction.Flows(side) {
				continue
			}
			for _, o := range []string{OutcomeObserved, OutcomeApplied, OutcomeSuppressed, OutcomeParked, OutcomeQueued} {
				m.changesVec.WithLabelValues(mp.Name, string(side), o)
			}
		}
		for _, c := range queueClasses {
			m.queueKeys[[2]string{mp.Name, string(c)}] = true
			m.queue.WithLabelValues(mp.Name, string(c)).Set(0)
		}
	}
	for _, side := range []plan.Side{plan.FO, plan.DV} {
		m.throttled.WithLabelValues(string(side))
		m.throttleWait.WithLabelValues(string(side))
	}
	return m, nil
}

// changes adds a difference of the engine's totals to the counters.
func (m *metrics) changes(l label, d outcomes) {
	add := func(outcome string, n int64) {
		if n > 0 {
			m.changesVec.WithLabelValues(l.m, string(l.side), outcome).Add(float64(n))
		}
	}
	add(OutcomeObserved, d.observed)
	add(OutcomeApplied, d.applied)
	add(OutcomeSuppressed, d.suppressed)
	add(OutcomeQueued, d.queued)
}

// park counts a write that waits for a lookup target.
func (m *metrics) park(l label) {
	m.changesVec.WithLabelValues(l.m, string(l.side), OutcomeParked).Inc()
}

// setQueue sets the error-queue gauges from the open entries.
func (m *metrics) setQueue(errs map[string]errInfo) {
	n := map[[2]string]int{}
	for _, e := range errs {
		n[[2]string{e.m, string(e.class)}]++
	}
	for k := range n {
		m.queueKeys[k] = true
	}
	for k := range m.queueKeys {
		m.queue.WithLabelValues(k[0], k[1]).Set(float64(n[k]))
	}
}

// pollAge is the time since the last successful poll of side.
func (s *Server) pollAge(side plan.Side) time.Duration {
	now := s.cfg.Clock.Now()
	s.mu.Lock()
	last, ok := s.st.lastOK[side]
	s.mu.Unlock()
	if !ok {
		last = s.start
	}
	return max(0, now.Sub(last))
}

func goCollector() prometheus.Collector { return collectors.NewGoCollector() }

func processCollector() prometheus.Collector {
	return collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})
}

// timed is a connector whose Apply calls are timed.
type timed struct {
	dsruntime.Connector
	s *Server
}

func (t timed) Apply(ctx context.Context, m *plan.Map, ws []engine.Write) []dsruntime.Result {
	start := t.s.cfg.Clock.Now()
	rs := t.Connector.Apply(ctx, m, ws)
	t.s.met.writeSeconds.WithLabelValues(m.Name, string(t.Side())).Observe(t.s.cfg.Clock.Now().Sub(start).Seconds())
	return rs
}

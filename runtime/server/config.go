package server

import (
	"io"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/store"
)

// Config holds the server's options. The zero value works: state kept in
// memory, the system clock, no logging, a new private registry, a poll
// every 5 s.
type Config struct {
	// Store persists the engine's state and carries the person's
	// decisions on error-queue entries. The caller opens and closes it.
	// Nil: the state is kept in memory only (tests).
	Store store.Store
	// AllowPlanChange accepts a store written with another plan.
	AllowPlanChange bool

	// Clock gives the engine's time and the time readiness and lag are
	// measured with. Nil: the system clock. The wait between rounds is
	// always real time.
	Clock dsruntime.Clock
	// Logger receives the server's records. Nil: discard.
	Logger *slog.Logger
	// Secrets are strings the server must never show: they, and anything
	// that looks like a bearer token, are removed from the error texts
	// /readyz reports. (Pass them to NewLogger as well.)
	Secrets []string
	// Registry receives the metrics. Nil: a new private registry, with
	// the Go runtime and process collectors.
	Registry *prometheus.Registry

	// PollInterval is the wait between rounds when there is nothing more
	// to do. Default 5 s.
	PollInterval time.Duration
	// StaleAfter is how old the last successful poll of a side may be
	// for the server to be ready. Default 3 poll intervals, at least 1
	// minute.
	StaleAfter time.Duration
	// ShutdownGrace is how long a Pump in progress may go on after Run's
	// context ends before it is abandoned. Default 10 s.
	ShutdownGrace time.Duration
	// RestartDelay is the wait before a driver stopped by a failed Save is
	// rebuilt from the store. Default 5 s.
	RestartDelay time.Duration

	// Engine, BatchSize, PageSize and PollTargets are passed to the
	// driver (dsruntime.Config); zero means the driver's default.
	Engine      engine.Config
	BatchSize   int
	PageSize    int
	PollTargets bool
}

// withDefaults fills in the defaults.
func (c Config) withDefaults() Config {
	if c.Clock == nil {
		c.Clock = dsruntime.SystemClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 5 * time.Second
	}
	if c.StaleAfter <= 0 {
		c.StaleAfter = max(3*c.PollInterval, time.Minute)
	}
	if c.ShutdownGrace <= 0 {
		c.ShutdownGrace = 10 * time.Second
	}
	if c.RestartDelay <= 0 {
		c.RestartDelay = 5 * time.Second
	}
	return c
}

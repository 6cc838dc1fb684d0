package fake

import (
	"sync"
	"time"
)

// Epoch is where a Clock built with a zero start begins: a fixed instant,
// so that runs are reproducible.
var Epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// Clock is a virtual clock: it only moves when told. It implements
// dsruntime.Advancer and is safe for concurrent use. The simulator shares
// one between the driver and both fakes; each fake reads it through its own
// skew.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock at start (Epoch when zero).
func NewClock(start time.Time) *Clock {
	if start.IsZero() {
		start = Epoch
	}
	return &Clock{now: start.UTC()}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d (a negative d is ignored).
func (c *Clock) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t if t is later.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	if t.After(c.now) {
		c.now = t.UTC()
	}
	c.mu.Unlock()
}

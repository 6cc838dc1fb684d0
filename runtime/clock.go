package runtime

import "time"

// Clock tells the driver what time it is. Production uses SystemClock; the
// simulator passes a virtual clock.
type Clock interface {
	Now() time.Time
}

// Advancer is a clock that can be moved forward: a virtual clock.
// RunUntilQuiet moves it when only the passing of time can make progress.
type Advancer interface {
	Clock
	Advance(d time.Duration)
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

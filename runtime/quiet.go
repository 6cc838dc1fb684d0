package runtime

import (
	"context"
	"fmt"
	"time"
)

// RunUntilQuiet runs rounds of Tick, Poll and Pump until one round does
// nothing: the poll finds no rows and no more pages, no write or read is
// sent, no read waits to be tried again, and the engine is quiet (nothing
// in flight, waiting for a retry or parked). When a round makes no
// progress but the engine is not quiet, only time can help: the clock, if
// it is an Advancer, is moved to the engine's next due time when the engine
// tells it (a NextDue method), else by Config.IdleStep, doubling each idle
// round up to Config.MaxIdleStep; a real clock is slept on instead. Parked
// records whose targets never arrive therefore run into their park
// timeout. It is meant for tests and the simulator; production runs Poll,
// Pump and Tick on its own schedule.
//
// It fails with an error wrapping ErrNotQuiet after maxRounds rounds: a
// bounded number of writes is how the simulator proves that the sides do
// not ping-pong.
func (d *Driver) RunUntilQuiet(ctx context.Context, maxRounds int) error {
	step := d.cfg.IdleStep
	for round := 0; round < maxRounds; round++ {
		d.stats.Rounds++
		if err := d.Tick(ctx); err != nil {
			return err
		}
		before := d.stats
		n, err := d.Poll(ctx)
		if err != nil {
			return err
		}
		if err := d.Pump(ctx); err != nil {
			return err
		}
		failed := d.stats.PollErrors > before.PollErrors || d.stats.ReadErrors > before.ReadErrors
		progress := n > 0 || d.stats.Writes > before.Writes || d.stats.Reads > before.Reads
		if !progress && !failed && !d.backlog() && len(d.reads) == 0 && d.eng.Quiet() && !d.eng.HasReady() {
			return nil
		}
		if progress || d.backlog() {
			step = d.cfg.IdleStep
			continue
		}
		if err := d.wait(ctx, step); err != nil {
			return err
		}
		step = min(2*step, d.cfg.MaxIdleStep)
	}
	a := d.eng.Accounting()
	return fmt.Errorf("%w after %d rounds: %d writes sent, %d rows polled, %d in flight, %d parked",
		ErrNotQuiet, maxRounds, d.stats.Writes, d.stats.Rows, a.InFlight, a.Parked)
}

// nextDuer is the engine's optional report of its next timer.
type nextDuer interface {
	NextDue() (time.Time, bool)
}

// wait lets time pass: to the engine's next due time if it reports one and
// it is ahead, else by step.
func (d *Driver) wait(ctx context.Context, step time.Duration) error {
	now := d.clock.Now()
	dur := step
	if nd, ok := any(d.eng).(nextDuer); ok {
		if t, ok := nd.NextDue(); ok && t.After(now) {
			dur = t.Sub(now)
		}
	}
	if a, ok := d.clock.(Advancer); ok {
		a.Advance(dur)
		d.trace(TraceEvent{Kind: "advance-clock", At: a.Now()})
		return nil
	}
	t := time.NewTimer(dur)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

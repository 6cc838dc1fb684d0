package simulator

import (
	"context"
	"fmt"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// CrashPoint is a precise point of the driver's loop at which CrashAt
// kills the engine.
type CrashPoint int

// Crash points.
const (
	// BeforeSave: the next Ready is not persisted and nothing of it is sent.
	BeforeSave CrashPoint = iota + 1
	// AfterSave: the next Ready is persisted, but none of its writes or
	// reads is sent.
	AfterSave
	// AfterApply: the next batch of writes reaches its target and is
	// applied there, but the results never reach the engine: a crash
	// between a write and its checkpoint.
	AfterApply
)

var crashPointNames = map[CrashPoint]string{BeforeSave: "before-save", AfterSave: "after-save", AfterApply: "after-apply"}

func (p CrashPoint) String() string {
	if s, ok := crashPointNames[p]; ok {
		return s
	}
	return fmt.Sprintf("crash-point(%d)", int(p))
}

// ParseCrashPoint parses a crash point's name: before-save, after-save or
// after-apply.
func ParseCrashPoint(s string) (CrashPoint, error) {
	for p, n := range crashPointNames {
		if n == s {
			return p, nil
		}
	}
	return 0, fmt.Errorf("unknown crash point %q: want before-save, after-save or after-apply", s)
}

type armed struct {
	point CrashPoint
	left  int // occurrences still to pass before the crash
}

// crashSignal is the panic value that unwinds the driver at a crash point.
type crashSignal struct{ why string }

// CrashAt arms a crash at the n-th occurrence of point p (n < 1 means the
// next one) during later calls of Run or Step. It replaces a crash armed
// before.
func (w *World) CrashAt(p CrashPoint, n int) {
	w.crash = &armed{point: p, left: max(n, 1)}
	w.trace.linef("crash armed %s n=%d", p, max(n, 1))
}

// fire reports whether the armed crash is due at point p, counting the
// occurrence.
func (w *World) fire(p CrashPoint) bool {
	if w.crash == nil || w.crash.point != p {
		return false
	}
	w.crash.left--
	if w.crash.left > 0 {
		return false
	}
	w.crash = nil
	return true
}

// Crash drops the driver and its engine at once: what is in flight is not
// saved. The fakes and the persisted state stay. Crashing a world that is
// down does nothing.
func (w *World) Crash() {
	if w.drv == nil {
		return
	}
	w.down("now")
}

func (w *World) down(why string) {
	w.acct = w.drv.Engine().Accounting()
	w.drv = nil
	if w.trace.on() {
		w.trace.linef("crash %s: %s", why, acctLine(w.acct))
	}
}

// Restart builds a new driver, engine and connectors from the persisted
// state. A running engine is crashed first (between rounds, so nothing
// is lost that a clean stop would keep).
func (w *World) Restart() error {
	if w.drv != nil {
		w.down("for restart")
	}
	st := w.store.State()
	w.crash = nil
	if err := w.startDriver(st); err != nil {
		return err
	}
	w.trace.linef("restart life=%d records=%d errors=%d", w.lives, len(st.Records), len(st.Errors))
	return nil
}

// guard runs f and turns a crash at a point into crashed.
func (w *World) guard(f func() error) (crashed bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, ok := r.(crashSignal)
			if !ok {
				panic(r)
			}
			w.down(c.why)
			crashed, err = true, nil
		}
	}()
	return false, f()
}

// saver is the persister the driver saves through: the world's store,
// with the save crash points.
type saver struct {
	w     *World
	inner *dsruntime.MemoryPersister
}

func (s *saver) Save(ctx context.Context, rd engine.Ready) error {
	if s.w.fire(BeforeSave) {
		panic(crashSignal{fmt.Sprintf("before-save (%d writes not sent, nothing persisted)", len(rd.Writes))})
	}
	if err := s.inner.Save(ctx, rd); err != nil {
		return err
	}
	if s.w.fire(AfterSave) {
		panic(crashSignal{fmt.Sprintf("after-save (%d writes not sent)", len(rd.Writes))})
	}
	return nil
}

// conn wraps a fake's connector: it runs the world's timed actions before
// each request, logs writes, and holds the apply crash point.
type conn struct {
	w     *World
	inner dsruntime.Connector
}

func (c *conn) Side() plan.Side { return c.inner.Side() }

func (c *conn) Changes(ctx context.Context, m *plan.Map, cursor string, limit int) (dsruntime.Page, error) {
	c.w.runTimed()
	return c.inner.Changes(ctx, m, cursor, limit)
}

func (c *conn) Read(ctx context.Context, m *plan.Map, key string) (engine.Observed, error) {
	c.w.runTimed()
	return c.inner.Read(ctx, m, key)
}

func (c *conn) Apply(ctx context.Context, m *plan.Map, ws []engine.Write) []dsruntime.Result {
	c.w.runTimed()
	rs := c.inner.Apply(ctx, m, ws)
	c.w.logWrites(ws, rs)
	if c.w.fire(AfterApply) {
		c.w.trace.apply(c.inner.Side(), m.Name, ws, rs)
		panic(crashSignal{fmt.Sprintf("after-apply (%d writes applied, results lost)", len(ws))})
	}
	return rs
}

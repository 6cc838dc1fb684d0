package explore

import (
	"context"
	"fmt"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator"
)

// maxRestarts bounds the restarts of one settling run (an armed crash that
// fires during it).
const maxRestarts = 3

// NewWorld builds the world a history runs in: wc with the history's clock
// skews and normalising business logic added.
func NewWorld(p *plan.Plan, h *History, wc simulator.Config) (*simulator.World, error) {
	wc.FO.Skew += h.Setup.Skew[plan.FO]
	wc.DV.Skew += h.Setup.Skew[plan.DV]
	wc.FO.Normalize = append(wc.FO.Normalize[:len(wc.FO.Normalize):len(wc.FO.Normalize)], h.Setup.Normalize[plan.FO]...)
	wc.DV.Normalize = append(wc.DV.Normalize[:len(wc.DV.Normalize):len(wc.DV.Normalize)], h.Setup.Normalize[plan.DV]...)
	return simulator.NewWorld(p, h.Seed, wc)
}

// Execute applies history h to a new world for plan p, then heals every
// fault and runs the engine until quiet (Outcome.Healed), then (with retry)
// retries every error-queue entry and runs until quiet again, up to
// retryPasses times while retries bring new entries (Outcome.Final). It
// returns
// the world too, for its trace. An error means the history could not be
// applied at all (a world that refuses an operation's shape), not that a
// property failed.
func Execute(ctx context.Context, p *plan.Plan, h *History, wc simulator.Config, retry bool) (*Outcome, *simulator.World, error) {
	w, err := NewWorld(p, h, wc)
	if err != nil {
		return nil, nil, err
	}
	o := &Outcome{Ops: make([]OpResult, len(h.Ops))}
	writes := 0
	for i := range h.Ops {
		if err := ctx.Err(); err != nil {
			return nil, w, err
		}
		op := &h.Ops[i]
		res := &o.Ops[i]
		res.WritesBefore = writes
		if op.Wait > 0 {
			w.Advance(op.Wait)
		}
		switch op.Kind {
		case Put:
			_, existed := w.Get(op.Side, op.Map, op.Key)
			vals := make(map[string]engine.Value, len(op.Values))
			for _, fv := range op.Values {
				vals[fv.Field] = fv.Value
			}
			if err := w.Put(op.Side, op.Map, op.Key, vals); err != nil {
				res.Err = err.Error()
				break
			}
			row, _ := w.Get(op.Side, op.Map, op.Key)
			res.Applied, res.Created, res.Modified = true, !existed, row.Modified
		case Delete:
			if err := w.Delete(op.Side, op.Map, op.Key); err != nil {
				res.Err = err.Error()
				break
			}
			res.Applied = true
		case Fault:
			if err := w.SetFault(op.Side, op.Fault, op.Duration); err != nil {
				return nil, w, fmt.Errorf("operation #%d: %w", i+1, err)
			}
			res.Applied = true
		case Clear:
			if err := w.ClearFault(op.Side, op.Name); err != nil {
				return nil, w, fmt.Errorf("operation #%d: %w", i+1, err)
			}
			res.Applied = true
		case Crash:
			w.CrashAt(op.Point, op.N)
			res.Applied = true
		case Sync:
			res.Applied = true
			if err := runSync(ctx, w, op.Rounds); err != nil {
				res.RunErr = err.Error()
			}
			if w.Down() {
				res.Crashed = true
				if err := w.Restart(); err != nil {
					return nil, w, fmt.Errorf("operation #%d: restart: %w", i+1, err)
				}
			}
			for _, e := range w.Errors() {
				id := RecID{e.Map, e.Key}
				if n := len(res.Queued); n == 0 || res.Queued[n-1] != id {
					res.Queued = append(res.Queued, id)
				}
			}
			writes = len(w.Writes())
		default:
			return nil, w, fmt.Errorf("operation #%d: unknown kind %s", i+1, op.Kind)
		}
	}
	w.ClearFaults()
	o.Healed = settle(ctx, w, nil)
	var again func()
	retried := map[string]bool{}
	// retryNew retries the entries not retried yet and reports whether
	// there were any.
	retryNew := func() bool {
		n := 0
		for _, e := range w.Errors() {
			if retried[e.ID] {
				continue
			}
			if d := w.Driver(); d != nil && d.Engine().RetryError(e.ID) == nil {
				o.Retried++
				retried[e.ID] = true
				n++
			}
		}
		return n > 0
	}
	if retry {
		o.RetriedQueue = true
		retryNew()
		// A crash during the retry loses the engine's memory of the
		// retries it had not finished. In production the request to
		// retry is the store's (runtime/server steps pending requests
		// again after a restart); here each entry retried above that is
		// still queued after a restart is retried again.
		again = func() {
			for _, e := range w.Errors() {
				if !retried[e.ID] {
					continue
				}
				if d := w.Driver(); d != nil && d.Engine().RetryError(e.ID) == nil {
					o.Retried++
				}
			}
		}
	}
	o.Final = settle(ctx, w, again)
	// A retry can bring a new entry to light (a delete under review that
	// the retried change met): a person retries that one too.
	for pass := 1; retry && pass < retryPasses && retryNew(); pass++ {
		o.Final = settle(ctx, w, again)
	}
	o.Writes = w.Writes()
	return o, w, nil
}

// retryPasses bounds how many times the error queue is retried, each time
// for the entries that appeared since.
const retryPasses = 3

// runSync runs the engine until quiet (rounds 0) or for that many rounds.
func runSync(ctx context.Context, w *simulator.World, rounds int) error {
	if rounds == 0 {
		return w.Run(ctx)
	}
	for range rounds {
		if w.Down() {
			return nil
		}
		if _, err := w.Step(ctx); err != nil {
			return err
		}
	}
	return nil
}

// settle runs the engine until quiet, restarting it after a crash that was
// still armed (and calling restarted, when set, after each restart), and
// takes a snapshot.
func settle(ctx context.Context, w *simulator.World, restarted func()) Snapshot {
	var err error
	for range maxRestarts + 1 {
		if w.Down() {
			if err = w.Restart(); err != nil {
				break
			}
			if restarted != nil {
				restarted()
			}
		}
		if err = w.Run(ctx); err != nil || !w.Down() {
			break
		}
	}
	s := snapshot(w)
	if err != nil {
		s.RunErr = err.Error()
	}
	return s
}

func snapshot(w *simulator.World) Snapshot {
	s := Snapshot{
		Rows:       map[RecID]*Pair{},
		Errors:     w.Errors(),
		Conflicts:  w.Conflicts(),
		Accounting: w.Accounting(),
		Quiet:      w.Quiet(),
		Writes:     len(w.Writes()),
	}
	for _, m := range w.Plan().Maps {
		for _, side := range []plan.Side{plan.FO, plan.DV} {
			for _, row := range w.Rows(side, m.Name) {
				id := RecID{m.Name, row.Key}
				p := s.Rows[id]
				if p == nil {
					p = &Pair{}
					s.Rows[id] = p
				}
				if side == plan.FO {
					p.FO = row.Values
				} else {
					p.DV = row.Values
				}
			}
		}
	}
	return s
}

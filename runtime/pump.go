package runtime

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// Pump hands the engine's work out until it has none: for each Ready it
// persists the Ready, sends its writes in batches and its reads, steps
// every answer back, and calls Advance. Reads that failed earlier are tried
// first. If Save fails, nothing of that Ready is sent and the driver stops:
// every later call returns the error, and the driver must be built again
// from the persisted state (which is exactly a crash and restart). Errors
// of the engine refusing an answer are returned after the Ready is done.
func (d *Driver) Pump(ctx context.Context) error {
	if d.broken != nil {
		return d.broken
	}
	var errs []error
	if len(d.reads) > 0 {
		pending := d.reads
		d.reads = nil
		for _, r := range pending {
			d.read(ctx, r, &errs)
		}
	}
	for steps := 0; d.eng.HasReady(); steps++ {
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, err)...)
		}
		if steps >= d.cfg.MaxPumpSteps {
			return errors.Join(append(errs, fmt.Errorf("pump: the engine still has work after %d readies", steps))...)
		}
		rd := d.eng.Ready()
		if err := d.persist.Save(ctx, rd); err != nil {
			d.broken = fmt.Errorf("save checkpoint: %w", err)
			return d.broken
		}
		d.stats.Readies++
		d.trace(TraceEvent{Kind: "ready", Ready: &rd})
		d.send(ctx, rd.Writes, &errs)
		for _, r := range rd.Reads {
			d.read(ctx, r, &errs)
		}
		d.eng.Advance()
	}
	return errors.Join(errs...)
}

type batchKey struct {
	stage int
	side  plan.Side
	m     string
}

// send applies writes grouped by map and side, maps in stage order, in
// batches of the map's plan batch size (at most Config.BatchSize), and
// steps every result.
func (d *Driver) send(ctx context.Context, ws []engine.Write, errs *[]error) {
	if len(ws) == 0 {
		return
	}
	groups := map[batchKey][]engine.Write{}
	var keys []batchKey
	for _, w := range ws {
		st, ok := d.stage[w.Map]
		if !ok {
			st = len(d.stage)
		}
		k := batchKey{stage: st, side: w.Side, m: w.Map}
		if _, seen := groups[k]; !seen {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], w)
	}
	slices.SortStableFunc(keys, func(a, b batchKey) int {
		return cmp.Or(cmp.Compare(a.stage, b.stage), cmp.Compare(a.m, b.m), cmp.Compare(sideRank(a.side), sideRank(b.side)))
	})
	for _, k := range keys {
		g := groups[k]
		m := d.plan.MapByName(k.m)
		conn := d.conns[k.side]
		size := 100
		if m != nil && m.BatchSize > 0 {
			size = m.BatchSize
		}
		if d.cfg.BatchSize > 0 {
			size = min(size, d.cfg.BatchSize)
		}
		for len(g) > 0 {
			n := min(len(g), size)
			batch := g[:n:n]
			g = g[n:]
			if m == nil || conn == nil {
				for _, w := range batch {
					d.step(engine.WriteFailed{WriteID: w.ID, Class: engine.Validation,
						Message: fmt.Sprintf("no map %q or no connector for side %q", w.Map, w.Side)}, errs)
				}
				continue
			}
			rs := conn.Apply(ctx, m, batch)
			d.stats.Batches++
			d.stats.Writes += int64(n)
			d.trace(TraceEvent{Kind: "apply", Side: k.side, Map: k.m, Writes: batch, Results: rs})
			answered := make(map[string]bool, n)
			for _, r := range rs {
				id := r.WriteID()
				if r.Event() == nil || answered[id] || !slices.ContainsFunc(batch, func(w engine.Write) bool { return w.ID == id }) {
					continue
				}
				answered[id] = true
				d.step(r.Event(), errs)
			}
			for _, w := range batch {
				if !answered[w.ID] {
					d.step(engine.WriteFailed{WriteID: w.ID, Class: engine.Transient,
						Message: "the connector gave no result for the write"}, errs)
				}
			}
		}
	}
}

// step feeds a write's outcome to the engine and counts it.
func (d *Driver) step(ev engine.Event, errs *[]error) {
	switch ev := ev.(type) {
	case engine.WriteAcked:
		d.stats.Acked++
	case engine.WriteFailed:
		d.stats.Failed++
		d.stats.FailedBy[ev.Class]++
	}
	if err := d.eng.Step(ev); err != nil {
		*errs = append(*errs, err)
	}
}

// read sends one read and steps the answer; a failed read is kept for the
// next Pump.
func (d *Driver) read(ctx context.Context, r engine.Read, errs *[]error) {
	m := d.plan.MapByName(r.Map)
	conn := d.conns[r.Side]
	if m == nil || conn == nil {
		*errs = append(*errs, fmt.Errorf("read of map %q on side %q: unknown map or side", r.Map, r.Side))
		return
	}
	o, err := conn.Read(ctx, m, r.Key)
	if err != nil {
		d.stats.ReadErrors++
		d.reads = append(d.reads, r)
		d.trace(TraceEvent{Kind: "read-error", Side: r.Side, Map: r.Map, Read: &r, Err: err.Error()})
		return
	}
	o.Side, o.Map, o.Key, o.Seq, o.Token = r.Side, r.Map, r.Key, 0, ""
	d.stats.Reads++
	d.trace(TraceEvent{Kind: "read", Side: r.Side, Map: r.Map, Read: &r, Observed: &o})
	if err := d.eng.Observe(o); err != nil {
		*errs = append(*errs, err)
	}
}

// sideRank orders F&O before Dataverse.
func sideRank(s plan.Side) int {
	if s == plan.FO {
		return 0
	}
	return 1
}

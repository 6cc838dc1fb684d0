package simulator

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator/fake"
)

// tracer writes the canonical trace: one line per thing that happened,
// prefixed with the virtual time since the world's start.
// With off set (Config.NoTrace) it writes nothing; callers whose
// arguments cost something to build check on first.
type tracer struct {
	buf   bytes.Buffer
	start time.Time
	clock *fake.Clock
	off   bool
}

func (t *tracer) on() bool { return !t.off }

func (t *tracer) bytes() []byte { return bytes.Clone(t.buf.Bytes()) }

func (t *tracer) linef(format string, args ...any) {
	if t.off {
		return
	}
	t.lineAt(t.clock.Now(), format, args...)
}

func (t *tracer) lineAt(at time.Time, format string, args ...any) {
	if t.off {
		return
	}
	fmt.Fprintf(&t.buf, "[%s] ", at.Sub(t.start))
	line := fmt.Sprintf(format, args...)
	// One event, one line: a message with a newline would break cmp.
	line = strings.ReplaceAll(line, "\n", `\n`)
	t.buf.WriteString(line)
	t.buf.WriteByte('\n')
}

// rel formats a side's own time relative to the world's start.
func (t *tracer) rel(at time.Time) string {
	if at.IsZero() {
		return ""
	}
	d := at.Sub(t.start)
	if d < 0 {
		return d.String()
	}
	return "+" + d.String()
}

// driver turns the driver's trace events into lines.
func (t *tracer) driver(ev dsruntime.TraceEvent) {
	switch ev.Kind {
	case "tick":
		// Every round ticks; the lines that follow carry the time.
	case "page":
		if ev.Page == nil {
			return
		}
		for _, o := range ev.Page.Rows {
			t.lineAt(ev.At, "poll %s %s %s", ev.Side, ev.Map, t.observed(o))
		}
	case "poll-error":
		t.lineAt(ev.At, "poll-error %s %s: %s", ev.Side, ev.Map, ev.Err)
	case "cursor-reset":
		t.lineAt(ev.At, "cursor-reset %s %s: %s", ev.Side, ev.Map, ev.Err)
	case "ready":
		if ev.Ready != nil {
			t.ready(ev.At, ev.Ready)
		}
	case "apply":
		t.applyAt(ev.At, ev.Side, ev.Map, ev.Writes, ev.Results)
	case "read":
		if ev.Read != nil && ev.Observed != nil {
			t.lineAt(ev.At, "read %s %s %s", ev.Side, ev.Map, t.observed(*ev.Observed))
		}
	case "read-error":
		key := ""
		if ev.Read != nil {
			key = ev.Read.Key
		}
		t.lineAt(ev.At, "read-error %s %s %s: %s", ev.Side, ev.Map, key, ev.Err)
	case "advance-clock":
		t.lineAt(ev.At, "advance")
	default:
		t.lineAt(ev.At, "driver %s %s %s %s", ev.Kind, ev.Side, ev.Map, ev.Err)
	}
}

func (t *tracer) observed(o engine.Observed) string {
	var b strings.Builder
	b.WriteString(o.Key)
	if o.Deleted {
		b.WriteString(" deleted")
	}
	if o.Version != "" {
		fmt.Fprintf(&b, " v=%s", o.Version)
	}
	if m := t.rel(o.Modified); m != "" {
		fmt.Fprintf(&b, " mod=%s", m)
	}
	if !o.Deleted {
		b.WriteString(" ")
		b.WriteString(valueMap(o.Values))
	}
	return b.String()
}

func (t *tracer) ready(at time.Time, rd *engine.Ready) {
	for _, p := range rd.Parked {
		deps := make([]string, len(p.Waiting))
		for i, d := range p.Waiting {
			deps[i] = d.Map + ":" + d.Key
		}
		t.lineAt(at, "park %s %s -> %s waiting for %s", p.Map, p.Key, p.Side, strings.Join(deps, ", "))
	}
	for _, r := range rd.Released {
		t.lineAt(at, "release %s %s -> %s", r.Map, r.Key, r.Side)
	}
	for _, c := range rd.Conflicts {
		field := c.Field
		if field == "" {
			field = "(record)"
		}
		t.lineAt(at, "conflict %s %s %s fo=%s dv=%s winner=%s rule=%s at %s", c.Map, c.Key, field, c.FO, c.DV, c.Winner, c.Rule, c.Pos)
	}
	for _, e := range rd.Errors {
		var b strings.Builder
		fmt.Fprintf(&b, "error %s queued %s %s %s class=%s", e.ID, e.Side, e.Map, e.Key, e.Class)
		if e.Field != "" {
			fmt.Fprintf(&b, " field=%s", e.Field)
		}
		fmt.Fprintf(&b, " attempts=%d: %s", e.Attempts, e.Message)
		t.lineAt(at, "%s", b.String())
	}
	for _, id := range rd.Resolved {
		t.lineAt(at, "resolved %s", id)
	}
}

func (t *tracer) apply(side plan.Side, m string, ws []engine.Write, rs []dsruntime.Result) {
	if t.off {
		return
	}
	t.applyAt(t.clock.Now(), side, m, ws, rs)
}

func (t *tracer) applyAt(at time.Time, side plan.Side, m string, ws []engine.Write, rs []dsruntime.Result) {
	for _, w := range ws {
		var b strings.Builder
		fmt.Fprintf(&b, "apply %s %s %s %s %s", side, m, w.ID, w.Op, w.Key)
		if w.Create {
			b.WriteString(" create")
		}
		if w.ExpectedVersion != "" {
			fmt.Fprintf(&b, " if=%s", w.ExpectedVersion)
		}
		if w.Pass > 1 {
			fmt.Fprintf(&b, " pass=%d", w.Pass)
		}
		if w.Attempt > 1 {
			fmt.Fprintf(&b, " attempt=%d", w.Attempt)
		}
		if w.Op != engine.OpDelete {
			b.WriteString(" ")
			b.WriteString(fieldValues(w.Values))
		}
		r, ok := resultFor(rs, w.ID)
		switch {
		case !ok:
			b.WriteString(" -> no result")
		case r.Acked != nil:
			fmt.Fprintf(&b, " -> ack v=%s", r.Acked.NewVersion)
			if len(r.Acked.Stored) > 0 {
				fmt.Fprintf(&b, " stored=%s", valueMap(r.Acked.Stored))
			}
		case r.Failed != nil:
			f := r.Failed
			fmt.Fprintf(&b, " -> fail %s", f.Class)
			if f.Status != 0 {
				fmt.Fprintf(&b, " %d", f.Status)
			}
			if f.Code != "" {
				fmt.Fprintf(&b, " %s", f.Code)
			}
			if f.RetryAfter > 0 {
				fmt.Fprintf(&b, " retry-after=%s", f.RetryAfter)
			}
			if f.Field != "" {
				fmt.Fprintf(&b, " field=%s", f.Field)
			}
			fmt.Fprintf(&b, ": %s", f.Message)
		}
		t.lineAt(at, "%s", b.String())
	}
}

// valueMap formats values by name, names sorted.
func valueMap(vs map[string]engine.Value) string {
	names := make([]string, 0, len(vs))
	for n := range vs {
		names = append(names, n)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + "=" + vs[n].String()
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// fieldValues formats values in their order.
func fieldValues(fvs []engine.FieldValue) string {
	parts := make([]string, len(fvs))
	for i, fv := range fvs {
		parts[i] = fv.Field + "=" + fv.Value.String()
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func acctLine(a engine.Accounting) string {
	return fmt.Sprintf("observed=%d applied=%d suppressed=%d queued=%d parked=%d in-flight=%d",
		a.Observed, a.Applied, a.Suppressed, a.Queued, a.Parked, a.InFlight)
}

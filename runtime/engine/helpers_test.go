package engine

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dualsync/dualsync/runtime/plan"
)

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// at returns t0 plus n seconds.
func at(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }

// vals builds a value map from name, value pairs.
func vals(kv ...any) map[string]Value {
	m := make(map[string]Value, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		var v Value
		switch x := kv[i+1].(type) {
		case Value:
			v = x
		case string:
			v = String(x)
		case int:
			v = Int(int64(x))
		case bool:
			v = Bool(x)
		case nil:
			v = Null()
		default:
			panic(fmt.Sprintf("vals: %T", x))
		}
		m[kv[i].(string)] = v
	}
	return m
}

// harness steps an engine directly and collects its outputs.
type harness struct {
	tb  testing.TB
	e   *Engine
	out Ready // everything since the last take
	log Ready // everything since the last seed
}

func newHarness(tb testing.TB, cfg Config) *harness {
	tb.Helper()
	e, err := New(testPlan(tb), cfg, nil)
	if err != nil {
		tb.Fatal(err)
	}
	e.Tick(t0)
	return &harness{tb: tb, e: e}
}

func (h *harness) step(ev Event) {
	h.tb.Helper()
	if err := h.e.Step(ev); err != nil {
		h.tb.Fatal(err)
	}
	h.collect()
}

// collect moves the engine's Ready into h.out and checks the accounting.
func (h *harness) collect() {
	h.tb.Helper()
	if !h.e.HasReady() {
		return
	}
	rd := h.e.Ready()
	rd.Checkpoint.Records = clone(h.tb, rd.Checkpoint.Records) // the engine's until Advance
	for _, o := range []*Ready{&h.out, &h.log} {
		o.Writes = append(o.Writes, rd.Writes...)
		o.Reads = append(o.Reads, rd.Reads...)
		o.Parked = append(o.Parked, rd.Parked...)
		o.Released = append(o.Released, rd.Released...)
		o.Errors = append(o.Errors, rd.Errors...)
		o.Resolved = append(o.Resolved, rd.Resolved...)
		o.Conflicts = append(o.Conflicts, rd.Conflicts...)
		o.Checkpoint.Records = append(o.Checkpoint.Records, rd.Checkpoint.Records...)
		o.Checkpoint.Watermarks = append(o.Checkpoint.Watermarks, rd.Checkpoint.Watermarks...)
		o.Accounting = rd.Accounting
	}
	if err := rd.Accounting.Check(); err != nil {
		h.tb.Fatal(err)
	}
	h.e.Advance()
}

// take returns and clears what was collected.
func (h *harness) take() Ready {
	out := h.out
	h.out = Ready{}
	return out
}

func (h *harness) observe(s plan.Side, m, key string, v map[string]Value, ver string, mod time.Time) {
	h.tb.Helper()
	h.step(Observed{Side: s, Map: m, Key: key, Values: v, Version: ver, Modified: mod})
}

func (h *harness) ack(w Write, ver string) {
	h.tb.Helper()
	h.step(WriteAcked{WriteID: w.ID, NewVersion: ver})
}

// ackAll acknowledges every collected write, giving each a version.
func (h *harness) ackAll(ver string) []Write {
	h.tb.Helper()
	ws := h.take().Writes
	for _, w := range ws {
		h.ack(w, ver)
	}
	return ws
}

func (h *harness) tick(d time.Duration) {
	h.tb.Helper()
	h.step(Tick{Now: h.e.nowTime().Add(d)})
}

// seed makes a customer known and agreed on both sides.
func (h *harness) seed(m, key string, fo, dv map[string]Value) {
	h.tb.Helper()
	h.observe(plan.FO, m, key, fo, "f1", at(0))
	h.observe(plan.DV, m, key, dv, "d1", at(0))
	for _, w := range h.take().Writes {
		h.ack(w, "x")
	}
	h.take()
	h.log = Ready{}
	if !h.e.Quiet() {
		h.tb.Fatalf("seed %s %s: engine not quiet", m, key)
	}
}

// show formats writes for error messages and comparisons.
func show(ws []Write) string {
	var b strings.Builder
	for _, w := range ws {
		fmt.Fprintf(&b, "%s %s %s %s", w.Side, w.Op, w.Map, w.Key)
		if w.Create {
			b.WriteString(" create")
		}
		if w.ExpectedVersion != "" {
			fmt.Fprintf(&b, " @%s", w.ExpectedVersion)
		}
		if w.Pass == 2 {
			b.WriteString(" pass2")
		}
		for _, fv := range w.Values {
			fmt.Fprintf(&b, " %s=%s", fv.Field, fv.Value)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func get(fvs []FieldValue, name string) (Value, bool) {
	i := slices.IndexFunc(fvs, func(fv FieldValue) bool { return fv.Field == name })
	if i < 0 {
		return Value{}, false
	}
	return fvs[i].Value, true
}

func mustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

const c1 = "usmf|C1"

// custFO is the seeded customer on F&O, with changes.
func custFO(kv ...any) map[string]Value {
	m := vals("Name", "Contoso", "Phone", "555-0100", "Contact", "Email", "Credit", MustDecimal("100.50"),
		"Group", nil, "Status", "Active", "Type", "Organization", "Primary", nil)
	maps.Copy(m, vals(kv...))
	return m
}

// custDV is the seeded customer on Dataverse, with changes.
func custDV(kv ...any) map[string]Value {
	m := vals("name", "Contoso", "telephone1", "555-0100", "contactmethod", 192350001, "creditlimit", MustDecimal("100.5"),
		"groupid", nil, "statuscode", "Active", "customertype", 1, "primarycontact", nil)
	maps.Copy(m, vals(kv...))
	return m
}

// seeded returns a harness with customer C1 agreed on both sides, F&O at
// version f1 and Dataverse at d1.
func seeded(tb testing.TB) *harness {
	tb.Helper()
	h := newHarness(tb, Config{})
	h.seed("customer", c1, custFO(), custDV())
	return h
}

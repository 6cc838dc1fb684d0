package explore

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator"
)

func starter(tb testing.TB) *plan.Plan {
	tb.Helper()
	p, err := plan.ReadFile("../../testdata/starter.plan.json")
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// hist builds a hand-written history.
type hist struct{ h *History }

func newHist() *hist { return &hist{h: &History{Seed: 1}} }

// put adds a Put; vals alternate field name and value.
func (b *hist) put(wait time.Duration, s plan.Side, m, key string, vals ...any) *hist {
	op := Op{Kind: Put, Wait: wait, Side: s, Map: m, Key: key}
	for i := 0; i+1 < len(vals); i += 2 {
		op.Values = append(op.Values, engine.FieldValue{Field: vals[i].(string), Value: vals[i+1].(engine.Value)})
	}
	b.h.Ops = append(b.h.Ops, op)
	return b
}

func (b *hist) del(wait time.Duration, s plan.Side, m, key string) *hist {
	b.h.Ops = append(b.h.Ops, Op{Kind: Delete, Wait: wait, Side: s, Map: m, Key: key})
	return b
}

func (b *hist) sync() *hist {
	b.h.Ops = append(b.h.Ops, Op{Kind: Sync})
	return b
}

// str is the string token n; dec the decimal token n.
func str(n int) engine.Value { v, _ := tokenValue(plan.String, n, false); return v }
func dec(n int) engine.Value { v, _ := tokenValue(plan.Decimal, n, false); return v }

// execute runs h and fails the test unless every property holds.
func execute(t *testing.T, p *plan.Plan, h *History) *Outcome {
	t.Helper()
	o, w, err := Execute(context.Background(), p, h, simulator.Config{MaxRounds: DefaultMaxRounds}, true)
	if err != nil {
		t.Fatal(err)
	}
	if vs := Check(p, h, o); len(vs) > 0 {
		t.Fatalf("the undoctored outcome fails already:\n%s\n%s\ntrace:\n%s", joinViolations(vs), h, w.Trace())
	}
	return o
}

func joinViolations(vs []Violation) string {
	var b strings.Builder
	for _, v := range vs {
		b.WriteString("  " + v.String() + "\n")
	}
	return b.String()
}

// expectViolation runs the named property on the doctored outcome and
// wants a violation whose text contains each of want.
func expectViolation(t *testing.T, p *plan.Plan, h *History, o *Outcome, prop string, want ...string) {
	t.Helper()
	var check func(*Case) []Violation
	for _, pr := range Properties() {
		if pr.Name == prop {
			check = pr.Check
		}
	}
	if check == nil {
		t.Fatalf("no property %q", prop)
	}
	vs := check(NewCase(p, h, o))
	for _, v := range vs {
		if v.Property != prop {
			t.Errorf("property %s reported a violation of %s: %s", prop, v.Property, v)
		}
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(v.String(), w)
		}
		if ok {
			return
		}
	}
	t.Fatalf("%s: no violation containing %q; got:\n%s", prop, want, joinViolations(vs))
}

// expectClean wants no violation of the named property.
func expectClean(t *testing.T, p *plan.Plan, h *History, o *Outcome, prop string) {
	t.Helper()
	for _, pr := range Properties() {
		if pr.Name == prop {
			if vs := pr.Check(NewCase(p, h, o)); len(vs) > 0 {
				t.Fatalf("%s: unexpected violations:\n%s", prop, joinViolations(vs))
			}
			return
		}
	}
	t.Fatalf("no property %q", prop)
}

// setBoth sets a field of record id on both sides in both snapshots.
func setBoth(o *Outcome, id RecID, foField, dvField string, v engine.Value) {
	for _, s := range []*Snapshot{&o.Healed, &o.Final} {
		p := s.Rows[id]
		p.FO[foField] = v
		p.DV[dvField] = v
	}
}

package explore

import (
	"strconv"
	"testing"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator/fake"
)

// TestShrinkFindsCore shrinks a synthetic failure: the history fails when
// it holds a Put of record "a" giving field F and, later, a delete of
// record "b". Everything else is noise the shrinker must remove.
func TestShrinkFindsCore(t *testing.T) {
	h := &History{Seed: 9, Setup: Setup{
		Skew:      map[plan.Side]time.Duration{plan.FO: 3 * time.Second},
		Normalize: map[plan.Side][]fake.Normalize{plan.DV: {{Set: "accounts", Field: "name", Rule: fake.Upper}}},
	}}
	noise := func(i int) Op {
		switch i % 4 {
		case 0:
			return Op{Kind: Sync, Rounds: 2}
		case 1:
			return Op{Kind: Fault, Side: plan.DV, Fault: fake.Fault{Name: "f" + strconv.Itoa(i), Kind: fake.FaultLatency}}
		}
		return Op{Kind: Put, Wait: time.Duration(i) * time.Second, Side: plan.FO, Map: "m", Key: "n" + strconv.Itoa(i),
			Values: []engine.FieldValue{{Field: "F", Value: str(i)}, {Field: "G", Value: str(i + 100)}}}
	}
	for i := range 60 {
		switch i {
		case 17:
			h.Ops = append(h.Ops, Op{Kind: Put, Wait: 5 * time.Second, Side: plan.FO, Map: "m", Key: "a",
				Values: []engine.FieldValue{{Field: "E", Value: str(1)}, {Field: "F", Value: str(2)}, {Field: "G", Value: str(3)}}})
		case 41:
			h.Ops = append(h.Ops, Op{Kind: Delete, Wait: time.Minute, Side: plan.DV, Map: "m", Key: "b"})
		default:
			h.Ops = append(h.Ops, noise(i))
		}
	}
	fails := func(h *History) bool {
		a := -1
		for i, op := range h.Ops {
			if op.Kind == Put && op.Key == "a" {
				if _, ok := op.Value("F"); ok {
					a = i
				}
			}
			if op.Kind == Delete && op.Key == "b" && a >= 0 {
				return true
			}
		}
		return false
	}
	if !fails(h) {
		t.Fatal("the synthetic history does not fail")
	}
	min, runs := Shrink(h, fails, 1000)
	if !fails(min) {
		t.Fatalf("the shrunk history does not fail:\n%s", min)
	}
	want := "history seed=9, 2 operations\n" +
		"  #1 put fo m a {F=\"v2\"}\n" +
		"  #2 delete dv m b\n"
	if got := min.String(); got != want {
		t.Fatalf("shrunk to\n%s\nwant\n%s", got, want)
	}
	if runs > 300 {
		t.Errorf("shrinking took %d runs", runs)
	}
	if len(h.Ops) != 60 || h.Setup.Skew[plan.FO] == 0 {
		t.Error("Shrink modified its input")
	}
}

func TestShrinkRespectsBudget(t *testing.T) {
	h := &History{Seed: 1}
	for i := range 40 {
		h.Ops = append(h.Ops, Op{Kind: Sync, Rounds: i + 1})
	}
	calls := 0
	min, runs := Shrink(h, func(*History) bool { calls++; return true }, 3)
	if calls != 3 || runs != 3 {
		t.Fatalf("%d calls, %d runs reported, want 3", calls, runs)
	}
	if len(min.Ops) >= len(h.Ops) {
		t.Fatalf("no progress within the budget: %d operations", len(min.Ops))
	}
}

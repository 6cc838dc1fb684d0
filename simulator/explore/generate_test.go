package explore

import (
	"context"
	"reflect"
	"testing"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator"
)

func TestTokensSurviveNormalisation(t *testing.T) {
	for _, typ := range []plan.Type{plan.String, plan.Decimal, plan.Int, plan.Date, plan.DateTime} {
		for _, n := range []int{1, 35, 36, 1295, 99999} {
			for _, pad := range []bool{false, true} {
				v, ok := tokenValue(typ, n, pad)
				if !ok {
					t.Fatalf("%s cannot carry a token", typ)
				}
				if got, ok := token(v); !ok || got != n {
					t.Errorf("token(%s) = %d, %v; want %d", v, got, ok, n)
				}
			}
		}
	}
	// What the services do to stored values keeps the token.
	for _, v := range []engine.Value{engine.String("V1A"), engine.String(" v1a"), engine.MustDecimal("46"), engine.MustDecimal("46.2000")} {
		if _, ok := token(v); !ok {
			t.Errorf("token(%s) lost", v)
		}
	}
	for _, v := range []engine.Value{engine.String(""), engine.String("k12"), engine.Null(), engine.Bool(true), engine.Int(0)} {
		if n, ok := token(v); ok {
			t.Errorf("token(%s) = %d, want none", v, n)
		}
	}
}

// TestGeneratedHistories checks what every history promises: its length,
// unique values, edits only of fields the side has, deletes only on sides
// the map flows from, and that a world accepts every operation.
func TestGeneratedHistories(t *testing.T) {
	p := starter(t)
	md := newModel(p)
	kinds := map[Kind]int{}
	for seed := int64(1); seed <= 60; seed++ {
		h := Generate(p, seed, GenConfig{})
		if len(h.Ops) != DefaultOps {
			t.Fatalf("seed %d: %d operations, want %d", seed, len(h.Ops), DefaultOps)
		}
		seen := map[int]int{}
		for i, op := range h.Ops {
			kinds[op.Kind]++
			mi := md.maps[op.Map]
			switch op.Kind {
			case Put:
				for _, fv := range op.Values {
					fi := mi.field(op.Side, fv.Field)
					if fi == nil || fi.key {
						t.Fatalf("seed %d #%d: %s is not a non-key field of %s on %s", seed, i+1, fv.Field, op.Map, op.Side)
					}
					if n, ok := token(fv.Value); ok && traceable(fi.f) {
						if j, dup := seen[n]; dup {
							t.Fatalf("seed %d: #%d and #%d both write token %d", seed, j+1, i+1, n)
						}
						seen[n] = i
					}
				}
			case Delete:
				if !mi.flowsFrom(op.Side) {
					t.Fatalf("seed %d #%d: delete on %s, which %s does not flow from", seed, i+1, op.Side, op.Map)
				}
			}
		}
		if _, _, err := Execute(context.Background(), p, h, simulator.Config{MaxRounds: DefaultMaxRounds}, true); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
	for _, k := range []Kind{Put, Delete, Fault, Clear, Sync, Crash} {
		if kinds[k] == 0 {
			t.Errorf("60 histories have no %s", k)
		}
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	p := starter(t)
	a, b := Generate(p, 42, GenConfig{}), Generate(p, 42, GenConfig{})
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed generated two histories")
	}
	if reflect.DeepEqual(a.Ops, Generate(p, 43, GenConfig{}).Ops) {
		t.Fatal("two seeds generated the same history")
	}
}

// TestReplayIsByteIdentical runs the same seeds twice: the traces must be
// the same bytes, and so must the verdicts.
func TestReplayIsByteIdentical(t *testing.T) {
	p := starter(t)
	x := New(p, Config{})
	for _, seed := range []int64{3, 15, 28, 77} {
		h := x.Generate(seed)
		v1, _, w1, err1 := x.Execute(context.Background(), h)
		v2, _, w2, err2 := x.Execute(context.Background(), x.Generate(seed))
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if string(w1.Trace()) != string(w2.Trace()) {
			t.Fatalf("seed %d: two runs gave different traces", seed)
		}
		if !reflect.DeepEqual(v1, v2) {
			t.Fatalf("seed %d: two runs gave different verdicts:\n%s\n%s", seed, joinViolations(v1), joinViolations(v2))
		}
	}
}

// TestWorkersDoNotChangeResults explores the same seeds on one worker and
// on several: the failures, their histories and their shrunk forms agree.
func TestWorkersDoNotChangeResults(t *testing.T) {
	p := starter(t)
	run := func(workers int) *Summary {
		return New(p, Config{Workers: workers, ShrinkRuns: 100, Shrink: 2}).Explore(context.Background(), 1, 40, nil)
	}
	a, b := run(1), run(4)
	if len(a.Failures) != len(b.Failures) || a.Ops != b.Ops || a.Edits != b.Edits {
		t.Fatalf("1 worker: %s; 4 workers: %s", a, b)
	}
	for i := range a.Failures {
		ra, rb := a.Failures[i], b.Failures[i]
		if ra.Seed != rb.Seed || ra.Property() != rb.Property() || ra.Report("x") != rb.Report("x") {
			t.Fatalf("failure %d differs:\n%s\n%s", i, ra.Report("x"), rb.Report("x"))
		}
	}
}

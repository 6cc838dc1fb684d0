package explore

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/dualsync/dualsync/runtime/plan"
)

// lastWrite returns the starter plan with every fo or dv conflict rule
// turned into last_write, so that exploration also exercises that rule
// and its tie-break (the starter maps use none).
func lastWrite(tb testing.TB) *plan.Plan {
	p := starter(tb)
	for i := range p.Maps {
		m := &p.Maps[i]
		if m.Conflict != nil {
			m.Conflict.Winner = plan.LastWrite
		}
		for j := range m.Fields {
			if w := m.Fields[j].Conflict.Winner; w == plan.WinFO || w == plan.WinDV {
				m.Fields[j].Conflict.Winner = plan.LastWrite
			}
		}
	}
	return p
}

// TestExplore explores seeds of the starter plan (and of its last_write
// variant), engine crashes included; each failure prints its shrunk
// history and the command that replays it.
func TestExplore(t *testing.T) {
	for _, tc := range []struct {
		name  string
		plan  *plan.Plan
		seeds int
		file  string
	}{
		{"starter", starter(t), 300, "testdata/starter.plan.json"},
		{"last_write", lastWrite(t), 100, "(the starter plan with last_write rules)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := New(tc.plan, Config{ShrinkRuns: 500, Shrink: 3})
			sum := x.Explore(context.Background(), 1, tc.seeds, nil)
			t.Log(sum)
			var others []string
			for _, r := range sum.Failures {
				if r.Minimal != nil || r.Err != nil {
					t.Errorf("\n%s", r.Report("dualsync sim explore --plan "+tc.file))
				} else {
					others = append(others, fmt.Sprintf("%d (%s)", r.Seed, r.Property()))
				}
			}
			if len(others) > 0 {
				t.Errorf("other failing seeds: %s", strings.Join(others, ", "))
			}
		})
	}
}

// BenchmarkExplore explores b.N seeds of 50 operations on GOMAXPROCS
// workers, without shrinking, and reports seeds per second. The issue's
// target, 10,000 seeds in under 60 s on 2 cores, is
//
//	go test ./simulator/explore -run '^$' -bench Explore -benchtime 10000x -cpu 2
func BenchmarkExplore(b *testing.B) {
	x := New(starter(b), Config{ShrinkRuns: -1})
	b.ResetTimer()
	sum := x.Explore(context.Background(), 1, b.N, nil)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "seeds/s")
	b.ReportMetric(float64(len(sum.Failures)), "failures")
}

// TestCrashSeeds replays seeds that crash exploration once failed, each
// for the fault it found; they must keep passing.
func TestCrashSeeds(t *testing.T) {
	for _, tc := range []struct {
		seed int64
		what string
	}{
		{62, "an update landed, the engine crashed before its checkpoint: its own values on the target are recognised (sent.go)"},
		{70, "the target's user typed a value an update had sent, which never landed: fields are confirmed one by one"},
		{105, "an update that landed in part of its fields' values: fields are confirmed one by one"},
		{12854, "a checkpoint during a round that ends without an acknowledgement is replaced by the round's outcome"},
		{186, "an update after a create in the same round is persisted with the create's intent"},
		{13389, "a field written both ways in one round: the later write is the intent"},
		{4995, "the cursor after a full read is persisted only once the reconcile's reads settle"},
		{7285, "an observation does not overtake one deferred before it (a late delete echo)"},
		{15505, "an observation does not overtake one deferred before it"},
		{17561, "a record deleted on both sides is created again by a later row on the side that deleted last"},
		{5360, "a record created again on its source keeps the restored intent to create its copy on the target"},
		{23958, "a late echo of a propagated delete, from a side known not to have the record, is not a delete there"},
		{36964, "a retry that brings a delete under review to light: the operator retries that entry too"},
	} {
		t.Run(fmt.Sprint(tc.seed), func(t *testing.T) {
			x := New(starter(t), Config{ShrinkRuns: 300, Shrink: 1})
			sum := x.Explore(context.Background(), tc.seed, 1, nil)
			for _, r := range sum.Failures {
				t.Errorf("%s\n%s", tc.what, r.Report("dualsync sim explore --plan testdata/starter.plan.json"))
			}
		})
	}
}

// TestLastWriteSeeds replays seeds of the last_write variant that once
// failed, each for what it found.
func TestLastWriteSeeds(t *testing.T) {
	const unlink = "a parent's delete cleared a lookup on Dataverse, whose remove-link stamps the child row with a modified time no user operation set: the checker leaves the field to the engine (rules.go)"
	const seen = "a row read again at the version last observed keeps its users' modified time, not the engine's own write's"
	for _, tc := range []struct {
		seed int64
		what string
	}{
		{479, unlink}, {736, unlink}, {2799, unlink}, {4764, unlink},
		{7692, seen}, {8788, seen}, {16783, seen}, {19493, seen},
	} {
		t.Run(fmt.Sprint(tc.seed), func(t *testing.T) {
			x := New(lastWrite(t), Config{ShrinkRuns: 300, Shrink: 1})
			sum := x.Explore(context.Background(), tc.seed, 1, nil)
			for _, r := range sum.Failures {
				t.Errorf("%s\n%s", tc.what, r.Report("(the starter plan with last_write rules)"))
			}
		})
	}
}

// TestKnownLimitations pins the failures crash exploration still finds, so
// that they stay visible: each seed must still break the named property.
// When one passes, the limitation is fixed: move it to TestCrashSeeds.
func TestKnownLimitations(t *testing.T) {
	for _, tc := range []struct {
		seed     int64
		property string
		why      string
	}{
		{34840, "nothing-silently-lost", "a record deleted and created again on F&O within one second, then a crash: F&O's feed replays the delete after the new row (both stamped with the same second) and the engine takes it for a delete of the new record"},
	} {
		t.Run(fmt.Sprint(tc.seed), func(t *testing.T) {
			x := New(starter(t), Config{ShrinkRuns: -1})
			sum := x.Explore(context.Background(), tc.seed, 1, nil)
			if len(sum.Failures) == 0 {
				t.Fatalf("seed %d passes: the limitation (%s) looks fixed; move it to TestCrashSeeds", tc.seed, tc.why)
			}
			if got := sum.Failures[0].Property(); got != tc.property {
				t.Fatalf("seed %d fails %s, want the known %s (%s)", tc.seed, got, tc.property, tc.why)
			}
		})
	}
}

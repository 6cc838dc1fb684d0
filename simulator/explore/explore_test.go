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
// variant); each failure prints its shrunk history and the command that
// replays it.
//
// The generator here leaves engine crashes out: crash exploration finds a
// known limitation that TestKnownLimitations pins (a crash between an
// update and its checkpoint can lose a later edit). Crashes are still covered
// by the scenario suites, the driver's crash sweep and the CLI, whose
// generator keeps them.
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
			x := New(tc.plan, Config{ShrinkRuns: 500, Shrink: 3, Gen: GenConfig{NoCrashes: true}})
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

// TestKnownLimitations pins the failures crash exploration still finds, so
// that they stay visible: each seed must still break the named property.
// When one passes, the limitation is fixed: remove it here and let
// TestExplore generate crashes again.
func TestKnownLimitations(t *testing.T) {
	for _, tc := range []struct {
		seed     int64
		property string
		why      string
	}{
		{62, "no-lost-update", "after a crash between an update and its checkpoint, the engine takes its own update for an edit and the conflict rule can undo a later edit (needs the pre-write base persisted)"},
	} {
		t.Run(fmt.Sprint(tc.seed), func(t *testing.T) {
			x := New(starter(t), Config{ShrinkRuns: -1})
			sum := x.Explore(context.Background(), tc.seed, 1, nil)
			if len(sum.Failures) == 0 {
				t.Fatalf("seed %d passes: the limitation (%s) looks fixed; remove it here and the NoCrashes in TestExplore", tc.seed, tc.why)
			}
			if got := sum.Failures[0].Property(); got != tc.property {
				t.Fatalf("seed %d fails %s, want the known %s (%s)", tc.seed, got, tc.property, tc.why)
			}
		})
	}
}

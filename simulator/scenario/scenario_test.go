package scenario

import (
	"flag"
	"fmt"
	"regexp"
	"testing"

	"github.com/dualsync/dualsync/runtime/plan"
)

var (
	seed = flag.Int64("seed", 1, "seed of the scenario worlds")
	dir  = flag.String("scenarios", "../../testdata/scenarios", "directory of the scenario scripts")
)

func starter(t testing.TB) *plan.Plan {
	t.Helper()
	p, err := plan.ReadFile("../../testdata/starter.plan.json")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSuites runs the runbook's scenario suites in testdata/scenarios
// against the starter plan, each twice with identical traces.
func TestSuites(t *testing.T) {
	rep, err := Run(*dir, starter(t), Options{
		Seed:    *seed,
		Verbose: testing.Verbose(),
		Replay: func(name string, seed int64) string {
			return fmt.Sprintf("go test ./simulator/scenario -run 'TestSuites/^%s$' -seed %d", regexp.QuoteMeta(name), seed)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		t.Run(r.Name, func(t *testing.T) {
			switch r.Status {
			case Fail:
				t.Errorf("%s\nseed %d; replay: %s\n%s", r.Message, r.Seed, r.Replay, r.Log)
			case Skip:
				t.Skip(r.Message)
			default:
				if r.Log != "" {
					t.Log(r.Log)
				}
			}
		})
	}
}

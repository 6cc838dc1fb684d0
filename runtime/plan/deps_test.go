package plan

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the plan contract on the standard library only, so that
// anything can read a plan without pulling in CUE or the runtime.
func TestDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep != "github.com/dualsync/dualsync/runtime/plan" {
			t.Errorf("runtime/plan imports %s: it may use the standard library only", dep)
		}
	}
}

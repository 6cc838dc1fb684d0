package runtime_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the runtime free of CUE, the compiler and the simulator:
// it is built, shipped and tested from the plan alone.
func TestDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch {
		case strings.HasPrefix(dep, "github.com/dualsync/dualsync/runtime"):
		default:
			t.Errorf("runtime imports %s: it may use the standard library and runtime packages only", dep)
		}
	}
}

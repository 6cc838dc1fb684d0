package fake

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the fakes on the runtime's contract: they receive a plan
// and never see CUE or the compiler.
func TestDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch {
		case strings.HasPrefix(dep, "github.com/dualsync/dualsync/runtime"),
			dep == "github.com/dualsync/dualsync/simulator/fake":
		default:
			t.Errorf("simulator/fake imports %s: it may use the standard library and the runtime only", dep)
		}
	}
}

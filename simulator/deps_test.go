package simulator

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the simulator and its scenario runner off the authoring
// side: they receive a compiled plan and never import the compiler, the
// schema or CUE.
func TestDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".", "./scenario").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/dualsync/dualsync/compiler", "github.com/dualsync/dualsync/schema", "github.com/dualsync/dualsync/maps", "cuelang.org/"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("the simulator imports %s: it must take a compiled plan, not compile one", dep)
			}
		}
	}
}

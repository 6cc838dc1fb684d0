package fakehttp

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the HTTP fakes on the runtime's side of the line: they
// receive a compiled plan and never import the compiler, the schema, the
// starter maps or CUE.
func TestDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/dualsync/dualsync/compiler", "github.com/dualsync/dualsync/schema",
			"github.com/dualsync/dualsync/maps", "cuelang.org/"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("simulator/fakehttp imports %s", dep)
			}
		}
	}
}

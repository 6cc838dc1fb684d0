package server_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the runtime server free of CUE, the compiler, the
// simulator and the command: it runs from the plan alone.
func TestDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"cuelang.org/", "github.com/dualsync/dualsync/compiler", "github.com/dualsync/dualsync/simulator", "github.com/dualsync/dualsync/cmd", "github.com/dualsync/dualsync/schema", "github.com/dualsync/dualsync/maps"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("runtime/server imports %s", dep)
			}
		}
	}
}

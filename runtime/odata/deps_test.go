package odata

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the connectors free of CUE, the compiler and the
// simulator: besides the standard library they use the runtime packages
// and golang.org/x/oauth2 only.
func TestDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch {
		case strings.HasPrefix(dep, "github.com/dualsync/dualsync/runtime"):
		case strings.HasPrefix(dep, "golang.org/x/oauth2"):
		default:
			t.Errorf("runtime/odata imports %s", dep)
		}
	}
}

package compiler

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the compiler away from the network and the runtime: it
// reads CUE and writes a plan, nothing else.
func TestDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch {
		case dep == "net/http":
			t.Errorf("compiler imports net/http")
		case strings.HasPrefix(dep, "github.com/dualsync/dualsync/") &&
			dep != "github.com/dualsync/dualsync/runtime/plan" &&
			dep != "github.com/dualsync/dualsync/schema" &&
			!strings.HasPrefix(dep, "github.com/dualsync/dualsync/compiler"):
			t.Errorf("compiler imports %s: only schema and runtime/plan are allowed", dep)
		}
	}
}

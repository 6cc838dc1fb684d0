package store

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the store contract on the engine, the plan and the
// standard library, and keeps every store package (implementations and the
// suite) away from CUE, the compiler and the command.
func TestDeps(t *testing.T) {
	deps := func(pkg string) []string {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		return strings.Fields(string(out))
	}
	const mod = "github.com/dualsync/dualsync/"
	for _, dep := range deps(".") {
		switch dep {
		case mod + "runtime/store", mod + "runtime/engine", mod + "runtime/plan":
		default:
			t.Errorf("runtime/store imports %s: it may use the engine, the plan and the standard library only", dep)
		}
	}
	for _, dep := range deps("./...") {
		if strings.HasPrefix(dep, "cuelang.org/") || strings.HasPrefix(dep, mod+"compiler") ||
			strings.HasPrefix(dep, mod+"cmd") || strings.HasPrefix(dep, mod+"schema") || strings.HasPrefix(dep, mod+"simulator") {
			t.Errorf("a store package imports %s", dep)
		}
	}
}

package compiler

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the compiler away from the network and the runtime: it
// reads CUE and writes a plan. (The CUE loader links a module-registry
// client; the compiler itself must not import net/http, and it loads with
// local files only.)
func TestDeps(t *testing.T) {
	list := func(format string) []string {
		out, err := exec.Command("go", "list", "-f", format, ".").Output()
		if err != nil {
			t.Fatalf("go list: %v", err)
		}
		return strings.Fields(string(out))
	}
	for _, imp := range list(`{{join .Imports " "}}`) {
		if imp == "net/http" || imp == "net" {
			t.Errorf("compiler imports %s", imp)
		}
	}
	for _, dep := range list(`{{join .Deps " "}}`) {
		if strings.HasPrefix(dep, "github.com/dualsync/dualsync/") &&
			dep != "github.com/dualsync/dualsync/runtime/plan" &&
			dep != "github.com/dualsync/dualsync/schema" {
			t.Errorf("compiler depends on %s: only schema and runtime/plan are allowed", dep)
		}
	}
}

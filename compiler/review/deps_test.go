package review

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the package to the standard library and the plan contract,
// so the review tools can run wherever a plan file can be read.
func TestDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		first, _, _ := strings.Cut(dep, "/")
		switch {
		case dep == "github.com/dualsync/dualsync/runtime/plan", dep == "github.com/dualsync/dualsync/compiler/review":
		case strings.Contains(first, "."):
			t.Errorf("review imports %s: only the standard library and runtime/plan are allowed", dep)
		case dep == "net/http", dep == "os/exec":
			t.Errorf("review imports %s: it renders plans, nothing else", dep)
		}
	}
}

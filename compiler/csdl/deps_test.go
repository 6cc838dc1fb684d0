package csdl

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the importer to the standard library, the compiler's
// catalog types and CUE's syntax packages: it reads documents and writes
// CUE text, nothing else.
func TestDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{join .Imports " "}}`, ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	allowed := map[string]bool{
		"github.com/dualsync/dualsync/compiler":     true,
		"github.com/dualsync/dualsync/runtime/plan": true,
		"cuelang.org/go/cue/ast":                    true,
		"cuelang.org/go/cue/format":                 true,
		"cuelang.org/go/cue/token":                  true,
	}
	for _, imp := range strings.Fields(string(out)) {
		first, _, _ := strings.Cut(imp, "/")
		std := !strings.Contains(first, ".")
		if std && (strings.HasPrefix(imp, "net") || imp == "os/exec") {
			t.Errorf("csdl imports %s", imp)
		}
		if !std && !allowed[imp] {
			t.Errorf("csdl imports %s: only the compiler, runtime/plan and CUE's ast, format and token packages are allowed", imp)
		}
	}
}

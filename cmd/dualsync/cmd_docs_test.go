package main

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dualsync/dualsync/runtime/plan"
)

func docsCmd(compile func(string) (*plan.Plan, error)) func([]string, stdio) int {
	return func(args []string, std stdio) int { return cmdDocsWith(args, std, compile) }
}

func TestDocsCommand(t *testing.T) {
	dir := t.TempDir()
	planFile := writePlan(t, dir, "plan.json", diffTestPlan(plan.WinDV))
	compiled := func(d string) (*plan.Plan, error) {
		if d != "maps" {
			return nil, errors.New("wrong directory " + d)
		}
		return diffTestPlan(plan.WinFO), nil
	}

	t.Run("plan file", func(t *testing.T) {
		out := filepath.Join(dir, "docs", "nested")
		code, stdout, stderr := runCmd(docsCmd(noCompile), "--plan", planFile, "-o", out)
		if code != 0 {
			t.Fatalf("exit %d\nstderr: %s", code, stderr)
		}
		want := "wrote " + filepath.Join(out, "README.md") + "\nwrote " + filepath.Join(out, "customer.md") + "\n"
		if stdout != want {
			t.Errorf("stdout:\n%s\nwant:\n%s", stdout, want)
		}
		entries, _ := os.ReadDir(out)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if !slices.Equal(names, []string{"README.md", "customer.md"}) {
			t.Errorf("files %q", names)
		}
		page, _ := os.ReadFile(filepath.Join(out, "customer.md"))
		if !strings.Contains(string(page), "| `CreditLimit` ↔ `creditlimit` | Dataverse wins | credit control decides | `customer.cue:10:3` |") {
			t.Errorf("customer.md:\n%s", page)
		}
	})
	t.Run("maps directory", func(t *testing.T) {
		out := filepath.Join(dir, "fromdir")
		code, stdout, stderr := runCmd(docsCmd(compiled), "maps", "-o", out)
		if code != 0 || !strings.Contains(stdout, "customer.md") {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
		page, _ := os.ReadFile(filepath.Join(out, "customer.md"))
		if !strings.Contains(string(page), "| F&O wins | credit control decides |") {
			t.Errorf("customer.md was not written from the compiled plan:\n%s", page)
		}
	})
	for _, tt := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"compile error", []string{"maps2", "-o", filepath.Join(dir, "x")}, 1, "dualsync docs: wrong directory maps2"},
		{"bad plan", []string{"--plan", filepath.Join(dir, "nope.json"), "-o", filepath.Join(dir, "x")}, 1, "dualsync docs: "},
		{"no output", []string{"maps"}, 2, "usage: dualsync docs"},
		{"nothing to document", []string{"-o", filepath.Join(dir, "x")}, 2, "usage: dualsync docs"},
		{"both", []string{"maps", "--plan", planFile, "-o", filepath.Join(dir, "x")}, 2, "usage: dualsync docs"},
		{"two dirs", []string{"maps", "more", "-o", filepath.Join(dir, "x")}, 2, "usage: dualsync docs"},
		{"output is a file", []string{"--plan", planFile, "-o", planFile}, 1, "dualsync docs: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(docsCmd(compiled), tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", code, tt.code, stderr, tt.stderr)
			}
			if stdout != "" {
				t.Errorf("stdout should be empty, got %q", stdout)
			}
		})
	}
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCmdTest(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	write("flows.txtar", "write fo customer usmf|C1 OrganizationName=A CustomerGroupId=10\nrun\nexpect dv customer usmf|C1 name=A\n")
	planFile := filepath.Join("..", "..", "testdata", "starter.plan.json")
	junit := filepath.Join(t.TempDir(), "report.xml")

	var out, errb bytes.Buffer
	code := cmdTest([]string{dir, "--plan", planFile, "--junit", junit, "--seed", "3"}, stdio{out: &out, err: &errb})
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "PASS flows") || !strings.Contains(out.String(), "(seed 3)") {
		t.Errorf("stdout:\n%s", out.String())
	}
	x, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(x), `<testcase name="flows"`) {
		t.Errorf("JUnit report:\n%s", x)
	}

	write("wrong.txtar", "write fo customer usmf|C1 OrganizationName=A CustomerGroupId=10\nrun\nexpect dv customer usmf|C1 name=B\n")
	out.Reset()
	code = cmdTest([]string{dir, "--plan", planFile, "--seed", "3"}, stdio{out: &out, err: &errb})
	if code != 1 {
		t.Fatalf("a failing script: exit %d, want 1\n%s", code, out.String())
	}
	for _, want := range []string{"FAIL wrong", `name is "A", want "B"`, "seed 3; replay: dualsync test " + dir + " --plan " + planFile + " --run '^wrong$' --seed 3"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, out.String())
		}
	}

	for _, args := range [][]string{{}, {dir, "extra"}, {dir, "--plan", planFile, "--maps", "maps"}, {dir, "--no-such-flag"}} {
		errb.Reset()
		if code := cmdTest(args, stdio{out: &out, err: &errb}); code != 2 {
			t.Errorf("cmdTest(%q): exit %d, want 2", args, code)
		}
	}
	errb.Reset()
	if code := cmdTest([]string{dir, "--plan", filepath.Join(dir, "none.json")}, stdio{out: &out, err: &errb}); code != 1 || !strings.Contains(errb.String(), "dualsync test:") {
		t.Errorf("missing plan: exit %d, stderr %q", code, errb.String())
	}
}

package scenario

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// suite writes scripts into a temporary directory.
func suite(t *testing.T, scripts map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name+".txtar"), []byte(body), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func result(t *testing.T, rep *Report, name string) Result {
	t.Helper()
	for _, r := range rep.Results {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no result for %s", name)
	return Result{}
}

func TestRunReportsFailures(t *testing.T) {
	dir := suite(t, map[string]string{
		"good": "write fo customer usmf|C1 OrganizationName=A CustomerGroupId=10\nrun\nexpect dv customer usmf|C1 name=A\n",
		// The expectation is wrong: F&O wins the name, not Dataverse.
		"wrong_winner": `write fo customer usmf|C1 OrganizationName=A CustomerGroupId=10
run
at 1m
update fo customer usmf|C1 OrganizationName=B
update dv customer usmf|C1 name=C
run
conflicts field=OrganizationName winner=dv count=1
`,
		"bad_option": "write fo customer usmf|C1 OrganizationName=A\nerrors colour=red\n",
		"bad_field":  "write fo customer usmf|C1 Name=A\n",
		"not_quiet":  "world rounds=1\nwrite fo customer usmf|C1 OrganizationName=A CustomerGroupId=10\n! run\n",
		"skipped":    "skip 'not today'\n",
	})
	rep, err := Run(dir, starter(t), Options{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Failed(); got != 3 {
		t.Errorf("Failed() = %d, want 3", got)
	}
	if r := result(t, rep, "good"); r.Status != Pass {
		t.Errorf("good: %s: %s\n%s", r.Status, r.Message, r.Log)
	}
	if r := result(t, rep, "not_quiet"); r.Status != Pass {
		t.Errorf("not_quiet: %s: %s\n%s", r.Status, r.Message, r.Log)
	}
	if r := result(t, rep, "skipped"); r.Status != Skip {
		t.Errorf("skipped: %s", r.Status)
	}
	r := result(t, rep, "wrong_winner")
	for _, want := range []string{"wrong_winner.txtar:7:", "0 conflicts match, want 1", "winner=fo rule=fo"} {
		if r.Status != Fail || !strings.Contains(r.Message, want) {
			t.Errorf("wrong_winner: %s, message %q lacks %q", r.Status, r.Message, want)
		}
	}
	if r.Seed != 7 || !strings.Contains(r.Replay, "wrong_winner") || !strings.Contains(r.Replay, "--seed 7") {
		t.Errorf("wrong_winner: seed %d, replay %q", r.Seed, r.Replay)
	}
	if r := result(t, rep, "bad_option"); !strings.Contains(r.Message, `bad_option.txtar:2: unknown option "colour"`) {
		t.Errorf("bad_option: %q", r.Message)
	}
	if r := result(t, rep, "bad_field"); !strings.Contains(r.Message, `map customer has no F&O field "Name"`) {
		t.Errorf("bad_field: %q", r.Message)
	}

	var text, junit bytes.Buffer
	if err := rep.WriteText(&text, false); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteJUnit(&junit); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"FAIL wrong_winner", "PASS good", "SKIP skipped", "seed 7; replay: ", "FAIL 3 of 6"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
	for _, want := range []string{`<testsuite name="` + dir + `" tests="6" failures="3" skipped="1"`, `<testcase name="wrong_winner" classname="scenario"`, `<failure message="`, `<skipped message="`, `<property name="seed" value="7">`} {
		if !strings.Contains(junit.String(), want) {
			t.Errorf("JUnit report lacks %q:\n%s", want, junit.String())
		}
	}
}

func TestRunFilterAndErrors(t *testing.T) {
	dir := suite(t, map[string]string{"a": "world\n", "b": "world\n"})
	rep, err := Run(dir, starter(t), Options{Run: "^b$"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || rep.Results[0].Name != "b" || rep.Results[0].Status != Pass {
		t.Errorf("results %+v, want b passing", rep.Results)
	}
	if _, err := Run(dir, starter(t), Options{Run: "^c$"}); err == nil {
		t.Error("a filter matching nothing: no error")
	}
	if _, err := Run(t.TempDir(), starter(t), Options{}); err == nil {
		t.Error("an empty directory: no error")
	}
	rep, err = Run(dir, nil, Options{Run: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Results[0]; r.Status != Fail || !strings.Contains(r.Message, "no plan") {
		t.Errorf("no plan: %s %q", r.Status, r.Message)
	}
}

func TestTraceDiff(t *testing.T) {
	a := []byte("[0s] one\n[1s] two\n[2s] three\n")
	if d := TraceDiff(a, a); d != "" {
		t.Errorf("identical traces: %q", d)
	}
	d := TraceDiff(a, []byte("[0s] one\n[1s] TWO\n[2s] three\n"))
	if !strings.Contains(d, "trace line 2") || !strings.Contains(d, "first run:  [1s] two") || !strings.Contains(d, "second run: [1s] TWO") {
		t.Errorf("changed line: %q", d)
	}
	d = TraceDiff(a, []byte("[0s] one\n"))
	if !strings.Contains(d, "trace line 2") || !strings.Contains(d, "(end of trace)") {
		t.Errorf("shorter trace: %q", d)
	}
}

// TestCommandsDocumented keeps the package documentation's command
// reference in step with the commands.
func TestCommandsDocumented(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for name := range commands() {
		if !strings.Contains(string(src), "//\t"+name+" ") && !strings.Contains(string(src), "] "+name+" ") && !strings.Contains(string(src), "//\t"+name+"\n") {
			t.Errorf("command %q is not in doc.go's reference", name)
		}
	}
}

package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dualsync/dualsync/runtime/plan"
)

// diffTestPlan returns a small consistent plan whose customer.CreditLimit
// conflict is won by winner.
func diffTestPlan(winner plan.Winner) *plan.Plan {
	pos := func(line int) plan.Pos { return plan.Pos{File: "customer.cue", Line: line, Col: 3} }
	return &plan.Plan{
		Stages: [][]string{{"customer"}},
		Maps: []plan.Map{{
			Name: "customer", Pos: pos(1), Stage: 0,
			FO:        plan.Entity{EntitySet: "CustomersV3"},
			DV:        plan.Table{Table: "account", EntitySet: "accounts"},
			Key:       []plan.KeyField{{FO: "CustomerAccount", DV: "accountnumber", Type: plan.String, Pos: pos(4)}},
			Direction: plan.Bidirectional, Master: plan.FO,
			Conflict: &plan.Conflict{Winner: plan.WinFO, Why: "F&O owns customers", From: "map", Pos: pos(6)},
			Fields: []plan.Field{{
				FO: "CreditLimit", DV: "creditlimit", Pos: pos(9), Direction: plan.Bidirectional,
				FOType: plan.Decimal, DVType: plan.Decimal,
				Conflict: plan.Conflict{Winner: winner, Why: "credit control decides", From: "field", Pos: pos(10)},
			}},
			Delete:  plan.Delete{FO: plan.Review, DV: plan.Review},
			Initial: plan.Initial{Strategy: "bulk", ExpectedRows: 10},
		}},
	}
}

// writePlan encodes p into dir/name and returns the path.
func writePlan(tb testing.TB, dir, name string, p *plan.Plan) string {
	tb.Helper()
	b, err := plan.Encode(p)
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// runCmd runs a command function with captured output.
func runCmd(f func([]string, stdio) int, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = f(args, stdio{in: strings.NewReader(""), out: &out, err: &errb})
	return code, out.String(), errb.String()
}

func noCompile(dir string) (*plan.Plan, error) {
	return nil, fmt.Errorf("unexpected compile of %s", dir)
}

func planCmd(compile func(string) (*plan.Plan, error)) func([]string, stdio) int {
	return func(args []string, std stdio) int { return cmdPlanWith(args, std, compile) }
}

func TestPlanDiffFiles(t *testing.T) {
	dir := t.TempDir()
	old := writePlan(t, dir, "old.json", diffTestPlan(plan.WinDV))
	new := writePlan(t, dir, "new.json", diffTestPlan(plan.WinFO))
	tampered := filepath.Join(dir, "tampered.json")
	b, _ := os.ReadFile(new)
	os.WriteFile(tampered, bytes.Replace(b, []byte(`"CreditLimit"`), []byte(`"CreditMax"`), 1), 0o644)

	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   []string // fragments
		stderr   []string
		noStdout bool
	}{
		{"changes", []string{"diff", old, new}, 2,
			[]string{"MEDIUM customer.CreditLimit conflict-winner-changed: Dataverse wins → F&O wins — Dataverse edits to creditlimit will now be overwritten by F&O in a conflict (customer.cue:10)\n",
				"1 change (0 high, 1 medium, 0 low)\n"}, nil, false},
		{"markdown after the files", []string{"diff", old, new, "--format", "markdown"}, 2,
			[]string{"## Plan changes", "| medium | customer | CreditLimit | `conflict-winner-changed` | Dataverse wins | F&O wins |"}, nil, false},
		{"markdown before the files", []string{"diff", "--format=markdown", old, new}, 2,
			[]string{"| Risk | Map | Field | Change | Old | New | Why |"}, nil, false},
		{"no changes", []string{"diff", new, new}, 0, []string{"no changes\n"}, nil, false},
		{"missing file", []string{"diff", old, filepath.Join(dir, "nope.json")}, 1, nil,
			[]string{"dualsync plan: ", "nope.json"}, true},
		{"edited plan", []string{"diff", old, tampered}, 1, nil, []string{"dualsync plan: ", "digest mismatch"}, true},
		{"unknown format", []string{"diff", "--format", "html", old, new}, 1, nil, []string{`dualsync plan: unknown format "html"`}, true},
		{"no subcommand", nil, 1, nil, []string{"usage: dualsync plan diff"}, true},
		{"unknown subcommand", []string{"show", old}, 1, nil, []string{"usage: dualsync plan diff"}, true},
		{"one file", []string{"diff", old}, 1, nil, []string{"usage: dualsync plan diff"}, true},
		{"files and base", []string{"diff", "--base", "HEAD", old, new}, 1, nil, []string{"usage: dualsync plan diff"}, true},
		{"unknown flag", []string{"diff", "--nope", old, new}, 1, nil, []string{"flag provided but not defined"}, true},
		{"help", []string{"--help"}, 0, []string{"Exit status: 0 no changes, 2 changes, 1 error"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(planCmd(noCompile), tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			for _, f := range tt.stdout {
				if !strings.Contains(stdout, f) {
					t.Errorf("stdout lacks %q:\n%s", f, stdout)
				}
			}
			for _, f := range tt.stderr {
				if !strings.Contains(stderr, f) {
					t.Errorf("stderr lacks %q:\n%s", f, stderr)
				}
			}
			if tt.noStdout && stdout != "" {
				t.Errorf("stdout should be empty on error, got:\n%s", stdout)
			}
		})
	}
}

// gitRepo is a temporary git repository for --base tests.
type gitRepo struct {
	tb  testing.TB
	dir string
}

func newGitRepo(tb testing.TB) *gitRepo {
	tb.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		tb.Fatalf("plan diff --base needs git: %v", err)
	}
	r := &gitRepo{tb: tb, dir: tb.TempDir()}
	r.git("init", "-q")
	return r
}

func (r *gitRepo) git(args ...string) {
	r.tb.Helper()
	cmd := exec.Command("git", append([]string{"-C", r.dir, "-c", "user.name=test", "-c", "user.email=test@example.invalid",
		"-c", "commit.gpgsign=false"}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_CONFIG_NOSYSTEM=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		r.tb.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func (r *gitRepo) write(name, content string) {
	r.tb.Helper()
	path := filepath.Join(r.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		r.tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		r.tb.Fatal(err)
	}
}

func (r *gitRepo) commit(msg string) {
	r.tb.Helper()
	r.git("add", "-A")
	r.git("commit", "-q", "-m", msg)
}

// winnerCompile is a fake compiler: it reads the winner of
// customer.CreditLimit from DIR/winner.txt, and insists that the catalog and
// the CUE module were exported with it.
func winnerCompile(dir string) (*plan.Plan, error) {
	for _, f := range []string{"catalog/catalog.cue", "cue.mod/module.cue"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return nil, fmt.Errorf("fake compile: %w", err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "winner.txt"))
	if err != nil {
		return nil, err
	}
	return diffTestPlan(plan.Winner(strings.TrimSpace(string(b)))), nil
}

func TestPlanDiffBase(t *testing.T) {
	r := newGitRepo(t)
	r.write("README.md", "repo\n")
	r.commit("start")
	r.write("maps/winner.txt", "dv\n")
	r.write("maps/catalog/catalog.cue", "package catalog\n")
	r.write("maps/cue.mod/module.cue", "module: \"example.com/maps\"\n")
	r.write("schema/schema.cue", "package schema\n")
	if err := os.MkdirAll(filepath.Join(r.dir, "maps/cue.mod/pkg"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A link out of the maps directory, as the repository's own maps have.
	if err := os.Symlink("../../../schema", filepath.Join(r.dir, "maps/cue.mod/pkg/schema")); err != nil {
		t.Fatal(err)
	}
	r.commit("maps")
	r.write("maps/winner.txt", "fo\n") // the working tree's change, not committed
	maps := filepath.Join(r.dir, "maps")

	t.Run("working tree against HEAD", func(t *testing.T) {
		code, stdout, stderr := runCmd(planCmd(winnerCompile), "diff", "--base", "HEAD", "--maps", maps)
		if code != 2 {
			t.Fatalf("exit %d, want 2\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
		want := "MEDIUM customer.CreditLimit conflict-winner-changed: Dataverse wins → F&O wins"
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q: the base was not exported from HEAD\n%s", want, stdout)
		}
		if where := filepath.ToSlash(filepath.Join(maps, "customer.cue")) + ":10)"; !strings.Contains(stdout, where) {
			t.Errorf("positions should be joined with the maps directory (%s):\n%s", where, stdout)
		}
	})
	t.Run("same revision", func(t *testing.T) {
		r.write("maps/winner.txt", "dv\n")
		defer r.write("maps/winner.txt", "fo\n")
		code, stdout, stderr := runCmd(planCmd(winnerCompile), "diff", "--maps", maps, "--base", "HEAD")
		if code != 0 || stdout != "no changes\n" {
			t.Errorf("exit %d, want 0\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
	})
	t.Run("before the maps existed", func(t *testing.T) {
		code, stdout, stderr := runCmd(planCmd(winnerCompile), "diff", "--base", "HEAD~1", "--maps", maps, "--format", "markdown")
		if code != 2 || !strings.Contains(stdout, "| low | customer |  | `map-added` |") {
			t.Errorf("exit %d, want 2 and the map added\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
		if !strings.Contains(stderr, "does not exist at HEAD~1: comparing with an empty plan") {
			t.Errorf("stderr should say the base is empty:\n%s", stderr)
		}
	})
	t.Run("unknown revision", func(t *testing.T) {
		code, _, stderr := runCmd(planCmd(winnerCompile), "diff", "--base", "no-such-branch", "--maps", maps)
		if code != 1 || !strings.Contains(stderr, `dualsync plan: unknown revision "no-such-branch"`) {
			t.Errorf("exit %d, stderr: %s", code, stderr)
		}
	})
	t.Run("option as revision", func(t *testing.T) {
		code, _, stderr := runCmd(planCmd(winnerCompile), "diff", "--base=--output=x", "--maps", maps)
		if code != 1 || !strings.Contains(stderr, "must not start with '-'") {
			t.Errorf("exit %d, stderr: %s", code, stderr)
		}
	})
	t.Run("base does not compile", func(t *testing.T) {
		failing := func(dir string) (*plan.Plan, error) {
			if dir == maps {
				return winnerCompile(dir)
			}
			return nil, errors.New("2 errors")
		}
		code, _, stderr := runCmd(planCmd(failing), "diff", "--base", "HEAD", "--maps", maps)
		if code != 1 || !strings.Contains(stderr, "dualsync plan: maps at HEAD: 2 errors") {
			t.Errorf("exit %d, stderr: %s", code, stderr)
		}
	})
	t.Run("not a repository", func(t *testing.T) {
		code, _, stderr := runCmd(planCmd(winnerCompile), "diff", "--base", "HEAD", "--maps", t.TempDir())
		if code != 1 || !strings.Contains(stderr, "is not in a git work tree") {
			t.Errorf("exit %d, stderr: %s", code, stderr)
		}
	})
}

func TestExtractTarRefusesEscapes(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "../evil.cue", Mode: 0o644, Size: 1, Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	tw.Write([]byte("x"))
	tw.Close()
	err := extractTar(&buf, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "leaves the export directory") {
		t.Errorf("extractTar = %v, want a refusal", err)
	}
}

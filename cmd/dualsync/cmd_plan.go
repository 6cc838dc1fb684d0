package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/dualsync/dualsync/compiler/review"
	"github.com/dualsync/dualsync/runtime/plan"
)

const planUsage = `usage: dualsync plan diff [--format text|markdown] OLD NEW
       dualsync plan diff --base REV [--maps DIR] [--format text|markdown]

The first form compares two plan files; the second compiles the maps in DIR
(default maps) as they were at git revision REV and as they are in the
working tree, and compares the two plans. When DIR did not exist at REV, the
base is an empty plan.

Exit status: 0 no changes, 2 changes, 1 error (usage errors included).
`

// cmdPlanWith runs "dualsync plan", compiling maps directories with compile.
func cmdPlanWith(args []string, std stdio, compile func(dir string) (*plan.Plan, error)) int {
	if len(args) == 0 || args[0] != "diff" {
		if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
			io.WriteString(std.out, planUsage)
			return 0
		}
		if len(args) > 0 {
			fmt.Fprintf(std.err, "dualsync plan: unknown subcommand %q\n", args[0])
		}
		io.WriteString(std.err, planUsage)
		return 1
	}
	fset := flag.NewFlagSet("plan diff", flag.ContinueOnError)
	fset.SetOutput(std.err)
	format := fset.String("format", "text", "output `format`: text or markdown")
	base := fset.String("base", "", "compare the maps at git revision `REV` with the working tree")
	dir := fset.String("maps", "maps", "with --base: the maps directory `DIR`")
	fset.Usage = func() {
		io.WriteString(std.err, planUsage+"\nflags:\n")
		fset.PrintDefaults()
	}
	files, err := parseArgs(fset, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 1
	}
	var write func(io.Writer, []review.Change) error
	switch *format {
	case "text":
		write = review.WriteText
	case "markdown":
		write = review.WriteMarkdown
	default:
		return fail(std, "plan", fmt.Errorf("unknown format %q (want text or markdown)", *format))
	}

	var changes []review.Change
	switch {
	case *base != "" && len(files) == 0:
		changes, err = diffBase(std, *base, *dir, compile)
	case *base == "" && len(files) == 2:
		changes, err = diffFiles(files[0], files[1])
	default:
		fset.Usage()
		return 1
	}
	if err != nil {
		return fail(std, "plan", err)
	}
	if err := write(std.out, changes); err != nil {
		return fail(std, "plan", err)
	}
	if len(changes) > 0 {
		return 2
	}
	return 0
}

func diffFiles(oldFile, newFile string) ([]review.Change, error) {
	old, err := plan.ReadFile(oldFile)
	if err != nil {
		return nil, err
	}
	new, err := plan.ReadFile(newFile)
	if err != nil {
		return nil, err
	}
	return review.Diff(old, new), nil
}

// diffBase compiles dir at revision rev and in the working tree, and diffs
// the two plans. Positions are made relative to the working directory, like
// the ones vet prints.
func diffBase(std stdio, rev, dir string, compile func(string) (*plan.Plan, error)) ([]review.Change, error) {
	old, err := compileAtRevision(std, rev, dir, compile)
	if err != nil {
		return nil, err
	}
	new, err := compile(dir)
	if err != nil {
		return nil, err
	}
	changes := review.Diff(old, new)
	for i := range changes {
		if f := changes[i].Pos.File; f != "" {
			changes[i].Pos.File = filepath.ToSlash(filepath.Join(dir, filepath.FromSlash(f)))
		}
	}
	return changes, nil
}

// compileAtRevision exports dir's subtree (maps, catalog and cue.mod) as it
// was at rev into a temporary directory and compiles it there. A directory
// that did not exist at rev compiles to an empty plan.
func compileAtRevision(std stdio, rev, dir string, compile func(string) (*plan.Plan, error)) (*plan.Plan, error) {
	if strings.HasPrefix(rev, "-") {
		return nil, fmt.Errorf("revision %q must not start with '-'", rev)
	}
	top, err := git(dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("%s is not in a git work tree: %w", dir, err)
	}
	prefix, err := git(dir, "rev-parse", "--show-prefix")
	if err != nil {
		return nil, err
	}
	if _, err := git(top, "rev-parse", "--verify", "--quiet", rev+"^{commit}"); err != nil {
		return nil, fmt.Errorf("unknown revision %q", rev)
	}
	tree := rev + ":" + strings.TrimSuffix(prefix, "/")
	if _, err := git(top, "cat-file", "-e", tree); err != nil {
		fmt.Fprintf(std.err, "dualsync plan: %s does not exist at %s: comparing with an empty plan\n", dir, rev)
		return &plan.Plan{}, nil
	}
	tmp, err := os.MkdirTemp("", "dualsync-base-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if err := gitArchive(top, tree, tmp); err != nil {
		return nil, err
	}
	p, err := compile(tmp)
	if err != nil {
		return nil, fmt.Errorf("maps at %s: %w", rev, err)
	}
	return p, nil
}

// git runs git in dir and returns its trimmed standard output.
func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", gitError(args, err, &stderr)
	}
	return strings.TrimSpace(string(out)), nil
}

func gitError(args []string, err error, stderr *bytes.Buffer) error {
	if msg := strings.TrimSpace(stderr.String()); msg != "" {
		return fmt.Errorf("git %s: %s", args[0], msg)
	}
	return fmt.Errorf("git %s: %w", args[0], err)
}

// gitArchive writes the tree (a "rev:path" tree-ish) into dest.
func gitArchive(top, tree, dest string) error {
	args := []string{"archive", "--format=tar", tree}
	cmd := exec.Command("git", append([]string{"-C", top}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return gitError(args, err, &stderr)
	}
	xerr := extractTar(out, dest)
	io.Copy(io.Discard, out) // let git finish writing before Wait closes the pipe
	if err := cmd.Wait(); err != nil {
		return gitError(args, err, &stderr)
	}
	return xerr
}

// extractTar writes a tar stream's directories, regular files and symbolic
// links into dest. It refuses names that leave dest and skips links whose
// target leaves it: the only such link in a maps directory is cue.mod's link
// to the repository's schema, which the compiler overlays with its own.
func extractTar(r io.Reader, dest string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read git archive: %w", err)
		}
		name := filepath.FromSlash(strings.TrimSuffix(h.Name, "/"))
		if name == "" || name == "." {
			continue
		}
		if !filepath.IsLocal(name) {
			return fmt.Errorf("git archive: entry %q leaves the export directory", h.Name)
		}
		path := filepath.Join(dest, name)
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(path, 0o755)
		case tar.TypeReg:
			err = writeEntry(path, tr, h.FileInfo().Mode().Perm())
		case tar.TypeSymlink:
			target := filepath.FromSlash(h.Linkname)
			if filepath.IsAbs(target) || !filepath.IsLocal(filepath.Join(filepath.Dir(name), target)) {
				continue
			}
			if err = os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
				err = os.Symlink(target, path)
			}
		}
		if err != nil {
			return err
		}
	}
}

func writeEntry(path string, r io.Reader, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm|0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

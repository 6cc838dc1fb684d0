package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	starter "github.com/dualsync/dualsync/maps"
	"github.com/dualsync/dualsync/schema"
)

// initExample is the starter map written by init: it has no lookups, so it
// vets clean on its own against the starter catalogs.
const initExample = "paymentterm.cue"

func cmdInit(args []string, std stdio) int {
	fset := flag.NewFlagSet("init", flag.ContinueOnError)
	fset.SetOutput(std.err)
	force := fset.Bool("force", false, "overwrite files that already exist")
	fset.Usage = func() {
		fmt.Fprintln(std.err, "usage: dualsync init [--force] DIR")
		fset.PrintDefaults()
	}
	args, err := parseArgs(fset, args)
	if err != nil {
		return 2
	}
	if len(args) != 1 {
		fset.Usage()
		return 2
	}
	dir := args[0]
	files, err := scaffold()
	if err != nil {
		return fail(std, "init", err)
	}
	if !*force {
		for _, f := range keysSorted(files) {
			if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
				return fail(std, "init", fmt.Errorf("%s already exists (use --force to overwrite)", filepath.Join(dir, f)))
			}
		}
	}
	for _, f := range keysSorted(files) {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fail(std, "init", err)
		}
		if err := os.WriteFile(p, files[f], 0o644); err != nil {
			return fail(std, "init", err)
		}
		fmt.Fprintln(std.out, "wrote", p)
	}
	fmt.Fprintf(std.out, "next: replace %s with your catalogs (dualsync import-metadata), edit the maps, then dualsync vet %s\n",
		filepath.Join(dir, "catalog"), dir)
	return 0
}

// scaffold returns the files of a new maps repository by slash path.
func scaffold() (map[string][]byte, error) {
	out := map[string][]byte{}
	copyFS := func(fsys fs.FS, root, to string) error {
		return fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			out[path.Join(to, filepath.ToSlash(rel))] = b
			return nil
		})
	}
	if err := copyFS(schema.Files(), ".", "cue.mod/pkg/"+schema.ImportPath); err != nil {
		return nil, err
	}
	st := starter.Files()
	for _, name := range []string{"dualsync.cue", initExample, "cue.mod/module.cue"} {
		b, err := fs.ReadFile(st, name)
		if err != nil {
			return nil, fmt.Errorf("embedded starter maps: %w", err)
		}
		out[name] = b
	}
	if err := copyFS(st, "catalog", "catalog"); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	out[".github/workflows/dualsync.yml"] = []byte(workflow)
	return out, nil
}

// workflow runs vet on every pull request, uploads SARIF so findings show
// on the changed lines, and posts the plan diff as a comment.
const workflow = `name: dualsync
on:
  pull_request:
    paths: ["**.cue"]
permissions:
  contents: read
  pull-requests: write
  security-events: write
jobs:
  vet:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-go@v5
        with:
          go-version: "1.26"
      - run: go install github.com/dualsync/dualsync/cmd/dualsync@latest
      - name: vet (SARIF for code scanning)
        run: dualsync vet --format sarif . > dualsync.sarif || true
      - uses: github/codeql-action/upload-sarif@v3
        with:
          sarif_file: dualsync.sarif
      - name: vet (annotations, fails the check on errors)
        run: dualsync vet --format github .
      - name: plan diff
        run: |
          set +e
          dualsync plan diff --base "origin/${{ github.base_ref }}" --maps . --format markdown > plan-diff.md
          code=$?
          set -e
          if [ "$code" = 1 ]; then exit 1; fi
          if [ "$code" = 2 ]; then gh pr comment "${{ github.event.pull_request.number }}" --body-file plan-diff.md; fi
        env:
          GH_TOKEN: ${{ github.token }}
`

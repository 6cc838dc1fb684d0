package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/parser"
)

// formatCUE formats one CUE file; parse errors name the file and line.
func formatCUE(name string, src []byte) ([]byte, error) {
	f, err := parser.ParseFile(name, src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	return format.Node(f)
}

func cmdFmt(args []string, std stdio) int {
	fset := flag.NewFlagSet("fmt", flag.ContinueOnError)
	fset.SetOutput(std.err)
	check := fset.Bool("check", false, "list files that are not formatted and exit 1; change nothing")
	fset.Usage = func() {
		fmt.Fprintln(std.err, "usage: dualsync fmt [--check] PATH...   (files or directories; cue.mod is skipped)")
		fset.PrintDefaults()
	}
	args, err := parseArgs(fset, args)
	if err != nil {
		return 2
	}
	if len(args) == 0 {
		fset.Usage()
		return 2
	}
	var files []string
	for _, p := range args {
		fs, err := cueFiles(p)
		if err != nil {
			return fail(std, "fmt", err)
		}
		files = append(files, fs...)
	}
	failed, unformatted := false, false
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintf(std.err, "dualsync fmt: %v\n", err)
			failed = true
			continue
		}
		out, err := formatCUE(f, src)
		if err != nil {
			for _, e := range cueerrors.Errors(err) {
				format, args := e.Msg()
				fmt.Fprintf(std.err, "dualsync fmt: %s: %s\n", e.Position(), fmt.Sprintf(format, args...))
			}
			failed = true
			continue
		}
		if bytes.Equal(src, out) {
			continue
		}
		if *check {
			fmt.Fprintln(std.out, f)
			unformatted = true
			continue
		}
		if err := os.WriteFile(f, out, 0o644); err != nil {
			fmt.Fprintf(std.err, "dualsync fmt: %v\n", err)
			failed = true
			continue
		}
		fmt.Fprintln(std.out, f)
	}
	if failed || unformatted {
		return 1
	}
	return 0
}

// cueFiles lists the .cue files at p: p itself, or those under the
// directory p outside cue.mod.
func cueFiles(p string) ([]string, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{p}, nil
	}
	var out []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "cue.mod" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".cue") {
			out = append(out, path)
		}
		return nil
	})
	if err == nil && len(out) == 0 {
		err = errors.New(p + ": no .cue files")
	}
	return out, err
}

package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/dualsync/dualsync/compiler"
)

func cmdVet(args []string, std stdio) int {
	fs := flag.NewFlagSet("vet", flag.ContinueOnError)
	fs.SetOutput(std.err)
	format := fs.String("format", "text", "output format: text, json, sarif or github")
	strict := fs.Bool("strict", false, "exit 1 on warnings too")
	catalog := fs.String("catalog", "", "catalog directory (default DIR/catalog)")
	explain := fs.String("explain", "", "explain a check code, e.g. DS140, or 'all'")
	fs.Usage = func() {
		fmt.Fprintln(std.err, "usage: dualsync vet [--format text|json|sarif|github] [--strict] [--catalog DIR] DIR\n       dualsync vet --explain CODE|all")
		fs.PrintDefaults()
	}
	args, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if *explain != "" {
		return explainCodes(std, *explain)
	}
	if len(args) != 1 {
		fs.Usage()
		return 2
	}
	dir := args[0]
	w, ok := diagWriter(*format)
	if !ok {
		return fail(std, "vet", fmt.Errorf("unknown format %q (want text, json, sarif or github)", *format))
	}
	ds := compiler.Vet(dir, compiler.Config{CatalogDir: *catalog})
	if err := w(std.out, dir, ds); err != nil {
		return fail(std, "vet", err)
	}
	errs, warns := ds.Count()
	if errs > 0 || (*strict && warns > 0) {
		return 1
	}
	return 0
}

func explainCodes(std stdio, code string) int {
	if code == "all" {
		for _, c := range compiler.Codes() {
			fmt.Fprintf(std.out, "%s %-7s %s\n", c.Code, c.Severity, c.Title)
		}
		return 0
	}
	c, ok := compiler.Explain(code)
	if !ok {
		return fail(std, "vet", fmt.Errorf("unknown check code %q (dualsync vet --explain all lists them)", code))
	}
	fmt.Fprintf(std.out, "%s (%s): %s\n", c.Code, c.Severity, c.Title)
	return 0
}

// diagWriter returns the printer of an output format. Positions are
// relative to the maps directory; printers join them with dir so that paths
// are relative to where the command runs, as CI annotations need.
func diagWriter(format string) (func(w io.Writer, dir string, ds compiler.Diagnostics) error, bool) {
	switch format {
	case "text":
		return writeText, true
	case "json":
		return writeJSON, true
	case "sarif":
		return writeSARIF, true
	case "github":
		return writeGitHub, true
	}
	return nil, false
}

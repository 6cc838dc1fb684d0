package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/dualsync/dualsync/compiler"
	"github.com/dualsync/dualsync/runtime/plan"
)

func cmdCompile(args []string, std stdio) int {
	fs := flag.NewFlagSet("compile", flag.ContinueOnError)
	fs.SetOutput(std.err)
	out := fs.String("o", "", "write the plan to `FILE` (default standard output)")
	catalog := fs.String("catalog", "", "catalog directory (default DIR/catalog)")
	fs.Usage = func() {
		fmt.Fprintln(std.err, "usage: dualsync compile [--catalog DIR] [-o FILE] DIR")
		fs.PrintDefaults()
	}
	args, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(args) != 1 {
		fs.Usage()
		return 2
	}
	dir := args[0]
	p, ds := compiler.Compile(dir, compiler.Config{CatalogDir: *catalog})
	if len(ds) > 0 {
		writeText(std.err, dir, ds)
	}
	if p == nil {
		fmt.Fprintln(std.err, "dualsync compile: no plan written: vet reports errors")
		return 1
	}
	b, err := plan.Encode(p)
	if err != nil {
		return fail(std, "compile", err)
	}
	if *out == "" {
		_, err = std.out.Write(b)
	} else {
		err = os.WriteFile(*out, b, 0o644)
		if err == nil {
			fmt.Fprintf(std.err, "wrote %s (%d maps, %s)\n", *out, len(p.Maps), p.Digest)
		}
	}
	if err != nil {
		return fail(std, "compile", err)
	}
	return 0
}

// compileDir compiles the maps in dir for commands that need a plan.
func compileDir(dir string) (*plan.Plan, error) {
	p, ds := compiler.Compile(dir, compiler.Config{})
	if p == nil {
		var first string
		for _, d := range ds {
			if d.Severity == compiler.Error {
				first = fmt.Sprintf("%s: %s %s", locate(dir, d.Pos), d.Code, d.Message)
				break
			}
		}
		errs, _ := ds.Count()
		return nil, fmt.Errorf("%s: %d errors, first: %s (run dualsync vet)", dir, errs, first)
	}
	return p, nil
}

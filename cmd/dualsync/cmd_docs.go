package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dualsync/dualsync/compiler/review"
	"github.com/dualsync/dualsync/runtime/plan"
)

const docsUsage = `usage: dualsync docs -o OUT DIR
       dualsync docs -o OUT --plan FILE

Writes Markdown documentation of the maps in DIR (compiled first) or of a
compiled plan file into OUT, creating it: README.md, an index with the
dependency graph, and one page per map. Prints the files written. Files
already in OUT that the plan no longer produces are left alone.

Exit status: 0 written, 1 error, 2 usage error.
`

// cmdDocsWith runs "dualsync docs", compiling a maps directory with compile.
func cmdDocsWith(args []string, std stdio, compile func(dir string) (*plan.Plan, error)) int {
	fset := flag.NewFlagSet("docs", flag.ContinueOnError)
	fset.SetOutput(std.err)
	out := fset.String("o", "", "write the files into `OUT`")
	planFile := fset.String("plan", "", "document the plan in `FILE` instead of compiling DIR")
	setUsage(fset, std.err, docsUsage+"\nflags:\n")
	dirs, code, ok := parseCommand(fset, args)
	if !ok {
		return code
	}
	if *out == "" || (*planFile == "") == (len(dirs) == 0) || len(dirs) > 1 {
		fset.Usage()
		return 2
	}
	var p *plan.Plan
	var err error
	if *planFile != "" {
		p, err = plan.ReadFile(*planFile)
	} else {
		p, err = compile(dirs[0])
	}
	if err != nil {
		return fail(std, "docs", err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fail(std, "docs", err)
	}
	files := review.Docs(p)
	for _, name := range keysSorted(files) {
		path := filepath.Join(*out, name)
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return fail(std, "docs", err)
		}
		fmt.Fprintln(std.out, "wrote", path)
	}
	return 0
}

package main

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator/scenario"
)

const testUsage = `usage: dualsync test DIR [--plan FILE | --maps DIR] [--junit FILE] [--seed N] [--run REGEXP] [-v]

Runs the scenario scripts (DIR/*.txtar) against a compiled plan in the
simulator: fake F&O and Dataverse, a virtual clock and the real engine.
Every script runs twice with the same seed and must produce the same trace
byte for byte. A failure prints its seed and the command that replays it.

Exit status: 0 all scripts pass, 1 a script failed, 2 usage error.
`

// cmdTest runs "dualsync test".
func cmdTest(args []string, std stdio) int {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(std.err)
	planFile := fs.String("plan", "", "the compiled plan `FILE` (default plan.json)")
	maps := fs.String("maps", "", "compile the maps in `DIR` instead of reading a plan file")
	junit := fs.String("junit", "", "also write a JUnit XML report to `FILE`")
	seed := fs.Int64("seed", 1, "the seed of every script's world (`N`)")
	run := fs.String("run", "", "run only the scripts whose name matches `REGEXP`")
	verbose := fs.Bool("v", false, "print every script's log")
	setUsage(fs, std.err, testUsage+"\nflags:\n")
	pos, code, ok := parseCommand(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fs.Usage()
		return 2
	}
	if *planFile != "" && *maps != "" {
		fmt.Fprintln(std.err, "dualsync test: give --plan or --maps, not both")
		return 2
	}
	dir := pos[0]

	var p *plan.Plan
	var err error
	source := ""
	switch {
	case *maps != "":
		p, err = compileDir(*maps)
		source = "--maps " + shellQuote(*maps)
	default:
		f := *planFile
		if f == "" {
			f = "plan.json"
		}
		p, err = plan.ReadFile(f)
		source = "--plan " + shellQuote(f)
	}
	if err != nil {
		return fail(std, "test", err)
	}

	rep, err := scenario.Run(dir, p, scenario.Options{
		Seed:    *seed,
		Run:     *run,
		Verbose: *verbose,
		Replay: func(name string, seed int64) string {
			return fmt.Sprintf("dualsync test %s %s --run %s --seed %d",
				shellQuote(dir), source, shellQuote("^"+regexp.QuoteMeta(name)+"$"), seed)
		},
	})
	if err != nil {
		return fail(std, "test", err)
	}
	if err := rep.WriteText(std.out, *verbose); err != nil {
		return fail(std, "test", err)
	}
	if *junit != "" {
		f, err := os.Create(*junit)
		if err != nil {
			return fail(std, "test", err)
		}
		err = rep.WriteJUnit(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fail(std, "test", err)
		}
	}
	if rep.Failed() > 0 {
		return 1
	}
	return 0
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+", r))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

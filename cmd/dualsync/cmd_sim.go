package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator/explore"
)

const simUsage = `usage: dualsync sim serve --fo ADDR --dv ADDR --login ADDR [--plan FILE] [--seed N] [--faults]
       dualsync sim explore --plan FILE [--seeds N] [--seed S] [--ops 50] [--workers K]
       dualsync sim replay --plan FILE --seed S [--ops 50] [--minimal]

explore generates a concurrent-write history for each of the seeds S ..
S+N-1 (default: seed 1 only), runs each in its own simulated world
(fake F&O, fake Dataverse, the real engine on a virtual clock), heals the
faults, retries the error queue, and checks convergence, conflict-rule
compliance, no lost update, no echo loop, dependency order, the accounting
identity and that nothing is lost silently. A failing seed is shrunk to a
minimal history and printed with the command that replays it.

replay prints the history of one seed, the trace of its run and the
properties it fails; with --minimal, of its shrunk history.

Exit status: 0 every seed passes, 1 a seed fails (or an error), 2 usage.
`

// cmdSim runs "dualsync sim".
func cmdSim(args []string, std stdio) int {
	if len(args) == 0 || (len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help")) {
		io.WriteString(std.out, simUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	switch args[0] {
	case "serve":
		return cmdSimServe(args[1:], std)
	case "explore":
		return simExplore(args[1:], std)
	case "replay":
		return simReplay(args[1:], std)
	}
	fmt.Fprintf(std.err, "dualsync sim: unknown subcommand %q\n", args[0])
	io.WriteString(std.err, simUsage)
	return 2
}

// simFlags are the flags that decide what a seed's history and world are,
// shared by explore and replay, so that a replay command can repeat them.
type simFlags struct {
	plan      string
	seed      int64
	ops       int
	noRetry   bool
	noFaults  bool
	noCrashes bool
	noDeletes bool
	targets   bool
}

func (f *simFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.plan, "plan", "", "the compiled plan `FILE` to explore")
	fs.Int64Var(&f.seed, "seed", 1, "the (first) `seed`")
	fs.IntVar(&f.ops, "ops", explore.DefaultOps, "operations per history")
	fs.BoolVar(&f.noRetry, "no-retry", false, "leave the error queue alone at the end instead of retrying it")
	fs.BoolVar(&f.noFaults, "no-faults", false, "generate no faults")
	fs.BoolVar(&f.noCrashes, "no-crashes", false, "generate no engine crashes")
	fs.BoolVar(&f.noDeletes, "no-deletes", false, "generate no deletes")
	fs.BoolVar(&f.targets, "poll-targets", false, "poll (and let users edit) the side a one-way map flows to")
}

func (f *simFlags) config() explore.Config {
	cfg := explore.Config{
		Gen: explore.GenConfig{Ops: f.ops, EditTargets: f.targets, NoFaults: f.noFaults,
			NoCrashes: f.noCrashes, NoDeletes: f.noDeletes},
		NoRetry: f.noRetry,
	}
	cfg.World.PollTargets = f.targets
	return cfg
}

// replay returns the command that replays a seed of this exploration,
// without the seed.
func (f *simFlags) replay() string {
	var b strings.Builder
	fmt.Fprintf(&b, "dualsync sim explore --plan %s", f.plan)
	if f.ops != explore.DefaultOps {
		fmt.Fprintf(&b, " --ops %d", f.ops)
	}
	for _, o := range []struct {
		on   bool
		name string
	}{{f.noRetry, "--no-retry"}, {f.noFaults, "--no-faults"}, {f.noCrashes, "--no-crashes"}, {f.noDeletes, "--no-deletes"}, {f.targets, "--poll-targets"}} {
		if o.on {
			b.WriteString(" " + o.name)
		}
	}
	return b.String()
}

func (f *simFlags) load(fs *flag.FlagSet, args []string, std stdio) (*plan.Plan, int) {
	rest, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil, 0
	}
	if err != nil {
		return nil, 2
	}
	if len(rest) > 0 || f.plan == "" || f.ops <= 0 {
		fs.Usage()
		return nil, 2
	}
	p, err := plan.ReadFile(f.plan)
	if err != nil {
		return nil, fail(std, "sim", err)
	}
	return p, -1
}

func simExplore(args []string, std stdio) int {
	var f simFlags
	fs := flag.NewFlagSet("sim explore", flag.ContinueOnError)
	fs.SetOutput(std.err)
	f.register(fs)
	seeds := fs.Int("seeds", 1, "the number of seeds to explore")
	workers := fs.Int("workers", 0, "seeds explored at once (default GOMAXPROCS)")
	shrink := fs.Int("shrink", 3, "how many failing seeds to shrink, lowest first")
	shrinkRuns := fs.Int("shrink-runs", 2000, "the most runs spent shrinking one failure; 0 does not shrink")
	fs.Usage = func() {
		io.WriteString(std.err, simUsage+"\nflags:\n")
		fs.PrintDefaults()
	}
	p, code := f.load(fs, args, std)
	if p == nil {
		return code
	}
	if *seeds <= 0 {
		fs.Usage()
		return 2
	}
	cfg := f.config()
	cfg.Workers, cfg.Shrink, cfg.ShrinkRuns = *workers, *shrink, *shrinkRuns
	// Exploration reads outcomes, not traces; replay prints the trace.
	cfg.World.NoTrace = true
	if cfg.ShrinkRuns == 0 {
		cfg.ShrinkRuns = -1
	}
	x := explore.New(p, cfg)
	sum := x.Explore(context.Background(), f.seed, *seeds, nil)
	var unshrunk []string
	for _, r := range sum.Failures {
		if r.Minimal == nil && r.Err == nil && len(unshrunk) < 50 {
			unshrunk = append(unshrunk, fmt.Sprintf("%d (%s)", r.Seed, r.Property()))
			continue
		}
		if r.Minimal != nil || r.Err != nil {
			io.WriteString(std.out, r.Report(f.replay()))
			io.WriteString(std.out, "\n")
		}
	}
	if n := len(sum.Failures); len(unshrunk) > 0 {
		more := ""
		if shown := countShown(sum); n > shown+len(unshrunk) {
			more = fmt.Sprintf(", and %d more", n-shown-len(unshrunk))
		}
		fmt.Fprintf(std.out, "other failing seeds: %s%s\n", strings.Join(unshrunk, ", "), more)
	}
	fmt.Fprintln(std.out, sum)
	if len(sum.Failures) > 0 {
		return 1
	}
	return 0
}

func countShown(sum *explore.Summary) int {
	n := 0
	for _, r := range sum.Failures {
		if r.Minimal != nil || r.Err != nil {
			n++
		}
	}
	return n
}

func simReplay(args []string, std stdio) int {
	var f simFlags
	fs := flag.NewFlagSet("sim replay", flag.ContinueOnError)
	fs.SetOutput(std.err)
	f.register(fs)
	minimal := fs.Bool("minimal", false, "replay the shrunk history of a failing seed")
	fs.Usage = func() {
		io.WriteString(std.err, simUsage+"\nflags:\n")
		fs.PrintDefaults()
	}
	p, code := f.load(fs, args, std)
	if p == nil {
		return code
	}
	ctx := context.Background()
	x := explore.New(p, f.config())
	r := x.Seed(ctx, f.seed)
	h := r.History
	if *minimal && r.Failed() {
		x.Shrink(ctx, r)
		if r.Minimal != nil {
			h = r.Minimal
		}
	}
	vs, _, w, err := x.Execute(ctx, h)
	io.WriteString(std.out, h.String())
	if w != nil {
		fmt.Fprintf(std.out, "trace:\n%s", w.Trace())
	}
	if err != nil {
		return fail(std, "sim", err)
	}
	if len(vs) == 0 {
		fmt.Fprintf(std.out, "seed %d passes every property\n", f.seed)
		return 0
	}
	fmt.Fprintf(std.out, "seed %d fails:\n", f.seed)
	for _, v := range vs {
		fmt.Fprintf(std.out, "  %s\n", v)
	}
	return 1
}

package explore

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator"
)

// Config configures exploration. The zero value works.
type Config struct {
	Gen GenConfig
	// World configures each seed's world; the seed is the history's.
	World simulator.Config
	// Workers is the number of seeds explored at once; default GOMAXPROCS.
	// Each world is independent and deterministic, so the results do not
	// depend on it.
	Workers int
	// ShrinkRuns bounds the executions spent shrinking one failure;
	// default 2000; negative: failures are not shrunk.
	ShrinkRuns int
	// Shrink is how many failures, the lowest seeds first, are shrunk;
	// default 3.
	Shrink int
	// NoRetry leaves the error queue alone at the end: convergence is then
	// only demanded of records that are not in the queue.
	NoRetry bool
}

func (c *Config) defaults() {
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.ShrinkRuns == 0 {
		c.ShrinkRuns = 2000
	}
	if c.Shrink <= 0 {
		c.Shrink = 3
	}
	if c.World.MaxRounds <= 0 {
		c.World.MaxRounds = DefaultMaxRounds
	}
}

// DefaultMaxRounds bounds the driver rounds of one run during
// exploration: far above what a 50-operation history needs (about 100 at
// most), far below the world's default, so that a seed that ping-pongs
// costs little.
const DefaultMaxRounds = 400

// Explorer runs seeds of one plan.
type Explorer struct {
	plan *plan.Plan
	md   *model
	cfg  Config
}

// New returns an explorer for plan p.
func New(p *plan.Plan, cfg Config) *Explorer {
	cfg.defaults()
	return &Explorer{plan: p, md: newModel(p), cfg: cfg}
}

// Result is one explored seed.
type Result struct {
	Seed    int64
	History *History
	// Violations are the properties that failed, by property.
	Violations []Violation
	// Err reports a history that could not be executed at all.
	Err error
	// Exemptions are the differences accepted for a documented reason
	// (TargetDrift), whether or not the seed failed.
	Exemptions []Exemption
	// Minimal is the shrunk history when the seed failed and was shrunk,
	// with its violations (Minimal fails the same property as History)
	// and the executions the shrinking took.
	Minimal           *History
	MinimalViolations []Violation
	ShrinkRuns        int
}

// Failed reports whether the seed failed.
func (r *Result) Failed() bool { return r.Err != nil || len(r.Violations) > 0 }

// Property returns the first failed property's name.
func (r *Result) Property() string {
	if r.Err != nil {
		return "execution"
	}
	if len(r.Violations) > 0 {
		return r.Violations[0].Property
	}
	return ""
}

// Generate returns the history of seed.
func (x *Explorer) Generate(seed int64) *History {
	return newGen(x.md, seed, x.cfg.Gen).run()
}

// Execute runs h in a new world and checks it.
func (x *Explorer) Execute(ctx context.Context, h *History) ([]Violation, *Outcome, *simulator.World, error) {
	o, w, err := Execute(ctx, x.plan, h, x.cfg.World, !x.cfg.NoRetry)
	if err != nil {
		return nil, nil, w, err
	}
	c := newCase(x.md, h, o)
	vs := c.Check()
	o.Exemptions = c.Exemptions()
	return vs, o, w, nil
}

// Seed generates, executes and checks the history of seed, without
// shrinking.
func (x *Explorer) Seed(ctx context.Context, seed int64) *Result {
	h := x.Generate(seed)
	r := &Result{Seed: seed, History: h}
	var o *Outcome
	r.Violations, o, _, r.Err = x.Execute(ctx, h)
	if o != nil {
		r.Exemptions = o.Exemptions
	}
	return r
}

// Shrink reduces a failed result's history to a minimal one that fails
// the same property, and sets Minimal.
func (x *Explorer) Shrink(ctx context.Context, r *Result) {
	if !r.Failed() || r.Err != nil || x.cfg.ShrinkRuns < 0 {
		return
	}
	prop := r.Property()
	fails := func(h *History) bool {
		vs, _, _, err := x.Execute(ctx, h)
		return err == nil && hasProperty(vs, prop)
	}
	r.Minimal, r.ShrinkRuns = Shrink(r.History, fails, x.cfg.ShrinkRuns)
	r.MinimalViolations, _, _, _ = x.Execute(ctx, r.Minimal)
}

func hasProperty(vs []Violation, prop string) bool {
	return slices.ContainsFunc(vs, func(v Violation) bool { return v.Property == prop })
}

// Summary is the outcome of exploring a range of seeds.
type Summary struct {
	First    int64
	Seeds    int
	Ops      int // operations of all histories
	Edits    int // user edits among them
	Workers  int
	Elapsed  time.Duration
	Failures []*Result // by seed; the first Config.Shrink of them shrunk
	// Exempted counts the accepted differences by exemption name
	// (TargetDrift), over every seed.
	Exempted map[string]int
}

// Explore runs seeds first .. first+n-1 on the explorer's workers,
// shrinks the lowest failing seeds, and summarises. progress, when set,
// is called with every result as it completes (from several goroutines,
// one at a time).
func (x *Explorer) Explore(ctx context.Context, first int64, n int, progress func(*Result)) *Summary {
	start := time.Now()
	sum := &Summary{First: first, Seeds: n, Workers: x.cfg.Workers}
	seeds := make(chan int64)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range x.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range seeds {
				r := x.Seed(ctx, s)
				mu.Lock()
				sum.Ops += len(r.History.Ops)
				sum.Edits += r.History.Edits()
				for _, e := range r.Exemptions {
					if sum.Exempted == nil {
						sum.Exempted = map[string]int{}
					}
					sum.Exempted[e.Name]++
				}
				if r.Failed() {
					sum.Failures = append(sum.Failures, r)
				}
				if progress != nil {
					progress(r)
				}
				mu.Unlock()
			}
		}()
	}
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		seeds <- first + int64(i)
	}
	close(seeds)
	wg.Wait()
	slices.SortFunc(sum.Failures, func(a, b *Result) int { return int(a.Seed - b.Seed) })
	shrink := sum.Failures[:min(len(sum.Failures), x.cfg.Shrink)]
	var sw sync.WaitGroup
	sem := make(chan struct{}, x.cfg.Workers)
	for _, r := range shrink {
		sw.Add(1)
		sem <- struct{}{}
		go func() {
			defer sw.Done()
			x.Shrink(ctx, r)
			<-sem
		}()
	}
	sw.Wait()
	sum.Elapsed = time.Since(start)
	return sum
}

// Report formats a failed result for people: the seed, the property that
// failed, the minimal history, and the command that replays it. command
// is the replay command without the seed ("dualsync sim explore --plan
// FILE").
func (r *Result) Report(command string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d FAILED %s\n", r.Seed, r.Property())
	if r.Err != nil {
		fmt.Fprintf(&b, "  the history could not be executed: %v\n", r.Err)
	}
	writeViolations(&b, r.Violations, 5)
	h := r.History
	vs := r.Violations
	if r.Minimal != nil {
		h, vs = r.Minimal, r.MinimalViolations
		fmt.Fprintf(&b, "minimal history: %d of %d operations (shrunk in %d runs), still failing %s:\n",
			len(h.Ops), len(r.History.Ops), r.ShrinkRuns, r.Property())
		var keep []Violation
		for _, v := range vs {
			if v.Property == r.Property() {
				keep = append(keep, v)
			}
		}
		writeViolations(&b, keep, 5)
	} else {
		b.WriteString("history (not shrunk):\n")
	}
	b.WriteString(h.String())
	fmt.Fprintf(&b, "replay: %s --seed %d\n", command, r.Seed)
	return b.String()
}

func writeViolations(b *strings.Builder, vs []Violation, max int) {
	for i, v := range vs {
		if i == max {
			fmt.Fprintf(b, "  ... and %d more\n", len(vs)-max)
			break
		}
		fmt.Fprintf(b, "  %s\n", v)
	}
}

// String formats the summary's totals in one line, with the exempted
// differences counted by name.
func (s *Summary) String() string {
	ex := ""
	names := make([]string, 0, len(s.Exempted))
	for n := range s.Exempted {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		ex += fmt.Sprintf(", %d exempted as %s", s.Exempted[n], n)
	}
	return fmt.Sprintf("explored seeds %d..%d: %d seeds, %d operations (%d user edits), %d failures%s, %s on %d workers (%.0f seeds/s)",
		s.First, s.First+int64(s.Seeds)-1, s.Seeds, s.Ops, s.Edits, len(s.Failures), ex, s.Elapsed.Round(time.Millisecond), s.Workers,
		float64(s.Seeds)/max(s.Elapsed.Seconds(), 1e-9))
}

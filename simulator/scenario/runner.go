package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/rogpeppe/go-internal/testscript"
)

// Options configure Run. The zero value works.
type Options struct {
	// Seed is the default seed of every script's world (a script's
	// 'world SEED' overrides it). Default 1.
	Seed int64
	// Run, when set, is a regular expression: only scripts whose name
	// (file name without .txtar) matches run.
	Run string
	// Verbose keeps the whole log of passing scripts too.
	Verbose bool
	// Replay returns the command that replays one script with a seed,
	// printed with each failure. Default: a dualsync test command line.
	Replay func(name string, seed int64) string
}

// Status is a script's outcome.
type Status string

// Outcomes.
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Report is the outcome of Run.
type Report struct {
	Dir        string
	Seed       int64
	PlanDigest string
	Results    []Result
	// Time is the wall-clock time both passes took.
	Time time.Duration
}

// Result is one script's outcome.
type Result struct {
	Name string
	File string
	// Seed is the seed the script's first world used.
	Seed   int64
	Status Status
	// Message says why the script failed (or was skipped): the failing
	// command's message, or where the two runs' traces part.
	Message string
	// Log is the script's log (for a passing script, only in verbose mode).
	Log string
	// Replay is the command that replays the script.
	Replay string
	// Time is the wall-clock time of the script's first run.
	Time time.Duration
}

// Failed returns the number of failed scripts.
func (r *Report) Failed() int {
	n := 0
	for _, x := range r.Results {
		if x.Status == Fail {
			n++
		}
	}
	return n
}

// Run runs every scenario script (*.txtar) in dir against plan p (the
// default plan of each script; a script may load another with 'plan'),
// twice: each script must pass both times and produce byte-identical
// traces. It returns an error only when the scripts cannot be run at all
// (no such directory, no scripts, a bad Options.Run).
func Run(dir string, p *plan.Plan, opts Options) (*Report, error) {
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.Replay == nil {
		opts.Replay = func(name string, seed int64) string {
			return fmt.Sprintf("dualsync test %s --run '^%s$' --seed %d", dir, regexp.QuoteMeta(name), seed)
		}
	}
	files, err := scripts(dir, opts.Run)
	if err != nil {
		return nil, err
	}
	rep := &Report{Dir: dir, Seed: opts.Seed}
	if p != nil {
		rep.PlanDigest = p.Digest
	}
	began := time.Now()
	first, err := runPass(files, p, opts)
	if err != nil {
		return nil, err
	}
	second, err := runPass(files, p, opts)
	if err != nil {
		return nil, err
	}
	rep.Time = time.Since(began)
	for _, f := range files {
		name := scriptName(f)
		a, b := first[name], second[name]
		res := Result{Name: name, File: f, Seed: opts.Seed, Status: Pass, Time: a.elapsed}
		if a.sess != nil {
			res.Seed = a.sess.firstSeed()
		}
		res.Replay = opts.Replay(name, opts.Seed)
		switch {
		case a.failed:
			res.Status, res.Message, res.Log = Fail, failMessage(a.log.String()), a.log.String()
		case a.skipped:
			res.Status, res.Message, res.Log = Skip, strings.TrimSpace(lastLine(a.log.String())), a.log.String()
		case b.failed:
			res.Status, res.Log = Fail, b.log.String()
			res.Message = "the script passed once and failed when replayed with the same seed: " + failMessage(b.log.String())
		default:
			ta, tb := a.trace(), b.trace()
			if msg := TraceDiff(ta, tb); msg != "" {
				res.Status, res.Message, res.Log = Fail, "two runs with the same seed differ: "+msg, a.log.String()
			} else if opts.Verbose {
				res.Log = a.log.String()
			}
		}
		rep.Results = append(rep.Results, res)
	}
	return rep, nil
}

// scripts lists dir's *.txtar files whose names match filter.
func scripts(dir, filter string) ([]string, error) {
	var re *regexp.Regexp
	if filter != "" {
		var err error
		if re, err = regexp.Compile(filter); err != nil {
			return nil, fmt.Errorf("run filter: %w", err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".txtar") {
			continue
		}
		f := filepath.Join(dir, e.Name())
		if re != nil && !re.MatchString(scriptName(f)) {
			continue
		}
		files = append(files, f)
	}
	slices.Sort(files)
	if len(files) == 0 {
		if re != nil {
			return nil, fmt.Errorf("no scenario script in %s matches %q", dir, filter)
		}
		return nil, fmt.Errorf("no scenario scripts (*.txtar) in %s", dir)
	}
	return files, nil
}

func scriptName(file string) string { return strings.TrimSuffix(filepath.Base(file), ".txtar") }

// runPass runs every script once and returns each one's outcome by name.
func runPass(files []string, p *plan.Plan, opts Options) (map[string]*scriptT, error) {
	root := &scriptT{verbose: opts.Verbose, children: map[string]*scriptT{}}
	err := root.guard(func() {
		testscript.RunT(root, testscript.Params{
			Files: files,
			Cmds:  commands(),
			Setup: func(env *testscript.Env) error {
				st, ok := env.T().(*scriptT)
				if !ok {
					return errors.New("scenario scripts run only through scenario.Run")
				}
				st.sess = newSession(p, opts.Seed)
				env.Values[sessionKey{}] = st.sess
				env.Setenv("SEED", fmt.Sprint(opts.Seed))
				return nil
			},
			RequireUniqueNames: true,
		})
	})
	if err != nil {
		return nil, err
	}
	if root.failed {
		return nil, fmt.Errorf("scenario run: %s", strings.TrimSpace(root.log.String()))
	}
	return root.children, nil
}

// failMessage picks the failure out of a script's log: from the FAIL line
// to the end.
func failMessage(log string) string {
	if i := strings.Index(log, "FAIL: "); i >= 0 {
		return strings.TrimSpace(log[i+len("FAIL: "):])
	}
	return strings.TrimSpace(lastLine(log))
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// TraceDiff compares two traces and describes the first line where they
// part, or returns "" when they are identical.
func TraceDiff(a, b []byte) string {
	if bytes.Equal(a, b) {
		return ""
	}
	lines := func(t []byte) []string {
		if len(t) == 0 {
			return nil
		}
		return strings.Split(strings.TrimSuffix(string(t), "\n"), "\n")
	}
	la, lb := lines(a), lines(b)
	for i := 0; ; i++ {
		var x, y string
		okx, oky := i < len(la), i < len(lb)
		if okx {
			x = la[i]
		}
		if oky {
			y = lb[i]
		}
		if okx && oky && x == y {
			continue
		}
		if !okx {
			x = "(end of trace)"
		}
		if !oky {
			y = "(end of trace)"
		}
		return fmt.Sprintf("trace line %d\n  first run:  %s\n  second run: %s", i+1, x, y)
	}
}

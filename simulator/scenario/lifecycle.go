package scenario

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/simulator"
	"github.com/rogpeppe/go-internal/testscript"
)

// run [idle]: run the engine until the system is quiet, moving the clock
// when only time can make progress (retries, park timeouts); with idle,
// only until nothing more happens without the clock moving (parked
// records stay parked). With '!', the run must fail to go quiet (an echo
// loop, a never-settling system).
func cmdRun(s *session, ts *testscript.TestScript, neg bool, args []string) error {
	idle := len(args) == 1 && args[0] == "idle"
	if len(args) > 1 || (len(args) == 1 && !idle) {
		return fmt.Errorf("usage: run [idle] (bound the rounds with 'world rounds=N')")
	}
	w, err := s.need()
	if err != nil {
		return err
	}
	if idle {
		err = w.RunIdle(s.ctx)
	} else {
		err = w.Run(s.ctx)
	}
	switch {
	case err != nil && !neg:
		return fmt.Errorf("run: %w", err)
	case err == nil && neg:
		return fmt.Errorf("run went quiet, want it not to")
	case err != nil && !errors.Is(err, simulator.ErrNotQuiet):
		return fmt.Errorf("run failed, but not by running out of rounds: %w", err)
	case err != nil:
		ts.Logf("not quiet, as expected: %v", err)
	}
	if w.Down() {
		ts.Logf("crashed at the armed point; restart to continue")
	}
	return nil
}

// step [N]: run N single driver rounds (default 1) without moving the
// clock, so that edits can land between them.
func cmdStep(s *session, ts *testscript.TestScript, neg bool, args []string) error {
	if err := noNeg("step", neg); err != nil {
		return err
	}
	n := 1
	if len(args) > 1 {
		return fmt.Errorf("usage: step [N]")
	}
	if len(args) == 1 {
		var err error
		if n, err = strconv.Atoi(args[0]); err != nil || n < 1 {
			return fmt.Errorf("step %s: want a positive number", args[0])
		}
	}
	w, err := s.need()
	if err != nil {
		return err
	}
	for range n {
		if w.Down() {
			break
		}
		if _, err := w.Step(s.ctx); err != nil {
			return fmt.Errorf("step: %w", err)
		}
	}
	return nil
}

// parked [map=M] [key=K] [count=N]: N records (default: at least one)
// wait for lookups, as persisted.
func cmdParked(s *session, ts *testscript.TestScript, neg bool, args []string) error {
	if err := noNeg("parked", neg); err != nil {
		return err
	}
	o, err := keyValues(args, "map", "key", "count")
	if err != nil {
		return err
	}
	c, err := countOption(o)
	if err != nil {
		return err
	}
	w, err := s.need()
	if err != nil {
		return err
	}
	n := 0
	var all []string
	for _, d := range w.Parked() {
		all = append(all, d.Map+" "+d.Key)
		if match(o, "map", d.Map) && match(o, "key", d.Key) {
			n++
		}
	}
	if !c.ok(n) {
		list := "nothing is parked"
		if len(all) > 0 {
			list = "parked: " + strings.Join(all, ", ")
		}
		return fmt.Errorf("%d parked records match, want %s\n%s", n, c, list)
	}
	return nil
}

// crash [before-save|after-save|after-apply] [n=N]: without a point, the
// engine dies now; with one, at the N-th time (default the next) the
// driver reaches that point in a later run or step.
func cmdCrash(s *session, ts *testscript.TestScript, neg bool, args []string) error {
	if err := noNeg("crash", neg); err != nil {
		return err
	}
	w, err := s.need()
	if err != nil {
		return err
	}
	if len(args) == 0 {
		w.Crash()
		return nil
	}
	p, err := simulator.ParseCrashPoint(args[0])
	if err != nil {
		return err
	}
	o, err := keyValues(args[1:], "n")
	if err != nil {
		return err
	}
	n := 1
	if v, ok := o["n"]; ok {
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			return fmt.Errorf("n=%s: want a positive number", v)
		}
	}
	w.CrashAt(p, n)
	return nil
}

// restart: a new driver and engine from the persisted state.
func cmdRestart(s *session, ts *testscript.TestScript, neg bool, args []string) error {
	if err := noNeg("restart", neg); err != nil {
		return err
	}
	if len(args) != 0 {
		return fmt.Errorf("usage: restart")
	}
	w, err := s.need()
	if err != nil {
		return err
	}
	return w.Restart()
}

// queue retry|discard [map=M] [key=K] [side=S] [class=C]: a person
// retries or discards the matching error-queue entries (at least one must
// match).
func cmdQueue(s *session, ts *testscript.TestScript, neg bool, args []string) error {
	if err := noNeg("queue", neg); err != nil {
		return err
	}
	if len(args) < 1 || (args[0] != "retry" && args[0] != "discard") {
		return fmt.Errorf("usage: queue retry|discard [map=M] [key=K] [side=S] [class=C]")
	}
	o, err := keyValues(args[1:], "map", "key", "side", "class", "field")
	if err != nil {
		return err
	}
	w, err := s.need()
	if err != nil {
		return err
	}
	var ids []string
	for _, e := range w.Errors() {
		if errorMatches(e, o) {
			ids = append(ids, e.ID)
		}
	}
	if len(ids) == 0 {
		return fmt.Errorf("queue %s: no error-queue entry matches %s\n%s", args[0], strings.Join(args[1:], " "), queueText(w.Errors()))
	}
	for _, id := range ids {
		if args[0] == "retry" {
			err = w.RetryError(id)
		} else {
			err = w.DiscardError(id)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func errorMatches(e engine.ErrorEntry, o map[string]string) bool {
	return match(o, "map", e.Map) && match(o, "key", e.Key) && match(o, "side", string(e.Side)) &&
		match(o, "class", string(e.Class)) && match(o, "field", e.Field)
}

// match reports whether option k is unset or equals v.
func match(o map[string]string, k, v string) bool {
	want, ok := o[k]
	return !ok || want == v
}

func queueText(es []engine.ErrorEntry) string {
	if len(es) == 0 {
		return "the error queue is empty"
	}
	var b strings.Builder
	b.WriteString("the error queue:")
	for _, e := range es {
		fmt.Fprintf(&b, "\n  %s %s %s %s class=%s", e.ID, e.Side, e.Map, e.Key, e.Class)
		if e.Field != "" {
			fmt.Fprintf(&b, " field=%s", e.Field)
		}
		fmt.Fprintf(&b, " attempts=%d: %s", e.Attempts, e.Message)
	}
	return b.String()
}

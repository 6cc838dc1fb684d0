package scenario

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator"
	"github.com/dualsync/dualsync/simulator/fake"
	"github.com/rogpeppe/go-internal/testscript"
)

// expect SIDE MAP KEY [Field=Value...]: the record exists on the side
// with those values. With '!': it is missing, or some value differs.
func cmdExpect(s *session, ts *testscript.TestScript, neg bool, args []string) error {
	w, sd, m, key, err := s.record(args)
	if err != nil {
		return fmt.Errorf("usage: expect fo|dv MAP KEY [Field=Value...]: %w", err)
	}
	as, err := parseAssignments(m, sd, args[3:])
	if err != nil {
		return err
	}
	row, ok := w.Get(sd, m.Name, key)
	var diffs []string
	if ok {
		for _, a := range as {
			got := row.Values[a.field]
			if !sameValue(a.value, got) {
				diffs = append(diffs, fmt.Sprintf("%s is %s, want %s", a.field, got, a.value))
			}
		}
	}
	switch {
	case neg && (!ok || len(diffs) > 0):
		return nil
	case neg:
		return fmt.Errorf("%s %s %s matches, want it not to: %s", sd, m.Name, key, rowText(row))
	case !ok:
		return fmt.Errorf("%s %s %s: no such record\n%s", sd, m.Name, key, rowsText(w, sd, m.Name))
	case len(diffs) > 0:
		return fmt.Errorf("%s %s %s: %s\nthe record: %s", sd, m.Name, key, strings.Join(diffs, "; "), rowText(row))
	}
	return nil
}

// expect-missing SIDE MAP KEY: the side has no such record.
func cmdExpectMissing(s *session, ts *testscript.TestScript, neg bool, args []string) error {
	if err := noNeg("expect-missing", neg); err != nil {
		return err
	}
	w, sd, m, key, err := s.record(args)
	if err != nil || len(args) != 3 {
		return fmt.Errorf("usage: expect-missing fo|dv MAP KEY")
	}
	if row, ok := w.Get(sd, m.Name, key); ok {
		return fmt.Errorf("%s %s %s exists, want it missing: %s", sd, m.Name, key, rowText(row))
	}
	return nil
}

// countOption parses count=N (default >=1, "at least one").
func countOption(o map[string]string) (count, error) {
	v, ok := o["count"]
	if !ok {
		return count{op: ">=", n: 1}, nil
	}
	return parseCount(v)
}

// errors [map=M] [key=K] [side=S] [class=C] [field=F] [count=N]: the
// persisted error queue holds N matching entries (default: at least one).
func cmdErrors(s *session, ts *testscript.TestScript, neg bool, args []string) error {
	if err := noNeg("errors", neg); err != nil {
		return err
	}
	o, err := keyValues(args, "map", "key", "side", "class", "field", "count")
	if err != nil {
		return err
	}
	c, err := countOption(o)
	if err != nil {
		return err
	}
	if v, ok := o["class"]; ok && !slices.Contains(classes, engine.Class(v)) {
		return fmt.Errorf("class=%s: want one of %s", v, classList())
	}
	w, err := s.need()
	if err != nil {
		return err
	}
	n := 0
	for _, e := range w.Errors() {
		if errorMatches(e, o) {
			n++
		}
	}
	if !c.ok(n) {
		return fmt.Errorf("%d error-queue entries match, want %s\n%s", n, c, queueText(w.Errors()))
	}
	return nil
}

var classes = []engine.Class{engine.VersionMismatch, engine.Throttled, engine.Transient, engine.Plugin,
	engine.Validation, engine.MissingMapping, engine.InvalidValue, engine.Dependency, engine.DeleteReview,
	engine.Malformed}

func classList() string {
	s := make([]string, len(classes))
	for i, c := range classes {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}

// conflicts [map=M] [key=K] [field=F] [winner=fo|dv] [rule=R] [count=N]:
// the conflict log holds N matching entries (default: at least one). The
// field may be named by either side's name.
func cmdConflicts(s *session, ts *testscript.TestScript, neg bool, args []string) error {
	if err := noNeg("conflicts", neg); err != nil {
		return err
	}
	o, err := keyValues(args, "map", "key", "field", "winner", "rule", "count")
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
	all := w.Conflicts()
	for _, cf := range all {
		fieldOK := match(o, "field", cf.Field) || match(o, "field", cf.DVField)
		if match(o, "map", cf.Map) && match(o, "key", cf.Key) && fieldOK &&
			match(o, "winner", string(cf.Winner)) && match(o, "rule", string(cf.Rule)) {
			n++
		}
	}
	if !c.ok(n) {
		var b strings.Builder
		fmt.Fprintf(&b, "%d conflicts match, want %s", n, c)
		if len(all) == 0 {
			b.WriteString("\nthe conflict log is empty")
		} else {
			b.WriteString("\nthe conflict log:")
		}
		for _, cf := range all {
			fmt.Fprintf(&b, "\n  %s %s %s fo=%s dv=%s winner=%s rule=%s", cf.Map, cf.Key, cf.Field, cf.FO, cf.DV, cf.Winner, cf.Rule)
		}
		return fmt.Errorf("%s", b.String())
	}
	return nil
}

// accounting [observed=N] [applied=N] ...: the current engine's
// accounting balances (every observed change ended exactly one way), and
// the named totals are as given.
func cmdAccounting(s *session, ts *testscript.TestScript, neg bool, args []string) error {
	if err := noNeg("accounting", neg); err != nil {
		return err
	}
	w, err := s.need()
	if err != nil {
		return err
	}
	a := w.Accounting()
	totals := map[string]int64{
		"observed": a.Observed, "applied": a.Applied, "suppressed": a.Suppressed, "queued": a.Queued,
		"parked": a.Parked, "in-flight": a.InFlight, "echo": a.Echo, "unchanged": a.Unchanged,
		"stale": a.Stale, "tombstone": a.Tombstone, "writes": a.Writes, "retries": a.Retries,
		"rereads": a.Rereads, "conflicts": a.Conflicts,
	}
	names := make([]string, 0, len(totals))
	for k := range totals {
		names = append(names, k)
	}
	slices.Sort(names)
	o, err := keyValues(args, names...)
	if err != nil {
		return err
	}
	if err := a.Check(); err != nil {
		return fmt.Errorf("%w\n%s", err, acctText(a))
	}
	var bad []string
	for _, k := range names {
		v, ok := o[k]
		if !ok {
			continue
		}
		c, err := parseCount(v)
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		if !c.ok(int(totals[k])) {
			bad = append(bad, fmt.Sprintf("%s is %d, want %s", k, totals[k], c))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("accounting: %s\n%s", strings.Join(bad, "; "), acctText(a))
	}
	return nil
}

func acctText(a engine.Accounting) string {
	return fmt.Sprintf("observed=%d applied=%d suppressed=%d (echo=%d unchanged=%d stale=%d tombstone=%d) queued=%d parked=%d in-flight=%d writes=%d retries=%d rereads=%d conflicts=%d",
		a.Observed, a.Applied, a.Suppressed, a.Echo, a.Unchanged, a.Stale, a.Tombstone, a.Queued, a.Parked, a.InFlight,
		a.Writes, a.Retries, a.Rereads, a.Conflicts)
}

// writes [side=S] [map=M] [key=K] [op=upsert|delete] [pass=N] [count=N] [sent=N]:
// the engine's writes so far (across restarts): count is the writes the
// target applied, sent every write sent (retries and failures included).
func cmdWrites(s *session, ts *testscript.TestScript, neg bool, args []string) error {
	if err := noNeg("writes", neg); err != nil {
		return err
	}
	o, err := keyValues(args, "side", "map", "key", "op", "pass", "count", "sent")
	if err != nil {
		return err
	}
	_, hasCount := o["count"]
	_, hasSent := o["sent"]
	if !hasCount && !hasSent {
		return fmt.Errorf("usage: writes [side=S] [map=M] [key=K] [op=upsert|delete] [pass=N] count=N|sent=N")
	}
	w, err := s.need()
	if err != nil {
		return err
	}
	acked, sent := 0, 0
	var lines []string
	for _, l := range w.Writes() {
		if !(match(o, "side", string(l.Side)) && match(o, "map", l.Map) && match(o, "key", l.Key) &&
			match(o, "op", string(l.Op)) && match(o, "pass", strconv.Itoa(l.Pass))) {
			continue
		}
		sent++
		res := "acked"
		if l.Acked {
			acked++
		} else {
			res = "failed " + string(l.Class)
		}
		lines = append(lines, fmt.Sprintf("  %s %s %s %s %s %s", l.ID, l.Side, l.Map, l.Op, l.Key, res))
	}
	list := "no matching writes"
	if len(lines) > 0 {
		list = "matching writes:\n" + strings.Join(lines, "\n")
	}
	for _, k := range []string{"count", "sent"} {
		v, ok := o[k]
		if !ok {
			continue
		}
		c, err := parseCount(v)
		if err != nil {
			return err
		}
		got := acked
		if k == "sent" {
			got = sent
		}
		if !c.ok(got) {
			what := "applied"
			if k == "sent" {
				what = "sent"
			}
			return fmt.Errorf("%d matching writes %s, want %s\n%s", got, what, c, list)
		}
	}
	return nil
}

// trace FILE: write the trace so far to FILE (relative to $WORK's current
// directory), for cmp.
func cmdTrace(s *session, ts *testscript.TestScript, neg bool, args []string) error {
	if err := noNeg("trace", neg); err != nil {
		return err
	}
	if len(args) != 1 {
		return fmt.Errorf("usage: trace FILE")
	}
	if _, err := s.need(); err != nil {
		return err
	}
	return os.WriteFile(ts.MkAbs(args[0]), s.trace(), 0o666)
}

// dump [SIDE MAP]: print records (all maps of both sides by default), the
// error queue and the conflict log to stdout, for stdout checks and for
// looking around.
func cmdDump(s *session, ts *testscript.TestScript, neg bool, args []string) error {
	if err := noNeg("dump", neg); err != nil {
		return err
	}
	w, err := s.need()
	if err != nil {
		return err
	}
	out := ts.Stdout()
	switch len(args) {
	case 0:
		for _, m := range w.Plan().Maps {
			for _, sd := range []string{"fo", "dv"} {
				side, _ := parseSide(sd)
				for _, r := range w.Rows(side, m.Name) {
					fmt.Fprintf(out, "%s %s %s\n", sd, m.Name, rowText(r))
				}
			}
		}
		fmt.Fprintln(out, queueText(w.Errors()))
		for _, c := range w.Conflicts() {
			fmt.Fprintf(out, "conflict %s %s %s fo=%s dv=%s winner=%s rule=%s\n", c.Map, c.Key, c.Field, c.FO, c.DV, c.Winner, c.Rule)
		}
	case 2:
		sd, err := parseSide(args[0])
		if err != nil {
			return err
		}
		if w.Plan().MapByName(args[1]) == nil {
			return fmt.Errorf("no map %q in the plan", args[1])
		}
		for _, r := range w.Rows(sd, args[1]) {
			fmt.Fprintf(out, "%s\n", rowText(r))
		}
	default:
		return fmt.Errorf("usage: dump [fo|dv MAP]")
	}
	return nil
}

func rowText(r fake.Row) string {
	names := make([]string, 0, len(r.Values))
	for n := range r.Values {
		names = append(names, n)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + "=" + r.Values[n].String()
	}
	return fmt.Sprintf("%s %s {%s}", r.Key, r.ETag, strings.Join(parts, ", "))
}

// rowsText lists the keys of map m's records on side sd.
func rowsText(w *simulator.World, sd plan.Side, m string) string {
	rows := w.Rows(sd, m)
	if len(rows) == 0 {
		return fmt.Sprintf("%s has no %s records", sd, m)
	}
	keys := make([]string, len(rows))
	for i, r := range rows {
		keys[i] = r.Key
	}
	return fmt.Sprintf("%s %s records: %s", sd, m, strings.Join(keys, ", "))
}

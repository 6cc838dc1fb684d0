package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/store"
	"github.com/dualsync/dualsync/runtime/store/sqlite"
)

const errorsUsage = `usage: dualsync errors list    --store FILE [--map M] [--class C] [--state S] [--limit N] [--format text|json]
       dualsync errors show    --store FILE [--format text|json] ID
       dualsync errors retry   --store FILE [--format text|json] ID
       dualsync errors discard --store FILE [--format text|json] ID

list prints the error queue in the order entries entered it: by default the
open entries (queued, and those with a retry or discard requested). --state
selects others: open, closed, all, or a comma-separated list of queued,
retry, discard, resolved, retried, discarded.

show prints one entry in full: the plan position of the field or map, the
target's answer, and the source values as they were observed.

retry and discard record a person's decision; the runtime carries it out on
its next loop or start. retry sends the change again (a delete under review
is propagated); discard accepts the difference, so the change is not sent
again (a delete under review keeps the other side's record). Either way the
entry leaves the queue and stays in the store as an audit row.

The store file must exist; nothing is created. list and show open it
read-only.

Exit status: 0 ok, 1 error, 2 usage.
`

// errorClasses are the classes --class accepts.
var errorClasses = []engine.Class{
	engine.VersionMismatch, engine.Throttled, engine.Transient, engine.Plugin, engine.Validation,
	engine.MissingMapping, engine.InvalidValue, engine.Dependency, engine.DeleteReview, engine.Malformed,
}

// cmdErrors inspects the error queue of a store and records decisions on
// its entries.
func cmdErrors(args []string, std stdio) int {
	const name = "errors"
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(std.err, "dualsync %s: %s\n", name, fmt.Sprintf(format, a...))
		io.WriteString(std.err, errorsUsage)
		return 2
	}
	if len(args) == 0 {
		return usageErr("give a subcommand: list, show, retry or discard")
	}
	sub := args[0]
	switch sub {
	case "-h", "--help", "help":
		io.WriteString(std.out, errorsUsage)
		return 0
	case "list", "show", "retry", "discard":
	default:
		return usageErr("unknown subcommand %q", sub)
	}

	fset := flag.NewFlagSet(name+" "+sub, flag.ContinueOnError)
	fset.SetOutput(std.err)
	storePath := fset.String("store", "", "the store `FILE`")
	format := fset.String("format", "text", "output `format`: text or json")
	var f store.ErrorFilter
	var class, states string
	if sub == "list" {
		fset.StringVar(&f.Map, "map", "", "only entries of the map `M`")
		fset.StringVar(&class, "class", "", "only entries of the error class `C`")
		fset.StringVar(&states, "state", "open", "entries in the states `S`")
		fset.IntVar(&f.Limit, "limit", 0, "at most `N` entries (0: all)")
	}
	setUsage(fset, std.err, errorsUsage+"\nflags of errors "+sub+":\n")
	pos, code, ok := parseCommand(fset, args[1:])
	if !ok {
		return code
	}
	switch {
	case *storePath == "":
		return usageErr("give the store file with --store")
	case *format != "text" && *format != "json":
		return usageErr("unknown format %q (want text or json)", *format)
	case sub == "list" && len(pos) > 0:
		return usageErr("unexpected argument %q", pos[0])
	case sub != "list" && len(pos) == 0:
		return usageErr("give the ID of the entry to %s", sub)
	case sub != "list" && len(pos) > 1:
		return usageErr("unexpected argument %q", pos[1])
	case f.Limit < 0:
		return usageErr("--limit must not be negative")
	}
	if class != "" {
		f.Class = engine.Class(class)
		if !slices.Contains(errorClasses, f.Class) {
			return usageErr("unknown class %q (want one of %s)", class, joinClasses())
		}
	}
	if sub == "list" {
		var err error
		if f.States, err = parseStates(states); err != nil {
			return usageErr("%v", err)
		}
	}

	st, err := sqlite.Open(*storePath, store.Config{ReadOnly: sub == "list" || sub == "show"})
	if err != nil {
		return fail(std, name, err)
	}
	defer st.Close()
	ctx := context.Background()
	var out any
	switch sub {
	case "list":
		var rs []store.ErrorRecord
		if rs, err = st.ListErrors(ctx, f); err == nil {
			out = rs
			if *format == "text" {
				err = writeErrorTable(std.out, rs)
			}
		}
	case "show":
		var r store.ErrorRecord
		if r, err = st.GetError(ctx, pos[0]); err == nil {
			out = r
			if *format == "text" {
				err = writeErrorDetail(std.out, r)
			}
		}
	case "retry", "discard":
		var r store.ErrorRecord
		if sub == "retry" {
			r, err = st.RetryError(ctx, pos[0])
		} else {
			r, err = st.DiscardError(ctx, pos[0])
		}
		if err == nil {
			out = r
			if *format == "text" {
				err = writeRequested(std.out, r)
			}
		}
	}
	if err == nil && *format == "json" {
		enc := json.NewEncoder(std.out)
		enc.SetIndent("", "  ")
		err = enc.Encode(out)
	}
	if err == nil {
		err = st.Close()
	}
	if err != nil {
		return fail(std, name, err)
	}
	return 0
}

func joinClasses() string {
	var names []string
	for _, c := range errorClasses {
		names = append(names, string(c))
	}
	return strings.Join(names, ", ")
}

// parseStates reads --state: open, closed, all, or a list of states.
func parseStates(s string) ([]store.Status, error) {
	switch s {
	case "open":
		return store.OpenStatuses(), nil
	case "closed":
		return store.ClosedStatuses(), nil
	case "all":
		return store.AllStatuses(), nil
	}
	var out []store.Status
	for _, name := range strings.Split(s, ",") {
		st := store.Status(strings.TrimSpace(name))
		if !st.Valid() {
			return nil, fmt.Errorf("unknown state %q (want open, closed, all, or some of queued, retry, discard, resolved, retried, discarded)", name)
		}
		out = append(out, st)
	}
	return out, nil
}

// timeText formats a time for the tables: UTC, to the second; "-" when
// unknown.
func timeText(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// oneLine truncates s to n runes on one line.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-3]) + "..."
	}
	return s
}

func writeErrorTable(w io.Writer, rs []store.ErrorRecord) error {
	if len(rs) == 0 {
		_, err := io.WriteString(w, "no errors\n")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tMAP\tKEY\tCLASS\tSIDE\tSTATE\tATTEMPTS\tFIRST SEEN\tLAST SEEN\tMESSAGE")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n",
			r.ID, r.Map, oneLine(r.Key, 40), r.Class, r.Side, r.State, r.Attempts,
			timeText(r.First), timeText(r.Last), oneLine(r.Message, 60))
	}
	return tw.Flush()
}

func writeErrorDetail(w io.Writer, r store.ErrorRecord) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", k, v)
		}
	}
	line("id", r.ID)
	line("state", string(r.State))
	line("map", r.Map)
	line("key", r.Key)
	line("class", string(r.Class))
	line("target", string(r.Side))
	line("source", string(r.Source))
	if r.Status != 0 || r.Code != "" {
		line("answer", strings.TrimSpace(fmt.Sprintf("%s %s", statusText(r.Status), r.Code)))
	}
	line("field", r.Field)
	line("position", r.Pos.String())
	line("fields", strings.Join(r.Fields, ", "))
	line("attempts", fmt.Sprint(r.Attempts))
	line("first seen", timeText(r.First))
	line("last seen", timeText(r.Last))
	if !r.Requested.IsZero() {
		line("requested", timeText(r.Requested))
	}
	if !r.Closed.IsZero() {
		line("closed", timeText(r.Closed))
	}
	line("message", r.Message)
	if err := tw.Flush(); err != nil {
		return err
	}
	src := string(r.Source)
	if src == "" {
		src = "the source"
	}
	switch {
	case r.Raw != "":
		fmt.Fprintf(w, "\npayload (%s, as sent):\n  %s\n", src, r.Raw)
	case len(r.Values) == 0:
		fmt.Fprintf(w, "\npayload: none recorded\n")
	default:
		fmt.Fprintf(w, "\npayload (%s, as observed):\n", src)
		for _, fv := range r.Values {
			raw, err := fv.Value.MarshalJSON()
			if err != nil {
				return err
			}
			fmt.Fprintf(tw, "  %s\t%s\n", fv.Field, raw)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(r.History) > 0 {
		fmt.Fprintf(w, "\nhistory:\n")
		for _, e := range r.History {
			fmt.Fprintf(tw, "  %s\t%s\n", timeText(e.At), e.State)
		}
		return tw.Flush()
	}
	return nil
}

func statusText(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

func writeRequested(w io.Writer, r store.ErrorRecord) error {
	var err error
	switch r.State {
	case store.RetryRequested:
		_, err = fmt.Fprintf(w, "%s: retry requested; the runtime sends the change again on its next loop\n", r.ID)
	case store.DiscardRequested:
		_, err = fmt.Fprintf(w, "%s: discard requested; the runtime drops the change on its next loop and keeps the entry as an audit row\n", r.ID)
	}
	return err
}

package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	msqlite "modernc.org/sqlite"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/runtime/store"
	"github.com/dualsync/dualsync/runtime/store/sqlite"
)

// storeClock is the time the test stores record their own events at.
var storeClock = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// queueStore writes a store with four error entries: e1, e2 and e3 open,
// e4 resolved.
func queueStore(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "dualsync.db")
	s, err := sqlite.Open(path, store.Config{Create: true, Now: func() time.Time { return storeClock }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d, _ := engine.Decimal("250000.00")
	first := time.Date(2025, 5, 31, 8, 15, 0, 0, time.UTC)
	b := store.Batch{Errors: []engine.ErrorEntry{
		{
			ID: "e1", Map: "customer", Key: "USMF|US-001", Side: plan.DV, Class: engine.Validation,
			Status: 400, Code: "0x80044331", Message: "validation: A validation error occurred. The value 250000 of 'creditlimit' on record of type 'account' is outside the valid range.",
			Field: "creditlimit", Pos: plan.Pos{File: "maps/customer.cue", Line: 42, Col: 3},
			Fields: []string{"creditlimit"}, Source: plan.FO,
			Values: []engine.FieldValue{
				{Field: "CustomerAccount", Value: engine.String("US-001")},
				{Field: "CreditLimit", Value: d},
				{Field: "OnHold", Value: engine.Bool(false)},
				{Field: "Note", Value: engine.Null()},
			},
			Attempts: 1, First: first, Last: first,
		},
		{
			ID: "e2", Map: "contact", Key: "C-7", Side: plan.FO, Class: engine.Dependency,
			Message: "dependency: waited 10m0s for customer USMF|US-404 to exist on fo",
			Pos:     plan.Pos{File: "maps/contact.cue", Line: 9, Col: 2}, Source: plan.DV,
			Attempts: 1, First: first.Add(time.Minute), Last: first.Add(time.Minute),
		},
		{
			ID: "e3", Map: "customer", Key: "USMF|US-002", Side: plan.DV, Class: engine.Plugin,
			Status: 500, Message: "plugin: gave up after 5 attempts: account plug-in threw", Source: plan.FO,
			Attempts: 5, First: first.Add(2 * time.Minute), Last: first.Add(7 * time.Minute),
		},
		{
			ID: "e4", Map: "customer", Key: "USMF|US-003", Side: plan.DV, Class: engine.Transient,
			Message: "transient: gave up after 5 attempts: 503", Source: plan.FO,
			Attempts: 5, First: first, Last: first,
		},
	}}
	if err := s.Apply(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(context.Background(), store.Batch{Resolved: []string{"e4"}}); err != nil {
		t.Fatal(err)
	}
	return path
}

func runErrors(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = cmdErrors(args, stdio{in: strings.NewReader(""), out: &out, err: &errb})
	return code, out.String(), errb.String()
}

func TestErrorsList(t *testing.T) {
	path := queueStore(t)
	code, out, errOut := runErrors(t, "list", "--store", path)
	if code != 0 || errOut != "" {
		t.Fatalf("list: exit %d, stderr %q", code, errOut)
	}
	want := `ID  MAP       KEY          CLASS       SIDE  STATE   ATTEMPTS  FIRST SEEN            LAST SEEN             MESSAGE
e1  customer  USMF|US-001  validation  dv    queued  1         2025-05-31T08:15:00Z  2025-05-31T08:15:00Z  validation: A validation error occurred. The value 250000...
e2  contact   C-7          dependency  fo    queued  1         2025-05-31T08:16:00Z  2025-05-31T08:16:00Z  dependency: waited 10m0s for customer USMF|US-404 to exis...
e3  customer  USMF|US-002  plugin      dv    queued  5         2025-05-31T08:17:00Z  2025-05-31T08:22:00Z  plugin: gave up after 5 attempts: account plug-in threw
`
	if out != want {
		t.Errorf("list printed\n%s\nwant\n%s", out, want)
	}

	for _, tc := range []struct {
		args []string
		ids  []string
	}{
		{[]string{"--map", "customer"}, []string{"e1", "e3"}},
		{[]string{"--class", "dependency"}, []string{"e2"}},
		{[]string{"--map", "customer", "--class", "plugin"}, []string{"e3"}},
		{[]string{"--state", "closed"}, []string{"e4"}},
		{[]string{"--state", "all"}, []string{"e1", "e2", "e3", "e4"}},
		{[]string{"--state", "resolved,queued"}, []string{"e1", "e2", "e3", "e4"}},
		{[]string{"--limit", "2"}, []string{"e1", "e2"}},
		{[]string{"--map", "vendor"}, []string{}},
	} {
		args := append([]string{"list", "--store", path, "--format", "json"}, tc.args...)
		code, out, errOut := runErrors(t, args...)
		if code != 0 {
			t.Errorf("%v: exit %d, stderr %q", tc.args, code, errOut)
			continue
		}
		var got []store.ErrorRecord
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Errorf("%v: output is not a JSON list of entries: %v\n%s", tc.args, err, out)
			continue
		}
		ids := []string{}
		for _, r := range got {
			ids = append(ids, r.ID)
		}
		if strings.Join(ids, ",") != strings.Join(tc.ids, ",") {
			t.Errorf("%v: listed %v; want %v", tc.args, ids, tc.ids)
		}
	}

	// Flags may follow the subcommand's arguments, and an empty selection
	// says so.
	code, out, _ = runErrors(t, "list", "--map", "vendor", "--store", path)
	if code != 0 || out != "no errors\n" {
		t.Errorf("list of nothing: exit %d, %q; want \"no errors\"", code, out)
	}
}

func TestErrorsShow(t *testing.T) {
	path := queueStore(t)
	code, out, errOut := runErrors(t, "show", "--store", path, "e1")
	if code != 0 || errOut != "" {
		t.Fatalf("show: exit %d, stderr %q", code, errOut)
	}
	want := `id          e1
state       queued
map         customer
key         USMF|US-001
class       validation
target      dv
source      fo
answer      400 0x80044331
field       creditlimit
position    maps/customer.cue:42:3
fields      creditlimit
attempts    1
first seen  2025-05-31T08:15:00Z
last seen   2025-05-31T08:15:00Z
message     validation: A validation error occurred. The value 250000 of 'creditlimit' on record of type 'account' is outside the valid range.

payload (fo, as observed):
  CustomerAccount  {"str":"US-001"}
  CreditLimit      {"dec":"250000"}
  OnHold           {"bool":false}
  Note             null

history:
  2025-06-01T12:00:00Z  queued
`
	if out != want {
		t.Errorf("show printed\n%s\nwant\n%s", out, want)
	}

	code, out, _ = runErrors(t, "show", "e2", "--store", path, "--format", "json")
	var r store.ErrorRecord
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil {
		t.Fatalf("show --format json: exit %d\n%s", code, out)
	}
	if r.ID != "e2" || r.Pos != (plan.Pos{File: "maps/contact.cue", Line: 9, Col: 2}) || r.State != store.Queued || len(r.History) != 1 {
		t.Errorf("show --format json: %+v", r)
	}

	code, _, errOut = runErrors(t, "show", "--store", path, "e9")
	if code != 1 || errOut != "dualsync errors: no such error-queue entry \"e9\"\n" {
		t.Errorf("show of an unknown entry: exit %d, stderr %q", code, errOut)
	}
}

func TestErrorsRetryDiscard(t *testing.T) {
	path := queueStore(t)
	code, out, errOut := runErrors(t, "retry", "--store", path, "e1")
	if code != 0 || out != "e1: retry requested; the runtime sends the change again on its next loop\n" || errOut != "" {
		t.Errorf("retry: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// Asking again is fine; changing one's mind before the runtime acted is not.
	if code, _, errOut := runErrors(t, "retry", "--store", path, "e1"); code != 0 {
		t.Errorf("second retry: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runErrors(t, "discard", "--store", path, "e1")
	if code != 1 || !strings.Contains(errOut, "pending request: e1 awaits a retry") {
		t.Errorf("discard with a retry pending: exit %d, stderr %q", code, errOut)
	}

	code, out, _ = runErrors(t, "discard", "e2", "--store", path, "--format", "json")
	var r store.ErrorRecord
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil || r.State != store.DiscardRequested || r.Requested.IsZero() {
		t.Errorf("discard --format json: exit %d\n%s", code, out)
	}

	// Closed entries are kept for the audit only.
	code, _, errOut = runErrors(t, "retry", "--store", path, "e4")
	if code != 1 || errOut != "dualsync errors: error-queue entry is closed: e4 was resolved\n" {
		t.Errorf("retry of a resolved entry: exit %d, stderr %q", code, errOut)
	}

	code, out, _ = runErrors(t, "list", "--store", path)
	for _, want := range []string{"\ne1  customer  USMF|US-001  validation  dv    retry ", "\ne2  contact   C-7          dependency  fo    discard "} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("list after requests lacks %q:\n%s", want, out)
		}
	}
	_, out, _ = runErrors(t, "show", "--store", path, "e1")
	if !regexp.MustCompile(`\nrequested   \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n`).MatchString(out) || !regexp.MustCompile(`\n  \S+  retry\n`).MatchString(out) {
		t.Errorf("show after retry lacks the request:\n%s", out)
	}

	// The runtime finds the requests in the store.
	s, err := sqlite.Open(path, store.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	reqs, err := s.Requests(context.Background())
	if err != nil || len(reqs) != 2 || reqs[0].ID != "e1" || reqs[0].Action != store.ActionRetry || reqs[1].ID != "e2" || reqs[1].Action != store.ActionDiscard {
		t.Errorf("Requests after the commands: %+v, %v", reqs, err)
	}
}

func TestErrorsUsage(t *testing.T) {
	path := queueStore(t)
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{nil, "dualsync errors: give a subcommand: list, show, retry or discard\n"},
		{[]string{"purge"}, "dualsync errors: unknown subcommand \"purge\"\n"},
		{[]string{"list"}, "dualsync errors: give the store file with --store\n"},
		{[]string{"show", "--store", path}, "dualsync errors: give the ID of the entry to show\n"},
		{[]string{"retry", "--store", path, "e1", "e2"}, "dualsync errors: unexpected argument \"e2\"\n"},
		{[]string{"list", "--store", path, "e1"}, "dualsync errors: unexpected argument \"e1\"\n"},
		{[]string{"list", "--store", path, "--format", "xml"}, "dualsync errors: unknown format \"xml\" (want text or json)\n"},
		{[]string{"list", "--store", path, "--class", "Validation"}, "dualsync errors: unknown class \"Validation\" (want one of version-mismatch, throttled, transient, plugin, validation, missing-mapping, invalid-value, dependency, delete-review, malformed)\n"},
		{[]string{"list", "--store", path, "--state", "done"}, "dualsync errors: unknown state \"done\""},
		{[]string{"list", "--store", path, "--limit", "-1"}, "dualsync errors: --limit must not be negative\n"},
		{[]string{"show", "--store", path, "--map", "customer", "e1"}, "flag provided but not defined: -map\n"},
	} {
		code, out, errOut := runErrors(t, tc.args...)
		if code != 2 || out != "" || !strings.HasPrefix(errOut, tc.msg) || !strings.Contains(errOut, "usage: dualsync errors list") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and %q with the usage", tc.args, code, out, errOut, tc.msg)
		}
	}
	code, out, _ := runErrors(t, "help")
	if code != 0 || !strings.HasPrefix(out, "usage: dualsync errors list") {
		t.Errorf("help: exit %d, %q", code, out)
	}
	if code, _, errOut := runErrors(t, "list", "-h"); code != 0 || !strings.Contains(errOut, "-store FILE") {
		t.Errorf("list -h: exit %d, %q", code, errOut)
	}
}

// TestErrorsBadStore runs every subcommand against files that are no store:
// each fails with exit 1 and a message that names the file, and nothing is
// created or changed.
func TestErrorsBadStore(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("not a store\n"), 0o644)
	empty := filepath.Join(dir, "empty.db")
	os.WriteFile(empty, nil, 0o644)
	foreign := filepath.Join(dir, "crm.db")
	c, err := msqlite.NewConnector(foreign)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	if _, err := db.Exec("CREATE TABLE account (id TEXT, name TEXT); INSERT INTO account VALUES ('A1', 'Contoso')"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	missing := filepath.Join(dir, "missing.db")

	snapshot := func() map[string]string {
		m := map[string]string{}
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			m[e.Name()] = string(b)
		}
		return m
	}
	before := snapshot()
	for _, tc := range []struct{ path, msg string }{
		{text, text + ": not a dualsync store: not an SQLite database"},
		{empty, empty + ": not a dualsync store: the file is empty"},
		{foreign, foreign + ": not a dualsync store: an SQLite database with application_id 0x0"},
		{missing, "open store " + missing + ": file does not exist"},
	} {
		for _, args := range [][]string{{"list"}, {"show", "e1"}, {"retry", "e1"}, {"discard", "e1"}} {
			args = append(args, "--store", tc.path)
			code, out, errOut := runErrors(t, args...)
			if code != 1 || out != "" || !strings.HasPrefix(errOut, "dualsync errors: "+tc.msg) {
				t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 1 and %q", args, code, out, errOut, tc.msg)
			}
		}
	}
	after := snapshot()
	if len(after) != len(before) {
		t.Errorf("files before %d, after %d: something was created", len(before), len(after))
	}
	for name, b := range before {
		if after[name] != b {
			t.Errorf("%s changed", name)
		}
	}
}

func TestErrorsEmptyStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	s, err := sqlite.Open(path, store.Config{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if code, out, _ := runErrors(t, "list", "--store", path); code != 0 || out != "no errors\n" {
		t.Errorf("list of an empty store: exit %d, %q", code, out)
	}
	if code, out, _ := runErrors(t, "list", "--store", path, "--format", "json"); code != 0 || out != "[]\n" {
		t.Errorf("list --format json of an empty store: exit %d, %q", code, out)
	}
}

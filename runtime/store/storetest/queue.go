package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/runtime/store"
)

func testErrorRoundTrip(t *testing.T, h *harness) {
	s := h.new(t)
	full := entry("e1", "customers", "USMF|C001", engine.Plugin)
	bare := engine.ErrorEntry{ID: "e2", Map: "contacts", Key: "K1", Side: plan.FO, Class: engine.Dependency}
	covers(t, "entry", full)
	apply(t, s, store.Batch{Errors: []engine.ErrorEntry{full, bare}})
	same(t, "State.Errors", load(t, s).Errors, []engine.ErrorEntry{full, bare})

	got := get(t, s, "e1")
	same(t, "GetError entry", got.ErrorEntry, full)
	if got.State != store.Queued || got.Seq <= 0 || !got.Requested.IsZero() || !got.Closed.IsZero() {
		t.Errorf("new entry: state %q, seq %d, requested %v, closed %v; want queued, a positive seq, no times", got.State, got.Seq, got.Requested, got.Closed)
	}
	if len(got.History) != 1 || got.History[0].State != store.Queued || got.History[0].At.IsZero() {
		t.Errorf("history of a new entry = %+v; want one queued event with a time", got.History)
	}
	same(t, "GetError of a bare entry", get(t, s, "e2").ErrorEntry, bare)

	ls := list(t, s, store.ErrorFilter{})
	if len(ls) != 2 {
		t.Fatalf("ListErrors: %d entries; want 2", len(ls))
	}
	same(t, "listed entry", ls[0].ErrorEntry, full)
	if ls[0].History != nil {
		t.Errorf("ListErrors filled History; only GetError does")
	}

	_, err := s.GetError(ctx(t), "nope")
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetError of an unknown ID: %v; want ErrNotFound", err)
	}

	// A malformed row may have no readable key.
	keyless := engine.ErrorEntry{ID: "e3", Map: "contacts", Side: plan.DV, Class: engine.Malformed, Source: plan.DV,
		Message: "malformed: missing key", Raw: `{"firstname":`, Attempts: 1, First: t0, Last: t0}
	apply(t, s, store.Batch{Errors: []engine.ErrorEntry{keyless}})
	same(t, "GetError of a keyless malformed entry", get(t, s, "e3").ErrorEntry, keyless)
}

func testErrorUpdate(t *testing.T, h *harness) {
	s := h.new(t)
	e1 := entry("e1", "customers", "A", engine.Transient)
	e2 := entry("e2", "customers", "B", engine.Validation)
	apply(t, s, store.Batch{Errors: []engine.ErrorEntry{e1, e2}})
	before := get(t, s, "e1")
	if _, err := s.RetryError(ctx(t), "e1"); err != nil {
		t.Fatal(err)
	}
	// A further failure of the same record updates the entry in place: new
	// content, same place, same state, no new history.
	u := e1
	u.Class, u.Message, u.Attempts, u.Last = engine.Plugin, "plugin: still failing", 8, at(time.Hour)
	u.Values = []engine.FieldValue{{Field: "Name", Value: engine.String("new")}}
	u.Fields, u.Field, u.Status, u.Code = nil, "", 0, ""
	apply(t, s, store.Batch{Errors: []engine.ErrorEntry{u}})
	got := get(t, s, "e1")
	same(t, "updated entry", got.ErrorEntry, u)
	if got.Seq != before.Seq || got.State != store.RetryRequested {
		t.Errorf("after update: seq %d, state %q; want seq %d and the pending retry kept", got.Seq, got.State, before.Seq)
	}
	if len(got.History) != 2 {
		t.Errorf("history after update = %+v; want queued and retry only", got.History)
	}
	same(t, "order after update", ids(list(t, s, store.ErrorFilter{})), []string{"e1", "e2"})
}

func testErrorOrderAndFilter(t *testing.T, h *harness) {
	s := h.new(t)
	// Entries are listed in the order they entered the store, across
	// batches, whatever their IDs.
	apply(t, s, store.Batch{Errors: []engine.ErrorEntry{
		plainEntry("e9", "customers", "A", engine.Validation),
		plainEntry("e10", "contacts", "B", engine.Dependency),
	}})
	apply(t, s, store.Batch{Errors: []engine.ErrorEntry{
		plainEntry("e2", "customers", "C", engine.Dependency),
		plainEntry("e1", "customers", "A", engine.Plugin),
	}})
	apply(t, s, store.Batch{Errors: []engine.ErrorEntry{plainEntry("e3", "vendors", "D", engine.MissingMapping)}})
	all := list(t, s, store.ErrorFilter{})
	same(t, "order", ids(all), []string{"e9", "e10", "e2", "e1", "e3"})
	for i := 1; i < len(all); i++ {
		if all[i].Seq <= all[i-1].Seq {
			t.Errorf("Seq not increasing: %s has %d after %s with %d", all[i].ID, all[i].Seq, all[i-1].ID, all[i-1].Seq)
		}
	}
	same(t, "State.Errors order", idsOf(load(t, s).Errors), []string{"e9", "e10", "e2", "e1", "e3"})

	if _, err := s.DiscardError(ctx(t), "e2"); err != nil {
		t.Fatal(err)
	}
	apply(t, s, store.Batch{Resolved: []string{"e3"}})

	for _, tc := range []struct {
		name string
		f    store.ErrorFilter
		want []string
	}{
		{"open", store.ErrorFilter{}, []string{"e9", "e10", "e2", "e1"}},
		{"map", store.ErrorFilter{Map: "customers"}, []string{"e9", "e2", "e1"}},
		{"class", store.ErrorFilter{Class: engine.Dependency}, []string{"e10", "e2"}},
		{"map and class", store.ErrorFilter{Map: "customers", Class: engine.Dependency}, []string{"e2"}},
		{"key", store.ErrorFilter{Key: "A"}, []string{"e9", "e1"}},
		{"queued", store.ErrorFilter{States: []store.Status{store.Queued}}, []string{"e9", "e10", "e1"}},
		{"discard", store.ErrorFilter{States: []store.Status{store.DiscardRequested}}, []string{"e2"}},
		{"closed", store.ErrorFilter{States: store.ClosedStatuses()}, []string{"e3"}},
		{"all", store.ErrorFilter{States: store.AllStatuses()}, []string{"e9", "e10", "e2", "e1", "e3"}},
		{"no states", store.ErrorFilter{States: []store.Status{}}, []string{}},
		{"unknown map", store.ErrorFilter{Map: "nope"}, []string{}},
	} {
		same(t, "filter "+tc.name, ids(list(t, s, tc.f)), tc.want)
	}
	same(t, "State.Errors holds the open entries", idsOf(load(t, s).Errors), []string{"e9", "e10", "e2", "e1"})
}

func idsOf(es []engine.ErrorEntry) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

func testErrorPaging(t *testing.T, h *harness) {
	s := h.new(t)
	var es []engine.ErrorEntry
	var want []string
	for i := range 25 {
		id := "p" + string(rune('a'+i))
		es = append(es, plainEntry(id, "m", id, engine.Validation))
		want = append(want, id)
	}
	apply(t, s, store.Batch{Errors: es})
	var got []string
	var after int64
	pages := 0
	for {
		page := list(t, s, store.ErrorFilter{After: after, Limit: 10})
		if len(page) == 0 {
			break
		}
		if len(page) > 10 {
			t.Fatalf("page of %d entries; limit 10", len(page))
		}
		pages++
		got = append(got, ids(page)...)
		after = page[len(page)-1].Seq
	}
	same(t, "paged IDs", got, want)
	if pages != 3 {
		t.Errorf("%d pages; want 3", pages)
	}
}

func testResolve(t *testing.T, h *harness) {
	s := h.new(t)
	apply(t, s, store.Batch{Errors: []engine.ErrorEntry{
		plainEntry("e1", "m", "a", engine.Validation),
		plainEntry("e2", "m", "b", engine.Validation),
	}})
	apply(t, s, store.Batch{Resolved: []string{"e1", "unknown"}})
	same(t, "open after resolve", ids(list(t, s, store.ErrorFilter{})), []string{"e2"})
	same(t, "State.Errors after resolve", idsOf(load(t, s).Errors), []string{"e2"})
	r := get(t, s, "e1")
	if r.State != store.Resolved || r.Closed.IsZero() {
		t.Errorf("resolved entry: state %q, closed %v; want resolved with a time", r.State, r.Closed)
	}
	same(t, "history", states(r.History), []store.Status{store.Queued, store.Resolved})
	// A replayed batch changes nothing.
	apply(t, s, store.Batch{Resolved: []string{"e1"}})
	same(t, "history after replay", states(get(t, s, "e1").History), []store.Status{store.Queued, store.Resolved})

	// An entry created and resolved in one batch ends resolved.
	apply(t, s, store.Batch{Errors: []engine.ErrorEntry{plainEntry("e3", "m", "c", engine.Transient)}, Resolved: []string{"e3"}})
	if got := get(t, s, "e3").State; got != store.Resolved {
		t.Errorf("entry created and resolved in one batch is %q; want resolved", got)
	}
}

func states(h []store.ErrorEvent) []store.Status {
	out := []store.Status{}
	for _, e := range h {
		out = append(out, e.State)
	}
	return out
}

func testRetry(t *testing.T, h *harness) {
	s := h.new(t)
	e1 := entry("e1", "customers", "A", engine.Plugin)
	apply(t, s, store.Batch{Errors: []engine.ErrorEntry{e1, plainEntry("e2", "customers", "B", engine.Validation)}})
	lo := time.Now()
	r, err := s.RetryError(ctx(t), "e1")
	hi := time.Now()
	if err != nil {
		t.Fatalf("RetryError: %v", err)
	}
	if r.State != store.RetryRequested || r.ID != "e1" || !within(r.Requested, lo, hi) {
		t.Errorf("RetryError returned state %q, id %q, requested %v; want retry, e1, now", r.State, r.ID, r.Requested)
	}
	same(t, "entry returned by RetryError", r.ErrorEntry, e1)
	// Still open: the engine holds it until the runtime hands it over.
	same(t, "State.Errors with a retry pending", idsOf(load(t, s).Errors), []string{"e1", "e2"})
	same(t, "listed open", ids(list(t, s, store.ErrorFilter{})), []string{"e1", "e2"})
	reqs := requests(t, s)
	if len(reqs) != 1 || reqs[0].ID != "e1" || reqs[0].Action != store.ActionRetry || !reqs[0].At.Equal(r.Requested) {
		t.Fatalf("Requests = %+v; want the retry of e1 at %v", reqs, r.Requested)
	}
	same(t, "request event", reqs[0].Event(), engine.RetryError{ID: "e1"})
	// Asking again is a no-op.
	r2, err := s.RetryError(ctx(t), "e1")
	if err != nil || r2.State != store.RetryRequested || !r2.Requested.Equal(r.Requested) {
		t.Errorf("second RetryError: %v, state %q, requested %v; want no change", err, r2.State, r2.Requested)
	}
	// The runtime stepped engine.RetryError; the engine resolved the entry
	// (and its retry failed again under a new ID).
	apply(t, s, store.Batch{Resolved: []string{"e1"}, Errors: []engine.ErrorEntry{plainEntry("e3", "customers", "A", engine.Plugin)}})
	got := get(t, s, "e1")
	if got.State != store.Retried || got.Closed.IsZero() {
		t.Errorf("after the runtime acted: state %q, closed %v; want retried with a time", got.State, got.Closed)
	}
	same(t, "history", states(got.History), []store.Status{store.Queued, store.RetryRequested, store.Retried})
	same(t, "requests after", requests(t, s), []store.Request{})
	same(t, "open after", ids(list(t, s, store.ErrorFilter{})), []string{"e2", "e3"})
	same(t, "audit", ids(list(t, s, store.ErrorFilter{States: []store.Status{store.Retried}})), []string{"e1"})
}

func testDiscard(t *testing.T, h *harness) {
	s := h.new(t)
	e1 := entry("e1", "customers", "A", engine.DeleteReview)
	apply(t, s, store.Batch{Errors: []engine.ErrorEntry{e1}})
	r, err := s.DiscardError(ctx(t), "e1")
	if err != nil {
		t.Fatalf("DiscardError: %v", err)
	}
	if r.State != store.DiscardRequested || r.Requested.IsZero() {
		t.Errorf("DiscardError returned state %q, requested %v; want discard with a time", r.State, r.Requested)
	}
	reqs := requests(t, s)
	if len(reqs) != 1 || reqs[0].Action != store.ActionDiscard {
		t.Fatalf("Requests = %+v; want the discard of e1", reqs)
	}
	same(t, "request event", reqs[0].Event(), engine.DiscardError{ID: "e1"})
	same(t, "State.Errors with a discard pending", idsOf(load(t, s).Errors), []string{"e1"})
	apply(t, s, store.Batch{Resolved: []string{"e1"}})
	got := get(t, s, "e1")
	if got.State != store.Discarded || got.Closed.IsZero() {
		t.Errorf("after the runtime acted: state %q, closed %v; want discarded", got.State, got.Closed)
	}
	// Out of the queue, kept for the audit, with everything it had.
	same(t, "discarded entry", got.ErrorEntry, e1)
	same(t, "history", states(got.History), []store.Status{store.Queued, store.DiscardRequested, store.Discarded})
	same(t, "open after discard", list(t, s, store.ErrorFilter{}), []store.ErrorRecord{})
	same(t, "State.Errors after discard", load(t, s).Errors, []engine.ErrorEntry{})
}

func testRequestRules(t *testing.T, h *harness) {
	s := h.new(t)
	apply(t, s, store.Batch{Errors: []engine.ErrorEntry{
		plainEntry("e1", "m", "a", engine.Validation),
		plainEntry("e2", "m", "b", engine.Validation),
		plainEntry("e3", "m", "c", engine.Validation),
	}})
	apply(t, s, store.Batch{Resolved: []string{"e3"}})
	if _, err := s.RetryError(ctx(t), "e1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DiscardError(ctx(t), "e2"); err != nil {
		t.Fatal(err)
	}
	before := snap(t, s)
	for _, tc := range []struct {
		name string
		do   func() (store.ErrorRecord, error)
		want error
	}{
		{"discard with a retry pending", func() (store.ErrorRecord, error) { return s.DiscardError(ctx(t), "e1") }, store.ErrPending},
		{"retry with a discard pending", func() (store.ErrorRecord, error) { return s.RetryError(ctx(t), "e2") }, store.ErrPending},
		{"retry of a resolved entry", func() (store.ErrorRecord, error) { return s.RetryError(ctx(t), "e3") }, store.ErrClosed},
		{"discard of a resolved entry", func() (store.ErrorRecord, error) { return s.DiscardError(ctx(t), "e3") }, store.ErrClosed},
		{"retry of an unknown entry", func() (store.ErrorRecord, error) { return s.RetryError(ctx(t), "nope") }, store.ErrNotFound},
		{"discard of an unknown entry", func() (store.ErrorRecord, error) { return s.DiscardError(ctx(t), "nope") }, store.ErrNotFound},
	} {
		if _, err := tc.do(); !errors.Is(err, tc.want) {
			t.Errorf("%s: error %v; want %v", tc.name, err, tc.want)
		}
	}
	same(t, "store after refused requests", snap(t, s), before)
}

func testRequestsOrder(t *testing.T, h *harness) {
	s := h.new(t)
	apply(t, s, store.Batch{Errors: []engine.ErrorEntry{
		plainEntry("e1", "m", "a", engine.Validation),
		plainEntry("e2", "m", "b", engine.Validation),
		plainEntry("e3", "m", "c", engine.Validation),
	}})
	// Requests come in the order they were made, not the queue's order.
	for _, req := range []struct {
		id      string
		discard bool
	}{{"e3", false}, {"e1", true}, {"e2", false}} {
		var err error
		if req.discard {
			_, err = s.DiscardError(ctx(t), req.id)
		} else {
			_, err = s.RetryError(ctx(t), req.id)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, r := range requests(t, s) {
		got = append(got, r.ID+" "+string(r.Action))
	}
	same(t, "requests", got, []string{"e3 retry", "e1 discard", "e2 retry"})
}

func testReopenedEntry(t *testing.T, h *harness) {
	s := h.new(t)
	e := plainEntry("e1", "m", "a", engine.Validation)
	apply(t, s, store.Batch{Errors: []engine.ErrorEntry{e}})
	if _, err := s.DiscardError(ctx(t), "e1"); err != nil {
		t.Fatal(err)
	}
	apply(t, s, store.Batch{Resolved: []string{"e1"}})
	seq := get(t, s, "e1").Seq
	// The engine is the queue's owner: when it reports a closed ID as
	// failing, the entry is open again.
	e.Attempts = 2
	apply(t, s, store.Batch{Errors: []engine.ErrorEntry{e}})
	got := get(t, s, "e1")
	if got.State != store.Queued || !got.Closed.IsZero() || !got.Requested.IsZero() || got.Seq != seq {
		t.Errorf("reopened entry: state %q, closed %v, requested %v, seq %d; want queued, no times, seq %d", got.State, got.Closed, got.Requested, got.Seq, seq)
	}
	same(t, "history", states(got.History), []store.Status{store.Queued, store.DiscardRequested, store.Discarded, store.Queued})
	same(t, "State.Errors", load(t, s).Errors, []engine.ErrorEntry{e})
}

func testInvalidFilter(t *testing.T, h *harness) {
	s := h.new(t)
	for _, f := range []store.ErrorFilter{
		{States: []store.Status{"bogus"}},
		{Limit: -1},
		{After: -1},
	} {
		if _, err := s.ListErrors(ctx(t), f); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("ListErrors(%+v): %v; want ErrInvalid", f, err)
		}
	}
	if _, err := s.Conflicts(ctx(t), store.ConflictFilter{Limit: -1}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Conflicts with a negative limit: %v; want ErrInvalid", err)
	}
}

func testConflicts(t *testing.T, h *harness) {
	s := h.new(t)
	c1 := conflict("customers", "A", "CreditLimit", 1)
	c2 := recordConflict("customers", "B")
	c3 := conflict("contacts", "A", "Email", 3)
	covers(t, "conflict", c1)
	apply(t, s, store.Batch{Conflicts: []engine.Conflict{c1, c2}})
	apply(t, s, store.Batch{Conflicts: []engine.Conflict{c3, c1}})
	all := conflicts(t, s, store.ConflictFilter{})
	var got []engine.Conflict
	for i, c := range all {
		got = append(got, c.Conflict)
		if i > 0 && c.Seq <= all[i-1].Seq {
			t.Errorf("conflict Seq not increasing: %d after %d", c.Seq, all[i-1].Seq)
		}
	}
	// Appended, never merged: the same conflict twice is two entries.
	same(t, "conflict log", got, []engine.Conflict{c1, c2, c3, c1})
	for _, tc := range []struct {
		name string
		f    store.ConflictFilter
		want int
	}{
		{"map", store.ConflictFilter{Map: "customers"}, 3},
		{"key", store.ConflictFilter{Key: "A"}, 3},
		{"map and key", store.ConflictFilter{Map: "customers", Key: "A"}, 2},
		{"after", store.ConflictFilter{After: all[1].Seq}, 2},
		{"limit", store.ConflictFilter{Limit: 1}, 1},
		{"after and limit", store.ConflictFilter{After: all[0].Seq, Limit: 2}, 2},
	} {
		got := conflicts(t, s, tc.f)
		if len(got) != tc.want {
			t.Errorf("conflicts with filter %s: %d; want %d", tc.name, len(got), tc.want)
		}
		if !slices.IsSortedFunc(got, func(a, b store.ConflictRecord) int { return int(a.Seq - b.Seq) }) {
			t.Errorf("conflicts with filter %s: not ordered by Seq", tc.name)
		}
	}
	if got := conflicts(t, s, store.ConflictFilter{After: all[0].Seq, Limit: 2}); got[0].Seq != all[1].Seq {
		t.Errorf("page after the first conflict starts at %d; want %d", got[0].Seq, all[1].Seq)
	}
}

package storetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/store"
)

// Reopen opens again the store that closed (a store returned by the open
// function, or by Reopen, and since closed) was opened on, with cfg.
type Reopen func(t *testing.T, closed store.Store, cfg store.Config) (store.Store, error)

// Run runs the suite. open must return a new, empty store each time; the
// suite closes it. reopen may be nil.
func Run(t *testing.T, open func(t *testing.T) store.Store, reopen Reopen) {
	h := &harness{open: open, reopen: reopen}
	tests := []struct {
		name string
		run  func(*testing.T, *harness)
	}{
		{"Empty", testEmpty},
		{"Records", testRecords},
		{"DeleteRecords", testDeleteRecords},
		{"Sent", testSent},
		{"Watermarks", testWatermarks},
		{"NextID", testNextID},
		{"ErrorRoundTrip", testErrorRoundTrip},
		{"ErrorUpdate", testErrorUpdate},
		{"ErrorOrderAndFilter", testErrorOrderAndFilter},
		{"ErrorPaging", testErrorPaging},
		{"Resolve", testResolve},
		{"Retry", testRetry},
		{"Discard", testDiscard},
		{"RequestRules", testRequestRules},
		{"RequestsOrder", testRequestsOrder},
		{"Reopened", testReopenedEntry},
		{"Conflicts", testConflicts},
		{"InvalidFilter", testInvalidFilter},
		{"AtomicApply", testAtomicApply},
		{"CanceledContext", testCanceledContext},
		{"ConcurrentReads", testConcurrentReads},
		{"ConcurrentRequests", testConcurrentRequests},
		{"Closed", testClosed},
		{"Persistence", testPersistence},
		{"PlanDigest", testPlanDigest},
		{"ReadOnly", testReadOnly},
		{"Clock", testClock},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, h) })
	}
}

type harness struct {
	open   func(t *testing.T) store.Store
	reopen Reopen
}

// new opens an empty store that is closed when the test ends.
func (h *harness) new(t *testing.T) store.Store {
	t.Helper()
	s := h.open(t)
	t.Cleanup(func() { s.Close() })
	return s
}

// again closes s and opens its store again with cfg.
func (h *harness) again(t *testing.T, s store.Store, cfg store.Config) store.Store {
	t.Helper()
	s2, err := h.tryAgain(t, s, cfg)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	return s2
}

func (h *harness) tryAgain(t *testing.T, s store.Store, cfg store.Config) (store.Store, error) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s2, err := h.reopen(t, s, cfg)
	if err == nil {
		t.Cleanup(func() { s2.Close() })
	}
	return s2, err
}

func (h *harness) needReopen(t *testing.T) {
	t.Helper()
	if h.reopen == nil {
		t.Skip("this store cannot be reopened: no Reopen given to storetest.Run")
	}
}

func ctx(t *testing.T) context.Context { return t.Context() }

func apply(t *testing.T, s store.Store, b store.Batch) {
	t.Helper()
	if err := s.Apply(ctx(t), b); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

func load(t *testing.T, s store.Store) engine.State {
	t.Helper()
	st, err := s.Load(ctx(t))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return st
}

func list(t *testing.T, s store.Store, f store.ErrorFilter) []store.ErrorRecord {
	t.Helper()
	rs, err := s.ListErrors(ctx(t), f)
	if err != nil {
		t.Fatalf("ListErrors(%+v): %v", f, err)
	}
	return rs
}

func get(t *testing.T, s store.Store, id string) store.ErrorRecord {
	t.Helper()
	r, err := s.GetError(ctx(t), id)
	if err != nil {
		t.Fatalf("GetError(%q): %v", id, err)
	}
	return r
}

func requests(t *testing.T, s store.Store) []store.Request {
	t.Helper()
	rs, err := s.Requests(ctx(t))
	if err != nil {
		t.Fatalf("Requests: %v", err)
	}
	return rs
}

func conflicts(t *testing.T, s store.Store, f store.ConflictFilter) []store.ConflictRecord {
	t.Helper()
	cs, err := s.Conflicts(ctx(t), f)
	if err != nil {
		t.Fatalf("Conflicts(%+v): %v", f, err)
	}
	return cs
}

// same fails the test when got and want differ in their JSON encodings,
// which is how the engine's types are compared (Value has no exported
// fields; times are compared as the engine keeps them, in UTC).
func same(t *testing.T, what string, got, want any) {
	t.Helper()
	g, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatalf("%s: encoding what the store returned: %v", what, err)
	}
	w, err := json.MarshalIndent(want, "", "  ")
	if err != nil {
		t.Fatalf("%s: encoding the expectation: %v", what, err)
	}
	if string(g) != string(w) {
		t.Errorf("%s differs\ngot:\n%s\nwant:\n%s", what, g, w)
	}
}

// snapshot is everything a store returns, for before/after comparisons.
type snapshot struct {
	State     engine.State
	Errors    []store.ErrorRecord
	Conflicts []store.ConflictRecord
	Requests  []store.Request
}

func snap(t *testing.T, s store.Store) snapshot {
	t.Helper()
	sn := snapshot{
		State:     load(t, s),
		Conflicts: conflicts(t, s, store.ConflictFilter{}),
		Requests:  requests(t, s),
	}
	for _, r := range list(t, s, store.ErrorFilter{States: store.AllStatuses()}) {
		sn.Errors = append(sn.Errors, get(t, s, r.ID))
	}
	return sn
}

// ids returns the IDs of rs, in order.
func ids(rs []store.ErrorRecord) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

// within reports whether at lies in [lo, hi], allowing for a store clock
// that rounds.
func within(at, lo, hi time.Time) bool {
	return !at.Before(lo.Add(-time.Second)) && !at.After(hi.Add(time.Second))
}

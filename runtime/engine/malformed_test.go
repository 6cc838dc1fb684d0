package engine

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/dualsync/dualsync/runtime/plan"
)

// Malformed rows of a change feed become error-queue entries with their raw
// payload, counted as observed and queued, and the engine keeps going.
func TestObserveFailed(t *testing.T) {
	bad := ObserveFailed{Side: plan.FO, Map: "customer", Key: c1, Field: "Type", Message: `unknown enum member "Alien"`, Raw: `{"Id":"C1","Type":"Alien"}`}
	keyless := ObserveFailed{Side: plan.DV, Map: "customer", Message: "missing key", Raw: `{"name":"x"`}
	later := bad
	later.Raw = `{"Id":"C1","Type":"Martian"}`
	tests := []struct {
		name    string
		events  []ObserveFailed
		entries int    // open entries after the events
		key     string // of the last entry
		side    plan.Side
		field   string
		line    int // source position of the last entry
		raw     string
		tries   int    // attempts of the last entry
		act     string // "retry" or "discard" of the last entry
		reads   []Read
	}{
		{"a row with a bad field, retried, is read again", []ObserveFailed{bad}, 1, c1, plan.FO, "Type", 22, bad.Raw, 1, "retry",
			[]Read{{Side: plan.FO, Map: "customer", Key: c1}}},
		{"a row without a key, retried, is resolved", []ObserveFailed{keyless}, 1, "", plan.DV, "", 8, keyless.Raw, 1, "retry", nil},
		{"a row seen again updates its entry", []ObserveFailed{bad, later}, 1, c1, plan.FO, "Type", 22, later.Raw, 2, "discard", nil},
		{"rows without a key are entries of their own", []ObserveFailed{keyless, keyless}, 2, "", plan.DV, "", 8, keyless.Raw, 1, "discard", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := seeded(t)
			before := h.e.Accounting()
			for _, ev := range tt.events {
				h.step(ev)
				// Meanwhile, other records keep flowing.
				h.observe(plan.DV, "group", "usmf|G"+string(rune('A'+len(h.log.Errors))), vals("name", "g"), "d1", at(10))
				h.ackAll("f1")
			}
			a := h.e.Accounting()
			n := int64(len(tt.events))
			if a.Observed-before.Observed != n+int64(len(tt.events)) || a.Queued-before.Queued != n || a.Applied-before.Applied != n {
				t.Errorf("accounting %+v after %+v: want %d more observed, %d more queued, %d more applied", a, before, 2*n, n, n)
			}
			st := h.e.State()
			if len(st.Errors) != tt.entries {
				t.Fatalf("%d open entries, want %d: %+v", len(st.Errors), tt.entries, st.Errors)
			}
			en := h.log.Errors[len(h.log.Errors)-1]
			if en.Class != Malformed || en.Map != "customer" || en.Key != tt.key || en.Side != tt.side || en.Source != tt.side ||
				en.Field != tt.field || en.Pos != pos(tt.line) || en.Raw != tt.raw || en.Attempts != tt.tries ||
				!strings.HasPrefix(en.Message, "malformed: ") || en.First.IsZero() || en.Last.IsZero() {
				t.Errorf("entry %+v\nwant key %q, side %s, field %q, line %d, raw %q, attempts %d", en, tt.key, tt.side, tt.field, tt.line, tt.raw, tt.tries)
			}
			// The entry and its raw payload survive a restart.
			data, err := json.Marshal(st)
			if err != nil {
				t.Fatal(err)
			}
			var back State
			if err := json.Unmarshal(data, &back); err != nil {
				t.Fatal(err)
			}
			e2, err := New(testPlan(t), Config{}, &back)
			if err != nil {
				t.Fatal(err)
			}
			if got := e2.State().Errors; !slices.EqualFunc(got, st.Errors, func(a, b ErrorEntry) bool { return a.ID == b.ID && a.Raw == b.Raw }) {
				t.Errorf("restored entries %+v, want %+v", got, st.Errors)
			}
			h.take()
			// Never retried on its own.
			h.tick(24 * 60 * 60 * 1e9)
			if out := h.take(); len(out.Reads) != 0 || len(out.Writes) != 0 || len(out.Resolved) != 0 {
				t.Errorf("the engine acted on a malformed entry by itself: %+v", out)
			}
			if tt.act == "retry" {
				h.step(RetryError{ID: en.ID})
			} else {
				h.step(DiscardError{ID: en.ID})
			}
			out := h.take()
			if !slices.Equal(out.Resolved, []string{en.ID}) || !slices.Equal(out.Reads, tt.reads) || len(out.Writes) != 0 {
				t.Errorf("after %s: resolved %v, reads %+v, writes %+v; want %s resolved and reads %+v", tt.act, out.Resolved, out.Reads, out.Writes, en.ID, tt.reads)
			}
			if got := len(h.e.State().Errors); got != tt.entries-1 {
				t.Errorf("%d open entries after %s, want %d", got, tt.act, tt.entries-1)
			}
			if err := h.e.Accounting().Check(); err != nil {
				t.Error(err)
			}
		})
	}
	t.Run("unknown map", func(t *testing.T) {
		h := seeded(t)
		if err := h.e.Step(&ObserveFailed{Side: plan.FO, Map: "nope", Raw: "{}"}); err == nil {
			t.Error("an unreadable row of an unknown map was accepted")
		}
	})
}

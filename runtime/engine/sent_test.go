package engine

import (
	"slices"
	"testing"

	"github.com/dualsync/dualsync/runtime/plan"
)

// An update persists its intent with the write (sent.go). After a crash
// between the update and its checkpoint, the engine recognises its own
// values on the target instead of taking them for an edit made there, so a
// later edit on the source side flows instead of losing to the conflict
// rule (the customer map's Name: F&O wins) against the engine's own copy of
// the earlier one.
func TestRestartUpdateIntent(t *testing.T) {
	for _, tt := range []struct {
		name  string
		crash func(w *world) // runs after the Dataverse edit
	}{{
		name: "applied, its acknowledgement lost",
		crash: func(w *world) {
			w.deliver()
			w.readyOnce()
		},
	}, {
		name: "acknowledged, never checkpointed",
		crash: func(w *world) {
			w.deliver()
			w.stepAll(w.readyOnce())
		},
	}, {
		name: "persisted, never sent",
		crash: func(w *world) {
			w.deliver()
			w.persist(w.e.Ready())
			w.e.Advance()
		},
	}} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, Config{})
			w.edit(plan.FO, "customer", c1, custFO())
			w.run()
			before := w.record("customer", c1)
			w.edit(plan.DV, "customer", c1, vals("name", "Contoso DV"))
			tt.crash(w)

			rs := w.record("customer", c1)
			want := []SentValue{{Field: "Name", Value: String("Contoso DV"), Source: String("Contoso DV")}}
			if !slices.Equal(rs.FO.Sent, want) || len(rs.DV.Sent) != 0 {
				t.Fatalf("persisted intent fo %v dv %v, want fo %v", rs.FO.Sent, rs.DV.Sent, want)
			}
			// The rest is the record as the round found it.
			if rs.FO.Version != before.FO.Version || rs.DV.Version != before.DV.Version || !slices.Equal(rs.FO.Base, before.FO.Base) {
				t.Fatalf("persisted with the intent:\n%s\nwant the record before the round:\n%s", mustJSON(t, rs), mustJSON(t, before))
			}

			w.crash()
			w.edit(plan.DV, "customer", c1, vals("name", "Contoso Later"))
			w.run()
			for _, s := range []struct {
				side  plan.Side
				field string
			}{{plan.FO, "Name"}, {plan.DV, "name"}} {
				if got := w.fieldOf(s.side, "customer", c1, s.field); got != String("Contoso Later") {
					t.Errorf("%s %s = %v: the later Dataverse edit was lost", s.side, s.field, got)
				}
			}
			if len(w.conflicts) != 0 || len(w.errs) != 0 {
				t.Errorf("conflicts %v, errors %v", w.conflicts, w.errs)
			}
			if rs := w.record("customer", c1); len(rs.FO.Sent)+len(rs.DV.Sent) != 0 {
				t.Errorf("the intent outlived its round: fo %v dv %v", rs.FO.Sent, rs.DV.Sent)
			}
		})
	}
}

// An update to a record the store holds as its round found it persists
// its intent alone (Checkpoint.Sent), not the whole record again.
func TestUpdateIntentIncrement(t *testing.T) {
	w := newWorld(t, Config{})
	w.edit(plan.FO, "customer", c1, custFO())
	w.run()
	w.edit(plan.DV, "customer", c1, vals("name", "Contoso DV"))
	w.deliver()
	rd := w.e.Ready()
	if len(rd.Writes) != 1 || len(rd.Checkpoint.Records) != 0 || len(rd.Checkpoint.Sent) != 1 {
		t.Fatalf("%d writes, checkpoint of %d records and %d intents; want 1 write and its intent alone",
			len(rd.Writes), len(rd.Checkpoint.Records), len(rd.Checkpoint.Sent))
	}
	want := RecordSent{Map: "customer", Key: c1, FO: []SentValue{{Field: "Name", Value: String("Contoso DV"), Source: String("Contoso DV")}}}
	if got := rd.Checkpoint.Sent[0]; mustJSON(t, got) != mustJSON(t, want) {
		t.Errorf("intent %s, want %s", mustJSON(t, got), mustJSON(t, want))
	}
	w.stepAll(w.handle(rd))
	w.e.Advance()
	w.run()
	if rs := w.record("customer", c1); len(rs.FO.Sent)+len(rs.DV.Sent) != 0 || rs.FO.Version == "" {
		t.Errorf("after the round the record is stored whole, without the intent: %s", mustJSON(t, rs))
	}
}

// When the target's row holds only some of the values an update sent, the
// others were changed there since (or the update never landed and a user
// typed the same value): each field is confirmed on its own. A field that
// holds the value sent is the engine's; one that does not is merged with
// the base from before the update, and the conflict rule decides it.
func TestRestartUpdateIntentByField(t *testing.T) {
	w := newWorld(t, Config{})
	w.edit(plan.FO, "customer", c1, custFO())
	w.run()
	w.edit(plan.DV, "customer", c1, vals("name", "Contoso DV", "telephone1", "555-0199"))
	w.deliver()
	w.readyOnce() // the update landed on F&O; its acknowledgement is lost
	w.crash()
	// An F&O user changes the name the update wrote, before the restarted
	// engine sees the row.
	w.edit(plan.FO, "customer", c1, vals("Name", "Contoso FO"))
	w.run()
	if got := w.fieldOf(plan.DV, "customer", c1, "telephone1"); got != String("555-0199") {
		t.Errorf("Dataverse phone %v", got)
	}
	if got := w.fieldOf(plan.FO, "customer", c1, "Phone"); got != String("555-0199") {
		t.Errorf("F&O phone %v: the confirmed field was written again or lost", got)
	}
	// The name differs from what was sent: both sides changed it since the
	// base before the update, and F&O wins by the rule.
	if got := w.fieldOf(plan.DV, "customer", c1, "name"); got != String("Contoso FO") {
		t.Errorf("Dataverse name %v, want the F&O edit by the rule", got)
	}
	if len(w.conflicts) != 1 || w.conflicts[0].Field != "Name" {
		t.Errorf("conflicts %v, want the name's", w.conflicts)
	}
}

// record returns the persisted state of a record.
func (w *world) record(m, key string) RecordState {
	w.tb.Helper()
	i := slices.IndexFunc(w.store.Records, func(rs RecordState) bool { return rs.Map == m && rs.Key == key })
	if i < 0 {
		w.tb.Fatalf("no persisted record %s %s", m, key)
	}
	return w.store.Records[i]
}

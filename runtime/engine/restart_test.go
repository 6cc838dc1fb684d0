package engine

import (
	"cmp"
	"slices"
	"testing"
	"time"

	"github.com/dualsync/dualsync/runtime/plan"
)

// A crash between a write and its checkpoint causes neither a duplicate nor
// a loss: after a restart from the store, the change is seen again and
// recognised by the merge base and the versions.
func TestRestart(t *testing.T) {
	tests := []struct {
		name  string
		crash func(w *world) // runs after the F&O edit; crashes somewhere
		// applied counts writes that changed a row after the edit.
		applied int
	}{{
		name: "after the observation, before the write is sent",
		crash: func(w *world) {
			w.deliver()
			w.persist(w.e.Ready()) // checkpoint persisted, write not sent
			w.e.Advance()
		},
		applied: 1,
	}, {
		name: "after the write is applied, before its acknowledgement",
		crash: func(w *world) {
			w.deliver()
			w.readyOnce() // the target applied the write; the ack is lost
		},
		applied: 1,
	}, {
		name: "after the acknowledgement, before its checkpoint",
		crash: func(w *world) {
			w.deliver()
			w.stepAll(w.readyOnce()) // acknowledged, but never persisted
		},
		applied: 1,
	}, {
		name: "after the checkpoint, before the echo",
		crash: func(w *world) {
			w.deliver()
			w.stepAll(w.readyOnce())
			w.readyOnce()
		},
		applied: 1,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, Config{})
			w.norm = func(s plan.Side, field string, v Value) Value {
				if v.k == KindString {
					return String(v.s + "") // stored as written
				}
				return v
			}
			w.edit(plan.FO, "customer", c1, custFO())
			w.run()
			w.writes, w.applied = nil, 0
			w.edit(plan.FO, "customer", c1, vals("Name", "Contoso Ltd"))
			tt.crash(w)
			w.crash()
			w.run()
			if w.applied != tt.applied {
				t.Errorf("%d writes changed a row, want %d:\n%s", w.applied, tt.applied, show(w.writes))
			}
			if got := w.fieldOf(plan.DV, "customer", c1, "name"); got != String("Contoso Ltd") {
				t.Errorf("Dataverse name %v: the change was lost", got)
			}
			if got := w.fieldOf(plan.FO, "customer", c1, "Name"); got != String("Contoso Ltd") {
				t.Errorf("F&O name %v", got)
			}
			if len(w.errs) != 0 || len(w.conflicts) != 0 || !w.e.Quiet() {
				t.Errorf("errors %v, conflicts %v, quiet %t", w.errs, w.conflicts, w.e.Quiet())
			}
			// And the restarted engine stays quiet.
			w.writes = nil
			w.run()
			if len(w.writes) != 0 {
				t.Errorf("writes after quiet:\n%s", show(w.writes))
			}
		})
	}
}

// A parked record is persisted with its change, so the feed's watermark
// passes it; after a restart it is parked again and released as usual.
func TestRestartParked(t *testing.T) {
	w := newWorld(t, Config{})
	w.edit(plan.FO, "customer", "usmf|C5", custFO("Group", "usmf|G9"))
	w.run()
	if a := w.e.Accounting(); a.Parked != 1 {
		t.Fatalf("not parked: %+v", a)
	}
	i := slices.IndexFunc(w.store.Watermarks, func(wm Watermark) bool { return wm.Map == "customer" && wm.Side == plan.FO })
	if i < 0 || w.store.Watermarks[i].Token != "1" {
		t.Fatalf("watermark did not pass the parked change: %+v", w.store.Watermarks)
	}
	w.crash()
	if a := w.e.Accounting(); a.Parked != 1 || a.Observed != 1 {
		t.Fatalf("park not restored: %+v", a)
	}
	if len(w.queue) != 0 {
		t.Fatalf("the parked change is read again from the feed: %v", w.queue)
	}
	w.edit(plan.FO, "group", "usmf|G9", vals("Name", "Retail"))
	w.run()
	if got := w.fieldOf(plan.DV, "customer", "usmf|C5", "groupid"); got != String("usmf|G9") {
		t.Errorf("customer not written after restart: groupid %v", got)
	}
	if a := w.e.Accounting(); a.Parked != 0 || a.Applied != 2 {
		t.Errorf("accounting %+v", a)
	}
}

// The store that applies each Ready's checkpoint holds the engine's State.
func TestCheckpointsMakeState(t *testing.T) {
	w := newWorld(t, Config{})
	w.edit(plan.FO, "customer", c1, custFO())
	w.edit(plan.FO, "customer", "usmf|C5", custFO("Group", "usmf|G9"))
	w.edit(plan.FO, "customer", "usmf|C6", custFO("Contact", "Fax"))
	w.run()
	w.edit(plan.DV, "customer", c1, vals("telephone1", "555-1"))
	w.remove(plan.FO, "customer", c1)
	w.run()
	st := w.e.State()
	sortState(st)
	stored := clone(t, w.store)
	sortState(&stored)
	stored.PlanDigest = st.PlanDigest
	if got, want := mustJSON(t, stored), mustJSON(t, st); got != want {
		t.Errorf("store from checkpoints:\n%s\nengine state:\n%s", got, want)
	}
	// And a new engine restored from it reports the same state.
	e2, err := New(w.p, Config{}, st)
	if err != nil {
		t.Fatal(err)
	}
	st2 := e2.State()
	sortState(st2)
	if got, want := mustJSON(t, st2), mustJSON(t, st); got != want {
		t.Errorf("restored state:\n%s\nwant:\n%s", got, want)
	}
}

func sortState(st *State) {
	for i := range st.Watermarks {
		st.Watermarks[i].Seq = 0 // per run; the token is what persists
	}
	slices.SortFunc(st.Records, func(a, b RecordState) int { return cmp.Or(cmp.Compare(a.Map, b.Map), cmp.Compare(a.Key, b.Key)) })
	slices.SortFunc(st.Errors, func(a, b ErrorEntry) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(st.Watermarks, func(a, b Watermark) int { return cmp.Or(cmp.Compare(a.Map, b.Map), cmp.Compare(a.Side, b.Side)) })
	if st.Records == nil {
		st.Records = []RecordState{}
	}
	if st.Errors == nil {
		st.Errors = []ErrorEntry{}
	}
	if st.Watermarks == nil {
		st.Watermarks = []Watermark{}
	}
}

// A park's age survives a restart: the timeout counts from the first park.
func TestRestartParkTimeout(t *testing.T) {
	w := newWorld(t, Config{})
	w.edit(plan.FO, "customer", "usmf|C5", custFO("Group", "usmf|G9"))
	w.run()
	parkedAt := w.now
	w.now = w.now.Add(9 * time.Minute)
	w.e.Tick(w.now)
	w.run()
	w.crash()
	w.now = parkedAt.Add(10*time.Minute + time.Second)
	w.e.Tick(w.now)
	w.run()
	if len(w.errs) != 1 {
		t.Fatalf("errors %v, want the dependency timeout", w.errs)
	}
	for _, en := range w.errs {
		if en.Class != Dependency {
			t.Errorf("error %+v, want class dependency", en)
		}
	}
}

// A crash between a create and its acknowledgement: the intent to create
// (the values sent) was persisted with the write, so that after the restart
// the engine's own copy is recognised and not paired with its source for
// the first time (which the master side would win over newer values).
func TestRestartCreate(t *testing.T) {
	const c2 = "usmf|C2"
	tests := []struct {
		name    string
		before  func(w *world) // before Dataverse's new customer is synced
		crash   func(w *world) // syncs it and crashes somewhere
		after   func(w *world) // edits after the crash
		foName  string         // the names both sides end with
		foPhone string
		initial int // first-pairing conflicts logged
	}{{
		name:  "the copy landed, then the source edited it",
		crash: func(w *world) { w.deliver(); w.readyOnce() },
		after: func(w *world) {
			w.edit(plan.DV, "customer", c2, vals("name", "Fabrikam Ltd"))
		},
		foName: "Fabrikam Ltd", foPhone: "555-0100",
	}, {
		name: "the copy landed, then both sides edited different fields",
		crash: func(w *world) {
			w.deliver()
			w.readyOnce()
			w.edit(plan.FO, "customer", c2, vals("Phone", "555-0199"))
		},
		after: func(w *world) {
			w.edit(plan.DV, "customer", c2, vals("name", "Fabrikam Ltd"))
		},
		foName: "Fabrikam Ltd", foPhone: "555-0199",
		initial: 1, // the phone: the engine cannot tell an edit of its copy
	}, {
		name: "the create was never sent",
		crash: func(w *world) {
			w.deliver()
			w.persist(w.e.Ready())
			w.e.Advance()
		},
		foName: "Fabrikam", foPhone: "555-0100",
	}, {
		name: "the create met a record created on f&o meanwhile: the master decides",
		before: func(w *world) {
			w.edit(plan.FO, "customer", c2, custFO("Name", "Fabrikam FO"))
		},
		crash: func(w *world) {
			w.deliver() // Dataverse's row: the create fails, and its answer is lost
			w.readyOnce()
		},
		foName: "Fabrikam FO", foPhone: "555-0100",
		initial: 1,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, Config{})
			w.edit(plan.DV, "customer", c2, custDV("name", "Fabrikam"))
			if tt.before != nil {
				tt.before(w)
			}
			tt.crash(w)
			w.crash()
			if tt.after != nil {
				tt.after(w)
			}
			w.run()
			for _, s := range []struct {
				side         plan.Side
				name, phone  string
				nameF, phonF string
			}{{plan.FO, tt.foName, tt.foPhone, "Name", "Phone"}, {plan.DV, tt.foName, tt.foPhone, "name", "telephone1"}} {
				if got := w.fieldOf(s.side, "customer", c2, s.nameF); got != String(s.name) {
					t.Errorf("%s name %v, want %q", s.side, got, s.name)
				}
				if got := w.fieldOf(s.side, "customer", c2, s.phonF); got != String(s.phone) {
					t.Errorf("%s phone %v, want %q", s.side, got, s.phone)
				}
			}
			initial := 0
			for _, c := range w.conflicts {
				if c.Rule == RuleInitial {
					initial++
				}
			}
			if initial != tt.initial || len(w.errs) != 0 || !w.e.Quiet() {
				t.Errorf("first pairings %d (want %d), errors %v, quiet %t", initial, tt.initial, w.errs, w.e.Quiet())
			}
		})
	}
}

// A round that ends while an observation waits for the record's next round
// is checkpointed although that next round starts at once: its
// observations settle (the feed's watermark passes them), so its outcome
// must be in the store.
func TestCheckpointBetweenRounds(t *testing.T) {
	w := newWorld(t, Config{})
	w.edit(plan.FO, "customer", c1, custFO())
	w.run()
	w.edit(plan.FO, "customer", c1, vals("Name", "X"))
	w.deliver() // the write of X is emitted
	w.edit(plan.FO, "customer", c1, vals("Name", "Y"))
	w.deliver()              // waits for the next round
	w.stepAll(w.readyOnce()) // X is written and acknowledged; Y's round starts
	w.readyOnce()            // Y's write is sent: the store must hold X's round
	i := slices.IndexFunc(w.store.Records, func(rs RecordState) bool { return rs.Key == c1 })
	if i < 0 {
		t.Fatal("record not in the store")
	}
	if v, _ := get(w.store.Records[i].FO.Base, "Name"); v != String("X") {
		t.Errorf("the store's F&O base has Name %v, want X (the round that settled)", v)
	}
	w.run()
	if got := w.fieldOf(plan.DV, "customer", c1, "name"); got != String("Y") {
		t.Errorf("Dataverse name %v, want Y", got)
	}
}

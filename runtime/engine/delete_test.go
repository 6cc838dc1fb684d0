package engine

import (
	"slices"
	"testing"
	"time"

	"github.com/dualsync/dualsync/runtime/plan"
)

func (h *harness) deleted(s plan.Side, m, key string, mod time.Time) {
	h.tb.Helper()
	h.step(Observed{Side: s, Map: m, Key: key, Deleted: true, Modified: mod})
}

// Semantic 9: deletes follow the plan per side (customer: F&O propagate,
// Dataverse review; contact: F&O ignore, Dataverse propagate), and a deleted
// record is never resurrected by a late update.
func TestDeletes(t *testing.T) {
	const p1 = "usmf|P1"
	tests := []struct {
		name      string
		setup     func(h *harness)
		run       func(h *harness)
		want      string
		errors    []Class
		conflicts int
		acct      Accounting // only the outcome counters are compared
	}{{
		name: "propagate: deleted on the other side with its version; the echo is quiet",
		run: func(h *harness) {
			h.deleted(plan.FO, "customer", c1, at(20))
			h.ackAll("")
			h.deleted(plan.DV, "customer", c1, time.Time{})
		},
		want: "dv delete customer usmf|C1 @d1\n",
		acct: Accounting{Observed: 2, Applied: 1, Suppressed: 1, Echo: 1},
	}, {
		name: "no resurrection by a late row on either side",
		run: func(h *harness) {
			h.deleted(plan.FO, "customer", c1, at(20))
			h.ackAll("")
			h.observe(plan.FO, "customer", c1, custFO("Name", "late"), "f2", at(15))
			h.observe(plan.DV, "customer", c1, custDV("name", "stale copy"), "d2", at(25))
		},
		want:      "dv delete customer usmf|C1 @d1\n",
		conflicts: 1, // the Dataverse update is reported, not applied
		acct:      Accounting{Observed: 3, Applied: 1, Suppressed: 2, Stale: 1, Tombstone: 1},
	}, {
		name: "a delete while the other side edits: the delete wins and is logged",
		run: func(h *harness) {
			h.deleted(plan.FO, "customer", c1, at(20))
			for _, w := range h.take().Writes {
				h.step(WriteFailed{WriteID: w.ID, Class: VersionMismatch, Status: 412})
			}
			h.observe(plan.DV, "customer", c1, custDV("name", "edited meanwhile"), "d2", at(21))
			h.ackAll("")
		},
		want:      "dv delete customer usmf|C1 @d1\ndv delete customer usmf|C1 @d2\n",
		conflicts: 1,
		acct:      Accounting{Observed: 2, Applied: 2},
	}, {
		name: "created again on the deleting side after the delete: a new record",
		run: func(h *harness) {
			h.deleted(plan.FO, "customer", c1, at(20))
			h.ackAll("")
			h.observe(plan.FO, "customer", c1, custFO("Name", "Reborn"), "f9", at(30))
		},
		want: "dv delete customer usmf|C1 @d1\n" +
			`dv upsert customer usmf|C1 create name="Reborn" telephone1="555-0100" contactmethod=192350001 creditlimit=100.5 groupid=null statuscode="Active" customertype=1 primarycontact=null source="fo"` + "\n",
		acct: Accounting{Observed: 2, Applied: 1, InFlight: 1},
	}, {
		name: "created again in the second of the delete: a new version is a new record",
		run: func(h *harness) {
			// F&O stamps modified times to the second.
			h.observe(plan.FO, "customer", c1, custFO("Name", "Last"), "f2", at(20))
			h.ackAll("d2")
			h.step(Observed{Side: plan.FO, Map: "customer", Key: c1, Deleted: true, Version: "f3", Modified: at(20)})
			h.ackAll("")
			h.observe(plan.FO, "customer", c1, custFO("Name", "Reborn"), "f4", at(20))
		},
		want: `dv upsert customer usmf|C1 @d1 name="Last"` + "\n" +
			"dv delete customer usmf|C1 @d2\n" +
			`dv upsert customer usmf|C1 create name="Reborn" telephone1="555-0100" contactmethod=192350001 creditlimit=100.5 groupid=null statuscode="Active" customertype=1 primarycontact=null source="fo"` + "\n",
		acct: Accounting{Observed: 3, Applied: 2, InFlight: 1},
	}, {
		name: "a late copy of the last row, in the second of the delete, does not re-create it",
		run: func(h *harness) {
			h.observe(plan.FO, "customer", c1, custFO("Name", "Last"), "f2", at(20))
			h.ackAll("d2")
			h.step(Observed{Side: plan.FO, Map: "customer", Key: c1, Deleted: true, Version: "f3", Modified: at(20)})
			h.ackAll("")
			h.observe(plan.FO, "customer", c1, custFO("Name", "Last"), "f2", at(20))
		},
		want: `dv upsert customer usmf|C1 @d1 name="Last"` + "\n" +
			"dv delete customer usmf|C1 @d2\n",
		conflicts: 1,
		acct:      Accounting{Observed: 3, Applied: 2, Suppressed: 1, Tombstone: 1},
	}, {
		name: "the echo of a propagated delete, after the record was created again, is checked by a read",
		run: func(h *harness) {
			h.deleted(plan.FO, "customer", c1, at(20))
			h.ackAll("")
			h.observe(plan.FO, "customer", c1, custFO("Name", "Reborn"), "f9", at(30))
			h.ackAll("d9")
			// Dataverse reports the old row's delete only now, by its id:
			// the key is the same.
			h.deleted(plan.DV, "customer", c1, time.Time{})
			if got, want := showReads(h.out.Reads), "dv customer usmf|C1\n"; got != want {
				h.tb.Fatalf("reads:\n%swant:\n%s", got, want)
			}
			h.answer(map[plan.Side]Observed{plan.DV: {Values: custDV("name", "Reborn"), Version: "d9", Modified: at(30)}})
		},
		want: "dv delete customer usmf|C1 @d1\n" +
			`dv upsert customer usmf|C1 create name="Reborn" telephone1="555-0100" contactmethod=192350001 creditlimit=100.5 groupid=null statuscode="Active" customertype=1 primarycontact=null source="fo"` + "\n",
		acct: Accounting{Observed: 4, Applied: 2, Suppressed: 2, Echo: 2},
	}, {
		name: "review: queued for a person, the other record stays",
		run: func(h *harness) {
			h.deleted(plan.DV, "customer", c1, time.Time{})
			h.observe(plan.FO, "customer", c1, custFO("Name", "edit under review"), "f2", at(30))
		},
		errors:    []Class{DeleteReview},
		conflicts: 1,
		acct:      Accounting{Observed: 2, Queued: 1, Suppressed: 1, Tombstone: 1},
	}, {
		name: "review, retried: the delete is propagated",
		run: func(h *harness) {
			h.deleted(plan.DV, "customer", c1, time.Time{})
			h.step(RetryError{ID: h.log.Errors[0].ID})
			h.ackAll("")
		},
		want:   "fo delete customer usmf|C1 @f1\n",
		errors: []Class{DeleteReview},
		acct:   Accounting{Observed: 1, Queued: 1},
	}, {
		name: "review, discarded: the pairing is forgotten",
		run: func(h *harness) {
			h.deleted(plan.DV, "customer", c1, time.Time{})
			h.step(DiscardError{ID: h.log.Errors[0].ID})
			h.observe(plan.FO, "customer", c1, custFO("Name", "kept"), "f2", at(30))
		},
		errors: []Class{DeleteReview},
		acct:   Accounting{Observed: 2, Queued: 1, Suppressed: 1, Tombstone: 1},
	}, {
		name: "ignore: the other side keeps its record, its edits no longer sync",
		setup: func(h *harness) {
			h.seed("contact", p1, vals("Name", "Ann", "Customer", c1), vals("fullname", "Ann", "parentcustomerid", c1))
		},
		run: func(h *harness) {
			h.deleted(plan.FO, "contact", p1, at(20))
			h.observe(plan.DV, "contact", p1, vals("fullname", "Ann B", "parentcustomerid", c1), "d2", at(30))
		},
		acct: Accounting{Observed: 2, Suppressed: 2, Unchanged: 1, Tombstone: 1},
	}, {
		name: "a delete of a record never seen keeps a late row out",
		run: func(h *harness) {
			h.deleted(plan.FO, "customer", "usmf|C8", at(20))
			h.observe(plan.DV, "customer", "usmf|C8", custDV(), "d1", at(10))
		},
		conflicts: 1,
		acct:      Accounting{Observed: 2, Suppressed: 2, Unchanged: 1, Tombstone: 1},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := seeded(t)
			if tt.setup != nil {
				tt.setup(h)
			}
			base := h.e.Accounting()
			tt.run(h)
			if got := show(h.log.Writes); got != tt.want {
				t.Errorf("writes:\n%s\nwant:\n%s", got, tt.want)
			}
			var classes []Class
			for _, en := range h.log.Errors {
				classes = append(classes, en.Class)
			}
			if len(classes) != len(tt.errors) || (len(classes) > 0 && classes[0] != tt.errors[0]) {
				t.Errorf("errors %v, want %v", classes, tt.errors)
			}
			if got := len(h.log.Conflicts); got != tt.conflicts {
				t.Errorf("%d conflicts, want %d: %+v", got, tt.conflicts, h.log.Conflicts)
			}
			for _, c := range h.log.Conflicts {
				if c.Rule != RuleDelete || c.Pos != h.e.byName[c.Map].pm.Pos || c.Why == "" {
					t.Errorf("conflict %+v: want a delete rule with the map's position", c)
				}
			}
			a := h.e.Accounting()
			got := Accounting{
				Observed: a.Observed - base.Observed, Applied: a.Applied - base.Applied, Queued: a.Queued - base.Queued,
				Suppressed: a.Suppressed - base.Suppressed, Echo: a.Echo - base.Echo, Stale: a.Stale - base.Stale,
				Tombstone: a.Tombstone - base.Tombstone, Unchanged: a.Unchanged - base.Unchanged, InFlight: a.InFlight,
			}
			if got != tt.acct {
				t.Errorf("accounting %+v\nwant %+v", got, tt.acct)
			}
		})
	}
}

// A record deleted on Dataverse (kept on F&O under review) and then on F&O
// is gone from both sides; F&O deleted last, so a later F&O row creates it
// again, on both sides, instead of being refused as a late update of the
// record Dataverse deleted.
func TestDeletedOnBothSidesCreatedAgain(t *testing.T) {
	w := newWorld(t, Config{})
	w.edit(plan.FO, "customer", c1, custFO())
	w.run()
	w.remove(plan.DV, "customer", c1)
	w.run()
	if len(w.errs) != 1 {
		t.Fatalf("error queue %v, want the delete under review", w.errs)
	}
	if fo, dv := w.e.Existing("customer", plan.FO), w.e.Existing("customer", plan.DV); !slices.Equal(fo, []string{c1}) || len(dv) != 0 {
		t.Fatalf("existing on fo %v, dv %v; want fo [%s] only", fo, dv, c1)
	}
	w.remove(plan.FO, "customer", c1)
	w.run()
	if len(w.errs) != 0 {
		t.Fatalf("error queue %v: deleted on both sides, nothing is left to review", w.errs)
	}
	w.edit(plan.FO, "customer", c1, custFO("Name", "Contoso Again"))
	w.run()
	if got := w.fieldOf(plan.DV, "customer", c1, "name"); got != String("Contoso Again") {
		t.Errorf("Dataverse name %v: the record created again on F&O did not sync", got)
	}
}

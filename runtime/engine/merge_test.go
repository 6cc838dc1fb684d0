package engine

import (
	"testing"
	"time"

	"github.com/dualsync/dualsync/runtime/plan"
)

// Semantic 1: the merge base. Only fields that really changed since the base,
// and that flow from the changed side, are written to the other side; the
// base moves when a write is acknowledged, not before.
func TestMergeBase(t *testing.T) {
	tests := []struct {
		name string
		run  func(h *harness)
		want string
	}{{
		name: "one changed field is written alone",
		run: func(h *harness) {
			h.observe(plan.FO, "customer", c1, custFO("Name", "Contoso Ltd"), "f2", at(10))
		},
		want: `dv upsert customer usmf|C1 @d1 name="Contoso Ltd"` + "\n",
	}, {
		name: "an unchanged row writes nothing",
		run: func(h *harness) {
			h.observe(plan.FO, "customer", c1, custFO(), "f2", at(10))
			h.observe(plan.DV, "customer", c1, custDV(), "d2", at(10))
		},
		want: "",
	}, {
		name: "an equal decimal in other digits is no change",
		run: func(h *harness) {
			h.observe(plan.FO, "customer", c1, custFO("Credit", MustDecimal("100.500")), "f2", at(10))
		},
		want: "",
	}, {
		name: "a dataverse change flows to f&o, converted",
		run: func(h *harness) {
			h.observe(plan.DV, "customer", c1, custDV("telephone1", "555-0199", "contactmethod", 192350002), "d2", at(10))
		},
		want: `fo upsert customer usmf|C1 @f1 Phone="555-0199" Contact="Phone"` + "\n",
	}, {
		name: "a field that does not flow from the side is not written to the other",
		run: func(h *harness) {
			// Status flows fo_to_dv: a Dataverse edit never reaches F&O (it is
			// overwritten on Dataverse instead, see TestOneWayField).
			h.observe(plan.DV, "customer", c1, custDV("statuscode", "Blocked"), "d2", at(10))
		},
		want: `dv upsert customer usmf|C1 @d2 statuscode="Active"` + "\n",
	}, {
		name: "a partial row compares only what it carries",
		run: func(h *harness) {
			h.observe(plan.FO, "customer", c1, vals("Phone", "555-0111"), "f2", at(10))
		},
		want: `dv upsert customer usmf|C1 @d1 telephone1="555-0111"` + "\n",
	}, {
		name: "the base moves when the write is acknowledged",
		run: func(h *harness) {
			h.observe(plan.FO, "customer", c1, custFO("Name", "Contoso Ltd"), "f2", at(10))
			h.ackAll("d2")
			h.observe(plan.FO, "customer", c1, custFO("Name", "Contoso Ltd"), "f3", at(11))
			h.observe(plan.DV, "customer", c1, custDV("name", "Contoso Ltd"), "d2", at(10))
		},
		want: `dv upsert customer usmf|C1 @d1 name="Contoso Ltd"` + "\n",
	}, {
		name: "the base stays when the write fails",
		run: func(h *harness) {
			h.observe(plan.FO, "customer", c1, custFO("Name", "Contoso Ltd"), "f2", at(10))
			for _, w := range h.take().Writes {
				h.step(WriteFailed{WriteID: w.ID, Class: Validation, Status: 400, Message: "name is too long"})
			}
			h.observe(plan.FO, "customer", c1, custFO("Name", "Contoso Ltd", "Phone", "555-0111"), "f3", at(11))
		},
		want: `dv upsert customer usmf|C1 @d1 name="Contoso Ltd"` + "\n" +
			`dv upsert customer usmf|C1 @d1 name="Contoso Ltd" telephone1="555-0111"` + "\n",
	}, {
		name: "a field the sides store differently is left alone",
		run: func(h *harness) {
			// Dataverse stored the name its own way (a plug-in): the base
			// pairs the two values, and an F&O edit of another field must
			// not send the name again.
			h.observe(plan.FO, "customer", c1, custFO("Name", "contoso"), "f2", at(10))
			for _, w := range h.take().Writes {
				h.step(WriteAcked{WriteID: w.ID, NewVersion: "d2", Stored: vals("name", "Contoso Ltd.")})
			}
			h.observe(plan.DV, "customer", c1, custDV("name", "Contoso Ltd."), "d2", at(11))
			h.observe(plan.FO, "customer", c1, custFO("Name", "contoso", "Phone", "555-0111"), "f3", at(12))
		},
		want: `dv upsert customer usmf|C1 @d1 name="contoso"` + "\n" +
			`dv upsert customer usmf|C1 @d2 telephone1="555-0111"` + "\n",
	}, {
		name: "a new record is created whole, with constants",
		run: func(h *harness) {
			h.observe(plan.FO, "customer", "usmf|C2", custFO("Name", "Fabrikam"), "f1", at(10))
		},
		want: `dv upsert customer usmf|C2 create name="Fabrikam" telephone1="555-0100" contactmethod=192350001 creditlimit=100.5 groupid=null statuscode="Active" customertype=1 primarycontact=null source="fo"` + "\n",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := seeded(t)
			tt.run(h)
			if got := show(h.log.Writes); got != tt.want {
				t.Errorf("writes:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// A create that ended in the error queue leaves its source side without a
// merge base. When the record then turns up on the other side (created
// there meanwhile), that is a first pairing: the engine reads the source
// side and the map's master decides, instead of taking the other side's
// row for the only change and overwriting the master's values.
func TestFirstPairingAfterQueuedCreate(t *testing.T) {
	const c2 = "usmf|C2"
	tests := []struct {
		name  string
		fail  Class
		tries int
	}{
		{"the create was refused", Validation, 1},
		{"the target was down", Transient, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := seeded(t)
			h.observe(plan.FO, "customer", c2, custFO("Name", "Fabrikam FO"), "f1", at(10))
			for range tt.tries {
				h.fail(tt.fail)
				h.tick(time.Minute)
			}
			if len(h.open()) != 1 {
				t.Fatalf("the create is not queued: %+v", h.log.Errors)
			}
			h.take()
			h.observe(plan.DV, "customer", c2, custDV("name", "Fabrikam DV"), "d1", at(20))
			if len(h.out.Writes) != 0 {
				t.Fatalf("written before the master's row was read:\n%s", show(h.out.Writes))
			}
			if got, want := showReads(h.out.Reads), "fo customer usmf|C2\n"; got != want {
				t.Fatalf("reads:\n%s\nwant:\n%s", got, want)
			}
			h.answer(map[plan.Side]Observed{plan.FO: {Values: custFO("Name", "Fabrikam FO"), Version: "f1", Modified: at(10)}})
			out := h.take()
			if got, want := show(out.Writes), `dv upsert customer usmf|C2 @d1 name="Fabrikam FO"`+"\n"; got != want {
				t.Errorf("writes:\n%s\nwant:\n%s", got, want)
			}
			if len(out.Conflicts) != 1 || out.Conflicts[0].Rule != RuleInitial || out.Conflicts[0].Winner != plan.FO {
				t.Errorf("conflicts %+v, want the first pairing won by the master", out.Conflicts)
			}
		})
	}
}

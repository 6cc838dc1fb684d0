package engine

import (
	"testing"

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

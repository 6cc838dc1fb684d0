package engine

import (
	"strings"
	"testing"

	"github.com/dualsync/dualsync/runtime/plan"
)

// Semantic 10: value transforms. Value maps in both directions, defaults for
// nulls, constants on create only; a value missing from a value map is an
// invalid-value error for that record while other records keep flowing.
func TestTransforms(t *testing.T) {
	tests := []struct {
		name  string
		run   func(h *harness)
		want  string
		err   string // "class side field" of the error entry
		line  int
		quiet bool
	}{{
		name: "enum member to choice",
		run:  func(h *harness) { h.observe(plan.FO, "customer", c1, custFO("Contact", "Phone"), "f2", at(10)) },
		want: `dv upsert customer usmf|C1 @d1 contactmethod=192350002` + "\n",
	}, {
		name: "choice to enum member",
		run:  func(h *harness) { h.observe(plan.DV, "customer", c1, custDV("contactmethod", 192350000), "d2", at(10)) },
		want: `fo upsert customer usmf|C1 @f1 Contact="Any"` + "\n",
	}, {
		name: "a null gets the target's default",
		run:  func(h *harness) { h.observe(plan.FO, "customer", c1, custFO("Type", nil), "f2", at(10)) },
		want: `dv upsert customer usmf|C1 @d1 customertype=3` + "\n",
	}, {
		name: "a null without a default stays null",
		run:  func(h *harness) { h.observe(plan.FO, "customer", c1, custFO("Phone", nil), "f2", at(10)) },
		want: `dv upsert customer usmf|C1 @d1 telephone1=null` + "\n",
	}, {
		name: "defaults fill what a new record lacks; constants only on create",
		run: func(h *harness) {
			h.observe(plan.FO, "customer", "usmf|C3", vals("Name", "Partial"), "f1", at(10))
			h.ackAll("d1")
			h.observe(plan.FO, "customer", "usmf|C3", vals("Name", "Partial 2"), "f2", at(11))
		},
		want: `dv upsert customer usmf|C3 create name="Partial" customertype=3 source="fo"` + "\n" +
			`dv upsert customer usmf|C3 @d1 name="Partial 2"` + "\n",
	}, {
		name: "a member missing from the value map is an invalid value; others flow",
		run: func(h *harness) {
			h.observe(plan.FO, "customer", c1, custFO("Contact", "Fax", "Phone", "555-1234"), "f2", at(10))
			h.observe(plan.FO, "customer", "usmf|C4", custFO("Contact", "Email"), "f1", at(10))
		},
		want: `dv upsert customer usmf|C4 create name="Contoso" telephone1="555-0100" contactmethod=192350001 creditlimit=100.5 groupid=null statuscode="Active" customertype=1 primarycontact=null source="fo"` + "\n",
		err:  "invalid-value dv contactmethod", line: 14,
	}, {
		name: "a choice missing from the value map is an invalid value",
		run:  func(h *harness) { h.observe(plan.DV, "customer", c1, custDV("contactmethod", 7), "d2", at(10)) },
		err:  "invalid-value fo Contact", line: 14,
	}, {
		name: "fixing the value resolves the entry",
		run: func(h *harness) {
			h.observe(plan.FO, "customer", c1, custFO("Contact", "Fax"), "f2", at(10))
			h.observe(plan.FO, "customer", c1, custFO("Contact", "Phone"), "f3", at(11))
			h.ackAll("d2")
			if len(h.log.Resolved) != 1 || h.log.Resolved[0] != h.log.Errors[0].ID {
				h.tb.Errorf("resolved %v, want the entry %s", h.log.Resolved, h.log.Errors[0].ID)
			}
		},
		want: `dv upsert customer usmf|C1 @d1 contactmethod=192350002` + "\n",
		err:  "invalid-value dv contactmethod", line: 14,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := seeded(t)
			tt.run(h)
			if got := show(h.log.Writes); got != tt.want {
				t.Errorf("writes:\n%s\nwant:\n%s", got, tt.want)
			}
			var errs []string
			for _, en := range h.log.Errors {
				errs = append(errs, string(en.Class)+" "+string(en.Side)+" "+en.Field)
				if en.Pos != pos(tt.line) || !strings.Contains(en.Message, "value map") {
					t.Errorf("entry %+v: want line %d and an explanation", en, tt.line)
				}
			}
			if got := strings.Join(errs, "\n"); got != tt.err {
				t.Errorf("errors %q, want %q", got, tt.err)
			}
		})
	}
}

package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/dualsync/dualsync/runtime/plan"
)

// Semantic 6: dependency order. A record whose first-pass lookup target is
// not on the target side yet is parked and released when the target is
// applied there; second-pass lookups follow in a second write once the
// record exists; a park older than the timeout becomes a dependency error.
func TestDependencyOrder(t *testing.T) {
	g1, c2, p1 := "usmf|G1", "usmf|C2", "usmf|P1"
	tests := []struct {
		name    string
		run     func(h *harness)
		want    string
		parked  []string // "map key side waiting"
		release []string // "map key side"
		errors  []string // "class field"
		acct    Accounting
	}{{
		name: "a customer before its group is parked and released when the group is created",
		run: func(h *harness) {
			h.observe(plan.FO, "customer", c2, custFO("Group", g1), "f1", at(10))
			if len(h.out.Writes) != 0 || h.e.Accounting().Parked != 1 {
				h.tb.Fatalf("not parked: writes %s, accounting %+v", show(h.out.Writes), h.e.Accounting())
			}
			h.observe(plan.FO, "group", g1, vals("Name", "Wholesale"), "f1", at(11))
			h.ackAll("d1") // the group is created; the customer is released
			h.ackAll("d1")
		},
		want: `dv upsert group usmf|G1 create name="Wholesale"` + "\n" +
			`dv upsert customer usmf|C2 create name="Contoso" telephone1="555-0100" contactmethod=192350001 creditlimit=100.5 groupid="usmf|G1" statuscode="Active" customertype=1 primarycontact=null source="fo"` + "\n",
		parked:  []string{"customer usmf|C2 dv group usmf|G1"},
		release: []string{"customer usmf|C2 dv"},
		acct:    Accounting{Observed: 2, Applied: 2},
	}, {
		name: "a group known on dataverse parks nothing",
		run: func(h *harness) {
			h.observe(plan.DV, "group", g1, vals("name", "Wholesale"), "d1", at(9))
			h.ackAll("f1")
			h.observe(plan.FO, "customer", c2, custFO("Group", g1), "f1", at(10))
		},
		want: `fo upsert group usmf|G1 create Name="Wholesale"` + "\n" +
			`dv upsert customer usmf|C2 create name="Contoso" telephone1="555-0100" contactmethod=192350001 creditlimit=100.5 groupid="usmf|G1" statuscode="Active" customertype=1 primarycontact=null source="fo"` + "\n",
		acct: Accounting{Observed: 2, Applied: 1, InFlight: 1},
	}, {
		name: "a parked record takes later edits and is written once",
		run: func(h *harness) {
			h.observe(plan.FO, "customer", c2, custFO("Group", g1), "f1", at(10))
			h.observe(plan.FO, "customer", c2, custFO("Group", g1, "Name", "Contoso 2"), "f2", at(12))
			h.observe(plan.FO, "group", g1, vals("Name", "Wholesale"), "f1", at(11))
			h.ackAll("d1")
			h.ackAll("d1")
		},
		want: `dv upsert group usmf|G1 create name="Wholesale"` + "\n" +
			`dv upsert customer usmf|C2 create name="Contoso 2" telephone1="555-0100" contactmethod=192350001 creditlimit=100.5 groupid="usmf|G1" statuscode="Active" customertype=1 primarycontact=null source="fo"` + "\n",
		parked:  []string{"customer usmf|C2 dv group usmf|G1"},
		release: []string{"customer usmf|C2 dv"},
		acct:    Accounting{Observed: 3, Applied: 3},
	}, {
		name: "a cycle is written in two passes",
		run: func(h *harness) {
			// The customer names its primary contact, the contact its customer.
			h.observe(plan.FO, "customer", c2, custFO("Primary", p1), "f1", at(10))
			h.ackAll("d1") // created without the second-pass lookup, which parks
			h.observe(plan.FO, "contact", p1, vals("Name", "Ann", "Customer", c2), "f1", at(11))
			h.ackAll("d1") // the contact exists: the customer's second pass goes
			h.ackAll("d2")
		},
		want: `dv upsert customer usmf|C2 create name="Contoso" telephone1="555-0100" contactmethod=192350001 creditlimit=100.5 groupid=null statuscode="Active" customertype=1 source="fo"` + "\n" +
			`dv upsert contact usmf|P1 create fullname="Ann" parentcustomerid="usmf|C2"` + "\n" +
			`dv upsert customer usmf|C2 @d1 pass2 primarycontact="usmf|P1"` + "\n",
		parked:  []string{"customer usmf|C2 dv contact usmf|P1"},
		release: []string{"customer usmf|C2 dv"},
		acct:    Accounting{Observed: 2, Applied: 2},
	}, {
		name: "a second pass to a known record follows at once",
		run: func(h *harness) {
			h.observe(plan.FO, "contact", p1, vals("Name", "Ann", "Customer", nil), "f1", at(9))
			h.ackAll("d1")
			h.observe(plan.FO, "customer", c2, custFO("Primary", p1), "f1", at(10))
			h.ackAll("d1")
			h.ackAll("d2")
		},
		want: `dv upsert contact usmf|P1 create fullname="Ann" parentcustomerid=null` + "\n" +
			`dv upsert customer usmf|C2 create name="Contoso" telephone1="555-0100" contactmethod=192350001 creditlimit=100.5 groupid=null statuscode="Active" customertype=1 source="fo"` + "\n" +
			`dv upsert customer usmf|C2 @d1 pass2 primarycontact="usmf|P1"` + "\n",
		acct: Accounting{Observed: 2, Applied: 2},
	}, {
		name: "a park older than the timeout is a dependency error; others flow",
		run: func(h *harness) {
			h.observe(plan.FO, "customer", c2, custFO("Group", g1), "f1", at(10))
			h.tick(9 * time.Minute)
			if len(h.out.Errors) != 0 {
				h.tb.Fatal("timed out early")
			}
			h.tick(2 * time.Minute)
			h.observe(plan.FO, "customer", c1, custFO("Name", "Still flowing"), "f2", at(20))
		},
		want:   `dv upsert customer usmf|C1 @d1 name="Still flowing"` + "\n",
		parked: []string{"customer usmf|C2 dv group usmf|G1"},
		errors: []string{"dependency groupid"},
		acct:   Accounting{Observed: 2, Queued: 1, InFlight: 1},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := seeded(t)
			base := h.e.Accounting()
			tt.run(h)
			if got := show(h.log.Writes); got != tt.want {
				t.Errorf("writes:\n%s\nwant:\n%s", got, tt.want)
			}
			var parked, released, errs []string
			for _, p := range h.log.Parked {
				var ws []string
				for _, d := range p.Waiting {
					ws = append(ws, d.Map+" "+d.Key)
				}
				parked = append(parked, p.Map+" "+p.Key+" "+string(p.Side)+" "+strings.Join(ws, ","))
			}
			for _, r := range h.log.Released {
				released = append(released, r.Map+" "+r.Key+" "+string(r.Side))
			}
			for _, en := range h.log.Errors {
				errs = append(errs, string(en.Class)+" "+en.Field)
				if en.Pos != pos(18) || !strings.Contains(en.Message, "group usmf|G1") {
					t.Errorf("error entry lacks position or cause: %+v", en)
				}
			}
			for _, c := range []struct {
				what      string
				got, want []string
			}{{"parked", parked, tt.parked}, {"released", released, tt.release}, {"errors", errs, tt.errors}} {
				if strings.Join(c.got, "\n") != strings.Join(c.want, "\n") {
					t.Errorf("%s:\n%s\nwant:\n%s", c.what, strings.Join(c.got, "\n"), strings.Join(c.want, "\n"))
				}
			}
			a := h.e.Accounting()
			got := Accounting{Observed: a.Observed - base.Observed, Applied: a.Applied - base.Applied,
				Queued: a.Queued - base.Queued, Parked: a.Parked, InFlight: a.InFlight}
			if got != tt.acct {
				t.Errorf("accounting %+v\nwant %+v", got, tt.acct)
			}
		})
	}
}

// A map's own park timeout from the plan overrides Config.ParkTimeout.
func TestPlanParkTimeout(t *testing.T) {
	p := testPlan(t)
	p.MapByName("customer").ParkTimeoutMS = (2 * time.Minute).Milliseconds()
	e, err := New(p, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.Tick(t0)
	h := &harness{tb: t, e: e}
	h.seed("customer", c1, custFO(), custDV())
	h.observe(plan.FO, "customer", "usmf|C2", custFO("Group", "usmf|G1"), "f1", at(10))
	h.tick(1 * time.Minute)
	if len(h.out.Errors) != 0 {
		t.Fatal("timed out before the map's park timeout")
	}
	h.tick(2 * time.Minute)
	if len(h.out.Errors) != 1 || h.out.Errors[0].Class != Dependency {
		t.Fatalf("errors after the map's 2m park timeout = %+v, want one dependency error (the 10m default would not fire yet)", h.out.Errors)
	}
}

// A record created without its second-pass lookup holds null there by the
// engine's doing. When the created record comes back through the feed while
// the second pass is parked, that null is no edit: it must not win a first
// pairing over the source's lookup, which is still to be written.
func TestSecondPassAfterEcho(t *testing.T) {
	const c2, p1 = "usmf|C2", "usmf|P1"
	tests := []struct {
		name string
		echo map[string]Value // the created F&O row as it comes back
		ver  string
	}{
		{"the echo of the create", custFO(), "f1"},
		{"the created row edited on f&o since", custFO("Phone", "555-0199"), "f2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := seeded(t)
			h.observe(plan.DV, "customer", c2, custDV("primarycontact", p1), "d1", at(10))
			h.ackAll("f1") // created on F&O; the second pass waits for the contact
			h.observe(plan.FO, "customer", c2, tt.echo, tt.ver, at(11))
			for _, w := range h.out.Writes {
				if w.Side == plan.DV {
					if v, ok := get(w.Values, "primarycontact"); ok {
						t.Fatalf("the lookup is overwritten with %s on dataverse:\n%s", v, show(h.out.Writes))
					}
				}
			}
			h.ackAll("d2")
			h.observe(plan.DV, "contact", p1, vals("fullname", "Ann", "parentcustomerid", c2), "d1", at(12))
			h.ackAll("f1") // the contact is created on F&O: the second pass goes
			out := h.take()
			want := `fo upsert customer usmf|C2 @` + tt.ver + ` pass2 Primary="usmf|P1"` + "\n"
			if got := show(out.Writes); got != want {
				t.Errorf("writes after the contact:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// A lookup to a record that was deleted on the other side, with the delete
// propagated, waits: the record is on its way out of the target.
func TestLookupToDeletedRecord(t *testing.T) {
	h := seeded(t)
	h.deleted(plan.FO, "customer", c1, at(20)) // the delete to Dataverse is in flight
	h.take()
	h.observe(plan.FO, "contact", "usmf|P1", vals("Name", "Ann", "Customer", c1), "f1", at(21))
	if ws := h.take().Writes; len(ws) != 0 {
		t.Errorf("written with a lookup to a deleted record:\n%s", show(ws))
	}
	if a := h.e.Accounting(); a.Parked != 1 {
		t.Errorf("accounting %+v, want the contact parked", a)
	}
}

package engine

import (
	"testing"

	"github.com/dualsync/dualsync/runtime/plan"
)

func TestAccountingCheck(t *testing.T) {
	tests := []struct {
		a  Accounting
		ok bool
	}{
		{Accounting{}, true},
		{Accounting{Observed: 5, Applied: 1, Suppressed: 2, Echo: 2, Queued: 1, Parked: 1}, true},
		{Accounting{Observed: 5, Applied: 1, Suppressed: 2, Echo: 2, Queued: 1}, false},
		{Accounting{Observed: 2, Suppressed: 2, Echo: 1}, false},
		{Accounting{Observed: 0, InFlight: 1, Parked: -1}, false},
	}
	for _, tt := range tests {
		if err := tt.a.Check(); (err == nil) != tt.ok {
			t.Errorf("Check(%+v) = %v, want ok %t", tt.a, err, tt.ok)
		}
	}
}

// Semantic 8: every observed change ends exactly one way. The identity is
// checked at every Ready by the world; here at each quiet point the totals
// must also match what happened, with nothing left in flight.
func TestAccounting(t *testing.T) {
	type want struct{ applied, queued, parked int64 }
	w := newWorld(t, Config{})
	stage := func(name string, wt want) {
		t.Helper()
		w.run()
		a := w.e.Accounting()
		if err := a.Check(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if a.Observed != w.stepped || a.InFlight != 0 {
			t.Errorf("%s: observed %d (world stepped %d), in flight %d", name, a.Observed, w.stepped, a.InFlight)
		}
		if a.Applied != wt.applied || a.Queued != wt.queued || a.Parked != wt.parked {
			t.Errorf("%s: applied %d, queued %d, parked %d; want %+v (%+v)", name, a.Applied, a.Queued, a.Parked, wt, a)
		}
	}

	// A new customer is applied; its echo is suppressed.
	w.edit(plan.FO, "customer", c1, custFO())
	stage("create", want{applied: 1})
	if a := w.e.Accounting(); a.Echo != 1 {
		t.Errorf("echo %d, want 1", a.Echo)
	}

	// In flight while the write is pending.
	w.edit(plan.FO, "customer", c1, vals("Name", "Contoso 2"))
	w.stepAll([]Event{w.observed(w.queue[0], 0)})
	w.queue = w.queue[1:]
	if a := w.e.Accounting(); a.InFlight != 1 || a.Check() != nil {
		t.Errorf("pending write: %+v, want one in flight", a)
	}
	stage("update", want{applied: 2})

	// An invalid value is queued; other records keep flowing.
	w.edit(plan.FO, "customer", c1, vals("Contact", "Fax"))
	w.edit(plan.FO, "customer", "usmf|C2", custFO("Name", "Fabrikam"))
	stage("invalid", want{applied: 3, queued: 1})

	// A customer before its group is parked, and counted once released.
	w.edit(plan.FO, "customer", "usmf|C5", custFO("Group", "usmf|G9"))
	stage("parked", want{applied: 3, queued: 1, parked: 1})
	w.edit(plan.FO, "customer", "usmf|C5", vals("Name", "Parked again"))
	stage("parked, edited", want{applied: 3, queued: 1, parked: 2})
	w.edit(plan.FO, "group", "usmf|G9", vals("Name", "Retail"))
	stage("released", want{applied: 6, queued: 1})

	// A change from Dataverse, and nothing left to do.
	w.edit(plan.DV, "customer", "usmf|C2", vals("telephone1", "555-4444"))
	stage("dataverse", want{applied: 7, queued: 1})
	if !w.e.Quiet() {
		t.Error("engine not quiet")
	}
}

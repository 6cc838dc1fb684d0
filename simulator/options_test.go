package simulator

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator/fake"
)

// busy runs a small history with a fault, an invalid value in the error
// queue, a crash and a restart in a world configured with cfg.
func busy(t testing.TB, cfg Config) *World {
	t.Helper()
	cfg.FO.Extra = []fake.Members{{Set: "CustomersV3", Field: "PreferredContactMethod", Values: []string{"Pager"}}}
	w := world(t, 5, cfg)
	if err := w.SetFault(plan.DV, fake.Fault{Kind: fake.FaultTransient, Map: "customer", Rate: 0.5}, time.Minute); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"usmf|C1", "usmf|C2", "usmf|C3"} {
		put(t, w, plan.FO, "customer", k, "OrganizationName", "n "+k, "CustomerGroupId", "10")
	}
	put(t, w, plan.FO, "customer", "usmf|C4", "OrganizationName", "bad", "PreferredContactMethod", "Pager")
	run(t, w)
	put(t, w, plan.DV, "customer", "usmf|C1", "name", "dv", "address1_city", "Oslo")
	w.CrashAt(AfterApply, 1)
	run(t, w)
	if err := w.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := w.Delete(plan.FO, "customer", "usmf|C2"); err != nil {
		t.Fatal(err)
	}
	run(t, w)
	return w
}

// NoTrace changes nothing but the trace: the same writes, records,
// errors and accounting, and no trace at all. The default keeps it.
func TestNoTrace(t *testing.T) {
	on, off := busy(t, Config{}), busy(t, Config{NoTrace: true})
	if len(on.Trace()) == 0 || !bytes.Contains(on.Trace(), []byte("crash after-apply")) {
		t.Fatalf("default trace:\n%s", on.Trace())
	}
	if tr := off.Trace(); len(tr) != 0 {
		t.Errorf("NoTrace world traced:\n%s", tr)
	}
	if !reflect.DeepEqual(on.Writes(), off.Writes()) {
		t.Errorf("writes differ:\n%+v\n%+v", on.Writes(), off.Writes())
	}
	for _, s := range []plan.Side{plan.FO, plan.DV} {
		if a, b := on.Rows(s, "customer"), off.Rows(s, "customer"); !reflect.DeepEqual(a, b) {
			t.Errorf("%s rows differ:\n%+v\n%+v", s, a, b)
		}
	}
	if !reflect.DeepEqual(on.Errors(), off.Errors()) || len(on.Errors()) == 0 {
		t.Errorf("errors: %+v and %+v", on.Errors(), off.Errors())
	}
	if on.Accounting() != off.Accounting() || on.Elapsed() != off.Elapsed() {
		t.Errorf("accounting %+v at %s and %+v at %s", on.Accounting(), on.Elapsed(), off.Accounting(), off.Elapsed())
	}
}

// PutRow returns the record as the side stored it: what Get returns next.
func TestPutRow(t *testing.T) {
	w := world(t, 1, Config{})
	for _, s := range []plan.Side{plan.FO, plan.DV} {
		field := map[plan.Side]string{plan.FO: "OrganizationName", plan.DV: "name"}[s]
		row, err := w.PutRow(s, "customer", "usmf|C1", map[string]engine.Value{field: str("Contoso")})
		if err != nil {
			t.Fatal(err)
		}
		got, ok := w.Get(s, "customer", "usmf|C1")
		if !ok || !reflect.DeepEqual(row, got) {
			t.Errorf("%s: PutRow returned\n%+v\nGet returns\n%+v", s, row, got)
		}
		if row.ETag == "" || row.Modified.IsZero() {
			t.Errorf("%s: no version or modified time: %+v", s, row)
		}
	}
	if row, err := w.PutRow(plan.FO, "customer", "usmf|C2", map[string]engine.Value{"NoSuchField": str("x")}); err == nil || row.Key != "" {
		t.Errorf("refused put: %+v, %v", row, err)
	}
}

// RetryError and DiscardError act on the queue and leave a trace line.
func TestQueueActionsAreTraced(t *testing.T) {
	w := busy(t, Config{})
	errs := w.Errors()
	if len(errs) == 0 {
		t.Fatal("no error-queue entry")
	}
	id := errs[0].ID
	if err := w.RetryError(id); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(w.Trace(), []byte("queue retry "+id)) {
		t.Errorf("trace lacks the retry of %s", id)
	}
	run(t, w)
	errs = w.Errors()
	if len(errs) == 0 {
		t.Fatal("the invalid value left the queue on retry")
	}
	id = errs[0].ID
	if err := w.DiscardError(id); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(w.Trace(), []byte("queue discard "+id)) {
		t.Errorf("trace lacks the discard of %s", id)
	}
	if err := w.RetryError("no-such-entry"); err == nil {
		t.Error("retry of an unknown entry: no error")
	}
	w.Crash()
	if err := w.RetryError(id); err != ErrDown {
		t.Errorf("retry while down: %v, want ErrDown", err)
	}
}

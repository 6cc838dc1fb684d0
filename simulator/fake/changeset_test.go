package fake

import (
	"errors"
	"reflect"
	"testing"

	"github.com/dualsync/dualsync/runtime/engine"
)

var errAbort = errors.New("abort")

func TestFOAtomicRollsBack(t *testing.T) {
	s, _ := newFO(t, Config{})
	w := s.Wire()
	must[Row](t)(s.Put("CustomersV3", "usmf|C1", vals("OrganizationName", "One")))
	must[Row](t)(s.Put("CustomersV3", "usmf|C2", vals("OrganizationName", "Two")))
	before := s.Rows("CustomersV3")
	tombsBefore := len(s.sets["CustomersV3"].tombs)
	verBefore := s.ver

	err := w.Atomic(func(tx *FOTx) error {
		if _, err := tx.Create("CustomersV3", vals("dataAreaId", "usmf", "CustomerAccount", "C3", "OrganizationName", "Three")); err != nil {
			return err
		}
		if _, err := tx.Update("CustomersV3", usmfC1, "", vals("OrganizationName", "Changed")); err != nil {
			return err
		}
		if err := tx.Delete("CustomersV3", Key{"dataAreaId": engine.String("usmf"), "CustomerAccount": engine.String("C2")}, ""); err != nil {
			return err
		}
		// Creating C1 again fails: the change set is rolled back.
		_, err := tx.Create("CustomersV3", vals("dataAreaId", "usmf", "CustomerAccount", "C1"))
		return err
	})
	if e := asError(t, err); e.Status != 500 {
		t.Fatalf("failing create: status %d, want 500", e.Status)
	}
	if got := s.Rows("CustomersV3"); !reflect.DeepEqual(got, before) {
		t.Errorf("rows after rollback:\n got %+v\nwant %+v", got, before)
	}
	if n := len(s.sets["CustomersV3"].tombs); n != tombsBefore {
		t.Errorf("tombstones after rollback: %d, want %d", n, tombsBefore)
	}
	if s.ver != verBefore {
		t.Errorf("version after rollback: %d, want %d", s.ver, verBefore)
	}

	// A change set that succeeds keeps its writes.
	if err := w.Atomic(func(tx *FOTx) error {
		_, err := tx.Update("CustomersV3", usmfC1, "", vals("OrganizationName", "Kept"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.Get("CustomersV3", "usmf|C1"); text(r.Values["OrganizationName"]) != "Kept" {
		t.Errorf("committed update lost: %v", r.Values["OrganizationName"])
	}
}

func TestDVAtomicRollsBack(t *testing.T) {
	s, _ := newDV(t, Config{})
	w := s.Wire()
	must[Row](t)(s.Put("accounts", "usmf|A1", vals("name", "One")))
	must[Row](t)(s.Put("accounts", "usmf|A2", vals("name", "Two")))
	must[Row](t)(s.Put("contacts", "usmf|K1", vals("lastname", "Kim", "parentcustomerid", "usmf|A2")))
	before := s.Rows("accounts")
	contactsBefore := s.Rows("contacts")
	tok := must[DeltaPage](t)(w.Changes("accounts", "", 0)).Token
	verBefore := s.ver
	a1, a2, a3 := acct(t, s, "A1"), acct(t, s, "A2"), acct(t, s, "A3")

	err := w.Atomic(func(tx *DVTx) error {
		if _, _, err := tx.Upsert("accounts", a3, vals("name", "Three"), UpsertOptions{}); err != nil {
			return err
		}
		if _, _, err := tx.Upsert("accounts", a1, vals("name", "Changed"), UpsertOptions{}); err != nil {
			return err
		}
		if err := tx.Delete("accounts", a2, ""); err != nil {
			return err
		}
		if _, err := tx.Create("accounts", vals("accountnumber", "A4", "name", "Four",
			"msdyn_company@odata.bind", "/cdm_companies("+s.companies["usmf"]+")")); err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("Atomic: %v, want the function's error", err)
	}
	if got := s.Rows("accounts"); !reflect.DeepEqual(got, before) {
		t.Errorf("rows after rollback:\n got %+v\nwant %+v", got, before)
	}
	if s.ver != verBefore {
		t.Errorf("version after rollback: %d, want %d", s.ver, verBefore)
	}
	// Deleting A2 cleared the contact's lookup; the rollback restores it.
	if got := s.Rows("contacts"); !reflect.DeepEqual(got, contactsBefore) {
		t.Errorf("contacts after rollback:\n got %+v\nwant %+v", got, contactsBefore)
	}
	page := must[DeltaPage](t)(w.Changes("accounts", tok, 0))
	if len(page.Rows) != 0 {
		t.Errorf("change feed after rollback: %+v, want nothing", page.Rows)
	}
	if _, ok := s.DeletedKey("accounts", before[1].ID); !ok {
		t.Errorf("deleted-and-restored record unknown")
	}
}

func TestWireSchema(t *testing.T) {
	s, _ := newDV(t, Config{})
	var acc *SetInfo
	for _, si := range s.Schema() {
		if si.Name == "accounts" {
			acc = &si
		}
	}
	if acc == nil {
		t.Fatal("no accounts in the schema")
	}
	if acc.PrimaryID != "accountid" || acc.Company != "msdyn_company" {
		t.Errorf("accounts: primary id %q, company %q", acc.PrimaryID, acc.Company)
	}
	if f := acc.Field("primarycontactid"); f == nil || f.Target != "contacts" {
		t.Errorf("primarycontactid: %+v", f)
	}
	if f := acc.Field("msdyn_company"); f == nil || f.Target != CompanySet || !f.Company {
		t.Errorf("msdyn_company: %+v", f)
	}
	if f := acc.Field("preferredcontactmethodcode"); f == nil || len(f.Choices) == 0 {
		t.Errorf("preferredcontactmethodcode: %+v", f)
	}
}

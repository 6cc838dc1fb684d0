package fake

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
)

// Deleting a referenced record clears the lookups that pointed to it
// ("remove link"), as a write: the referencing records get new versions
// and modifiedon and appear on the change feed, and the user and the
// connector both read the lookup as empty.
func TestDVDeleteClearsLookups(t *testing.T) {
	s, clock := newDV(t, Config{})
	must[Row](t)(s.Put("contacts", "usmf|CP1", vals("lastname", "One")))
	must[Row](t)(s.Put("contacts", "usmf|CP2", vals("lastname", "Two")))
	c1 := must[Row](t)(s.Put("accounts", "usmf|C1", vals("name", "A", "primarycontactid", "usmf|CP1")))
	c2 := must[Row](t)(s.Put("accounts", "usmf|C2", vals("name", "B", "primarycontactid", "usmf|CP1")))
	c3 := must[Row](t)(s.Put("accounts", "usmf|C3", vals("name", "C", "primarycontactid", "usmf|CP2")))
	tok := must[DeltaPage](t)(s.API().Changes("accounts", "", 0)).Token
	clock.Advance(5 * time.Second)

	if err := s.Delete("contacts", "usmf|CP1"); err != nil {
		t.Fatal(err)
	}
	for _, was := range []Row{c1, c2} {
		row, _ := s.Get("accounts", was.Key)
		if v := row.Values["primarycontactid"]; !v.IsNull() {
			t.Errorf("%s: primarycontactid %s after its contact was deleted, want null", was.Key, v)
		}
		if row.Version <= was.Version || !row.Modified.After(was.Modified) {
			t.Errorf("%s: version %d modified %v, want a new version and modifiedon", was.Key, row.Version, row.Modified)
		}
		if v := row.Values["name"]; !v.Equal(was.Values["name"]) {
			t.Errorf("%s: name %s changed", was.Key, v)
		}
	}
	if row, _ := s.Get("accounts", "usmf|C3"); row.Version != c3.Version || !row.Values["primarycontactid"].Equal(engine.String("usmf|CP2")) {
		t.Errorf("an account of another contact changed: %+v", row)
	}
	page := must[DeltaPage](t)(s.API().Changes("accounts", tok, 0))
	if len(page.Rows) != 2 || page.Rows[0].Key != "usmf|C1" || page.Rows[1].Key != "usmf|C2" {
		t.Fatalf("change feed after the delete: %+v, want usmf|C1 and usmf|C2", page.Rows)
	}
	c := NewDVConnector(s, s.plan, ConnectorConfig{})
	o := must[engine.Observed](t)(c.Read(ctx, s.plan.MapByName("customer"), "usmf|C1"))
	if v := o.Values["primarycontactid"]; !v.IsNull() {
		t.Errorf("connector reads primarycontactid %s, want null", v)
	}
}

// A change set that deletes a referenced record and then fails puts the
// cleared lookups back, with their versions and the change feed.
func TestDVAtomicRollsBackClearedLookups(t *testing.T) {
	s, _ := newDV(t, Config{})
	w := s.Wire()
	must[Row](t)(s.Put("contacts", "usmf|CP1", vals("lastname", "One")))
	must[Row](t)(s.Put("accounts", "usmf|C1", vals("name", "A", "primarycontactid", "usmf|CP1")))
	before := s.Rows("accounts")
	tok := must[DeltaPage](t)(w.Changes("accounts", "", 0)).Token
	verBefore := s.ver
	cp, _ := s.Get("contacts", "usmf|CP1")
	err := w.Atomic(func(tx *DVTx) error {
		if err := tx.Delete("contacts", Addr{ID: cp.ID}, ""); err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("Atomic: %v", err)
	}
	if got := s.Rows("accounts"); !reflect.DeepEqual(got, before) {
		t.Errorf("accounts after rollback:\n got %+v\nwant %+v", got, before)
	}
	if s.ver != verBefore {
		t.Errorf("version after rollback: %d, want %d", s.ver, verBefore)
	}
	if page := must[DeltaPage](t)(w.Changes("accounts", tok, 0)); len(page.Rows) != 0 {
		t.Errorf("change feed after rollback: %+v, want nothing", page.Rows)
	}
	// Committed, the same delete clears the lookup.
	if err := w.Atomic(func(tx *DVTx) error { return tx.Delete("contacts", Addr{ID: cp.ID}, "") }); err != nil {
		t.Fatal(err)
	}
	if row, _ := s.Get("accounts", "usmf|C1"); !row.Values["primarycontactid"].IsNull() {
		t.Errorf("committed delete left primarycontactid %s", row.Values["primarycontactid"])
	}
}

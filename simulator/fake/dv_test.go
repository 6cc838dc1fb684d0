package fake

import (
	"strings"
	"testing"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
)

// acct addresses account C1 of company usmf on s.
func acct(tb testing.TB, s *DV, account string) Addr {
	tb.Helper()
	id := must[string](tb)(s.API().Company("usmf"))
	return Addr{Key: Key{"msdyn_company": engine.String(id), "accountnumber": engine.String(account)}}
}

func TestDVWrites(t *testing.T) {
	tests := []struct {
		name   string
		cfg    Config
		seed   bool // create account C1 first
		do     func(a DVAPI, at Addr) error
		status int
		code   string
		class  engine.Class
		field  string
		text   string
	}{
		{name: "upsert creates", do: func(a DVAPI, at Addr) error {
			_, created, err := a.Upsert("accounts", at, vals("name", "Contoso"), UpsertOptions{})
			if err == nil && !created {
				t.Error("upsert of a new key did not create")
			}
			return err
		}},
		{name: "upsert updates", seed: true, do: func(a DVAPI, at Addr) error {
			_, created, err := a.Upsert("accounts", at, vals("name", "Fabrikam"), UpsertOptions{})
			if err == nil && created {
				t.Error("upsert of an existing key created")
			}
			return err
		}},
		{name: "create only, exists", seed: true, status: 412, code: dsruntime.CodeRecordExists, class: engine.VersionMismatch,
			text: "A record with matching key values already exists.",
			do: func(a DVAPI, at Addr) error {
				_, _, err := a.Upsert("accounts", at, vals("name", "X"), UpsertOptions{IfNoneMatch: "*"})
				return err
			}},
		{name: "update only, missing", status: 404, class: engine.VersionMismatch,
			do: func(a DVAPI, at Addr) error {
				_, _, err := a.Upsert("accounts", at, vals("name", "X"), UpsertOptions{IfMatch: "*"})
				return err
			}},
		{name: "stale version", seed: true, status: 412, code: dsruntime.CodeVersionMismatch, class: engine.VersionMismatch,
			text: "The version of the existing record doesn't match the RowVersion property provided.",
			do: func(a DVAPI, at Addr) error {
				_, _, err := a.Upsert("accounts", at, vals("name", "X"), UpsertOptions{IfMatch: `W/"1"`})
				return err
			}},
		{name: "choice out of range", status: 400, code: dsruntime.CodeChoiceOutOfRange, class: engine.Validation,
			text: "is outside the valid range. Accepted Values: 1,2,3,4,5",
			do: func(a DVAPI, at Addr) error {
				_, _, err := a.Upsert("accounts", at, vals("preferredcontactmethodcode", 7), UpsertOptions{})
				return err
			}},
		{name: "extra choice", cfg: Config{Extra: []Members{{Set: "accounts", Field: "preferredcontactmethodcode", Values: []string{"7"}}}},
			do: func(a DVAPI, at Addr) error {
				_, _, err := a.Upsert("accounts", at, vals("preferredcontactmethodcode", 7), UpsertOptions{})
				return err
			}},
		{name: "unknown property", status: 400, class: engine.MissingMapping, field: "fax",
			text: "Could not find a property named 'fax' on type 'Microsoft.Dynamics.CRM.account'.",
			do: func(a DVAPI, at Addr) error {
				_, _, err := a.Upsert("accounts", at, vals("fax", "1"), UpsertOptions{})
				return err
			}},
		{name: "dropped field", cfg: Config{Drop: []FieldRef{{"accounts", "msdyn_customergroupid"}}},
			status: 400, class: engine.MissingMapping, field: "msdyn_customergroupid",
			do: func(a DVAPI, at Addr) error {
				_, _, err := a.Upsert("accounts", at, vals("msdyn_customergroupid", "10"), UpsertOptions{})
				return err
			}},
		{name: "too long", status: 400, code: dsruntime.CodeMaxLengthExceeded, class: engine.Validation,
			text: "exceeded the maximum allowed length of '10'",
			do: func(a DVAPI, at Addr) error {
				_, _, err := a.Upsert("accounts", at, vals("msdyn_customergroupid", "ABCDEFGHIJK"), UpsertOptions{})
				return err
			}},
		{name: "required", cfg: Config{Required: []FieldRef{{"accounts", "name"}}}, status: 400, class: engine.Validation, text: "is required",
			do: func(a DVAPI, at Addr) error {
				_, _, err := a.Upsert("accounts", at, vals("address1_city", "Oslo"), UpsertOptions{})
				return err
			}},
		{name: "plug-in", cfg: Config{Faults: []Fault{{Kind: FaultPlugin, Set: "accounts", Field: "name", Value: "Bad", Message: "Name is blocked."}}},
			status: 400, code: dsruntime.CodePluginException, class: engine.Plugin, text: "Name is blocked.",
			do: func(a DVAPI, at Addr) error {
				_, _, err := a.Upsert("accounts", at, vals("name", "Bad"), UpsertOptions{})
				return err
			}},
		{name: "plug-in on any write", cfg: Config{Faults: []Fault{{Kind: FaultPlugin, Set: "accounts"}}},
			status: 400, class: engine.Plugin,
			do: func(a DVAPI, at Addr) error {
				_, _, err := a.Upsert("accounts", at, vals("name", "Fine"), UpsertOptions{})
				return err
			}},
		{name: "lookup without bind", status: 400, class: engine.Validation,
			do: func(a DVAPI, at Addr) error {
				_, _, err := a.Upsert("accounts", at, vals("primarycontactid", "x"), UpsertOptions{})
				return err
			}},
		{name: "bind to missing record", status: 400, code: dsruntime.CodeRecordNotFound, class: engine.Validation,
			do: func(a DVAPI, at Addr) error {
				_, _, err := a.Upsert("accounts", at, vals("primarycontactid@odata.bind",
					"/contacts(_msdyn_company_value="+text(at.Key["msdyn_company"])+",msdyn_contactpersonid='CP9')"), UpsertOptions{})
				return err
			}},
		{name: "reserved key character", status: 400, class: engine.Validation, text: "The key in the request URI is not valid",
			do: func(a DVAPI, at Addr) error {
				at.Key["accountnumber"] = engine.String("A/B")
				_, _, err := a.Upsert("accounts", at, vals("name", "X"), UpsertOptions{})
				return err
			}},
		{name: "delete stale", seed: true, status: 412, class: engine.VersionMismatch,
			do: func(a DVAPI, at Addr) error { return a.Delete("accounts", at, `W/"99"`) }},
		{name: "delete missing", status: 404, class: engine.VersionMismatch,
			do: func(a DVAPI, at Addr) error { return a.Delete("accounts", at, "") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newDV(t, tt.cfg)
			at := acct(t, s, "C1")
			if tt.seed {
				must[Row](t)(s.Put("accounts", "usmf|C1", vals("name", "Contoso")))
				must[Row](t)(s.Put("accounts", "usmf|C1", vals("name", "Contoso Ltd")))
			}
			err := tt.do(s.API(), at)
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
				return
			}
			e := asError(t, err)
			if e.Status != tt.status || (tt.code != "" && e.Code != tt.code) {
				t.Errorf("got %d %s, want %d %s (%v)", e.Status, e.Code, tt.status, tt.code, e)
			}
			if tt.text != "" && !strings.Contains(e.Message, tt.text) {
				t.Errorf("message %q does not say %q", e.Message, tt.text)
			}
			if tt.class != "" {
				f := dsruntime.Classify(e.Service())
				if f.Class != tt.class || f.Field != tt.field {
					t.Errorf("classified %s field %q, want %s field %q (%v)", f.Class, f.Field, tt.class, tt.field, e)
				}
			}
		})
	}
}

func TestDVRecords(t *testing.T) {
	s, clock := newDV(t, Config{Seed: 7, Skew: 30 * time.Second})
	a := s.API()
	at := acct(t, s, "C1")
	r1, created, err := a.Upsert("accounts", at, vals("name", "Contoso", "address1_city", ""), UpsertOptions{IfNoneMatch: "*"})
	if err != nil || !created {
		t.Fatalf("create: %v, created %v", err, created)
	}
	if !IsGUID(r1.ID) || !r1.Values["accountid"].Equal(engine.String(r1.ID)) {
		t.Errorf("primary id %q / %s", r1.ID, r1.Values["accountid"])
	}
	if !r1.Values["address1_city"].IsNull() {
		t.Errorf("empty string stored as %s, want null", r1.Values["address1_city"])
	}
	if want := Epoch.Add(30 * time.Second); !r1.Modified.Equal(want) || !r1.Values["modifiedon"].Equal(engine.Time(want)) {
		t.Errorf("modifiedon %v, want the skewed clock %v", r1.Modified, want)
	}
	if r1.ETag != `W/"`+text(r1.Values["versionnumber"])+`"` {
		t.Errorf("ETag %s does not carry versionnumber %s", r1.ETag, r1.Values["versionnumber"])
	}
	clock.Advance(time.Second)
	r2, created, err := a.Upsert("accounts", at, vals("name", "Fabrikam"), UpsertOptions{IfMatch: r1.ETag})
	if err != nil || created || r2.ID != r1.ID || r2.Version <= r1.Version || !r2.Modified.After(r1.Modified) {
		t.Fatalf("update: %v created %v, %+v after %+v", err, created, r2, r1)
	}
	// Addressed by id as well.
	if r := must[Row](t)(a.Get("accounts", Addr{ID: r1.ID})); !r.Values["name"].Equal(engine.String("Fabrikam")) {
		t.Errorf("get by id: %s", r.Values["name"])
	}
	// The same seed gives the same GUIDs.
	s2, _ := newDV(t, Config{Seed: 7})
	r3, _, err := s2.API().Upsert("accounts", acct(t, s2, "C1"), vals("name", "Contoso"), UpsertOptions{})
	if err != nil || r3.ID != r1.ID {
		t.Errorf("same seed, id %s then %s (%v)", r1.ID, r3.ID, err)
	}
	s3, _ := newDV(t, Config{Seed: 8})
	r4, _, _ := s3.API().Upsert("accounts", acct(t, s3, "C1"), vals("name", "Contoso"), UpsertOptions{})
	if r4.ID == r1.ID {
		t.Errorf("different seeds gave the same id %s", r4.ID)
	}
}

func TestDVLookups(t *testing.T) {
	s, _ := newDV(t, Config{})
	must[Row](t)(s.Put("contacts", "usmf|CP1", vals("lastname", "Example")))
	must[Row](t)(s.Put("accounts", "usmf|C1", vals("name", "Contoso", "primarycontactid", "usmf|CP1")))
	row, _ := s.Get("accounts", "usmf|C1")
	if !row.Values["primarycontactid"].Equal(engine.String("usmf|CP1")) || !row.Values["msdyn_company"].Equal(engine.String("usmf")) {
		t.Errorf("user view: %+v", row.Values)
	}
	raw := must[Row](t)(s.API().Get("accounts", Addr{ID: row.ID}))
	cp, _ := s.Get("contacts", "usmf|CP1")
	if !raw.Values["primarycontactid"].Equal(engine.String(cp.ID)) {
		t.Errorf("service view of the lookup: %s, want the contact's GUID %s", raw.Values["primarycontactid"], cp.ID)
	}
	// A bind by alternate key, with a quote in the key value.
	must[Row](t)(s.Put("contacts", "usmf|North'East", vals("lastname", "North'East")))
	company := must[string](t)(s.API().Company("usmf"))
	path := "/contacts(" + FormatKey([]KeyPart{{Field: "msdyn_company", Value: engine.String(company), Lookup: true},
		{Field: "msdyn_contactpersonid", Value: engine.String("North'East")}}) + ")"
	if !strings.Contains(path, "'North''East'") {
		t.Errorf("quote not doubled: %s", path)
	}
	if _, _, err := s.API().Upsert("accounts", acct(t, s, "C1"), vals("primarycontactid@odata.bind", path), UpsertOptions{}); err != nil {
		t.Fatal(err)
	}
	if row, _ := s.Get("accounts", "usmf|C1"); !row.Values["primarycontactid"].Equal(engine.String("usmf|North'East")) {
		t.Errorf("bound to %s", row.Values["primarycontactid"])
	}
	// Clearing a lookup.
	if _, _, err := s.API().Upsert("accounts", acct(t, s, "C1"), vals("primarycontactid@odata.bind", nil), UpsertOptions{}); err != nil {
		t.Fatal(err)
	}
	if row, _ := s.Get("accounts", "usmf|C1"); !row.Values["primarycontactid"].IsNull() {
		t.Errorf("cleared lookup is %s", row.Values["primarycontactid"])
	}
}

func TestDVChangeTracking(t *testing.T) {
	s, clock := newDV(t, Config{DeltaTokenTTL: time.Hour})
	a := s.API()
	names := func(p DeltaPage) string {
		var out []string
		for _, r := range p.Rows {
			if r.Deleted {
				k, _ := s.DeletedKey("accounts", r.ID)
				out = append(out, "-"+k)
				continue
			}
			out = append(out, r.Key+"="+text(r.Values["name"]))
		}
		return strings.Join(out, " ")
	}
	must[Row](t)(s.Put("accounts", "usmf|C1", vals("name", "A")))
	must[Row](t)(s.Put("accounts", "usmf|C2", vals("name", "B")))
	must[Row](t)(s.Put("accounts", "usmf|C3", vals("name", "C")))
	if err := s.Delete("accounts", "usmf|C3"); err != nil {
		t.Fatal(err)
	}
	p1 := must[DeltaPage](t)(a.Changes("accounts", "", 1))
	if got := names(p1); got != "usmf|C1=A" || !p1.More {
		t.Errorf("initial page 1: %q more=%v", got, p1.More)
	}
	p2 := must[DeltaPage](t)(a.Changes("accounts", p1.Token, 0))
	if got := names(p2); got != "usmf|C2=B" || p2.More {
		t.Errorf("initial page 2: %q more=%v (a delete before the first read is not reported)", got, p2.More)
	}
	must[Row](t)(s.Put("accounts", "usmf|C1", vals("name", "A2")))
	must[Row](t)(s.Put("accounts", "usmf|C1", vals("name", "A3")))
	if err := s.Delete("accounts", "usmf|C2"); err != nil {
		t.Fatal(err)
	}
	p3 := must[DeltaPage](t)(a.Changes("accounts", p2.Token, 0))
	if got := names(p3); got != "usmf|C1=A3 -usmf|C2" {
		t.Errorf("delta: %q, want the latest state of each changed record, then the delete", got)
	}
	if r := p3.Rows[1]; r.ID == "" || r.Key != "" || r.Values != nil {
		t.Errorf("a deleted entity names its id only: %+v", r)
	}
	p4 := must[DeltaPage](t)(a.Changes("accounts", p3.Token, 0))
	if len(p4.Rows) != 0 {
		t.Errorf("nothing changed, got %q", names(p4))
	}
	clock.Advance(2 * time.Hour)
	_, err := a.Changes("accounts", p4.Token, 0)
	if e := asError(t, err); e.Status != 400 || e.Code != CodeDeltaTokenExpired {
		t.Errorf("expired token: %v", err)
	}
	p5 := must[DeltaPage](t)(a.Changes("accounts", "", 0))
	s.ExpireDeltaTokens()
	if _, err := a.Changes("accounts", p5.Token, 0); err == nil {
		t.Error("ExpireDeltaTokens left a token valid")
	}
	if _, err := a.Changes("accounts", "garbage", 0); asError(t, err).Status != 400 {
		t.Errorf("bad token: %v", err)
	}
}

func TestKeySpec(t *testing.T) {
	tests := []struct {
		seg  string
		want Addr
		err  bool
	}{
		{seg: "accountnumber='ABC'", want: Addr{Key: Key{"accountnumber": engine.String("ABC")}}},
		{seg: "lastname='North''East',age=42", want: Addr{Key: Key{"lastname": engine.String("North'East"), "age": engine.Int(42)}}},
		{seg: "_msdyn_company_value=0f8fad5b-d9cb-469f-a165-70867728950e,accountnumber='a,b=c'",
			want: Addr{Key: Key{"msdyn_company": engine.String("0f8fad5b-d9cb-469f-a165-70867728950e"), "accountnumber": engine.String("a,b=c")}}},
		{seg: "0F8FAD5B-D9CB-469F-A165-70867728950E", want: Addr{ID: "0f8fad5b-d9cb-469f-a165-70867728950e"}},
		{seg: "accountnumber='open", err: true},
		{seg: "accountnumber=bare", err: true},
		{seg: "a='x',a='y'", err: true},
		{seg: "", err: true},
	}
	for _, tt := range tests {
		got, err := ParseKey(tt.seg)
		if (err != nil) != tt.err {
			t.Errorf("ParseKey(%q): %v", tt.seg, err)
			continue
		}
		if tt.err {
			continue
		}
		if got.ID != tt.want.ID || len(got.Key) != len(tt.want.Key) {
			t.Errorf("ParseKey(%q) = %+v, want %+v", tt.seg, got, tt.want)
			continue
		}
		for k, v := range tt.want.Key {
			if !got.Key[k].Equal(v) {
				t.Errorf("ParseKey(%q)[%s] = %s, want %s", tt.seg, k, got.Key[k], v)
			}
		}
	}
	parts := []KeyPart{{Field: "msdyn_company", Value: engine.String("0f8fad5b-d9cb-469f-a165-70867728950e"), Lookup: true},
		{Field: "accountnumber", Value: engine.String("it's")}}
	seg := FormatKey(parts)
	if seg != "_msdyn_company_value=0f8fad5b-d9cb-469f-a165-70867728950e,accountnumber='it''s'" {
		t.Errorf("FormatKey = %s", seg)
	}
	back, err := ParseKey(seg)
	if err != nil || !back.Key["accountnumber"].Equal(engine.String("it's")) {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	for _, v := range []string{"a/b", "a+b", "50%", `a\b`, "a:b"} {
		if Addressable(engine.String(v)) {
			t.Errorf("%q is addressable", v)
		}
	}
}

func TestDVDeleteDuringInitialRead(t *testing.T) {
	s, _ := newDV(t, Config{})
	a := s.API()
	must[Row](t)(s.Put("accounts", "usmf|C1", vals("name", "A")))
	must[Row](t)(s.Put("accounts", "usmf|C2", vals("name", "B")))
	p1 := must[DeltaPage](t)(a.Changes("accounts", "", 1))
	if err := s.Delete("accounts", "usmf|C1"); err != nil {
		t.Fatal(err)
	}
	p2 := must[DeltaPage](t)(a.Changes("accounts", p1.Token, 1))
	if len(p2.Rows) != 1 || p2.Rows[0].Key != "usmf|C2" || p2.More {
		t.Fatalf("page 2: %+v", p2)
	}
	p3 := must[DeltaPage](t)(a.Changes("accounts", p2.Token, 0))
	var deleted []string
	for _, r := range p3.Rows {
		if r.Deleted {
			k, _ := s.DeletedKey("accounts", r.ID)
			deleted = append(deleted, k)
		}
	}
	if len(deleted) != 1 || deleted[0] != "usmf|C1" {
		t.Errorf("the delete of a record read on page 1 was lost: %+v", p3.Rows)
	}
}

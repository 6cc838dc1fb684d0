package fake

import (
	"strings"
	"testing"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
)

func TestFOWrites(t *testing.T) {
	cust := func(kv ...any) map[string]engine.Value {
		m := vals("dataAreaId", "usmf", "CustomerAccount", "C1", "OrganizationName", "Contoso")
		for k, v := range vals(kv...) {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name   string
		cfg    Config
		seed   bool // create C1 first
		do     func(a FOAPI) error
		status int
		class  engine.Class
		field  string
		text   string
	}{
		{name: "create", do: func(a FOAPI) error { _, err := a.Create("CustomersV3", cust()); return err }},
		{name: "unknown enum member", status: 400, class: engine.Validation, text: "Requested value 'SMS' was not found",
			do: func(a FOAPI) error {
				_, err := a.Create("CustomersV3", cust("PreferredContactMethod", "SMS"))
				return err
			}},
		{name: "extra enum member", cfg: Config{Extra: []Members{{Set: "CustomersV3", Field: "PreferredContactMethod", Values: []string{"SMS"}}}},
			do: func(a FOAPI) error {
				_, err := a.Create("CustomersV3", cust("PreferredContactMethod", "SMS"))
				return err
			}},
		{name: "too long", status: 500, class: engine.Validation, field: "CustomerGroupId", text: "is too long",
			do: func(a FOAPI) error {
				_, err := a.Create("CustomersV3", cust("CustomerGroupId", "ABCDEFGHIJK"))
				return err
			}},
		{name: "required on create", cfg: Config{Required: []FieldRef{{"CustomersV3", "CustomerGroupId"}}},
			status: 500, class: engine.Validation, field: "CustomerGroupId", text: "must be filled in",
			do: func(a FOAPI) error { _, err := a.Create("CustomersV3", cust()); return err }},
		{name: "required cleared", cfg: Config{Required: []FieldRef{{"CustomersV3", "OrganizationName"}}}, seed: true,
			status: 500, class: engine.Validation, field: "OrganizationName",
			do: func(a FOAPI) error {
				_, err := a.Update("CustomersV3", usmfC1, "", vals("OrganizationName", ""))
				return err
			}},
		{name: "unknown property", status: 400, class: engine.MissingMapping, field: "Fax", text: "does not exist on type",
			do: func(a FOAPI) error { _, err := a.Create("CustomersV3", cust("Fax", "1")); return err }},
		{name: "dropped field", cfg: Config{Drop: []FieldRef{{"CustomersV3", "AddressCity"}}},
			status: 400, class: engine.MissingMapping, field: "AddressCity",
			do: func(a FOAPI) error { _, err := a.Create("CustomersV3", cust("AddressCity", "Oslo")); return err }},
		{name: "wrong type", status: 400, class: engine.Validation,
			do: func(a FOAPI) error { _, err := a.Create("CustomersV3", cust("CreditLimit", "lots")); return err }},
		{name: "create existing", seed: true, status: 500, class: engine.VersionMismatch, text: "already exists",
			do: func(a FOAPI) error { _, err := a.Create("CustomersV3", cust()); return err }},
		{name: "update stale", seed: true, status: 412, class: engine.VersionMismatch,
			do: func(a FOAPI) error {
				_, err := a.Update("CustomersV3", usmfC1, `W/"99"`, vals("AddressCity", "Oslo"))
				return err
			}},
		{name: "update current", seed: true,
			do: func(a FOAPI) error {
				_, err := a.Update("CustomersV3", usmfC1, `W/"1"`, vals("AddressCity", "Oslo"))
				return err
			}},
		{name: "update missing", status: 404, class: engine.VersionMismatch,
			do: func(a FOAPI) error {
				_, err := a.Update("CustomersV3", usmfC1, "", vals("AddressCity", "Oslo"))
				return err
			}},
		{name: "delete stale", seed: true, status: 412, class: engine.VersionMismatch,
			do: func(a FOAPI) error { return a.Delete("CustomersV3", usmfC1, `W/"7"`) }},
		{name: "delete missing", status: 404, class: engine.VersionMismatch,
			do: func(a FOAPI) error { return a.Delete("CustomersV3", usmfC1, "") }},
		{name: "key change", seed: true, status: 500, class: engine.Validation, field: "CustomerAccount", text: "cannot be changed",
			do: func(a FOAPI) error {
				_, err := a.Update("CustomersV3", usmfC1, "", vals("CustomerAccount", "C2"))
				return err
			}},
		{name: "incomplete key", status: 400, class: engine.Validation,
			do: func(a FOAPI) error {
				_, err := a.Create("CustomersV3", vals("CustomerAccount", "C1"))
				return err
			}},
		{name: "plug-in", cfg: Config{Faults: []Fault{{Kind: FaultPlugin, Map: "customer", Field: "AddressCity", Value: "Nowhere"}}},
			status: 500, class: engine.Plugin, text: "business logic",
			do: func(a FOAPI) error { _, err := a.Create("CustomersV3", cust("AddressCity", "Nowhere")); return err }},
		{name: "plug-in other value", cfg: Config{Faults: []Fault{{Kind: FaultPlugin, Map: "customer", Field: "AddressCity", Value: "Nowhere"}}},
			do: func(a FOAPI) error { _, err := a.Create("CustomersV3", cust("AddressCity", "Oslo")); return err }},
		{name: "unknown entity set", status: 404,
			do: func(a FOAPI) error { _, err := a.Create("Nope", cust()); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newFO(t, tt.cfg)
			if tt.seed {
				must[Row](t)(s.API().Create("CustomersV3", cust()))
			}
			err := tt.do(s.API())
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
				return
			}
			e := asError(t, err)
			if e.Status != tt.status {
				t.Errorf("status %d, want %d (%v)", e.Status, tt.status, e)
			}
			if tt.text != "" && !strings.Contains(e.Error(), tt.text) {
				t.Errorf("error %q does not say %q", e.Error(), tt.text)
			}
			if tt.class != "" {
				f := dsruntime.Classify(e.Service())
				if f.Class != tt.class || f.Field != tt.field {
					t.Errorf("classified %s field %q, want %s field %q (%v)", f.Class, f.Field, tt.class, tt.field, e)
				}
			}
			if e.Status == 500 && (e.Inner == nil || e.Inner.Type != dsruntime.AxWriteException) {
				t.Errorf("a 500 without the write exception shape: %s", e.Body())
			}
		})
	}
}

func TestFOVersionsAndModifiedTimes(t *testing.T) {
	s, clock := newFO(t, Config{Skew: -90 * time.Second})
	a := s.API()
	r1 := must[Row](t)(a.Create("CustomersV3", vals("dataAreaId", "usmf", "CustomerAccount", "C1")))
	clock.Advance(1500 * time.Millisecond)
	r2 := must[Row](t)(a.Update("CustomersV3", usmfC1, r1.ETag, vals("AddressCity", "Oslo")))
	if r1.ETag == r2.ETag || r2.Version <= r1.Version {
		t.Errorf("versions %s then %s: want a new version per write", r1.ETag, r2.ETag)
	}
	if want := Epoch.Add(-90 * time.Second); !r1.Modified.Equal(want) {
		t.Errorf("created at %v, want the skewed clock %v", r1.Modified, want)
	}
	if want := Epoch.Add(-90*time.Second + time.Second); !r2.Modified.Equal(want) {
		t.Errorf("modified at %v, want %v (second precision)", r2.Modified, want)
	}
	if v := r2.Values["ModifiedDateTime"]; !v.Equal(engine.Time(r2.Modified)) {
		t.Errorf("ModifiedDateTime %s, want %v", v, r2.Modified)
	}
	if v := r2.Values["OrganizationName"]; !v.Equal(engine.String("")) {
		t.Errorf("unset string %s, want \"\" (F&O strings are never null)", v)
	}
	// A user edit bumps the version and the modified time too.
	clock.Advance(time.Minute)
	r3 := must[Row](t)(s.Put("CustomersV3", "usmf|C1", vals("OrganizationName", "Contoso")))
	if r3.Version <= r2.Version || !r3.Modified.After(r2.Modified) {
		t.Errorf("user edit: version %d at %v after %d at %v", r3.Version, r3.Modified, r2.Version, r2.Modified)
	}
	if got, ok := s.Get("CustomersV3", "usmf|C1"); !ok || !got.Values["AddressCity"].Equal(engine.String("Oslo")) {
		t.Errorf("user edit lost earlier fields: %+v", got.Values)
	}
}

func TestFONormalize(t *testing.T) {
	tests := []struct {
		rule   Normalize
		field  string
		in     engine.Value
		stored engine.Value
	}{
		{Normalize{Set: "CustomersV3", Field: "OrganizationName", Rule: Trim}, "OrganizationName", engine.String("  Contoso "), engine.String("Contoso")},
		{Normalize{Set: "CustomersV3", Field: "OrganizationName", Rule: Upper}, "OrganizationName", engine.String("Contoso"), engine.String("CONTOSO")},
		{Normalize{Set: "CustomersV3", Field: "OrganizationName", Rule: Lower}, "OrganizationName", engine.String("Contoso"), engine.String("contoso")},
		{Normalize{Set: "CustomersV3", Field: "CreditLimit", Rule: Round, Places: 1}, "CreditLimit", engine.MustDecimal("10.25"), engine.MustDecimal("10.3")},
		{Normalize{Set: "CustomersV3", Field: "CreditLimit", Rule: Round, Places: 0}, "CreditLimit", engine.MustDecimal("-2.5"), engine.MustDecimal("-3")},
		// Without a rule decimals are still stored at the field's scale (4).
		{Normalize{Set: "CustomersV3", Field: "AddressCity", Rule: Trim}, "CreditLimit", engine.MustDecimal("1.23456"), engine.MustDecimal("1.2346")},
	}
	for _, tt := range tests {
		t.Run(string(tt.rule.Rule)+"/"+tt.field, func(t *testing.T) {
			s, _ := newFO(t, Config{Normalize: []Normalize{tt.rule}})
			body := vals("dataAreaId", "usmf", "CustomerAccount", "C1", tt.field, tt.in)
			r := must[Row](t)(s.API().Create("CustomersV3", body))
			if got := r.Values[tt.field]; !got.Equal(tt.stored) {
				t.Errorf("stored %s, want %s", got, tt.stored)
			}
		})
	}
}

func TestFOList(t *testing.T) {
	s, clock := newFO(t, Config{})
	a := s.API()
	put := func(company, account string) {
		must[Row](t)(a.Create("CustomersV3", vals("dataAreaId", company, "CustomerAccount", account)))
		clock.Advance(time.Second)
	}
	put("usmf", "C2")
	put("usrt", "C1")
	put("usmf", "C1")
	mark := clock.Now()
	put("usmf", "C3")
	if err := a.Delete("CustomersV3", Key{"dataAreaId": engine.String("usmf"), "CustomerAccount": engine.String("C2")}, ""); err != nil {
		t.Fatal(err)
	}
	keys := func(rows []Row) string {
		var ks []string
		for _, r := range rows {
			k := r.Key
			if r.Deleted {
				k += "(deleted)"
			}
			ks = append(ks, k)
		}
		return strings.Join(ks, " ")
	}
	tests := []struct {
		name string
		q    Query
		want string
	}{
		{"default company", Query{}, "usmf|C1 usmf|C3"},
		{"cross-company", Query{CrossCompany: true}, "usrt|C1 usmf|C1 usmf|C3"},
		{"one company", Query{Company: "usrt"}, "usrt|C1"},
		{"modified since", Query{CrossCompany: true, ModifiedSince: mark}, "usmf|C3"},
		{"with deletes", Query{CrossCompany: true, ModifiedSince: mark, IncludeDeleted: true}, "usmf|C3 usmf|C2(deleted)"},
		{"paged", Query{CrossCompany: true, Top: 1, Skip: 1}, "usmf|C1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := must[[]Row](t)(a.List("CustomersV3", tt.q))
			if got := keys(rows); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := a.Get("CustomersV3", Key{"dataAreaId": engine.String("usrt"), "CustomerAccount": engine.String("C1")}, false); !IsNotFound(err) {
		t.Errorf("another company's record without cross-company: %v, want 404", err)
	}
	if _, err := a.Get("CustomersV3", Key{"dataAreaId": engine.String("usrt"), "CustomerAccount": engine.String("C1")}, true); err != nil {
		t.Errorf("cross-company get: %v", err)
	}
}

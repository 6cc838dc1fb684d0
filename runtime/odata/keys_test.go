package odata

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

func TestFOKey(t *testing.T) {
	p := starterPlan(t)
	m := mapOf(t, p, "customer")
	tests := []struct {
		key  string
		want string // percent-encoded segment
		path string // the segment as the server decodes it
	}{
		{engine.JoinKey("usmf", "US-001"), "(dataAreaId='usmf',CustomerAccount='US-001')", "(dataAreaId='usmf',CustomerAccount='US-001')"},
		{engine.JoinKey("usmf", "O'Brien"), "(dataAreaId='usmf',CustomerAccount='O''Brien')", "(dataAreaId='usmf',CustomerAccount='O''Brien')"},
		{engine.JoinKey("usmf", "''"), "(dataAreaId='usmf',CustomerAccount='''''')", "(dataAreaId='usmf',CustomerAccount='''''')"},
		{engine.JoinKey("usmf", "Zürich 東京"), "(dataAreaId='usmf',CustomerAccount='Z%C3%BCrich%20%E6%9D%B1%E4%BA%AC')", "(dataAreaId='usmf',CustomerAccount='Zürich 東京')"},
		{engine.JoinKey("usmf", `a/b<c>d*e%f&g:h\i?j+k#l(m)n,o=p`),
			"(dataAreaId='usmf',CustomerAccount='a%2Fb%3Cc%3Ed%2Ae%25f%26g%3Ah%5Ci%3Fj%2Bk%23l%28m%29n%2Co%3Dp')",
			`(dataAreaId='usmf',CustomerAccount='a/b<c>d*e%f&g:h\i?j+k#l(m)n,o=p')`},
		{engine.JoinKey("usmf", "pipe|and\\slash"), "(dataAreaId='usmf',CustomerAccount='pipe%7Cand%5Cslash')", `(dataAreaId='usmf',CustomerAccount='pipe|and\slash')`},
	}
	for _, tt := range tests {
		got, err := foKey(m, tt.key)
		if err != nil {
			t.Fatalf("foKey(%q): %v", tt.key, err)
		}
		if got != tt.want {
			t.Errorf("foKey(%q) = %s, want %s", tt.key, got, tt.want)
		}
		// The segment must survive URL parsing unchanged, and decode to the
		// literal form.
		u, err := url.Parse("https://fo.example/data/CustomersV3" + got)
		if err != nil {
			t.Fatalf("url.Parse: %v", err)
		}
		if u.EscapedPath() != "/data/CustomersV3"+got {
			t.Errorf("escaped path %s, want %s", u.EscapedPath(), "/data/CustomersV3"+got)
		}
		if u.Path != "/data/CustomersV3"+tt.path {
			t.Errorf("decoded path %s, want %s", u.Path, "/data/CustomersV3"+tt.path)
		}
		if u.RawQuery != "" || u.Fragment != "" {
			t.Errorf("key %q leaked into query %q or fragment %q", tt.key, u.RawQuery, u.Fragment)
		}
	}
	if _, err := foKey(m, "only-one-part"); err == nil {
		t.Error("foKey with too few parts: want an error")
	}
}

func TestKeyLiteralTypes(t *testing.T) {
	tests := []struct {
		t    plan.Type
		in   string
		want string
		bad  bool
	}{
		{plan.String, "x", "'x'", false},
		{plan.Int, "42", "42", false},
		{plan.Int, "4x", "", true},
		{plan.Guid, usmfID, usmfID, false},
		{plan.Guid, "not-a-guid", "", true},
		{plan.Date, "2024-05-01", "2024-05-01", false},
		{plan.Date, "2024-05-01' or 1 eq 1", "", true},
		{plan.Bool, "true", "true", false},
		{plan.Decimal, "1.5", "1.5", false},
		{plan.Decimal, "1e5", "", true},
	}
	for _, tt := range tests {
		got, err := keyLiteral(tt.t, tt.in)
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("keyLiteral(%s, %q) = %q, %v; want %q, error %v", tt.t, tt.in, got, err, tt.want, tt.bad)
		}
	}
}

func TestDVKeyParts(t *testing.T) {
	p := starterPlan(t)
	m := mapOf(t, p, "customer")
	parts, err := dvKeyParts(m, engine.JoinKey("usmf", "O'Brien Ü"), usmfID)
	if err != nil {
		t.Fatal(err)
	}
	got := m.DV.EntitySet + formatKey(parts)
	want := "accounts(_msdyn_company_value=" + usmfID + ",accountnumber='O''Brien%20%C3%9C')"
	if got != want {
		t.Errorf("segment %s, want %s", got, want)
	}
	for _, c := range strings.Split(reservedKeyChars, "") {
		key := engine.JoinKey("usmf", "A"+c+"B")
		_, err := dvKeyParts(m, key, usmfID)
		if !errors.Is(err, errNotAddressable) {
			t.Errorf("key with %q: err %v, want errNotAddressable", c, err)
		}
		f, err := dvKeyFilter(m, key, usmfID)
		if err != nil {
			t.Fatalf("filter for %q: %v", c, err)
		}
		wantF := "_msdyn_company_value eq " + usmfID + " and accountnumber eq 'A" + c + "B'"
		if f != wantF {
			t.Errorf("filter %s, want %s", f, wantF)
		}
		// The encoded filter must keep the value inside the query.
		q := query{{"$filter", f}}.encode()
		v, err := url.ParseQuery(q)
		if err != nil || v.Get("$filter") != f {
			t.Errorf("filter %q encoded as %q decodes to %q (%v)", f, q, v.Get("$filter"), err)
		}
	}
	if _, err := dvKeyParts(m, engine.JoinKey("usmf", "X"), ""); err == nil {
		t.Error("company without id: want an error")
	}
	// Not company-specific.
	prod := mapOf(t, p, "product")
	parts, err = dvKeyParts(prod, "P'1 #", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := formatKey(parts); got != "(productnumber='P''1%20%23')" {
		t.Errorf("product segment %s", got)
	}
}

func TestEscapeQuery(t *testing.T) {
	in := "ModifiedDateTime ge 2024-05-02T09:15:42Z and Name eq 'a+b&c=d#e%'"
	enc := escapeQuery(in)
	if strings.ContainsAny(enc, " +&=#") {
		t.Errorf("escaped %q still has a separator: %s", in, enc)
	}
	v, err := url.ParseQuery("x=" + enc)
	if err != nil || v.Get("x") != in {
		t.Errorf("round trip %q → %q → %q (%v)", in, enc, v.Get("x"), err)
	}
}

package fakehttp

import (
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/simulator/fake"
)

// putCustomer creates an F&O customer as a user would.
func (e *env) putCustomer(company, account string, kv ...any) {
	e.t.Helper()
	vals := map[string]engine.Value{"OrganizationName": engine.String("Org " + account)}
	for i := 0; i+1 < len(kv); i += 2 {
		switch v := kv[i+1].(type) {
		case string:
			vals[kv[i].(string)] = engine.String(v)
		case engine.Value:
			vals[kv[i].(string)] = v
		}
	}
	if _, err := e.s.FO.Put("CustomersV3", engine.JoinKey(company, account), vals); err != nil {
		e.t.Fatal(err)
	}
}

func accounts(tb testing.TB, vals []map[string]any) string {
	tb.Helper()
	var out []string
	for _, v := range vals {
		out = append(out, fmt.Sprint(v["dataAreaId"], "/", v["CustomerAccount"]))
	}
	return strings.Join(out, " ")
}

func TestFOCreateReadUpdateDelete(t *testing.T) {
	e := newEnv(t, nil)
	a := e.foCall("POST", "CustomersV3", `{"CustomerAccount":"US-001","OrganizationName":"Contoso","CreditLimit":1500.5,"PreferredContactMethod":"Email"}`).want(t, 201)
	if loc := a.header.Get("Location"); !strings.HasSuffix(loc, "/data/CustomersV3(dataAreaId='usmf',CustomerAccount='US-001')") {
		t.Errorf("Location %q", loc)
	}
	etag := a.header.Get("ETag")
	m := a.json(t)
	if m["dataAreaId"] != "usmf" || m["@odata.etag"] != etag || m["CreditLimit"] != 1500.5 {
		t.Errorf("created %s (ETag %s)", a.body, etag)
	}
	key := "CustomersV3(dataAreaId='usmf',CustomerAccount='US-001')"
	got := e.foCall("GET", key, "").want(t, 200).json(t)
	if got["OrganizationName"] != "Contoso" || got["PreferredContactMethod"] != "Email" || got["ModifiedDateTime"] == nil {
		t.Errorf("read %v", got)
	}
	e.foCall("PATCH", key, `{"OrganizationName":"Contoso Ltd"}`, "If-Match", `W/"999"`).want(t, 412)
	up := e.foCall("PATCH", key, `{"OrganizationName":"Contoso Ltd"}`, "If-Match", etag).want(t, 204)
	if up.header.Get("ETag") == "" || up.header.Get("ETag") == etag {
		t.Errorf("update ETag %q (was %q)", up.header.Get("ETag"), etag)
	}
	e.foCall("PATCH", "CustomersV3(dataAreaId='usmf',CustomerAccount='US-404')", `{"OrganizationName":"X"}`).want(t, 404)
	e.foCall("POST", "CustomersV3", `{"dataAreaId":"usmf","CustomerAccount":"US-001","OrganizationName":"Again"}`).want(t, 500)
	e.foCall("DELETE", key, "", "If-Match", etag).want(t, 412)
	e.foCall("DELETE", key, "").want(t, 204)
	e.foCall("GET", key, "").want(t, 404)
}

func TestFOWriteErrors(t *testing.T) {
	e := newEnv(t, nil)
	a := e.foCall("POST", "CustomersV3", `{"CustomerAccount":"US-002","OrganizationName":"`+strings.Repeat("x", 200)+`"}`).want(t, 500)
	m := a.json(t)["error"].(map[string]any)
	inner := m["innererror"].(map[string]any)
	if m["message"] != "An error has occurred." || m["code"] != "" ||
		inner["type"] != "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException" ||
		!strings.HasPrefix(inner["message"].(string), "Write failed for table row of type 'CustomersV3Entity'. Infolog: ") {
		t.Errorf("write failure %s", a.body)
	}
	_, msg := e.foCall("POST", "CustomersV3", `{"CustomerAccount":"US-003","Unknown":"x"}`).want(t, 400).errorOf(t)
	if !strings.Contains(msg, "The property 'Unknown' does not exist") {
		t.Errorf("unknown property: %q", msg)
	}
	e.foCall("POST", "CustomersV3", `{"CustomerAccount":"US-004","PreferredContactMethod":"Pigeon"}`).want(t, 400)
	e.foCall("POST", "CustomersV3", `[1,2]`).want(t, 400)
	e.foCall("POST", "NoSuchSet", `{}`).want(t, 404)

	if err := e.s.FO.SetFault(fake.Fault{Kind: fake.FaultPlugin, Set: "CustomersV3", Field: "OrganizationName", Value: "Refuse", Message: "Credit check failed."}); err != nil {
		t.Fatal(err)
	}
	a = e.foCall("POST", "CustomersV3", `{"CustomerAccount":"US-005","OrganizationName":"Refuse"}`).want(t, 500)
	if _, msg := a.errorOf(t); !strings.Contains(msg, "Infolog: Credit check failed.") {
		t.Errorf("plug-in failure: %q", msg)
	}
}

func TestFOKeys(t *testing.T) {
	e := newEnv(t, nil)
	e.putCustomer("usmf", "O'Brien")
	e.putCustomer("usmf", "Zoë-東京")
	e.putCustomer("usrt", "RT-1")
	e.putCustomer("usmf", "A/B")
	tests := []struct {
		name   string
		path   string
		status int
		text   string
	}{
		{"doubled quote", "CustomersV3(dataAreaId='usmf',CustomerAccount='O''Brien')", 200, ""},
		{"percent-encoded", "CustomersV3(dataAreaId%3D%27usmf%27%2CCustomerAccount%3D%27O%27%27Brien%27)", 200, ""},
		{"unicode", "CustomersV3(dataAreaId='usmf',CustomerAccount='" + url.PathEscape("Zoë-東京") + "')", 200, ""},
		{"key order free", "CustomersV3(CustomerAccount='O''Brien',dataAreaId='usmf')", 200, ""},
		{"missing key field", "CustomersV3(CustomerAccount='O''Brien')", 400, "number of keys"},
		{"unknown key field", "CustomersV3(dataAreaId='usmf',Account='X')", 400, "not a key property"},
		{"number for a string key", "CustomersV3(dataAreaId='usmf',CustomerAccount=5)", 400, "not a valid"},
		{"unterminated", "CustomersV3(dataAreaId='usmf',CustomerAccount='X)", 400, ""},
		{"single quote undoubled", "CustomersV3(dataAreaId='usmf',CustomerAccount='O'Brien')", 400, ""},
		{"other company", "CustomersV3(dataAreaId='usrt',CustomerAccount='RT-1')", 404, ""},
		{"other company, cross-company", "CustomersV3(dataAreaId='usrt',CustomerAccount='RT-1')?cross-company=true", 200, ""},
		{"reserved character", "CustomersV3(dataAreaId='usmf',CustomerAccount='A%2FB')", 400, "potentially dangerous"},
		{"shorthand on a two-part key", "CustomersV3('X')", 400, ""},
		{"shorthand on a one-part key", "ProductsV2('PROD-1')", 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := e.foCall("GET", tc.path, "").want(t, tc.status)
			if tc.text != "" {
				if _, msg := a.errorOf(t); !strings.Contains(msg, tc.text) {
					t.Errorf("message %q does not contain %q", msg, tc.text)
				}
			}
		})
	}
	// For reserved characters, a $batch request is not subject to path
	// validation.
	b := batchBody("b1", part("GET", "CustomersV3(dataAreaId='usmf',CustomerAccount='A%2FB')", ""))
	a := e.foCall("POST", "$batch", b.body, "Content-Type", b.contentType).want(t, 200)
	if rs := parseBatchAnswer(t, a); len(rs) != 1 || rs[0].status != 200 {
		t.Errorf("batch read of A/B: %+v", rs)
	}
}

func TestFOQuery(t *testing.T) {
	e := newEnv(t, nil)
	e.putCustomer("usmf", "C1", "OrganizationName", "Alpha", "CreditLimit", engine.MustDecimal("100"), "PreferredContactMethod", "Email")
	e.clock.Advance(time.Hour)
	e.putCustomer("usmf", "C2", "OrganizationName", "Beta's", "CreditLimit", engine.MustDecimal("250.5"), "PreferredContactMethod", "Phone")
	e.clock.Advance(time.Hour)
	e.putCustomer("usmf", "C3", "OrganizationName", "Gamma", "CreditLimit", engine.MustDecimal("900"), "PreferredContactMethod", "Email", "AddressCity", "Oslo")
	e.putCustomer("usrt", "R1", "OrganizationName", "Retail", "PreferredContactMethod", "Mail")
	q := func(query string) string { return "CustomersV3?" + query }
	enc := func(s string) string { return url.QueryEscape(s) }
	since := fake.Epoch.Add(30 * time.Minute).Format(time.RFC3339)
	until := fake.Epoch.Add(90 * time.Minute).Format(time.RFC3339)
	tests := []struct {
		name, query, want string
	}{
		{"default company", "", "usmf/C1 usmf/C2 usmf/C3"},
		{"cross-company", "cross-company=true", "usmf/C1 usmf/C2 usmf/C3 usrt/R1"},
		{"one company", "cross-company=true&$filter=" + enc("dataAreaId eq 'usrt'"), "usrt/R1"},
		{"other company without cross-company", "$filter=" + enc("dataAreaId eq 'usrt'"), ""},
		{"eq", "$filter=" + enc("OrganizationName eq 'Alpha'"), "usmf/C1"},
		{"case-insensitive", "$filter=" + enc("OrganizationName eq 'ALPHA'"), "usmf/C1"},
		{"escaped quote", "$filter=" + enc("OrganizationName eq 'Beta''s'"), "usmf/C2"},
		{"ne", "$filter=" + enc("OrganizationName ne 'Alpha'"), "usmf/C2 usmf/C3"},
		{"gt number", "$filter=" + enc("CreditLimit gt 100"), "usmf/C2 usmf/C3"},
		{"ge decimal", "$filter=" + enc("CreditLimit ge 250.5"), "usmf/C2 usmf/C3"},
		{"lt and", "$filter=" + enc("CreditLimit lt 900 and CreditLimit ge 100"), "usmf/C1 usmf/C2"},
		{"or, parentheses, not", "$filter=" + enc("(OrganizationName eq 'Alpha' or OrganizationName eq 'Gamma') and not (CreditLimit le 100)"), "usmf/C3"},
		{"modified range", "$filter=" + enc("ModifiedDateTime ge "+since+" and ModifiedDateTime lt "+until), "usmf/C2"},
		{"enum eq", "$filter=" + enc("PreferredContactMethod eq Microsoft.Dynamics.DataEntities.PreferredContactMethod'Email'"), "usmf/C1 usmf/C3"},
		{"enum ne", "$filter=" + enc("PreferredContactMethod ne Microsoft.Dynamics.DataEntities.PreferredContactMethod'Email'"), "usmf/C2"},
		{"wildcard", "$filter=" + enc("OrganizationName eq '*amm*'"), "usmf/C3"},
		{"empty string", "$filter=" + enc("AddressCity eq ''"), "usmf/C1 usmf/C2"},
		{"orderby desc", "$orderby=" + enc("CreditLimit desc"), "usmf/C3 usmf/C2 usmf/C1"},
		{"top skip", "$orderby=CustomerAccount&$top=1&$skip=1", "usmf/C2"},
		{"select", "$select=CustomerAccount,dataAreaId&$filter=" + enc("CustomerAccount eq 'C1'"), "usmf/C1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := accounts(t, e.foCall("GET", q(tc.query), "").want(t, 200).values(t)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	bad := []struct{ name, query, text string }{
		{"has", "$filter=" + enc("PreferredContactMethod has Microsoft.Dynamics.DataEntities.PreferredContactMethod'Email'"), "'has' operator is not supported"},
		{"in", "$filter=" + enc("CustomerAccount in ('C1','C2')"), "'in' operator is not supported"},
		{"enum with a string", "$filter=" + enc("PreferredContactMethod eq 'Email'"), "incompatible types"},
		{"enum gt", "$filter=" + enc("PreferredContactMethod gt Microsoft.Dynamics.DataEntities.PreferredContactMethod'Email'"), "eq or ne"},
		{"enum of another type", "$filter=" + enc("PreferredContactMethod eq Microsoft.Dynamics.DataEntities.NoYes'Yes'"), "incompatible types"},
		{"unknown member", "$filter=" + enc("PreferredContactMethod eq Microsoft.Dynamics.DataEntities.PreferredContactMethod'Pigeon'"), "not a valid enumerated"},
		{"unknown property", "$filter=" + enc("Nope eq 1"), "Could not find a property named 'Nope'"},
		{"string vs number", "$filter=" + enc("OrganizationName eq 5"), "incompatible types"},
		{"syntax", "$filter=" + enc("OrganizationName eq"), ""},
		{"unknown select", "$select=Nope", "Could not find a property named 'Nope'"},
		{"unknown orderby", "$orderby=Nope", "Could not find a property named 'Nope'"},
		{"bad top", "$top=-1", ""},
		{"function", "$filter=" + enc("contains(OrganizationName,'a')"), "not supported"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			a := e.foCall("GET", q(tc.query), "").want(t, 400)
			if _, msg := a.errorOf(t); !strings.Contains(msg, tc.text) {
				t.Errorf("message %q does not contain %q", msg, tc.text)
			}
		})
	}
	t.Run("count", func(t *testing.T) {
		m := e.foCall("GET", q("$count=true&$top=1"), "").want(t, 200).json(t)
		if m["@odata.count"] != float64(3) || len(m["value"].([]any)) != 1 {
			t.Errorf("count answer %v", m)
		}
		if a := e.foCall("GET", "CustomersV3/$count?cross-company=true", "").want(t, 200); a.body != "4" {
			t.Errorf("$count %q", a.body)
		}
	})
	t.Run("select", func(t *testing.T) {
		v := e.foCall("GET", q("$select=CustomerAccount&$top=1"), "").want(t, 200).values(t)[0]
		if len(v) != 2 || v["@odata.etag"] == nil || v["CustomerAccount"] == nil {
			t.Errorf("selected %v", v)
		}
	})
}

func TestFOPaging(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.FOPageSize = 3 })
	for i := 1; i <= 8; i++ {
		e.putCustomer("usmf", fmt.Sprintf("C%02d", i))
	}
	link := e.s.FOURL() + "/data/CustomersV3?$orderby=CustomerAccount&$count=true"
	var got []string
	pages := 0
	for link != "" {
		a := do(t, "GET", link, e.fo, "").want(t, 200)
		m := a.json(t)
		pages++
		for _, v := range a.values(t) {
			got = append(got, v["CustomerAccount"].(string))
		}
		link, _ = m["@odata.nextLink"].(string)
		if pages > 10 {
			t.Fatal("paging does not end")
		}
	}
	if pages != 3 || strings.Join(got, ",") != "C01,C02,C03,C04,C05,C06,C07,C08" {
		t.Errorf("%d pages: %v", pages, got)
	}
	// $top over pages.
	link = e.s.FOURL() + "/data/CustomersV3?$orderby=CustomerAccount&$top=5"
	got = nil
	for link != "" {
		a := do(t, "GET", link, e.fo, "").want(t, 200)
		for _, v := range a.values(t) {
			got = append(got, v["CustomerAccount"].(string))
		}
		link, _ = a.json(t)["@odata.nextLink"].(string)
	}
	if strings.Join(got, ",") != "C01,C02,C03,C04,C05" {
		t.Errorf("top 5 over pages: %v", got)
	}
	// odata.maxpagesize lowers the page size.
	a := e.foCall("GET", "CustomersV3", "", "Prefer", "odata.maxpagesize=2").want(t, 200)
	if n := len(a.values(t)); n != 2 {
		t.Errorf("maxpagesize 2: %d rows", n)
	}
}

func TestFOMetadata(t *testing.T) {
	e := newEnv(t, nil)
	a := e.foCall("GET", "$metadata", "").want(t, 200)
	for _, want := range []string{`<EntityType Name="CustomersV3Entity">`, `<PropertyRef Name="dataAreaId" />`,
		`<EnumType Name="PreferredContactMethod">`, `<Member Name="Email"`, `<EntitySet Name="CustomersV3" EntityType="Microsoft.Dynamics.DataEntities.CustomersV3Entity" />`,
		`Type="Microsoft.Dynamics.DataEntities.PreferredContactMethod"`} {
		if !strings.Contains(a.body, want) {
			t.Errorf("$metadata lacks %s", want)
		}
	}
	if !strings.HasPrefix(a.header.Get("Content-Type"), "application/xml") {
		t.Errorf("Content-Type %q", a.header.Get("Content-Type"))
	}
	doc := e.foCall("GET", "", "").want(t, 200).values(t)
	if len(doc) == 0 || doc[0]["kind"] != "EntitySet" {
		t.Errorf("service document %v", doc)
	}

	served, err := os.ReadFile("../../testdata/metadata/fo.xml")
	if err != nil {
		t.Fatal(err)
	}
	e2 := newEnv(t, func(c *Config) { c.FOMetadata = served })
	if got := e2.foCall("GET", "$metadata", "").want(t, 200).body; got != string(served) {
		t.Error("the configured $metadata is not served as it is")
	}
	// The served document's enum type names are the ones filters use.
	e2.foCall("GET", "CustomersV3?$filter="+url.QueryEscape("PreferredContactMethod eq Microsoft.Dynamics.DataEntities.ContactMethod'Email'"), "").want(t, 200)
	e2.foCall("GET", "CustomersV3?$filter="+url.QueryEscape("PreferredContactMethod eq Microsoft.Dynamics.DataEntities.PreferredContactMethod'Email'"), "").want(t, 400)
}

func TestFOLoad(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.FOLoad = Load{Requests: 2, Window: time.Minute, RetryAfter: 5 * time.Second} })
	e.foCall("GET", "CustomersV3", "").want(t, 200)
	e.foCall("GET", "CustomersV3", "").want(t, 200)
	a := e.foCall("GET", "CustomersV3", "").want(t, 429)
	if ra := a.header.Get("Retry-After"); ra != "60" {
		t.Errorf("Retry-After %q, want 60", ra)
	}
	if _, msg := a.errorOf(t); !strings.Contains(msg, "high resource utilization") {
		t.Errorf("message %q", msg)
	}
	e.clock.Advance(61 * time.Second)
	e.foCall("GET", "CustomersV3", "").want(t, 200)
	if st := e.s.Stats(); st.FOThrottled != 1 {
		t.Errorf("throttled %d, want 1", st.FOThrottled)
	}
}

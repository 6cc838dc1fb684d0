package fakehttp

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/simulator/fake"
)

// acct is the key segment of account n of company usmf.
func (e *env) acct(n string) string {
	return "accounts(_msdyn_company_value=" + e.company("usmf") + ",accountnumber='" + n + "')"
}

var weakETag = regexp.MustCompile(`^W/"\d+"$`)

func TestDVUpsert(t *testing.T) {
	e := newEnv(t, nil)
	key := e.acct("A1")
	a := e.dvCall("PATCH", key, `{"name":"Contoso"}`).want(t, 204)
	id := a.header.Get("OData-EntityId")
	if !regexp.MustCompile(`/api/data/v9\.2/accounts\([0-9a-f-]{36}\)$`).MatchString(id) {
		t.Errorf("OData-EntityId %q", id)
	}
	if a.body != "" {
		t.Errorf("204 with a body: %q", a.body)
	}
	e.dvCall("PATCH", key, `{"name":"Contoso Ltd"}`).want(t, 204)

	rep := e.dvCall("PATCH", e.acct("A2"), `{"name":"Fabrikam"}`, "Prefer", "return=representation").want(t, 201)
	m := rep.json(t)
	if !weakETag.MatchString(rep.header.Get("ETag")) || m["@odata.etag"] != rep.header.Get("ETag") || m["name"] != "Fabrikam" ||
		m["_msdyn_company_value"] != e.company("usmf") || m["accountid"] == nil {
		t.Errorf("representation %s (ETag %s)", rep.body, rep.header.Get("ETag"))
	}
	etag := rep.header.Get("ETag")
	upd := e.dvCall("PATCH", e.acct("A2"), `{"name":"Fabrikam Inc"}`, "Prefer", "return=representation", "If-Match", etag).want(t, 200)
	if upd.header.Get("ETag") == etag {
		t.Error("the ETag did not change on update")
	}

	tests := []struct {
		name       string
		key        string
		headers    []string
		status     int
		code, text string
	}{
		{"update only, missing", e.acct("NONE"), []string{"If-Match", "*"}, 404, dsruntime.CodeRecordNotFound, ""},
		{"update only, present", e.acct("A1"), []string{"If-Match", "*"}, 204, "", ""},
		{"create only, present", e.acct("A1"), []string{"If-None-Match", "*"}, 412, dsruntime.CodeRecordExists, "A record with matching key values already exists."},
		{"create only, missing", e.acct("NEW"), []string{"If-None-Match", "*"}, 204, "", ""},
		{"stale version", e.acct("A2"), []string{"If-Match", etag}, 412, dsruntime.CodeVersionMismatch,
			"The version of the existing record doesn't match the RowVersion property provided."},
		{"current version", e.acct("A2"), []string{"If-Match", upd.header.Get("ETag")}, 204, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := e.dvCall("PATCH", tc.key, `{"name":"X"}`, tc.headers...).want(t, tc.status)
			if tc.status >= 400 {
				code, msg := a.errorOf(t)
				if code != tc.code || (tc.text != "" && msg != tc.text) {
					t.Errorf("error %s %q, want %s %q", code, msg, tc.code, tc.text)
				}
			}
		})
	}

	t.Run("read, by key and id", func(t *testing.T) {
		got := e.dvCall("GET", e.acct("A1")+"?$select=name,accountnumber", "").want(t, 200)
		m := got.json(t)
		if m["name"] != "X" || m["accountnumber"] != "A1" || m["accountid"] == nil || len(m) != 5 {
			t.Errorf("read %s", got.body)
		}
		byID := e.dvCall("GET", "accounts("+m["accountid"].(string)+")", "").want(t, 200).json(t)
		if byID["accountnumber"] != "A1" || byID["versionnumber"] == nil || byID["modifiedon"] == nil {
			t.Errorf("read by id %v", byID)
		}
		e.dvCall("GET", e.acct("NONE"), "").want(t, 404)
		e.dvCall("GET", "accounts(00000000-0000-0000-0000-000000000009)", "").want(t, 404)
	})
	t.Run("delete", func(t *testing.T) {
		e.dvCall("DELETE", e.acct("NEW"), "").want(t, 204)
		e.dvCall("GET", e.acct("NEW"), "").want(t, 404)
		e.dvCall("DELETE", e.acct("NEW"), "").want(t, 404)
	})
	t.Run("create by POST", func(t *testing.T) {
		body := `{"accountnumber":"P1","name":"Posted","msdyn_company@odata.bind":"/cdm_companies(` + e.company("usmf") + `)"}`
		a := e.dvCall("POST", "accounts", body).want(t, 204)
		if a.header.Get("OData-EntityId") == "" {
			t.Error("no OData-EntityId")
		}
		e.dvCall("POST", "accounts", body).want(t, 412)
		e.dvCall("POST", "accounts", body[:len(body)-1]+`,"accountnumber":"P2"}`, "Prefer", "return=representation").want(t, 201)
	})
}

func TestDVKeys(t *testing.T) {
	e := newEnv(t, nil)
	usmf := e.company("usmf")
	for _, n := range []string{"O'Brien", "Zoë 東京", "A B"} {
		if _, err := e.s.DV.Put("accounts", engine.JoinKey("usmf", n), map[string]engine.Value{"name": engine.String(n)}); err != nil {
			t.Fatal(err)
		}
	}
	badKey := "The key in the request URI is not valid for resource 'Microsoft.Dynamics.CRM.account'."
	tests := []struct {
		name   string
		path   string
		status int
		text   string
	}{
		{"doubled quote", "accounts(_msdyn_company_value=" + usmf + ",accountnumber='O''Brien')", 200, ""},
		{"lookup by name", "accounts(msdyn_company=" + usmf + ",accountnumber='O''Brien')", 200, ""},
		{"percent-encoded quote", "accounts(_msdyn_company_value=" + usmf + ",accountnumber=%27O%27%27Brien%27)", 200, ""},
		{"unicode and space", "accounts(_msdyn_company_value=" + usmf + ",accountnumber='" + url.PathEscape("Zoë 東京") + "')", 200, ""},
		{"key order free", "accounts(accountnumber='A%20B',_msdyn_company_value=" + usmf + ")", 200, ""},
		{"missing part", "accounts(accountnumber='A%20B')", 400, badKey},
		{"unknown part", "accounts(_msdyn_company_value=" + usmf + ",name='A')", 400, badKey},
		{"string for the lookup", "accounts(_msdyn_company_value='usmf',accountnumber='A')", 400, badKey},
		{"undoubled quote", "accounts(_msdyn_company_value=" + usmf + ",accountnumber='O'Brien')", 400, badKey},
		{"not a GUID", "accounts(1234)", 400, badKey},
		{"empty", "accounts()", 400, badKey},
	}
	for _, c := range reservedKeyChars {
		tests = append(tests, struct {
			name   string
			path   string
			status int
			text   string
		}{fmt.Sprintf("reserved %q", c), "accounts(_msdyn_company_value=" + usmf + ",accountnumber='A" + url.PathEscape(string(c)) + "B')", 400, badKey})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := e.dvCall("GET", tc.path, "").want(t, tc.status)
			if tc.text != "" {
				if _, msg := a.errorOf(t); !strings.HasPrefix(msg, tc.text) {
					t.Errorf("message %q, want %q", msg, tc.text)
				}
			}
		})
	}
}

func TestDVLookupsAndErrors(t *testing.T) {
	e := newEnv(t, nil)
	usmf := e.company("usmf")
	contact := "contacts(_msdyn_company_value=" + usmf + ",msdyn_contactpersonid='K1')"
	cid := e.dvCall("PATCH", contact, `{"lastname":"Kim"}`, "Prefer", "return=representation").want(t, 201).json(t)["contactid"].(string)
	e.dvCall("PATCH", e.acct("A1"), `{"name":"A","primarycontactid@odata.bind":"/`+contact+`"}`).want(t, 204)
	m := e.dvCall("GET", e.acct("A1"), "").want(t, 200).json(t)
	if m["_primarycontactid_value"] != cid {
		t.Errorf("_primarycontactid_value %v, want %s", m["_primarycontactid_value"], cid)
	}
	// By id, relative without a slash, absolute.
	for _, bind := range []string{"/contacts(" + cid + ")", "contacts(" + cid + ")", e.s.DVURL() + "/api/data/v9.2/contacts(" + cid + ")"} {
		e.dvCall("PATCH", e.acct("A1"), `{"primarycontactid@odata.bind":"`+bind+`"}`).want(t, 204)
	}
	e.dvCall("PATCH", e.acct("A1"), `{"primarycontactid@odata.bind":null}`).want(t, 204)
	if m := e.dvCall("GET", e.acct("A1"), "").json(t); m["_primarycontactid_value"] != nil {
		t.Errorf("cleared lookup: %v", m["_primarycontactid_value"])
	}
	e.dvCall("PATCH", e.acct("A1"), `{"primarycontactid@odata.bind":"/contacts(00000000-0000-0000-0000-000000000001)"}`).want(t, 400)

	tests := []struct {
		name, body string
		status     int
		code, text string
	}{
		{"choice out of range", `{"preferredcontactmethodcode":99}`, 400, dsruntime.CodeChoiceOutOfRange, "Accepted Values:"},
		{"unknown property", `{"nope":1}`, 400, dsruntime.CodeUnknownProperty, "Could not find a property named 'nope'"},
		{"too long", `{"name":"` + strings.Repeat("n", 200) + `"}`, 400, dsruntime.CodeMaxLengthExceeded, ""},
		{"lookup without bind", `{"primarycontactid":"x"}`, 400, codeBadRequest, "@odata.bind"},
		{"not JSON", `{`, 400, codeBadRequest, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, msg := e.dvCall("PATCH", e.acct("A1"), tc.body).want(t, tc.status).errorOf(t)
			if code != tc.code || !strings.Contains(msg, tc.text) {
				t.Errorf("error %s %q, want %s %q", code, msg, tc.code, tc.text)
			}
		})
	}
	t.Run("plug-in", func(t *testing.T) {
		fault := `{"kind":"plugin","set":"accounts","field":"name","value":"Boom","message":"The plug-in refused it."}`
		do(t, "POST", e.s.DVURL()+"/_faults", adminToken, fault).want(t, 200)
		code, msg := e.dvCall("PATCH", e.acct("A1"), `{"name":"Boom"}`).want(t, 400).errorOf(t)
		if code != dsruntime.CodePluginException || msg != "The plug-in refused it." {
			t.Errorf("plug-in error %s %q", code, msg)
		}
	})
}

func TestDVQuery(t *testing.T) {
	e := newEnv(t, nil)
	usmf := e.company("usmf")
	usrt := e.company("usrt")
	for i, n := range []string{"Alpha", "Beta", "Gamma", "Delta", "Epsilon"} {
		company := "usmf"
		if i == 4 {
			company = "usrt"
		}
		if _, err := e.s.DV.Put("accounts", engine.JoinKey(company, fmt.Sprintf("A%d", i+1)), map[string]engine.Value{
			"name": engine.String(n), "creditlimit": engine.MustDecimal(fmt.Sprint((i + 1) * 100))}); err != nil {
			t.Fatal(err)
		}
	}
	names := func(vals []map[string]any) string {
		var out []string
		for _, v := range vals {
			out = append(out, fmt.Sprint(v["name"]))
		}
		return strings.Join(out, " ")
	}
	enc := url.QueryEscape
	tests := []struct{ name, query, want string }{
		{"filter eq", "$filter=" + enc("name eq 'Beta'"), "Beta"},
		{"filter lookup", "$filter=" + enc("_msdyn_company_value eq "+usrt) + "&$select=name", "Epsilon"},
		{"filter and contains", "$filter=" + enc("contains(name,'ta') and creditlimit gt 150") + "&$orderby=name", "Beta Delta"},
		{"orderby desc top", "$orderby=" + enc("creditlimit desc") + "&$top=2", "Epsilon Delta"},
		{"startswith", "$filter=" + enc("startswith(name,'g')"), "Gamma"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := names(e.dvCall("GET", "accounts?"+tc.query, "").want(t, 200).values(t)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	bad := []struct{ name, query, text string }{
		{"skip", "$skip=1", "$skip"},
		{"unknown select", "$select=nope", "Could not find a property named 'nope'"},
		{"unknown filter", "$filter=" + enc("nope eq 1"), "Could not find a property named 'nope'"},
		{"lookup by its name", "$filter=" + enc("msdyn_company eq "+usmf), "Could not find a property named 'msdyn_company'"},
		{"has", "$filter=" + enc("name has 'x'"), "not supported"},
		{"expand", "$expand=primarycontactid", "$expand"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if _, msg := e.dvCall("GET", "accounts?"+tc.query, "").want(t, 400).errorOf(t); !strings.Contains(msg, tc.text) {
				t.Errorf("message %q does not contain %q", msg, tc.text)
			}
		})
	}
	t.Run("paging", func(t *testing.T) {
		link := e.s.DVURL() + "/api/data/v9.2/accounts?$select=name"
		var got []string
		for pages := 0; link != ""; pages++ {
			if pages > 5 {
				t.Fatal("paging does not end")
			}
			a := do(t, "GET", link, e.dv, "", "Prefer", "odata.maxpagesize=2").want(t, 200)
			if a.header.Get("Preference-Applied") != "odata.maxpagesize=2" {
				t.Errorf("Preference-Applied %q", a.header.Get("Preference-Applied"))
			}
			for _, v := range a.values(t) {
				got = append(got, v["name"].(string))
			}
			link, _ = a.json(t)["@odata.nextLink"].(string)
			if link != "" && !strings.Contains(link, "$skiptoken=") {
				t.Errorf("next link without $skiptoken: %s", link)
			}
		}
		slices.Sort(got)
		if strings.Join(got, " ") != "Alpha Beta Delta Epsilon Gamma" {
			t.Errorf("pages gave %v", got)
		}
		a := e.dvCall("GET", "accounts", "", "Prefer", "odata.maxpagesize=10000").want(t, 200)
		if a.header.Get("Preference-Applied") != "odata.maxpagesize=5000" {
			t.Errorf("maxpagesize above 5,000: Preference-Applied %q", a.header.Get("Preference-Applied"))
		}
	})
	t.Run("count", func(t *testing.T) {
		if m := e.dvCall("GET", "accounts?$count=true&$top=1", "").want(t, 200).json(t); m["@odata.count"] != float64(5) {
			t.Errorf("@odata.count %v", m["@odata.count"])
		}
	})
	t.Run("headers", func(t *testing.T) {
		a := e.dvCall("GET", "accounts", "").want(t, 200)
		if a.header.Get("x-ms-dop-hint") != "4" || a.header.Get("OData-Version") != "4.0" ||
			a.header.Get("x-ms-ratelimit-burst-remaining-xrm-requests") == "" {
			t.Errorf("headers %v", a.header)
		}
	})
	t.Run("companies, WhoAmI, metadata", func(t *testing.T) {
		m := e.dvCall("GET", "cdm_companies(cdm_companycode='usrt')", "").want(t, 200).json(t)
		if m["cdm_companyid"] != usrt {
			t.Errorf("company by code %v", m)
		}
		e.dvCall("GET", "cdm_companies("+usrt+")", "").want(t, 200)
		if vals := e.dvCall("GET", "cdm_companies", "").want(t, 200).values(t); len(vals) != 2 {
			t.Errorf("companies %v", vals)
		}
		if m := e.dvCall("GET", "WhoAmI", "").want(t, 200).json(t); m["UserId"] == nil {
			t.Errorf("WhoAmI %v", m)
		}
		md := e.dvCall("GET", "$metadata", "").want(t, 200).body
		for _, want := range []string{`<EntityType Name="account">`, `<Property Name="_primarycontactid_value" Type="Edm.Guid" />`,
			`<EntitySet Name="accounts" EntityType="mscrm.account" />`, `PropertyPath="_msdyn_company_value"`} {
			if !strings.Contains(md, want) {
				t.Errorf("$metadata lacks %s", want)
			}
		}
	})
}

func TestDVChangeTracking(t *testing.T) {
	e := newEnv(t, nil)
	put := func(n, name string) {
		if _, err := e.s.DV.Put("accounts", engine.JoinKey("usmf", n), map[string]engine.Value{"name": engine.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
	put("A1", "One")
	put("A2", "Two")
	put("A3", "Three")
	a := e.dvCall("GET", "accounts?$select=name", "", "Prefer", "odata.track-changes").want(t, 200)
	if a.header.Get("Preference-Applied") != "odata.track-changes" {
		t.Errorf("Preference-Applied %q", a.header.Get("Preference-Applied"))
	}
	m := a.json(t)
	delta, _ := m["@odata.deltaLink"].(string)
	if len(a.values(t)) != 3 || !strings.Contains(delta, "$deltatoken=") || !strings.Contains(delta, "$select=name") {
		t.Fatalf("initial read %s", a.body)
	}
	removed, _ := e.s.DV.Get("accounts", "usmf|A2")
	put("A1", "One changed")
	if err := e.s.DV.Delete("accounts", "usmf|A2"); err != nil {
		t.Fatal(err)
	}
	put("A4", "Four")
	a = do(t, "GET", delta, e.dv, "").want(t, 200)
	vals := a.values(t)
	if len(vals) != 3 || vals[0]["name"] != "One changed" || vals[1]["name"] != "Four" {
		t.Fatalf("delta %s", a.body)
	}
	del := vals[2]
	if del["id"] != removed.ID || del["reason"] != "deleted" || !strings.HasSuffix(del["@odata.context"].(string), "$metadata#accounts/$deletedEntity") {
		t.Errorf("deleted entity %v", del)
	}
	if ctx := a.json(t)["@odata.context"].(string); !strings.HasSuffix(ctx, "#accounts(name)/$delta") {
		t.Errorf("delta context %q", ctx)
	}
	delta = a.json(t)["@odata.deltaLink"].(string)
	if vals := do(t, "GET", delta, e.dv, "").want(t, 200).values(t); len(vals) != 0 {
		t.Errorf("nothing changed, delta %v", vals)
	}

	t.Run("paged", func(t *testing.T) {
		link := e.s.DVURL() + "/api/data/v9.2/accounts"
		var n, pages int
		for {
			a := do(t, "GET", link, e.dv, "", "Prefer", "odata.track-changes,odata.maxpagesize=2").want(t, 200)
			pages++
			n += len(a.values(t))
			m := a.json(t)
			if next, ok := m["@odata.nextLink"].(string); ok {
				link = next
				continue
			}
			if _, ok := m["@odata.deltaLink"].(string); !ok {
				t.Fatalf("last page without a delta link: %s", a.body)
			}
			break
		}
		if n != 3 || pages != 2 {
			t.Errorf("%d rows in %d pages, want 3 in 2", n, pages)
		}
	})
	t.Run("refused options", func(t *testing.T) {
		for _, q := range []string{"$filter=" + url.QueryEscape("name eq 'x'"), "$orderby=name", "$top=1", "$expand=primarycontactid"} {
			e.dvCall("GET", "accounts?"+q, "", "Prefer", "odata.track-changes").want(t, 400)
		}
	})
	t.Run("expired", func(t *testing.T) {
		e.clock.Advance(8 * 24 * time.Hour)
		e.dv = e.token(e.s.DVURL())
		code, _ := do(t, "GET", delta, e.dv, "").want(t, 400).errorOf(t)
		if code != fake.CodeDeltaTokenExpired {
			t.Errorf("expired token: code %s", code)
		}
		fresh := e.dvCall("GET", "accounts", "", "Prefer", "odata.track-changes").want(t, 200).json(t)["@odata.deltaLink"].(string)
		do(t, "GET", fresh, e.dv, "").want(t, 200)
		do(t, "POST", e.s.DVURL()+"/_faults/expire-delta-tokens", adminToken, "").want(t, 204)
		do(t, "GET", fresh, e.dv, "").want(t, 400)
	})
}

func TestDVUpsertMultiple(t *testing.T) {
	e := newEnv(t, nil)
	usmf := e.company("usmf")
	action := "accounts/Microsoft.Dynamics.CRM.UpsertMultiple"
	target := func(n, extra string) string {
		return `{"@odata.type":"Microsoft.Dynamics.CRM.account","@odata.id":"accounts(_msdyn_company_value=` + usmf + `,accountnumber='` + n + `')","name":"` + n + `"` + extra + `}`
	}
	e.dvCall("POST", action, `{"Targets":[`+target("M1", "")+`,`+target("M2", "")+`]}`).want(t, 204)
	for _, k := range []string{"usmf|M1", "usmf|M2"} {
		if _, ok := e.s.DV.Get("accounts", k); !ok {
			t.Errorf("%s not written", k)
		}
	}
	// Key columns in the body instead of @odata.id.
	inBody := `{"@odata.type":"Microsoft.Dynamics.CRM.account","accountnumber":"M3","name":"M3","msdyn_company@odata.bind":"/cdm_companies(` + usmf + `)"}`
	e.dvCall("POST", action, `{"Targets":[`+inBody+`]}`).want(t, 204)
	if _, ok := e.s.DV.Get("accounts", "usmf|M3"); !ok {
		t.Error("M3 (key in the body) not written")
	}
	// One failing record rolls the others back.
	code, _ := e.dvCall("POST", action, `{"Targets":[`+target("M4", "")+`,`+target("M1", `,"preferredcontactmethodcode":99`)+`]}`).want(t, 400).errorOf(t)
	if code != dsruntime.CodeChoiceOutOfRange {
		t.Errorf("code %s", code)
	}
	if _, ok := e.s.DV.Get("accounts", "usmf|M4"); ok {
		t.Error("M4 written although another target failed")
	}
	e.dvCall("POST", action, `{"Targets":[{"name":"no type"}]}`).want(t, 400)
	e.dvCall("POST", action, `{"Targets":[]}`).want(t, 400)
}

func TestDVServiceProtection(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Protection = Protection{Requests: 3, Window: time.Minute} })
	for i := 0; i < 3; i++ {
		e.dvCall("GET", "accounts", "").want(t, 200)
	}
	a := e.dvCall("GET", "accounts", "").want(t, 429)
	code, msg := a.errorOf(t)
	if code != dsruntime.CodeRequestLimitReached || msg != "Number of requests exceeded the limit of 3 over time window of 60 seconds." {
		t.Errorf("error %s %q", code, msg)
	}
	if a.header.Get("Retry-After") != "60" {
		t.Errorf("Retry-After %q", a.header.Get("Retry-After"))
	}
	// F&O is not affected, and the window slides.
	e.foCall("GET", "CustomersV3", "").want(t, 200)
	e.clock.Advance(30 * time.Second)
	if ra := e.dvCall("GET", "accounts", "").want(t, 429).header.Get("Retry-After"); ra != "30" {
		t.Errorf("Retry-After after 30 s: %q", ra)
	}
	e.clock.Advance(31 * time.Second)
	e.dvCall("GET", "accounts", "").want(t, 200)
	if st := e.s.Stats(); st.DVThrottled != 2 {
		t.Errorf("throttled %d, want 2", st.DVThrottled)
	}
	do(t, "PUT", e.s.DVURL()+"/_faults/protection", adminToken, `{"off":true}`).want(t, 200)
	for i := 0; i < 5; i++ {
		e.dvCall("GET", "accounts", "").want(t, 200)
	}
}

func TestDVProtectionPerUser(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.Protection = Protection{Requests: 1, Window: time.Minute}
		c.Clients = []Client{DefaultClient, {ID: "other", Secret: "other-secret"}}
	})
	e.dvCall("GET", "accounts", "").want(t, 200)
	e.dvCall("GET", "accounts", "").want(t, 429)
	other := e.s.Token("other", e.s.DVURL())
	do(t, "GET", e.s.DVURL()+"/api/data/v9.2/accounts", other, "").want(t, 200)
}

func TestDVConcurrencyLimit(t *testing.T) {
	// A real clock: the latency fault holds requests in flight.
	e := newEnv(t, func(c *Config) {
		c.Clock = nil
		c.Protection = Protection{Concurrent: 1}
		c.DV.Faults = []fake.Fault{{Kind: fake.FaultLatency, Latency: 300 * time.Millisecond}}
	})
	var wg sync.WaitGroup
	results := make([]answer, 3)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = do(t, "GET", e.s.DVURL()+"/api/data/v9.2/accounts", e.dv, "")
		}()
	}
	wg.Wait()
	var ok, limited int
	for _, a := range results {
		switch a.status {
		case 200:
			ok++
		case 429:
			limited++
			if code, _ := a.errorOf(t); code != dsruntime.CodeConcurrencyLimit {
				t.Errorf("code %s", code)
			}
		}
	}
	if ok < 1 || limited < 1 || ok+limited != 3 {
		t.Errorf("%d answered, %d limited", ok, limited)
	}
}

func TestDVExecutionTimeLimit(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Protection = Protection{ExecutionTime: time.Nanosecond, Window: time.Minute} })
	e.dvCall("GET", "accounts", "").want(t, 200)
	a := e.dvCall("GET", "accounts", "").want(t, 429)
	if code, msg := a.errorOf(t); code != dsruntime.CodeExecutionTimeLimit || !strings.HasPrefix(msg, "Combined execution time of incoming requests exceeded limit") {
		t.Errorf("error %s %q", code, msg)
	}
	if a.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
}

func TestProtectionScaled(t *testing.T) {
	p := Protection{}.Scaled(0.01)
	if p.Requests != 60 || p.Window != 3*time.Second || p.ExecutionTime != 12*time.Second || p.Concurrent != 52 {
		t.Errorf("scaled %+v", p)
	}
}

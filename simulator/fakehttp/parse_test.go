package fakehttp

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

func TestParseResource(t *testing.T) {
	tests := []struct {
		in   string
		want string // set|key parts|rest, or "error"
	}{
		{"accounts", "accounts||"},
		{"accounts(accountnumber='A''B')", "accounts|accountnumber=1:A'B|"},
		{"accounts(00000000-0000-0000-0000-00000000000A)", "accounts|=6:00000000-0000-0000-0000-00000000000a|"},
		{"accounts(_msdyn_company_value=00000000-0000-0000-0000-000000000001,accountnumber='x,)/y')", "accounts|_msdyn_company_value=6:00000000-0000-0000-0000-000000000001 accountnumber=1:x,)/y|"},
		{"T(a=1, b = 'x' )", "T|a=2:1 b=1:x|"},
		{"T(a=2.5,b=true,c=null,d=2024-01-02,e=2024-01-02T03:04:05Z)", "T|a=3:2.5 b=4:true c=5:null d=7:2024-01-02 e=8:2024-01-02T03:04:05Z|"},
		{"T(a=Microsoft.Dynamics.DataEntities.NoYes'Yes')", "T|a=9:Yes|"},
		{"accounts/Microsoft.Dynamics.CRM.UpsertMultiple", "accounts||Microsoft.Dynamics.CRM.UpsertMultiple"},
		{"accounts(accountnumber='A')/name", "accounts|accountnumber=1:A|name"},
		{"", "error"},
		{"(a=1)", "error"},
		{"T(a='x)", "error"},
		{"T(a='x'", "error"},
		{"T()", "error"},
		{"T(a=1,)", "error"},
		{"T(1,2)", "error"},
		{"T(a=1)x", "error"},
		{"T(a=bogus)", "error"},
		{"T(a='x' 'y')", "error"},
	}
	for _, tc := range tests {
		res, err := parseResource(tc.in)
		got := "error"
		if err == nil {
			var parts []string
			for _, p := range res.Key {
				parts = append(parts, fmt.Sprintf("%s=%d:%s", p.Name, p.Lit.Kind, p.Lit.Text))
			}
			got = res.Set + "|" + strings.Join(parts, " ") + "|" + res.Rest
		}
		if got != tc.want {
			t.Errorf("parseResource(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// testEnv is a filter environment over a few typed fields.
func testEnv() *filterEnv {
	fields := map[string]field{
		"s": {Name: "s", Type: plan.String}, "n": {Name: "n", Type: plan.Int}, "d": {Name: "d", Type: plan.Decimal},
		"b": {Name: "b", Type: plan.Bool}, "t": {Name: "t", Type: plan.DateTime}, "day": {Name: "day", Type: plan.Date},
		"e": {Name: "e", Type: plan.Enum, EnumType: "NS.Color", Members: []string{"Blue", "Red"}},
		"g": {Name: "g", Type: plan.Guid},
	}
	return &filterEnv{
		resolve:   func(n string) (field, bool) { f, ok := fields[n]; return f, ok },
		unknown:   func(n string) string { return "unknown " + n },
		enums:     true,
		wildcards: true,
		functions: map[string]bool{"contains": true, "startswith": true, "endswith": true},
	}
}

func testRecord() map[string]engine.Value {
	t, _ := parseDateTime("2025-03-04T05:06:07Z")
	day, _ := parseDateTime("2025-03-04T00:00:00Z")
	return map[string]engine.Value{
		"s": engine.String("O'Brien"), "n": engine.Int(42), "d": engine.MustDecimal("10.50"), "b": engine.Bool(true),
		"t": engine.Time(t), "day": engine.Time(day), "e": engine.String("Red"),
		"g": engine.String("0a1b2c3d-0000-0000-0000-000000000001"),
	}
}

func TestFilter(t *testing.T) {
	tests := []struct {
		filter string
		want   string // "true", "false" or an error substring
	}{
		{"s eq 'O''Brien'", "true"},
		{"s eq 'o''brien'", "true"},
		{"'O''Brien' eq s", "true"},
		{"s ne 'x'", "true"},
		{"n gt 41 and n lt 43", "true"},
		{"n ge 42 and n le 42", "true"},
		{"41 lt n", "true"},
		{"d eq 10.5", "true"},
		{"d gt 10", "true"},
		{"b eq true", "true"},
		{"b", "true"},
		{"not b", "false"},
		{"n eq 1 or n eq 42 and s eq 'x'", "false"},
		{"(n eq 1 or n eq 42) and s eq 'O''Brien'", "true"},
		{"n eq 1 or (n eq 42 and s eq 'O''Brien')", "true"},
		{"not (n eq 1)", "true"},
		{"t ge 2025-03-04T00:00:00Z and t lt 2025-03-05T00:00:00Z", "true"},
		{"t gt 2025-03-04T06:06:07+01:00", "false"},
		{"day eq 2025-03-04", "true"},
		{"e eq NS.Color'Red'", "true"},
		{"e ne NS.Color'Red'", "false"},
		{"g eq 0A1B2C3D-0000-0000-0000-000000000001", "true"},
		{"s eq null", "false"},
		{"s ne null", "true"},
		{"s eq '*Bri*'", "true"},
		{"s eq 'O*'", "true"},
		{"s eq 'X*'", "false"},
		{"contains(s,'bri')", "true"},
		{"startswith(s,'o''')", "true"},
		{"endswith(s,'x')", "false"},
		{"e eq 'Red'", "incompatible"},
		{"e gt NS.Color'Blue'", "eq or ne"},
		{"e eq NS.Other'Red'", "incompatible"},
		{"e eq NS.Color'Green'", "not a valid enumerated"},
		{"s has 'x'", "'has' operator"},
		{"s in ('a','b')", "'in' operator"},
		{"n add 1 eq 2", "arithmetic"},
		{"x eq 1", "unknown x"},
		{"s eq 1", "incompatible"},
		{"n eq 'x'", "incompatible"},
		{"g eq 'x'", "incompatible"},
		{"s eq", "syntax"},
		{"eq 1", "syntax"},
		{"(s eq 'x'", "syntax"},
		{"s eq 'x')", "syntax"},
		{"s eq 'x", "unterminated"},
		{"n eq 1 eq 2", "syntax"},
		{"n lt null", "incompatible"},
		{"substringof('x',s)", "not supported"},
		{"s eq 1 2", "syntax"},
		{"n", "not a boolean"},
		{strings.Repeat("(", 200) + "b" + strings.Repeat(")", 200), "too deeply"},
	}
	for _, tc := range tests {
		e, err := parseFilter(tc.filter)
		var p predicate
		if err == nil {
			p, err = compileFilter(e, testEnv())
		}
		got := ""
		if err != nil {
			got = err.Error()
		} else {
			got = fmt.Sprint(p(testRecord()))
		}
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.filter, got, tc.want)
		}
	}
}

func TestParsePrefer(t *testing.T) {
	p := parsePrefer([]string{`odata.include-annotations="*", odata.maxpagesize=50`, "odata.track-changes,return=representation", "odata.continue-on-error"})
	if p.maxPageSize != 50 || !p.trackChanges || !p.returnRepresentation || !p.continueOnError {
		t.Errorf("parsed %+v", p)
	}
}

func TestWildcard(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{{"a*c", "abc", true}, {"a*c", "ab/c", true}, {"*[x]*", "a[x]b", true}, {"a?c", "abc", false}, {"a?c", "a?c", true}} {
		if got := wildcardMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("wildcardMatch(%q, %q) = %v", tc.pattern, tc.s, got)
		}
	}
}

func TestParseBatch(t *testing.T) {
	base := "http://h/api/data/v9.2"
	b := batchBody("x",
		part("GET", "http://h/api/data/v9.2/accounts?$select=name", ""),
		changeset(part("PATCH", "/api/data/v9.2/accounts(1)", `{"a":1}`, "Content-ID", "1"), part("DELETE", "$1", "")),
	)
	items, n, err := parseBatch(b.contentType, []byte(b.body), base)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 || len(items) != 2 || items[0].req.path != "accounts" || items[0].req.rawQuery != "$select=name" ||
		len(items[1].changeSet) != 2 || items[1].changeSet[0].contentID != "1" || string(items[1].changeSet[0].req.body) != `{"a":1}` ||
		items[1].changeSet[1].req.path != "$1" {
		t.Errorf("parsed %d parts: %+v", n, items)
	}
	for _, bad := range []string{
		"--batch_x\r\nContent-Type: text/plain\r\n\r\nhello\r\n--batch_x--",
		"--batch_x\r\nContent-Type: application/http\r\n\r\n\r\n--batch_x--",
		"--batch_x\r\nContent-Type: application/http\r\n\r\nGET http://other/x HTTP/1.1\r\n\r\n--batch_x--",
		"--batch_x\r\nContent-Type: multipart/mixed; boundary=cs\r\n\r\n--cs--\r\n--batch_x--",
	} {
		if _, _, err := parseBatch(b.contentType, []byte(bad), base); err == nil {
			t.Errorf("parseBatch accepted %q", bad)
		}
	}
	if _, _, err := parseBatch("application/json", []byte(b.body), base); err == nil {
		t.Error("parseBatch accepted a JSON content type")
	}
}

func FuzzParseResource(f *testing.F) {
	for _, s := range []string{"accounts(accountnumber='A''B')", "T(a=1,b='x')", "T(00000000-0000-0000-0000-000000000000)",
		"accounts/Microsoft.Dynamics.CRM.UpsertMultiple", "T(a=NS.E'x')/rest", "T('", "T(a=", "()"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		res, err := parseResource(s)
		if err != nil {
			return
		}
		for _, p := range res.Key {
			for _, typ := range []plan.Type{plan.String, plan.Int, plan.Decimal, plan.Lookup, plan.Date, plan.DateTime, plan.Enum, plan.Bool, ""} {
				p.Lit.value(typ)
			}
		}
	})
}

func FuzzFilter(f *testing.F) {
	for _, s := range []string{"s eq 'O''Brien'", "n gt 1 and (b or not b)", "e eq NS.Color'Red'", "contains(s,'x')",
		"t ge 2025-01-01T00:00:00Z", "g eq 0a1b2c3d-0000-0000-0000-000000000001", "s eq '*x*'", "((", "s has 1", "d le -1.5e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := parseFilter(s)
		if err != nil {
			return
		}
		p, err := compileFilter(e, testEnv())
		if err != nil {
			return
		}
		p(testRecord())
		p(map[string]engine.Value{})
	})
}

func FuzzParseBatch(f *testing.F) {
	b := batchBody("x", part("GET", "accounts", ""), changeset(part("PATCH", "accounts(1)", `{"a":1}`, "Content-ID", "1")))
	f.Add(b.body)
	f.Add("--batch_x\r\nContent-Type: application/http\r\n\r\nGET accounts HTTP/1.1\r\n\r\n--batch_x--")
	f.Add("--batch_x\r\nContent-Type: multipart/mixed; boundary=cs\r\n\r\n--cs\r\nContent-Type: application/http\r\n\r\nPOST x HTTP/1.1\r\n\r\n{}\r\n--cs--\r\n--batch_x--")
	f.Fuzz(func(t *testing.T, body string) {
		items, _, err := parseBatch(b.contentType, []byte(body), "http://h/api/data/v9.2")
		if err != nil {
			return
		}
		countRequests(items)
		describe(items)
	})
}

func FuzzDecodeBody(f *testing.F) {
	f.Add(`{"name":"x","n":1,"d":1.5,"b@odata.bind":"/x(1)","@odata.type":"t","x@y":1}`)
	f.Add(`{"n":1e400}`)
	f.Add(`[1]`)
	f.Fuzz(func(t *testing.T, s string) {
		decodeBody([]byte(s), nil)
	})
}

package odata

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

func str(s string) engine.Value { return engine.String(s) }

func wantValues(t *testing.T, o engine.Observed, want map[string]engine.Value) {
	t.Helper()
	for k, w := range want {
		got, ok := o.Values[k]
		if !ok {
			t.Errorf("%s: %s missing", o.Key, k)
			continue
		}
		if got.Kind() != w.Kind() || !got.Equal(w) {
			t.Errorf("%s: %s = %s (%s), want %s (%s)", o.Key, k, got, got.Kind(), w, w.Kind())
		}
	}
}

func TestFOChanges(t *testing.T) {
	rp := newReplay(t,
		&rule{method: "GET", match: "$skiptoken=2", file: "fo/customers_2.json"},
		&rule{method: "GET", match: "ModifiedDateTime ge", file: "fo/customers_poll.json"},
		&rule{method: "GET", match: "/data/CustomersV3?", times: 1, file: "fo/customers_1.json"},
	)
	c := newTestFO(t, rp, nil)
	m := mapOf(t, c.plan, "customer")
	ctx := context.Background()

	page, err := c.Changes(ctx, m, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Rows) != 3 || page.More {
		t.Fatalf("got %d rows (more %v), want 3 rows", len(page.Rows), page.More)
	}
	keys := []string{"usmf|US-001", "usmf|US-002", "usrt|O'Brien"}
	for i, o := range page.Rows {
		if o.Key != keys[i] || o.Side != plan.FO || o.Map != "customer" {
			t.Errorf("row %d: %s %s %s", i, o.Side, o.Map, o.Key)
		}
	}
	wantValues(t, page.Rows[0], map[string]engine.Value{
		"CreditLimit":            engine.MustDecimal("25000.5"),
		"PreferredContactMethod": str("Email"),
		"PrimaryContactPersonId": str("usmf|CP-0042"), // a lookup: the contact's key
		"OrganizationName":       str("Contoso Retail Seattle"),
		"CustomerAccount":        str("US-001"),
	})
	wantValues(t, page.Rows[1], map[string]engine.Value{
		"AddressCity":            engine.Null(), // F&O's empty text is no value
		"PreferredContactMethod": str("Phone"),  // from the namespaced literal
		"PrimaryContactPersonId": engine.Null(),
		"CreditLimit":            engine.MustDecimal("0"),
	})
	wantValues(t, page.Rows[2], map[string]engine.Value{
		"CreditLimit":      engine.MustDecimal("123456789012345.123456"), // exact
		"OrganizationName": str("O'Brien Ünïcode"),
	})
	if v := page.Rows[0].Version; v != `W/"JzEsNTYzNzE0NDQyMDsxLDIyNTY0NTY3MDAn"` {
		t.Errorf("version %s", v)
	}
	if got := page.Rows[2].Modified; !got.Equal(time.Date(2024, 5, 2, 9, 16, 10, 0, time.UTC)) {
		t.Errorf("modified %v", got)
	}
	if !strings.HasPrefix(page.Next, "fo1 2024-05-02T09:16:10Z ") || page.Rows[2].Token != page.Next || page.Rows[0].Token != "" {
		t.Errorf("cursor %q, tokens %q %q", page.Next, page.Rows[0].Token, page.Rows[2].Token)
	}
	first := rp.requests()[0]
	for _, want := range []string{"cross-company=true", "$orderby=ModifiedDateTime asc,dataAreaId asc,CustomerAccount asc", "$select=dataAreaId,CustomerAccount,"} {
		if !strings.Contains(first.uri, want) {
			t.Errorf("first request %s lacks %s", first.uri, want)
		}
	}
	if strings.Contains(first.uri, "$filter") {
		t.Errorf("first poll has a filter: %s", first.uri)
	}
	if p := first.header.Get("Prefer"); p != "odata.maxpagesize=11" {
		t.Errorf("Prefer %q", p)
	}
	if strings.Contains(first.raw, "+") || strings.Contains(first.raw, " ") {
		t.Errorf("query has a raw space or plus: %s", first.raw)
	}

	// The next poll reads again from the mark minus the overlap: the row at
	// the mark is skipped, the late row at the same instant is new.
	next, err := c.Changes(ctx, m, page.Next, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(next.Rows) != 1 || next.Rows[0].Key != "usmf|US-003" {
		t.Fatalf("second poll: %+v", next.Rows)
	}
	last := rp.requests()[len(rp.requests())-1]
	if !strings.Contains(last.uri, "$filter=ModifiedDateTime ge 2024-05-02T09:15:10Z") {
		t.Errorf("second poll %s", last.uri)
	}
	// Nothing new: the same cursor comes back and no row.
	again, err := c.Changes(ctx, m, next.Next, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Rows) != 0 || again.Next != next.Next {
		t.Errorf("third poll: %d rows, cursor %q (was %q)", len(again.Rows), again.Next, next.Next)
	}
	// A restarted connector has no window memory but the cursor's digests
	// still skip the rows at the mark.
	c2 := newTestFO(t, rp, nil)
	restarted, err := c2.Changes(ctx, m, next.Next, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(restarted.Rows) != 0 {
		t.Errorf("after restart: %d rows", len(restarted.Rows))
	}
	// A cursor from elsewhere is an expired cursor.
	if _, err := c.Changes(ctx, m, "dv1 delta x", 10); !errors.Is(err, dsruntime.ErrCursorExpired) {
		t.Errorf("foreign cursor: %v", err)
	}
}

func TestFOChangesLimit(t *testing.T) {
	// The replay ignores the filter: every poll starts with US-001.
	rp := newReplay(t,
		&rule{method: "GET", match: "$skiptoken=2", file: "fo/customers_2.json"},
		&rule{method: "GET", match: "/data/CustomersV3?", file: "fo/customers_1.json"},
	)
	c := newTestFO(t, rp, nil)
	m := mapOf(t, c.plan, "customer")
	page, err := c.Changes(context.Background(), m, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Rows) != 1 || !page.More || page.Rows[0].Key != "usmf|US-001" {
		t.Fatalf("limit 1: %d rows, more %v", len(page.Rows), page.More)
	}
	// The next call goes on with US-002 (same instant as US-001).
	page2, err := c.Changes(context.Background(), m, page.Next, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(page2.Rows) != 1 || page2.Rows[0].Key != "usmf|US-002" || !page2.More {
		t.Fatalf("second page: %+v", page2.Rows)
	}
	page3, err := c.Changes(context.Background(), m, page2.Next, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(page3.Rows) != 1 || page3.Rows[0].Key != "usrt|O'Brien" {
		t.Fatalf("third page: %+v", page3.Rows)
	}
	page4, err := c.Changes(context.Background(), m, page3.Next, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(page4.Rows) != 0 || page4.More {
		t.Fatalf("fourth page: %+v more %v", page4.Rows, page4.More)
	}
}

func TestFOChangesMalformed(t *testing.T) {
	rp := newReplay(t, &rule{method: "GET", match: "/data/CustomersV3", file: "fo/customers_malformed.json"})
	c := newTestFO(t, rp, nil)
	m := mapOf(t, c.plan, "customer")
	// Without OnReject, the rejected rows come back in the page, for the
	// error queue, and the other rows flow.
	page, err := c.Changes(context.Background(), m, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Rejected) != 3 || len(page.Rows) != 1 {
		t.Fatalf("rejected %+v, rows %+v; want 3 and 1", page.Rejected, page.Rows)
	}
	if re := page.Rejected[0]; re.Key != "" || re.Field != "CustomerAccount" || !strings.Contains(re.Raw, "No Key Town") || re.Reason == "" {
		t.Errorf("rejected row without a key: %+v", re)
	}
	if re := page.Rejected[1]; re.Key != "usmf|US-050" || re.Field != "CreditLimit" {
		t.Errorf("rejected row: %+v", re)
	}
	again, err := c.Changes(context.Background(), m, page.Next, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Rejected) != 0 {
		t.Errorf("rejected again: %+v", again.Rejected)
	}

	var rejected []Rejected
	c2 := newTestFO(t, rp, func(cfg *Config) { cfg.OnReject = func(r Rejected) { rejected = append(rejected, r) } })
	page, err = c2.Changes(context.Background(), m, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rejected) != 3 || len(page.Rejected) != 0 {
		t.Fatalf("rejected %d rows, want 3: %+v", len(rejected), rejected)
	}
	if rejected[1].Key != "usmf|US-050" || rejected[1].Field != "CreditLimit" || rejected[2].Field != "PreferredContactMethod" {
		t.Errorf("rejected: %+v", rejected)
	}
	// A well-formed member the value map lacks is passed on for the engine
	// to queue as an invalid value.
	if len(page.Rows) != 1 || !page.Rows[0].Values["PreferredContactMethod"].Equal(str("Telegraph")) {
		t.Errorf("rows: %+v", page.Rows)
	}
	// Polling again does not report the same rejected rows twice.
	if _, err := c2.Changes(context.Background(), m, page.Next, 10); err != nil {
		t.Fatal(err)
	}
	if len(rejected) != 3 {
		t.Errorf("rejected again: %d", len(rejected))
	}
}

func TestFORead(t *testing.T) {
	rp := newReplay(t,
		&rule{method: "GET", match: "CustomerAccount='O''Brien'", file: "fo/customer_read.json"},
		&rule{method: "GET", match: "CustomerAccount='GONE'", status: 404, body: `{"error":{"code":"","message":"No resources were found when selecting for update."}}`},
	)
	c := newTestFO(t, rp, nil)
	m := mapOf(t, c.plan, "customer")
	o, err := c.Read(context.Background(), m, "usrt|O'Brien")
	if err != nil {
		t.Fatal(err)
	}
	if o.Key != "usrt|O'Brien" || o.Deleted || !o.Values["AddressCity"].Equal(str("Dublin")) {
		t.Errorf("read %+v", o)
	}
	if raw := rp.requests()[0].raw; !strings.HasPrefix(raw, "/data/CustomersV3(dataAreaId='usrt',CustomerAccount='O''Brien')?cross-company=true&$select=") {
		t.Errorf("request %s", raw)
	}
	gone, err := c.Read(context.Background(), m, "usmf|GONE")
	if err != nil || !gone.Deleted || gone.Key != "usmf|GONE" {
		t.Errorf("missing record: %+v, %v", gone, err)
	}
}

func TestFOApply(t *testing.T) {
	var created, patched map[string]any
	rp := newReplay(t,
		&rule{method: "POST", match: "/data/CustomersV3", bodyHas: "O'Brien", status: 201, file: "fo/customer_read.json",
			check: func(r *http.Request, b []byte) { _ = json.Unmarshal(b, &created) }},
		&rule{method: "POST", match: "/data/CustomersV3", status: 500, file: "fo/error_write.json"},
		&rule{method: "PATCH", match: "CustomerAccount='US-001'", status: 204,
			check: func(r *http.Request, b []byte) {
				_ = json.Unmarshal(b, &patched)
				if r.Header.Get("If-Match") != `W/"v1"` || r.URL.Query().Get("cross-company") != "true" {
					t.Errorf("PATCH headers %v query %s", r.Header, r.URL.RawQuery)
				}
			}},
		&rule{method: "GET", match: "CustomerAccount='US-001'", file: "fo/customer_read.json"},
		&rule{method: "PATCH", match: "CustomerAccount='US-429'", status: 429, header: map[string]string{"Retry-After": "7"}, file: "fo/error_throttled.json"},
		&rule{method: "DELETE", match: "CustomerAccount='US-009'", status: 204,
			check: func(r *http.Request, b []byte) {
				if r.Header.Get("If-Match") != `W/"v9"` {
					t.Errorf("DELETE If-Match %q", r.Header.Get("If-Match"))
				}
			}},
	)
	c := newTestFO(t, rp, nil)
	m := mapOf(t, c.plan, "customer")
	ws := []engine.Write{
		{ID: "w1", Key: "usrt|O'Brien", Op: engine.OpUpsert, Create: true, Values: []engine.FieldValue{
			{Field: "OrganizationName", Value: str("O'Brien Ünïcode")},
			{Field: "PreferredContactMethod", Value: str("Mail")},
			{Field: "PrimaryContactPersonId", Value: str("usrt|CP-7")},
			{Field: "CreditLimit", Value: engine.MustDecimal("123456789012345.123456")},
			{Field: "AddressCity", Value: engine.Null()},
		}},
		{ID: "w2", Key: "usmf|US-001", Op: engine.OpUpsert, ExpectedVersion: `W/"v1"`, Values: []engine.FieldValue{
			{Field: "AddressCity", Value: str("Dublin")},
		}},
		{ID: "w3", Key: "usmf|US-009", Op: engine.OpDelete, ExpectedVersion: `W/"v9"`},
		{ID: "w4", Key: "usmf|US-100", Op: engine.OpUpsert, Create: true, Values: []engine.FieldValue{{Field: "OrganizationName", Value: str("Dup")}}},
		{ID: "w6", Key: "usmf|US-1", Op: engine.OpUpsert, Values: []engine.FieldValue{{Field: "PrimaryContactPersonId", Value: str("usrt|CP-7")}}},
		{ID: "w7", Key: "only-one-part", Op: engine.OpUpsert},
	}
	results := byID(c.Apply(context.Background(), m, ws))
	// The throttled write goes alone, after the others: writes run
	// concurrently, and a 429 closes the gate for every write not yet sent.
	throttled := engine.Write{ID: "w5", Key: "usmf|US-429", Op: engine.OpUpsert, ExpectedVersion: `W/"x"`,
		Values: []engine.FieldValue{{Field: "AddressCity", Value: str("X")}}}
	maps.Copy(results, byID(c.Apply(context.Background(), m, []engine.Write{throttled})))

	if a := results["w1"].Acked; a == nil || a.NewVersion != `W/"JzEsNTYzNzE0NDQ5OTsxLDIyNTY0NTY3OTkn"` ||
		!a.Stored["OrganizationName"].Equal(str("O'Brien Ünïcode")) || !a.Stored["AddressCity"].Equal(str("Dublin")) {
		t.Errorf("w1: %+v %+v", results["w1"].Acked, results["w1"].Failed)
	}
	wantBody := map[string]any{"dataAreaId": "usrt", "CustomerAccount": "O'Brien", "OrganizationName": "O'Brien Ünïcode",
		"PreferredContactMethod": "Mail", "PrimaryContactPersonId": "CP-7", "CreditLimit": 123456789012345.123456, "AddressCity": ""}
	for k, v := range wantBody {
		if created[k] != v {
			t.Errorf("POST body %s = %#v, want %#v", k, created[k], v)
		}
	}
	// The update answered 204: the row was read back for version and values.
	if a := results["w2"].Acked; a == nil || a.NewVersion == "" || a.Stored["AddressCity"].IsNull() {
		t.Errorf("w2: %+v", results["w2"])
	}
	if len(patched) != 1 || patched["AddressCity"] != "Dublin" {
		t.Errorf("PATCH body %v", patched)
	}
	if results["w3"].Acked == nil {
		t.Errorf("w3: %+v", results["w3"].Failed)
	}
	if f := results["w4"].Failed; f == nil || f.Class != engine.VersionMismatch {
		t.Errorf("w4 (exists): %+v", f)
	}
	if f := results["w5"].Failed; f == nil || f.Class != engine.Throttled || f.RetryAfter != 7*time.Second {
		t.Errorf("w5 (throttled): %+v", f)
	}
	if f := results["w6"].Failed; f == nil || f.Class != engine.Validation || f.Field != "PrimaryContactPersonId" {
		t.Errorf("w6 (lookup in another company): %+v", f)
	}
	if f := results["w7"].Failed; f == nil || f.Class != engine.Validation {
		t.Errorf("w7 (bad key): %+v", f)
	}
	if len(results) != len(ws)+1 {
		t.Errorf("%d results for %d writes", len(results), len(ws))
	}
}

func byID(rs []dsruntime.Result) map[string]dsruntime.Result {
	out := map[string]dsruntime.Result{}
	for _, r := range rs {
		out[r.WriteID()] = r
	}
	return out
}

func TestFOApplyBatch(t *testing.T) {
	rp := newReplay(t, &rule{method: "POST", match: "/data/$batch", file: "fo/batch_mixed.txt",
		header: map[string]string{"Content-Type": "multipart/mixed; boundary=batchresponse_7f3a2b10-0002-4c0d-8e1f-aabbccddeeff"},
		check: func(r *http.Request, b []byte) {
			if r.Header.Get("Prefer") != "odata.continue-on-error" || !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/mixed; boundary=batch_") {
				t.Errorf("batch headers %v", r.Header)
			}
			if n := strings.Count(string(b), "Content-Type: multipart/mixed; boundary=changeset_"); n != 2 {
				t.Errorf("%d change sets, want 2", n)
			}
		}})
	c := newTestFO(t, rp, func(cfg *Config) { cfg.Batch = true })
	m := mapOf(t, c.plan, "customer")
	rs := byID(c.Apply(context.Background(), m, []engine.Write{
		{ID: "a", Key: "usmf|US-100", Op: engine.OpUpsert, Create: true, Values: []engine.FieldValue{{Field: "OrganizationName", Value: str("Fabrikam Tacoma")}}},
		{ID: "b", Key: "usmf|US-101", Op: engine.OpUpsert, Create: true, Values: []engine.FieldValue{{Field: "CustomerGroupId", Value: engine.Null()}}},
	}))
	if a := rs["a"].Acked; a == nil || a.NewVersion != `W/"JzEsNTYzNzE0NTQ3NjsxLDIyNTY0NTY3ODkn"` || !a.Stored["OrganizationName"].Equal(str("Fabrikam Tacoma")) {
		t.Errorf("a: %+v %+v", rs["a"].Acked, rs["a"].Failed)
	}
	if f := rs["b"].Failed; f == nil || f.Class != engine.Validation || f.Field != "Customer group" || f.Status != 500 {
		t.Errorf("b: %+v", f)
	}
}

package odata

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
)

// dvCompanyRules answer the company look-ups.
func dvCompanyRules() []*rule {
	return []*rule{
		{method: "GET", match: "cdm_companies(" + usmfID + ")", file: "dv/company_usmf.json"},
		{method: "GET", match: "cdm_companycode eq 'usmf'", file: "dv/companies_usmf.json"},
		{method: "GET", match: "cdm_companycode eq", file: "dv/companies_none.json"},
	}
}

func TestDVChanges(t *testing.T) {
	rp := newReplay(t, append(dvCompanyRules(),
		&rule{method: "GET", match: "contacts(7d2e4f60-1a2b-4c3d-9e8f-0a1b2c3d4e5f)", file: "dv/contact_by_id.json"},
		&rule{method: "GET", match: "$deltatoken=5120388", file: "dv/accounts_delta.json"},
		&rule{method: "GET", match: "$skiptoken=", file: "dv/accounts_initial_2.json"},
		&rule{method: "GET", match: "/api/data/v9.2/accounts?$select=", file: "dv/accounts_initial_1.json",
			check: func(r *http.Request, _ []byte) {
				if p := r.Header.Get("Prefer"); p != "odata.track-changes,odata.maxpagesize=50" {
					t.Errorf("Prefer %q", p)
				}
				if r.Header.Get("OData-Version") != "4.0" || r.Header.Get("Accept") != "application/json" {
					t.Errorf("headers %v", r.Header)
				}
			}},
	)...)
	c := newTestDV(t, rp, nil)
	m := mapOf(t, c.plan, "customer")
	ctx := context.Background()

	p1, err := c.Changes(ctx, m, "", 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(p1.Rows) != 1 || !p1.More || !strings.HasPrefix(p1.Next, "dv1 next accounts?") {
		t.Fatalf("page 1: %d rows, more %v, next %q", len(p1.Rows), p1.More, p1.Next)
	}
	o := p1.Rows[0]
	if o.Key != "usmf|US-001" || o.Version != `W/"5120331"` || o.Token != p1.Next {
		t.Errorf("row %+v", o)
	}
	wantValues(t, o, map[string]engine.Value{
		"creditlimit":                engine.MustDecimal("25000.50"),
		"preferredcontactmethodcode": engine.Int(2),
		"primarycontactid":           str("usmf|CP-0042"),
		"accountnumber":              str("US-001"),
		"msdyn_paymentterm":          str("Net30"),
	})
	if _, ok := o.Values["msdyn_company"]; ok {
		t.Error("the company key is reported as a value")
	}
	if !o.Modified.Equal(time.Date(2024, 5, 2, 9, 15, 42, 0, time.UTC)) {
		t.Errorf("modified %v", o.Modified)
	}

	p2, err := c.Changes(ctx, m, p1.Next, 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(p2.Rows) != 1 || p2.More || !strings.HasPrefix(p2.Next, "dv1 delta accounts?") {
		t.Fatalf("page 2: %d rows, more %v, next %q", len(p2.Rows), p2.More, p2.Next)
	}
	wantValues(t, p2.Rows[0], map[string]engine.Value{
		"address1_city":    engine.Null(),
		"name":             str("Ö'Brien Ünïcode GmbH"),
		"primarycontactid": engine.Null(),
		"creditlimit":      engine.Null(),
	})
	if p2.Rows[0].Key != "usmf|O'Brien & Sons" {
		t.Errorf("key %q", p2.Rows[0].Key)
	}

	p3, err := c.Changes(ctx, m, p2.Next, 50)
	if err != nil {
		t.Fatal(err)
	}
	// An update, a delete of a known row; the delete of an unknown id is
	// skipped.
	if len(p3.Rows) != 2 {
		t.Fatalf("delta: %+v", p3.Rows)
	}
	if p3.Rows[0].Key != "usmf|US-001" || !p3.Rows[0].Values["address1_city"].Equal(str("Redmond")) {
		t.Errorf("updated row %+v", p3.Rows[0])
	}
	if d := p3.Rows[1]; !d.Deleted || d.Key != "usmf|O'Brien & Sons" || d.Token != p3.Next {
		t.Errorf("deleted row %+v", d)
	}
	if !strings.Contains(p3.Next, "$deltatoken=5120502") {
		t.Errorf("next %q", p3.Next)
	}
	// Ids are cached: the contact and the company were read once.
	if n := rp.count("GET", "contacts("); n != 1 {
		t.Errorf("%d contact reads, want 1", n)
	}
	if n := rp.count("GET", "cdm_companies("); n != 1 {
		t.Errorf("%d company reads, want 1", n)
	}
}

func TestDVChangesExpired(t *testing.T) {
	rp := newReplay(t, append(dvCompanyRules(),
		&rule{method: "GET", match: "$deltatoken=", status: 400, file: "dv/error_delta_expired.json"},
		&rule{method: "GET", match: "$skiptoken=", status: 400, body: `{"error":{"code":"0x80040203","message":"Invalid paging cookie"}}`},
		&rule{method: "GET", match: "/accounts?$select", body: `{"value":[]}`},
		&rule{method: "GET", match: "/contacts?$select", status: 503, header: map[string]string{"Retry-After": "1"}, body: `{"error":{"code":"0x80040216","message":"Service unavailable"}}`},
	)...)
	c := newTestDV(t, rp, nil)
	m := mapOf(t, c.plan, "customer")
	for _, cur := range []string{"dv1 delta accounts?$deltatoken=1%2101%2f01%2f2024", "dv1 next accounts?$skiptoken=x", "garbage"} {
		_, err := c.Changes(context.Background(), m, cur, 10)
		if !errors.Is(err, dsruntime.ErrCursorExpired) {
			t.Errorf("cursor %q: %v, want ErrCursorExpired", cur, err)
		}
	}
	// Change tracking off: the answer has no delta link.
	if _, err := c.Changes(context.Background(), m, "", 10); err == nil || !strings.Contains(err.Error(), "change tracking") {
		t.Errorf("no delta link: %v", err)
	}
	// A transient failure is not an expired cursor.
	_, err := c.Changes(context.Background(), mapOf(t, c.plan, "contact"), "", 10)
	if err == nil || errors.Is(err, dsruntime.ErrCursorExpired) {
		t.Errorf("503: %v", err)
	}
	if n := rp.count("GET", "/contacts?"); n != 4 {
		t.Errorf("503 tried %d times, want 4 (1 + 3 retries)", n)
	}
}

func TestDVChangesMalformed(t *testing.T) {
	rp := newReplay(t, append(dvCompanyRules(),
		&rule{method: "GET", match: "/accounts?", file: "dv/accounts_malformed.json"})...)
	c := newTestDV(t, rp, nil)
	m := mapOf(t, c.plan, "customer")
	// Without OnReject, the rejected row comes back in the page, for the
	// error queue, and the other rows flow.
	page, err := c.Changes(context.Background(), m, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Rejected) != 1 || len(page.Rows) != 1 || page.Rows[0].Key != "usmf|US-777" || page.Next == "" {
		t.Fatalf("rejected %+v, rows %+v", page.Rejected, page.Rows)
	}
	if re := page.Rejected[0]; re.Key != "usmf|US-001" || re.Field != "preferredcontactmethodcode" || !strings.Contains(re.Raw, `"Email"`) || re.Reason == "" {
		t.Errorf("want the rejected row named, got %+v", re)
	}
	var rej []Rejected
	c2 := newTestDV(t, rp, func(cfg *Config) { cfg.OnReject = func(r Rejected) { rej = append(rej, r) } })
	page, err = c2.Changes(context.Background(), m, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rej) != 1 || len(page.Rejected) != 0 || len(page.Rows) != 1 || page.Rows[0].Key != "usmf|US-777" || page.Next == "" {
		t.Errorf("rejected %+v, rows %+v", rej, page.Rows)
	}
}

func TestDVRead(t *testing.T) {
	rp := newReplay(t, append(dvCompanyRules(),
		&rule{method: "GET", match: "accounts(_msdyn_company_value=" + usmfID + ",accountnumber='US-001')?$select=", file: "dv/account_read.json"},
		&rule{method: "GET", match: "accounts(_msdyn_company_value=" + usmfID + ",accountnumber='US-404')", status: 404,
			body: `{"error":{"code":"0x80040217","message":"account With Ids = accountnumber=US-404 Does Not Exist"}}`},
		&rule{method: "GET", match: "$filter=_msdyn_company_value eq " + usmfID + " and accountnumber eq 'A/B?C'", file: "dv/accounts_by_filter.json"},
	)...)
	c := newTestDV(t, rp, nil)
	m := mapOf(t, c.plan, "customer")
	ctx := context.Background()
	o, err := c.Read(ctx, m, "usmf|US-001")
	if err != nil {
		t.Fatal(err)
	}
	if o.Key != "usmf|US-001" || o.Version != `W/"5120499"` || !o.Values["primarycontactid"].IsNull() {
		t.Errorf("read %+v", o)
	}
	gone, err := c.Read(ctx, m, "usmf|US-404")
	if err != nil || !gone.Deleted {
		t.Errorf("404: %+v %v", gone, err)
	}
	nocompany, err := c.Read(ctx, m, "zz99|US-001")
	if err != nil || !nocompany.Deleted {
		t.Errorf("unknown company: %+v %v", nocompany, err)
	}
	// A key Dataverse cannot address: read by filter, never in the path.
	odd, err := c.Read(ctx, m, "usmf|A/B?C")
	if err != nil {
		t.Fatal(err)
	}
	if odd.Key != "usmf|A/B?C" || !odd.Values["name"].Equal(str("Slash & Co")) {
		t.Errorf("filter read %+v", odd)
	}
	for _, s := range rp.requests() {
		path, _, _ := strings.Cut(s.raw, "?")
		if strings.Contains(path, "A%2FB") || strings.Contains(path, "A/B") {
			t.Errorf("reserved key in a path: %s", s.raw)
		}
	}
	if id, ok := c.ids.ID("accounts", "usmf|A/B?C"); !ok || id != "3c5e7a91-bb22-4c33-9d44-e55f66a77b88" {
		t.Errorf("id cache: %q %v", id, ok)
	}
}

// batchRequest is one request read back from a $batch body.
type batchRequest struct {
	method, url string
	header      http.Header
	body        map[string]any
}

func parseBatchRequest(t *testing.T, contentType string, body []byte) [][]batchRequest {
	t.Helper()
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		t.Fatal(err)
	}
	var sets [][]batchRequest
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return sets
		}
		if err != nil {
			t.Fatal(err)
		}
		_, cp, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if err != nil {
			t.Fatal(err)
		}
		var set []batchRequest
		cr := multipart.NewReader(p, cp["boundary"])
		for {
			q, err := cr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if q.Header.Get("Content-Type") != "application/http" || q.Header.Get("Content-ID") == "" {
				t.Errorf("part headers %v", q.Header)
			}
			req, err := http.ReadRequest(bufio.NewReader(q))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(req.Body)
			br := batchRequest{method: req.Method, url: req.RequestURI, header: req.Header}
			if len(bytes.TrimSpace(b)) > 0 {
				if err := json.Unmarshal(b, &br.body); err != nil {
					t.Errorf("body %q: %v", b, err)
				}
			}
			set = append(set, br)
		}
		sets = append(sets, set)
	}
}

func TestDVApply(t *testing.T) {
	var sets [][]batchRequest
	rp := newReplay(t, append(dvCompanyRules(),
		&rule{method: "POST", match: "/api/data/v9.2/$batch", file: "dv/batch_mixed.txt",
			header: map[string]string{"Content-Type": "multipart/mixed; boundary=batchresponse_c1d2e3f4-0001-4abc-9def-112233445566", "x-ms-dop-hint": "2"},
			check: func(r *http.Request, b []byte) {
				if r.Header.Get("Prefer") != "odata.continue-on-error" {
					t.Errorf("batch Prefer %q", r.Header.Get("Prefer"))
				}
				sets = parseBatchRequest(t, r.Header.Get("Content-Type"), b)
			}},
	)...)
	c := newTestDV(t, rp, nil)
	m := mapOf(t, c.plan, "customer")
	ws := []engine.Write{
		{ID: "create", Key: "usmf|US-100", Op: engine.OpUpsert, Create: true, Values: []engine.FieldValue{
			{Field: "name", Value: str("Fabrikam Tacoma")},
			{Field: "preferredcontactmethodcode", Value: engine.Int(2)},
			{Field: "creditlimit", Value: engine.MustDecimal("1500.00")},
			{Field: "primarycontactid", Value: str("usmf|CP-O'1")},
		}},
		{ID: "stale", Key: "usmf|US-001", Op: engine.OpUpsert, ExpectedVersion: `W/"1"`, Values: []engine.FieldValue{
			{Field: "address1_city", Value: str("Redmond")},
			{Field: "primarycontactid", Value: engine.Null()},
		}},
		{ID: "delete", Key: "usmf|US-002", Op: engine.OpDelete, ExpectedVersion: `W/"2"`},
		{ID: "plugin", Key: "usmf|US-003", Op: engine.OpUpsert, Values: []engine.FieldValue{{Field: "msdyn_customergroupid", Value: str("99")}}},
		{ID: "badvalue", Key: "usmf|US-004", Op: engine.OpUpsert, Values: []engine.FieldValue{{Field: "preferredcontactmethodcode", Value: str("Email")}}},
	}
	rs := byID(c.Apply(context.Background(), m, ws))
	if len(sets) != 4 {
		t.Fatalf("%d change sets, want 4", len(sets))
	}
	cr := sets[0][0]
	if cr.method != "PATCH" || !strings.Contains(cr.url, "/api/data/v9.2/accounts(_msdyn_company_value="+usmfID+",accountnumber='US-100')?$select=") ||
		cr.header.Get("If-None-Match") != "*" || cr.header.Get("If-Match") != "" || cr.header.Get("Prefer") != "return=representation" {
		t.Errorf("create request %s %s %v", cr.method, cr.url, cr.header)
	}
	wantBody := map[string]any{
		"name": "Fabrikam Tacoma", "preferredcontactmethodcode": 2.0, "creditlimit": 1500.0, "accountnumber": "US-100",
		"primarycontactid@odata.bind": "/contacts(_msdyn_company_value=" + usmfID + ",msdyn_contactpersonid='CP-O''1')",
		"msdyn_company@odata.bind":    "/cdm_companies(" + usmfID + ")",
	}
	for k, v := range wantBody {
		if cr.body[k] != v {
			t.Errorf("create body %s = %#v, want %#v", k, cr.body[k], v)
		}
	}
	up := sets[1][0]
	if up.header.Get("If-Match") != `W/"1"` || up.header.Get("If-None-Match") != "" {
		t.Errorf("update headers %v", up.header)
	}
	if v, ok := up.body["primarycontactid@odata.bind"]; !ok || v != nil {
		t.Errorf("null lookup: %v", up.body)
	}
	if _, ok := up.body["accountnumber"]; ok {
		t.Error("update carries the key")
	}
	if d := sets[2][0]; d.method != "DELETE" || d.header.Get("If-Match") != `W/"2"` {
		t.Errorf("delete %s %v", d.method, d.header)
	}
	if p := sets[3][0]; p.header.Get("If-Match") != "*" {
		t.Errorf("update without version: If-Match %q", p.header.Get("If-Match"))
	}

	a := rs["create"].Acked
	if a == nil || a.NewVersion != `W/"5130001"` || !a.Stored["name"].Equal(str("Fabrikam Tacoma")) ||
		!a.Stored["primarycontactid"].Equal(str("usmf|CP-O'1")) || !a.Stored["creditlimit"].Equal(engine.MustDecimal("1500")) {
		t.Errorf("create: %+v %+v", a, rs["create"].Failed)
	}
	if id, _ := c.ids.Key("accounts", "5e7a9c13-dd44-4e55-8f66-a77b88c99d00"); id != "usmf|US-100" {
		t.Errorf("id of the created record not cached: %q", id)
	}
	if f := rs["stale"].Failed; f == nil || f.Class != engine.VersionMismatch || f.Code != dsruntime.CodeVersionMismatch {
		t.Errorf("stale: %+v", f)
	}
	if rs["delete"].Acked == nil {
		t.Errorf("delete: %+v", rs["delete"].Failed)
	}
	if f := rs["plugin"].Failed; f == nil || f.Class != engine.Plugin {
		t.Errorf("plugin: %+v", f)
	}
	if f := rs["badvalue"].Failed; f == nil || f.Class != engine.Validation || f.Field != "preferredcontactmethodcode" {
		t.Errorf("badvalue: %+v", f)
	}
	if n := c.c.lim.limit(); n != 2 {
		t.Errorf("x-ms-dop-hint 2: limit %d", n)
	}
}

func TestDVApplyReservedKey(t *testing.T) {
	var posted map[string]any
	rp := newReplay(t, append(dvCompanyRules(),
		&rule{method: "GET", match: "accountnumber eq 'NEW/1'", file: "dv/companies_none.json"},
		&rule{method: "GET", match: "accountnumber eq 'A/B?C'", file: "dv/accounts_by_filter.json"},
		&rule{method: "GET", match: "accountnumber eq 'GONE:1'", file: "dv/companies_none.json"},
		&rule{method: "POST", match: "/$batch", status: 200,
			check: func(r *http.Request, b []byte) {
				sets := parseBatchRequest(t, r.Header.Get("Content-Type"), b)
				if len(sets) != 4 {
					t.Errorf("%d sets, want 4", len(sets))
					return
				}
				if p := sets[0][0]; p.method != "POST" || !strings.Contains(p.url, "/api/data/v9.2/accounts?$select=") {
					t.Errorf("create by POST: %s %s", p.method, p.url)
				} else {
					posted = p.body
				}
				if p := sets[1][0]; p.method != "PATCH" || !strings.Contains(p.url, "accounts(3c5e7a91-bb22-4c33-9d44-e55f66a77b88)") || p.header.Get("If-Match") != `W/"5120600"` {
					t.Errorf("update by id: %s %s %v", p.method, p.url, p.header)
				}
				// Once the id is known, a create is sent by id, create-only.
				if p := sets[2][0]; p.method != "PATCH" || !strings.Contains(p.url, "accounts(3c5e7a91-bb22-4c33-9d44-e55f66a77b88)") || p.header.Get("If-None-Match") != "*" {
					t.Errorf("create by id: %s %s %v", p.method, p.url, p.header)
				}
				if p := sets[3][0]; p.method != "DELETE" || !strings.Contains(p.url, "accounts(3c5e7a91-bb22-4c33-9d44-e55f66a77b88)") {
					t.Errorf("delete by id: %s %s", p.method, p.url)
				}
			},
			header: map[string]string{"Content-Type": "multipart/mixed; boundary=b"},
			body: "--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n\r\n" +
				"--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 204 No Content\r\nETag: W/\"5120601\"\r\n\r\n\r\n" +
				"--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 412 Precondition Failed\r\nContent-Type: application/json\r\n\r\n" +
				`{"error":{"code":"0x80040237","message":"A record with matching key values already exists."}}` + "\r\n" +
				"--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n\r\n--b--\r\n"},
	)...)
	c := newTestDV(t, rp, nil)
	m := mapOf(t, c.plan, "customer")
	rs := byID(c.Apply(context.Background(), m, []engine.Write{
		{ID: "new", Key: "usmf|NEW/1", Op: engine.OpUpsert, Create: true, Values: []engine.FieldValue{{Field: "name", Value: str("New")}}},
		{ID: "upd", Key: "usmf|A/B?C", Op: engine.OpUpsert, ExpectedVersion: `W/"5120600"`, Values: []engine.FieldValue{{Field: "name", Value: str("Upd")}}},
		{ID: "dup", Key: "usmf|A/B?C", Op: engine.OpUpsert, Create: true, Values: []engine.FieldValue{{Field: "name", Value: str("Dup")}}},
		{ID: "gone", Key: "usmf|GONE:1", Op: engine.OpUpsert, ExpectedVersion: `W/"1"`, Values: []engine.FieldValue{{Field: "name", Value: str("X")}}},
		{ID: "del", Key: "usmf|A/B?C", Op: engine.OpDelete},
	}))
	if rs["new"].Acked == nil || rs["upd"].Acked == nil || rs["del"].Acked == nil {
		t.Errorf("results %+v", rs)
	}
	if a := rs["upd"].Acked; a == nil || a.NewVersion != `W/"5120601"` {
		t.Errorf("upd: %+v", a)
	}
	if posted["accountnumber"] != "NEW/1" || posted["msdyn_company@odata.bind"] != "/cdm_companies("+usmfID+")" {
		t.Errorf("POST body %v", posted)
	}
	if f := rs["dup"].Failed; f == nil || f.Class != engine.VersionMismatch {
		t.Errorf("dup: %+v", f)
	}
	if f := rs["gone"].Failed; f == nil || f.Class != engine.VersionMismatch {
		t.Errorf("gone: %+v", f)
	}
	for _, s := range rp.requests() {
		path, _, _ := strings.Cut(s.raw, "?")
		if strings.Contains(path, "NEW") || strings.Contains(path, "A%2F") {
			t.Errorf("reserved key in a path: %s", s.raw)
		}
	}
}

func TestDVApplyThrottled(t *testing.T) {
	rp := newReplay(t, append(dvCompanyRules(),
		&rule{method: "POST", match: "/$batch", status: 429, header: map[string]string{"Retry-After": "12"}, file: "dv/error_throttled.json"})...)
	c := newTestDV(t, rp, nil)
	m := mapOf(t, c.plan, "customer")
	rs := c.Apply(context.Background(), m, []engine.Write{
		{ID: "a", Key: "usmf|US-1", Op: engine.OpUpsert, Values: []engine.FieldValue{{Field: "name", Value: str("A")}}},
		{ID: "b", Key: "usmf|US-2", Op: engine.OpDelete},
	})
	for _, r := range rs {
		if f := r.Failed; f == nil || f.Class != engine.Throttled || f.RetryAfter != 12*time.Second || f.Code != dsruntime.CodeRequestLimitReached {
			t.Errorf("%s: %+v", r.WriteID(), r.Failed)
		}
	}
	if n := rp.count("POST", "/$batch"); n != 1 {
		t.Errorf("writes retried at the HTTP level: %d batches", n)
	}
}

func TestDVApplyBatches(t *testing.T) {
	rp := newReplay(t, append(dvCompanyRules(),
		&rule{method: "POST", match: "/$batch", status: 503, body: "Service Unavailable"})...)
	c := newTestDV(t, rp, func(cfg *Config) { cfg.BatchSize = 2 })
	m := mapOf(t, c.plan, "customer")
	var ws []engine.Write
	for _, k := range []string{"1", "2", "3", "4", "5"} {
		ws = append(ws, engine.Write{ID: k, Key: "usmf|US-" + k, Op: engine.OpUpsert, Values: []engine.FieldValue{{Field: "name", Value: str(k)}}})
	}
	rs := c.Apply(context.Background(), m, ws)
	if n := rp.count("POST", "/$batch"); n != 3 {
		t.Errorf("%d batches for 5 writes of 2, want 3", n)
	}
	for _, r := range rs {
		if f := r.Failed; f == nil || f.Class != engine.Transient {
			t.Errorf("%s: %+v", r.WriteID(), f)
		}
	}
}

func TestDVUpsertMultiple(t *testing.T) {
	var got map[string][]map[string]any
	rp := newReplay(t, append(dvCompanyRules(),
		&rule{method: "POST", match: "/accounts/Microsoft.Dynamics.CRM.UpsertMultiple", status: 204,
			check: func(r *http.Request, b []byte) {
				if err := json.Unmarshal(b, &got); err != nil {
					t.Error(err)
				}
			}},
		&rule{method: "POST", match: "/$batch", status: 200, header: map[string]string{"Content-Type": "multipart/mixed; boundary=b"},
			body: "--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n\r\n--b--\r\n"},
	)...)
	c := newTestDV(t, rp, func(cfg *Config) { cfg.UpsertMultiple = true })
	m := mapOf(t, c.plan, "customer")
	rs := byID(c.Apply(context.Background(), m, []engine.Write{
		{ID: "a", Key: "usmf|US-1", Op: engine.OpUpsert, Create: true, Values: []engine.FieldValue{{Field: "name", Value: str("A")}}},
		{ID: "b", Key: "usmf|US-2", Op: engine.OpUpsert, ExpectedVersion: `W/"3"`, Values: []engine.FieldValue{{Field: "name", Value: str("B")}}},
		{ID: "d", Key: "usmf|US-3", Op: engine.OpDelete},
	}))
	if rs["a"].Acked == nil || rs["b"].Acked == nil || rs["d"].Acked == nil {
		t.Fatalf("results %+v", rs)
	}
	ts := got["Targets"]
	if len(ts) != 2 {
		t.Fatalf("targets %v", got)
	}
	t0 := ts[0]
	if t0["@odata.type"] != "Microsoft.Dynamics.CRM.account" || t0["@odata.id"] != "accounts(_msdyn_company_value="+usmfID+",accountnumber='US-1')" ||
		t0["accountnumber"] != "US-1" || t0["name"] != "A" || t0["msdyn_company@odata.bind"] != "/cdm_companies("+usmfID+")" {
		t.Errorf("target %v", t0)
	}
	if n := rp.count("POST", "/$batch"); n != 1 {
		t.Errorf("the delete went in %d batches", n)
	}
}

func TestDVUnknownCompanyWrite(t *testing.T) {
	rp := newReplay(t, dvCompanyRules()...)
	c := newTestDV(t, rp, nil)
	m := mapOf(t, c.plan, "customer")
	rs := c.Apply(context.Background(), m, []engine.Write{{ID: "x", Key: "zz99|A", Op: engine.OpUpsert, Create: true}})
	if f := rs[0].Failed; f == nil || f.Class != engine.Validation || !strings.Contains(f.Message, "zz99") {
		t.Errorf("unknown company: %+v", f)
	}
}

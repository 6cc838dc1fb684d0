package fakehttp

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// bpart is one part of a test batch: a request or a change set.
type bpart struct {
	text      string
	changeSet []bpart
}

func part(method, url, body string, headers ...string) bpart {
	var b strings.Builder
	b.WriteString("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n")
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Content-ID" {
			fmt.Fprintf(&b, "Content-ID: %s\r\n", headers[i+1])
		}
	}
	fmt.Fprintf(&b, "\r\n%s %s HTTP/1.1\r\n", method, url)
	if body != "" {
		b.WriteString("Content-Type: application/json\r\n")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] != "Content-ID" {
			fmt.Fprintf(&b, "%s: %s\r\n", headers[i], headers[i+1])
		}
	}
	b.WriteString("\r\n")
	b.WriteString(body)
	return bpart{text: b.String()}
}

func changeset(parts ...bpart) bpart { return bpart{changeSet: parts} }

type batchReq struct{ body, contentType string }

func batchBody(id string, parts ...bpart) batchReq {
	var b strings.Builder
	for i, p := range parts {
		fmt.Fprintf(&b, "--batch_%s\r\n", id)
		if p.changeSet == nil {
			b.WriteString(p.text + "\r\n")
			continue
		}
		cs := fmt.Sprintf("changeset_%s_%d", id, i)
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=%s\r\n\r\n", cs)
		for _, sub := range p.changeSet {
			fmt.Fprintf(&b, "--%s\r\n%s\r\n", cs, sub.text)
		}
		fmt.Fprintf(&b, "--%s--\r\n", cs)
	}
	fmt.Fprintf(&b, "--batch_%s--\r\n", id)
	return batchReq{body: b.String(), contentType: "multipart/mixed; boundary=batch_" + id}
}

// batchResult is one response of a batch answer.
type batchResult struct {
	status    int
	header    http.Header
	body      string
	contentID string
	changeSet int // 0 outside change sets, else the change set's number
}

func parseBatchAnswer(tb testing.TB, a answer) []batchResult {
	tb.Helper()
	a.want(tb, 200)
	_, params, err := mime.ParseMediaType(a.header.Get("Content-Type"))
	if err != nil {
		tb.Fatal(err)
	}
	var out []batchResult
	cs := 0
	var read func(body []byte, boundary string, inCS int)
	read = func(body []byte, boundary string, inCS int) {
		mr := multipart.NewReader(bytes.NewReader(body), boundary)
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return
			}
			if err != nil {
				tb.Fatalf("batch answer: %v\n%s", err, a.body)
			}
			data, _ := io.ReadAll(p)
			mt, ps, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
			if mt == "multipart/mixed" {
				cs++
				read(data, ps["boundary"], cs)
				continue
			}
			resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(data)), nil)
			if err != nil {
				tb.Fatalf("batch answer part: %v\n%s", err, data)
			}
			rb, _ := io.ReadAll(resp.Body)
			out = append(out, batchResult{status: resp.StatusCode, header: resp.Header, body: strings.TrimSpace(string(rb)),
				contentID: p.Header.Get("Content-ID"), changeSet: inCS})
		}
	}
	read([]byte(a.body), params["boundary"], 0)
	return out
}

func statuses(rs []batchResult) string {
	var s []string
	for _, r := range rs {
		s = append(s, fmt.Sprint(r.status))
	}
	return strings.Join(s, " ")
}

func TestFOBatch(t *testing.T) {
	e := newEnv(t, nil)
	e.putCustomer("usmf", "EXISTS")
	create := func(acct string) bpart {
		return part("POST", e.s.FOURL()+"/data/CustomersV3", `{"dataAreaId":"usmf","CustomerAccount":"`+acct+`","OrganizationName":"N"}`)
	}
	t.Run("atomic change set", func(t *testing.T) {
		b := batchBody("a", changeset(create("B1"), create("B2"), create("EXISTS")))
		rs := parseBatchAnswer(t, e.foCall("POST", "$batch", b.body, "Content-Type", b.contentType))
		if statuses(rs) != "500" {
			t.Fatalf("statuses %s", statuses(rs))
		}
		for _, k := range []string{"usmf|B1", "usmf|B2"} {
			if _, ok := e.s.FO.Get("CustomersV3", k); ok {
				t.Errorf("%s survived the rolled-back change set", k)
			}
		}
	})
	t.Run("change sets and reads", func(t *testing.T) {
		b := batchBody("b",
			changeset(create("B3"), part("PATCH", "CustomersV3(dataAreaId='usmf',CustomerAccount='EXISTS')", `{"OrganizationName":"Patched"}`)),
			part("GET", "CustomersV3(dataAreaId='usmf',CustomerAccount='B3')", ""),
		)
		rs := parseBatchAnswer(t, e.foCall("POST", "$batch", b.body, "Content-Type", b.contentType))
		if statuses(rs) != "201 204 200" || rs[0].changeSet != 1 || rs[2].changeSet != 0 {
			t.Fatalf("results %+v", rs)
		}
		if r, _ := e.s.FO.Get("CustomersV3", "usmf|EXISTS"); fmt.Sprint(r.Values["OrganizationName"]) != `"Patched"` {
			t.Errorf("patch in change set: %v", r.Values["OrganizationName"])
		}
	})
	t.Run("stops at the first failure", func(t *testing.T) {
		b := batchBody("c", changeset(create("EXISTS")), changeset(create("B4")))
		rs := parseBatchAnswer(t, e.foCall("POST", "$batch", b.body, "Content-Type", b.contentType))
		if statuses(rs) != "500" {
			t.Errorf("statuses %s", statuses(rs))
		}
		b = batchBody("d", changeset(create("EXISTS")), changeset(create("B4")))
		a := e.foCall("POST", "$batch", b.body, "Content-Type", b.contentType, "Prefer", "odata.continue-on-error")
		if rs := parseBatchAnswer(t, a); statuses(rs) != "500 201" {
			t.Errorf("continue-on-error statuses %s", statuses(rs))
		}
	})
	t.Run("limit", func(t *testing.T) {
		parts := make([]bpart, 5001)
		for i := range parts {
			parts[i] = part("GET", "CustomersV3", "")
		}
		b := batchBody("e", parts...)
		e.foCall("POST", "$batch", b.body, "Content-Type", b.contentType).want(t, 400)
	})
	t.Run("not multipart", func(t *testing.T) {
		e.foCall("POST", "$batch", `{}`, "Content-Type", "application/json").want(t, 400)
	})
}

func TestDVBatch(t *testing.T) {
	e := newEnv(t, nil)
	usmf := e.company("usmf")
	acct := func(n string) string {
		return "accounts(_msdyn_company_value=" + usmf + ",accountnumber='" + n + "')"
	}
	e.dvCall("PATCH", acct("EXISTS"), `{"name":"Exists"}`).want(t, 204)
	base := e.s.DVURL() + "/api/data/v9.2/"
	t.Run("change set with Content-ID references", func(t *testing.T) {
		b := batchBody("a", changeset(
			part("PATCH", base+acct("P1"), `{"name":"Parent"}`, "Content-ID", "1"),
			part("PATCH", base+"contacts(_msdyn_company_value="+usmf+",msdyn_contactpersonid='K1')",
				`{"lastname":"Kid","parentcustomerid@odata.bind":"$1"}`, "Content-ID", "2"),
			part("PATCH", "$1", `{"name":"Parent renamed"}`),
		))
		rs := parseBatchAnswer(t, e.dvCall("POST", "$batch", b.body, "Content-Type", b.contentType))
		if statuses(rs) != "204 204 204" || rs[0].contentID != "1" {
			t.Fatalf("results %+v", rs)
		}
		k, ok := e.s.DV.Get("contacts", "usmf|K1")
		if !ok || fmt.Sprint(k.Values["parentcustomerid"]) != `"usmf|P1"` {
			t.Errorf("contact %+v", k.Values)
		}
		if p, _ := e.s.DV.Get("accounts", "usmf|P1"); fmt.Sprint(p.Values["name"]) != `"Parent renamed"` {
			t.Errorf("$1 update: %v", p.Values["name"])
		}
	})
	t.Run("atomic change set", func(t *testing.T) {
		b := batchBody("b", changeset(
			part("PATCH", acct("R1"), `{"name":"Rolled back"}`),
			part("PATCH", acct("EXISTS"), `{"name":"X"}`, "If-None-Match", "*"),
		))
		rs := parseBatchAnswer(t, e.dvCall("POST", "$batch", b.body, "Content-Type", b.contentType))
		if statuses(rs) != "412" {
			t.Fatalf("statuses %s", statuses(rs))
		}
		if _, ok := e.s.DV.Get("accounts", "usmf|R1"); ok {
			t.Error("R1 survived the rolled-back change set")
		}
	})
	t.Run("continue on error", func(t *testing.T) {
		parts := []bpart{
			part("PATCH", acct("EXISTS"), `{"name":"X"}`, "If-None-Match", "*"),
			part("PATCH", acct("C1"), `{"name":"After the failure"}`),
		}
		b := batchBody("c", parts...)
		rs := parseBatchAnswer(t, e.dvCall("POST", "$batch", b.body, "Content-Type", b.contentType))
		if statuses(rs) != "412" {
			t.Errorf("without continue-on-error: %s", statuses(rs))
		}
		if _, ok := e.s.DV.Get("accounts", "usmf|C1"); ok {
			t.Error("a request after the failure ran")
		}
		a := e.dvCall("POST", "$batch", b.body, "Content-Type", b.contentType, "Prefer", "odata.continue-on-error")
		if rs := parseBatchAnswer(t, a); statuses(rs) != "412 204" {
			t.Errorf("with continue-on-error: %s", statuses(rs))
		}
		if a.header.Get("Preference-Applied") != "odata.continue-on-error" {
			t.Errorf("Preference-Applied %q", a.header.Get("Preference-Applied"))
		}
	})
	t.Run("read and representation", func(t *testing.T) {
		b := batchBody("d",
			part("GET", acct("EXISTS")+"?$select=name", ""),
			part("PATCH", acct("REP"), `{"name":"Rep"}`, "Prefer", "return=representation"),
		)
		rs := parseBatchAnswer(t, e.dvCall("POST", "$batch", b.body, "Content-Type", b.contentType))
		if statuses(rs) != "200 201" || !strings.Contains(rs[0].body, `"name":"Exists"`) || rs[1].header.Get("ETag") == "" {
			t.Errorf("results %+v", rs)
		}
	})
	t.Run("counts once", func(t *testing.T) {
		before := e.s.Stats().DVRequests
		b := batchBody("e", part("GET", "accounts", ""), part("GET", "contacts", ""), part("GET", "accounts", ""))
		parseBatchAnswer(t, e.dvCall("POST", "$batch", b.body, "Content-Type", b.contentType))
		if n := e.s.Stats().DVRequests - before; n != 1 {
			t.Errorf("a batch of three counted %d times", n)
		}
	})
	t.Run("limit", func(t *testing.T) {
		parts := make([]bpart, 1001)
		for i := range parts {
			parts[i] = part("GET", "accounts", "")
		}
		b := batchBody("f", parts...)
		code, _ := e.dvCall("POST", "$batch", b.body, "Content-Type", b.contentType).want(t, 400).errorOf(t)
		if code != codeBatchTooBig {
			t.Errorf("code %s", code)
		}
	})
	t.Run("GET in a change set", func(t *testing.T) {
		b := batchBody("g", changeset(part("GET", "accounts", "")))
		if rs := parseBatchAnswer(t, e.dvCall("POST", "$batch", b.body, "Content-Type", b.contentType)); statuses(rs) != "400" {
			t.Errorf("statuses %s", statuses(rs))
		}
	})
}

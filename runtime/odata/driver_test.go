package odata

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
)

// virtualClock is a dsruntime.Advancer.
type virtualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *virtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *virtualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// TestDriverWithReplays runs the runtime driver over both connectors
// against recorded answers: a customer polled from F&O is created on
// Dataverse by alternate key, create-only, with its company bound.
func TestDriverWithReplays(t *testing.T) {
	const customer = `{"value":[{"@odata.etag":"W/\"JzEsNTYzNzE0NDQyMDsxLDIyNTY0NTY3MDAn\"","dataAreaId":"usmf","CustomerAccount":"US-001",` +
		`"AddressCity":"Seattle","CreditLimit":25000.50,"CustomerGroupId":"10","OrganizationName":"Contoso Retail Seattle",` +
		`"PaymentTerms":"Net30","PreferredContactMethod":"Email","PrimaryContactPersonId":"","ModifiedDateTime":"2024-05-02T09:15:42Z"}]}`
	fo := newReplay(t,
		&rule{method: "GET", match: "/data/CustomersV3?", body: customer},
		&rule{method: "GET", match: "/data/", body: `{"value":[]}`},
	)
	var mu sync.Mutex
	var sent [][]batchRequest
	dv := newReplay(t, append(dvCompanyRules(),
		&rule{method: "GET", match: "$deltatoken=", body: `{"value":[],"@odata.deltaLink":"BASE/api/data/v9.2/x?$deltatoken=2"}`},
		&rule{method: "GET", match: "?$select=", body: `{"value":[],"@odata.deltaLink":"BASE/api/data/v9.2/x?$deltatoken=1"}`},
		&rule{method: "POST", match: "/$batch", fn: func(r *http.Request, b []byte) (int, map[string]string, string) {
			sets := parseBatchRequest(t, r.Header.Get("Content-Type"), b)
			mu.Lock()
			sent = append(sent, sets...)
			mu.Unlock()
			var out strings.Builder
			for i, set := range sets {
				fmt.Fprintf(&out, "--rb\r\nContent-Type: multipart/mixed; boundary=cs%d\r\n\r\n--cs%d\r\nContent-Type: application/http\r\nContent-ID: 1\r\n\r\n", i, i)
				body := `{"@odata.etag":"W/\"900\"","accountid":"5e7a9c13-dd44-4e55-8f66-a77b88c99d00","_msdyn_company_value":"` + usmfID + `","accountnumber":"US-001","name":"` +
					fmt.Sprint(set[0].body["name"]) + `","modifiedon":"2024-05-02T09:15:50Z"}`
				fmt.Fprintf(&out, "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nETag: W/\"900\"\r\n\r\n%s\r\n--cs%d--\r\n", body, i)
			}
			out.WriteString("--rb--\r\n")
			return 200, map[string]string{"Content-Type": "multipart/mixed; boundary=rb"}, out.String()
		}},
	)...)
	foc := newTestFO(t, fo, nil)
	dvc := newTestDV(t, dv, nil)
	clock := &virtualClock{now: time.Date(2024, 5, 2, 10, 0, 0, 0, time.UTC)}
	d, err := dsruntime.New(foc.plan, foc, dvc, dsruntime.Config{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.RunUntilQuiet(context.Background(), 50); err != nil {
		t.Fatalf("%v (stats %+v)", err, d.Stats())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sent) != 1 {
		t.Fatalf("%d writes to Dataverse, want 1: %+v", len(sent), sent)
	}
	w := sent[0][0]
	if w.method != "PATCH" || !strings.Contains(w.url, "accounts(_msdyn_company_value="+usmfID+",accountnumber='US-001')") || w.header.Get("If-None-Match") != "*" {
		t.Errorf("write %s %s %v", w.method, w.url, w.header)
	}
	for k, v := range map[string]any{"name": "Contoso Retail Seattle", "preferredcontactmethodcode": 2.0, "creditlimit": 25000.5,
		"msdyn_company@odata.bind": "/cdm_companies(" + usmfID + ")", "accountnumber": "US-001"} {
		if w.body[k] != v {
			t.Errorf("body %s = %#v, want %#v (body %v)", k, w.body[k], v, w.body)
		}
	}
	if s := d.Stats(); s.Acked != 1 || s.Failed != 0 || s.PollErrors != 0 {
		t.Errorf("stats %+v", s)
	}
}

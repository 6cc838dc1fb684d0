package odata

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/simulator/fakehttp"
)

// TestFakeHTTP runs both connectors and the runtime driver over HTTPS
// against the simulator's HTTP fakes (token service, F&O, Dataverse) with
// the starter plan: a customer created on F&O appears on Dataverse, a
// contact created on Dataverse for it appears on F&O with its customer,
// and a rename on Dataverse flows back to F&O.
func TestFakeHTTP(t *testing.T) {
	p := starterPlan(t)
	srv, err := fakehttp.Start(fakehttp.Config{Plan: p, Seed: 7, TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, srv.CACert(), 0o600); err != nil {
		t.Fatal(err)
	}
	auth := Auth{LoginURL: srv.LoginURL(), Tenant: "contoso", ClientID: fakehttp.DefaultClient.ID,
		Secret: NewSecret(fakehttp.DefaultClient.Secret)}
	fo, err := NewFO(p, Config{URL: srv.FOURL(), Auth: auth, TLS: TLS{CAFile: ca}, Overlap: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	dv, err := NewDV(p, Config{URL: srv.DVURL(), Auth: auth, TLS: TLS{CAFile: ca}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := dsruntime.New(p, fo, dv, dsruntime.Config{IdleStep: 20 * time.Millisecond, MaxIdleStep: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run := func(step string) {
		t.Helper()
		if err := d.RunUntilQuiet(ctx, 200); err != nil {
			t.Fatalf("%s: %v (stats %+v)", step, err, d.Stats())
		}
	}

	if _, err := srv.FO.Put("CustomersV3", "usmf|US-001", map[string]engine.Value{
		"OrganizationName":       engine.String("Contoso O'Brien Ünïcode"),
		"CustomerGroupId":        engine.String("10"),
		"PreferredContactMethod": engine.String("Email"),
		"CreditLimit":            engine.MustDecimal("2500.50"),
		"AddressCity":            engine.String("Seattle"),
	}); err != nil {
		t.Fatal(err)
	}
	run("customer from F&O")
	acct, ok := srv.DV.Get("accounts", "usmf|US-001")
	if !ok {
		t.Fatalf("the customer did not reach Dataverse; accounts: %+v", srv.DV.Rows("accounts"))
	}
	for k, want := range map[string]engine.Value{
		"name":                       engine.String("Contoso O'Brien Ünïcode"),
		"preferredcontactmethodcode": engine.Int(2),
		"creditlimit":                engine.MustDecimal("2500.5"),
		"address1_city":              engine.String("Seattle"),
	} {
		if got := acct.Values[k]; !got.Equal(want) {
			t.Errorf("account %s = %s, want %s", k, got, want)
		}
	}

	if _, err := srv.DV.Put("contacts", "usmf|CP-1", map[string]engine.Value{
		"lastname":         engine.String("O'Brien"),
		"firstname":        engine.String("Zoë"),
		"emailaddress1":    engine.String("zoe@example.com"),
		"parentcustomerid": engine.String("usmf|US-001"),
	}); err != nil {
		t.Fatal(err)
	}
	run("contact from Dataverse")
	cp, ok := srv.FO.Get("ContactPersonsV2", "usmf|CP-1")
	if !ok {
		t.Fatalf("the contact did not reach F&O; contacts: %+v", srv.FO.Rows("ContactPersonsV2"))
	}
	for k, want := range map[string]string{"LastName": "O'Brien", "FirstName": "Zoë", "Email": "zoe@example.com", "AssociatedCustomerAccount": "US-001"} {
		if got, _ := cp.Values[k].AsString(); got != want {
			t.Errorf("contact %s = %q, want %q", k, got, want)
		}
	}

	if _, err := srv.DV.Put("accounts", "usmf|US-001", map[string]engine.Value{"name": engine.String("Contoso Renamed")}); err != nil {
		t.Fatal(err)
	}
	run("rename on Dataverse")
	cust, _ := srv.FO.Get("CustomersV3", "usmf|US-001")
	if got, _ := cust.Values["OrganizationName"].AsString(); got != "Contoso Renamed" {
		t.Errorf("F&O name %q after the rename on Dataverse", got)
	}

	// The primary contact, a lookup written in a second pass.
	if _, err := srv.DV.Put("accounts", "usmf|US-001", map[string]engine.Value{"primarycontactid": engine.String("usmf|CP-1")}); err != nil {
		t.Fatal(err)
	}
	run("primary contact on Dataverse")
	cust, _ = srv.FO.Get("CustomersV3", "usmf|US-001")
	if got, _ := cust.Values["PrimaryContactPersonId"].AsString(); got != "CP-1" {
		t.Errorf("F&O primary contact %q, want CP-1", got)
	}

	// Dataverse forgets its delta tokens: the feed is read again from the
	// start, and an edit on F&O still arrives.
	srv.DV.ExpireDeltaTokens()
	if _, err := srv.FO.Put("ContactPersonsV2", "usmf|CP-1", map[string]engine.Value{"Phone": engine.String("+1 555 0100")}); err != nil {
		t.Fatal(err)
	}
	run("after expired delta tokens")
	if s := d.Stats(); s.CursorResets == 0 {
		t.Errorf("no cursor reset after the delta tokens expired: %+v", s)
	}
	ct, _ := srv.DV.Get("contacts", "usmf|CP-1")
	if got, _ := ct.Values["telephone1"].AsString(); got != "+1 555 0100" {
		t.Errorf("Dataverse phone %q", got)
	}

	// A contact deleted on Dataverse is deleted on F&O (the plan propagates).
	if err := srv.DV.Delete("contacts", "usmf|CP-1"); err != nil {
		t.Fatal(err)
	}
	run("delete on Dataverse")
	if _, ok := srv.FO.Get("ContactPersonsV2", "usmf|CP-1"); ok {
		t.Error("the contact deleted on Dataverse is still on F&O")
	}

	a := d.Engine().Accounting()
	if err := a.Check(); err != nil {
		t.Error(err)
	}
	if a.Queued != 0 || a.Parked != 0 {
		t.Errorf("accounting %+v", a)
	}
	if s := d.Stats(); s.PollErrors != 0 || s.Failed != 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestFakeHTTPThrottled runs the same connectors against a Dataverse whose
// service protection allows a handful of requests a second: 429s with
// Retry-After slow the sync down but fail nothing.
func TestFakeHTTPThrottled(t *testing.T) {
	p := starterPlan(t)
	srv, err := fakehttp.Start(fakehttp.Config{Plan: p, Seed: 3,
		// Dataverse's 6,000 requests per 300 s, scaled to 10 per 500 ms.
		Protection: fakehttp.Protection{Requests: 10, Window: 500 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	auth := Auth{LoginURL: srv.LoginURL(), Tenant: "contoso", ClientID: fakehttp.DefaultClient.ID,
		Secret: NewSecret(fakehttp.DefaultClient.Secret)}
	fo, err := NewFO(p, Config{URL: srv.FOURL(), Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))
	dv, err := NewDV(p, Config{URL: srv.DVURL(), Auth: auth, BatchSize: 5, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 60 {
		key := engine.JoinKey("usmf", fmt.Sprintf("US-%03d", i))
		if _, err := srv.FO.Put("CustomersV3", key, map[string]engine.Value{
			"OrganizationName": engine.String(fmt.Sprintf("Customer %d", i)), "CustomerGroupId": engine.String("10")}); err != nil {
			t.Fatal(err)
		}
	}
	d, err := dsruntime.New(p, fo, dv, dsruntime.Config{BatchSize: 5, IdleStep: 50 * time.Millisecond, MaxIdleStep: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := d.RunUntilQuiet(ctx, 500); err != nil {
		t.Fatalf("%v (stats %+v)", err, d.Stats())
	}
	if n := len(srv.DV.Rows("accounts")); n != 60 {
		t.Errorf("%d accounts on Dataverse, want 60", n)
	}
	a := d.Engine().Accounting()
	if a.Queued != 0 {
		t.Errorf("throttling queued errors: %+v", a)
	}
	s := d.Stats()
	mu.Lock()
	throttled := strings.Count(logs.String(), "msg=throttled")
	mu.Unlock()
	t.Logf("%d answers 429; stats %+v", throttled, s)
	if throttled == 0 {
		t.Error("no request was throttled: the test does not reach the limit")
	}
	if s.PollErrors != 0 {
		t.Errorf("%d polls failed", s.PollErrors)
	}
}

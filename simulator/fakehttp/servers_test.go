package fakehttp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dualsync/dualsync/simulator/fake"
)

func TestStopAndStart(t *testing.T) {
	e := newEnv(t, nil)
	dvURL := e.s.DVURL()
	if err := e.s.StopDV(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(dvURL + "/api/data/v9.2/accounts"); err == nil {
		t.Fatal("Dataverse answers while stopped")
	}
	e.foCall("POST", "CustomersV3", `{"CustomerAccount":"WHILE-DV-DOWN"}`).want(t, 201)
	if err := e.s.StartDV(); err != nil {
		t.Fatal(err)
	}
	if e.s.DVURL() != dvURL {
		t.Errorf("restarted on %s, was %s", e.s.DVURL(), dvURL)
	}
	e.dvCall("GET", "accounts", "").want(t, 200)
	if err := e.s.StopFO(); err != nil {
		t.Fatal(err)
	}
	e.dvCall("GET", "accounts", "").want(t, 200)
	if err := e.s.StartFO(); err != nil {
		t.Fatal(err)
	}
	e.foCall("GET", "CustomersV3(dataAreaId='usmf',CustomerAccount='WHILE-DV-DOWN')", "").want(t, 200)
	if err := e.s.StopLogin(); err != nil {
		t.Fatal(err)
	}
	e.foCall("GET", "CustomersV3", "").want(t, 200) // tokens stay valid
	if err := e.s.StartLogin(); err != nil {
		t.Fatal(err)
	}
	http.DefaultClient.CloseIdleConnections() // the old connection is gone
	e.token(e.s.FOURL())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestFaultControls(t *testing.T) {
	e := newEnv(t, nil)
	faults := e.s.DVURL() + "/_faults"
	do(t, "GET", faults, "", "").want(t, 401)
	do(t, "GET", faults, e.dv, "").want(t, 401)
	do(t, "POST", faults, adminToken, `{"kind":"nonsense"}`).want(t, 400)
	do(t, "POST", faults, adminToken, `{"kind":"throttle","extra":1}`).want(t, 400)

	t.Run("throttle", func(t *testing.T) {
		do(t, "POST", faults, adminToken, `{"name":"storm","kind":"throttle","count":2,"retryAfter":"3s"}`).want(t, 200)
		for i := 0; i < 2; i++ {
			a := e.dvCall("GET", "accounts", "").want(t, 429)
			if a.header.Get("Retry-After") != "3" {
				t.Errorf("Retry-After %q", a.header.Get("Retry-After"))
			}
		}
		e.dvCall("GET", "accounts", "").want(t, 200)
	})
	t.Run("transient", func(t *testing.T) {
		do(t, "POST", e.s.FOURL()+"/_faults", adminToken, `[{"kind":"transient","count":1,"status":503}]`).want(t, 200)
		a := e.foCall("GET", "CustomersV3", "").want(t, 503)
		if a.header.Get("Retry-After") == "" {
			t.Error("503 without Retry-After")
		}
		e.foCall("GET", "CustomersV3", "").want(t, 200)
	})
	t.Run("outage", func(t *testing.T) {
		do(t, "POST", faults, adminToken, `{"kind":"outage"}`).want(t, 200)
		req, _ := http.NewRequest("GET", e.s.DVURL()+"/api/data/v9.2/accounts", nil)
		req.Header.Set("Authorization", "Bearer "+e.dv)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			t.Fatalf("an outage answered %s", resp.Status)
		}
		e.foCall("GET", "CustomersV3", "").want(t, 200)
		do(t, "DELETE", faults+"/outage", adminToken, "").want(t, 204)
		e.dvCall("GET", "accounts", "").want(t, 200)
	})
	t.Run("latency moves the virtual clock", func(t *testing.T) {
		before := e.clock.Now()
		do(t, "POST", faults, adminToken, `{"kind":"latency","latency":2}`).want(t, 200)
		e.dvCall("GET", "accounts", "").want(t, 200)
		if d := e.clock.Now().Sub(before); d != 2*time.Second {
			t.Errorf("clock moved %v, want 2s", d)
		}
		do(t, "DELETE", faults, adminToken, "").want(t, 204)
		if got := do(t, "GET", faults, adminToken, "").want(t, 200).body; got != "[]" {
			t.Errorf("faults after clearing: %s", got)
		}
	})
	t.Run("stats and limits", func(t *testing.T) {
		st := do(t, "GET", faults+"/stats", adminToken, "").want(t, 200).json(t)
		if st["DVRequests"].(float64) < 1 {
			t.Errorf("stats %v", st)
		}
		do(t, "PUT", faults+"/protection", adminToken, `{"requests":1,"window":"1m"}`).want(t, 200)
		e.clock.Advance(2 * time.Minute)
		e.dvCall("GET", "accounts", "").want(t, 200)
		e.dvCall("GET", "accounts", "").want(t, 429)
		do(t, "PUT", e.s.FOURL()+"/_faults/load", adminToken, `{"concurrent":0,"requests":1,"window":60}`).want(t, 200)
		e.foCall("GET", "CustomersV3", "").want(t, 200)
		e.foCall("GET", "CustomersV3", "").want(t, 429)
	})
	t.Run("login", func(t *testing.T) {
		login := e.s.LoginURL() + "/_faults"
		do(t, "POST", login, adminToken, `{"kind":"throttle"}`).want(t, 400)
		do(t, "POST", login, adminToken, `{"kind":"transient","count":1}`).want(t, 200)
		a := do(t, "POST", e.s.TokenURL(""), "", "")
		if a.status != 503 || a.json(t)["error"] != "temporarily_unavailable" {
			t.Errorf("transient token service: %d %s", a.status, a.body)
		}
		e.token(e.s.DVURL())
	})
}

func TestFaultControlsOff(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Faults, c.AdminToken = false, "" })
	do(t, "GET", e.s.DVURL()+"/_faults", adminToken, "").want(t, 404)
	do(t, "GET", e.s.FOURL()+"/_faults", adminToken, "").want(t, 404)
	do(t, "GET", e.s.LoginURL()+"/_faults", adminToken, "").want(t, 404)
	for _, u := range []string{e.s.FOURL(), e.s.DVURL(), e.s.LoginURL()} {
		if a := do(t, "GET", u+"/healthz", "", "").want(t, 200); a.body != "ok\n" {
			t.Errorf("%s/healthz: %q", u, a.body)
		}
	}
	if _, err := Start(Config{Plan: starterPlan(t), Faults: true}); err == nil {
		t.Error("fault controls without an admin token started")
	}
}

func TestTLS(t *testing.T) {
	s, err := Start(Config{Plan: starterPlan(t), TLS: true, TLSHosts: []string{"sim.internal"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e := &env{t: t, s: s}
	if !strings.HasPrefix(e.s.FOURL(), "https://") {
		t.Fatalf("F&O URL %s", e.s.FOURL())
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(e.s.CACert()) {
		t.Fatal("CA PEM does not parse")
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest("GET", e.s.DVURL()+"/api/data/v9.2/accounts", nil)
	req.Header.Set("Authorization", "Bearer "+e.s.Token(DefaultClient.ID, e.s.DVURL()))
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("status %s", resp.Status)
	}
	if _, err := http.Get(e.s.DVURL() + "/api/data/v9.2/accounts"); err == nil {
		t.Error("a client without the CA connected")
	}
}

func TestSample(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Sample = Sample{PerCompany: 3} })
	if n := len(e.s.FO.Rows("CustomersV3")); n != 6 {
		t.Errorf("F&O customers: %d, want 6", n)
	}
	if n := len(e.s.FO.Rows("ProductsV2")); n != 3 {
		t.Errorf("F&O products: %d, want 3", n)
	}
	contacts := e.s.DV.Rows("contacts")
	if len(contacts) != 6 {
		t.Fatalf("Dataverse contacts: %d, want 6", len(contacts))
	}
	for _, c := range contacts {
		if c.Values["parentcustomerid"].IsNull() {
			t.Errorf("contact %s has no customer", c.Key)
		}
	}
	if a, ok := e.s.DV.Get("accounts", "usrt|CUST-0501"); !ok || a.Values["primarycontactid"].IsNull() {
		t.Errorf("account usrt|CUST-0501: %+v", a)
	}
	if r, ok := e.s.FO.Get("CustomersV3", "usmf|CUST-0001"); !ok || r.Values["PrimaryContactPersonId"].String() != `"CONT-0001"` {
		t.Errorf("F&O customer: %+v", r)
	}
}

func TestDataDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	md, err := os.ReadFile("../../testdata/metadata/fo.xml")
	if err != nil {
		t.Fatal(err)
	}
	write("metadata/fo.xml", string(md))
	write("fo/CustomersV3.json", `[{"dataAreaId":"usmf","CustomerAccount":"D-1","OrganizationName":"From data","CreditLimit":12.5}]`)
	write("dv/accounts.json", `[{"msdyn_company":"usmf","accountnumber":"D-2","name":"Account","primarycontactid":"usmf|K-1"}]`)
	write("dv/contacts.json", `[{"msdyn_company":"usmf","msdyn_contactpersonid":"K-1","lastname":"Kim","parentcustomerid":"usmf|D-2"}]`)
	e := newEnv(t, func(c *Config) { c.DataDir = dir })
	if got := e.foCall("GET", "$metadata", "").want(t, 200).body; got != string(md) {
		t.Error("$metadata from the data directory not served")
	}
	e.foCall("GET", "CustomersV3(dataAreaId='usmf',CustomerAccount='D-1')", "").want(t, 200)
	if a, ok := e.s.DV.Get("accounts", "usmf|D-2"); !ok || a.Values["primarycontactid"].String() != `"usmf|K-1"` {
		t.Errorf("account from data: %+v", a)
	}
	write("fo/Nope.json", `[]`)
	if _, err := Start(Config{Plan: starterPlan(t), DataDir: dir}); err == nil {
		t.Error("a data file for an unknown entity set loaded")
	}
	if _, err := Start(Config{Plan: starterPlan(t), DataDir: filepath.Join(dir, "missing")}); err == nil {
		t.Error("a missing data directory loaded")
	}
}

func TestModelFaultsFromConfig(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.DV.Faults = []fake.Fault{{Kind: fake.FaultThrottle, Count: 1, RetryAfter: 4 * time.Second}}
	})
	if ra := e.dvCall("GET", "accounts", "").want(t, 429).header.Get("Retry-After"); ra != "4" {
		t.Errorf("Retry-After %q", ra)
	}
	e.dvCall("GET", "accounts", "").want(t, 200)
}

package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/odata"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator/fakehttp"
)

// envOf returns a lookup over the given variables only.
func envOf(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestRunFlagsAndEnvironment(t *testing.T) {
	var errb bytes.Buffer
	std := stdio{out: io.Discard, err: &errb}
	env := envOf(
		"DUALSYNC_PLAN", "plans/plan.json",
		"DUALSYNC_FO_URL", "https://fo.example.invalid",
		"DUALSYNC_DV_URL", "https://dv.example.invalid",
		"DUALSYNC_TENANT", "contoso",
		"DUALSYNC_CLIENT_ID", "app-id",
		"DUALSYNC_POLL", "30s",
		"DUALSYNC_LOG_LEVEL", "debug",
		"DUALSYNC_LISTEN", "",
		"DUALSYNC_ALLOW_PLAN_CHANGE", "true",
		"DUALSYNC_CLIENT_SECRET", " s3cret \n",
	)
	o, code := parseRun([]string{"--poll", "2s", "--tenant", "fabrikam"}, std, env)
	if code != -1 {
		t.Fatalf("parseRun exit %d: %s", code, errb.String())
	}
	if o.plan != "plans/plan.json" || o.fo != "https://fo.example.invalid" || o.clientID != "app-id" || !o.allowPlanChange {
		t.Errorf("from the environment: %+v", o)
	}
	if o.poll != 2*time.Second || o.tenant != "fabrikam" {
		t.Errorf("flags must win over the environment: poll %s, tenant %s", o.poll, o.tenant)
	}
	if o.listen != "localhost:8080" {
		t.Errorf("an empty DUALSYNC_LISTEN must count as unset: listen %q", o.listen)
	}
	if o.store != filepath.Join("plans", "dualsync.db") {
		t.Errorf("default store %q, want dualsync.db beside the plan", o.store)
	}
	if err := o.check(); err != nil {
		t.Fatal(err)
	}
	if o.secret.Reveal() != "s3cret" {
		t.Errorf("secret %q", o.secret.Reveal())
	}

	// A secret file and the variable at once is ambiguous.
	o, _ = parseRun([]string{"--client-secret-file", "secret.txt"}, std, env)
	if err := o.check(); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("secret in both places: %v", err)
	}
	// A bad value from the environment names the variable.
	errb.Reset()
	if _, code := parseRun(nil, std, envOf("DUALSYNC_PLAN", "p.json", "DUALSYNC_POLL", "soon")); code != 2 ||
		!strings.Contains(errb.String(), `DUALSYNC_POLL="soon"`) {
		t.Errorf("bad DUALSYNC_POLL: exit %d, %s", code, errb.String())
	}
}

func TestRunSecretFromFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(f, []byte("from-a-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o, code := parseRun([]string{"--plan", "p.json", "--fo", "https://fo", "--dv", "https://dv", "--tenant", "t",
		"--client-id", "c", "--client-secret-file", f}, stdio{out: io.Discard, err: io.Discard}, envOf())
	if code != -1 {
		t.Fatalf("exit %d", code)
	}
	if err := o.check(); err != nil || o.secret.Reveal() != "from-a-file" {
		t.Fatalf("check: %v, secret %q", err, o.secret.Reveal())
	}
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers and readers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestRunServesAndStops runs the runtime against a service that refuses
// every token request: it must serve health and readiness, log JSON
// without the secret, and exit 0 when stopped.
func TestRunServesAndStops(t *testing.T) {
	const secret = "Very-Secret-Value-42"
	var tokenRequests sync.WaitGroup
	tokenRequests.Add(1)
	var once sync.Once
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") {
			once.Do(tokenRequests.Done)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}`)
			return
		}
		http.Error(w, "no", http.StatusNotFound)
	}))
	defer svc.Close()

	dir := t.TempDir()
	planFile := filepath.Join(dir, "plan.json")
	b, err := os.ReadFile("../../testdata/starter.plan.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(planFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	std := stdio{out: io.Discard, err: &logs}
	o, code := parseRun([]string{"--plan", planFile, "--listen", "127.0.0.1:0", "--poll", "20ms",
		"--fo", svc.URL, "--dv", svc.URL, "--login", svc.URL, "--tenant", "contoso", "--client-id", "app"},
		std, envOf(secretEnv, secret))
	if code != -1 {
		t.Fatalf("exit %d: %s", code, logs.String())
	}
	addr := make(chan string, 1)
	o.ready = func(a string) { addr <- a }
	noRetries := func(c *odata.Config) { c.Retries = -1 }
	o.configureFO, o.configureDV = noRetries, noRetries
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- runRuntime(ctx, o, std) }()

	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case c := <-done:
		t.Fatalf("run ended with %d before listening: %s", c, logs.String())
	}
	tokenRequests.Wait()
	if code, body := httpGet(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz = %d %s", code, body)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, body := httpGet(t, base+"/readyz")
		if code == 503 && strings.Contains(body, "fail fo: no successful poll yet; last error:") {
			if strings.Contains(body, secret) {
				t.Errorf("/readyz leaks the secret:\n%s", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz = %d\n%s", code, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code, body := httpGet(t, base+"/metrics"); code != 200 || !strings.Contains(body, `dualsync_poll_errors_total{map="customer",side="fo"}`) {
		t.Errorf("/metrics = %d\n%s", code, body)
	}
	cancel()
	select {
	case c := <-done:
		if c != 0 {
			t.Errorf("run exit %d after its context ended, want 0", c)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop")
	}
	out := logs.String()
	if strings.Contains(out, secret) {
		t.Errorf("the log leaks the secret:\n%s", out)
	}
	for _, want := range []string{`"msg":"dualsync run"`, `"msg":"poll failed"`, `"msg":"sync loop stopped"`, `"msg":"stopped"`, `"client_id":"app"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the log has no %s:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "dualsync.db")); err != nil {
		t.Errorf("no store beside the plan: %v", err)
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestRunAgainstHTTPFakes runs the runtime over HTTPS against the HTTP
// fakes with OAuth 2.0, stops it, and starts it again on the same store.
func TestRunAgainstHTTPFakes(t *testing.T) {
	p, err := plan.ReadFile("../../testdata/starter.plan.json")
	if err != nil {
		t.Fatal(err)
	}
	const secret = "Another-Secret-Value-7"
	srv, err := fakehttp.Start(fakehttp.Config{Plan: p, Seed: 1, Tenant: "contoso",
		Clients: []fakehttp.Client{{ID: "app", Secret: secret}}, TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, srv.CACert(), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("../../testdata/starter.plan.json")
	if err != nil {
		t.Fatal(err)
	}
	planFile := filepath.Join(dir, "plan.json")
	if err := os.WriteFile(planFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	put := func(set, key string, kv ...string) {
		t.Helper()
		vals := map[string]engine.Value{}
		for i := 0; i < len(kv); i += 2 {
			vals[kv[i]] = engine.String(kv[i+1])
		}
		if _, err := srv.FO.Put(set, key, vals); err != nil {
			t.Fatal(err)
		}
	}
	put("CustomersV3", "usmf|US-001", "OrganizationName", "Contoso", "CustomerGroupId", "10")

	// start runs the runtime until the returned stop is called.
	var logs lockedBuffer
	start := func() (stop func()) {
		t.Helper()
		env := envOf("DUALSYNC_FO_URL", srv.FOURL(), "DUALSYNC_DV_URL", srv.DVURL(), "DUALSYNC_LOGIN_URL", srv.LoginURL(),
			"DUALSYNC_TENANT", "contoso", "DUALSYNC_CLIENT_ID", "app", "DUALSYNC_CA_FILE", ca, secretEnv, secret)
		o, code := parseRun([]string{"--plan", planFile, "--listen", "off", "--poll", "20ms", "--log-level", "debug"},
			stdio{out: io.Discard, err: &logs}, env)
		if code != -1 {
			t.Fatalf("exit %d: %s", code, logs.String())
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int, 1)
		go func() { done <- runRuntime(ctx, o, stdio{out: io.Discard, err: &logs}) }()
		return func() {
			cancel()
			select {
			case c := <-done:
				if c != 0 {
					t.Errorf("run exit %d, want 0:\n%s", c, logs.String())
				}
			case <-time.After(15 * time.Second):
				t.Fatal("run did not stop")
			}
		}
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s:\n%s", what, logs.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	stop := start()
	waitFor("the customer in Dataverse", func() bool { _, ok := srv.DV.Get("accounts", "usmf|US-001"); return ok })
	stop()
	first, _ := srv.DV.Get("accounts", "usmf|US-001")

	// A second life on the same store: it resumes, writes nothing twice,
	// and keeps syncing.
	put("CustomersV3", "usmf|US-002", "OrganizationName", "Fabrikam", "CustomerGroupId", "20")
	stop = start()
	waitFor("the second customer in Dataverse", func() bool { _, ok := srv.DV.Get("accounts", "usmf|US-002"); return ok })
	stop()
	if r, _ := srv.DV.Get("accounts", "usmf|US-001"); r.Version != first.Version {
		t.Errorf("US-001 written again after the restart: version %d, was %d", r.Version, first.Version)
	}

	out := logs.String()
	if strings.Contains(out, secret) || strings.Contains(out, "eyJ") {
		t.Errorf("the log leaks the secret or a token:\n%s", out)
	}
	if n := strings.Count(out, `"msg":"sync loop stopped"`); n != 2 {
		t.Errorf("%d stops logged, want 2", n)
	}
	if srv.Stats().Tokens == 0 {
		t.Error("no token was issued: the runtime did not authenticate")
	}
}

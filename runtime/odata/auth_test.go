package odata

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dualsync/dualsync/runtime/engine"
)

const (
	testSecret = "s3cr3t-Value~With.Specials_9f2"
	testTenant = "contoso-tenant"
	testClient = "11111111-2222-3333-4444-555555555555"
)

// tokenServer is an OAuth 2.0 client-credentials endpoint that issues
// numbered tokens valid for expires seconds.
type tokenServer struct {
	t       *testing.T
	srv     *httptest.Server
	expires int
	calls   atomic.Int32
	fail    atomic.Bool
	mu      sync.Mutex
	issued  []string
	scope   string
}

func newTokenServer(t *testing.T, expires int) *tokenServer {
	ts := &tokenServer{t: t, expires: expires}
	ts.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := ts.calls.Add(1)
		if r.Method != "POST" || r.URL.Path != "/"+testTenant+"/oauth2/v2.0/token" {
			t.Errorf("token request %s %s", r.Method, r.URL.Path)
		}
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		ts.mu.Lock()
		ts.scope = r.PostForm.Get("scope")
		ts.mu.Unlock()
		if ts.fail.Load() || r.PostForm.Get("client_secret") != testSecret || r.PostForm.Get("client_id") != testClient ||
			r.PostForm.Get("grant_type") != "client_credentials" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1","error_codes":[7000215]}`)
			return
		}
		tok := fmt.Sprintf("eyJ0eXAiOiJKV1QiLCJub25jZSI6.token-%d.sig", n)
		ts.mu.Lock()
		ts.issued = append(ts.issued, tok)
		ts.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"token_type":"Bearer","expires_in":%d,"ext_expires_in":%d,"access_token":%q}`, ts.expires, ts.expires, tok)
	}))
	t.Cleanup(ts.srv.Close)
	return ts
}

func (ts *tokenServer) tokens() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]string(nil), ts.issued...)
}

func testAuth(ts *tokenServer) Auth {
	return Auth{LoginURL: ts.srv.URL, Tenant: testTenant, ClientID: testClient, Secret: NewSecret(testSecret)}
}

func TestTokenRefresh(t *testing.T) {
	for _, tt := range []struct {
		expires, calls int
	}{
		{3599, 1}, // one token serves both requests
		{1, 2},    // about to expire: fetched again
	} {
		ts := newTokenServer(t, tt.expires)
		var bearers []string
		var mu sync.Mutex
		api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			bearers = append(bearers, r.Header.Get("Authorization"))
			mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"value":[]}`)
		}))
		defer api.Close()
		cfg := testConfig(api.URL)
		cfg.Auth = testAuth(ts)
		c, err := NewDV(starterPlan(t), cfg)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := c.c.get(context.Background(), c.c.resolve("accounts"), nil); err != nil {
				t.Fatal(err)
			}
		}
		if n := int(ts.calls.Load()); n != tt.calls {
			t.Errorf("expires_in %d: %d token requests, want %d", tt.expires, n, tt.calls)
		}
		toks := ts.tokens()
		if len(bearers) != 2 || bearers[0] != "Bearer "+toks[0] || bearers[1] != "Bearer "+toks[len(toks)-1] {
			t.Errorf("bearers %v, tokens %v", bearers, toks)
		}
		if ts.scope != api.URL+"/.default" {
			t.Errorf("scope %q", ts.scope)
		}
	}
}

// TestSecretsNeverLeak runs both connectors with debug logging through
// token failures, service errors and successes, and checks that neither
// the client secret nor any bearer token appears in a log record, an error
// or a result.
func TestSecretsNeverLeak(t *testing.T) {
	ts := newTokenServer(t, 3599)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.Contains(r.URL.Path, "cdm_companies"):
			fmt.Fprintf(w, `{"value":[{"cdm_companyid":%q,"cdm_companycode":"usmf"}]}`, usmfID)
		case r.URL.Path == "/api/data/v9.2/$batch":
			w.WriteHeader(http.StatusUnauthorized)
			// A service that echoes the header it refused.
			fmt.Fprintf(w, `{"error":{"code":"0x80048306","message":"refused"}}`)
		default:
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"error":{"code":"0x80040216","message":"An unexpected error occurred."}}`)
		}
	}))
	defer api.Close()

	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(lockedWriter{&mu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := testConfig(api.URL)
	cfg.Auth = testAuth(ts)
	cfg.Logger = logger
	p := starterPlan(t)
	dv, err := NewDV(p, cfg)
	if err != nil {
		t.Fatal(err)
	}
	fo, err := NewFO(p, cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := mapOf(t, p, "customer")
	ctx := context.Background()
	var texts []string
	_, err = dv.Changes(ctx, m, "", 10)
	texts = append(texts, fmt.Sprint(err))
	_, err = fo.Read(ctx, m, "usmf|US-001")
	texts = append(texts, fmt.Sprint(err))
	rs := dv.Apply(ctx, m, []engine.Write{{ID: "w", Key: "usmf|US-1", Op: engine.OpUpsert, Values: []engine.FieldValue{{Field: "name", Value: str("x")}}}})
	b, _ := json.Marshal(rs)
	texts = append(texts, string(b))

	// The token service refuses: the error names the problem, not the secret.
	ts.fail.Store(true)
	badCfg := cfg
	badCfg.Auth.Secret = NewSecret(testSecret + "-wrong")
	dv2, err := NewDV(p, badCfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = dv2.Changes(ctx, m, "", 10)
	if err == nil || !strings.Contains(err.Error(), "token request: 401: invalid_client: AADSTS7000215: Invalid client secret provided.") {
		t.Errorf("token failure: %v", err)
	}
	texts = append(texts, fmt.Sprint(err))

	// Configuration printed by mistake.
	logger.Info("config", "auth", cfg.Auth, "secret", cfg.Auth.Secret)
	texts = append(texts, fmt.Sprintf("%v %+v %#v %s %q", cfg.Auth, cfg.Auth, cfg.Auth, cfg.Auth.Secret, cfg.Auth.Secret))
	jb, _ := json.Marshal(cfg.Auth)
	texts = append(texts, string(jb))

	mu.Lock()
	texts = append(texts, logs.String())
	mu.Unlock()
	if !strings.Contains(logs.String(), `"status":500`) {
		t.Errorf("debug log has no request records: %s", logs.String())
	}
	secrets := append([]string{testSecret}, ts.tokens()...)
	if len(secrets) < 2 {
		t.Fatal("no token was issued")
	}
	for _, s := range secrets {
		for _, text := range texts {
			if strings.Contains(text, s) || strings.Contains(text, strings.TrimSuffix(s, ".sig")) {
				t.Errorf("%q leaked in: %s", s, text)
			}
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func TestSecretSources(t *testing.T) {
	t.Setenv("DUALSYNC_TEST_SECRET", "  from-env \n")
	s, err := SecretFromEnv("DUALSYNC_TEST_SECRET")
	if err != nil || s.Reveal() != "from-env" {
		t.Errorf("env: %q %v", s.Reveal(), err)
	}
	if _, err := SecretFromEnv("DUALSYNC_TEST_SECRET_UNSET"); err == nil {
		t.Error("unset variable: want an error")
	}
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = SecretFromFile(path)
	if err != nil || s.Reveal() != "from-file" {
		t.Errorf("file: %q %v", s.Reveal(), err)
	}
	_, err = SecretFromFile(filepath.Join(t.TempDir(), "missing"))
	if err == nil {
		t.Error("missing file: want an error")
	}
	if _, err := NewHTTPClient(Auth{Tenant: "t", ClientID: "c"}, TLS{}, "https://x"); err == nil {
		t.Error("auth without a secret: want an error")
	}
}

func TestTLS(t *testing.T) {
	api := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"value":[]}`)
	}))
	defer api.Close()
	get := func(cfg Config) error {
		c, err := NewDV(starterPlan(t), cfg)
		if err != nil {
			return err
		}
		_, err = c.c.get(context.Background(), c.c.resolve("accounts"), nil)
		return err
	}
	cfg := testConfig(api.URL)
	cfg.Retries = -1
	if err := get(cfg); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted certificate accepted: %v", err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: api.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.TLS.CAFile = ca
	if err := get(cfg); err != nil {
		t.Errorf("with the private CA: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.pem")
	_ = os.WriteFile(bad, []byte("not a certificate"), 0o600)
	cfg.TLS.CAFile = bad
	if err := get(cfg); err == nil {
		t.Error("a CA file without certificates: want an error")
	}
}

func TestTokenRefusedIsRefetched(t *testing.T) {
	ts := newTokenServer(t, 3599)
	var seen []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Get("Authorization"))
		if len(seen) == 1 { // the first token was revoked
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"code":"0x80048306","message":"token revoked"}}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"value":[]}`)
	}))
	defer api.Close()
	cfg := testConfig(api.URL)
	cfg.Auth = testAuth(ts)
	c, err := NewDV(starterPlan(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.c.send(context.Background(), request{method: "GET", url: c.c.resolve("accounts")}); err != nil {
		t.Fatal(err)
	}
	toks := ts.tokens()
	if len(toks) != 2 || len(seen) != 2 || seen[1] != "Bearer "+toks[1] {
		t.Errorf("tokens %v, requests %v", toks, seen)
	}
}

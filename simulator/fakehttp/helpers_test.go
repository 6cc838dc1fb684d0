package fakehttp

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator/fake"
)

func starterPlan(tb testing.TB) *plan.Plan {
	tb.Helper()
	p, err := plan.ReadFile("../../testdata/starter.plan.json")
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// env is a running set of servers for a test, on a virtual clock.
type env struct {
	t     *testing.T
	s     *Servers
	clock *fake.Clock
	fo    string // F&O token
	dv    string // Dataverse token
}

const adminToken = "test-admin-token"

func newEnv(t *testing.T, mod func(*Config)) *env {
	t.Helper()
	clock := fake.NewClock(time.Time{})
	cfg := Config{Plan: starterPlan(t), Clock: clock, Seed: 7, Faults: true, AdminToken: adminToken, TokenLifetime: 30 * 24 * time.Hour}
	if mod != nil {
		mod(&cfg)
	}
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	e := &env{t: t, s: s, clock: clock}
	e.fo = e.token(s.FOURL())
	e.dv = e.token(s.DVURL())
	return e
}

// token gets a token for resource from the token service.
func (e *env) token(resource string) string {
	e.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {DefaultClient.ID},
		"client_secret": {DefaultClient.Secret}, "scope": {resource + "/.default"}}
	resp, err := http.PostForm(e.s.TokenURL(""), form)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&tr) != nil || tr.AccessToken == "" {
		e.t.Fatalf("token for %s: %s", resource, resp.Status)
	}
	return tr.AccessToken
}

// answer is a response read whole.
type answer struct {
	status int
	header http.Header
	body   string
}

// json decodes the body.
func (a answer) json(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(a.body), &m); err != nil {
		tb.Fatalf("body %q: %v", a.body, err)
	}
	return m
}

// errorCode returns error.code and error.message of an error body.
func (a answer) errorOf(tb testing.TB) (string, string) {
	tb.Helper()
	m := a.json(tb)
	e, _ := m["error"].(map[string]any)
	if e == nil {
		tb.Fatalf("no error in %s", a.body)
	}
	code, _ := e["code"].(string)
	msg, _ := e["message"].(string)
	if in, ok := e["innererror"].(map[string]any); ok {
		if im, ok := in["message"].(string); ok && im != msg {
			msg += " | " + im
		}
	}
	return code, msg
}

func do(tb testing.TB, method, u, token, body string, headers ...string) answer {
	tb.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// fo calls F&O with a path under /data.
func (e *env) foCall(method, path, body string, headers ...string) answer {
	e.t.Helper()
	return do(e.t, method, e.s.FOURL()+"/data/"+path, e.fo, body, headers...)
}

// dvCall calls Dataverse with a path under /api/data/v9.2.
func (e *env) dvCall(method, path, body string, headers ...string) answer {
	e.t.Helper()
	return do(e.t, method, e.s.DVURL()+"/api/data/v9.2/"+path, e.dv, body, headers...)
}

// want fails unless the answer has the status.
func (a answer) want(tb testing.TB, status int) answer {
	tb.Helper()
	if a.status != status {
		tb.Fatalf("status %d, want %d: %s", a.status, status, a.body)
	}
	return a
}

// values returns a collection answer's value array.
func (a answer) values(tb testing.TB) []map[string]any {
	tb.Helper()
	raw, _ := a.json(tb)["value"].([]any)
	out := make([]map[string]any, len(raw))
	for i, r := range raw {
		out[i], _ = r.(map[string]any)
	}
	return out
}

// company returns a Dataverse company's GUID, creating it when needed.
func (e *env) company(code string) string {
	e.t.Helper()
	vals := e.dvCall("GET", "cdm_companies?$filter=cdm_companycode%20eq%20'"+code+"'", "").want(e.t, 200).values(e.t)
	if len(vals) != 1 {
		e.t.Fatalf("company %s: %d rows", code, len(vals))
	}
	return vals[0]["cdm_companyid"].(string)
}

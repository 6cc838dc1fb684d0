package fakehttp

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestTokenService(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Tenant, c.TokenLifetime = "contoso", 0 })
	post := func(tenant string, form url.Values, basic ...string) answer {
		req, _ := http.NewRequest("POST", e.s.LoginURL()+"/"+tenant+"/oauth2/v2.0/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if len(basic) == 2 {
			req.SetBasicAuth(basic[0], basic[1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return answer{status: resp.StatusCode, header: resp.Header, body: b.String()}
	}
	good := func() url.Values {
		return url.Values{"grant_type": {"client_credentials"}, "client_id": {DefaultClient.ID},
			"client_secret": {DefaultClient.Secret}, "scope": {e.s.DVURL() + "/.default"}}
	}
	t.Run("ok", func(t *testing.T) {
		a := post("contoso", good()).want(t, 200)
		m := a.json(t)
		if m["token_type"] != "Bearer" || m["expires_in"] != float64(3599) || m["access_token"] == "" {
			t.Errorf("answer %s", a.body)
		}
	})
	t.Run("basic auth", func(t *testing.T) {
		f := good()
		f.Del("client_id")
		f.Del("client_secret")
		post("contoso", f, DefaultClient.ID, DefaultClient.Secret).want(t, 200)
	})
	tests := []struct {
		name   string
		tenant string
		edit   func(url.Values)
		status int
		code   string
		aadsts string
	}{
		{"wrong secret", "contoso", func(f url.Values) { f.Set("client_secret", "nope") }, 401, "invalid_client", "AADSTS7000215"},
		{"no secret", "contoso", func(f url.Values) { f.Del("client_secret") }, 401, "invalid_client", "AADSTS7000216"},
		{"unknown client", "contoso", func(f url.Values) { f.Set("client_id", "someone") }, 400, "unauthorized_client", "AADSTS700016"},
		{"no scope", "contoso", func(f url.Values) { f.Del("scope") }, 400, "invalid_request", "AADSTS900144"},
		{"scope without .default", "contoso", func(f url.Values) { f.Set("scope", e.s.DVURL()) }, 400, "invalid_scope", "AADSTS1002012"},
		{"scope not a URL", "contoso", func(f url.Values) { f.Set("scope", "accounts/.default") }, 400, "invalid_scope", "AADSTS1002012"},
		{"two scopes", "contoso", func(f url.Values) { f.Set("scope", e.s.DVURL()+"/.default "+e.s.FOURL()+"/.default") }, 400, "invalid_scope", "AADSTS1002012"},
		{"other grant", "contoso", func(f url.Values) { f.Set("grant_type", "password") }, 400, "unsupported_grant_type", "AADSTS70003"},
		{"other tenant", "fabrikam", func(url.Values) {}, 400, "invalid_request", "AADSTS90002"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := good()
			tc.edit(f)
			a := post(tc.tenant, f).want(t, tc.status)
			m := a.json(t)
			if m["error"] != tc.code || !strings.HasPrefix(m["error_description"].(string), tc.aadsts+":") {
				t.Errorf("error %v %q, want %s %s", m["error"], m["error_description"], tc.code, tc.aadsts)
			}
			if codes, _ := m["error_codes"].([]any); len(codes) != 1 {
				t.Errorf("error_codes %v", m["error_codes"])
			}
		})
	}
}

func TestTokensRequired(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.TokenLifetime = time.Minute })
	foURL := e.s.FOURL() + "/data/CustomersV3"
	dvURL := e.s.DVURL() + "/api/data/v9.2/accounts"
	tests := []struct {
		name  string
		url   string
		token string
		code  int
	}{
		{"F&O with its token", foURL, e.fo, 200},
		{"Dataverse with its token", dvURL, e.dv, 200},
		{"F&O without a token", foURL, "", 401},
		{"Dataverse without a token", dvURL, "", 401},
		{"F&O with the Dataverse token", foURL, e.dv, 401},
		{"Dataverse with the F&O token", dvURL, e.fo, 401},
		{"forged token", dvURL, e.dv[:len(e.dv)-4] + "AAAA", 401},
		{"garbage", dvURL, "not-a-token", 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := do(t, "GET", tc.url, tc.token, "").want(t, tc.code)
			if tc.code == 401 {
				if a.header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
				if _, msg := a.errorOf(t); msg == "" {
					t.Error("401 without an error message")
				}
			}
		})
	}
	t.Run("expired", func(t *testing.T) {
		e.clock.Advance(61 * time.Second)
		a := do(t, "GET", dvURL, e.dv, "").want(t, 401)
		if _, msg := a.errorOf(t); !strings.Contains(msg, "expired") {
			t.Errorf("message %q does not say expired", msg)
		}
		do(t, "GET", foURL, e.fo, "").want(t, 401)
		fresh := e.token(e.s.DVURL())
		do(t, "GET", dvURL, fresh, "").want(t, 200)
	})
}

func TestConfiguredResource(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.DVResource = "https://org.crm.dynamics.com" })
	do(t, "GET", e.s.DVURL()+"/api/data/v9.2/accounts", e.dv, "").want(t, 401)
	tok := e.token("https://org.crm.dynamics.com")
	do(t, "GET", e.s.DVURL()+"/api/data/v9.2/accounts", tok, "").want(t, 200)
}

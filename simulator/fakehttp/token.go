package fakehttp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
)

// The token service: OAuth 2.0 client credentials as Microsoft Entra ID
// answers them.
//
//	POST /<tenant>/oauth2/v2.0/token
//	grant_type=client_credentials&client_id=..&client_secret=..&scope=<resource>/.default
//
// The client may also authenticate with HTTP Basic. The answer is
// {"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"..."};
// errors are Entra's error JSON (error, error_description with an AADSTS
// code, error_codes, timestamp, trace_id, correlation_id, error_uri).
//
// Access tokens are JWTs signed with a key made at Start (HS256): the
// audience is the scope's resource, appid the client. The services check
// the signature, the expiry (by the configured clock) and the audience.

type tokenService struct {
	key      []byte
	clock    dsruntime.Clock
	lifetime time.Duration
	tenant   string
	clients  map[string]string

	mu     sync.Mutex
	faults []loginFault
	issued int64
}

// claims are the access token's claims the services read.
type claims struct {
	Aud   string `json:"aud"`
	Iss   string `json:"iss"`
	Iat   int64  `json:"iat"`
	Nbf   int64  `json:"nbf"`
	Exp   int64  `json:"exp"`
	AppID string `json:"appid"`
	Tid   string `json:"tid"`
	Sub   string `json:"sub"`
}

func newTokenService(cfg *Config) (*tokenService, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	ts := &tokenService{key: key, clock: cfg.Clock, lifetime: cfg.TokenLifetime, tenant: cfg.Tenant, clients: map[string]string{}}
	for _, c := range cfg.Clients {
		if c.ID == "" || c.Secret == "" {
			return nil, errors.New("fakehttp: a client needs an ID and a secret")
		}
		ts.clients[c.ID] = c.Secret
	}
	return ts, nil
}

var b64 = base64.RawURLEncoding

// issue signs a token for client and resource.
func (ts *tokenService) issue(client, tenant, resource, issuer string) (string, time.Duration) {
	now := ts.clock.Now()
	c := claims{Aud: resource, Iss: issuer, Iat: now.Unix(), Nbf: now.Unix(), Exp: now.Add(ts.lifetime).Unix(),
		AppID: client, Tid: tenant, Sub: client}
	head := b64.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	body, _ := json.Marshal(c)
	msg := head + "." + b64.EncodeToString(body)
	ts.mu.Lock()
	ts.issued++
	ts.mu.Unlock()
	return msg + "." + b64.EncodeToString(ts.sign(msg)), ts.lifetime
}

func (ts *tokenService) sign(msg string) []byte {
	m := hmac.New(sha256.New, ts.key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// errTokenExpired is returned for a well-signed token past its expiry.
var errTokenExpired = errors.New("the access token has expired")

// verify checks a token's signature and lifetime and returns its claims.
func (ts *tokenService) verify(tok string) (claims, error) {
	var c claims
	i := strings.LastIndexByte(tok, '.')
	if i < 0 || strings.Count(tok, ".") != 2 {
		return c, errors.New("the access token is malformed")
	}
	sig, err := b64.DecodeString(tok[i+1:])
	if err != nil || !hmac.Equal(sig, ts.sign(tok[:i])) {
		return c, errors.New("the access token's signature is not valid")
	}
	j := strings.IndexByte(tok, '.')
	body, err := b64.DecodeString(tok[j+1 : i])
	if err != nil || json.Unmarshal(body, &c) != nil {
		return c, errors.New("the access token is malformed")
	}
	now := ts.clock.Now().Unix()
	if now >= c.Exp {
		return c, errTokenExpired
	}
	if now < c.Nbf-300 {
		return c, errors.New("the access token is not valid yet")
	}
	return c, nil
}

// ServeHTTP answers token requests.
func (ts *tokenService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" {
		healthz(w, r)
		return
	}
	if ts.applyFaults(w, r) {
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) != 4 || parts[1] != "oauth2" || parts[2] != "v2.0" || parts[3] != "token" || parts[0] == "" {
		http.NotFound(w, r)
		return
	}
	tenant := parts[0]
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		oauthError(w, r, 405, "invalid_request", 900561, "The endpoint only accepts POST requests.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		oauthError(w, r, 400, "invalid_request", 900144, "The request body must be application/x-www-form-urlencoded.")
		return
	}
	form := r.PostForm
	if ts.tenant != "" && !strings.EqualFold(tenant, ts.tenant) {
		oauthError(w, r, 400, "invalid_request", 90002, fmt.Sprintf("Tenant '%s' not found.", tenant))
		return
	}
	grant := form.Get("grant_type")
	if grant == "" {
		oauthError(w, r, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	}
	if grant != "client_credentials" {
		oauthError(w, r, 400, "unsupported_grant_type", 70003, fmt.Sprintf("The app requested an unsupported grant type '%s'.", grant))
		return
	}
	id, secret := form.Get("client_id"), form.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		id, _ = url.QueryUnescape(u)
		secret, _ = url.QueryUnescape(p)
	}
	if id == "" {
		oauthError(w, r, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
		return
	}
	want, known := ts.clients[id]
	if !known {
		oauthError(w, r, 400, "unauthorized_client", 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'.", id, tenant))
		return
	}
	if secret == "" {
		oauthError(w, r, 401, "invalid_client", 7000216, "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.")
		return
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(want)) != 1 {
		oauthError(w, r, 401, "invalid_client", 7000215, "Invalid client secret provided.")
		return
	}
	scope := strings.TrimSpace(form.Get("scope"))
	if scope == "" {
		oauthError(w, r, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'.")
		return
	}
	resource, ok := scopeResource(scope)
	if !ok {
		oauthError(w, r, 400, "invalid_scope", 1002012, fmt.Sprintf(
			"The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", scope))
		return
	}
	issuer := originOf(r) + "/" + tenant + "/v2.0"
	tok, life := ts.issue(id, tenant, resource, issuer)
	secs := int(life / time.Second)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.Header().Set("Pragma", "no-cache")
	b, _ := json.Marshal(map[string]any{"token_type": "Bearer", "expires_in": secs, "ext_expires_in": secs, "access_token": tok})
	w.Write(b)
}

// scopeResource returns the resource of a client-credentials scope: one
// absolute http(s) URL followed by /.default.
func scopeResource(scope string) (string, bool) {
	if strings.ContainsAny(scope, " \t") {
		return "", false
	}
	res, ok := strings.CutSuffix(scope, "/.default")
	if !ok {
		return "", false
	}
	u, err := url.Parse(res)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", false
	}
	return strings.TrimRight(res, "/"), true
}

// oauthError writes Entra's error JSON.
func oauthError(w http.ResponseWriter, r *http.Request, status int, code string, aadsts int, msg string) {
	now := time.Now().UTC()
	trace, corr := newID(), newID()
	desc := fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s", aadsts, msg, trace, corr, now.Format("2006-01-02 15:04:05Z"))
	b, _ := json.Marshal(map[string]any{
		"error": code, "error_description": desc, "error_codes": []int{aadsts},
		"timestamp": now.Format("2006-01-02 15:04:05Z"), "trace_id": trace, "correlation_id": corr,
		"error_uri": originOf(r) + "/error?code=" + fmt.Sprint(aadsts),
	})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.WriteHeader(status)
	w.Write(b)
}

// newID returns a random GUID for trace and correlation ids.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// originOf is the scheme://host the request was addressed to.
func originOf(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// audienceOK reports whether a token's audience is the service's: the
// configured resource, or else the origin the request is addressed to
// (either scheme, so that TLS offloading does not matter).
func audienceOK(aud, resource string, r *http.Request) bool {
	aud = strings.TrimRight(aud, "/")
	if resource != "" {
		return strings.EqualFold(aud, strings.TrimRight(resource, "/"))
	}
	u, err := url.Parse(aud)
	if err != nil || u.Path != "" {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

// bearer returns the request's bearer token, "" when there is none.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

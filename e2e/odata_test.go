package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// user talks to the fakes from the host as a person or another system
// would: over HTTP, with a bearer token from the token service, through
// the services' documented OData shapes. It never reaches into the
// simulator's memory.
type user struct {
	fo, dv, login    string // host base URLs
	tenant, id, pass string
	hc               *http.Client

	mu     sync.Mutex
	tokens map[string]string // by scope
}

// row is one record as JSON.
type row map[string]any

func (r row) str(k string) string {
	switch v := r[k].(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// token gets (and keeps) an access token for the service at base.
func (u *user) token(base string) (string, error) {
	scope := base + "/.default"
	u.mu.Lock()
	defer u.mu.Unlock()
	if tok := u.tokens[scope]; tok != "" {
		return tok, nil
	}
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {u.id},
		"client_secret": {u.pass},
		"scope":         {scope},
	}
	resp, err := u.hc.PostForm(u.login+"/"+u.tenant+"/oauth2/v2.0/token", form)
	if err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("token: %s %s", resp.Status, b)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	if err := json.Unmarshal(b, &tr); err != nil || tr.AccessToken == "" {
		return "", fmt.Errorf("token: bad answer %s", b)
	}
	if u.tokens == nil {
		u.tokens = map[string]string{}
	}
	u.tokens[scope] = tr.AccessToken
	return tr.AccessToken, nil
}

// do sends one OData request to the service at base and decodes a JSON
// answer into out (when out is not nil). A 401 drops the kept token and
// tries once more, as a client with an expired token would.
func (u *user) do(base, method, path string, body any, hdr map[string]string, out any) (int, error) {
	for attempt := 0; ; attempt++ {
		tok, err := u.token(base)
		if err != nil {
			return 0, err
		}
		var rd io.Reader
		if body != nil {
			b, err := json.Marshal(body)
			if err != nil {
				return 0, err
			}
			rd = bytes.NewReader(b)
		}
		target := path
		if !strings.HasPrefix(path, "http") {
			target = base + path
		}
		req, err := http.NewRequest(method, target, rd)
		if err != nil {
			return 0, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("OData-MaxVersion", "4.0")
		req.Header.Set("OData-Version", "4.0")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := u.hc.Do(req)
		if err != nil {
			return 0, fmt.Errorf("%s %s: %w", method, path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusUnauthorized && attempt == 0 {
			u.mu.Lock()
			delete(u.tokens, base+"/.default")
			u.mu.Unlock()
			continue
		}
		if resp.StatusCode >= 300 {
			return resp.StatusCode, &httpError{status: resp.StatusCode,
				msg: fmt.Sprintf("%s %s: %s %s", method, path, resp.Status, bytes.TrimSpace(b))}
		}
		if out != nil && len(b) > 0 {
			if err := json.Unmarshal(b, out); err != nil {
				return resp.StatusCode, fmt.Errorf("%s %s: decode: %w", method, path, err)
			}
		}
		return resp.StatusCode, nil
	}
}

// list reads a whole collection, following @odata.nextLink. A next link
// names the service as the simulator knows itself, on the cluster
// network; it is read again through base, the same service as the host
// reaches it.
func (u *user) list(base, path string, hdr map[string]string) ([]row, error) {
	var out []row
	for page := 0; path != ""; page++ {
		if page > 1000 {
			return nil, fmt.Errorf("list %s: more than 1000 pages", path)
		}
		var res struct {
			Value []row  `json:"value"`
			Next  string `json:"@odata.nextLink"`
		}
		if _, err := u.do(base, http.MethodGet, path, nil, hdr, &res); err != nil {
			return nil, err
		}
		out = append(out, res.Value...)
		path = ""
		if res.Next != "" {
			nu, err := url.Parse(res.Next)
			if err != nil {
				return nil, fmt.Errorf("next link %q: %w", res.Next, err)
			}
			path = nu.RequestURI()
		}
	}
	return out, nil
}

// odataString quotes s as an OData string literal, percent-encoded for a
// URL path.
func odataString(s string) string {
	return url.PathEscape("'" + strings.ReplaceAll(s, "'", "''") + "'")
}

// F&O: /data/<EntitySet>.

func (u *user) foList(set string) ([]row, error) {
	return u.list(u.fo, "/data/"+set+"?cross-company=true", nil)
}

// foCreate creates a record (POST), as a person entering it in F&O would.
func (u *user) foCreate(set string, r row) error {
	_, err := u.do(u.fo, http.MethodPost, "/data/"+set, r, nil, nil)
	return err
}

// foUpdate changes fields of the record at key ("ProductNumber='P1'").
func (u *user) foUpdate(set, key string, r row) error {
	_, err := u.do(u.fo, http.MethodPatch, "/data/"+set+"("+key+")", r, nil, nil)
	return err
}

// Dataverse: /api/data/v9.2/<set>.

const dvRoot = "/api/data/v9.2/"

func (u *user) dvList(set string) ([]row, error) {
	return u.list(u.dv, dvRoot+set, map[string]string{"Prefer": "odata.maxpagesize=500"})
}

// dvUpsert creates or updates the record at an alternate key
// ("productnumber='P1'").
func (u *user) dvUpsert(set, key string, r row) error {
	_, err := u.do(u.dv, http.MethodPatch, dvRoot+set+"("+key+")", r, nil, nil)
	return err
}

// httpError is an answer with an error status.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

// permanent reports whether err is an answer that trying again cannot
// change: a 4xx other than a timeout or throttling.
func permanent(err error) bool {
	var he *httpError
	return errors.As(err, &he) && he.status >= 400 && he.status < 500 &&
		he.status != http.StatusRequestTimeout && he.status != http.StatusTooManyRequests
}

// try runs op until it succeeds, fails for good, or the time runs out:
// a user's write may meet the faults the test injects (no answer, 5xx,
// 429), and a person tries again; a refusal on the merits is final. It
// is safe to call from any goroutine.
func try(limit time.Duration, op func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := op()
		if err == nil || permanent(err) {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("still failing after %v: %w", limit, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

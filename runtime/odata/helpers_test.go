package odata

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dualsync/dualsync/runtime/plan"
)

// fixtureDir holds the recorded-shape answers (see its README).
const fixtureDir = "../../testdata/odata"

// rule answers requests whose method matches and whose unescaped request
// URI contains match (and header hdr, when set, has value hdrValue).
type rule struct {
	method string
	match  string
	// bodyHas, when set, must be in the request body.
	bodyHas string
	// times limits how often the rule answers; 0 is always.
	times  int
	status int
	header map[string]string
	file   string // under fixtureDir; "BASE" is replaced by the server URL
	body   string
	// check, when set, inspects the request.
	check func(r *http.Request, body []byte)
	// fn, when set, makes the answer (status, headers, body).
	fn func(r *http.Request, body []byte) (int, map[string]string, string)
}

// seen is a request the replay server got.
type seen struct {
	method string
	uri    string // unescaped
	raw    string // as sent
	header http.Header
	body   []byte
}

// replay is an httptest server answering from fixtures by rules, first
// match wins, and recording every request.
type replay struct {
	t     testing.TB
	srv   *httptest.Server
	mu    sync.Mutex
	rules []*rule
	reqs  []seen
}

func newReplay(t testing.TB, rules ...*rule) *replay {
	t.Helper()
	rp := &replay{t: t, rules: rules}
	rp.srv = httptest.NewServer(http.HandlerFunc(rp.serve))
	t.Cleanup(rp.srv.Close)
	return rp
}

func (rp *replay) add(rules ...*rule) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	rp.rules = append(rules, rp.rules...)
}

func (rp *replay) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	uri, err := url.PathUnescape(r.URL.RequestURI())
	if err != nil {
		uri = r.URL.RequestURI()
	}
	rp.mu.Lock()
	rp.reqs = append(rp.reqs, seen{method: r.Method, uri: uri, raw: r.URL.RequestURI(), header: r.Header.Clone(), body: body})
	var hit *rule
	for _, ru := range rp.rules {
		if ru.method != r.Method || !strings.Contains(uri, ru.match) || ru.times < 0 || !strings.Contains(string(body), ru.bodyHas) {
			continue
		}
		hit = ru
		if ru.times > 0 {
			ru.times--
			if ru.times == 0 {
				ru.times = -1
			}
		}
		break
	}
	rp.mu.Unlock()
	if hit == nil {
		rp.t.Errorf("replay: no rule for %s %s", r.Method, uri)
		http.Error(w, "no rule", http.StatusNotImplemented)
		return
	}
	if hit.check != nil {
		hit.check(r, body)
	}
	out, status, header := hit.body, hit.status, hit.header
	if hit.fn != nil {
		status, header, out = hit.fn(r, body)
	}
	if hit.file != "" {
		b, err := os.ReadFile(filepath.Join(fixtureDir, hit.file))
		if err != nil {
			rp.t.Errorf("replay: %v", err)
		}
		out = string(b)
	}
	out = strings.ReplaceAll(out, "BASE", rp.srv.URL)
	w.Header().Set("Content-Type", "application/json; odata.metadata=minimal")
	w.Header().Set("OData-Version", "4.0")
	for k, v := range header {
		w.Header().Set(k, strings.ReplaceAll(v, "BASE", rp.srv.URL))
	}
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, out)
}

// requests returns the requests so far.
func (rp *replay) requests() []seen {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return append([]seen(nil), rp.reqs...)
}

// count returns how many requests had method and contained match.
func (rp *replay) count(method, match string) int {
	n := 0
	for _, s := range rp.requests() {
		if s.method == method && strings.Contains(s.uri, match) {
			n++
		}
	}
	return n
}

func starterPlan(t testing.TB) *plan.Plan {
	t.Helper()
	p, err := plan.ReadFile("../../testdata/starter.plan.json")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mapOf(t testing.TB, p *plan.Plan, name string) *plan.Map {
	t.Helper()
	m := p.MapByName(name)
	if m == nil {
		t.Fatalf("no map %s", name)
	}
	return m
}

// testConfig is a config for a replay server: no auth, and waits that
// move a virtual clock instead of sleeping.
func testConfig(url string) Config {
	clk := &virtualClock{now: time.Date(2024, 5, 2, 12, 0, 0, 0, time.UTC)}
	return Config{
		URL: url,
		Sleep: func(ctx context.Context, d time.Duration) error {
			clk.Advance(d)
			return ctx.Err()
		},
		Now:    clk.Now,
		Jitter: func() float64 { return 0.5 },
	}
}

func newTestFO(t testing.TB, rp *replay, mod func(*Config)) *FO {
	t.Helper()
	cfg := testConfig(rp.srv.URL)
	if mod != nil {
		mod(&cfg)
	}
	c, err := NewFO(starterPlan(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newTestDV(t testing.TB, rp *replay, mod func(*Config)) *DV {
	t.Helper()
	cfg := testConfig(rp.srv.URL)
	if mod != nil {
		mod(&cfg)
	}
	c, err := NewDV(starterPlan(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const usmfID = "5a1f6d2e-3b4c-4d5e-8f90-a1b2c3d4e5f6"

package odata

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/plan"
)

func TestGetRetries(t *testing.T) {
	rp := newReplay(t,
		&rule{method: "GET", match: "/flaky", times: 2, status: 503, body: "busy"},
		&rule{method: "GET", match: "/flaky", body: `{"value":[]}`},
		&rule{method: "GET", match: "/throttled", times: 1, status: 429, header: map[string]string{"Retry-After": "2"}, body: `{"error":{"code":"0x80072322","message":"limit"}}`},
		&rule{method: "GET", match: "/throttled", body: `{"value":[]}`},
		&rule{method: "GET", match: "/long", status: 429, header: map[string]string{"Retry-After": "600"}, body: `{"error":{"code":"0x80072322","message":"limit"}}`},
		&rule{method: "GET", match: "/bad", status: 400, body: `{"error":{"code":"0x1","message":"bad"}}`},
	)
	var mu sync.Mutex
	var waits []time.Duration
	cfg := testConfig(rp.srv.URL)
	sleep := cfg.Sleep
	cfg.Sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return sleep(ctx, d)
	}
	cfg.Jitter = func() float64 { return 0 }
	cfg, root, err := cfg.withDefaults("/api/data/v9.2")
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(plan.DV, root, cfg)
	ctx := context.Background()

	if _, err := c.get(ctx, c.resolve("flaky"), nil); err != nil {
		t.Fatalf("flaky: %v", err)
	}
	// Backoff: full jitter in [wait/2, wait), doubling from 500 ms.
	if len(waits) != 2 || waits[0] != 250*time.Millisecond || waits[1] != 500*time.Millisecond {
		t.Errorf("waits %v", waits)
	}
	waits = nil
	if _, err := c.get(ctx, c.resolve("throttled"), nil); err != nil {
		t.Fatalf("throttled: %v", err)
	}
	if len(waits) != 1 || waits[0] != 2*time.Second {
		t.Errorf("Retry-After not honoured: %v", waits)
	}
	waits = nil
	_, err = c.get(ctx, c.resolve("long"), nil)
	var se *dsruntime.ServiceError
	if !errors.As(err, &se) || se.Status != 429 || se.RetryAfter != 10*time.Minute || len(waits) != 0 {
		t.Errorf("long Retry-After: %v, waits %v", err, waits)
	}
	// Until the Retry-After has passed nothing is sent: a write fails at
	// once as throttled, a GET gives up when the wait is too long.
	n := len(rp.requests())
	_, err = c.sendWrite(ctx, request{method: "POST", url: c.resolve("$batch")})
	if !errors.As(err, &se) || se.Status != 429 || se.RetryAfter <= 9*time.Minute {
		t.Errorf("write while throttled: %v", err)
	}
	if _, err := c.get(ctx, c.resolve("bad"), nil); !errors.As(err, &se) || se.Status != 429 {
		t.Errorf("GET while throttled: %v", err)
	}
	if len(rp.requests()) != n {
		t.Error("a request was sent while throttled")
	}
	_ = cfg.Sleep(ctx, 10*time.Minute)
	waits = nil
	if _, err := c.get(ctx, c.resolve("bad"), nil); !errors.As(err, &se) || se.Status != 400 || se.Code != "0x1" {
		t.Errorf("400: %v", err)
	}
	if n := rp.count("GET", "/bad"); n != 1 {
		t.Errorf("400 tried %d times", n)
	}
}

func TestNetworkErrorRetried(t *testing.T) {
	var calls atomic.Int32
	cfg := testConfig("https://dv.invalid")
	cfg.Client = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		calls.Add(1)
		return nil, errors.New("connection reset by peer")
	})}
	cfg, root, err := cfg.withDefaults("/api/data/v9.2")
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(plan.DV, root, cfg)
	_, err = c.get(context.Background(), c.resolve("accounts"), nil)
	var se *dsruntime.ServiceError
	if !errors.As(err, &se) || !se.Network || strings.Contains(se.Message, "dv.invalid") {
		t.Errorf("network error %#v", err)
	}
	if calls.Load() != 4 {
		t.Errorf("%d attempts, want 4", calls.Load())
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestResponseCap(t *testing.T) {
	rp := newReplay(t, &rule{method: "GET", match: "/accounts", body: `{"value":[` + strings.Repeat(`{"a":1},`, 200) + `{"a":1}]}`})
	c := newTestDV(t, rp, func(cfg *Config) { cfg.MaxResponseBytes = 1000 })
	_, err := c.Changes(context.Background(), mapOf(t, c.plan, "customer"), "", 10)
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized answer: %v", err)
	}
}

func TestLinksStayOnTheService(t *testing.T) {
	rp := newReplay(t)
	c := newTestDV(t, rp, nil)
	root := rp.srv.URL + "/api/data/v9.2"
	for _, tt := range []struct {
		link string
		ok   bool
	}{
		{root + "/accounts?$skiptoken=1", true},
		{"accounts?$skiptoken=1", true},
		{"/api/data/v9.2/accounts?$deltatoken=2", true},
		{"https://evil.example/api/data/v9.2/accounts", false},
		{rp.srv.URL + "/other/accounts", false},
		{"//evil.example/api/data/v9.2/accounts", false},
		{"ftp://x/y", false},
	} {
		got, err := c.c.link(tt.link)
		if (err == nil) != tt.ok {
			t.Errorf("link %q: %q, %v", tt.link, got, err)
			continue
		}
		if tt.ok {
			u, _ := url.Parse(got)
			if !strings.HasPrefix(got, root+"/") || u.Host != strings.TrimPrefix(rp.srv.URL, "http://") {
				t.Errorf("link %q resolved to %q", tt.link, got)
			}
		}
	}
	// A next link to another host fails the page; nothing is sent there.
	rp.add(&rule{method: "GET", match: "/accounts", body: `{"value":[],"@odata.nextLink":"https://evil.example/api/data/v9.2/accounts?$skiptoken=1"}`})
	if _, err := c.Changes(context.Background(), mapOf(t, c.plan, "customer"), "", 10); err == nil {
		t.Error("foreign next link accepted")
	}
}

func TestLimiter(t *testing.T) {
	l := newLimiter(3)
	ctx := context.Background()
	for range 3 {
		if err := l.acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := l.acquire(short); err == nil {
		t.Fatal("acquired past the bound")
	}
	l.setMax(1)
	l.release()
	l.release()
	done := make(chan struct{})
	go func() {
		if err := l.acquire(ctx); err == nil {
			close(done)
		}
	}()
	select {
	case <-done:
		t.Fatal("acquired with 1 in use and a bound of 1")
	case <-time.After(20 * time.Millisecond):
	}
	l.release()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("not woken after release")
	}
}

func TestRetryAfterParse(t *testing.T) {
	h := http.Header{}
	for v, want := range map[string]time.Duration{"": 0, "5": 5 * time.Second, "0.5": 500 * time.Millisecond, "x": 0, "-1": 0} {
		h.Set("Retry-After", v)
		if got := retryAfter(h); got != want {
			t.Errorf("Retry-After %q = %v, want %v", v, got, want)
		}
	}
	h.Set("Retry-After", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
	if got := retryAfter(h); got < 59*time.Minute {
		t.Errorf("date Retry-After = %v", got)
	}
}

func TestParseError(t *testing.T) {
	se := parseError(plan.FO, 500, http.Header{}, []byte(`{"error":{"code":"","message":"An error has occurred.","innererror":{"message":"Write failed. Infolog: x","type":"T"}}}`))
	if se.Message != "An error has occurred." || se.InnerMessage != "Write failed. Infolog: x" || se.InnerType != "T" {
		t.Errorf("%+v", se)
	}
	se = parseError(plan.DV, 502, http.Header{}, []byte("<html>\nBad gateway</html>"))
	if se.Message != "<html>" || se.Status != 502 {
		t.Errorf("%+v", se)
	}
	se = parseError(plan.DV, 404, http.Header{}, nil)
	if se.Message != "Not Found" {
		t.Errorf("%+v", se)
	}
	se = parseError(plan.DV, 400, http.Header{}, []byte(`{"error":{"code":123,"message":{"lang":"en-US","value":"Bad thing"}}}`))
	if se.Code != "123" || se.Message != "Bad thing" {
		t.Errorf("%+v", se)
	}
}

func TestOversizedPageShrinks(t *testing.T) {
	var prefers []string
	rp := newReplay(t, append(dvCompanyRules(),
		&rule{method: "GET", match: "/accounts?", fn: func(r *http.Request, _ []byte) (int, map[string]string, string) {
			p := r.Header.Get("Prefer")
			prefers = append(prefers, p)
			if !strings.HasSuffix(p, "maxpagesize=2") {
				return 200, nil, `{"value":[` + strings.Repeat(`{"pad":"xxxxxxxxxx"},`, 100) + `{}]}`
			}
			return 200, nil, `{"value":[],"@odata.deltaLink":"BASE/api/data/v9.2/accounts?$deltatoken=1"}`
		}})...)
	c := newTestDV(t, rp, func(cfg *Config) { cfg.MaxResponseBytes = 1000 })
	page, err := c.Changes(context.Background(), mapOf(t, c.plan, "customer"), "", 10)
	if err != nil || !strings.HasPrefix(page.Next, "dv1 delta") {
		t.Fatalf("page %+v, %v", page, err)
	}
	want := []string{"odata.track-changes,odata.maxpagesize=10", "odata.track-changes,odata.maxpagesize=5", "odata.track-changes,odata.maxpagesize=2"}
	if strings.Join(prefers, ";") != strings.Join(want, ";") {
		t.Errorf("Prefer %q, want %q", prefers, want)
	}
}

// Every 429 is reported through OnThrottle with the method and the wait
// asked for, so that throttled reads can be counted.
func TestOnThrottle(t *testing.T) {
	rp := newReplay(t,
		&rule{method: "GET", match: "/throttled", times: 1, status: 429, header: map[string]string{"Retry-After": "3"}, body: `{"error":{"code":"0x80072322","message":"limit"}}`},
		&rule{method: "GET", match: "/throttled", body: `{"value":[]}`},
	)
	var got []string
	cfg := testConfig(rp.srv.URL)
	cfg.OnThrottle = func(method string, wait time.Duration) { got = append(got, method+" "+wait.String()) }
	cfg, root, err := cfg.withDefaults("/api/data/v9.2")
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(plan.DV, root, cfg)
	if _, err := c.get(context.Background(), c.resolve("throttled"), nil); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "GET 3s" {
		t.Fatalf("OnThrottle calls %v, want [GET 3s]", got)
	}
}

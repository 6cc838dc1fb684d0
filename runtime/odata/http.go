package odata

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/plan"
)

// client is the HTTP layer shared by both connectors: service root,
// headers, bounded concurrency, capped bodies and error parsing.
type client struct {
	side plan.Side
	root *url.URL
	cfg  Config
	log  *slog.Logger
	lim  *limiter

	// mu guards until: after a 429 nothing is sent before this time, as
	// the services ask, so that polls do not spend the budget the writes
	// wait for.
	mu    sync.Mutex
	until time.Time
}

// throttledFor returns how long the service asked to be left alone.
func (c *client) throttledFor() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.until.Sub(c.cfg.Now())
}

// throttle closes the gate for d.
func (c *client) throttle(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.cfg.Now().Add(d); t.After(c.until) {
		c.until = t
	}
}

// throttled is the failure of a request not sent because the gate is
// closed.
func (c *client) throttled(d time.Duration) *dsruntime.ServiceError {
	return &dsruntime.ServiceError{Side: c.side, Status: http.StatusTooManyRequests, RetryAfter: d,
		Message: "not sent: the service asked to wait (Retry-After)"}
}

// sendWrite sends a write request unless the service asked to wait, in
// which case it fails at once as throttled with the time left.
func (c *client) sendWrite(ctx context.Context, r request) (*response, error) {
	if d := c.throttledFor(); d > 0 {
		return nil, c.throttled(d)
	}
	return c.send(ctx, r)
}

func newClient(side plan.Side, root *url.URL, cfg Config) *client {
	return &client{side: side, root: root, cfg: cfg, log: cfg.Logger.With("side", string(side)),
		lim: newLimiter(cfg.Concurrency)}
}

// request is one HTTP request.
type request struct {
	method string
	url    string // absolute
	header http.Header
	body   []byte
}

// response is a complete HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// ErrTooLarge is wrapped by the error for a response body over
// Config.MaxResponseBytes.
var ErrTooLarge = errors.New("response body too large")

// resolve returns the absolute URL of a path relative to the service root
// ("accounts(...)", "$batch").
func (c *client) resolve(rel string) string {
	return c.root.String() + "/" + strings.TrimPrefix(rel, "/")
}

// link checks a link from a response (@odata.nextLink, @odata.deltaLink)
// and returns it absolute: it must point below the service root on the
// same host, so the bearer token never goes anywhere else.
func (c *client) link(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("link %q: %w", truncate(s, 200), err)
	}
	if !u.IsAbs() {
		u = c.root.ResolveReference(u)
		if !strings.HasPrefix(s, "/") {
			u, err = url.Parse(c.root.String() + "/" + s)
			if err != nil {
				return "", fmt.Errorf("link %q: %w", truncate(s, 200), err)
			}
		}
	}
	if u.Scheme != c.root.Scheme || !strings.EqualFold(u.Host, c.root.Host) ||
		!strings.HasPrefix(u.EscapedPath()+"/", c.root.EscapedPath()+"/") {
		return "", fmt.Errorf("link %q is not on the service %s", truncate(s, 200), c.root)
	}
	return u.String(), nil
}

// relative returns an absolute link as a path relative to the service
// root, for cursors: a cursor survives a change of host name.
func (c *client) relative(abs string) string {
	return strings.TrimPrefix(strings.TrimPrefix(abs, c.root.String()), "/")
}

func (c *client) headers(h http.Header) http.Header {
	out := http.Header{}
	out.Set("Accept", "application/json")
	out.Set("OData-MaxVersion", "4.0")
	out.Set("OData-Version", "4.0")
	for k, v := range h {
		out[k] = v
	}
	return out
}

// send makes one attempt (two when the service refuses the token: the
// token is dropped and a new one fetched). A non-2xx answer fails with a
// *dsruntime.ServiceError (with the response); no answer fails with a
// ServiceError marked Network.
func (c *client) send(ctx context.Context, r request) (*response, error) {
	resp, err := c.sendOnce(ctx, r)
	if resp != nil && resp.status == http.StatusUnauthorized && c.cfg.tokens != nil {
		c.log.Debug("token refused; fetching a new one")
		c.cfg.tokens.drop()
		resp, err = c.sendOnce(ctx, r)
	}
	return resp, err
}

func (c *client) sendOnce(ctx context.Context, r request) (*response, error) {
	if err := c.lim.acquire(ctx); err != nil {
		return nil, c.network(err)
	}
	defer c.lim.release()
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, body)
	if err != nil {
		return nil, fmt.Errorf("%s request: %w", c.side, err)
	}
	req.Header = c.headers(r.header)
	if r.body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	start := time.Now()
	resp, err := c.cfg.Client.Do(req)
	if err != nil {
		c.log.Debug("request failed", "method", r.method, "path", req.URL.Path, "err", err)
		return nil, c.network(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxResponseBytes+1))
	if err != nil {
		return nil, c.network(err)
	}
	if int64(len(b)) > c.cfg.MaxResponseBytes {
		return nil, fmt.Errorf("%s %s %s: %w (over %d bytes)", c.side, r.method, req.URL.Path, ErrTooLarge, c.cfg.MaxResponseBytes)
	}
	out := &response{status: resp.StatusCode, header: resp.Header, body: b}
	if resp.StatusCode == http.StatusTooManyRequests {
		d := retryAfter(resp.Header)
		if d <= 0 {
			d = c.cfg.RetryWait
		}
		c.throttle(d)
		c.log.Info("throttled", "method", r.method, "path", req.URL.Path, "retryAfter", d)
		if c.cfg.OnThrottle != nil {
			c.cfg.OnThrottle(r.method, d)
		}
	}
	if h := resp.Header.Get("x-ms-dop-hint"); h != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && n > 0 {
			c.lim.setMax(min(n, c.cfg.Concurrency))
		}
	}
	c.log.Debug("request", "method", r.method, "path", req.URL.Path, "status", resp.StatusCode,
		"bytes", len(b), "elapsed", time.Since(start))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return out, parseError(c.side, resp.StatusCode, resp.Header, b)
	}
	return out, nil
}

// network wraps a transport failure. Token errors keep their text (it
// never holds the secret or a token: see redactingSource).
func (c *client) network(err error) *dsruntime.ServiceError {
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		// Leave the URL out: the error is about the connection.
		msg = ue.Err.Error()
	}
	return &dsruntime.ServiceError{Side: c.side, Network: true, Message: msg}
}

// get sends an idempotent GET, trying again after network errors, 502,
// 503, 504 and 429 (honouring Retry-After up to MaxRetryWait) with
// exponential backoff and jitter.
func (c *client) get(ctx context.Context, u string, h http.Header) (*response, error) {
	wait := c.cfg.RetryWait
	for attempt := 0; ; attempt++ {
		if d := c.throttledFor(); d > 0 {
			if d > c.cfg.MaxRetryWait || attempt > c.cfg.Retries {
				return nil, c.throttled(d)
			}
			c.log.Debug("waiting for Retry-After", "wait", d)
			if err := c.cfg.Sleep(ctx, d); err != nil {
				return nil, c.network(err)
			}
		}
		resp, err := c.send(ctx, request{method: http.MethodGet, url: u, header: h})
		if err == nil || attempt >= c.cfg.Retries || ctx.Err() != nil {
			return resp, err
		}
		var se *dsruntime.ServiceError
		if !errors.As(err, &se) {
			return resp, err
		}
		var d time.Duration
		switch {
		case se.Status == http.StatusTooManyRequests:
			if se.RetryAfter > c.cfg.MaxRetryWait {
				return resp, err
			}
			continue // the gate waits
		case se.Network || se.Status == 502 || se.Status == 503 || se.Status == 504:
			d = se.RetryAfter
			if d <= 0 {
				// Full jitter in [wait/2, wait).
				d = wait/2 + time.Duration(c.cfg.Jitter()*float64(wait/2))
			}
			d = min(d, c.cfg.MaxRetryWait)
			wait *= 2
		default:
			return resp, err
		}
		c.log.Debug("retrying GET", "status", se.Status, "network", se.Network, "wait", d, "attempt", attempt+1)
		if err := c.cfg.Sleep(ctx, d); err != nil {
			return nil, c.network(err)
		}
	}
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil && n >= 0 {
		return time.Duration(n * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// limiter bounds the requests in flight; its bound can change while
// requests wait (x-ms-dop-hint).
type limiter struct {
	mu   sync.Mutex
	max  int
	used int
	wait []chan struct{}
}

func newLimiter(n int) *limiter { return &limiter{max: max(n, 1)} }

func (l *limiter) acquire(ctx context.Context) error {
	for {
		l.mu.Lock()
		if l.used < l.max {
			l.used++
			l.mu.Unlock()
			return nil
		}
		ch := make(chan struct{})
		l.wait = append(l.wait, ch)
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (l *limiter) release() {
	l.mu.Lock()
	l.used--
	l.wake()
	l.mu.Unlock()
}

func (l *limiter) setMax(n int) {
	l.mu.Lock()
	if n != l.max {
		l.max = max(n, 1)
		l.wake()
	}
	l.mu.Unlock()
}

func (l *limiter) limit() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.max
}

func (l *limiter) wake() {
	for _, ch := range l.wait {
		close(ch)
	}
	l.wait = nil
}

// truncate shortens s to at most n bytes for messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// setAnswer is the answer to the one request of a change set.
type setAnswer struct {
	resp *response
	err  error
}

// batch sends one $batch request with the change sets, asking the service
// to go on after a failed one, and returns one answer per set. The error
// is for the whole batch (throttled, unreachable, unreadable answer).
func (c *client) batch(ctx context.Context, sets [][]batchReq) ([]setAnswer, error) {
	ct, body, err := writeBatch(sets)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set("Content-Type", ct)
	h.Set("Prefer", "odata.continue-on-error")
	resp, err := c.sendWrite(ctx, request{method: http.MethodPost, url: c.resolve("$batch"), header: h, body: body})
	if err != nil {
		return nil, err
	}
	parts, err := readBatch(resp.header.Get("Content-Type"), resp.body)
	if err != nil {
		return nil, &dsruntime.ServiceError{Side: c.side, Status: resp.status, Network: true, Message: err.Error()}
	}
	out := make([]setAnswer, len(sets))
	for i := range out {
		out[i].err = &dsruntime.ServiceError{Side: c.side, Network: true, Message: "no answer for this change set in the batch answer"}
	}
	for _, p := range parts {
		if p.set < 0 || p.set >= len(sets) {
			continue
		}
		if p.contentID != "" && len(sets[p.set]) > 0 && p.contentID != sets[p.set][0].contentID {
			continue
		}
		r := &response{status: p.status, header: p.header, body: p.body}
		out[p.set] = setAnswer{resp: r}
		if p.status < 200 || p.status > 299 {
			out[p.set].err = parseError(c.side, p.status, p.header, p.body)
		}
	}
	return out, nil
}

// getPage sends a collection GET with Prefer: <prefer>odata.maxpagesize=
// <size>. An answer over the size cap is asked for again with half the
// page size, down to one row, so that a page of large rows still comes
// through; only a single row over the cap fails.
// It returns the Prefer header that got the answer.
func (c *client) getPage(ctx context.Context, u, prefer string, size int) (*response, string, error) {
	for {
		p := prefer + "odata.maxpagesize=" + strconv.Itoa(size)
		h := http.Header{}
		h.Set("Prefer", p)
		resp, err := c.get(ctx, u, h)
		if !errors.Is(err, ErrTooLarge) || size <= 1 {
			return resp, p, err
		}
		size /= 2
		c.log.Warn("page over the size cap; asking for smaller pages", "size", size)
	}
}

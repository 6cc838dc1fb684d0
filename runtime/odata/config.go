package odata

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Config configures a connector. Apart from URL the zero value works.
type Config struct {
	// URL is the service: F&O "https://<env>.operations.dynamics.com"
	// (service root /data), Dataverse "https://<org>.crm.dynamics.com"
	// (service root /api/data/v9.2). A URL with a path is taken as the
	// service root itself.
	URL string

	// Client sends the requests. Nil: a client built with NewHTTPClient
	// from Auth and TLS.
	Client *http.Client
	// Auth is the OAuth 2.0 client-credentials setup; zero sends no token.
	Auth Auth
	// TLS adds a private CA bundle; verification is never off.
	TLS TLS

	// Logger receives debug and warning records; nil: discard. Records
	// name requests by method, entity set and status, never by headers.
	Logger *slog.Logger

	// PageSize is the page size asked for with odata.maxpagesize when
	// Changes gets no limit. Default 500; at most 5,000 on Dataverse and
	// 10,000 on F&O.
	PageSize int
	// BatchSize is the most writes in one $batch request (Dataverse, and
	// F&O with Batch) or one UpsertMultiple request. Default 100, at most
	// 1,000.
	BatchSize int
	// Concurrency is the most requests Apply has in flight. Default 4. On
	// Dataverse the service's x-ms-dop-hint lowers it.
	Concurrency int

	// Retries is how often an idempotent GET is tried again after a
	// network error, a 502/503/504 or a 429. Default 3; -1 for none.
	Retries int
	// RetryWait is the first backoff after a network error or 5xx,
	// doubled each time with jitter. Default 500 ms.
	RetryWait time.Duration
	// MaxRetryWait caps one wait; a GET answered 429 with a longer
	// Retry-After fails instead of waiting. Default 30 s.
	MaxRetryWait time.Duration
	// MaxResponseBytes caps a response body; a longer one is an error.
	// Default 32 MiB.
	MaxResponseBytes int64

	// Overlap (F&O) is how far before its cursor's modified time a poll
	// reads again, to catch rows committed late with an earlier time.
	// Default 1 minute.
	Overlap time.Duration
	// Batch (F&O) sends writes in $batch requests, one change set per
	// write, instead of one request each.
	Batch bool
	// NoReadBack (F&O) skips the GET after a write answered without a
	// body: the acknowledgement then has no stored values, and no new
	// version unless the answer had an ETag header.
	NoReadBack bool

	// UpsertMultiple (Dataverse) sends upserts with the UpsertMultiple
	// action instead of $batch change sets. See DV for what it gives up.
	UpsertMultiple bool
	// IDs (Dataverse) remembers record ids and keys; nil: in memory. See
	// IDCache.
	IDs IDCache

	// OnReject receives rows of a change page that cannot be read
	// (malformed values, missing keys); Changes then skips them and goes
	// on. Nil: Changes goes on too, and returns them in Page.Rejected, so
	// that the driver queues them with their raw payload.
	OnReject func(Rejected)

	// OnThrottle, when set, is told of every 429 answer: the request's
	// method and the wait the service asked for (after which the connector
	// sends again). Writes also come back as throttled results; reads are
	// only visible here.
	OnThrottle func(method string, wait time.Duration)

	// Sleep waits between retries; nil: a timer that honours ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a random fraction in [0, 1) for backoff; nil: a
	// pseudo-random source.
	Jitter func() float64
	// Now is the clock Retry-After waits are measured on; nil: time.Now.
	Now func() time.Time

	tokens *tokenCache // set when the client was built from Auth
}

const (
	defaultPageSize    = 500
	defaultBatchSize   = 100
	maxBatchSize       = 1000
	defaultConcurrency = 4
	defaultMaxBody     = 32 << 20
	dvMaxPageSize      = 5000
	foMaxPageSize      = 10000
)

// withDefaults fills in defaults; rootPath is the side's service root path.
func (c Config) withDefaults(rootPath string) (Config, *url.URL, error) {
	if c.URL == "" {
		return c, nil, fmt.Errorf("no service URL")
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		return c, nil, fmt.Errorf("service URL: %w", err)
	}
	if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		return c, nil, fmt.Errorf("service URL %q: want https://host[/path]", c.URL)
	}
	u.RawQuery, u.Fragment = "", ""
	if strings.Trim(u.Path, "/") == "" {
		u.Path = rootPath
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	if c.PageSize <= 0 {
		c.PageSize = defaultPageSize
	}
	if c.BatchSize <= 0 {
		c.BatchSize = defaultBatchSize
	}
	c.BatchSize = min(c.BatchSize, maxBatchSize)
	if c.Concurrency <= 0 {
		c.Concurrency = defaultConcurrency
	}
	if c.Retries == 0 {
		c.Retries = 3
	}
	if c.Retries < 0 {
		c.Retries = 0
	}
	if c.RetryWait <= 0 {
		c.RetryWait = 500 * time.Millisecond
	}
	if c.MaxRetryWait <= 0 {
		c.MaxRetryWait = 30 * time.Second
	}
	if c.MaxResponseBytes <= 0 {
		c.MaxResponseBytes = defaultMaxBody
	}
	if c.Overlap <= 0 {
		c.Overlap = time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Sleep == nil {
		c.Sleep = sleep
	}
	if c.Jitter == nil {
		c.Jitter = rand.Float64
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Client == nil {
		origin := u.Scheme + "://" + u.Host
		c.Client, c.tokens, err = newHTTPClient(c.Auth, c.TLS, origin)
		if err != nil {
			return c, nil, err
		}
	}
	return c, u, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

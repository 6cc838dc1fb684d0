package fakehttp

import (
	"errors"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator/fake"
)

// Config configures the three servers. Only Plan is required; the zero
// value of everything else works: loopback listeners on free ports, the
// system clock, the default client, the services' documented limits, no
// faults and no data.
type Config struct {
	// Plan gives both services their entity sets.
	Plan *plan.Plan

	// FOAddr, DVAddr and LoginAddr are the listen addresses; default
	// "127.0.0.1:0" (a free port, kept across StopFO/StartFO).
	FOAddr, DVAddr, LoginAddr string

	// Seed drives everything random in the models (Dataverse GUIDs, fault
	// draws) unless FO.Seed or DV.Seed is set.
	Seed uint64
	// Clock is where tokens, service protection windows and both models
	// read time; nil: the system clock. A virtual clock (fake.Clock) makes
	// token and delta-token expiry testable without waiting.
	Clock dsruntime.Clock
	// FO and DV configure the models (faults in force from the start,
	// business logic, default company, Dataverse companies, delta-token
	// lifetime); their Seed and Clock default to the fields above.
	FO, DV fake.Config

	// Tenant is the only tenant the token service knows; "" accepts any.
	Tenant string
	// Clients are the registered applications; nil: DefaultClient.
	Clients []Client
	// TokenLifetime is how long an access token is valid; default 3,599 s.
	TokenLifetime time.Duration
	// FOResource and DVResource are the audiences each service accepts.
	// "": a token for the origin the request is addressed to (the
	// scheme://host[:port] the client uses in the scope), so that a token
	// for one service never opens the other.
	FOResource, DVResource string

	// FOPageSize is F&O's server-driven page size: default and at most
	// 10,000. DVPageSize is Dataverse's default and largest
	// odata.maxpagesize: default and at most 5,000.
	FOPageSize, DVPageSize int
	// Protection is Dataverse's service protection, per user.
	Protection Protection
	// FOLoad makes F&O answer 429 under load (resource-based throttling).
	FOLoad Load
	// DOPHint is the x-ms-dop-hint Dataverse sends; default 4.
	DOPHint int

	// Faults serves /_faults on every listener for tests, guarded by
	// AdminToken (required when Faults is on).
	Faults     bool
	AdminToken string

	// FOMetadata and DVMetadata are CSDL documents served as $metadata
	// instead of the ones generated from the plan.
	FOMetadata, DVMetadata []byte
	// DataDir holds metadata and records to load; see LoadDir.
	DataDir string
	// Sample puts generated sample records on both sides.
	Sample Sample

	// TLS serves HTTPS with certificates from a test CA made at Start
	// (CACert returns it) for 127.0.0.1, ::1, localhost and TLSHosts.
	TLS      bool
	TLSHosts []string
}

// Client is a registered application: its client ID and secret.
type Client struct {
	ID, Secret string
}

// DefaultClient is the application registered when Config.Clients is
// empty. It is for loopback tests and demos only.
var DefaultClient = Client{ID: "dualsync-sim", Secret: "dualsync-sim-secret"}

// Protection is Dataverse's service protection: per user (client ID),
// over a sliding window, a number of requests (answered 0x80072322 beyond
// it), a combined execution time (0x80072321) and a number of concurrent
// requests (0x80072326). A $batch counts as one request. The zero value
// is Dataverse's documented limits: 6,000 requests and 1,200 s per 300 s,
// 52 concurrent requests.
type Protection struct {
	Off           bool          `json:"off,omitempty"`
	Requests      int           `json:"requests,omitempty"`
	Window        time.Duration `json:"window,omitempty"`
	ExecutionTime time.Duration `json:"executionTime,omitempty"`
	Concurrent    int           `json:"concurrent,omitempty"`
}

// Scaled returns the limits with the window, the request count and the
// execution time multiplied by f (0 < f <= 1 for benchmarks: the same rate
// over a shorter window); the concurrency limit stays.
func (p Protection) Scaled(f float64) Protection {
	p = p.withDefaults()
	p.Requests = max(1, int(float64(p.Requests)*f))
	p.Window = max(time.Millisecond, time.Duration(float64(p.Window)*f))
	p.ExecutionTime = max(time.Millisecond, time.Duration(float64(p.ExecutionTime)*f))
	return p
}

func (p Protection) withDefaults() Protection {
	if p.Requests <= 0 {
		p.Requests = 6000
	}
	if p.Window <= 0 {
		p.Window = 300 * time.Second
	}
	if p.ExecutionTime <= 0 {
		p.ExecutionTime = 1200 * time.Second
	}
	if p.Concurrent <= 0 {
		p.Concurrent = 52
	}
	return p
}

// Load is F&O's resource-based throttling, shared by all callers: beyond
// Concurrent requests in flight, or Requests per Window, F&O answers 429
// "high resource utilization" with Retry-After. Zero fields are no limit.
type Load struct {
	Concurrent int           `json:"concurrent,omitempty"`
	Requests   int           `json:"requests,omitempty"`
	Window     time.Duration `json:"window,omitempty"`
	// RetryAfter is the least Retry-After answered; default 1 s.
	RetryAfter time.Duration `json:"retryAfter,omitempty"`
}

// Sample asks for generated records: PerCompany records of every map for
// each company (once for global maps), on each side, with different keys
// on the two sides; lookups point at sample records of the same side.
type Sample struct {
	PerCompany int
	// Companies default to usmf and usrt.
	Companies []string
}

const (
	foMaxPage = 10000
	dvMaxPage = 5000
)

func (c *Config) defaults() error {
	if c.Plan == nil {
		return errors.New("fakehttp: no plan")
	}
	for _, a := range []*string{&c.FOAddr, &c.DVAddr, &c.LoginAddr} {
		if *a == "" {
			*a = "127.0.0.1:0"
		}
	}
	if c.Clock == nil {
		c.Clock = dsruntime.SystemClock{}
	}
	for _, m := range []*fake.Config{&c.FO, &c.DV} {
		if m.Seed == 0 {
			m.Seed = c.Seed
		}
		if m.Clock == nil {
			m.Clock = c.Clock
		}
	}
	if len(c.Clients) == 0 {
		c.Clients = []Client{DefaultClient}
	}
	if c.TokenLifetime <= 0 {
		c.TokenLifetime = 3599 * time.Second
	}
	if c.FOPageSize <= 0 || c.FOPageSize > foMaxPage {
		c.FOPageSize = foMaxPage
	}
	if c.DVPageSize <= 0 || c.DVPageSize > dvMaxPage {
		c.DVPageSize = dvMaxPage
	}
	if c.DOPHint <= 0 {
		c.DOPHint = 4
	}
	if c.Faults && c.AdminToken == "" {
		return errors.New("fakehttp: fault controls need an admin token")
	}
	if len(c.Sample.Companies) == 0 {
		c.Sample.Companies = []string{"usmf", "usrt"}
	}
	return nil
}

package fakehttp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/dualsync/dualsync/simulator/fake"
)

// Servers are the three listeners and the models behind them.
type Servers struct {
	// FO and DV are the models: tests and the demo edit and inspect
	// records through them (Put, Get, Rows, Delete, SetFault, ...).
	FO *fake.FO
	DV *fake.DV

	cfg    Config
	tokens *tokenService
	tls    *testCA

	foFront, dvFront *frontend
	fo, dv, login    *listener
}

// listener is one restartable HTTP listener.
type listener struct {
	name    string
	handler http.Handler
	tlsConf *tls.Config

	mu   sync.Mutex
	addr string // host:port, fixed after the first listen
	srv  *http.Server
	done chan struct{}
}

// Start builds the models (with sample and data-directory records), and
// starts the token service, F&O and Dataverse on their own listeners.
func Start(cfg Config) (*Servers, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	data, err := LoadDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if cfg.FOMetadata == nil {
		cfg.FOMetadata = data.FOMetadata
	}
	if cfg.DVMetadata == nil {
		cfg.DVMetadata = data.DVMetadata
	}
	s := &Servers{cfg: cfg}
	if s.FO, err = fake.NewFO(cfg.Plan, cfg.FO); err != nil {
		return nil, err
	}
	if s.DV, err = fake.NewDV(cfg.Plan, cfg.DV); err != nil {
		return nil, err
	}
	if cfg.Sample.PerCompany > 0 {
		if err := addSample(s.FO, s.DV, cfg.Plan, cfg.Sample); err != nil {
			return nil, fmt.Errorf("sample data: %w", err)
		}
	}
	if err := data.load(s.FO, s.DV); err != nil {
		return nil, err
	}
	if s.tokens, err = newTokenService(&s.cfg); err != nil {
		return nil, err
	}
	if cfg.TLS {
		if s.tls, err = newTestCA(cfg.TLSHosts); err != nil {
			return nil, err
		}
	}
	s.foFront = newFOFront(s)
	s.dvFront = newDVFront(s)
	var loginH http.Handler = s.tokens
	if cfg.Faults {
		loginH = adminGate(cfg.AdminToken, s.tokens, loginAdmin(s.tokens))
	}
	s.login = &listener{name: "login", handler: loginH, addr: cfg.LoginAddr}
	s.fo = &listener{name: "fo", handler: s.foFront, addr: cfg.FOAddr}
	s.dv = &listener{name: "dv", handler: s.dvFront, addr: cfg.DVAddr}
	for _, l := range []*listener{s.login, s.fo, s.dv} {
		if s.tls != nil {
			l.tlsConf = s.tls.serverConfig()
		}
		if err := l.start(); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

func (l *listener) start() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.srv != nil {
		return nil
	}
	ln, err := net.Listen("tcp", l.addr)
	if err != nil {
		return fmt.Errorf("%s: %w", l.name, err)
	}
	l.addr = ln.Addr().String()
	srv := &http.Server{Handler: l.handler, ReadHeaderTimeout: 30 * time.Second, TLSConfig: l.tlsConf,
		ErrorLog: nilLogger()}
	done := make(chan struct{})
	l.srv, l.done = srv, done
	go func() {
		defer close(done)
		if l.tlsConf != nil {
			srv.ServeTLS(ln, "", "")
		} else {
			srv.Serve(ln)
		}
	}()
	return nil
}

// stop closes the listener and every connection at once: in-flight
// requests get no answer, as when a service goes away.
func (l *listener) stop() error {
	l.mu.Lock()
	srv, done := l.srv, l.done
	l.srv = nil
	l.mu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Close()
	<-done
	return err
}

// shutdown stops accepting and waits for in-flight requests.
func (l *listener) shutdown(ctx context.Context) error {
	l.mu.Lock()
	srv, done := l.srv, l.done
	l.srv = nil
	l.mu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Shutdown(ctx)
	if err != nil {
		srv.Close()
	}
	<-done
	return err
}

func (l *listener) url(secure bool) string {
	l.mu.Lock()
	addr := l.addr
	l.mu.Unlock()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	scheme := "http"
	if secure {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// FOURL is F&O's environment URL (the OData service root is /data).
func (s *Servers) FOURL() string { return s.fo.url(s.tls != nil) }

// DVURL is Dataverse's organization URL (the Web API is /api/data/v9.2).
func (s *Servers) DVURL() string { return s.dv.url(s.tls != nil) }

// LoginURL is the token service's authority.
func (s *Servers) LoginURL() string { return s.login.url(s.tls != nil) }

// TokenURL is the token endpoint for a tenant.
func (s *Servers) TokenURL(tenant string) string {
	if tenant == "" {
		tenant = s.cfg.Tenant
	}
	if tenant == "" {
		tenant = "common"
	}
	return s.LoginURL() + "/" + tenant + "/oauth2/v2.0/token"
}

// Token issues an access token for the client and resource without a
// request to the token service (for tests). resource "" is the F&O URL.
func (s *Servers) Token(clientID, resource string) string {
	if resource == "" {
		resource = s.FOURL()
	}
	tok, _ := s.tokens.issue(clientID, s.cfg.Tenant, strings.TrimRight(resource, "/"), s.LoginURL())
	return tok
}

// CACert returns the PEM of the test CA when TLS is on, else nil.
func (s *Servers) CACert() []byte {
	if s.tls == nil {
		return nil
	}
	return s.tls.certPEM
}

// StopFO closes F&O's listener and its connections; the model keeps its
// records. StartFO listens again on the same address.
func (s *Servers) StopFO() error { return s.fo.stop() }

// StartFO restarts F&O after StopFO.
func (s *Servers) StartFO() error { return s.fo.start() }

// StopDV closes Dataverse's listener; see StopFO.
func (s *Servers) StopDV() error { return s.dv.stop() }

// StartDV restarts Dataverse after StopDV.
func (s *Servers) StartDV() error { return s.dv.start() }

// StopLogin closes the token service's listener; see StopFO.
func (s *Servers) StopLogin() error { return s.login.stop() }

// StartLogin restarts the token service after StopLogin.
func (s *Servers) StartLogin() error { return s.login.start() }

// Close stops all three listeners at once.
func (s *Servers) Close() error {
	var errs []error
	for _, l := range []*listener{s.login, s.fo, s.dv} {
		if l != nil {
			errs = append(errs, l.stop())
		}
	}
	return errors.Join(errs...)
}

// Shutdown stops accepting requests and waits, until ctx is done, for
// those in flight.
func (s *Servers) Shutdown(ctx context.Context) error {
	var errs []error
	for _, l := range []*listener{s.login, s.fo, s.dv} {
		if l != nil {
			errs = append(errs, l.shutdown(ctx))
		}
	}
	return errors.Join(errs...)
}

// Stats counts what the servers did.
type Stats struct {
	// FORequests and DVRequests are the requests admitted into the models
	// or refused by their faults (a $batch counts once).
	FORequests, DVRequests int64
	// FOThrottled and DVThrottled are the requests answered 429 by the
	// load and service protection limits (not by faults).
	FOThrottled, DVThrottled int64
	// Tokens is the number of access tokens issued.
	Tokens int64
}

// Stats returns the counters.
func (s *Servers) Stats() Stats {
	st := Stats{FORequests: s.FO.Requests(), DVRequests: s.DV.Requests(),
		FOThrottled: s.foFront.limit.count(), DVThrottled: s.dvFront.limit.count()}
	s.tokens.mu.Lock()
	st.Tokens = s.tokens.issued
	s.tokens.mu.Unlock()
	return st
}

// SetProtection replaces Dataverse's service protection limits.
func (s *Servers) SetProtection(p Protection) { s.dvFront.limit.setProtection(p) }

// SetFOLoad replaces F&O's load limits.
func (s *Servers) SetFOLoad(l Load) { s.foFront.limit.setLoad(l) }

package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dualsync/dualsync/runtime/plan"
)

// Handler serves /healthz, /readyz and /metrics.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		st := s.Status()
		var b strings.Builder
		for _, c := range st.Checks {
			mark := "ok  "
			if !c.OK {
				mark = "fail"
			}
			fmt.Fprintf(&b, "%s %s: %s\n", mark, c.Name, c.Detail)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !st.Ready {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		fmt.Fprint(w, b.String())
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{Registry: s.reg}))
	return mux
}

// Serve serves Handler on ln until ctx ends, then shuts the HTTP server
// down, letting requests in progress finish for up to 5 s.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := hs.Shutdown(sctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// checks returns the readiness checks at now; s.mu is held.
func (s *Server) checks(now time.Time) ([]Check, bool) {
	var cs []Check
	add := func(name string, ok bool, format string, args ...any) {
		cs = append(cs, Check{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
	}
	add("plan", true, "%s, %d maps", s.plan.Digest, len(s.plan.Maps))
	switch {
	case s.st.stopping:
		add("store", false, "shutting down")
	case s.st.broken != nil:
		add("store", false, "the last save failed: %s", s.redact.text(s.st.broken.Error()))
	case s.cfg.Store == nil:
		add("store", true, "in memory")
	default:
		add("store", true, "open")
	}
	for _, side := range []plan.Side{plan.FO, plan.DV} {
		if !s.feeds[side] {
			add(string(side), true, "no change feed to poll")
			continue
		}
		last, ok := s.st.lastOK[side]
		age := now.Sub(last).Round(time.Millisecond)
		errText := s.st.lastErr[side]
		switch {
		case !ok && errText != "":
			add(string(side), false, "no successful poll yet; last error: %s", errText)
		case !ok:
			add(string(side), false, "no successful poll yet")
		case age > s.cfg.StaleAfter && errText != "":
			add(string(side), false, "last successful poll %s ago (more than %s); last error: %s", age, s.cfg.StaleAfter, errText)
		case age > s.cfg.StaleAfter:
			add(string(side), false, "last successful poll %s ago (more than %s)", age, s.cfg.StaleAfter)
		default:
			add(string(side), true, "last successful poll %s ago", age)
		}
	}
	ready := true
	for _, c := range cs {
		ready = ready && c.OK
	}
	return cs, ready
}

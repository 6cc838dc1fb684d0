package server_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/runtime/server"
	"github.com/dualsync/dualsync/runtime/store"
	"github.com/dualsync/dualsync/simulator/fake"
)

// run starts s.Run and returns a function that stops it and waits.
func run(t *testing.T, s *server.Server) (stop func() time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	return func() time.Duration {
		start := time.Now()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return 10 s after its context ended")
		}
		return time.Since(start)
	}
}

// eventually waits up to 10 s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestShutdownThenResumeWritesNothingTwice(t *testing.T) {
	e := newEnv(t, fake.Config{}, fake.Config{})
	s := e.server(e.config())
	stop := run(t, s)

	e.putFO("CustomersV3", "usmf|US-001", "OrganizationName", "Contoso", "CustomerGroupId", "10")
	e.putDV("contacts", "usmf|P-1", "firstname", "Bo", "lastname", "Ek")
	eventually(t, "both records on the other side", func() bool {
		_, c := e.dv.Get("accounts", "usmf|US-001")
		_, p := e.fo.Get("ContactPersonsV2", "usmf|P-1")
		return c && p
	})
	eventually(t, "a quiet engine", func() bool {
		a := s.Status().Accounting
		return a.InFlight == 0 && a.Parked == 0
	})
	stop()
	if !strings.Contains(e.logs.String(), `"msg":"sync loop stopped"`) {
		t.Errorf("no stop logged:\n%s", e.logs)
	}
	acct, _ := e.dv.Get("accounts", "usmf|US-001")
	cont, _ := e.fo.Get("ContactPersonsV2", "usmf|P-1")
	e.close()

	// A new process over the same store and services.
	e.open()
	s2 := e.server(e.config())
	settle(t, e, s2)
	st := s2.Status()
	if st.Driver.Writes != 0 {
		t.Errorf("the restarted runtime sent %d writes, want 0", st.Driver.Writes)
	}
	if r, _ := e.dv.Get("accounts", "usmf|US-001"); r.Version != acct.Version {
		t.Errorf("account version %d after restart, was %d", r.Version, acct.Version)
	}
	if r, _ := e.fo.Get("ContactPersonsV2", "usmf|P-1"); r.Version != cont.Version {
		t.Errorf("contact version %d after restart, was %d", r.Version, cont.Version)
	}

	// And it still syncs.
	e.clock.Advance(time.Minute)
	e.putFO("CustomersV3", "usmf|US-001", "OrganizationName", "Contoso Ltd")
	settle(t, e, s2)
	if r, _ := e.dv.Get("accounts", "usmf|US-001"); !r.Values["name"].Equal(engine.String("Contoso Ltd")) {
		t.Errorf("after restart: name = %s", r.Values["name"])
	}
}

// hang is a connector whose writes reach the service but whose answers
// never come back while armed: it blocks until the context ends.
type hang struct {
	dsruntime.Connector
	mu      sync.Mutex
	armed   bool
	entered chan struct{}
}

func (h *hang) Apply(ctx context.Context, m *plan.Map, ws []engine.Write) []dsruntime.Result {
	rs := h.Connector.Apply(ctx, m, ws)
	h.mu.Lock()
	armed := h.armed
	h.mu.Unlock()
	if !armed {
		return rs
	}
	close(h.entered)
	<-ctx.Done()
	return nil
}

func TestShutdownAbandonsAHungPumpSafely(t *testing.T) {
	e := newEnv(t, fake.Config{}, fake.Config{})
	fo, dv := e.connectors()
	h := &hang{Connector: dv, armed: true, entered: make(chan struct{})}
	cfg := e.config()
	cfg.ShutdownGrace = 50 * time.Millisecond
	s, err := server.New(context.Background(), e.p, fo, h, cfg)
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, s)
	e.putFO("CustomersV3", "usmf|US-001", "OrganizationName", "Contoso", "CustomerGroupId", "10")
	select {
	case <-h.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the write never went out")
	}
	if took := stop(); took > 5*time.Second {
		t.Errorf("shutdown took %s with a 50 ms grace", took)
	}
	if !strings.Contains(e.logs.String(), `"abandoned_in_flight":true`) {
		t.Errorf("the abandoned pump is not logged:\n%s", e.logs)
	}
	first, ok := e.dv.Get("accounts", "usmf|US-001")
	if !ok {
		t.Fatal("the write did not reach Dataverse")
	}
	e.close()

	// The answer was lost. A restarted runtime sees the change again and
	// must not write the record a second time.
	e.open()
	s2 := e.server(e.config())
	settle(t, e, s2)
	if r, _ := e.dv.Get("accounts", "usmf|US-001"); r.Version != first.Version {
		t.Errorf("account written again after restart: version %d, was %d", r.Version, first.Version)
	}
	if n := len(e.dv.Rows("accounts")); n != 1 {
		t.Errorf("%d accounts, want 1", n)
	}
	if a := s2.Status().Accounting; a.Check() != nil || a.Queued != 0 {
		t.Errorf("accounting after restart: %+v", a)
	}
}

func TestPlanMismatchRefused(t *testing.T) {
	e := newEnv(t, fake.Config{}, fake.Config{})
	e.close()
	// A store written with another plan.
	other, err := sqliteOpen(e.path, "sha256:another")
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Apply(context.Background(), store.Batch{Watermarks: []engine.Watermark{{Map: "customer", Side: plan.FO, Token: "x"}}}); err != nil {
		t.Fatal(err)
	}
	other.Close()

	e.open()
	fo, dv := e.connectors()
	_, err = server.New(context.Background(), e.p, fo, dv, e.config())
	var pm *store.PlanMismatchError
	if !errors.As(err, &pm) || !errors.Is(err, store.ErrPlanMismatch) {
		t.Fatalf("New over a store of another plan: %v, want a *store.PlanMismatchError", err)
	}
	if pm.Stored != "sha256:another" || pm.Want != e.p.Digest {
		t.Errorf("mismatch %+v", pm)
	}

	cfg := e.config()
	cfg.AllowPlanChange = true
	s := e.server(cfg)
	if !strings.Contains(e.logs.String(), "store was written with another plan") {
		t.Errorf("accepting another plan's store is not logged:\n%s", e.logs)
	}
	settle(t, e, s)
}

func TestErrorQueueRequests(t *testing.T) {
	e := newEnv(t,
		fake.Config{Extra: []fake.Members{{Set: "CustomersV3", Field: "PreferredContactMethod", Values: []string{"Pager"}}}},
		fake.Config{})
	s := e.server(e.config())
	ctx := context.Background()
	e.putFO("CustomersV3", "usmf|US-020", "OrganizationName", "Adatum", "CustomerGroupId", "10", "PreferredContactMethod", "Pager")
	settle(t, e, s)

	open, err := e.store.ListErrors(ctx, store.ErrorFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 1 || open[0].Class != engine.InvalidValue {
		t.Fatalf("open errors: %+v", open)
	}
	id := open[0].ID
	if !strings.HasPrefix(open[0].Pos.String(), "customer.cue:") {
		t.Errorf("error position %s, want customer.cue:LINE:COL", open[0].Pos)
	}

	// A person discards it; the runtime carries it out on its next round.
	if _, err := e.store.DiscardError(ctx, id); err != nil {
		t.Fatal(err)
	}
	// An entry the engine does not hold (its map left the plan) is closed
	// all the same.
	ghost := engine.ErrorEntry{ID: "e-ghost", Map: "retired", Key: "k", Side: plan.DV, Class: engine.Validation, Source: plan.FO, Message: "old"}
	if err := e.store.Apply(ctx, store.Batch{Errors: []engine.ErrorEntry{ghost}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.RetryError(ctx, ghost.ID); err != nil {
		t.Fatal(err)
	}
	settle(t, e, s)
	for id, want := range map[string]store.Status{id: store.Discarded, ghost.ID: store.Retried} {
		got, err := e.store.GetError(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != want {
			t.Errorf("entry %s is %s, want %s", id, got.State, want)
		}
	}
	if rs, _ := e.store.Requests(ctx); len(rs) != 0 {
		t.Errorf("requests left: %+v", rs)
	}
	if got := metric(t, s, "dualsync_error_queue_depth", map[string]string{"map": "customer", "class": "invalid-value"}); got != 0 {
		t.Errorf("invalid-value depth after the discard = %v", got)
	}
}

func TestPauseHoldsTheLoop(t *testing.T) {
	e := newEnv(t, fake.Config{}, fake.Config{})
	s := e.server(e.config())
	stop := run(t, s)
	defer stop()
	eventually(t, "a first round", func() bool { return s.Status().Loops > 0 })
	resume, err := s.Pause(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := s.Status().Loops
	s.Kick()
	time.Sleep(50 * time.Millisecond)
	if got := s.Status().Loops; got != n {
		t.Errorf("%d rounds ran while paused", got-n)
	}
	resume()
	resume() // harmless
	eventually(t, "a round after Resume", func() bool { return s.Status().Loops > n })
}

// flaky fails Apply while armed, like a store whose disk is full.
type flaky struct {
	store.Store
	mu    sync.Mutex
	fails int
}

func (f *flaky) Apply(ctx context.Context, b store.Batch) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fails > 0 {
		f.fails--
		return errors.New("disk full")
	}
	return f.Store.Apply(ctx, b)
}

func TestFailedSaveRebuildsTheDriver(t *testing.T) {
	e := newEnv(t, fake.Config{}, fake.Config{})
	st := &flaky{Store: e.store, fails: 1}
	cfg := e.config()
	cfg.Store = st
	cfg.RestartDelay = time.Millisecond
	s := e.server(cfg)
	ctx := context.Background()

	e.putFO("CustomersV3", "usmf|US-001", "OrganizationName", "Contoso", "CustomerGroupId", "10")
	if _, err := s.Round(ctx, ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.dv.Get("accounts", "usmf|US-001"); ok {
		t.Fatal("a write went out although its checkpoint was not saved")
	}
	code, body := get(t, s, "/readyz")
	if code != 503 || !strings.Contains(body, "fail store: the last save failed") || !strings.Contains(body, "disk full") {
		t.Errorf("/readyz after a failed save = %d\n%s", code, body)
	}
	settle(t, e, s)
	if _, ok := e.dv.Get("accounts", "usmf|US-001"); !ok {
		t.Error("the rebuilt driver did not sync the customer")
	}
	if got := metric(t, s, "dualsync_driver_restarts_total", nil); got != 1 {
		t.Errorf("dualsync_driver_restarts_total = %v, want 1", got)
	}
	if code, body := get(t, s, "/readyz"); code != 200 {
		t.Errorf("/readyz after the rebuild = %d\n%s", code, body)
	}
}

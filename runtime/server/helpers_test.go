package server_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/runtime/server"
	"github.com/dualsync/dualsync/runtime/store"
	"github.com/dualsync/dualsync/runtime/store/sqlite"
	"github.com/dualsync/dualsync/simulator/fake"
)

func loadPlan(tb testing.TB) *plan.Plan {
	tb.Helper()
	p, err := plan.ReadFile("../../testdata/starter.plan.json")
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// env is the two fakes on one virtual clock and a store file: what a
// server runs against. Servers built from one env are successive
// processes over the same services and store.
type env struct {
	tb    testing.TB
	p     *plan.Plan
	clock *fake.Clock
	fo    *fake.FO
	dv    *fake.DV
	path  string // the store file
	store *sqlite.Store
	logs  *syncBuffer
}

func newEnv(tb testing.TB, foCfg, dvCfg fake.Config) *env {
	tb.Helper()
	e := &env{tb: tb, p: loadPlan(tb), clock: fake.NewClock(time.Time{}), logs: &syncBuffer{}}
	foCfg.Clock, dvCfg.Clock = e.clock, e.clock
	var err error
	if e.fo, err = fake.NewFO(e.p, foCfg); err != nil {
		tb.Fatal(err)
	}
	if e.dv, err = fake.NewDV(e.p, dvCfg); err != nil {
		tb.Fatal(err)
	}
	e.path = filepath.Join(tb.TempDir(), "dualsync.db")
	e.open()
	tb.Cleanup(func() {
		if e.store != nil {
			e.store.Close()
		}
	})
	return e
}

// open opens the store file (creating it), as a new process would.
func (e *env) open() {
	e.tb.Helper()
	s, err := sqlite.Open(e.path, store.Config{Create: true, PlanDigest: e.p.Digest})
	if err != nil {
		e.tb.Fatal(err)
	}
	e.store = s
}

func (e *env) close() {
	e.tb.Helper()
	if err := e.store.Close(); err != nil {
		e.tb.Fatal(err)
	}
	e.store = nil
}

// connectors returns new connectors over the fakes: a new process
// remembers nothing.
func (e *env) connectors() (dsruntime.Connector, dsruntime.Connector) {
	return fake.NewFOConnector(e.fo, e.p, fake.ConnectorConfig{}), fake.NewDVConnector(e.dv, e.p, fake.ConnectorConfig{})
}

func (e *env) config() server.Config {
	return server.Config{
		Store:        e.store,
		Clock:        e.clock,
		Logger:       server.NewLogger(e.logs, slog.LevelDebug),
		PollInterval: 10 * time.Millisecond,
		BatchSize:    10,
	}
}

func (e *env) server(cfg server.Config) *server.Server {
	e.tb.Helper()
	fo, dv := e.connectors()
	s, err := server.New(context.Background(), e.p, fo, dv, cfg)
	if err != nil {
		e.tb.Fatal(err)
	}
	return s
}

// settle runs rounds until nothing more is ready and the engine is quiet,
// moving the virtual clock a second per round.
func settle(tb testing.TB, e *env, s *server.Server) {
	tb.Helper()
	ctx := context.Background()
	for i := 0; i < 200; i++ {
		more, err := s.Round(ctx, ctx)
		if err != nil {
			tb.Fatal(err)
		}
		st := s.Status()
		if !more && st.Accounting.InFlight == 0 && st.Accounting.Parked == 0 {
			return
		}
		e.clock.Advance(time.Second)
	}
	tb.Fatalf("not quiet after 200 rounds: %+v", s.Status().Accounting)
}

func (e *env) putFO(set, key string, kv ...any) {
	e.tb.Helper()
	if _, err := e.fo.Put(set, key, vals(e.tb, kv...)); err != nil {
		e.tb.Fatal(err)
	}
}

func (e *env) putDV(set, key string, kv ...any) {
	e.tb.Helper()
	if _, err := e.dv.Put(set, key, vals(e.tb, kv...)); err != nil {
		e.tb.Fatal(err)
	}
}

func vals(tb testing.TB, kv ...any) map[string]engine.Value {
	m := map[string]engine.Value{}
	for i := 0; i < len(kv); i += 2 {
		var v engine.Value
		switch x := kv[i+1].(type) {
		case engine.Value:
			v = x
		case string:
			v = engine.String(x)
		case int:
			v = engine.Int(int64(x))
		case nil:
		default:
			tb.Fatalf("vals: %T", x)
		}
		m[kv[i].(string)] = v
	}
	return m
}

// get fetches path from the server's handler.
func get(tb testing.TB, s *server.Server, path string) (int, string) {
	tb.Helper()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	b, err := io.ReadAll(rec.Result().Body)
	if err != nil {
		tb.Fatal(err)
	}
	return rec.Code, string(b)
}

// syncBuffer is a bytes.Buffer safe for a logger and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// sqliteOpen opens or creates a store file recording plan digest.
func sqliteOpen(path, digest string) (*sqlite.Store, error) {
	return sqlite.Open(path, store.Config{Create: true, PlanDigest: digest})
}

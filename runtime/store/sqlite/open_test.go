package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	msqlite "modernc.org/sqlite"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/runtime/store"
)

// rawDB opens an SQLite file directly, bypassing Open's checks.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	c, err := msqlite.NewConnector(path)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(1)
	return db
}

func exec(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// ForeignDB writes an SQLite database of another application at path.
func foreignDB(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db := rawDB(t, path)
	exec(t, db, "CREATE TABLE customers (id TEXT PRIMARY KEY, name TEXT)", "INSERT INTO customers VALUES ('C1', 'Contoso')")
	exec(t, db, stmts...)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

func newStore(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path, store.Config{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// dirState is every file in a directory with its content.
func dirState(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.IsDir() {
			out[e.Name()+"/"] = nil
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

func sameDir(t *testing.T, what string, got, want map[string][]byte) {
	t.Helper()
	for name, b := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("%s: %s is gone", what, name)
		} else if !bytes.Equal(g, b) {
			t.Errorf("%s: %s changed (%d bytes, was %d)", what, name, len(g), len(b))
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: new file %s", what, name)
		}
	}
}

// TestOpenRefuses opens files that are not dualsync stores this build can
// use, in every mode, and checks that each is refused with an error that
// names the file and says why, and that not a byte in the directory
// changed.
func TestOpenRefuses(t *testing.T) {
	random := make([]byte, 8192)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	cases := []struct {
		name string
		make func(t *testing.T, path string)
		want error
		msg  string
	}{
		{"text file", func(t *testing.T, p string) {
			os.WriteFile(p, []byte("customer,name\nC1,Contoso\n"), 0o644)
		}, store.ErrNotStore, "not an SQLite database"},
		{"random bytes", func(t *testing.T, p string) { os.WriteFile(p, random, 0o644) }, store.ErrNotStore, "not an SQLite database"},
		{"empty file", func(t *testing.T, p string) { os.WriteFile(p, nil, 0o644) }, store.ErrNotStore, "the file is empty"},
		{"short SQLite header", func(t *testing.T, p string) {
			os.WriteFile(p, []byte(sqliteMagic+"\x10\x00"), 0o644)
		}, store.ErrNotStore, "not an SQLite database"},
		{"directory", func(t *testing.T, p string) { os.Mkdir(p, 0o755) }, store.ErrNotStore, "it is a directory"},
		{"foreign SQLite database", func(t *testing.T, p string) { foreignDB(t, p) }, store.ErrNotStore, "application_id 0x0"},
		{"foreign SQLite database in WAL mode", func(t *testing.T, p string) {
			foreignDB(t, p, "PRAGMA journal_mode=WAL")
		}, store.ErrNotStore, "application_id 0x0"},
		{"SQLite database of another application", func(t *testing.T, p string) {
			foreignDB(t, p, fmt.Sprintf("PRAGMA application_id = %d", 0x47504b4d))
		}, store.ErrNotStore, "application_id 0x47504b4d"},
		{"store from a newer dualsync", func(t *testing.T, p string) {
			s := newStore(t, p)
			s.Close()
			db := rawDB(t, p)
			exec(t, db, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion()+1))
			db.Close()
		}, store.ErrSchemaTooNew, fmt.Sprintf("schema version %d, this build knows up to %d", schemaVersion()+1, schemaVersion())},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "store.db")
			tc.make(t, path)
			before := dirState(t, dir)
			for _, cfg := range []store.Config{{}, {Create: true}, {ReadOnly: true}, {Create: true, PlanDigest: "sha256:x", RequirePlan: true}} {
				s, err := Open(path, cfg)
				if err == nil {
					s.Close()
					t.Fatalf("Open(%+v) succeeded", cfg)
				}
				if !errors.Is(err, tc.want) {
					t.Errorf("Open(%+v): %v; want an error wrapping %v", cfg, err, tc.want)
				}
				if msg := err.Error(); !strings.HasPrefix(msg, path+": ") || !strings.Contains(msg, tc.msg) {
					t.Errorf("Open(%+v): %q; want it to start with the file name and say %q", cfg, msg, tc.msg)
				}
				sameDir(t, fmt.Sprintf("after Open(%+v)", cfg), dirState(t, dir), before)
			}
		})
	}
}

// TestOpenCorruptStore opens a store whose header is intact but whose
// pages are not: the error names the file, and the file is not changed.
func TestOpenCorruptStore(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "store.db")
	s := newStore(t, path)
	if err := s.Apply(t.Context(), store.Batch{Records: []engine.RecordState{{Map: "m", Key: "k"}}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 100; i < len(b); i++ {
		b[i] = 0xA5
	}
	os.WriteFile(path, b, 0o600)
	for _, cfg := range []store.Config{{}, {ReadOnly: true}} {
		s, err := Open(path, cfg)
		if err == nil {
			_, err = s.Load(t.Context())
			s.Close()
		}
		if err == nil {
			t.Fatalf("Open(%+v) and Load of a corrupt store succeeded", cfg)
		}
		if !strings.HasPrefix(err.Error(), path+": damaged store file: ") {
			t.Errorf("Open(%+v): %q; want it to name the file and say it is damaged", cfg, err)
		}
		after, _ := os.ReadFile(path)
		if !bytes.Equal(after, b) {
			t.Errorf("Open(%+v) changed the corrupt store", cfg)
		}
	}
}

func TestOpenMissing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "missing.db")
	for _, cfg := range []store.Config{{}, {ReadOnly: true}, {ReadOnly: true, Create: true}} {
		_, err := Open(path, cfg)
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
			t.Errorf("Open(%+v) of a missing file: %v; want a not-exist error naming it", cfg, err)
		}
		sameDir(t, "after opening a missing file", dirState(t, dir), map[string][]byte{})
	}
	if _, err := Open(filepath.Join(dir, "no", "such", "dir.db"), store.Config{Create: true}); err == nil {
		t.Errorf("creating a store in a missing directory succeeded")
	}
	if _, err := Open("", store.Config{Create: true}); err == nil {
		t.Errorf("Open with no path succeeded")
	}
}

// TestCreate checks the new file: a WAL-mode SQLite database marked as a
// dualsync store at the current schema, and nothing else left behind.
func TestCreate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "new.db")
	s := newStore(t, path)
	defer s.Close()
	pragmas := map[string]int64{}
	for _, p := range []string{"application_id", "user_version", "foreign_keys", "synchronous", "busy_timeout"} {
		var v int64
		if err := s.db.QueryRow("PRAGMA " + p).Scan(&v); err != nil {
			t.Fatal(err)
		}
		pragmas[p] = v
	}
	want := map[string]int64{"application_id": ApplicationID, "user_version": int64(len(migrations)), "foreign_keys": 1, "synchronous": 1, "busy_timeout": busyTimeout.Milliseconds()}
	for p, v := range want {
		if pragmas[p] != v {
			t.Errorf("PRAGMA %s = %d; want %d", p, pragmas[p], v)
		}
	}
	var mode string
	if err := s.db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	s.Close()
	var names []string
	for name := range dirState(t, dir) {
		names = append(names, name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"new.db"}) {
		t.Errorf("files after creating and closing a store: %v; want new.db only", names)
	}

	// Create on an existing store opens it as it is.
	s = newStore(t, path)
	if err := s.Apply(t.Context(), store.Batch{NextID: 7}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = newStore(t, path)
	defer s.Close()
	if st, err := s.Load(t.Context()); err != nil || st.NextID != 7 {
		t.Errorf("store opened with Create lost its state: next ID %d, %v", st.NextID, err)
	}
}

// TestPathEscaping opens stores whose names mean something in a URI.
func TestPathEscaping(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a?mode=ro.db", "b#c.db", "d%20e.db", "f g.db"} {
		path := filepath.Join(dir, name)
		s := newStore(t, path)
		err := s.Apply(t.Context(), store.Batch{NextID: 3})
		s.Close()
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("store %q not where asked: %v", name, err)
		}
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 4 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("files: %q; want the four stores", names)
	}
}

// TestMigrateFromZero opens a file marked as a store without any schema:
// read-only it is refused as too old, read-write it is brought up to date.
func TestMigrateFromZero(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db := rawDB(t, path)
	exec(t, db, fmt.Sprintf("PRAGMA application_id = %d", ApplicationID), "PRAGMA journal_mode = WAL")
	db.Close()
	if _, err := Open(path, store.Config{ReadOnly: true}); err == nil || !strings.Contains(err.Error(), "older than this build") {
		t.Errorf("read-only Open of an old store: %v; want it refused as older", err)
	}
	s, err := Open(path, store.Config{})
	if err != nil {
		t.Fatalf("Open of an old store: %v", err)
	}
	defer s.Close()
	info, err := s.Info(t.Context())
	if err != nil || info.Schema != schemaVersion() || info.StateVersion != engine.StateVersion || info.Created.IsZero() {
		t.Errorf("Info after migration: %+v, %v", info, err)
	}
}

// TestCommitFailure fails Apply's transaction after every statement ran:
// nothing of the batch may be visible.
func TestCommitFailure(t *testing.T) {
	s := newStore(t, filepath.Join(t.TempDir(), "s.db"))
	defer s.Close()
	ctx := t.Context()
	base := store.Batch{
		Records: []engine.RecordState{{Map: "m", Key: "a", FO: engine.SideState{Version: "1"}}},
		Errors:  []engine.ErrorEntry{{ID: "e1", Map: "m", Key: "a", Side: plan.FO, Class: engine.Validation}},
		NextID:  2,
	}
	if err := s.Apply(ctx, base); err != nil {
		t.Fatal(err)
	}
	before, _ := s.Load(ctx)
	boom := errors.New("boom")
	s.beforeCommit = func() error { return boom }
	err := s.Apply(ctx, store.Batch{
		Records:    []engine.RecordState{{Map: "m", Key: "a", FO: engine.SideState{Version: "2"}}, {Map: "m", Key: "b"}},
		Errors:     []engine.ErrorEntry{{ID: "e2", Map: "m", Key: "b", Side: plan.DV, Class: engine.Plugin}},
		Resolved:   []string{"e1"},
		Conflicts:  []engine.Conflict{{Map: "m", Key: "a", Winner: plan.FO, Rule: engine.RuleFO}},
		Watermarks: []engine.Watermark{{Map: "m", Side: plan.FO, Seq: 4}},
		NextID:     9,
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Apply: %v; want the hook's error", err)
	}
	s.beforeCommit = nil
	after, _ := s.Load(ctx)
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("state after a failed commit:\n%+v\nwant\n%+v", after, before)
	}
	if cs, _ := s.Conflicts(ctx, store.ConflictFilter{}); len(cs) != 0 {
		t.Errorf("conflicts after a failed commit: %d", len(cs))
	}
	if r, _ := s.GetError(ctx, "e1"); r.State != store.Queued || len(r.History) != 1 {
		t.Errorf("e1 after a failed commit: %s with %d events; want queued with 1", r.State, len(r.History))
	}
}

// TestTwoHandles writes through two Stores on one file at once, as the
// runtime and a person's command do: every write lands.
func TestTwoHandles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	runtime := newStore(t, path)
	defer runtime.Close()
	person, err := Open(path, store.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer person.Close()
	ctx := context.Background()
	const n = 40
	var wg sync.WaitGroup
	ids := make(chan string, n)
	wg.Go(func() {
		for id := range ids {
			if _, err := person.RetryError(ctx, id); err != nil {
				t.Errorf("RetryError(%s): %v", id, err)
			}
		}
	})
	for i := range n {
		id := fmt.Sprintf("e%d", i)
		err := runtime.Apply(ctx, store.Batch{
			Errors:  []engine.ErrorEntry{{ID: id, Map: "m", Key: id, Side: plan.DV, Class: engine.Validation}},
			Records: []engine.RecordState{{Map: "m", Key: id}},
		})
		if err != nil {
			t.Fatalf("Apply: %v", err)
		}
		ids <- id
	}
	close(ids)
	wg.Wait()
	reqs, err := runtime.Requests(ctx)
	if err != nil || len(reqs) != n {
		t.Errorf("the runtime's handle sees %d requests (%v); want %d", len(reqs), err, n)
	}
}

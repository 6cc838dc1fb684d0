package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/store"
)

// Store is a dualsync store in an SQLite file. It is safe for concurrent
// use, also by several processes on one file (the runtime and a person's
// "dualsync errors" command): readers see the last committed batch and do
// not wait for a writer (WAL), and writers take turns.
type Store struct {
	path   string
	db     *sql.DB
	cfg    store.Config
	now    func() time.Time
	closed atomic.Bool

	wmu      sync.Mutex           // serialises this process's write transactions
	plan     string               // the plan digest the store records; guarded by wmu
	prepared map[string]*sql.Stmt // write statements, prepared once; guarded by wmu

	// beforeCommit, when set (tests only), runs at the end of Apply's
	// transaction, after every statement and before the commit.
	beforeCommit func() error
}

var _ store.Store = (*Store)(nil)

func open(path string, cfg store.Config, now func() time.Time) (*Store, error) {
	db, err := openDB(path, cfg.ReadOnly, maxConns)
	if err != nil {
		return nil, err
	}
	s := &Store{path: path, db: db, cfg: cfg, now: now}
	if err := s.init(context.Background()); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// init checks what SQLite reads (the header was checked before), enforces
// the plan check and migrates an older schema.
func (s *Store) init(ctx context.Context) error {
	var id int64
	if err := s.db.QueryRowContext(ctx, "PRAGMA application_id").Scan(&id); err != nil {
		return s.wrap(err)
	}
	if uint32(id) != ApplicationID {
		return notStore(s.path, fmt.Sprintf("application_id %#x", id))
	}
	var v int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return s.wrap(err)
	}
	if v > schemaVersion() {
		return tooNew(s.path, v)
	}
	if v >= 1 {
		m, err := readMeta(ctx, s.db)
		if err != nil {
			return s.wrap(err)
		}
		s.plan = m["plan_digest"]
	}
	if s.cfg.RequirePlan && s.cfg.PlanDigest != "" && s.plan != "" && s.plan != s.cfg.PlanDigest {
		return &store.PlanMismatchError{Location: s.path, Stored: s.plan, Want: s.cfg.PlanDigest}
	}
	if v < schemaVersion() {
		if s.cfg.ReadOnly {
			return fmt.Errorf("%s: store schema version %d is older than this build's %d: open it for writing once to upgrade it", s.path, v, schemaVersion())
		}
		if err := migrate(ctx, s.db, s.now); err != nil {
			return fmt.Errorf("%s: upgrading the store schema: %w", s.path, err)
		}
	}
	return nil
}

// Path returns the store's file.
func (s *Store) Path() string { return s.path }

func (s *Store) wrap(err error) error {
	if err == nil {
		return nil
	}
	var se *msqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
			return fmt.Errorf("%s: damaged store file: %w", s.path, err)
		}
	}
	return fmt.Errorf("%s: %w", s.path, err)
}

func (s *Store) readable() error {
	if s.closed.Load() {
		return s.wrap(store.ErrStoreClosed)
	}
	return nil
}

func (s *Store) writable() error {
	if err := s.readable(); err != nil {
		return err
	}
	if s.cfg.ReadOnly {
		return s.wrap(store.ErrReadOnly)
	}
	return nil
}

// Close closes the store.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.wmu.Lock()
	for _, st := range s.prepared {
		st.Close()
	}
	s.prepared = nil
	s.wmu.Unlock()
	return s.db.Close()
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func readMeta(ctx context.Context, q querier) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, "SELECT name, value FROM meta")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := make(map[string]string)
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		m[k] = v
	}
	return m, rows.Err()
}

// Info describes the store.
func (s *Store) Info(ctx context.Context) (store.Info, error) {
	if err := s.readable(); err != nil {
		return store.Info{}, err
	}
	info := store.Info{Location: s.path, ReadOnly: s.cfg.ReadOnly}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return info, s.wrap(err)
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&info.Schema); err != nil {
		return info, s.wrap(err)
	}
	m, err := readMeta(ctx, tx)
	if err != nil {
		return info, s.wrap(err)
	}
	info.PlanDigest = m["plan_digest"]
	info.StateVersion, _ = strconv.Atoi(m["state_version"])
	if t, err := time.Parse(time.RFC3339Nano, m["created"]); err == nil {
		info.Created = t
	}
	return info, s.wrap(tx.Commit())
}

// Load returns the state to resume the engine from, read in one
// transaction.
func (s *Store) Load(ctx context.Context) (engine.State, error) {
	st := engine.State{Records: []engine.RecordState{}, Errors: []engine.ErrorEntry{}, Watermarks: []engine.Watermark{}}
	if err := s.readable(); err != nil {
		return st, err
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return st, s.wrap(err)
	}
	defer tx.Rollback()
	if err := s.load(ctx, tx, &st); err != nil {
		return st, s.wrap(err)
	}
	return st, s.wrap(tx.Commit())
}

func (s *Store) load(ctx context.Context, tx *sql.Tx, st *engine.State) error {
	m, err := readMeta(ctx, tx)
	if err != nil {
		return err
	}
	if st.Version, err = strconv.Atoi(m["state_version"]); err != nil {
		return fmt.Errorf("state version %q: %w", m["state_version"], err)
	}
	st.PlanDigest = m["plan_digest"]
	if v := m["next_id"]; v != "" {
		if st.NextID, err = strconv.ParseUint(v, 10, 64); err != nil {
			return fmt.Errorf("next ID %q: %w", v, err)
		}
	}

	rows, err := tx.QueryContext(ctx, "SELECT map, key, state, sent FROM records ORDER BY map, key")
	if err != nil {
		return err
	}
	for rows.Next() {
		var m, k, state string
		var sent sql.NullString
		if err := rows.Scan(&m, &k, &state, &sent); err != nil {
			rows.Close()
			return err
		}
		r, err := decodeRecord(m, k, state)
		if err == nil {
			err = decodeSent(&r, sent)
		}
		if err != nil {
			rows.Close()
			return fmt.Errorf("record %s %q: %w", m, k, err)
		}
		st.Records = append(st.Records, r)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if err := rows.Err(); err != nil {
		return err
	}

	recs, err := listErrors(ctx, tx, &store.ErrorFilter{})
	if err != nil {
		return err
	}
	for _, r := range recs {
		st.Errors = append(st.Errors, r.ErrorEntry)
	}

	rows, err = tx.QueryContext(ctx, "SELECT map, side, seq, token FROM watermarks ORDER BY map, side")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var w engine.Watermark
		if err := rows.Scan(&w.Map, &w.Side, &w.Seq, &w.Token); err != nil {
			return err
		}
		st.Watermarks = append(st.Watermarks, w)
	}
	return rows.Err()
}

// Apply persists b in one transaction.
func (s *Store) Apply(ctx context.Context, b store.Batch) error {
	if err := s.writable(); err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	recordPlan := s.cfg.PlanDigest != "" && s.cfg.PlanDigest != s.plan
	if b.Empty() && !recordPlan {
		return ctx.Err()
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.wrap(err)
	}
	defer tx.Rollback()
	w := s.writer(ctx, tx)
	defer w.close()
	if err := w.batch(&b); err != nil {
		return s.wrapDB(err)
	}
	if recordPlan {
		if err := w.setMeta("plan_digest", s.cfg.PlanDigest); err != nil {
			return s.wrap(err)
		}
	}
	if s.beforeCommit != nil {
		if err := s.beforeCommit(); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return s.wrap(err)
	}
	if recordPlan {
		s.plan = s.cfg.PlanDigest
	}
	return nil
}

// wrapDB names the file in database errors, not in errors about what was
// asked (an invalid batch, an unknown entry).
func (s *Store) wrapDB(err error) error {
	if errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrNotFound) {
		return err
	}
	return s.wrap(err)
}

package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	msqlite "modernc.org/sqlite"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/store"
)

// ApplicationID marks an SQLite file as a dualsync store (PRAGMA
// application_id): "DSYN" in ASCII.
const ApplicationID = 0x4453594E

// busyTimeout is how long a statement waits for another connection's lock
// (another process's write, a checkpoint) before it fails.
const busyTimeout = 10 * time.Second

// maxConns bounds the connection pool: one writer at a time, the rest for
// readers.
const maxConns = 8

// sqliteMagic starts every SQLite database file.
const sqliteMagic = "SQLite format 3\x00"

// Open opens the dualsync store in the SQLite file at path.
//
// The file's header is read and checked before SQLite sees the file: a
// file that is not an SQLite database, or an SQLite database that is not a
// dualsync store (its application_id), or a store with a newer schema than
// this build knows, is refused with an error that names the file, and is
// never written to. A missing file is an error wrapping fs.ErrNotExist
// unless cfg.Create is set; a new store is built under a temporary name
// and linked into place only if path still does not exist, so an existing
// file is never overwritten and a half-made store is never seen.
func Open(path string, cfg store.Config) (*Store, error) {
	if path == "" {
		return nil, errors.New("no store file given")
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	h, err := readHeader(path)
	if errors.Is(err, fs.ErrNotExist) {
		if !cfg.Create || cfg.ReadOnly {
			return nil, &fs.PathError{Op: "open store", Path: path, Err: fs.ErrNotExist}
		}
		if err := create(path, now); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		h, err = readHeader(path)
	}
	if err != nil {
		return nil, err
	}
	if err := h.check(path); err != nil {
		return nil, err
	}
	return open(path, cfg, now)
}

// header is the start of a file, where SQLite keeps its database header.
type header struct {
	size int64
	b    [100]byte
	n    int
}

func readHeader(path string) (header, error) {
	var h header
	f, err := os.Open(path)
	if err != nil {
		return h, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return h, err
	}
	if fi.IsDir() {
		return h, notStore(path, "it is a directory")
	}
	h.size = fi.Size()
	h.n, err = io.ReadFull(f, h.b[:])
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return h, fmt.Errorf("%s: %w", path, err)
	}
	return h, nil
}

// check accepts a dualsync store this build can read. The header fields are
// described in SQLite's file format: the magic string at 0, user_version (the
// schema version) at 60, application_id at 68, all big-endian.
func (h *header) check(path string) error {
	if h.size == 0 {
		return notStore(path, "the file is empty")
	}
	if h.n < len(h.b) || !bytes.HasPrefix(h.b[:], []byte(sqliteMagic)) {
		return notStore(path, "not an SQLite database")
	}
	if id := binary.BigEndian.Uint32(h.b[68:]); id != ApplicationID {
		return notStore(path, fmt.Sprintf("an SQLite database with application_id %#x (a dualsync store has %#x)", id, ApplicationID))
	}
	if v := int(binary.BigEndian.Uint32(h.b[60:])); v > schemaVersion() {
		return tooNew(path, v)
	}
	return nil
}

func notStore(path, why string) error {
	return fmt.Errorf("%s: %w: %s", path, store.ErrNotStore, why)
}

func tooNew(path string, v int) error {
	return fmt.Errorf("%s: %w: schema version %d, this build knows up to %d: use a newer dualsync", path, store.ErrSchemaTooNew, v, schemaVersion())
}

// dsn returns the driver's data source name for the file: an SQLite URI
// (mode rw never creates the file) with the connection's pragmas. Write
// transactions begin IMMEDIATE, so that a writer takes the lock up front and
// waits for it under busy_timeout instead of failing on upgrade.
func dsn(path string, readOnly bool) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive letter
	}
	p = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(busyTimeout.Milliseconds(), 10)+")")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	if readOnly {
		q.Set("mode", "ro")
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("mode", "rw")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Set("_txlock", "immediate")
	}
	return "file://" + p + "?" + q.Encode(), nil
}

func openDB(path string, readOnly bool, conns int) (*sql.DB, error) {
	d, err := dsn(path, readOnly)
	if err != nil {
		return nil, err
	}
	c, err := msqlite.NewConnector(d)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	return db, nil
}

// create makes a new store at path, unless something exists there already
// (then the error wraps fs.ErrExist).
func create(path string, now func() time.Time) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".new-*")
	if err != nil {
		return fmt.Errorf("create store %s: %w", path, err)
	}
	tmp := f.Name()
	f.Close()
	defer removeDB(tmp)
	if err := initFile(tmp, now); err != nil {
		return fmt.Errorf("create store %s: %w", path, err)
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		// No hard links here: copy into a file that must not exist yet.
		if err := copyNew(tmp, path); err != nil {
			return fmt.Errorf("create store %s: %w", path, err)
		}
	}
	syncDir(dir)
	return nil
}

// initFile makes the empty SQLite file at tmp a store of the current schema.
func initFile(tmp string, now func() time.Time) error {
	db, err := openDB(tmp, false, 1)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", ApplicationID)); err != nil {
		return err
	}
	if err := migrate(ctx, db, now); err != nil {
		return err
	}
	return db.Close()
}

// migrate brings the schema up to this build's version, one transaction
// per step, and initialises the metadata of a new store.
func migrate(ctx context.Context, db *sql.DB, now func() time.Time) error {
	for {
		done, err := migrateStep(ctx, db, now)
		if err != nil || done {
			return err
		}
	}
}

func migrateStep(ctx context.Context, db *sql.DB, now func() time.Time) (done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return false, err
	}
	if v >= schemaVersion() {
		return true, nil
	}
	if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
		return false, fmt.Errorf("schema step %d: %w", v+1, err)
	}
	if v == 0 {
		_, err := tx.ExecContext(ctx, `INSERT INTO meta (name, value) VALUES ('created', ?), ('state_version', ?)`,
			now().UTC().Format(time.RFC3339Nano), strconv.Itoa(engine.StateVersion))
		if err != nil {
			return false, err
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
		return false, err
	}
	return false, tx.Commit()
}

// copyNew copies src to dst, which must not exist.
func copyNew(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
	}
	return err
}

// removeDB removes a database file and SQLite's files beside it.
func removeDB(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(path + suffix)
	}
}

// syncDir makes a new directory entry durable, where the system allows.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

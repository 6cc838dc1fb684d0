package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/runtime/store"
)

// errorColumns are the errors table's columns in scanError's order.
const errorColumns = `seq, id, state, map, key, side, class, http_status, code, message, field,
	pos_file, pos_line, pos_col, fields, source, vals, raw, attempts, first_seen, last_seen, requested, closed`

type scanner interface{ Scan(dest ...any) error }

func scanError(sc scanner) (store.ErrorRecord, error) {
	var (
		r                                   store.ErrorRecord
		e                                   = &r.ErrorEntry
		fields, vals                        sql.NullString
		first, last, requested, closed      sql.NullInt64
		side, source, class, state, posFile string
	)
	err := sc.Scan(&r.Seq, &e.ID, &state, &e.Map, &e.Key, &side, &class, &e.Status, &e.Code, &e.Message, &e.Field,
		&posFile, &e.Pos.Line, &e.Pos.Col, &fields, &source, &vals, &e.Raw, &e.Attempts, &first, &last, &requested, &closed)
	if err != nil {
		return r, err
	}
	r.State, e.Side, e.Source, e.Class, e.Pos.File = store.Status(state), plan.Side(side), plan.Side(source), engine.Class(class), posFile
	e.First, e.Last, r.Requested, r.Closed = timeOf(first), timeOf(last), timeOf(requested), timeOf(closed)
	if e.Fields, err = fromJSON[string](fields); err != nil {
		return r, fmt.Errorf("error entry %s: fields: %w", e.ID, err)
	}
	if e.Values, err = fromJSON[engine.FieldValue](vals); err != nil {
		return r, fmt.Errorf("error entry %s: values: %w", e.ID, err)
	}
	return r, nil
}

func (w *writer) upsertError(e *engine.ErrorEntry) error {
	if err := store.CheckError(e); err != nil {
		return err
	}
	fields, err := jsonOrNull(e.Fields)
	if err != nil {
		return err
	}
	vals, err := valuesOrNull(e.Values)
	if err != nil {
		return fmt.Errorf("error entry %s: values: %w", e.ID, err)
	}
	row, err := w.queryRow("SELECT state FROM errors WHERE id = ?", e.ID)
	if err != nil {
		return err
	}
	var state string
	switch err := row.Scan(&state); {
	case errors.Is(err, sql.ErrNoRows):
		_, err := w.exec(`INSERT INTO errors (id, state, map, key, side, class, http_status, code, message, field,
				pos_file, pos_line, pos_col, fields, source, vals, raw, attempts, first_seen, last_seen)
			VALUES (?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.ID, e.Map, e.Key, string(e.Side), string(e.Class), e.Status, e.Code, e.Message, e.Field,
			e.Pos.File, e.Pos.Line, e.Pos.Col, fields, string(e.Source), vals, e.Raw, e.Attempts, nanos(e.First), nanos(e.Last))
		if err != nil {
			return err
		}
		return w.event(e.ID, store.Queued)
	case err != nil:
		return err
	}
	reopen := !store.Status(state).Open()
	_, err = w.exec(`UPDATE errors SET map = ?, key = ?, side = ?, class = ?, http_status = ?, code = ?, message = ?,
			field = ?, pos_file = ?, pos_line = ?, pos_col = ?, fields = ?, source = ?, vals = ?, raw = ?, attempts = ?,
			first_seen = ?, last_seen = ?,
			state = CASE WHEN ? THEN 'queued' ELSE state END,
			requested = CASE WHEN ? THEN NULL ELSE requested END,
			closed = NULL
		WHERE id = ?`,
		e.Map, e.Key, string(e.Side), string(e.Class), e.Status, e.Code, e.Message, e.Field,
		e.Pos.File, e.Pos.Line, e.Pos.Col, fields, string(e.Source), vals, e.Raw, e.Attempts, nanos(e.First), nanos(e.Last),
		reopen, reopen, e.ID)
	if err != nil || !reopen {
		return err
	}
	return w.event(e.ID, store.Queued)
}

// resolve closes an open entry: retried or discarded when that was asked
// for, resolved otherwise.
func (w *writer) resolve(id string) error {
	if err := store.CheckResolved(id); err != nil {
		return err
	}
	row, err := w.queryRow(`UPDATE errors SET
			state = CASE state WHEN 'retry' THEN 'retried' WHEN 'discard' THEN 'discarded' ELSE 'resolved' END,
			closed = ?
		WHERE id = ? AND state IN ('queued', 'retry', 'discard')
		RETURNING state`, w.now, id)
	if err != nil {
		return err
	}
	var state string
	switch err := row.Scan(&state); {
	case errors.Is(err, sql.ErrNoRows):
		return nil // unknown or already closed
	case err != nil:
		return err
	}
	return w.event(id, store.Status(state))
}

func (w *writer) event(id string, s store.Status) error {
	_, err := w.exec("INSERT INTO error_events (error_id, at, state) VALUES (?, ?, ?)", id, w.now, string(s))
	return err
}

func listErrors(ctx context.Context, q querier, f *store.ErrorFilter) ([]store.ErrorRecord, error) {
	states := f.StatesOrOpen()
	out := []store.ErrorRecord{}
	if len(states) == 0 {
		return out, nil
	}
	var b strings.Builder
	args := make([]any, 0, len(states)+5)
	b.WriteString("SELECT " + errorColumns + " FROM errors WHERE state IN (")
	for i, s := range states {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("?")
		args = append(args, string(s))
	}
	b.WriteString(")")
	for _, c := range []struct{ col, val string }{{"map", f.Map}, {"key", f.Key}, {"class", string(f.Class)}} {
		if c.val != "" {
			b.WriteString(" AND " + c.col + " = ?")
			args = append(args, c.val)
		}
	}
	if f.After > 0 {
		b.WriteString(" AND seq > ?")
		args = append(args, f.After)
	}
	b.WriteString(" ORDER BY seq")
	if f.Limit > 0 {
		b.WriteString(" LIMIT ?")
		args = append(args, f.Limit)
	}
	rows, err := q.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanError(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ListErrors returns the entries that pass f, ordered by Seq.
func (s *Store) ListErrors(ctx context.Context, f store.ErrorFilter) ([]store.ErrorRecord, error) {
	if err := s.readable(); err != nil {
		return nil, err
	}
	if err := f.Check(); err != nil {
		return nil, err
	}
	out, err := listErrors(ctx, s.db, &f)
	return out, s.wrap(err)
}

// GetError returns one entry with its history.
func (s *Store) GetError(ctx context.Context, id string) (store.ErrorRecord, error) {
	if err := s.readable(); err != nil {
		return store.ErrorRecord{}, err
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return store.ErrorRecord{}, s.wrap(err)
	}
	defer tx.Rollback()
	r, err := getError(ctx, tx, id)
	if err != nil {
		return r, s.wrapDB(err)
	}
	return r, s.wrap(tx.Commit())
}

func getError(ctx context.Context, tx *sql.Tx, id string) (store.ErrorRecord, error) {
	r, err := scanError(tx.QueryRowContext(ctx, "SELECT "+errorColumns+" FROM errors WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, notFound(id)
	}
	if err != nil {
		return r, err
	}
	rows, err := tx.QueryContext(ctx, "SELECT at, state FROM error_events WHERE error_id = ? ORDER BY seq", id)
	if err != nil {
		return r, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			at    sql.NullInt64
			state string
		)
		if err := rows.Scan(&at, &state); err != nil {
			return r, err
		}
		r.History = append(r.History, store.ErrorEvent{At: timeOf(at), State: store.Status(state)})
	}
	return r, rows.Err()
}

func notFound(id string) error { return fmt.Errorf("%w %q", store.ErrNotFound, id) }

// RetryError asks for a retry of the entry.
func (s *Store) RetryError(ctx context.Context, id string) (store.ErrorRecord, error) {
	return s.request(ctx, id, store.RetryRequested)
}

// DiscardError asks for the entry to be discarded.
func (s *Store) DiscardError(ctx context.Context, id string) (store.ErrorRecord, error) {
	return s.request(ctx, id, store.DiscardRequested)
}

func (s *Store) request(ctx context.Context, id string, want store.Status) (store.ErrorRecord, error) {
	if err := s.writable(); err != nil {
		return store.ErrorRecord{}, err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return store.ErrorRecord{}, s.wrap(err)
	}
	defer tx.Rollback()
	r, err := getError(ctx, tx, id)
	if err != nil {
		return r, s.wrapDB(err)
	}
	switch {
	case r.State == want:
		return r, s.wrap(tx.Commit())
	case !r.State.Open():
		return r, fmt.Errorf("%w: %s was %s", store.ErrClosed, id, r.State)
	case r.State != store.Queued:
		return r, fmt.Errorf("%w: %s awaits a %s", store.ErrPending, id, r.State)
	}
	w := s.writer(ctx, tx)
	defer w.close()
	if _, err := w.exec("UPDATE errors SET state = ?, requested = ? WHERE id = ?", string(want), w.now, id); err != nil {
		return r, s.wrap(err)
	}
	if err := w.event(id, want); err != nil {
		return r, s.wrap(err)
	}
	if r, err = getError(ctx, tx, id); err != nil {
		return r, s.wrap(err)
	}
	return r, s.wrap(tx.Commit())
}

// Requests lists the pending requests, oldest first.
func (s *Store) Requests(ctx context.Context) ([]store.Request, error) {
	if err := s.readable(); err != nil {
		return nil, err
	}
	// The order of the requests is the order of their events.
	rows, err := s.db.QueryContext(ctx, `SELECT id, state, requested FROM errors
		WHERE state IN ('retry', 'discard')
		ORDER BY (SELECT max(seq) FROM error_events WHERE error_id = errors.id)`)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	out := []store.Request{}
	for rows.Next() {
		var (
			r     store.Request
			state string
			at    sql.NullInt64
		)
		if err := rows.Scan(&r.ID, &state, &at); err != nil {
			return nil, s.wrap(err)
		}
		r.At = timeOf(at)
		r.Action = store.ActionRetry
		if store.Status(state) == store.DiscardRequested {
			r.Action = store.ActionDiscard
		}
		out = append(out, r)
	}
	return out, s.wrap(rows.Err())
}

package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/store"
)

// writer runs one write transaction. Its statements are prepared once per
// store (and per connection, by database/sql) and reused by every
// transaction, which matters for small batches.
type writer struct {
	ctx   context.Context
	tx    *sql.Tx
	now   int64 // Unix nanoseconds
	s     *Store
	stmts map[string]*sql.Stmt // the transaction's statements
}

// writer returns a writer for tx; the caller holds s.wmu.
func (s *Store) writer(ctx context.Context, tx *sql.Tx) *writer {
	return &writer{ctx: ctx, tx: tx, now: s.now().UnixNano(), s: s}
}

func (w *writer) stmt(query string) (*sql.Stmt, error) {
	if st, ok := w.stmts[query]; ok {
		return st, nil
	}
	ps, ok := w.s.prepared[query]
	if !ok {
		var err error
		if ps, err = w.s.db.PrepareContext(w.ctx, query); err != nil {
			return nil, err
		}
		if w.s.prepared == nil {
			w.s.prepared = make(map[string]*sql.Stmt)
		}
		w.s.prepared[query] = ps
	}
	st := w.tx.StmtContext(w.ctx, ps)
	if w.stmts == nil {
		w.stmts = make(map[string]*sql.Stmt)
	}
	w.stmts[query] = st
	return st, nil
}

func (w *writer) exec(query string, args ...any) (sql.Result, error) {
	st, err := w.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(w.ctx, args...)
}

func (w *writer) queryRow(query string, args ...any) (*sql.Row, error) {
	st, err := w.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.QueryRowContext(w.ctx, args...), nil
}

func (w *writer) close() {
	for _, st := range w.stmts {
		st.Close()
	}
}

func (w *writer) setMeta(name, value string) error {
	_, err := w.exec(`INSERT INTO meta (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	return err
}

// sent sets the intents of updates out on a stored record.
func (w *writer) sent(s *engine.RecordSent) error {
	if err := store.CheckSent(s); err != nil {
		return err
	}
	body, err := json.Marshal(sentBody{FO: s.FO, DV: s.DV})
	if err != nil {
		return fmt.Errorf("intent of updates to record %s %q: %w", s.Map, s.Key, err)
	}
	res, err := w.exec("UPDATE records SET sent = ? WHERE map = ? AND key = ?", string(body), s.Map, s.Key)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("intent of updates to record %s %q: %w", s.Map, s.Key, store.ErrNoRecord)
	}
	return nil
}

func (w *writer) batch(b *store.Batch) error {
	for _, k := range b.DeleteRecords {
		if err := store.CheckRecordKey(k); err != nil {
			return err
		}
		if _, err := w.exec("DELETE FROM records WHERE map = ? AND key = ?", k.Map, k.Key); err != nil {
			return err
		}
	}
	for i := range b.Records {
		r := &b.Records[i]
		if err := store.CheckRecord(r); err != nil {
			return err
		}
		state, err := encodeRecord(r)
		if err != nil {
			return fmt.Errorf("record %s %q: %w", r.Map, r.Key, err)
		}
		if _, err := w.exec(`INSERT INTO records (map, key, state, sent) VALUES (?, ?, ?, NULL)
			ON CONFLICT (map, key) DO UPDATE SET state = excluded.state, sent = NULL`, r.Map, r.Key, state); err != nil {
			return err
		}
	}
	for i := range b.Sent {
		if err := w.sent(&b.Sent[i]); err != nil {
			return err
		}
	}
	for i := range b.Errors {
		if err := w.upsertError(&b.Errors[i]); err != nil {
			return err
		}
	}
	for _, id := range b.Resolved {
		if err := w.resolve(id); err != nil {
			return err
		}
	}
	for i := range b.Conflicts {
		if err := w.conflict(&b.Conflicts[i]); err != nil {
			return err
		}
	}
	for i := range b.Watermarks {
		m := &b.Watermarks[i]
		if err := store.CheckWatermark(m); err != nil {
			return err
		}
		if _, err := w.exec(`INSERT INTO watermarks (map, side, seq, token) VALUES (?, ?, ?, ?)
			ON CONFLICT (map, side) DO UPDATE SET seq = excluded.seq, token = excluded.token`,
			m.Map, string(m.Side), m.Seq, m.Token); err != nil {
			return err
		}
	}
	if b.NextID != 0 {
		if err := w.setMeta("next_id", strconv.FormatUint(b.NextID, 10)); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) conflict(c *engine.Conflict) error {
	if err := store.CheckConflict(c); err != nil {
		return err
	}
	fo, err := c.FO.MarshalJSON()
	if err != nil {
		return err
	}
	dv, err := c.DV.MarshalJSON()
	if err != nil {
		return err
	}
	_, err = w.exec(`INSERT INTO conflicts (map, key, field, dv_field, fo, dv, winner, rule,
			pos_file, pos_line, pos_col, why, fo_modified, dv_modified, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Map, c.Key, c.Field, c.DVField, string(fo), string(dv), string(c.Winner), string(c.Rule),
		c.Pos.File, c.Pos.Line, c.Pos.Col, c.Why, nanos(c.FOModified), nanos(c.DVModified), nanos(c.At))
	return err
}

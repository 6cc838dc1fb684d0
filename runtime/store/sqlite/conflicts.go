package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/runtime/store"
)

// Conflicts returns the conflict-log entries that pass f, ordered by Seq.
func (s *Store) Conflicts(ctx context.Context, f store.ConflictFilter) ([]store.ConflictRecord, error) {
	if err := s.readable(); err != nil {
		return nil, err
	}
	if err := f.Check(); err != nil {
		return nil, err
	}
	var (
		b    strings.Builder
		args []any
	)
	b.WriteString(`SELECT seq, map, key, field, dv_field, fo, dv, winner, rule,
		pos_file, pos_line, pos_col, why, fo_modified, dv_modified, at
		FROM conflicts WHERE seq > ?`)
	args = append(args, f.After)
	if f.Map != "" {
		b.WriteString(" AND map = ?")
		args = append(args, f.Map)
	}
	if f.Key != "" {
		b.WriteString(" AND key = ?")
		args = append(args, f.Key)
	}
	b.WriteString(" ORDER BY seq")
	if f.Limit > 0 {
		b.WriteString(" LIMIT ?")
		args = append(args, f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	out := []store.ConflictRecord{}
	for rows.Next() {
		c, err := scanConflict(rows)
		if err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, c)
	}
	return out, s.wrap(rows.Err())
}

func scanConflict(sc scanner) (store.ConflictRecord, error) {
	var (
		r                store.ConflictRecord
		c                = &r.Conflict
		fo, dv           string
		winner, rule     string
		foMod, dvMod, at sql.NullInt64
	)
	err := sc.Scan(&r.Seq, &c.Map, &c.Key, &c.Field, &c.DVField, &fo, &dv, &winner, &rule,
		&c.Pos.File, &c.Pos.Line, &c.Pos.Col, &c.Why, &foMod, &dvMod, &at)
	if err != nil {
		return r, err
	}
	if err := c.FO.UnmarshalJSON([]byte(fo)); err != nil {
		return r, fmt.Errorf("conflict %d: %w", r.Seq, err)
	}
	if err := c.DV.UnmarshalJSON([]byte(dv)); err != nil {
		return r, fmt.Errorf("conflict %d: %w", r.Seq, err)
	}
	c.Winner, c.Rule = plan.Side(winner), engine.Rule(rule)
	c.FOModified, c.DVModified, c.At = timeOf(foMod), timeOf(dvMod), timeOf(at)
	return r, nil
}

package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// Times are stored as Unix nanoseconds, NULL for the zero time, and come
// back in UTC, as the engine keeps them.

func nanos(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

func timeOf(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

// jsonOrNull encodes a list of names as JSON, or NULL when it is empty.
func jsonOrNull(v []string) (any, error) {
	if len(v) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// valuesOrNull encodes field values as JSON, or NULL when there are none.
func valuesOrNull(v []engine.FieldValue) (any, error) {
	if len(v) == 0 {
		return nil, nil
	}
	b, err := fieldList(v).MarshalJSON()
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// fromJSON decodes a column written by jsonOrNull.
func fromJSON[T any](s sql.NullString) ([]T, error) {
	if !s.Valid || s.String == "" {
		return nil, nil
	}
	var v []T
	err := json.Unmarshal([]byte(s.String), &v)
	return v, err
}

// recordBody is the JSON of a record's state in the records table: the
// engine's RecordState without the map and key, which are columns. It is
// decoded with the engine's own types; it is encoded through mirrors of
// them that encode field values faster (fieldList). TestMirrors keeps the
// mirrors in step with the engine's types.
type recordBody struct {
	FO          engine.SideState       `json:"fo"`
	DV          engine.SideState       `json:"dv"`
	Tombstone   *engine.Tombstone      `json:"tombstone,omitempty"`
	Pending     []engine.PendingChange `json:"pending,omitempty"`
	ParkedSince time.Time              `json:"parkedSince,omitzero"`
}

type recordMirror struct {
	FO          sideMirror        `json:"fo"`
	DV          sideMirror        `json:"dv"`
	Tombstone   *engine.Tombstone `json:"tombstone,omitempty"`
	Pending     []pendingMirror   `json:"pending,omitempty"`
	ParkedSince time.Time         `json:"parkedSince,omitzero"`
}

type sideMirror struct {
	Exists       bool      `json:"exists"`
	Version      string    `json:"version,omitempty"`
	Modified     time.Time `json:"modified,omitzero"`
	UserModified time.Time `json:"userModified,omitzero"`
	OwnVersion   bool      `json:"ownVersion,omitempty"`
	Base         fieldList `json:"base,omitempty"`
	Unconfirmed  []string  `json:"unconfirmed,omitempty"`
	// Sent is rare (an update out at a checkpoint): the engine's type.
	Sent []engine.SentValue `json:"sent,omitempty"`
}

type pendingMirror struct {
	Side     plan.Side `json:"side"`
	Values   fieldList `json:"values,omitempty"`
	Version  string    `json:"version,omitempty"`
	Modified time.Time `json:"modified,omitzero"`
	Deleted  bool      `json:"deleted,omitempty"`
}

func mirrorSide(s *engine.SideState) sideMirror {
	return sideMirror{Exists: s.Exists, Version: s.Version, Modified: utc(s.Modified), UserModified: utc(s.UserModified), OwnVersion: s.OwnVersion, Base: s.Base, Unconfirmed: s.Unconfirmed, Sent: s.Sent}
}

func encodeRecord(r *engine.RecordState) (string, error) {
	m := recordMirror{FO: mirrorSide(&r.FO), DV: mirrorSide(&r.DV), Tombstone: r.Tombstone, ParkedSince: utc(r.ParkedSince)}
	if t := r.Tombstone; t != nil && t.At.Location() != time.UTC {
		c := *t
		c.At = utc(c.At)
		m.Tombstone = &c
	}
	if len(r.Pending) > 0 {
		m.Pending = make([]pendingMirror, len(r.Pending))
		for i, p := range r.Pending {
			m.Pending[i] = pendingMirror{Side: p.Side, Values: p.Values, Version: p.Version, Modified: utc(p.Modified), Deleted: p.Deleted}
		}
	}
	b, err := json.Marshal(&m)
	return string(b), err
}

// utc returns t in UTC (the zero time stays zero).
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

func decodeRecord(m, key, state string) (engine.RecordState, error) {
	var b recordBody
	if err := json.Unmarshal([]byte(state), &b); err != nil {
		return engine.RecordState{}, err
	}
	return engine.RecordState{Map: m, Key: key, FO: b.FO, DV: b.DV, Tombstone: b.Tombstone, Pending: b.Pending, ParkedSince: b.ParkedSince}, nil
}

// sentBody is the JSON of the records table's sent column: the intents of
// updates out to the record (engine.RecordSent without map and key).
type sentBody struct {
	FO []engine.SentValue `json:"fo,omitempty"`
	DV []engine.SentValue `json:"dv,omitempty"`
}

// decodeSent sets the intents of the sent column, when it holds any, on r.
func decodeSent(r *engine.RecordState, sent sql.NullString) error {
	if !sent.Valid {
		return nil
	}
	var b sentBody
	if err := json.Unmarshal([]byte(sent.String), &b); err != nil {
		return fmt.Errorf("intents of updates: %w", err)
	}
	r.FO.Sent, r.DV.Sent = b.FO, b.DV
	return nil
}

// fieldList encodes field values to the same JSON as encoding/json does
// with engine.Value's MarshalJSON, without reflection or formatting per
// value. Kinds it does not know are left to Value.MarshalJSON.
type fieldList []engine.FieldValue

// MarshalJSON implements json.Marshaler.
func (l fieldList) MarshalJSON() ([]byte, error) {
	if l == nil {
		return []byte("null"), nil
	}
	b := make([]byte, 0, 48*len(l)+2)
	b = append(b, '[')
	for i, fv := range l {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"field":`...)
		b = appendString(b, fv.Field)
		b = append(b, `,"value":`...)
		var err error
		if b, err = appendValue(b, fv.Value); err != nil {
			return nil, err
		}
		b = append(b, '}')
	}
	return append(b, ']'), nil
}

func appendValue(b []byte, v engine.Value) ([]byte, error) {
	switch v.Kind() {
	case engine.KindNull:
		return append(b, "null"...), nil
	case engine.KindString:
		s, _ := v.AsString()
		b = appendString(append(b, `{"str":`...), s)
	case engine.KindInt:
		n, _ := v.AsInt()
		b = strconv.AppendInt(append(b, `{"int":`...), n, 10)
	case engine.KindDecimal:
		d, _ := v.AsDecimal()
		b = appendString(append(b, `{"dec":`...), d)
	case engine.KindBool:
		t, _ := v.AsBool()
		b = strconv.AppendBool(append(b, `{"bool":`...), t)
	case engine.KindTime:
		t, _ := v.AsTime()
		b = appendString(append(b, `{"time":`...), t.Format(time.RFC3339Nano))
	default:
		j, err := v.MarshalJSON()
		return append(b, j...), err
	}
	return append(b, '}'), nil
}

// appendString appends s as a JSON string, as encoding/json writes it.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			j, _ := json.Marshal(s)
			return append(b, j...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

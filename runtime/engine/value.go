package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind is the type of a Value.
type Kind uint8

// Kinds. The zero Value is null.
const (
	KindNull Kind = iota
	KindString
	KindInt
	KindDecimal
	KindBool
	KindTime

	// kindAbsent marks a field that was not observed. It never leaves the
	// package: callers leave a field out instead.
	kindAbsent Kind = 0xff
)

var kindNames = [...]string{"null", "string", "int", "decimal", "bool", "time"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "absent"
}

// Value is one scalar field value: null, string, int, decimal, bool or time.
// It is a small comparable struct that allocates nothing by itself.
// Decimals are kept as canonical text (no float), so "100.50" and "100.5"
// are the same value; times are kept to the microsecond, in UTC.
//
// Lookup fields carry the referenced record's key (see JoinKey) as a string.
type Value struct {
	s string // string text, or canonical decimal text
	n int64  // int, bool (0 or 1), time (Unix microseconds)
	k Kind
}

var absent = Value{k: kindAbsent}

// Null returns the null value (the zero Value).
func Null() Value { return Value{} }

// String returns a string value.
func String(s string) Value { return Value{k: KindString, s: s} }

// Int returns an integer value (also used for Dataverse choices).
func Int(n int64) Value { return Value{k: KindInt, n: n} }

// Bool returns a boolean value.
func Bool(b bool) Value {
	v := Value{k: KindBool}
	if b {
		v.n = 1
	}
	return v
}

// Time returns a time value, kept to the microsecond.
func Time(t time.Time) Value { return Value{k: KindTime, n: t.UnixMicro()} }

// Decimal parses a decimal literal such as "-12.50" or "1.5e3" and returns
// it in canonical form.
func Decimal(s string) (Value, error) {
	c, ok := canonDecimal(s)
	if !ok {
		return Value{}, fmt.Errorf("invalid decimal %q", s)
	}
	return Value{k: KindDecimal, s: c}, nil
}

// MustDecimal is Decimal for literals known to be valid; it panics otherwise.
func MustDecimal(s string) Value {
	v, err := Decimal(s)
	if err != nil {
		panic(err)
	}
	return v
}

// Kind returns the value's kind.
func (v Value) Kind() Kind { return v.k }

// IsNull reports whether v is null.
func (v Value) IsNull() bool { return v.k == KindNull }

// AsString returns a string value's text.
func (v Value) AsString() (string, bool) { return v.s, v.k == KindString }

// AsInt returns an integer value.
func (v Value) AsInt() (int64, bool) { return v.n, v.k == KindInt }

// AsDecimal returns a decimal's canonical text; an integer converts.
func (v Value) AsDecimal() (string, bool) {
	switch v.k {
	case KindDecimal:
		return v.s, true
	case KindInt:
		return strconv.FormatInt(v.n, 10), true
	}
	return "", false
}

// AsBool returns a boolean value.
func (v Value) AsBool() (bool, bool) { return v.n != 0, v.k == KindBool }

// AsTime returns a time value, in UTC.
func (v Value) AsTime() (time.Time, bool) {
	return time.UnixMicro(v.n).UTC(), v.k == KindTime
}

// Equal reports whether v and w are the same value. Integers and decimals
// compare by number.
func (v Value) Equal(w Value) bool {
	if v.k == w.k {
		switch v.k {
		case KindString, KindDecimal:
			return v.s == w.s
		case KindNull, kindAbsent:
			return true
		}
		return v.n == w.n
	}
	if v.k == KindInt && w.k == KindDecimal {
		return intIsDecimal(v.n, w.s)
	}
	if v.k == KindDecimal && w.k == KindInt {
		return intIsDecimal(w.n, v.s)
	}
	return false
}

func intIsDecimal(n int64, dec string) bool {
	var buf [24]byte
	return string(strconv.AppendInt(buf[:0], n, 10)) == dec
}

// text returns a key-like text for v: used when a lookup value names a key.
func (v Value) text() string {
	switch v.k {
	case KindString, KindDecimal:
		return v.s
	case KindInt:
		return strconv.FormatInt(v.n, 10)
	case KindBool:
		return strconv.FormatBool(v.n != 0)
	case KindTime:
		t, _ := v.AsTime()
		return t.Format(time.RFC3339Nano)
	}
	return ""
}

// String formats v for people: strings are quoted, null is null.
func (v Value) String() string {
	switch v.k {
	case KindNull:
		return "null"
	case KindString:
		return strconv.Quote(v.s)
	case kindAbsent:
		return "<absent>"
	}
	return v.text()
}

// MarshalJSON encodes v as null or a one-key object naming its kind:
// {"str":"x"}, {"int":3}, {"dec":"100.5"}, {"bool":true},
// {"time":"2024-01-02T03:04:05Z"}. The form is part of the persisted state.
func (v Value) MarshalJSON() ([]byte, error) {
	switch v.k {
	case KindNull, kindAbsent:
		return []byte("null"), nil
	case KindString:
		b, err := json.Marshal(v.s)
		if err != nil {
			return nil, err
		}
		return append(append([]byte(`{"str":`), b...), '}'), nil
	case KindInt:
		return fmt.Appendf(nil, `{"int":%d}`, v.n), nil
	case KindDecimal:
		return fmt.Appendf(nil, `{"dec":%q}`, v.s), nil
	case KindBool:
		return fmt.Appendf(nil, `{"bool":%t}`, v.n != 0), nil
	case KindTime:
		t, _ := v.AsTime()
		return fmt.Appendf(nil, `{"time":%q}`, t.Format(time.RFC3339Nano)), nil
	}
	return nil, fmt.Errorf("value of unknown kind %d", v.k)
}

// UnmarshalJSON decodes the form written by MarshalJSON.
func (v *Value) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*v = Value{}
		return nil
	}
	var o struct {
		Str  *string `json:"str"`
		Int  *int64  `json:"int"`
		Dec  *string `json:"dec"`
		Bool *bool   `json:"bool"`
		Time *string `json:"time"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return fmt.Errorf("value %s: %w", b, err)
	}
	n := 0
	switch {
	case o.Str != nil:
		*v, n = String(*o.Str), n+1
	case o.Int != nil:
		*v, n = Int(*o.Int), n+1
	case o.Dec != nil:
		d, err := Decimal(*o.Dec)
		if err != nil {
			return err
		}
		*v, n = d, n+1
	case o.Bool != nil:
		*v, n = Bool(*o.Bool), n+1
	case o.Time != nil:
		t, err := time.Parse(time.RFC3339Nano, *o.Time)
		if err != nil {
			return fmt.Errorf("value %s: %w", b, err)
		}
		*v, n = Time(t), n+1
	}
	if n == 0 {
		return fmt.Errorf("value %s: want null or one of str, int, dec, bool, time", b)
	}
	return nil
}

// ParseJSON converts a JSON scalar (as written in a plan's defaults and
// constants) to a Value: a string, an integer, a decimal, a bool or null.
func ParseJSON(raw string) (Value, error) {
	raw = strings.TrimSpace(raw)
	switch {
	case raw == "null" || raw == "":
		return Null(), nil
	case raw == "true":
		return Bool(true), nil
	case raw == "false":
		return Bool(false), nil
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal([]byte(raw), &s); err != nil {
			return Value{}, fmt.Errorf("plan value %s: %w", raw, err)
		}
		return String(s), nil
	}
	if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
		return Int(n), nil
	}
	d, err := Decimal(raw)
	if err != nil {
		return Value{}, errors.New("plan value " + raw + " is not a JSON scalar")
	}
	return d, nil
}

// FieldValue is one named field value. Writes and persisted records list
// their fields in plan order.
type FieldValue struct {
	Field string `json:"field"`
	Value Value  `json:"value"`
}

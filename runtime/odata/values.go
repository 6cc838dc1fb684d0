package odata

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// Values cross the wire as JSON and reach the engine as engine.Values by
// the plan's field types: strings and GUIDs as strings; integers and
// Dataverse choices as ints; decimals exactly, from the number's text
// (never a float); booleans; dates as midnight UTC of the day; date-times
// as times; F&O enums as member names (a namespaced literal such as
// Microsoft.Dynamics.DataEntities.NoYes'Yes' reads as Yes). Lookups are
// each connector's business.

var memberRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// enumLiteralRE is an enum literal with its type: Namespace.Type'Member'.
var enumLiteralRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*'([A-Za-z_][A-Za-z0-9_]*)'$`)

// foEmptyDate is F&O's "no date": dates and date-times on or before
// 1900-01-01 read as null.
var foEmptyDate = time.Date(1900, 1, 2, 0, 0, 0, 0, time.UTC)

// readValue converts a JSON value of a field of type t. fo selects F&O's
// conventions: 1900-01-01 is no date.
func readValue(t plan.Type, v any, fo bool) (engine.Value, error) {
	if v == nil {
		return engine.Null(), nil
	}
	want := func(what string) (engine.Value, error) {
		return engine.Value{}, fmt.Errorf("want %s for a %s field, got %s %s", what, t, jsonKind(v), truncate(fmt.Sprint(v), 80))
	}
	switch t {
	case plan.String, plan.Guid, plan.Lookup:
		s, ok := v.(string)
		if !ok {
			return want("a string")
		}
		return engine.String(s), nil
	case plan.Int, plan.Choice:
		n, ok := v.(json.Number)
		if !ok {
			return want("an integer")
		}
		i, err := strconv.ParseInt(n.String(), 10, 64)
		if err != nil {
			return want("an integer")
		}
		return engine.Int(i), nil
	case plan.Decimal:
		var text string
		switch x := v.(type) {
		case json.Number:
			text = x.String()
		case string: // IEEE754Compatible=true answers decimals as strings
			text = x
		default:
			return want("a decimal")
		}
		d, err := engine.Decimal(text)
		if err != nil {
			return want("a decimal")
		}
		return d, nil
	case plan.Bool:
		b, ok := v.(bool)
		if !ok {
			return want("a boolean")
		}
		return engine.Bool(b), nil
	case plan.Date, plan.DateTime:
		s, ok := v.(string)
		if !ok {
			return want("a date")
		}
		tm, err := parseTime(s)
		if err != nil {
			return want("an ISO 8601 date")
		}
		if fo && tm.Before(foEmptyDate) {
			return engine.Null(), nil
		}
		if t == plan.Date {
			tm = time.Date(tm.Year(), tm.Month(), tm.Day(), 0, 0, 0, 0, time.UTC)
		}
		return engine.Time(tm), nil
	case plan.Enum:
		s, ok := v.(string)
		if !ok {
			return want("an enum member name")
		}
		if m := enumLiteralRE.FindStringSubmatch(s); m != nil {
			s = m[1]
		}
		if !memberRE.MatchString(s) {
			return want("an enum member name")
		}
		return engine.String(s), nil
	}
	return engine.Value{}, fmt.Errorf("unknown field type %q", t)
}

// parseTime reads an RFC 3339 date-time or a plain date.
func parseTime(s string) (time.Time, error) {
	if dateRE.MatchString(s) {
		return time.Parse(time.DateOnly, s)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// writeValue returns the JSON form of v for a field of type t.
func writeValue(t plan.Type, v engine.Value) (any, error) {
	if v.IsNull() {
		return nil, nil
	}
	bad := func() (any, error) {
		return nil, fmt.Errorf("cannot write %s %s to a %s field", v.Kind(), v, t)
	}
	switch t {
	case plan.String, plan.Guid, plan.Enum, plan.Lookup:
		s, ok := v.AsString()
		if !ok {
			return bad()
		}
		return s, nil
	case plan.Int, plan.Choice:
		n, ok := v.AsInt()
		if !ok {
			d, isDec := v.AsDecimal()
			if !isDec || strings.ContainsAny(d, ".eE") {
				return bad()
			}
			return json.Number(d), nil
		}
		return json.Number(strconv.FormatInt(n, 10)), nil
	case plan.Decimal:
		d, ok := v.AsDecimal()
		if !ok {
			return bad()
		}
		return json.Number(d), nil
	case plan.Bool:
		b, ok := v.AsBool()
		if !ok {
			return bad()
		}
		return b, nil
	case plan.Date:
		tm, ok := v.AsTime()
		if !ok {
			if s, isStr := v.AsString(); isStr && dateRE.MatchString(s) {
				return s, nil
			}
			return bad()
		}
		return tm.Format(time.DateOnly), nil
	case plan.DateTime:
		tm, ok := v.AsTime()
		if !ok {
			return bad()
		}
		return tm.UTC().Format(time.RFC3339Nano), nil
	}
	return nil, fmt.Errorf("unknown field type %q", t)
}

// keyText returns the key text of a key value read from a row.
func keyText(t plan.Type, v any) (string, error) {
	val, err := readValue(t, v, false)
	if err != nil {
		return "", err
	}
	switch val.Kind() {
	case engine.KindNull:
		return "", fmt.Errorf("is null")
	case engine.KindString:
		s, _ := val.AsString()
		return s, nil
	case engine.KindInt:
		n, _ := val.AsInt()
		return strconv.FormatInt(n, 10), nil
	case engine.KindDecimal:
		d, _ := val.AsDecimal()
		return d, nil
	case engine.KindBool:
		b, _ := val.AsBool()
		return strconv.FormatBool(b), nil
	case engine.KindTime:
		tm, _ := val.AsTime()
		if t == plan.Date {
			return tm.Format(time.DateOnly), nil
		}
		return tm.Format(time.RFC3339Nano), nil
	}
	return "", fmt.Errorf("cannot be a key")
}

// valueText is the text of a lookup or key value.
func valueText(v engine.Value) string {
	if s, ok := v.AsString(); ok {
		return s
	}
	if v.IsNull() {
		return ""
	}
	return strings.Trim(v.String(), `"`)
}

package fakehttp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator/fake"
)

// Values on the wire. Both services write strings, enum members (F&O),
// GUIDs and lookups as JSON strings; integers, choices (Dataverse) and
// decimals as JSON numbers; booleans as such; dates as "2006-01-02" and
// date-times as RFC 3339 in UTC, to the second.

// appendValue appends v as JSON for a field of type t ("" when unknown).
func appendValue(b []byte, t plan.Type, v engine.Value) []byte {
	switch v.Kind() {
	case engine.KindNull:
		return append(b, "null"...)
	case engine.KindString:
		s, _ := v.AsString()
		return appendString(b, s)
	case engine.KindInt:
		n, _ := v.AsInt()
		return strconv.AppendInt(b, n, 10)
	case engine.KindDecimal:
		d, _ := v.AsDecimal()
		return append(b, d...)
	case engine.KindBool:
		x, _ := v.AsBool()
		return strconv.AppendBool(b, x)
	case engine.KindTime:
		tm, _ := v.AsTime()
		if t == plan.Date {
			return appendString(b, tm.Format(time.DateOnly))
		}
		return appendString(b, tm.UTC().Truncate(time.Second).Format(time.RFC3339))
	}
	return append(b, "null"...)
}

func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}

// object writes a JSON object with its members in the order added.
type object struct{ b []byte }

func (o *object) raw(name string, raw []byte) {
	if len(o.b) == 0 {
		o.b = append(o.b, '{')
	} else {
		o.b = append(o.b, ',')
	}
	o.b = appendString(o.b, name)
	o.b = append(o.b, ':')
	o.b = append(o.b, raw...)
}

func (o *object) str(name, s string) { o.raw(name, appendString(nil, s)) }

func (o *object) value(name string, t plan.Type, v engine.Value) {
	o.raw(name, appendValue(nil, t, v))
}

func (o *object) bytes() []byte {
	if len(o.b) == 0 {
		return []byte("{}")
	}
	return append(o.b, '}')
}

// body is a decoded request body: the field values, the @odata.bind
// values (as "<field>@odata.bind" entries of Values) and the instance
// annotations (@odata.id, @odata.type, ...).
type body struct {
	Values      map[string]engine.Value
	Annotations map[string]string
}

// maxBody is the largest request body the fakes read (Dataverse's limit
// for a request is far larger; the fakes keep memory bounded).
const maxBody = 64 << 20

// decodeBody parses a JSON object into values typed by the set's schema.
// Values of unknown properties are kept by their JSON kind, so that the
// service answers them with its unknown-property error.
func decodeBody(data []byte, si *fake.SetInfo) (body, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return body{}, fmt.Errorf("the request body is not a JSON object: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return body{}, fmt.Errorf("the request body has data after its JSON object")
	}
	if raw == nil {
		return body{}, fmt.Errorf("the request body is not a JSON object")
	}
	return decodeObject(raw, si)
}

func decodeObject(raw map[string]any, si *fake.SetInfo) (body, error) {
	b := body{Values: map[string]engine.Value{}, Annotations: map[string]string{}}
	for name, x := range raw {
		switch {
		case strings.HasPrefix(name, "@"):
			if s, ok := x.(string); ok {
				b.Annotations[name] = s
			}
			continue
		case strings.HasSuffix(name, "@odata.bind"):
			switch s := x.(type) {
			case nil:
				b.Values[name] = engine.Null()
			case string:
				b.Values[name] = engine.String(s)
			default:
				return body{}, fmt.Errorf("the value of '%s' must be a string", name)
			}
			continue
		case strings.Contains(name, "@"):
			continue // a property annotation: ignored, as the services do
		}
		var f *fake.FieldInfo
		if si != nil {
			f = si.Field(name)
		}
		v, err := jsonValue(f, x)
		if err != nil {
			return body{}, fmt.Errorf("property '%s': %v", name, err)
		}
		b.Values[name] = v
	}
	return b, nil
}

// jsonValue converts one decoded JSON value for field f (nil: unknown).
func jsonValue(f *fake.FieldInfo, x any) (engine.Value, error) {
	var t plan.Type
	if f != nil {
		t = f.Type
	}
	switch x := x.(type) {
	case nil:
		return engine.Null(), nil
	case bool:
		return engine.Bool(x), nil
	case string:
		switch t {
		case plan.Date:
			if d, err := time.Parse(time.DateOnly, x); err == nil {
				return engine.Time(d), nil
			}
			if d, err := time.Parse(time.RFC3339Nano, x); err == nil {
				return engine.Time(d), nil
			}
		case plan.DateTime:
			if d, err := time.Parse(time.RFC3339Nano, x); err == nil {
				return engine.Time(d), nil
			}
		}
		return engine.String(x), nil
	case json.Number:
		s := x.String()
		if t != plan.Decimal {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return engine.Int(n), nil
			}
		}
		d, err := engine.Decimal(s)
		if err != nil {
			return engine.Value{}, fmt.Errorf("%s is not a number", s)
		}
		return d, nil
	}
	if f == nil {
		return engine.String(""), nil // unknown: the service names it
	}
	return engine.Value{}, fmt.Errorf("a %s value cannot be an object or an array", t)
}

// edmType is the CSDL type of a field of type t.
func edmType(t plan.Type) string {
	switch t {
	case plan.Int, plan.Choice:
		return "Edm.Int32"
	case plan.Decimal:
		return "Edm.Decimal"
	case plan.Bool:
		return "Edm.Boolean"
	case plan.Date:
		return "Edm.Date"
	case plan.DateTime:
		return "Edm.DateTimeOffset"
	case plan.Guid, plan.Lookup:
		return "Edm.Guid"
	}
	return "Edm.String"
}

package fake

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// problem is why a value does not fit its field; each service words it in
// its own error shape.
type problem struct {
	kind  string // "type", "member", "choice", "length", "required"
	field string
	value engine.Value
	msg   string
}

// coerce checks v against the field's type and returns it as the service
// stores it: decimals rounded to the field's scale, dates to the day,
// date-times to the second. Lookups are handled by the caller.
func coerce(f *fieldDef, v engine.Value) (engine.Value, *problem) {
	if v.IsNull() {
		return v, nil
	}
	bad := func() (engine.Value, *problem) {
		return v, &problem{kind: "type", field: f.name, value: v,
			msg: fmt.Sprintf("cannot convert the value %s to the type of field '%s' (%s)", v, f.name, f.typ)}
	}
	switch f.typ {
	case plan.String, plan.Guid, plan.Lookup:
		if v.Kind() != engine.KindString {
			return bad()
		}
	case plan.Enum:
		s, ok := v.AsString()
		if !ok {
			return bad()
		}
		if f.members != nil && !f.members[s] {
			return v, &problem{kind: "member", field: f.name, value: v, msg: fmt.Sprintf("Requested value '%s' was not found.", s)}
		}
	case plan.Choice:
		n, ok := v.AsInt()
		if !ok {
			return bad()
		}
		if f.choices != nil && !f.choices[n] {
			return v, &problem{kind: "choice", field: f.name, value: v, msg: accepted(f.choices)}
		}
	case plan.Int:
		if v.Kind() != engine.KindInt {
			return bad()
		}
	case plan.Decimal:
		d, ok := v.AsDecimal()
		if !ok {
			return bad()
		}
		if f.scale >= 0 {
			d = roundDecimal(d, f.scale)
		}
		return engine.MustDecimal(d), nil
	case plan.Bool:
		if v.Kind() != engine.KindBool {
			return bad()
		}
	case plan.Date:
		t, ok := v.AsTime()
		if !ok {
			return bad()
		}
		return engine.Time(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)), nil
	case plan.DateTime:
		t, ok := v.AsTime()
		if !ok {
			return bad()
		}
		return engine.Time(t.Truncate(time.Second)), nil
	}
	return v, nil
}

func accepted(choices map[int64]bool) string {
	var ns []int64
	for n := range choices {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(parts, ",")
}

// tooLong reports a text value longer than the field allows.
func tooLong(f *fieldDef, v engine.Value) *problem {
	s, ok := v.AsString()
	if !ok || f.maxLen <= 0 || f.target != "" {
		return nil
	}
	if n := utf8.RuneCountInString(s); n > f.maxLen {
		return &problem{kind: "length", field: f.name, value: v,
			msg: fmt.Sprintf("The value of field '%s' is too long: %d characters, at most %d.", f.name, n, f.maxLen)}
	}
	return nil
}

// normalize applies the field's business-logic rewrites.
func normalize(f *fieldDef, v engine.Value) engine.Value {
	for _, n := range f.norm {
		switch n.Rule {
		case Trim, Upper, Lower:
			s, ok := v.AsString()
			if !ok {
				continue
			}
			switch n.Rule {
			case Trim:
				s = strings.TrimSpace(s)
			case Upper:
				s = strings.ToUpper(s)
			case Lower:
				s = strings.ToLower(s)
			}
			v = engine.String(s)
		case Round:
			d, ok := v.AsDecimal()
			if !ok {
				continue
			}
			v = engine.MustDecimal(roundDecimal(d, n.Places))
		}
	}
	return v
}

// empty reports a value that does not fill a required field.
func empty(v engine.Value) bool {
	if v.IsNull() {
		return true
	}
	s, ok := v.AsString()
	return ok && strings.TrimSpace(s) == ""
}

// roundDecimal rounds decimal text to places fraction digits, half away
// from zero.
func roundDecimal(s string, places int) string {
	r, ok := new(big.Rat).SetString(s)
	if !ok || places < 0 {
		return s
	}
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
	x := new(big.Rat).Mul(r, new(big.Rat).SetInt(scale))
	q, m := new(big.Int).QuoRem(x.Num(), x.Denom(), new(big.Int))
	// |remainder| * 2 >= denominator: round away from zero.
	m.Abs(m).Lsh(m, 1)
	if m.Cmp(x.Denom()) >= 0 {
		if x.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	out := new(big.Rat).SetFrac(q, scale).FloatString(places)
	v, err := engine.Decimal(out)
	if err != nil {
		return s
	}
	d, _ := v.AsDecimal()
	return d
}

// text returns a value as plain text, for keys and plug-in conditions.
func text(v engine.Value) string {
	if s, ok := v.AsString(); ok {
		return s
	}
	if v.IsNull() {
		return ""
	}
	if t, ok := v.AsTime(); ok && v.Kind() == engine.KindTime {
		return t.Format(time.RFC3339Nano)
	}
	return v.String()
}

func cloneValues(m map[string]engine.Value) map[string]engine.Value {
	out := make(map[string]engine.Value, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// withNulls copies a record's values and adds every other field of the set
// as null: the services answer every property, set or not.
func withNulls(d *setDef, vals map[string]engine.Value) map[string]engine.Value {
	out := make(map[string]engine.Value, len(d.fields)+3)
	for n := range d.fields {
		out[n] = engine.Null()
	}
	for n, v := range vals {
		out[n] = v
	}
	return out
}

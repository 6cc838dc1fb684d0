package scenario

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// fieldType returns the type of map m's field named name on side s (a
// mapped field or a key field), and every field name of the side, for
// error messages.
func fieldType(m *plan.Map, s plan.Side, name string) (*plan.Field, plan.Type, error) {
	for i := range m.Fields {
		f := &m.Fields[i]
		if s == plan.FO && f.FO == name {
			return f, f.FOType, nil
		}
		if s == plan.DV && f.DV == name {
			return f, f.DVType, nil
		}
	}
	for _, k := range m.Key {
		if (s == plan.FO && k.FO == name) || (s == plan.DV && k.DV == name) {
			return nil, k.Type, nil
		}
	}
	var names []string
	for _, f := range m.Fields {
		if s == plan.FO {
			names = append(names, f.FO)
		} else {
			names = append(names, f.DV)
		}
	}
	slices.Sort(names)
	return nil, "", fmt.Errorf("map %s has no %s field %q (fields: %s)", m.Name, sideName(s), name, strings.Join(names, ", "))
}

func sideName(s plan.Side) string {
	if s == plan.FO {
		return "F&O"
	}
	return "Dataverse"
}

// parseValue turns a script's text into a value of the field's type on
// side s: null is null; F&O enums take member names; Dataverse choices
// take integers or, through the field's value map, F&O member names;
// dates are 2006-01-02, date-times RFC 3339; lookups take the referenced
// record's key.
func parseValue(f *plan.Field, t plan.Type, s plan.Side, text string) (engine.Value, error) {
	if text == "null" {
		return engine.Null(), nil
	}
	switch t {
	case plan.Int:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return engine.Value{}, fmt.Errorf("%q is not an integer", text)
		}
		return engine.Int(n), nil
	case plan.Choice:
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return engine.Int(n), nil
		}
		if f != nil {
			for _, vp := range f.Values {
				if vp.FO == text {
					return engine.Int(vp.DV), nil
				}
			}
		}
		return engine.Value{}, fmt.Errorf("%q is not a choice value (an integer, or a member of the field's value map)", text)
	case plan.Decimal:
		return engine.Decimal(text)
	case plan.Bool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return engine.Value{}, fmt.Errorf("%q is not true or false", text)
		}
		return engine.Bool(b), nil
	case plan.Date:
		d, err := time.Parse(time.DateOnly, text)
		if err != nil {
			return engine.Value{}, fmt.Errorf("%q is not a date (2006-01-02)", text)
		}
		return engine.Time(d), nil
	case plan.DateTime:
		d, err := time.Parse(time.RFC3339Nano, text)
		if err != nil {
			return engine.Value{}, fmt.Errorf("%q is not a date-time (RFC 3339)", text)
		}
		return engine.Time(d), nil
	}
	// string, guid, enum, lookup
	return engine.String(text), nil
}

// assignment is one Field=Value argument.
type assignment struct {
	field string
	text  string
	value engine.Value
}

// parseAssignments parses Field=Value arguments for map m on side s.
func parseAssignments(m *plan.Map, s plan.Side, args []string) ([]assignment, error) {
	var out []assignment
	for _, a := range args {
		name, text, ok := strings.Cut(a, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("%q: want Field=Value", a)
		}
		f, t, err := fieldType(m, s, name)
		if err != nil {
			return nil, err
		}
		v, err := parseValue(f, t, s, text)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, assignment{field: name, text: text, value: v})
	}
	return out, nil
}

// sameValue compares an expected and an actual field value. An empty
// string and null are the same: both systems store "no value" either way.
// Numbers compare by value.
func sameValue(want, got engine.Value) bool {
	if want.Equal(got) {
		return true
	}
	return isEmpty(want) && isEmpty(got)
}

func isEmpty(v engine.Value) bool {
	if v.IsNull() {
		return true
	}
	s, ok := v.AsString()
	return ok && s == ""
}

// keyValues parses key=value options: every argument must be one, and its
// key one of allowed.
func keyValues(args []string, allowed ...string) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return nil, fmt.Errorf("%q: want key=value (keys: %s)", a, strings.Join(allowed, ", "))
		}
		if !slices.Contains(allowed, k) {
			return nil, fmt.Errorf("unknown option %q (want one of: %s)", k, strings.Join(allowed, ", "))
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("option %q given twice", k)
		}
		out[k] = v
	}
	return out, nil
}

func parseSide(s string) (plan.Side, error) {
	switch s {
	case "fo":
		return plan.FO, nil
	case "dv":
		return plan.DV, nil
	}
	return "", fmt.Errorf("unknown side %q: want fo or dv", s)
}

// parseCount parses a count option: N, or >=N / >N / <=N / <N.
type count struct {
	op string
	n  int
}

func parseCount(s string) (count, error) {
	c := count{op: "=="}
	for _, op := range []string{">=", "<=", ">", "<"} {
		if rest, ok := strings.CutPrefix(s, op); ok {
			c.op, s = op, rest
			break
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return count{}, fmt.Errorf("count %q: want a number, optionally after >=, <=, > or <", s)
	}
	c.n = n
	return c, nil
}

func (c count) ok(n int) bool {
	switch c.op {
	case ">=":
		return n >= c.n
	case "<=":
		return n <= c.n
	case ">":
		return n > c.n
	case "<":
		return n < c.n
	}
	return n == c.n
}

func (c count) String() string {
	if c.op == "==" {
		return strconv.Itoa(c.n)
	}
	return c.op + strconv.Itoa(c.n)
}

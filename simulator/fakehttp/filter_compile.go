package fakehttp

import (
	"errors"
	"fmt"
	"math/big"
	"path"
	"strings"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// field is what the compiler knows of a property.
type field struct {
	// Name is the field's name in the record's values.
	Name string
	Type plan.Type
	// EnumType is an F&O enum's qualified type name, "" when unknown.
	EnumType string
	Members  []string
}

// filterEnv says how a service reads a filter.
type filterEnv struct {
	// resolve returns the field a property names.
	resolve func(name string) (field, bool)
	// unknown words the error for a property that does not exist.
	unknown func(name string) string
	// enums: F&O enum literals (eq and ne only); wildcards: F&O's '*' in
	// string equality; functions: the string functions allowed.
	enums     bool
	wildcards bool
	functions map[string]bool
}

// predicate is a compiled filter.
type predicate func(vals map[string]engine.Value) bool

// compileFilter checks e and returns its predicate.
func compileFilter(e expr, env *filterEnv) (predicate, error) {
	switch e := e.(type) {
	case logical:
		l, err := compileFilter(e.l, env)
		if err != nil {
			return nil, err
		}
		r, err := compileFilter(e.r, env)
		if err != nil {
			return nil, err
		}
		if e.op == "and" {
			return func(v map[string]engine.Value) bool { return l(v) && r(v) }, nil
		}
		return func(v map[string]engine.Value) bool { return l(v) || r(v) }, nil
	case negation:
		x, err := compileFilter(e.x, env)
		if err != nil {
			return nil, err
		}
		return func(v map[string]engine.Value) bool { return !x(v) }, nil
	case comparison:
		return compileComparison(e, env)
	case call:
		return compileCall(e, env)
	case property:
		f, err := env.field(e.name)
		if err != nil {
			return nil, err
		}
		if f.Type != plan.Bool {
			return nil, fmt.Errorf("the property '%s' is not a boolean and cannot be a condition by itself", e.name)
		}
		return func(v map[string]engine.Value) bool { b, _ := v[f.Name].AsBool(); return b }, nil
	case constant:
		if e.lit.Kind == litBool {
			b := e.lit.Text == "true"
			return func(map[string]engine.Value) bool { return b }, nil
		}
	}
	return nil, errors.New("the expression is not a condition")
}

func (env *filterEnv) field(name string) (field, error) {
	f, ok := env.resolve(name)
	if !ok {
		return field{}, errors.New(env.unknown(name))
	}
	return f, nil
}

func compileComparison(c comparison, env *filterEnv) (predicate, error) {
	op := c.op
	prop, pok := c.l.(property)
	lit, lok := c.r.(constant)
	if !pok || !lok {
		// literal op property: flip.
		p2, pok2 := c.r.(property)
		l2, lok2 := c.l.(constant)
		if !pok2 || !lok2 {
			return nil, fmt.Errorf("a comparison must have a property on one side and a literal on the other: %w", errUnsupported)
		}
		prop, lit = p2, l2
		op = map[string]string{"eq": "eq", "ne": "ne", "gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}[op]
	}
	f, err := env.field(prop.name)
	if err != nil {
		return nil, err
	}
	l := lit.lit
	incompatible := func() error {
		return fmt.Errorf("A binary operator with incompatible types was detected. Found operand types '%s' and '%s' for operator kind '%s'.",
			fieldEdm(f), l.edmOf(), opKind(op))
	}
	if l.Kind == litNull {
		if op != "eq" && op != "ne" {
			return nil, incompatible()
		}
		eq := op == "eq"
		return func(v map[string]engine.Value) bool { return v[f.Name].IsNull() == eq }, nil
	}
	if f.Type == plan.Enum {
		if !env.enums || l.Kind != litEnum {
			return nil, incompatible()
		}
		if op != "eq" && op != "ne" {
			return nil, fmt.Errorf("the enum property '%s' can only be compared with eq or ne", prop.name)
		}
		if f.EnumType != "" && l.EnumType != f.EnumType {
			return nil, incompatible()
		}
		if f.Members != nil && !contains(f.Members, l.Text) {
			return nil, fmt.Errorf("The string '%s' is not a valid enumerated type constant.", l.Text)
		}
		want, eq := l.Text, op == "eq"
		return func(v map[string]engine.Value) bool {
			s, ok := v[f.Name].AsString()
			return ok && (s == want) == eq
		}, nil
	}
	want, ok := l.value(f.Type)
	if !ok || l.Kind == litEnum {
		return nil, incompatible()
	}
	if env.wildcards && f.Type == plan.String && (op == "eq" || op == "ne") && strings.Contains(l.Text, "*") {
		pattern, eq := strings.ToLower(l.Text), op == "eq"
		return func(v map[string]engine.Value) bool {
			s, ok := v[f.Name].AsString()
			if !ok {
				return false
			}
			return wildcardMatch(pattern, strings.ToLower(s)) == eq
		}, nil
	}
	return func(v map[string]engine.Value) bool {
		got := v[f.Name]
		if got.IsNull() {
			return false // SQL semantics: a comparison with null is not true
		}
		n, ok := compareValues(got, want)
		if !ok {
			return false
		}
		switch op {
		case "eq":
			return n == 0
		case "ne":
			return n != 0
		case "gt":
			return n > 0
		case "ge":
			return n >= 0
		case "lt":
			return n < 0
		}
		return n <= 0
	}, nil
}

func compileCall(c call, env *filterEnv) (predicate, error) {
	if !env.functions[c.fn] {
		return nil, fmt.Errorf("the function '%s' is %w", c.fn, errUnsupported)
	}
	if len(c.args) != 2 {
		return nil, fmt.Errorf("the function '%s' takes a property and a string", c.fn)
	}
	prop, pok := c.args[0].(property)
	lit, lok := c.args[1].(constant)
	if !pok || !lok || lit.lit.Kind != litString {
		return nil, fmt.Errorf("the function '%s' takes a property and a string", c.fn)
	}
	f, err := env.field(prop.name)
	if err != nil {
		return nil, err
	}
	if f.Type != plan.String {
		return nil, fmt.Errorf("the function '%s' needs a string property, not '%s'", c.fn, prop.name)
	}
	want := strings.ToLower(lit.lit.Text)
	test := map[string]func(string, string) bool{
		"contains": strings.Contains, "startswith": strings.HasPrefix, "endswith": strings.HasSuffix,
	}[c.fn]
	return func(v map[string]engine.Value) bool {
		s, ok := v[f.Name].AsString()
		return ok && test(strings.ToLower(s), want)
	}, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func opKind(op string) string {
	return map[string]string{"eq": "Equal", "ne": "NotEqual", "gt": "GreaterThan", "ge": "GreaterThanOrEqual",
		"lt": "LessThan", "le": "LessThanOrEqual"}[op]
}

func fieldEdm(f field) string {
	if f.Type == plan.Enum && f.EnumType != "" {
		return f.EnumType
	}
	return edmType(f.Type)
}

// wildcardMatch matches s against an F&O pattern where '*' is any run of
// characters.
func wildcardMatch(pattern, s string) bool {
	// path.Match treats other characters specially: escape them.
	var b strings.Builder
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteRune('*')
		case '?', '[', ']', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	// '/' never matches '*' in path.Match: compare with it replaced.
	ok, _ := path.Match(strings.ReplaceAll(b.String(), "/", "\x00"), strings.ReplaceAll(s, "/", "\x00"))
	return ok
}

// compareValues orders two values of compatible kinds: strings without
// regard to case (both services compare with a case-insensitive
// collation), numbers by value, times by instant.
func compareValues(a, b engine.Value) (int, bool) {
	switch a.Kind() {
	case engine.KindString:
		x, _ := a.AsString()
		y, ok := b.AsString()
		if !ok {
			return 0, false
		}
		return strings.Compare(strings.ToLower(x), strings.ToLower(y)), true
	case engine.KindInt, engine.KindDecimal:
		x, ok1 := a.AsDecimal()
		y, ok2 := b.AsDecimal()
		if !ok1 || !ok2 {
			return 0, false
		}
		rx, ok1 := new(big.Rat).SetString(x)
		ry, ok2 := new(big.Rat).SetString(y)
		if !ok1 || !ok2 {
			return 0, false
		}
		return rx.Cmp(ry), true
	case engine.KindBool:
		x, _ := a.AsBool()
		y, ok := b.AsBool()
		if !ok || x == y {
			return 0, ok
		}
		if !x {
			return -1, true
		}
		return 1, true
	case engine.KindTime:
		x, _ := a.AsTime()
		y, ok := b.AsTime()
		if !ok {
			return 0, false
		}
		return x.Truncate(time.Microsecond).Compare(y.Truncate(time.Microsecond)), true
	}
	return 0, false
}

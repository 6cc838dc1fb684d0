package explore

import (
	"strconv"
	"strings"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// Unique values.
//
// Every value a history writes to a string, decimal, integer or date field
// carries a number drawn from one counter, so each final field value traces
// back to exactly one write, whatever the services did to it on the way
// (trimming, case, rounding, dates to the day):
//
//	string   "v" and the number in base 36, sometimes padded with spaces
//	decimal  the number with ".2" as its fraction (rounding keeps the
//	         integer part)
//	int      the number
//	date     dayZero plus the number of days
//
// Enum members, choices, booleans and lookups cannot be unique; rule checks
// compare them by value where the expected write is known.

// dayZero is the date of token 0.
var dayZero = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// tokenValue returns the value carrying number n for a field of type t, and
// whether the type can carry one. pad surrounds a string with spaces.
func tokenValue(t plan.Type, n int, pad bool) (engine.Value, bool) {
	switch t {
	case plan.String:
		s := "v" + strconv.FormatInt(int64(n), 36)
		if pad {
			s = " " + s + " "
		}
		return engine.String(s), true
	case plan.Decimal:
		return engine.MustDecimal(strconv.Itoa(n) + ".2"), true
	case plan.Int:
		return engine.Int(int64(n)), true
	case plan.Date, plan.DateTime:
		return engine.Time(dayZero.AddDate(0, 0, n)), true
	}
	return engine.Value{}, false
}

// token returns the number a value carries, if it carries one.
func token(v engine.Value) (int, bool) {
	switch v.Kind() {
	case engine.KindString:
		s, _ := v.AsString()
		s = strings.ToLower(strings.TrimSpace(s))
		if len(s) < 2 || s[0] != 'v' {
			return 0, false
		}
		n, err := strconv.ParseInt(s[1:], 36, 32)
		return int(n), err == nil && n > 0
	case engine.KindDecimal:
		d, _ := v.AsDecimal()
		ip, _, _ := strings.Cut(d, ".")
		n, err := strconv.Atoi(ip)
		return n, err == nil && n > 0
	case engine.KindInt:
		n, _ := v.AsInt()
		return int(n), n > 0 && n < 1<<31
	case engine.KindTime:
		t, _ := v.AsTime()
		d := t.Sub(dayZero)
		if d < 0 {
			return 0, false
		}
		n := int(d / (24 * time.Hour))
		return n, n > 0
	}
	return 0, false
}

// traceable reports whether a field's values carry tokens on both sides.
func traceable(f *plan.Field) bool {
	if f.Lookup != nil || len(f.Values) > 0 {
		return false
	}
	ok := func(t plan.Type) bool {
		switch t {
		case plan.String, plan.Decimal, plan.Int, plan.Date, plan.DateTime:
			return true
		}
		return false
	}
	return ok(f.FOType) && ok(f.DVType)
}

package engine

import (
	"strings"
	"unicode/utf8"

	"github.com/dualsync/dualsync/runtime/plan"
)

// Echo suppression.
//
// When the engine writes a field to a side it records the value in that
// side's merge base (as the target stored it, when the acknowledgement says)
// and marks it unconfirmed. The write then comes back through the side's
// change feed. For an unconfirmed field the observed value is compared with
// the base by storedEqual, which forgives what targets do to values they
// store: surrounding white space, letter case, rounding to the field's scale,
// truncation to its maximum length, null for an empty string, sub-second
// time precision. An observation carrying the very version the write was
// acknowledged with is the echo by definition, whatever the values. A
// matching echo is adopted into the base (the base becomes the normalised
// form) and causes no write, so the two sides never ping-pong.
//
// Fields the engine did not write are compared exactly: a user who changes
// only the case of a name made a real change, and it flows.

// storedEqual reports whether a side of type t may have stored written as
// observed.
func (f *fieldInfo) storedEqual(t side, written, observed Value) bool {
	if written.Equal(observed) {
		return true
	}
	switch {
	case isText(written) && isText(observed):
		a, b := strings.TrimSpace(written.s), strings.TrimSpace(observed.s)
		if f.maxLen > 0 {
			a, b = truncate(a, f.maxLen), truncate(b, f.maxLen)
		}
		return strings.EqualFold(a, b)
	case isNumber(written) && isNumber(observed):
		if f.scale < 0 {
			return false
		}
		a, _ := written.AsDecimal()
		b, _ := observed.AsDecimal()
		return roundDecimal(a, f.scale) == roundDecimal(b, f.scale)
	case written.k == KindTime && observed.k == KindTime:
		const second = 1_000_000 // microseconds
		if f.typ[t] == plan.Date {
			const day = 86400 * second
			return floorDiv(written.n, day) == floorDiv(observed.n, day)
		}
		return floorDiv(written.n, second) == floorDiv(observed.n, second)
	}
	return false
}

func isText(v Value) bool   { return v.k == KindString || v.k == KindNull }
func isNumber(v Value) bool { return v.k == KindDecimal || v.k == KindInt }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

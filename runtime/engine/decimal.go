package engine

import (
	"strconv"
	"strings"
)

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// canonDecimal returns the canonical text of a decimal literal: an optional
// minus sign, the integer digits without leading zeros, and the fraction
// without trailing zeros ("-0" is "0"). It returns a substring of s when it
// can, so canonical input costs no allocation.
func canonDecimal(s string) (string, bool) {
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		return expandExponent(s[:i], s[i+1:])
	}
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	intStart := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intEnd := i
	fracStart, fracEnd := i, i
	if i < len(s) && s[i] == '.' {
		i++
		fracStart = i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		fracEnd = i
	}
	if i != len(s) || (intEnd == intStart && fracEnd == fracStart) {
		return "", false
	}
	for intEnd-intStart > 1 && s[intStart] == '0' {
		intStart++
	}
	for fracEnd > fracStart && s[fracEnd-1] == '0' {
		fracEnd--
	}
	intPart := s[intStart:intEnd]
	if (intPart == "" || intPart == "0") && fracEnd == fracStart {
		return "0", true
	}
	var body string
	switch {
	case intPart == "":
		body = "0." + s[fracStart:fracEnd]
	case fracEnd == fracStart:
		body = intPart
	default:
		body = s[intStart:fracEnd]
	}
	if !neg {
		return body, true
	}
	if intStart == 1 && intPart != "" {
		return s[:1+len(body)], true
	}
	return "-" + body, true
}

// expandExponent rewrites mantissa × 10^exp without the exponent.
func expandExponent(mant, exp string) (string, bool) {
	e, err := strconv.Atoi(exp)
	if err != nil || e > 400 || e < -400 || strings.ContainsAny(mant, "eE") {
		return "", false
	}
	m, ok := canonDecimal(mant)
	if !ok {
		return "", false
	}
	neg := strings.HasPrefix(m, "-")
	m = strings.TrimPrefix(m, "-")
	point := strings.IndexByte(m, '.')
	if point < 0 {
		point = len(m)
	}
	digits := strings.Replace(m, ".", "", 1)
	point += e
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	switch {
	case point <= 0:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -point))
		b.WriteString(digits)
	case point >= len(digits):
		b.WriteString(digits)
		b.WriteString(strings.Repeat("0", point-len(digits)))
	default:
		b.WriteString(digits[:point])
		b.WriteByte('.')
		b.WriteString(digits[point:])
	}
	return canonDecimal(b.String())
}

// roundDecimal rounds canonical decimal text to scale fraction digits, half
// away from zero, and returns canonical text.
func roundDecimal(s string, scale int) string {
	if scale < 0 {
		return s
	}
	dot := strings.IndexByte(s, '.')
	if dot < 0 || len(s)-dot-1 <= scale {
		return s
	}
	cut := dot + 1 + scale
	keep := s[:cut]
	if scale == 0 {
		keep = s[:dot]
	}
	if s[cut] < '5' {
		c, _ := canonDecimal(keep)
		return c
	}
	b := []byte(keep)
	i := len(b) - 1
	for ; i >= 0; i-- {
		if b[i] == '.' {
			continue
		}
		if b[i] == '-' {
			break
		}
		if b[i] == '9' {
			b[i] = '0'
			continue
		}
		b[i]++
		break
	}
	if i < 0 || b[i] == '-' {
		at := i + 1
		b = append(b[:at], append([]byte{'1'}, b[at:]...)...)
	}
	c, _ := canonDecimal(string(b))
	return c
}

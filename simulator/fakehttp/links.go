package fakehttp

import (
	"strings"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// odataLiteral writes a value as an OData literal for a field of type t:
// strings (and enum members, on F&O as plain strings) quoted with single
// quotes doubled, GUIDs, numbers and booleans bare.
func odataLiteral(t plan.Type, v engine.Value) string {
	switch v.Kind() {
	case engine.KindNull:
		return "null"
	case engine.KindString:
		s, _ := v.AsString()
		if t == plan.Guid || t == plan.Lookup {
			return s
		}
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	case engine.KindTime:
		tm, _ := v.AsTime()
		if t == plan.Date {
			return tm.Format(time.DateOnly)
		}
		return tm.UTC().Format(time.RFC3339)
	}
	return string(appendValue(nil, t, v))
}

// escapeLiteral percent-encodes a key segment for a URL path: unreserved
// characters, quotes, '=' and ',' stay.
func escapeLiteral(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\'' || c == '-' || c == '.' || c == '_' || c == '~' || c == '=' || c == ',' ||
			('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

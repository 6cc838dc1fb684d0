package engine

import "strings"

// JoinKey builds a record key from its integration key values, in the order
// of the plan's Key fields (company first when the map is company-specific):
// JoinKey("usmf", "US-001") is "usmf|US-001". A '|' or '\' inside a value is
// escaped with '\', so any values round-trip through SplitKey.
func JoinKey(parts ...string) string {
	n := 0
	plain := true
	for _, p := range parts {
		n += len(p) + 1
		if strings.ContainsAny(p, `|\`) {
			plain = false
		}
	}
	if plain {
		return strings.Join(parts, "|")
	}
	var b strings.Builder
	b.Grow(n)
	for i, p := range parts {
		if i > 0 {
			b.WriteByte('|')
		}
		for j := 0; j < len(p); j++ {
			if p[j] == '|' || p[j] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(p[j])
		}
	}
	return b.String()
}

// SplitKey returns the values JoinKey joined.
func SplitKey(key string) []string {
	if !strings.Contains(key, `\`) {
		return strings.Split(key, "|")
	}
	var parts []string
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		switch c := key[i]; {
		case c == '\\' && i+1 < len(key):
			i++
			b.WriteByte(key[i])
		case c == '|':
			parts = append(parts, b.String())
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	return append(parts, b.String())
}

package fake

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/dualsync/dualsync/runtime/engine"
)

// Dataverse addresses a record in a URL segment: by primary id,
// accounts(<guid>), or by alternate key, accounts(accountnumber='ABC'),
// where a lookup column of the key is written _<name>_value=<guid> and a
// single quote inside a string is doubled. These helpers format and parse
// that segment; the HTTP layer percent-encodes it.

// KeyPart is one column of an alternate key.
type KeyPart struct {
	Field string
	Value engine.Value
	// Lookup marks a lookup column: the value is the referenced GUID.
	Lookup bool
}

// reservedKeyChars cannot appear in a key value used to address a record
// (a documented limitation of Dataverse).
const reservedKeyChars = `/<>*%&:\?+`

// Addressable reports whether a key value can be used in an alternate-key
// address.
func Addressable(v engine.Value) bool {
	return !strings.ContainsAny(text(v), reservedKeyChars)
}

// FormatKey writes the parenthesised key segment, without the parentheses.
func FormatKey(parts []KeyPart) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(',')
		}
		if p.Lookup {
			fmt.Fprintf(&b, "_%s_value=%s", p.Field, text(p.Value))
			continue
		}
		b.WriteString(p.Field)
		b.WriteByte('=')
		b.WriteString(literal(p.Value))
	}
	return b.String()
}

// literal is an OData literal for a key value.
func literal(v engine.Value) string {
	switch v.Kind() {
	case engine.KindInt, engine.KindDecimal, engine.KindBool:
		return text(v)
	}
	return "'" + strings.ReplaceAll(text(v), "'", "''") + "'"
}

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// IsGUID reports whether s is a GUID in its usual form.
func IsGUID(s string) bool { return guidRE.MatchString(s) }

// ParseKey parses a key segment (without parentheses): a bare GUID
// addresses by primary id, name=value pairs by alternate key (a
// _<name>_value pair is the lookup column <name>, its value the GUID).
func ParseKey(seg string) (Addr, error) {
	seg = strings.TrimSpace(seg)
	if IsGUID(seg) {
		return Addr{ID: strings.ToLower(seg)}, nil
	}
	key := Key{}
	rest := seg
	for rest != "" {
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return Addr{}, fmt.Errorf("key %q: want name=value pairs", seg)
		}
		name := strings.TrimSpace(rest[:eq])
		rest = rest[eq+1:]
		var v engine.Value
		if strings.HasPrefix(rest, "'") {
			var b strings.Builder
			i := 1
			closed := false
			for i < len(rest) {
				if rest[i] == '\'' {
					if i+1 < len(rest) && rest[i+1] == '\'' {
						b.WriteByte('\'')
						i += 2
						continue
					}
					closed = true
					i++
					break
				}
				b.WriteByte(rest[i])
				i++
			}
			if !closed {
				return Addr{}, fmt.Errorf("key %q: unterminated string", seg)
			}
			v = engine.String(b.String())
			rest = rest[i:]
		} else {
			end := strings.IndexByte(rest, ',')
			if end < 0 {
				end = len(rest)
			}
			lit := strings.TrimSpace(rest[:end])
			rest = rest[end:]
			switch {
			case IsGUID(lit):
				v = engine.String(strings.ToLower(lit))
			case lit == "true" || lit == "false":
				v = engine.Bool(lit == "true")
			default:
				if n, err := strconv.ParseInt(lit, 10, 64); err == nil {
					v = engine.Int(n)
				} else if d, err := engine.Decimal(lit); err == nil {
					v = d
				} else {
					return Addr{}, fmt.Errorf("key %q: bad literal %q", seg, lit)
				}
			}
		}
		if strings.HasPrefix(name, "_") && strings.HasSuffix(name, "_value") && len(name) > len("__value") {
			name = name[1 : len(name)-len("_value")]
		}
		if _, dup := key[name]; dup {
			return Addr{}, fmt.Errorf("key %q: %s given twice", seg, name)
		}
		key[name] = v
		rest = strings.TrimSpace(rest)
		if rest != "" {
			if rest[0] != ',' {
				return Addr{}, fmt.Errorf("key %q: want ',' after %s", seg, name)
			}
			rest = strings.TrimSpace(rest[1:])
			if rest == "" {
				return Addr{}, fmt.Errorf("key %q: trailing ','", seg)
			}
		}
	}
	if len(key) == 0 {
		return Addr{}, fmt.Errorf("empty key")
	}
	return Addr{Key: key}, nil
}

// ParsePath parses "/<set>(<key>)", the value of an @odata.bind.
func ParsePath(path string) (set string, at Addr, err error) {
	p := strings.TrimPrefix(path, "/")
	open := strings.IndexByte(p, '(')
	if open <= 0 || !strings.HasSuffix(p, ")") {
		return "", Addr{}, fmt.Errorf("bind %q: want /<set>(<key>)", path)
	}
	at, err = ParseKey(p[open+1 : len(p)-1])
	return p[:open], at, err
}

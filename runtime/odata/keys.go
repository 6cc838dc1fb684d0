package odata

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// A key segment is the parenthesised part of a record's URL:
// CustomersV3(dataAreaId='usmf',CustomerAccount='US-001') on F&O,
// accounts(accountnumber='X',_msdyn_company_value=<guid>) on Dataverse.
// String literals are quoted with single quotes, a quote inside is doubled,
// and the whole segment is percent-encoded for the URL path.

// keyPart is one name=value pair of a key segment.
type keyPart struct {
	name string
	// lit is the OData literal, already quoted when it is a string.
	lit string
}

// reservedKeyChars cannot appear in a Dataverse key value used to address
// a record (a documented limitation of the Web API): such records are read
// with a $filter query and written by primary id.
const reservedKeyChars = `/<>*%&:\?+`

// addressable reports whether a Dataverse alternate-key value can be used in
// a URL key segment.
func addressable(s string) bool { return !strings.ContainsAny(s, reservedKeyChars) }

// errNotAddressable is wrapped when a key value cannot be put in a
// Dataverse URL.
var errNotAddressable = errors.New("the value contains one of " + reservedKeyChars + ", which Dataverse cannot address a record by")

// quoteString returns s as an OData string literal: in single quotes, with
// each single quote doubled.
func quoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// isGUID reports whether s is a GUID in its usual form.
func isGUID(s string) bool { return guidRE.MatchString(s) }

var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// keyLiteral returns the OData literal of a key value of type t, given as
// key text (one part of engine.SplitKey).
func keyLiteral(t plan.Type, s string) (string, error) {
	switch t {
	case plan.Int:
		if _, err := strconv.ParseInt(s, 10, 64); err != nil {
			return "", fmt.Errorf("%q is not an integer", s)
		}
		return s, nil
	case plan.Decimal:
		if _, err := engine.Decimal(s); err != nil || strings.ContainsAny(s, "eE") {
			return "", fmt.Errorf("%q is not a decimal", s)
		}
		return s, nil
	case plan.Bool:
		if s != "true" && s != "false" {
			return "", fmt.Errorf("%q is not a boolean", s)
		}
		return s, nil
	case plan.Guid:
		if !isGUID(s) {
			return "", fmt.Errorf("%q is not a GUID", s)
		}
		return s, nil
	case plan.Date:
		if !dateRE.MatchString(s) {
			return "", fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
		}
		return s, nil
	}
	return quoteString(s), nil
}

// formatKey writes the key segment with parentheses, percent-encoded for a
// URL path: (a='x',b=1).
func formatKey(parts []keyPart) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(p.name)
		b.WriteByte('=')
		b.WriteString(escapeLiteral(p.lit))
	}
	b.WriteByte(')')
	return b.String()
}

// escapeLiteral percent-encodes a literal for a path segment: unreserved
// characters and the single quote stay, every other byte (including
// unicode, spaces, '/', '?', '#', '%', '(', ')', ',' and '=') is encoded.
func escapeLiteral(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\'' || c == '-' || c == '.' || c == '_' || c == '~' ||
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

// escapeQuery percent-encodes a query option's value; spaces become %20
// (never '+', which OData services may read as a plus sign).
func escapeQuery(s string) string {
	var b strings.Builder
	for _, r := range []byte(s) {
		switch {
		case r == ' ':
			b.WriteString("%20")
		case r == '\'' || r == '(' || r == ')' || r == ',' || r == '$' || r == ':' || r == '-' ||
			r == '.' || r == '_' || r == '~' || r == '/' ||
			('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z'):
			b.WriteByte(r)
		default:
			const hex = "0123456789ABCDEF"
			b.WriteByte('%')
			b.WriteByte(hex[r>>4])
			b.WriteByte(hex[r&15])
		}
	}
	return b.String()
}

// query is an ordered list of query options.
type query [][2]string

func (q query) add(name, value string) query { return append(q, [2]string{name, value}) }

// encode writes the options as name=value&..., values escaped.
func (q query) encode() string {
	var b strings.Builder
	for i, kv := range q {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(kv[0])
		b.WriteByte('=')
		b.WriteString(escapeQuery(kv[1]))
	}
	return b.String()
}

// splitKey splits key text into the values of map m's key fields.
func splitKey(m *plan.Map, key string) ([]string, error) {
	parts := engine.SplitKey(key)
	if len(parts) != len(m.Key) {
		return nil, fmt.Errorf("key %q of map %s has %d parts, want %d", key, m.Name, len(parts), len(m.Key))
	}
	return parts, nil
}

// foKey returns the F&O key segment of key text under map m: every key
// field, dataAreaId included.
func foKey(m *plan.Map, key string) (string, error) {
	vals, err := splitKey(m, key)
	if err != nil {
		return "", err
	}
	parts := make([]keyPart, len(m.Key))
	for i, kf := range m.Key {
		lit, err := keyLiteral(kf.Type, vals[i])
		if err != nil {
			return "", fmt.Errorf("key %q of map %s: %s: %w", key, m.Name, kf.FO, err)
		}
		parts[i] = keyPart{name: kf.FO, lit: lit}
	}
	return formatKey(parts), nil
}

// dvKeyParts returns the Dataverse alternate-key parts of key text under
// map m, with companyID the GUID of the key's company (ignored when the
// map is not company-specific). A value Dataverse cannot address by fails
// with an error wrapping errNotAddressable.
func dvKeyParts(m *plan.Map, key, companyID string) ([]keyPart, error) {
	vals, err := splitKey(m, key)
	if err != nil {
		return nil, err
	}
	parts := make([]keyPart, len(m.Key))
	for i, kf := range m.Key {
		if kf.Company {
			if !isGUID(companyID) {
				return nil, fmt.Errorf("key %q of map %s: company %q has no Dataverse id", key, m.Name, vals[i])
			}
			parts[i] = keyPart{name: "_" + kf.DV + "_value", lit: companyID}
			continue
		}
		if !addressable(vals[i]) {
			return nil, fmt.Errorf("key %q of map %s: %s: %w", key, m.Name, kf.DV, errNotAddressable)
		}
		lit, err := keyLiteral(kf.Type, vals[i])
		if err != nil {
			return nil, fmt.Errorf("key %q of map %s: %s: %w", key, m.Name, kf.DV, err)
		}
		parts[i] = keyPart{name: kf.DV, lit: lit}
	}
	return parts, nil
}

// dvKeyFilter returns a $filter expression selecting the record with key
// text under map m: the fallback for values that cannot be addressed.
func dvKeyFilter(m *plan.Map, key, companyID string) (string, error) {
	vals, err := splitKey(m, key)
	if err != nil {
		return "", err
	}
	var terms []string
	for i, kf := range m.Key {
		if kf.Company {
			if !isGUID(companyID) {
				return "", fmt.Errorf("key %q of map %s: company %q has no Dataverse id", key, m.Name, vals[i])
			}
			terms = append(terms, "_"+kf.DV+"_value eq "+companyID)
			continue
		}
		lit, err := keyLiteral(kf.Type, vals[i])
		if err != nil {
			return "", fmt.Errorf("key %q of map %s: %s: %w", key, m.Name, kf.DV, err)
		}
		terms = append(terms, kf.DV+" eq "+lit)
	}
	return strings.Join(terms, " and "), nil
}

// companyOf returns the company part of key text under map m, "" when the
// map is not company-specific.
func companyOf(m *plan.Map, key string) string {
	vals := engine.SplitKey(key)
	for i, kf := range m.Key {
		if kf.Company && i < len(vals) {
			return vals[i]
		}
	}
	return ""
}

// companyKeyed reports whether map m's key includes the company.
func companyKeyed(m *plan.Map) bool {
	for _, k := range m.Key {
		if k.Company {
			return true
		}
	}
	return false
}

// businessKey returns the single non-company key field of map m, or nil
// when it has several: only such maps can be the target of a one-field F&O
// lookup.
func businessKey(m *plan.Map) *plan.KeyField {
	var k *plan.KeyField
	for i := range m.Key {
		if m.Key[i].Company {
			continue
		}
		if k != nil {
			return nil
		}
		k = &m.Key[i]
	}
	return k
}

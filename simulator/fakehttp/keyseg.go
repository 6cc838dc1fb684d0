package fakehttp

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// Resource paths. After the service root a request names an entity set,
// optionally a record by its key in parentheses, and optionally a segment
// after a slash ($count, a bound action, a property):
//
//	CustomersV3(dataAreaId='usmf',CustomerAccount='US-001')
//	accounts(_msdyn_company_value=<guid>,accountnumber='O''Brien')
//	accounts/Microsoft.Dynamics.CRM.UpsertMultiple
//
// The path is percent-decoded first; the key parser then honours quotes,
// so that a decoded '/', ',' or ')' inside a string literal stays in it.

// litKind is the kind of an OData literal.
type litKind int

const (
	litString litKind = iota + 1
	litInt
	litDecimal
	litBool
	litNull
	litGUID
	litDate
	litDateTime
	litEnum
)

// literal is one OData literal: Text is a string's unescaped value or the
// literal as written; an enum literal has its qualified type in EnumType
// and its member in Text.
type literal struct {
	Kind     litKind
	Text     string
	EnumType string
}

var (
	guidRE     = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	dateRE     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	dateTimeRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$`)
	intRE      = regexp.MustCompile(`^-?\d+[lL]?$`)
	decimalRE  = regexp.MustCompile(`^-?\d+(\.\d+)?([eE][+-]?\d+)?[mMdDfF]?$`)
	identRE    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	qualRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$`)
)

// classify returns the literal written without quotes as word.
func classify(word string) (literal, bool) {
	switch {
	case word == "null":
		return literal{Kind: litNull, Text: word}, true
	case word == "true" || word == "false":
		return literal{Kind: litBool, Text: word}, true
	case guidRE.MatchString(word):
		return literal{Kind: litGUID, Text: strings.ToLower(word)}, true
	case dateRE.MatchString(word):
		if _, err := time.Parse(time.DateOnly, word); err != nil {
			return literal{}, false
		}
		return literal{Kind: litDate, Text: word}, true
	case dateTimeRE.MatchString(word):
		if _, err := parseDateTime(word); err != nil {
			return literal{}, false
		}
		return literal{Kind: litDateTime, Text: word}, true
	case intRE.MatchString(word):
		w := strings.TrimRight(word, "lL")
		if _, err := strconv.ParseInt(w, 10, 64); err != nil {
			return literal{Kind: litDecimal, Text: w}, true
		}
		return literal{Kind: litInt, Text: w}, true
	case decimalRE.MatchString(word):
		return literal{Kind: litDecimal, Text: strings.TrimRight(word, "mMdDfF")}, true
	}
	return literal{}, false
}

func parseDateTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	// Seconds may be left out: 2024-01-02T03:04Z.
	t, err := time.Parse("2006-01-02T15:04Z07:00", s)
	return t.UTC(), err
}

// scanString reads a quoted string literal starting at a quote, s[i], and
// returns its value and the index after the closing quote.
func scanString(s string, i int) (string, int, error) {
	var b strings.Builder
	for j := i + 1; j < len(s); j++ {
		if s[j] != '\'' {
			b.WriteByte(s[j])
			continue
		}
		if j+1 < len(s) && s[j+1] == '\'' {
			b.WriteByte('\'')
			j++
			continue
		}
		return b.String(), j + 1, nil
	}
	return "", 0, errors.New("unterminated string literal")
}

// keyPair is one part of a key segment; Name is "" for the shorthand of a
// single-field key, Set(<value>).
type keyPair struct {
	Name string
	Lit  literal
}

// resource is a parsed resource path.
type resource struct {
	Set    string
	HasKey bool
	Key    []keyPair
	// Rest is what follows the set or key after a slash.
	Rest string
}

// maxKeyParts bounds a key segment.
const maxKeyParts = 32

// parseResource parses a percent-decoded resource path.
func parseResource(p string) (resource, error) {
	var r resource
	i := strings.IndexAny(p, "(/")
	if i < 0 {
		i = len(p)
	}
	r.Set = p[:i]
	if r.Set == "" {
		return r, errors.New("no entity set in the path")
	}
	if i < len(p) && p[i] == '(' {
		key, n, err := parseKey(p, i)
		if err != nil {
			return r, err
		}
		r.HasKey, r.Key = true, key
		i = n
	}
	if i < len(p) {
		if p[i] != '/' {
			return r, fmt.Errorf("unexpected %q after the key", p[i:])
		}
		r.Rest = p[i+1:]
	}
	return r, nil
}

// parseKey parses the key segment starting at p[i] == '(' and returns its
// pairs and the index after the closing parenthesis.
func parseKey(p string, i int) ([]keyPair, int, error) {
	var out []keyPair
	i++ // '('
	for {
		i = skipSpace(p, i)
		if i < len(p) && p[i] == ')' && len(out) == 0 {
			return nil, 0, errors.New("empty key")
		}
		// name=
		name := ""
		j := i
		for j < len(p) && (isIdentByte(p[j])) {
			j++
		}
		if k := skipSpace(p, j); j > i && k < len(p) && p[k] == '=' {
			name = p[i:j]
			i = skipSpace(p, k+1)
		}
		lit, n, err := scanKeyLiteral(p, i)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, keyPair{Name: name, Lit: lit})
		if len(out) > maxKeyParts {
			return nil, 0, errors.New("too many key parts")
		}
		i = skipSpace(p, n)
		if i >= len(p) {
			return nil, 0, errors.New("unterminated key")
		}
		switch p[i] {
		case ')':
			if len(out) > 1 {
				for _, kp := range out {
					if kp.Name == "" {
						return nil, 0, errors.New("a key of several parts names each part")
					}
				}
			}
			return out, i + 1, nil
		case ',':
			i++
		default:
			return nil, 0, fmt.Errorf("unexpected %q in the key", p[i])
		}
	}
}

func skipSpace(p string, i int) int {
	for i < len(p) && p[i] == ' ' {
		i++
	}
	return i
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '.' || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

// scanKeyLiteral reads one literal of a key segment at p[i].
func scanKeyLiteral(p string, i int) (literal, int, error) {
	if i < len(p) && p[i] == '\'' {
		s, n, err := scanString(p, i)
		if err != nil {
			return literal{}, 0, err
		}
		return literal{Kind: litString, Text: s}, n, nil
	}
	j := i
	for j < len(p) && p[j] != ',' && p[j] != ')' && p[j] != '\'' && p[j] != ' ' {
		j++
	}
	word := p[i:j]
	if j < len(p) && p[j] == '\'' && qualRE.MatchString(word) {
		s, n, err := scanString(p, j)
		if err != nil {
			return literal{}, 0, err
		}
		return literal{Kind: litEnum, Text: s, EnumType: word}, n, nil
	}
	lit, ok := classify(word)
	if !ok {
		return literal{}, 0, fmt.Errorf("%q is not a literal", word)
	}
	return lit, j, nil
}

// value converts a literal to a value for a field of type t, or reports
// that the literal does not fit the type.
func (l literal) value(t plan.Type) (engine.Value, bool) {
	switch l.Kind {
	case litNull:
		return engine.Null(), true
	case litString:
		switch t {
		case plan.String, plan.Enum, "":
			return engine.String(l.Text), true
		}
	case litEnum:
		if t == plan.Enum {
			return engine.String(l.Text), true
		}
	case litGUID:
		switch t {
		case plan.Guid, plan.Lookup, "":
			return engine.String(l.Text), true
		}
	case litInt:
		n, err := strconv.ParseInt(l.Text, 10, 64)
		if err != nil {
			return engine.Value{}, false
		}
		switch t {
		case plan.Int, plan.Choice, "":
			return engine.Int(n), true
		case plan.Decimal:
			return engine.MustDecimal(l.Text), true
		}
	case litDecimal:
		if t == plan.Decimal || t == "" {
			d, err := engine.Decimal(l.Text)
			return d, err == nil
		}
	case litBool:
		if t == plan.Bool || t == "" {
			return engine.Bool(l.Text == "true"), true
		}
	case litDate:
		d, _ := time.Parse(time.DateOnly, l.Text)
		if t == plan.Date || t == plan.DateTime {
			return engine.Time(d), true
		}
	case litDateTime:
		d, err := parseDateTime(l.Text)
		if err == nil && (t == plan.DateTime || t == plan.Date) {
			return engine.Time(d), true
		}
	}
	return engine.Value{}, false
}

// edmOf names the literal's type in messages.
func (l literal) edmOf() string {
	switch l.Kind {
	case litString:
		return "Edm.String"
	case litInt:
		return "Edm.Int32"
	case litDecimal:
		return "Edm.Decimal"
	case litBool:
		return "Edm.Boolean"
	case litGUID:
		return "Edm.Guid"
	case litDate:
		return "Edm.Date"
	case litDateTime:
		return "Edm.DateTimeOffset"
	case litEnum:
		return l.EnumType
	}
	return "null"
}

// reservedKeyChars cannot appear in a key value in a request's URL: the
// documented Dataverse limitation, and the request-path validation of the
// web server in front of F&O.
const reservedKeyChars = `/<>*%&:\?+`

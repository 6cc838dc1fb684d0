package compiler

import (
	"fmt"
	"strings"
)

// Source filters. A map may filter the rows it takes from each side:
//
//   - F&O filters use the query-range expression syntax of X++ queries, as
//     dual-write's source filters do: the whole expression and every
//     subexpression in parentheses, X++ operators (== != < <= > >= like,
//     && || !), strings in double quotes with backslash escapes, numbers,
//     true/false, enum literals (Enum::Member) and the entity's field names:
//     ((PartyType == "Organization") || (CustomerGroupId != "10")).
//   - Dataverse filters use OData $filter: eq ne gt ge lt le, and or not,
//     parentheses, strings in single quotes with '' for a quote, numbers,
//     true/false/null, GUIDs, dates, the table's column names (with
//     _x_value for a lookup column and a/b for a navigation path) and the
//     string functions contains, startswith, endswith, tolower, toupper,
//     trim and length: statecode eq 0 and contains(name,'Contoso').
//
// The parsers are strict: what they accept is what the services accept and
// means what it looks like. Both report the first error with a 1-based byte
// column inside the filter text, and return the field names the filter uses
// so that the checker can look them up in the catalog.

// filterError is a parse error at a 1-based byte column of the filter.
type filterError struct {
	Col int
	Msg string
}

func (e *filterError) Error() string { return fmt.Sprintf("column %d: %s", e.Col, e.Msg) }

// filterRef is a field named in a filter and the column where it starts.
type filterRef struct {
	Name string
	Col  int
}

// filterNode is a parsed filter: an operator with its operands, a function
// call, or a leaf (a field name or a literal, kept as written).
type filterNode struct {
	Op   string // operator or function name; "" for a leaf
	Text string // a leaf as written
	Call bool   // Op is a function called with Args
	Args []*filterNode
	Col  int
	kind filterKind
}

// filterKind tells conditions from values in OData.
type filterKind int

const (
	kindValue  filterKind = iota // a value: literal, arithmetic-free function
	kindBool                     // a condition
	kindEither                   // a field or true/false: a value or a condition
)

// String renders n fully parenthesised, for tests and messages.
func (n *filterNode) String() string {
	switch {
	case n.Op == "":
		return n.Text
	case n.Call:
		args := make([]string, len(n.Args))
		for i, a := range n.Args {
			args[i] = a.String()
		}
		return n.Op + "(" + strings.Join(args, ", ") + ")"
	case len(n.Args) == 1:
		return "(" + n.Op + " " + n.Args[0].String() + ")"
	}
	return "(" + n.Args[0].String() + " " + n.Op + " " + n.Args[1].String() + ")"
}

// maxFilterDepth bounds nesting, so hostile input cannot exhaust the stack.
const maxFilterDepth = 64

type tokKind int

const (
	tEOF tokKind = iota
	tLParen
	tRParen
	tComma
	tOp      // operator: == != < <= > >= like && || ! (F&O); eq ... not (OData)
	tIdent   // field name (OData: possibly a/b path)
	tString  // string literal
	tNumber  // number literal
	tLiteral // other literal: true, false, null, enum, GUID, date
)

type ftok struct {
	kind tokKind
	text string // as written
	col  int
	call bool // OData: an identifier directly followed by "("
}

func errAt(col int, format string, args ...any) *filterError {
	return &filterError{Col: col, Msg: fmt.Sprintf(format, args...)}
}

func describe(t ftok) string {
	switch t.kind {
	case tEOF:
		return "the end of the filter"
	case tString:
		return "string " + t.text
	case tIdent:
		return fmt.Sprintf("%q", t.text)
	}
	return fmt.Sprintf("%q", t.text)
}

func isIdentStart(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || '0' <= c && c <= '9' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// identEnd returns the end of the identifier starting at i.
func identEnd(s string, i int) int {
	for i < len(s) && isIdentChar(s[i]) {
		i++
	}
	return i
}

// numberEnd returns the end of a number ([-]digits[.digits]) at i, or i.
func numberEnd(s string, i int, exponent bool) int {
	j := i
	if j < len(s) && s[j] == '-' {
		j++
	}
	start := j
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if j == start {
		return i
	}
	if j+1 < len(s) && s[j] == '.' && isDigit(s[j+1]) {
		j++
		for j < len(s) && isDigit(s[j]) {
			j++
		}
	}
	if exponent && j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && isDigit(s[k]) {
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			j = k
		}
	}
	return j
}

// cursor walks a filter's tokens; both syntaxes' parsers embed it.
type cursor struct {
	toks  []ftok
	i     int
	depth int
	refs  []filterRef
}

func (p *cursor) peek() ftok { return p.toks[p.i] }

func (p *cursor) next() ftok {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

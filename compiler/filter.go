package compiler

import (
	"fmt"
	"regexp"
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

// ---- F&O query-range syntax ----

func lexFO(s string) ([]ftok, error) {
	var toks []ftok
	i := 0
	for {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i == len(s) {
			return append(toks, ftok{kind: tEOF, col: i + 1}), nil
		}
		c, col := s[i], i+1
		two := ""
		if i+1 < len(s) {
			two = s[i : i+2]
		}
		switch {
		case c == '(':
			toks = append(toks, ftok{kind: tLParen, text: "(", col: col})
			i++
		case c == ')':
			toks = append(toks, ftok{kind: tRParen, text: ")", col: col})
			i++
		case two == "==" || two == "!=" || two == "<=" || two == ">=" || two == "&&" || two == "||":
			toks = append(toks, ftok{kind: tOp, text: two, col: col})
			i += 2
		case two == "<>":
			return nil, errAt(col, "use != for not equal, not <>")
		case c == '<' || c == '>' || c == '!':
			toks = append(toks, ftok{kind: tOp, text: string(c), col: col})
			i++
		case c == '=':
			return nil, errAt(col, "use == to compare, not =")
		case c == '&':
			return nil, errAt(col, "use && for and, not &")
		case c == '|':
			return nil, errAt(col, "use || for or, not |")
		case c == '\'':
			return nil, errAt(col, "strings are written in double quotes in a query range")
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return nil, errAt(col, "string is not closed: add the closing \"")
			}
			toks = append(toks, ftok{kind: tString, text: s[i : j+1], col: col})
			i = j + 1
		case isDigit(c) || c == '-' && i+1 < len(s) && isDigit(s[i+1]):
			j := numberEnd(s, i, false)
			if j < len(s) && isIdentChar(s[j]) {
				return nil, errAt(j+1, "unexpected %q after number %s", s[j], s[i:j])
			}
			toks = append(toks, ftok{kind: tNumber, text: s[i:j], col: col})
			i = j
		case isIdentStart(c):
			j := identEnd(s, i)
			word := s[i:j]
			if strings.HasPrefix(s[j:], "::") {
				k := identEnd(s, j+2)
				if k == j+2 {
					return nil, errAt(j+3, "expected an enum member after %s::", word)
				}
				toks = append(toks, ftok{kind: tLiteral, text: s[i:k], col: col})
				i = k
				continue
			}
			switch strings.ToLower(word) {
			case "like":
				toks = append(toks, ftok{kind: tOp, text: "like", col: col})
			case "true", "false":
				toks = append(toks, ftok{kind: tLiteral, text: word, col: col})
			case "and", "or", "not":
				return nil, errAt(col, "a query range writes && || and !, not %q", word)
			default:
				if j < len(s) && s[j] == '.' {
					return nil, errAt(j+1, "unexpected \".\": a source filter names the entity's own fields, without a data source")
				}
				toks = append(toks, ftok{kind: tIdent, text: word, col: col})
			}
			i = j
		default:
			return nil, errAt(col, "unexpected character %q", rune(c))
		}
	}
}

type foParser struct {
	toks  []ftok
	i     int
	depth int
	refs  []filterRef
}

// parseFOFilter parses an F&O source filter in query-range syntax.
func parseFOFilter(s string) (*filterNode, []filterRef, error) {
	toks, err := lexFO(s)
	if err != nil {
		return nil, nil, err
	}
	p := &foParser{toks: toks}
	t := p.peek()
	switch {
	case t.kind == tEOF:
		return nil, nil, errAt(1, "the filter is empty: remove it or write a condition such as (Field == \"value\")")
	case t.kind != tLParen:
		return nil, nil, errAt(t.col, "enclose the whole filter in parentheses, e.g. (Field == \"value\")")
	}
	n, err := p.group()
	if err != nil {
		return nil, nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		if t.kind == tOp && (t.text == "&&" || t.text == "||") {
			return nil, nil, errAt(t.col, "enclose the whole filter in parentheses: ((A == 1) %s (B == 2))", t.text)
		}
		return nil, nil, errAt(t.col, "unexpected %s after the end of the expression", describe(t))
	}
	return n, p.refs, nil
}

func (p *foParser) peek() ftok { return p.toks[p.i] }

func (p *foParser) next() ftok {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func isRelFO(t ftok) bool {
	if t.kind != tOp {
		return false
	}
	switch t.text {
	case "==", "!=", "<", "<=", ">", ">=", "like":
		return true
	}
	return false
}

func isLogicFO(t ftok) bool { return t.kind == tOp && (t.text == "&&" || t.text == "||") }

// group parses "(" body ")": a comparison of two operands, or conditions
// joined by one logical operator.
func (p *foParser) group() (*filterNode, error) {
	open := p.next() // "("
	if p.depth++; p.depth > maxFilterDepth {
		return nil, errAt(open.col, "the filter nests more than %d levels", maxFilterDepth)
	}
	defer func() { p.depth-- }()
	t := p.peek()
	if t.kind == tRParen {
		return nil, errAt(t.col, "empty parentheses: write a condition such as (Field == \"value\")")
	}
	var n *filterNode
	if t.kind == tLParen || t.kind == tOp && t.text == "!" {
		c, err := p.cond()
		if err != nil {
			return nil, err
		}
		n = c
		var op string
		for isLogicFO(p.peek()) {
			o := p.next()
			if op != "" && o.text != op {
				return nil, errAt(o.col, "%s and %s are mixed in one pair of parentheses: put each part in its own parentheses, e.g. (((A == 1) && (B == 2)) || (C == 3))", op, o.text)
			}
			op = o.text
			r, err := p.cond()
			if err != nil {
				return nil, err
			}
			n = &filterNode{Op: o.text, Args: []*filterNode{n, r}, Col: o.col}
		}
	} else {
		l, err := p.operand()
		if err != nil {
			return nil, err
		}
		o := p.peek()
		switch {
		case isRelFO(o):
		case o.kind == tRParen:
			return nil, errAt(o.col, "(%s) is not a comparison: write (%s == value)", l.Text, l.Text)
		case isLogicFO(o):
			return nil, errAt(o.col, "%s needs parenthesised conditions on both sides, e.g. ((A == 1) %s (B == 2))", o.text, o.text)
		default:
			return nil, errAt(o.col, "expected a comparison operator (==, !=, <, <=, >, >=, like) after %s, found %s", l.Text, describe(o))
		}
		p.next()
		r, err := p.operand()
		if err != nil {
			return nil, err
		}
		n = &filterNode{Op: o.text, Args: []*filterNode{l, r}, Col: o.col}
		if t := p.peek(); isLogicFO(t) {
			return nil, errAt(t.col, "put each comparison in its own parentheses, e.g. ((A == 1) %s (B == 2))", t.text)
		} else if isRelFO(t) {
			return nil, errAt(t.col, "comparisons cannot be chained: join them with && or ||, each in its own parentheses")
		}
	}
	if t := p.next(); t.kind != tRParen {
		if t.kind == tEOF {
			return nil, errAt(t.col, "missing ) to close the ( at column %d", open.col)
		}
		return nil, errAt(t.col, "expected ) to close the ( at column %d, found %s", open.col, describe(t))
	}
	return n, nil
}

// cond parses a parenthesised condition, possibly negated.
func (p *foParser) cond() (*filterNode, error) {
	t := p.peek()
	switch {
	case t.kind == tOp && t.text == "!":
		p.next()
		if p.depth++; p.depth > maxFilterDepth {
			return nil, errAt(t.col, "the filter nests more than %d levels", maxFilterDepth)
		}
		defer func() { p.depth-- }()
		x, err := p.cond()
		if err != nil {
			return nil, err
		}
		return &filterNode{Op: "!", Args: []*filterNode{x}, Col: t.col}, nil
	case t.kind == tLParen:
		return p.group()
	case t.kind == tEOF:
		return nil, errAt(t.col, "unexpected end of the filter: expected a parenthesised condition")
	}
	return nil, errAt(t.col, "expected a parenthesised condition, found %s: each side of && and || needs its own parentheses", describe(t))
}

// operand parses a field name or a literal.
func (p *foParser) operand() (*filterNode, error) {
	t := p.peek()
	switch t.kind {
	case tIdent:
		p.next()
		p.refs = append(p.refs, filterRef{Name: t.text, Col: t.col})
		return &filterNode{Text: t.text, Col: t.col}, nil
	case tString, tNumber, tLiteral:
		p.next()
		return &filterNode{Text: t.text, Col: t.col}, nil
	case tEOF:
		return nil, errAt(t.col, "unexpected end of the filter: expected a field name or a value")
	}
	return nil, errAt(t.col, "expected a field name or a value, found %s", describe(t))
}

// ---- OData $filter ----

var (
	guidRE = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}`)
	dateRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2}))?`)
)

// odataFuncs lists the supported functions with their arity and kind.
var odataFuncs = map[string]struct {
	arity int
	kind  filterKind
}{
	"contains":   {2, kindBool},
	"startswith": {2, kindBool},
	"endswith":   {2, kindBool},
	"tolower":    {1, kindValue},
	"toupper":    {1, kindValue},
	"trim":       {1, kindValue},
	"length":     {1, kindValue},
}

func lexDV(s string) ([]ftok, error) {
	var toks []ftok
	i := 0
	for {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i == len(s) {
			return append(toks, ftok{kind: tEOF, col: i + 1}), nil
		}
		c, col := s[i], i+1
		switch {
		case c == '(':
			toks = append(toks, ftok{kind: tLParen, text: "(", col: col})
			i++
		case c == ')':
			toks = append(toks, ftok{kind: tRParen, text: ")", col: col})
			i++
		case c == ',':
			toks = append(toks, ftok{kind: tComma, text: ",", col: col})
			i++
		case c == '\'':
			j := i + 1
			for {
				if j >= len(s) {
					return nil, errAt(col, "string is not closed: add the closing ' (a quote inside a string is written '')")
				}
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			toks = append(toks, ftok{kind: tString, text: s[i : j+1], col: col})
			i = j + 1
		case c == '"':
			return nil, errAt(col, "OData strings are written in single quotes, e.g. 'text'")
		case guidRE.MatchString(s[i:]) && (i+36 == len(s) || !isIdentChar(s[i+36]) && s[i+36] != '-'):
			toks = append(toks, ftok{kind: tLiteral, text: s[i : i+36], col: col})
			i += 36
		case isDigit(c) && dateRE.MatchString(s[i:]):
			j := i + len(dateRE.FindString(s[i:]))
			if j < len(s) && (isIdentChar(s[j]) || s[j] == ':' || s[j] == '-') {
				return nil, errAt(j+1, "malformed date or time %s", s[i:j+1])
			}
			toks = append(toks, ftok{kind: tLiteral, text: s[i:j], col: col})
			i = j
		case isDigit(c) || c == '-' && i+1 < len(s) && isDigit(s[i+1]):
			j := numberEnd(s, i, true)
			if j < len(s) && (isIdentChar(s[j]) || strings.IndexByte(".-:", s[j]) >= 0) {
				return nil, errAt(j+1, "unexpected %q after number %s", s[j], s[i:j])
			}
			toks = append(toks, ftok{kind: tNumber, text: s[i:j], col: col})
			i = j
		case isIdentStart(c):
			j := identEnd(s, i)
			for j+1 < len(s) && s[j] == '/' && isIdentStart(s[j+1]) {
				j = identEnd(s, j+1)
			}
			word := s[i:j]
			if j < len(s) && s[j] == '.' {
				return nil, errAt(j+1, "unexpected \".\": qualified names and query functions are not supported in a source filter")
			}
			if j < len(s) && s[j] == '/' {
				return nil, errAt(j+1, "expected a column name after /")
			}
			switch word {
			case "eq", "ne", "gt", "ge", "lt", "le", "and", "or", "not":
				toks = append(toks, ftok{kind: tOp, text: word, col: col})
			case "true", "false", "null":
				toks = append(toks, ftok{kind: tLiteral, text: word, col: col})
			case "has", "in", "add", "sub", "mul", "div", "mod":
				return nil, errAt(col, "operator %q is not supported in a Dataverse source filter", word)
			default:
				switch lw := strings.ToLower(word); lw {
				case "eq", "ne", "gt", "ge", "lt", "le", "and", "or", "not", "true", "false", "null":
					return nil, errAt(col, "OData keywords are lowercase: write %s, not %s", lw, word)
				}
				toks = append(toks, ftok{kind: tIdent, text: word, col: col, call: j < len(s) && s[j] == '('})
			}
			i = j
		default:
			switch c {
			case '=', '!', '<', '>', '&', '|':
				return nil, errAt(col, "OData writes eq, ne, lt, le, gt, ge, and, or and not instead of symbols like %q", rune(c))
			}
			return nil, errAt(col, "unexpected character %q", rune(c))
		}
	}
}

type dvParser struct {
	toks  []ftok
	i     int
	depth int
	refs  []filterRef
}

// parseDVFilter parses a Dataverse source filter in OData $filter syntax.
func parseDVFilter(s string) (*filterNode, []filterRef, error) {
	toks, err := lexDV(s)
	if err != nil {
		return nil, nil, err
	}
	p := &dvParser{toks: toks}
	if p.peek().kind == tEOF {
		return nil, nil, errAt(1, "the filter is empty: remove it or write a condition such as statecode eq 0")
	}
	n, err := p.or()
	if err != nil {
		return nil, nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		if t.kind == tIdent || t.kind == tString || t.kind == tNumber || t.kind == tLiteral {
			return nil, nil, errAt(t.col, "expected an operator (eq, ne, gt, ge, lt, le, and, or) before %s", describe(t))
		}
		return nil, nil, errAt(t.col, "unexpected %s", describe(t))
	}
	if n.kind == kindValue {
		return nil, nil, errAt(n.Col, "the filter must be a condition, e.g. statecode eq 0")
	}
	return n, p.refs, nil
}

func (p *dvParser) peek() ftok { return p.toks[p.i] }

func (p *dvParser) next() ftok {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *dvParser) isOp(words ...string) bool {
	t := p.peek()
	if t.kind != tOp {
		return false
	}
	for _, w := range words {
		if t.text == w {
			return true
		}
	}
	return false
}

func (p *dvParser) enter(col int) error {
	if p.depth++; p.depth > maxFilterDepth {
		return errAt(col, "the filter nests more than %d levels", maxFilterDepth)
	}
	return nil
}

// condition checks that n can stand where a condition is needed.
func condition(n *filterNode, op string) error {
	if n.kind == kindValue {
		return errAt(n.Col, "%s needs a condition, but %s is a value: compare it, e.g. %s eq ...", op, n.String(), n.String())
	}
	return nil
}

func (p *dvParser) or() (*filterNode, error) {
	return p.logical("or", p.and)
}

func (p *dvParser) and() (*filterNode, error) {
	return p.logical("and", p.compare)
}

func (p *dvParser) logical(op string, sub func() (*filterNode, error)) (*filterNode, error) {
	l, err := sub()
	if err != nil {
		return nil, err
	}
	for p.isOp(op) {
		o := p.next()
		if err := condition(l, op); err != nil {
			return nil, err
		}
		r, err := sub()
		if err != nil {
			return nil, err
		}
		if err := condition(r, op); err != nil {
			return nil, err
		}
		l = &filterNode{Op: op, Args: []*filterNode{l, r}, Col: o.col, kind: kindBool}
	}
	return l, nil
}

func (p *dvParser) compare() (*filterNode, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	if !p.isOp("eq", "ne", "gt", "ge", "lt", "le") {
		return l, nil
	}
	o := p.next()
	if l.kind == kindBool {
		if l.Op == "not" {
			return nil, errAt(l.Col, "not applies to what follows it directly: write not (%s %s ...)", l.Args[0].String(), o.text)
		}
		return nil, errAt(o.col, "%s compares a condition: compare a column or a value instead", o.text)
	}
	r, err := p.unary()
	if err != nil {
		return nil, err
	}
	if r.kind == kindBool {
		return nil, errAt(r.Col, "%s compares with a condition: compare with a value instead", o.text)
	}
	if p.isOp("eq", "ne", "gt", "ge", "lt", "le") {
		return nil, errAt(p.peek().col, "comparisons cannot be chained: join them with and")
	}
	return &filterNode{Op: o.text, Args: []*filterNode{l, r}, Col: o.col, kind: kindBool}, nil
}

func (p *dvParser) unary() (*filterNode, error) {
	if !p.isOp("not") {
		return p.primary()
	}
	t := p.next()
	if err := p.enter(t.col); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	x, err := p.unary()
	if err != nil {
		return nil, err
	}
	if err := condition(x, "not"); err != nil {
		return nil, err
	}
	return &filterNode{Op: "not", Args: []*filterNode{x}, Col: t.col, kind: kindBool}, nil
}

func (p *dvParser) primary() (*filterNode, error) {
	t := p.peek()
	switch t.kind {
	case tLParen:
		p.next()
		if err := p.enter(t.col); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		if p.peek().kind == tRParen {
			return nil, errAt(p.peek().col, "empty parentheses")
		}
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, errAt(c.col, "expected ) to close the ( at column %d, found %s", t.col, describe(c))
		}
		return x, nil
	case tString, tNumber:
		p.next()
		return &filterNode{Text: t.text, Col: t.col, kind: kindValue}, nil
	case tLiteral:
		p.next()
		k := kindValue
		if t.text == "true" || t.text == "false" {
			k = kindEither
		}
		return &filterNode{Text: t.text, Col: t.col, kind: k}, nil
	case tIdent:
		p.next()
		if t.call {
			return p.call(t)
		}
		if _, ok := odataFuncs[t.text]; ok && p.peek().kind == tLParen {
			return nil, errAt(p.peek().col, "no space is allowed between %s and (", t.text)
		}
		p.refs = append(p.refs, filterRef{Name: t.text, Col: t.col})
		return &filterNode{Text: t.text, Col: t.col, kind: kindEither}, nil
	case tEOF:
		return nil, errAt(t.col, "unexpected end of the filter: expected a column, a value or (")
	}
	return nil, errAt(t.col, "expected a column, a value or (, found %s", describe(t))
}

func (p *dvParser) call(name ftok) (*filterNode, error) {
	f, ok := odataFuncs[name.text]
	if !ok {
		return nil, errAt(name.col, "unknown function %s: a Dataverse source filter supports contains, startswith, endswith, tolower, toupper, trim and length", name.text)
	}
	open := p.next() // "("
	if err := p.enter(open.col); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	n := &filterNode{Op: name.text, Call: true, Col: name.col, kind: f.kind}
	for {
		if p.peek().kind == tRParen && len(n.Args) == 0 {
			break
		}
		a, err := p.or()
		if err != nil {
			return nil, err
		}
		if a.kind == kindBool {
			return nil, errAt(a.Col, "%s takes values, not conditions", name.text)
		}
		n.Args = append(n.Args, a)
		if p.peek().kind != tComma {
			break
		}
		p.next()
	}
	if c := p.next(); c.kind != tRParen {
		return nil, errAt(c.col, "expected , or ) in the arguments of %s, found %s", name.text, describe(c))
	}
	if len(n.Args) != f.arity {
		return nil, errAt(name.col, "%s takes %d argument(s), not %d", name.text, f.arity, len(n.Args))
	}
	return n, nil
}

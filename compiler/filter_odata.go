package compiler

import (
	"regexp"
	"strings"
)

// The OData $filter syntax of Dataverse source filters (see filter.go).

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

type dvParser struct{ cursor }

// parseDVFilter parses a Dataverse source filter in OData $filter syntax.
func parseDVFilter(s string) (*filterNode, []filterRef, error) {
	toks, err := lexDV(s)
	if err != nil {
		return nil, nil, err
	}
	p := &dvParser{cursor{toks: toks}}
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

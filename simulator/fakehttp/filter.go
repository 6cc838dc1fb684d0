package fakehttp

import (
	"errors"
	"fmt"
)

// $filter: a parser for the subset both services share, and a compiler
// that checks an expression against an entity set's fields and returns a
// predicate over records.
//
//	expr    = or
//	or      = and { "or" and }
//	and     = unary { "and" unary }
//	unary   = "not" unary | compare
//	compare = operand [ ("eq"|"ne"|"gt"|"ge"|"lt"|"le") operand ]
//	operand = "(" expr ")" | literal | property | function "(" args ")"
//
// "has" and "in" (and arithmetic) are refused with an error saying so.

// expr is a parsed $filter expression.
type expr interface{ exprNode() }

type (
	logical struct {
		op   string // "and", "or"
		l, r expr
	}
	negation   struct{ x expr }
	comparison struct {
		op   string
		l, r expr
	}
	property struct{ name string }
	constant struct{ lit literal }
	call     struct {
		fn   string
		args []expr
	}
)

func (logical) exprNode()    {}
func (negation) exprNode()   {}
func (comparison) exprNode() {}
func (property) exprNode()   {}
func (constant) exprNode()   {}
func (call) exprNode()       {}

// errUnsupported marks a construct the service does not support (as
// opposed to a syntax error).
var errUnsupported = errors.New("not supported")

// token kinds of the tokenizer.
type tokKind int

const (
	tEOF tokKind = iota
	tLParen
	tRParen
	tComma
	tWord // identifier or keyword
	tLit
)

type token struct {
	kind tokKind
	text string
	lit  literal
}

type filterParser struct {
	toks  []token
	pos   int
	depth int
}

// maxFilterDepth bounds the nesting of an expression.
const maxFilterDepth = 64

// parseFilter parses a $filter value.
func parseFilter(s string) (expr, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	p := &filterParser{toks: toks}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, fmt.Errorf("syntax error at %q", t.text)
	}
	return e, nil
}

func tokenize(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			out = append(out, token{kind: tLParen, text: "("})
			i++
		case c == ')':
			out = append(out, token{kind: tRParen, text: ")"})
			i++
		case c == ',':
			out = append(out, token{kind: tComma, text: ","})
			i++
		case c == '\'':
			str, n, err := scanString(s, i)
			if err != nil {
				return nil, err
			}
			out = append(out, token{kind: tLit, text: s[i:n], lit: literal{Kind: litString, Text: str}})
			i = n
		default:
			j := i
			for j < len(s) && wordByte(s[j]) {
				j++
			}
			if j == i {
				return nil, fmt.Errorf("syntax error at %q", s[i:])
			}
			word := s[i:j]
			if j < len(s) && s[j] == '\'' && qualRE.MatchString(word) {
				str, n, err := scanString(s, j)
				if err != nil {
					return nil, err
				}
				out = append(out, token{kind: tLit, text: s[i:n], lit: literal{Kind: litEnum, Text: str, EnumType: word}})
				i = n
				continue
			}
			if identRE.MatchString(word) && word != "null" && word != "true" && word != "false" {
				out = append(out, token{kind: tWord, text: word})
			} else if lit, ok := classify(word); ok {
				out = append(out, token{kind: tLit, text: word, lit: lit})
			} else if qualRE.MatchString(word) {
				out = append(out, token{kind: tWord, text: word})
			} else {
				return nil, fmt.Errorf("syntax error at %q", word)
			}
			i = j
		}
	}
	return out, nil
}

func wordByte(c byte) bool {
	return isIdentByte(c) || c == '-' || c == ':' || c == '+' || c == '$'
}

func (p *filterParser) peek() token {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return token{kind: tEOF, text: "end of input"}
}

func (p *filterParser) next() token {
	t := p.peek()
	if p.pos < len(p.toks) {
		p.pos++
	}
	return t
}

func (p *filterParser) isWord(w string) bool {
	t := p.peek()
	return t.kind == tWord && t.text == w
}

func (p *filterParser) enter() error {
	p.depth++
	if p.depth > maxFilterDepth {
		return errors.New("the expression is nested too deeply")
	}
	return nil
}

func (p *filterParser) or() (expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isWord("or") {
		p.next()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = logical{op: "or", l: l, r: r}
	}
	return l, nil
}

func (p *filterParser) and() (expr, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.isWord("and") {
		p.next()
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = logical{op: "and", l: l, r: r}
	}
	return l, nil
}

func (p *filterParser) unary() (expr, error) {
	if p.isWord("not") {
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		p.next()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return negation{x: x}, nil
	}
	return p.compare()
}

var compareOps = map[string]bool{"eq": true, "ne": true, "gt": true, "ge": true, "lt": true, "le": true}

func (p *filterParser) compare() (expr, error) {
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if t.kind != tWord {
		return l, nil
	}
	switch t.text {
	case "has", "in":
		return nil, fmt.Errorf("the '%s' operator is %w", t.text, errUnsupported)
	case "add", "sub", "mul", "div", "divby", "mod":
		return nil, fmt.Errorf("arithmetic ('%s') is %w", t.text, errUnsupported)
	}
	if !compareOps[t.text] {
		return l, nil
	}
	p.next()
	r, err := p.operand()
	if err != nil {
		return nil, err
	}
	if nt := p.peek(); nt.kind == tWord && compareOps[nt.text] {
		return nil, fmt.Errorf("syntax error at %q", nt.text)
	}
	return comparison{op: t.text, l: l, r: r}, nil
}

func (p *filterParser) operand() (expr, error) {
	t := p.next()
	switch t.kind {
	case tLParen:
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, fmt.Errorf("syntax error: want ')' at %q", c.text)
		}
		return e, nil
	case tLit:
		return constant{lit: t.lit}, nil
	case tWord:
		switch t.text {
		case "and", "or", "not", "eq", "ne", "gt", "ge", "lt", "le", "has", "in":
			return nil, fmt.Errorf("syntax error at %q", t.text)
		}
		if p.peek().kind == tLParen {
			if err := p.enter(); err != nil {
				return nil, err
			}
			defer func() { p.depth-- }()
			p.next()
			var args []expr
			if p.peek().kind != tRParen {
				for {
					a, err := p.or()
					if err != nil {
						return nil, err
					}
					args = append(args, a)
					if p.peek().kind != tComma {
						break
					}
					p.next()
				}
			}
			if c := p.next(); c.kind != tRParen {
				return nil, fmt.Errorf("syntax error: want ')' at %q", c.text)
			}
			return call{fn: t.text, args: args}, nil
		}
		return property{name: t.text}, nil
	}
	return nil, fmt.Errorf("syntax error at %q", t.text)
}

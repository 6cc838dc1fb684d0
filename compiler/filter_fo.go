package compiler

import (
	"strings"
)

// The F&O query-range syntax of dual-write source filters (see filter.go).

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

type foParser struct{ cursor }

// parseFOFilter parses an F&O source filter in query-range syntax.
func parseFOFilter(s string) (*filterNode, []filterRef, error) {
	toks, err := lexFO(s)
	if err != nil {
		return nil, nil, err
	}
	p := &foParser{cursor{toks: toks}}
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

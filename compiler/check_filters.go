package compiler

import (
	"strconv"
	"strings"

	"github.com/dualsync/dualsync/runtime/plan"
)

// checkFilters parses each source filter (DS200), looks up the fields it
// names (DS201) and reports a filter on a side the map never reads (DS202).
//
// Positions: the message always gives the column inside the filter text.
// The diagnostic sits at that column of the author's file when the filter's
// literal can only have been written one way: one line of printable ASCII
// without quotes or backslashes, which nobody writes other than "...". A
// filter with a double quote (every F&O filter comparing text) may be
// written with escapes or as a raw #"..."# string, and the source model does
// not keep which; such a diagnostic sits at the start of the literal.
func checkFilters(c *checker) {
	for _, m := range c.src.Maps {
		dir := plan.Direction(m.Direction.V)
		for _, side := range []plan.Side{plan.FO, plan.DV} {
			ft := m.FilterFO
			if side == plan.DV {
				ft = m.FilterDV
			}
			if !ft.Set {
				continue
			}
			path := m.Path + ".filter." + string(side)
			if !dir.Flows(side) {
				c.report(ft.Pos, CodeFilterNotSource, path,
					"filter.%s never applies: the map flows %s, so %s is never a source; remove it or filter on the %s side",
					side, dir, systemName(side), systemName(side.Other()))
				continue
			}
			parse, syntax := parseFOFilter, "query-range"
			if side == plan.DV {
				parse, syntax = parseDVFilter, "OData"
			}
			_, refs, err := parse(ft.V)
			if err != nil {
				fe := err.(*filterError)
				c.report(filterPos(ft, fe.Col), CodeFilterSyntax, path,
					"%s filter does not parse (%s syntax) at column %d: %s", systemName(side), syntax, fe.Col, fe.Msg)
				continue
			}
			checkFilterRefs(c, m, side, ft, path, refs)
		}
	}
}

// checkFilterRefs reports names in a filter that the entity or table does
// not have (DS201).
func checkFilterRefs(c *checker, m *srcMap, side plan.Side, ft text, path string, refs []filterRef) {
	var fields map[string]*FieldMeta
	owner := ""
	switch {
	case side == plan.FO && c.fo[m] != nil:
		fields, owner = c.fo[m].Fields, "entity "+quote(m.FOEntity.V)
	case side == plan.DV && c.dv[m] != nil:
		fields, owner = c.dv[m].Fields, "table "+quote(m.DVTable.V)
	default:
		return
	}
	seen := map[string]bool{}
	for _, r := range refs {
		name := r.Name
		if side == plan.DV {
			name = dvFilterColumn(name, fields)
		}
		if fields[name] != nil || seen[name] {
			continue
		}
		seen[name] = true
		c.report(filterPos(ft, r.Col), CodeFilterField, path,
			"%s filter names %q at column %d, which %s does not have%s", systemName(side), name, r.Col, owner, suggest(name, keysOf(fields)))
	}
}

// dvFilterColumn returns the column an OData member names: the first
// segment of a navigation path, and x for a lookup's _x_value.
func dvFilterColumn(name string, fields map[string]*FieldMeta) string {
	name, _, _ = strings.Cut(name, "/")
	if fields[name] != nil {
		return name
	}
	if inner, ok := strings.CutPrefix(name, "_"); ok {
		if col, ok := strings.CutSuffix(inner, "_value"); ok && fields[col] != nil {
			return col
		}
	}
	return name
}

func quote(s string) string { return strconv.Quote(s) }

// filterPos returns the position of column col of filter ft's text in the
// author's file, or the position of the literal when that is ambiguous.
func filterPos(ft text, col int) plan.Pos {
	for i := 0; i < len(ft.V); i++ {
		if c := ft.V[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return ft.Pos
		}
	}
	p := ft.Pos
	if p.Line > 0 {
		p.Col += col // the literal's opening quote is at p.Col
	}
	return p
}

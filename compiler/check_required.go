package compiler

import (
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"cuelang.org/go/cue"

	"github.com/dualsync/dualsync/runtime/plan"
)

// Checks that creates on a target side can succeed: every required field
// gets a value (DS110), and every default or constant fits the field it is
// written to (DS111).

// checkRequired reports, for each side a map creates rows on, every
// required field that nothing supplies: no key pair, no mapping flowing into
// that side, no constant and no default (DS110). Read-only fields and the
// fields the service or the key fills in (the Dataverse primary id, company
// lookup and modified time; F&O dataAreaId, the entity key and modified
// time) are exempt.
func checkRequired(c *checker) {
	for _, m := range c.src.Maps {
		fe, dt := c.fo[m], c.dv[m]
		if fe == nil || dt == nil {
			continue
		}
		md := plan.Direction(m.Direction.V)
		if md.Flows(plan.FO) {
			exempt := []string{dt.PrimaryID, dt.CompanyField, dt.ModifiedField, m.DVModified.V}
			c.reportUnsupplied(m, plan.DV, dt.Fields, exempt)
		}
		if md.Flows(plan.DV) {
			exempt := append([]string{"dataAreaId", fe.ModifiedField, m.FOModified.V}, fe.Key...)
			c.reportUnsupplied(m, plan.FO, fe.Fields, exempt)
		}
	}
}

// reportUnsupplied reports the required fields of side target that map m
// leaves without a value.
func (c *checker) reportUnsupplied(m *srcMap, target plan.Side, meta map[string]*FieldMeta, exempt []string) {
	supplied := map[string]bool{}
	for _, e := range exempt {
		supplied[e] = true
	}
	for _, k := range m.Key {
		supplied[sideText(target, k.FO, k.DV).V] = true
	}
	for _, f := range m.Fields {
		name, def := f.DV.V, f.DefaultDV
		if target == plan.FO {
			name, def = f.FO, f.DefaultFO
		}
		if fieldFlows(m, f, target.Other()) || def != nil {
			supplied[name] = true
		}
	}
	for _, k := range m.Constants {
		if k.Side == target {
			supplied[k.Field] = true
		}
	}
	// The fields block when its position is the author's; otherwise the
	// name of the entity or table that needs the field, which always is.
	pos := sideText(target, m.FOEntity, m.DVTable).Pos
	if inAuthorFile(m.FieldsPos) && m.FieldsPos.File == pos.File {
		pos = m.FieldsPos
	}
	for _, name := range keysOf(meta) {
		fm := meta[name]
		if !fm.Required || fm.ReadOnly || supplied[name] {
			continue
		}
		what, table, fix := "column", "table "+m.DVTable.V, fmt.Sprintf("map a field to it, or set constants: dv: %s", name)
		if target == plan.FO {
			what, table, fix = "field", "entity "+m.FOEntity.V, fmt.Sprintf("map it from a column, or set constants: fo: %s", name)
		}
		c.report(pos, CodeRequiredUnmapped, m.Path+".fields",
			"required %s %s %q of %s gets no value: creating %s rows would fail; %s",
			sideLabel(target), what, name, table, sideLabel(target), fix)
	}
}

// sideText picks the text of side s.
func sideText(s plan.Side, fo, dv text) text {
	if s == plan.FO {
		return fo
	}
	return dv
}

// inAuthorFile reports whether p is a position in the author's maps (not
// unknown, not inside the overlaid schema).
func inAuthorFile(p plan.Pos) bool {
	return p.File != "" && p.File != "." && !strings.HasPrefix(p.File, "cue.mod/")
}

// checkDefaults reports defaults and constants that do not fit the type of
// the field they are written to (DS111).
func checkDefaults(c *checker) {
	for _, mf := range c.mappedFields() {
		f := mf.f
		if f.DefaultFO != nil && mf.fo != nil {
			if why := c.scalarMisfit(*f.DefaultFO, mf.fo); why != "" {
				c.report(f.DefaultFO.Pos, CodeDefaultType, f.Path+".default.fo",
					"default %s for F&O field %s %s", f.DefaultFO.JSON, f.FO, why)
			}
		}
		if f.DefaultDV != nil && mf.dv != nil {
			if why := c.scalarMisfit(*f.DefaultDV, mf.dv); why != "" {
				c.report(f.DefaultDV.Pos, CodeDefaultType, f.Path+".default.dv",
					"default %s for Dataverse column %q %s", f.DefaultDV.JSON, f.DV.V, why)
			}
		}
	}
	for _, m := range c.src.Maps {
		fe, dt := c.fo[m], c.dv[m]
		if fe == nil || dt == nil {
			continue
		}
		for _, k := range m.Constants {
			meta := dt.Fields[k.Field]
			if k.Side == plan.FO {
				meta = fe.Fields[k.Field]
			}
			if meta == nil {
				continue
			}
			if why := c.scalarMisfit(k.Value, meta); why != "" {
				target := fmt.Sprintf("Dataverse column %q", k.Field)
				if k.Side == plan.FO {
					target = "F&O field " + k.Field
				}
				c.report(k.Value.Pos, CodeDefaultType, constPath(m, k), "constant %s for %s %s", k.Value.JSON, target, why)
			}
		}
	}
}

var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// scalarMisfit returns why literal s cannot be written to a field described
// by meta ("is a string, but ..."), or "" when it fits.
func (c *checker) scalarMisfit(s srcScalar, meta *FieldMeta) string {
	if s.Kind == cue.NullKind {
		if meta.Required {
			return "is null, but the field is required: give a value or drop it"
		}
		return ""
	}
	wrongKind := func(want string) string {
		return fmt.Sprintf("is %s, but the field is %s: write %s", kindName(s.Kind), meta.Type, want)
	}
	var str string
	isString := s.Kind == cue.StringKind && json.Unmarshal([]byte(s.JSON), &str) == nil
	switch meta.Type {
	case plan.String:
		if !isString {
			return wrongKind("a quoted string")
		}
		if n := utf8.RuneCountInString(str); meta.MaxLength > 0 && n > meta.MaxLength {
			return fmt.Sprintf("is %d characters long, but the field holds at most %d: shorten it", n, meta.MaxLength)
		}
	case plan.Int:
		if s.Kind != cue.IntKind {
			return wrongKind("a whole number")
		}
	case plan.Decimal:
		if s.Kind != cue.IntKind && s.Kind != cue.FloatKind {
			return wrongKind("a number")
		}
	case plan.Bool:
		if s.Kind != cue.BoolKind {
			return wrongKind("true or false")
		}
	case plan.Date:
		if _, err := time.Parse(time.DateOnly, str); !isString || err != nil {
			return wrongKind(`a date such as "2024-01-31"`)
		}
	case plan.DateTime:
		if _, err := time.Parse(time.RFC3339, str); !isString || err != nil {
			return wrongKind(`a time such as "2024-01-31T12:00:00Z"`)
		}
	case plan.Guid:
		if !isString || !guidPattern.MatchString(str) {
			return wrongKind("a GUID string")
		}
	case plan.Lookup:
		if !isString {
			return wrongKind("the related record's key as a string")
		}
	case plan.Enum:
		en := c.cat.FO.Enums[meta.Enum]
		if !isString {
			return wrongKind("a member name of " + shortEnum(meta.Enum))
		}
		if en != nil {
			if _, ok := en.Members[str]; !ok {
				return fmt.Sprintf("is not a member of enum %s: use one of %s", shortEnum(meta.Enum), memberList(en.Members))
			}
		}
	case plan.Choice:
		var n int64
		if s.Kind != cue.IntKind || json.Unmarshal([]byte(s.JSON), &n) != nil {
			return wrongKind("a choice value (an integer)")
		}
		if len(meta.Choices) > 0 && !slices.Contains(valuesOf(meta.Choices), n) {
			return fmt.Sprintf("is not one of the column's choices: use one of %s", memberList(meta.Choices))
		}
	}
	return ""
}

// kindName describes a CUE literal kind with its article.
func kindName(k cue.Kind) string {
	switch k {
	case cue.IntKind:
		return "an int"
	case cue.FloatKind:
		return "a float"
	case cue.StringKind:
		return "a string"
	case cue.BoolKind:
		return "a bool"
	}
	return "a " + k.String()
}

// shortEnum drops the namespace of a qualified enum type name.
func shortEnum(qualified string) string {
	return qualified[strings.LastIndex(qualified, ".")+1:]
}

// memberList lists enum members or choices as "Name (value)", by value.
func memberList(members map[string]int64) string {
	names := keysOf(members)
	slices.SortStableFunc(names, func(a, b string) int { return cmp.Compare(members[a], members[b]) })
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s (%d)", n, members[n])
	}
	return strings.Join(parts, ", ")
}

// valuesOf returns a map's values.
func valuesOf(m map[string]int64) []int64 {
	vs := make([]int64, 0, len(m))
	for _, v := range m {
		vs = append(vs, v)
	}
	return vs
}

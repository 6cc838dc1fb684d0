package compiler

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dualsync/dualsync/runtime/plan"
)

// Type checks between the two sides of a mapping: the types convert
// (DS130), enums and choices meet only through value maps (DS131), text
// fits (DS132), and numbers and times keep their precision (DS133). Each is
// checked for every direction the field really flows.

// conversion says what it takes to carry a value of one type into another.
type conversion int

const (
	// convNone: the types do not convert (DS130).
	convNone conversion = iota
	// convExact: carried as is; lengths and decimal places still apply.
	convExact
	// convLossy: carried, but values lose precision (DS133).
	convLossy
	// convValueMap: an enum member to a choice value or back; needs a value
	// map (DS131 without one).
	convValueMap
	// convEnumOther: an enum or choice to or from text or a number. A value
	// map cannot help (it converts members to choices only): DS131.
	convEnumOther
	// convLookup: a Dataverse lookup carries the related record's key, which
	// F&O holds as text or a number; the field needs lookup: (DS130).
	convLookup
	// convYesNo: an enum to or from a Dataverse yes/no column; only an enum
	// with exactly the members 0 and 1 (NoYes) converts (DS130 otherwise).
	convYesNo
)

// conversions is the compatibility table, from source type to target type.
// A pair that is not listed does not convert. Every class other than exact,
// lossy and none holds both ways (TestConversionsSymmetric).
var conversions = map[[2]plan.Type]conversion{
	{plan.String, plan.String}:     convExact,
	{plan.Guid, plan.Guid}:         convExact,
	{plan.Guid, plan.String}:       convExact,
	{plan.Int, plan.Int}:           convExact,
	{plan.Int, plan.Decimal}:       convExact,
	{plan.Decimal, plan.Decimal}:   convExact,
	{plan.Decimal, plan.Int}:       convLossy,
	{plan.Bool, plan.Bool}:         convExact,
	{plan.Date, plan.Date}:         convExact,
	{plan.Date, plan.DateTime}:     convExact,
	{plan.DateTime, plan.DateTime}: convExact,
	{plan.DateTime, plan.Date}:     convLossy,
	{plan.Enum, plan.Choice}:       convValueMap,
	{plan.Choice, plan.Enum}:       convValueMap,
	{plan.Enum, plan.String}:       convEnumOther,
	{plan.String, plan.Enum}:       convEnumOther,
	{plan.Enum, plan.Int}:          convEnumOther,
	{plan.Int, plan.Enum}:          convEnumOther,
	{plan.Choice, plan.String}:     convEnumOther,
	{plan.String, plan.Choice}:     convEnumOther,
	{plan.Choice, plan.Int}:        convEnumOther,
	{plan.Int, plan.Choice}:        convEnumOther,
	{plan.String, plan.Lookup}:     convLookup,
	{plan.Lookup, plan.String}:     convLookup,
	{plan.Int, plan.Lookup}:        convLookup,
	{plan.Lookup, plan.Int}:        convLookup,
	{plan.Enum, plan.Bool}:         convYesNo,
	{plan.Bool, plan.Enum}:         convYesNo,
}

// convertType classifies carrying a from value into a to field.
func convertType(from, to plan.Type) conversion {
	return conversions[[2]plan.Type{from, to}]
}

// convertsTo lists the types that from can be carried into, sorted.
func convertsTo(from plan.Type) []string {
	var out []string
	for p, cv := range conversions {
		if p[0] == from && cv != convNone {
			out = append(out, string(p[1]))
		}
	}
	slices.Sort(out)
	return out
}

// fieldFlow is one direction a field carries values in.
type fieldFlow struct {
	from     plan.Side
	src, dst *FieldMeta
}

// flows returns the directions the field carries values in, F&O first.
func (mf mappedField) flows() []fieldFlow {
	var out []fieldFlow
	if fieldFlows(mf.m, mf.f, plan.FO) {
		out = append(out, fieldFlow{from: plan.FO, src: mf.fo, dst: mf.dv})
	}
	if fieldFlows(mf.m, mf.f, plan.DV) {
		out = append(out, fieldFlow{from: plan.DV, src: mf.dv, dst: mf.fo})
	}
	return out
}

// name names the field on side s the way messages do.
func (mf mappedField) name(s plan.Side) string {
	if s == plan.FO {
		return "field " + mf.f.FO
	}
	return fmt.Sprintf("column %q", mf.f.DV.V)
}

// way says which way a flow goes, for messages.
func (fl fieldFlow) way() string {
	return fmt.Sprintf("from %s to %s", sideLabel(fl.from), sideLabel(fl.from.Other()))
}

// checkTypes checks every mapping whose two fields are in the catalog.
func checkTypes(c *checker) {
	for _, mf := range c.mappedFields() {
		if mf.fo == nil || mf.dv == nil || mf.fo.Type == "" || mf.dv.Type == "" || isCompanyField(mf.dt, mf.f) {
			continue
		}
		c.checkFieldTypes(mf)
	}
}

func (c *checker) checkFieldTypes(mf mappedField) {
	fls := mf.flows()
	if len(fls) == 0 {
		return // DS150 reports a field that cannot flow
	}
	f, fo, dv := mf.f, mf.fo, mf.dv
	pair := fmt.Sprintf("field %s is F&O %s and column %q is Dataverse %s", f.FO, describeType(fo), f.DV.V, describeType(dv))
	for _, fl := range fls {
		if convertType(fl.src.Type, fl.dst.Type) == convNone {
			c.report(f.Pos, CodeTypeIncompatible, f.Path,
				"%s: %s does not convert to %s (%s converts to %s); map a field of a compatible type",
				pair, fl.src.Type, fl.dst.Type, fl.src.Type, strings.Join(convertsTo(fl.src.Type), ", "))
			return
		}
	}
	// The classes below hold both ways: the first flow decides.
	switch convertType(fls[0].src.Type, fls[0].dst.Type) {
	case convLookup:
		if !f.Lookup.Set {
			c.report(f.Pos, CodeTypeIncompatible, f.Path,
				"%s, which carries the related record's key only through a lookup: %s", pair, c.lookupHint(dv))
		}
		return
	case convYesNo:
		en := c.cat.FO.Enums[fo.Enum]
		if en != nil && !isYesNo(en) {
			c.report(f.Pos, CodeTypeIncompatible, f.Path,
				"%s: only an enum with the members 0 and 1 (such as NoYes) converts to yes/no, and %s has %s; map it to a choice column with a value map",
				pair, shortEnum(fo.Enum), memberList(en.Members))
		}
		return
	case convValueMap:
		if !f.ValuesSet {
			c.report(f.Pos, CodeEnumNoValueMap, f.Path,
				"%s without a value map: add values: {<member>: <choice>, ...} with an entry for every member", pair)
		}
		return
	case convEnumOther:
		fix := "map the enum to a Dataverse choice column with a value map"
		if fo.Type != plan.Enum {
			fix = "map the choice from an F&O enum field with a value map"
		}
		c.report(f.Pos, CodeEnumNoValueMap, f.Path, "%s: a value map converts only between an F&O enum and a Dataverse choice; %s", pair, fix)
		return
	}
	for _, fl := range fls {
		c.checkFlowPrecision(mf, fl)
	}
}

// checkFlowPrecision reports what one direction of a convertible mapping
// loses: text length (DS132), decimal places, digits or the time of day
// (DS133).
func (c *checker) checkFlowPrecision(mf mappedField, fl fieldFlow) {
	f := mf.f
	src, dst := mf.name(fl.from), mf.name(fl.from.Other())
	tail := "widen the target, or make the field flow only the other way"
	// acceptLoss: "<why>" records that truncation or rounding is intended;
	// values that cannot fit at all are never accepted.
	accepted := strings.TrimSpace(f.AcceptLoss.V) != ""
	lossTail := tail + `, or accept it with acceptLoss: "<why>"`
	if convertType(fl.src.Type, fl.dst.Type) == convLossy {
		what := "the decimals would be dropped"
		if fl.src.Type == plan.DateTime {
			what = "the time of day would be lost"
		}
		c.report(f.Pos, CodePrecisionLoss, f.Path, "%s is %s but %s is %s: %s %s; %s",
			src, fl.src.Type, dst, fl.dst.Type, what, fl.way(), tail)
		return
	}
	if fl.dst.Type == plan.String && fl.dst.MaxLength > 0 && !accepted {
		n := fl.src.MaxLength
		if fl.src.Type == plan.Guid {
			n = 36
		}
		switch {
		case n == 0:
			c.report(f.Pos, CodeLengthOverflow, f.Path,
				"%s has no maximum length but %s holds at most %d characters: longer values would be rejected %s; %s",
				src, dst, fl.dst.MaxLength, fl.way(), lossTail)
		case n > fl.dst.MaxLength:
			c.report(f.Pos, CodeLengthOverflow, f.Path,
				"%s holds up to %d characters but %s at most %d: longer values would be rejected %s; %s",
				src, n, dst, fl.dst.MaxLength, fl.way(), lossTail)
		}
	}
	if fl.src.Type == plan.Decimal && fl.dst.Type == plan.Decimal {
		known := fl.dst.Precision > 0 || fl.dst.Scale > 0
		if known && fl.src.Scale > fl.dst.Scale && !accepted {
			c.report(f.Pos, CodePrecisionLoss, f.Path,
				"%s has %d decimal places but %s only %d: values would be rounded %s; %s",
				src, fl.src.Scale, dst, fl.dst.Scale, fl.way(), lossTail)
		}
		si, di := fl.src.Precision-fl.src.Scale, fl.dst.Precision-fl.dst.Scale
		if fl.src.Precision > 0 && fl.dst.Precision > 0 && si > di {
			c.report(f.Pos, CodePrecisionLoss, f.Path,
				"%s holds %d digits before the decimal point but %s only %d: large values would not fit %s; %s",
				src, si, dst, di, fl.way(), tail)
		}
	}
}

// lookupHint says which lookup a Dataverse lookup column needs.
func (c *checker) lookupHint(dv *FieldMeta) string {
	for _, m := range c.src.sorted() {
		if slices.Contains(dv.Targets, m.DVTable.V) {
			return fmt.Sprintf("add lookup: %q", m.Name)
		}
	}
	if len(dv.Targets) > 0 {
		return fmt.Sprintf("add lookup: naming the map that syncs table %s", strings.Join(dv.Targets, " or "))
	}
	return "add lookup: naming the map of the related table"
}

// isYesNo reports whether an enum has exactly the members 0 and 1.
func isYesNo(en *Enum) bool {
	vs := valuesOf(en.Members)
	slices.Sort(vs)
	return slices.Equal(vs, []int64{0, 1})
}

// describeType renders a field's type with its facets, e.g. string(20),
// decimal(32,6), enum ContactMethod.
func describeType(m *FieldMeta) string {
	switch {
	case m.Type == plan.Enum && m.Enum != "":
		return "enum " + shortEnum(m.Enum)
	case m.Type == plan.String && m.MaxLength > 0:
		return fmt.Sprintf("string(%d)", m.MaxLength)
	case m.Type == plan.Decimal && m.Precision > 0:
		return fmt.Sprintf("decimal(%d,%d)", m.Precision, m.Scale)
	}
	return string(m.Type)
}

package compiler

import (
	"slices"

	"github.com/dualsync/dualsync/runtime/plan"
)

// Value map checks: a value map converts F&O enum members to Dataverse
// choice values and back. It belongs on an enum↔choice mapping only
// (DS143), names real members and choices (DS142), covers every value that
// can flow into it (DS140), and reads back unambiguously where values flow
// from Dataverse (DS141).

// checkValueMaps checks the value map of every mapping that has one.
func checkValueMaps(c *checker) {
	for _, mf := range c.mappedFields() {
		f, fo, dv := mf.f, mf.fo, mf.dv
		if !f.ValuesSet || fo == nil || dv == nil {
			continue
		}
		if fo.Type != plan.Enum || dv.Type != plan.Choice {
			c.report(valuesPos(f), CodeValueMapMisuse, f.Path+".values",
				"field %s is F&O %s and column %q is Dataverse %s: a value map converts only an F&O enum to a Dataverse choice; remove values",
				f.FO, describeType(fo), f.DV.V, describeType(dv))
			continue
		}
		en := c.cat.FO.Enums[fo.Enum]
		c.checkValueNames(mf, en)
		if fieldFlows(mf.m, f, plan.DV) {
			c.checkValueInverse(mf, en)
		}
		c.checkValueCoverage(mf, en)
	}
}

// checkValueNames reports entries naming a member the enum lacks or a
// choice value the column lacks (DS142), each at the entry.
func (c *checker) checkValueNames(mf mappedField, en *Enum) {
	f := mf.f
	for _, v := range f.Values {
		path := f.Path + ".values." + quoteLabel(v.Member)
		if en != nil {
			if _, ok := en.Members[v.Member]; !ok {
				c.report(v.Pos, CodeValueMapUnknown, path, "enum %s has no member %q: %s",
					shortEnum(mf.fo.Enum), v.Member, nameHint(v.Member, keysOf(en.Members)))
			}
		}
		if len(mf.dv.Choices) > 0 && !slices.Contains(valuesOf(mf.dv.Choices), v.Choice) {
			c.report(v.Pos, CodeValueMapUnknown, path, "column %q has no choice value %d: use one of %s",
				f.DV.V, v.Choice, memberList(mf.dv.Choices))
		}
	}
}

// checkValueInverse reports a choice value that two members map to on a
// field that carries values from Dataverse (DS141): reading it back to F&O
// would have to guess. Entries that DS142 reports take no part.
func (c *checker) checkValueInverse(mf mappedField, en *Enum) {
	f := mf.f
	first := map[int64]srcValue{}
	for _, v := range f.Values {
		if !knownEntry(v, en, mf.dv) {
			continue
		}
		prev, dup := first[v.Choice]
		if !dup {
			first[v.Choice] = v
			continue
		}
		c.report(v.Pos, CodeValueMapInvert, f.Path+".values."+quoteLabel(v.Member),
			"members %s and %s both map to choice %d, so a Dataverse %d cannot be mapped back to F&O: give each member its own choice, or make the field flow fo_to_dv",
			prev.Member, v.Member, v.Choice, v.Choice)
	}
}

// checkValueCoverage reports values that can flow into the value map but
// have no entry (DS140): enum members going to Dataverse, choice values
// coming back.
func (c *checker) checkValueCoverage(mf mappedField, en *Enum) {
	f := mf.f
	members := map[string]bool{}
	choices := map[int64]bool{}
	for _, v := range f.Values {
		members[v.Member] = true
		choices[v.Choice] = true
	}
	if en != nil && fieldFlows(mf.m, f, plan.FO) {
		missing := map[string]int64{}
		for name, n := range en.Members {
			if !members[name] {
				missing[name] = n
			}
		}
		if len(missing) > 0 {
			c.report(valuesPos(f), CodeValueMapCoverage, f.Path+".values",
				"value map of field %s has no entry for enum %s %s %s: such rows would fail to sync from F&O to Dataverse; add an entry for each",
				f.FO, shortEnum(mf.fo.Enum), nounFor(len(missing), "member", "members"), memberList(missing))
		}
	}
	if len(mf.dv.Choices) > 0 && fieldFlows(mf.m, f, plan.DV) {
		missing := map[string]int64{}
		for label, n := range mf.dv.Choices {
			if !choices[n] {
				missing[label] = n
			}
		}
		if len(missing) > 0 {
			c.report(valuesPos(f), CodeValueMapCoverage, f.Path+".values",
				"value map of field %s maps no member to %s %s of column %q: such rows would fail to sync from Dataverse to F&O; add an entry for each, or make the field flow fo_to_dv",
				f.FO, nounFor(len(missing), "choice", "choices"), memberList(missing), f.DV.V)
		}
	}
}

// nounFor picks the singular or plural noun for n.
func nounFor(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// valuesPos is where a field's value map is reported: the values block when
// its position is in the author's files, else its first entry, else the
// field.
func valuesPos(f *srcField) plan.Pos {
	switch {
	case inAuthorFile(f.ValuesPos):
		return f.ValuesPos
	case len(f.Values) > 0:
		return f.Values[0].Pos
	}
	return f.Pos
}

// knownEntry reports whether a value map entry names a member of en and a
// choice of column dv, as far as the catalog knows them.
func knownEntry(v srcValue, en *Enum, dv *FieldMeta) bool {
	if en != nil {
		if _, ok := en.Members[v.Member]; !ok {
			return false
		}
	}
	return len(dv.Choices) == 0 || slices.Contains(valuesOf(dv.Choices), v.Choice)
}

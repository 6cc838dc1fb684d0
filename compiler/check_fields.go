package compiler

import (
	"fmt"
	"strings"

	"github.com/dualsync/dualsync/runtime/plan"
)

// Field-level checks that need little more than names: every mapped field
// exists on its side (DS103, DS104), flows only the ways its map allows
// (DS150), is not written where it is read-only (DS151), and every target
// field has one writer (DS152).

// fieldFlows reports whether field f of map m carries values from side
// from: the field's own direction, limited to what its map allows. A field
// asking for more is reported once by DS150; the other checks see only what
// can really flow, so that one mistake gives one diagnostic.
func fieldFlows(m *srcMap, f *srcField, from plan.Side) bool {
	return fieldDirection(m, f).Flows(from) && plan.Direction(m.Direction.V).Flows(from)
}

// mappedField is one field of a map whose entity and table are both in the
// catalog, with each side's metadata; fo or dv is nil when the catalog does
// not have that field (DS103, DS104).
type mappedField struct {
	m      *srcMap
	f      *srcField
	fe     *FOEntity
	dt     *DVTable
	fo, dv *FieldMeta
}

// mappedFields returns the fields of every resolved map, in source order.
func (c *checker) mappedFields() []mappedField {
	var out []mappedField
	for _, m := range c.src.Maps {
		fe, dt := c.fo[m], c.dv[m]
		if fe == nil || dt == nil {
			continue
		}
		for _, f := range m.Fields {
			out = append(out, mappedField{m: m, f: f, fe: fe, dt: dt, fo: fe.Fields[f.FO], dv: dt.Fields[f.DV.V]})
		}
	}
	return out
}

// sideLabel names a side the way messages do.
func sideLabel(s plan.Side) string {
	if s == plan.FO {
		return "F&O"
	}
	return "Dataverse"
}

// constPath is the CUE path of a constant.
func constPath(m *srcMap, k srcConst) string {
	return m.Path + ".constants." + string(k.Side) + "." + quoteLabel(k.Field)
}

// nameHint tells the author what to do about a name the catalog lacks.
func nameHint(name string, candidates []string) string {
	if s := suggest(name, candidates); s != "" {
		return strings.TrimPrefix(s, "; ")
	}
	return "check the name, or re-import the metadata if it was added recently"
}

// checkFieldNames reports mapped fields and constants that the catalog does
// not have (DS103, DS104). Each side is checked when it was resolved; an
// unresolved entity or table is reported by DS101/DS102 alone.
func checkFieldNames(c *checker) {
	for _, m := range c.src.Maps {
		fe, dt := c.fo[m], c.dv[m]
		for _, f := range m.Fields {
			if fe != nil && fe.Fields[f.FO] == nil {
				c.report(f.Pos, CodeUnknownFOField, f.Path,
					"field %q is not on F&O entity %s: %s", f.FO, m.FOEntity.V, nameHint(f.FO, keysOf(fe.Fields)))
			}
			if dt != nil && f.DV.Set && dt.Fields[f.DV.V] == nil {
				c.report(f.DV.Pos, CodeUnknownDVField, f.Path+".dv",
					"column %q is not on Dataverse table %s: %s", f.DV.V, m.DVTable.V, nameHint(f.DV.V, keysOf(dt.Fields)))
			}
		}
		for _, k := range m.Constants {
			switch {
			case k.Side == plan.FO && fe != nil && fe.Fields[k.Field] == nil:
				c.report(k.Value.Pos, CodeUnknownFOField, constPath(m, k),
					"constant field %q is not on F&O entity %s: %s", k.Field, m.FOEntity.V, nameHint(k.Field, keysOf(fe.Fields)))
			case k.Side == plan.DV && dt != nil && dt.Fields[k.Field] == nil:
				c.report(k.Value.Pos, CodeUnknownDVField, constPath(m, k),
					"constant column %q is not on Dataverse table %s: %s", k.Field, m.DVTable.V, nameHint(k.Field, keysOf(dt.Fields)))
			}
		}
	}
}

// checkFieldDirections reports a field direction that its one-way map does
// not allow (DS150). A bidirectional map allows every field direction.
func checkFieldDirections(c *checker) {
	for _, m := range c.src.Maps {
		md := plan.Direction(m.Direction.V)
		if md == plan.Bidirectional {
			continue
		}
		for _, f := range m.Fields {
			fd := plan.Direction(f.Direction.V)
			if !f.Direction.Set || fd == md {
				continue
			}
			hint := fmt.Sprintf("remove direction (the map's %s applies), or make the map bidirectional", md)
			if fd != plan.Bidirectional {
				hint = fmt.Sprintf("nothing flows %s in a %s map: remove the field or change the map's direction", fd, md)
			}
			c.report(f.Direction.Pos, CodeDirectionClash, f.Path+".direction",
				"field %s is %s but map %s is %s: %s", f.FO, fd, m.Name, md, hint)
		}
	}
}

// checkReadOnly reports fields and constants written to a side where the
// catalog marks them read-only (DS151), once for each side written.
func checkReadOnly(c *checker) {
	for _, mf := range c.mappedFields() {
		m, f := mf.m, mf.f
		if mf.dv != nil && mf.dv.ReadOnly && fieldFlows(m, f, plan.FO) {
			c.report(f.DV.Pos, CodeReadOnlyTarget, f.Path+".dv",
				"column %q of Dataverse table %s is read-only, but field %s writes it: %s",
				f.DV.V, m.DVTable.V, f.FO, readOnlyHint(m, plan.DV))
		}
		if mf.fo != nil && mf.fo.ReadOnly && fieldFlows(m, f, plan.DV) {
			c.report(f.Pos, CodeReadOnlyTarget, f.Path,
				"field %s of F&O entity %s is read-only, but column %q writes it: %s",
				f.FO, m.FOEntity.V, f.DV.V, readOnlyHint(m, plan.FO))
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
			if meta != nil && meta.ReadOnly {
				c.report(k.Value.Pos, CodeReadOnlyTarget, constPath(m, k),
					"constant %s is written to %s, where it is read-only: remove the constant", k.Field, sideLabel(k.Side))
			}
		}
	}
}

// readOnlyHint says how to stop writing a read-only field on side target.
func readOnlyHint(m *srcMap, target plan.Side) string {
	if plan.Direction(m.Direction.V).Flows(target) {
		// The map also flows from the read-only side: the field can be kept
		// as a one-way copy of it.
		return fmt.Sprintf("set direction: %q so that it is only read there, or remove the mapping", string(target)+"_to_"+string(target.Other()))
	}
	return "remove the mapping"
}

// checkDuplicateTargets reports a target field that two mappings write
// (DS152): two fields naming the same Dataverse column (whichever way they
// flow: one column, one mapping), a field writing a key field paired with
// another field, and a constant that a mapping also writes.
func checkDuplicateTargets(c *checker) {
	for _, m := range c.src.Maps {
		first := map[string]*srcField{}
		dup := map[*srcField]bool{}
		for _, f := range m.Fields {
			if !f.DV.Set {
				continue
			}
			if prev := first[f.DV.V]; prev != nil {
				c.report(f.DV.Pos, CodeDuplicateTarget, f.Path+".dv",
					"column %q is already mapped by field %s at %s: map each Dataverse column once", f.DV.V, prev.FO, prev.DV.Pos)
				dup[f] = true
				continue
			}
			first[f.DV.V] = f
		}
		for _, k := range m.Key {
			if isCompanyPair(c.dv[m], k) {
				continue // DS123 owns the company pair, however it is written
			}
			for _, f := range m.Fields {
				if dup[f] {
					continue // one diagnostic per mapping
				}
				if f.DV.V == k.DV.V && f.FO != k.FO.V && fieldFlows(m, f, plan.FO) {
					c.report(f.DV.Pos, CodeDuplicateTarget, f.Path+".dv",
						"column %q is paired with key field %s, but field %s writes it too: map %s to another column",
						f.DV.V, k.FO.V, f.FO, f.FO)
				}
				if f.FO == k.FO.V && f.DV.V != k.DV.V && fieldFlows(m, f, plan.DV) {
					c.report(f.Pos, CodeDuplicateTarget, f.Path,
						"key field %s is paired with column %q, but column %q writes it too: make %s flow fo_to_dv, or map it to %q",
						f.FO, k.DV.V, f.DV.V, f.FO, k.DV.V)
				}
			}
		}
		for _, k := range m.Constants {
			if w := constantWriter(m, k); w != "" {
				c.report(k.Value.Pos, CodeDuplicateTarget, constPath(m, k),
					"constant %s is also written to %s by %s: remove the constant or that mapping", k.Field, sideLabel(k.Side), w)
			}
		}
	}
}

// constantWriter names the mapping that also writes constant k, or "".
func constantWriter(m *srcMap, k srcConst) string {
	for _, kp := range m.Key {
		if (k.Side == plan.DV && kp.DV.V == k.Field) || (k.Side == plan.FO && kp.FO.V == k.Field) {
			return fmt.Sprintf("the key pair %s/%s", kp.FO.V, kp.DV.V)
		}
	}
	for _, f := range m.Fields {
		switch {
		case k.Side == plan.DV && f.DV.V == k.Field && fieldFlows(m, f, plan.FO):
			return fmt.Sprintf("field %s (%s)", f.FO, f.DV.Pos)
		case k.Side == plan.FO && f.FO == k.Field && fieldFlows(m, f, plan.DV):
			return fmt.Sprintf("column %q (%s)", f.DV.V, f.DV.Pos)
		}
	}
	return ""
}

// isCompanyPair reports whether key pair k names either half of company
// striping: F&O dataAreaId or the table's company lookup. DS123 checks that
// pair; the field checks leave it alone rather than repeat it.
func isCompanyPair(dt *DVTable, k srcKey) bool {
	return k.FO.V == "dataAreaId" || (dt != nil && dt.CompanyField != "" && k.DV.V == dt.CompanyField)
}

// isCompanyField reports whether field f maps either half of company
// striping, which belongs in the key (DS123), not in fields.
func isCompanyField(dt *DVTable, f *srcField) bool {
	return isCompanyPair(dt, srcKey{FO: text{V: f.FO}, DV: f.DV})
}

package compiler

import (
	"fmt"

	"github.com/dualsync/dualsync/runtime/plan"
)

// checker runs the checks over the source model and accumulates diagnostics.
// Each check is a function in a file named for what it checks; they share the
// entities resolved from the catalog here.
type checker struct {
	src   *srcMaps
	cat   *Catalog
	diags Diagnostics
	fo    map[*srcMap]*FOEntity // resolved F&O entity, nil when unknown
	dv    map[*srcMap]*DVTable  // resolved Dataverse table, nil when unknown
	excl  map[string]*srcExclusion
}

// check is one rule over the whole source.
type check func(c *checker)

// checks lists every rule in the order they run. Order does not matter for
// the output, which is sorted.
var checks = []check{
	checkEntities,
	checkFieldNames,       // DS103, DS104
	checkFieldDirections,  // DS150
	checkReadOnly,         // DS151
	checkDuplicateTargets, // DS152
	checkRequired,         // DS110
	checkDefaults,         // DS111
	checkTypes,            // DS130-DS133
	checkValueMaps,        // DS140-DS143
	checkKeys,             // DS120-DS125
	checkConflicts,        // DS160-DS164
	checkLookups,          // DS170-DS172, DS174-DS176
	checkCycles,           // DS173
	checkExclusions,       // DS180, DS181
	checkInitial,          // DS190-DS193, DS210
	checkFilters,          // DS200-DS202
}

func runChecks(src *srcMaps, cat *Catalog) Diagnostics {
	c := &checker{
		src:  src,
		cat:  cat,
		fo:   map[*srcMap]*FOEntity{},
		dv:   map[*srcMap]*DVTable{},
		excl: map[string]*srcExclusion{},
	}
	for _, e := range src.Excludes {
		c.excl[e.Name] = e
	}
	for _, m := range src.Maps {
		c.fo[m] = cat.FO.Entities[m.FOEntity.V]
		c.dv[m] = cat.DV.Tables[m.DVTable.V]
	}
	for _, ck := range checks {
		ck(c)
	}
	c.diags.Sort()
	return c.diags
}

// report adds a diagnostic; the severity comes from the code's table entry.
func (c *checker) report(pos plan.Pos, code, path, format string, args ...any) {
	c.diags = append(c.diags, Diagnostic{
		Pos:      pos,
		Code:     code,
		Severity: severityOf(code),
		Path:     path,
		Message:  fmt.Sprintf(format, args...),
	})
}

// resolved reports whether both sides of m were found in the catalog.
func (c *checker) resolved(m *srcMap) bool { return c.fo[m] != nil && c.dv[m] != nil }

// fieldDirection returns the effective direction of a field.
func fieldDirection(m *srcMap, f *srcField) plan.Direction {
	if f.Direction.Set {
		return plan.Direction(f.Direction.V)
	}
	return plan.Direction(m.Direction.V)
}

// checkEntities resolves both sides of every map against the catalog.
func checkEntities(c *checker) {
	for _, m := range c.src.Maps {
		if c.fo[m] == nil {
			c.report(m.FOEntity.Pos, CodeUnknownEntity, m.Path+".fo.entity",
				"F&O entity %q is not in the catalog%s", m.FOEntity.V, suggest(m.FOEntity.V, keysOf(c.cat.FO.Entities)))
		}
		t := c.dv[m]
		if t == nil {
			c.report(m.DVTable.Pos, CodeUnknownTable, m.Path+".dv.table",
				"Dataverse table %q is not in the catalog%s", m.DVTable.V, suggest(m.DVTable.V, keysOf(c.cat.DV.Tables)))
			continue
		}
		if t.Kind == "virtual" || t.Kind == "elastic" {
			c.report(m.DVTable.Pos, CodeUnsupportedTable, m.Path+".dv.table",
				"Dataverse table %q is a %s table: it has no row version and cannot be synced", t.LogicalName, t.Kind)
		}
		if m.DVSet.Set && m.DVSet.V != t.EntitySet {
			c.report(m.DVSet.Pos, CodeEntitySetMismatch, m.Path+".dv.set",
				"dv.set is %q but table %q's entity set is %q", m.DVSet.V, t.LogicalName, t.EntitySet)
		}
	}
}

package compiler

import (
	"strings"

	"github.com/dualsync/dualsync/runtime/plan"
)

// Exclusions. exclude.<name> records an entity that must not sync, the side
// that owns it and why; a map that syncs it anyway contradicts a decision
// somebody documented.

// checkExclusions reports DS180 and DS181.
func checkExclusions(c *checker) {
	for _, e := range c.src.Excludes {
		if !e.FO.Set && !e.DV.Set {
			c.report(e.Pos, CodeExclusionNoWhy, e.Path,
				"exclusion %q names no entity: set fo (the F&O entity set) or dv (the Dataverse table), or both", e.Name)
		}
		switch {
		case !e.Why.Set:
			c.report(e.Pos, CodeExclusionNoWhy, e.Path+".why",
				"exclusion %q does not say why: add why, so nobody maps it later without knowing the reason", e.Name)
		case strings.TrimSpace(e.Why.V) == "":
			c.report(e.Why.Pos, CodeExclusionNoWhy, e.Path+".why",
				"exclusion %q has a blank why: say why it must not sync", e.Name)
		default:
			checkWhy(c, e.Why, e.Path+".why", "exclusion rationale")
		}
	}
	for _, m := range c.src.Maps {
		for _, e := range c.src.Excludes {
			if e.FO.Set && e.FO.V == m.FOEntity.V {
				c.report(m.FOEntity.Pos, CodeExcludedSynced, m.Path+".fo.entity",
					"F&O entity %q is excluded by exclude.%s (%s): remove this map, or the exclusion if the decision changed",
					m.FOEntity.V, e.Name, exclusionReason(e))
			}
			if e.DV.Set && e.DV.V == m.DVTable.V {
				c.report(m.DVTable.Pos, CodeExcludedSynced, m.Path+".dv.table",
					"Dataverse table %q is excluded by exclude.%s (%s): remove this map, or the exclusion if the decision changed",
					m.DVTable.V, e.Name, exclusionReason(e))
			}
		}
	}
}

func exclusionReason(e *srcExclusion) string {
	owner := "owned by " + systemName(plan.Side(e.Owner.V))
	if w := strings.TrimSpace(e.Why.V); w != "" {
		return owner + ": " + w
	}
	return owner
}

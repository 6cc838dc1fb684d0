// Package review turns compiled plans into material for the people who review
// a change to the table maps: a semantic diff between two plans with a risk
// for every change, text and Markdown renderings of that diff, and Markdown
// documentation of a single plan.
//
// # Diff
//
// Diff compares two plans map by map (maps are matched by name, fields by
// their F&O name) and reports what a reviewer has to judge, not what bytes
// moved: a winner that changed, a value-map entry that disappeared, a key that
// now pairs different records. Source positions, descriptions and the plan
// digest are not compared. Each Change carries a stable Kind, the map and
// field it concerns, short Old and New values, a Risk and a one-line Reason,
// and the position of the entry in the new plan's sources (in the old plan's
// for a removal) so a reviewer can jump to it.
//
// Changes are sorted by map, field and kind (then old and new value), so the
// same two plans always give the same list. Plan-level changes (catalog,
// exclusions) have no map and sort first.
//
// # Risk policy
//
// High: a change that re-pairs or loses records, or deletes data.
//   - key-changed: the key pairs records; a new key re-pairs every record and
//     needs a re-initialisation.
//   - map-removed: both tables stop syncing and their pairings are dropped.
//   - direction-changed at map level when a flow is lost (flip or narrowing).
//   - field-direction-changed when a field's direction flips.
//   - entity-changed: the F&O entity set, the Dataverse table or entity set,
//     or a side's company striping changed.
//   - delete-action-changed to propagate: deletes now delete paired records.
//
// Medium: a change that decides differently which value survives, or makes
// some rows fail or stop syncing.
//   - conflict-winner-changed (per field and for the map default).
//   - value-map-changed when an entry is removed or its value changes.
//   - field-removed, column-changed, field-type-changed.
//   - field-direction-changed when a field gains or loses one flow, and
//     direction-changed at map level when a flow is only gained.
//   - lookup-changed, second-pass-changed (the pass moved).
//   - initial-strategy-changed, master-changed, filter-changed,
//     modified-field-changed, exclusion-removed, constant-changed (a value
//     changed or was removed), delete-action-changed away from propagate.
//
// Low: additions and bookkeeping.
//   - map-added, field-added, value-map-changed (entry added),
//     default-changed, constant-changed (added).
//   - conflict-rationale-changed and second-pass-changed when only the
//     rationale text changed.
//   - monitor-changed, retry-changed, expected-rows-changed, stage-changed,
//     exclusion-added, exclusion-changed, catalog-changed.
//
// To keep one cause from showing up twice, a winner change to or from the
// one-way rule is not reported when the field's direction also changed, a
// field that inherits the map's rule in both plans is not reported when the
// map default changed, and a rationale change is not reported when the
// winner changed.
//
// # Renderings
//
// WriteText prints one line per change and a summary line; WriteMarkdown
// prints a pull-request comment: a heading, the summary and a table whose
// cells are escaped. Both end a change's reason with its source position.
// A change is named map.field, map, or exclude.name for an exclusion.
//
// # Docs
//
// Docs renders a plan as Markdown files: README.md, an index with the
// dependency graph as a Mermaid flowchart, and one page per map. The output
// is a pure function of the plan: maps, fields and entries are sorted.
//
// This package uses the standard library and runtime/plan only.
package review

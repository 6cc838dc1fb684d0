package review

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/dualsync/dualsync/runtime/plan"
)

// Kind names a kind of change. Kinds are stable identifiers: CI rules and
// reviewers may match on them.
type Kind string

// Plan-level kinds.
const (
	CatalogChanged   Kind = "catalog-changed"
	ExclusionAdded   Kind = "exclusion-added"
	ExclusionRemoved Kind = "exclusion-removed"
	ExclusionChanged Kind = "exclusion-changed"
)

// Map-level kinds.
const (
	MapAdded               Kind = "map-added"
	MapRemoved             Kind = "map-removed"
	EntityChanged          Kind = "entity-changed"
	ModifiedFieldChanged   Kind = "modified-field-changed"
	KeyChanged             Kind = "key-changed"
	DirectionChanged       Kind = "direction-changed"
	MasterChanged          Kind = "master-changed"
	StageChanged           Kind = "stage-changed"
	ConstantChanged        Kind = "constant-changed"
	FilterChanged          Kind = "filter-changed"
	DeleteActionChanged    Kind = "delete-action-changed"
	InitialStrategyChanged Kind = "initial-strategy-changed"
	ExpectedRowsChanged    Kind = "expected-rows-changed"
	RetryChanged           Kind = "retry-changed"
	ParkTimeoutChanged     Kind = "park-timeout-changed"
	BatchSizeChanged       Kind = "batch-size-changed"
	MonitorChanged         Kind = "monitor-changed"
)

// Kinds reported for a field, or for the map default when Field is empty.
const (
	ConflictWinnerChanged    Kind = "conflict-winner-changed"
	ConflictRationaleChanged Kind = "conflict-rationale-changed"
)

// Field-level kinds.
const (
	FieldAdded            Kind = "field-added"
	FieldRemoved          Kind = "field-removed"
	ColumnChanged         Kind = "column-changed"
	FieldDirectionChanged Kind = "field-direction-changed"
	FieldTypeChanged      Kind = "field-type-changed"
	ValueMapChanged       Kind = "value-map-changed"
	DefaultChanged        Kind = "default-changed"
	AcceptLossChanged     Kind = "accept-loss-changed"
	LookupChanged         Kind = "lookup-changed"
	SecondPassChanged     Kind = "second-pass-changed"
)

// Risk is how closely a reviewer should look at a change.
type Risk string

// Risks, from most to least serious.
const (
	High   Risk = "high"
	Medium Risk = "medium"
	Low    Risk = "low"
)

// Change is one semantic difference between two plans.
type Change struct {
	Kind Kind `json:"kind"`
	// Map is the map's name; empty for plan-level changes.
	Map string `json:"map,omitempty"`
	// Field is the F&O field of a field-level change, or the exclusion's
	// name for an exclusion change; empty otherwise.
	Field string `json:"field,omitempty"`
	// Old and New are short renderings of the value before and after; empty
	// when there is none.
	Old  string `json:"old,omitempty"`
	New  string `json:"new,omitempty"`
	Risk Risk   `json:"risk"`
	// Reason says in one line why a reviewer should care.
	Reason string `json:"reason"`
	// Pos is where the entry is written: in the new plan's sources, or in
	// the old plan's when PosOld is set (the entry was removed).
	Pos    plan.Pos `json:"pos"`
	PosOld bool     `json:"posOld,omitempty"`
}

// Subject names what changed: "map.field", "map", "exclude.name" for an
// exclusion, or "plan".
func (c Change) Subject() string {
	switch {
	case c.Map != "" && c.Field != "":
		return c.Map + "." + c.Field
	case c.Map != "":
		return c.Map
	case c.Field != "":
		return "exclude." + c.Field
	}
	return "plan"
}

// Where returns the change's source position as "file:line", prefixed with
// "was " when it points into the old plan; empty when unknown.
func (c Change) Where() string {
	if c.Pos.File == "" {
		return ""
	}
	s := fmt.Sprintf("%s:%d", c.Pos.File, c.Pos.Line)
	if c.PosOld {
		s = "was " + s
	}
	return s
}

// Count returns the number of changes of each risk.
func Count(changes []Change) (high, medium, low int) {
	for _, c := range changes {
		switch c.Risk {
		case High:
			high++
		case Medium:
			medium++
		default:
			low++
		}
	}
	return high, medium, low
}

// Summary returns "N changes (H high, M medium, L low)", or "no changes".
func Summary(changes []Change) string {
	if len(changes) == 0 {
		return "no changes"
	}
	h, m, l := Count(changes)
	noun := "changes"
	if len(changes) == 1 {
		noun = "change"
	}
	return fmt.Sprintf("%d %s (%d high, %d medium, %d low)", len(changes), noun, h, m, l)
}

// sortChanges orders changes by map, field, kind, old and new value.
func sortChanges(cs []Change) {
	slices.SortFunc(cs, func(a, b Change) int {
		return cmp.Or(
			cmp.Compare(a.Map, b.Map),
			cmp.Compare(a.Field, b.Field),
			cmp.Compare(a.Kind, b.Kind),
			cmp.Compare(a.Old, b.Old),
			cmp.Compare(a.New, b.New),
		)
	})
}

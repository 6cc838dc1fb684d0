package review

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dualsync/dualsync/runtime/plan"
)

// Diff returns the semantic changes that turn old into new, sorted by map,
// field and kind. A nil plan is treated as an empty one.
func Diff(old, new *plan.Plan) []Change {
	if old == nil {
		old = &plan.Plan{}
	}
	if new == nil {
		new = &plan.Plan{}
	}
	var d differ
	d.catalog(old.CatalogDigest, new.CatalogDigest)
	d.exclusions(old.Exclusions, new.Exclusions)
	d.maps(old.Maps, new.Maps)
	sortChanges(d.out)
	return d.out
}

// differ collects changes.
type differ struct {
	out []Change
}

// add records a change, keeping its values short and its reason on one line
// (reasons quote rationales, which authors may write over several lines).
func (d *differ) add(c Change) {
	c.Old, c.New = short(c.Old), short(c.New)
	c.Reason = strings.Join(strings.Fields(c.Reason), " ")
	d.out = append(d.out, c)
}

func (d *differ) catalog(old, new string) {
	if old == new || old == "" || new == "" {
		return
	}
	d.add(Change{
		Kind: CatalogChanged, Old: shortDigest(old), New: shortDigest(new), Risk: Low,
		Reason: "the maps were checked against different metadata: field types and lengths may have changed",
	})
}

func (d *differ) exclusions(old, new []plan.Exclusion) {
	olds := indexBy(old, func(e plan.Exclusion) string { return e.Name })
	news := indexBy(new, func(e plan.Exclusion) string { return e.Name })
	for _, name := range unionKeys(olds, news) {
		o, inOld := olds[name]
		n, inNew := news[name]
		switch {
		case !inOld:
			d.add(Change{
				Kind: ExclusionAdded, Field: name, New: exclusionString(n), Risk: Low, Pos: n.Pos,
				Reason: fmt.Sprintf("%s is now excluded from sync, owned by %s: %s", name, sideName(n.Owner), orNone(n.Why)),
			})
		case !inNew:
			d.add(Change{
				Kind: ExclusionRemoved, Field: name, Old: exclusionString(o), Risk: Medium, Pos: o.Pos, PosOld: true,
				Reason: fmt.Sprintf("%s is no longer guarded: a map may now sync it", name),
			})
		case exclusionString(o) != exclusionString(n) || o.Why != n.Why:
			d.add(Change{
				Kind: ExclusionChanged, Field: name, Old: exclusionString(o), New: exclusionString(n), Risk: Low, Pos: n.Pos,
				Reason: fmt.Sprintf("the exclusion of %s now reads: %s", name, orNone(n.Why)),
			})
		}
	}
}

func (d *differ) maps(old, new []plan.Map) {
	olds := indexBy(old, func(m plan.Map) string { return m.Name })
	news := indexBy(new, func(m plan.Map) string { return m.Name })
	for _, name := range unionKeys(olds, news) {
		o, inOld := olds[name]
		n, inNew := news[name]
		switch {
		case !inOld:
			d.add(Change{
				Kind: MapAdded, Map: name, New: entityString(n), Risk: Low, Pos: n.Pos,
				Reason: fmt.Sprintf("new map: %s and %s start syncing %s; initial sync by %s of about %d rows",
					n.FO.EntitySet, n.DV.Table, directionName(n.Direction), orNone(n.Initial.Strategy), n.Initial.ExpectedRows),
			})
		case !inNew:
			d.add(Change{
				Kind: MapRemoved, Map: name, Old: entityString(o), Risk: High, Pos: o.Pos, PosOld: true,
				Reason: fmt.Sprintf("map removed: %s and %s stop syncing and their pairings are dropped", o.FO.EntitySet, o.DV.Table),
			})
		default:
			d.mapChanges(&o, &n)
		}
	}
}

// mapChanges compares two versions of the same map.
func (d *differ) mapChanges(o, n *plan.Map) {
	at := func(c Change) {
		c.Map = n.Name
		if c.Pos.File == "" {
			c.Pos = n.Pos
		}
		d.add(c)
	}
	d.entity(o, n, at)

	if ok, nk := keyString(o.Key), keyString(n.Key); ok != nk {
		c := Change{Kind: KeyChanged, Old: ok, New: nk, Risk: High,
			Reason: "key change re-pairs every existing record: requires a re-initialisation"}
		if len(n.Key) > 0 {
			c.Pos = n.Key[0].Pos
		}
		at(c)
	}

	dirChanged := o.Direction != n.Direction
	if dirChanged {
		risk, reason := mapDirection(o.Direction, n.Direction)
		if o.Conflict == nil && n.Conflict != nil {
			reason += "; conflicts: " + winnerName(n.Conflict.Winner)
		}
		at(Change{Kind: DirectionChanged, Old: string(o.Direction), New: string(n.Direction), Risk: risk, Reason: reason})
	}
	if o.Master != n.Master {
		at(Change{Kind: MasterChanged, Old: string(o.Master), New: string(n.Master), Risk: Medium,
			Reason: fmt.Sprintf("on the next initial sync, %s rows will overwrite %s", sideName(n.Master), sideName(n.Master.Other()))})
	}
	if o.Stage != n.Stage {
		at(Change{Kind: StageChanged, Old: fmt.Sprint(o.Stage), New: fmt.Sprint(n.Stage), Risk: Low,
			Reason: fmt.Sprintf("sync order changed: the map now runs in stage %d", n.Stage)})
	}
	mapWinnerChanged := d.mapConflict(o, n, dirChanged, at)
	d.fields(o, n, mapWinnerChanged, at)
	d.constants(o.Constants, n.Constants, at)
	d.filters(o.Filter, n.Filter, at)
	d.deletes(o.Delete, n.Delete, at)
	d.initial(o.Initial, n.Initial, at)
	if or, nr := retryString(o.Retry), retryString(n.Retry); or != nr {
		at(Change{Kind: RetryChanged, Old: or, New: nr, Risk: Low,
			Reason: "retriable failures are retried differently before they reach the error queue"})
	}
	if o.ParkTimeoutMS != n.ParkTimeoutMS {
		at(Change{Kind: ParkTimeoutChanged, Old: fmt.Sprintf("%dms", o.ParkTimeoutMS), New: fmt.Sprintf("%dms", n.ParkTimeoutMS), Risk: Low,
			Reason: "records wait a different time for their lookups' parents before they become dependency errors"})
	}
	if o.BatchSize != n.BatchSize {
		at(Change{Kind: BatchSizeChanged, Old: fmt.Sprint(o.BatchSize), New: fmt.Sprint(n.BatchSize), Risk: Low,
			Reason: "writes are sent in requests of a different size: more per request means fewer requests against service protection limits, but a larger rollback when a change set fails"})
	}
	d.monitor(o.Monitor, n.Monitor, at)
}

func (d *differ) entity(o, n *plan.Map, at func(Change)) {
	if o.FO.EntitySet != n.FO.EntitySet {
		at(Change{Kind: EntityChanged, Old: "fo " + o.FO.EntitySet, New: "fo " + n.FO.EntitySet, Risk: High,
			Reason: fmt.Sprintf("F&O entity changed: rows now come from %s, and existing pairings point to %s rows", n.FO.EntitySet, o.FO.EntitySet)})
	}
	if o.DV.Table != n.DV.Table {
		at(Change{Kind: EntityChanged, Old: "dv " + o.DV.Table, New: "dv " + n.DV.Table, Risk: High,
			Reason: fmt.Sprintf("Dataverse table changed: rows now go to %s, and existing pairings point to %s rows", n.DV.Table, o.DV.Table)})
	} else if o.DV.EntitySet != n.DV.EntitySet {
		at(Change{Kind: EntityChanged, Old: "dv set " + o.DV.EntitySet, New: "dv set " + n.DV.EntitySet, Risk: High,
			Reason: fmt.Sprintf("Dataverse entity set of %s changed: every read and write uses a different address", n.DV.Table)})
	}
	for _, s := range []struct {
		side     plan.Side
		old, new bool
	}{{plan.FO, o.FO.CompanySpecific, n.FO.CompanySpecific}, {plan.DV, o.DV.CompanySpecific, n.DV.CompanySpecific}} {
		if s.old != s.new {
			at(Change{Kind: EntityChanged, Old: string(s.side) + " " + striping(s.old), New: string(s.side) + " " + striping(s.new), Risk: High,
				Reason: fmt.Sprintf("company striping on %s changed: every record's key changes", sideName(s.side))})
		}
	}
	if o.FO.ModifiedField != n.FO.ModifiedField {
		at(Change{Kind: ModifiedFieldChanged, Old: "fo " + orNone(o.FO.ModifiedField), New: "fo " + orNone(n.FO.ModifiedField), Risk: Medium,
			Reason: "F&O changes are now detected through a different modified-time field"})
	}
	if o.DV.ModifiedField != n.DV.ModifiedField {
		at(Change{Kind: ModifiedFieldChanged, Old: "dv " + orNone(o.DV.ModifiedField), New: "dv " + orNone(n.DV.ModifiedField), Risk: Medium,
			Reason: "Dataverse changes are now detected through a different modified-time field"})
	}
}

// mapConflict reports a change of the map's default rule and says whether
// its winner changed.
func (d *differ) mapConflict(o, n *plan.Map, dirChanged bool, at func(Change)) bool {
	ow, nw := conflictWinner(o.Conflict), conflictWinner(n.Conflict)
	var pos plan.Pos
	if n.Conflict != nil {
		pos = n.Conflict.Pos
	}
	if ow != nw {
		// A rule that appears or disappears with the direction is explained
		// by the direction change.
		if dirChanged && (ow == "" || nw == "") {
			return true
		}
		uses := 0
		for _, f := range n.Fields {
			if f.Conflict.From == "map" && f.Conflict.Winner != plan.OneWay {
				uses++
			}
		}
		at(Change{Kind: ConflictWinnerChanged, Old: orNone(winnerName(ow)), New: orNone(winnerName(nw)), Risk: Medium,
			Reason: winnerReason(nw, nil, uses), Pos: pos})
		return true
	}
	if o.Conflict != nil && n.Conflict != nil && o.Conflict.Why != n.Conflict.Why {
		at(Change{Kind: ConflictRationaleChanged, Old: o.Conflict.Why, New: n.Conflict.Why, Risk: Low,
			Reason: "the map default's rationale was rewritten: check it still matches the rule", Pos: pos})
	}
	return false
}

func (d *differ) constants(old, new []plan.Constant, at func(Change)) {
	key := func(c plan.Constant) string { return string(c.Side) + " " + c.Field }
	olds, news := indexBy(old, key), indexBy(new, key)
	for _, k := range unionKeys(olds, news) {
		o, inOld := olds[k]
		n, inNew := news[k]
		switch {
		case !inOld:
			at(Change{Kind: ConstantChanged, New: k + "=" + n.Value.JSON, Risk: Low, Pos: n.Pos,
				Reason: fmt.Sprintf("%s %s is now always written as %s", sideName(n.Side), n.Field, n.Value.JSON)})
		case !inNew:
			at(Change{Kind: ConstantChanged, Old: k + "=" + o.Value.JSON, Risk: Medium,
				Reason: fmt.Sprintf("%s %s is no longer written: creates fail if it is required", sideName(o.Side), o.Field)})
		case o.Value.JSON != n.Value.JSON:
			at(Change{Kind: ConstantChanged, Old: k + "=" + o.Value.JSON, New: k + "=" + n.Value.JSON, Risk: Medium, Pos: n.Pos,
				Reason: fmt.Sprintf("every write to %s now sets %s to %s", sideName(n.Side), n.Field, n.Value.JSON)})
		}
	}
}

func (d *differ) filters(o, n plan.Filter, at func(Change)) {
	for _, s := range []struct {
		side     plan.Side
		old, new string
	}{{plan.FO, o.FO, n.FO}, {plan.DV, o.DV, n.DV}} {
		if s.old == s.new {
			continue
		}
		at(Change{Kind: FilterChanged, Old: prefixed(s.side, s.old), New: prefixed(s.side, s.new), Risk: Medium,
			Reason: fmt.Sprintf("%s rows that no longer match the filter stop syncing; rows that newly match sync on their next change", sideName(s.side))})
	}
}

func (d *differ) deletes(o, n plan.Delete, at func(Change)) {
	for _, s := range []struct {
		side     plan.Side
		old, new plan.DeleteAction
	}{{plan.FO, o.FO, n.FO}, {plan.DV, o.DV, n.DV}} {
		if s.old == s.new {
			continue
		}
		risk, reason := deleteRisk(s.side, s.new)
		at(Change{Kind: DeleteActionChanged, Old: prefixed(s.side, string(s.old)), New: prefixed(s.side, string(s.new)), Risk: risk, Reason: reason})
	}
}

func (d *differ) initial(o, n plan.Initial, at func(Change)) {
	if o.Strategy != n.Strategy {
		at(Change{Kind: InitialStrategyChanged, Old: o.Strategy, New: n.Strategy, Risk: Medium,
			Reason: "the next initial sync " + strategyText(n.Strategy)})
	}
	if o.ExpectedRows != n.ExpectedRows {
		at(Change{Kind: ExpectedRowsChanged, Old: fmt.Sprint(o.ExpectedRows), New: fmt.Sprint(n.ExpectedRows), Risk: Low,
			Reason: "the initial sync's size estimate changed: check it against the strategy's limits"})
	}
}

func (d *differ) monitor(o, n plan.Monitor, at func(Change)) {
	type threshold struct {
		name     string
		old, new int64
		set      string // reason when set, with %s for the value
		unset    string // reason when removed
		format   func(int64) string
	}
	num := func(v int64) string { return fmt.Sprint(v) }
	for _, t := range []threshold{
		{"alertErrorsPerHour", int64(o.AlertErrorsPerHour), int64(n.AlertErrorsPerHour),
			"an alert now fires at %s errors per hour", "no alert fires on errors any more", num},
		{"pauseErrorsPerHour", int64(o.PauseErrorsPerHour), int64(n.PauseErrorsPerHour),
			"the map now pauses at %s errors per hour", "the map no longer pauses on errors", num},
		{"reconcileSample", int64(o.ReconcileSample), int64(n.ReconcileSample),
			"the daily reconciliation now compares %s rows", "the daily reconciliation no longer samples this map", num},
		{"maxLag", o.MaxLagMS, n.MaxLagMS,
			"an alert now fires when a change takes longer than %s to reach the other side", "no alert fires on lag any more", durationString},
	} {
		if t.old == t.new {
			continue
		}
		c := Change{Kind: MonitorChanged, Old: t.name + " " + thresholdString(t.old, t.format), New: t.name + " " + thresholdString(t.new, t.format), Risk: Low}
		if t.new == 0 {
			c.Reason = t.unset
		} else {
			c.Reason = fmt.Sprintf(t.set, t.format(t.new))
		}
		at(c)
	}
}

// indexBy indexes items by key; a later duplicate replaces an earlier one
// (plan.Check rejects duplicates, so that happens only on unchecked plans).
func indexBy[T any](items []T, key func(T) string) map[string]T {
	m := make(map[string]T, len(items))
	for _, it := range items {
		m[key(it)] = it
	}
	return m
}

// unionKeys returns the keys of both maps, sorted.
func unionKeys[T any](a, b map[string]T) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// short collapses white space and cuts s to a length that fits a line.
func short(s string) string {
	const max = 80
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}

package review

import (
	"fmt"

	"github.com/dualsync/dualsync/runtime/plan"
)

// fields compares the field mappings of two versions of a map. Fields are
// matched by their F&O name, the name the maps are written with.
func (d *differ) fields(o, n *plan.Map, mapWinnerChanged bool, at func(Change)) {
	key := func(f plan.Field) string { return f.FO }
	olds, news := indexBy(o.Fields, key), indexBy(n.Fields, key)
	for _, name := range unionKeys(olds, news) {
		of, inOld := olds[name]
		nf, inNew := news[name]
		field := func(c Change) {
			c.Field = name
			if c.Pos.File == "" && !c.PosOld {
				c.Pos = nf.Pos
			}
			at(c)
		}
		switch {
		case !inOld:
			field(Change{Kind: FieldAdded, New: fieldString(nf), Risk: Low,
				Reason: fmt.Sprintf("new mapping: %s and %s start syncing %s", nf.FO, nf.DV, directionName(nf.Direction))})
		case !inNew:
			field(Change{Kind: FieldRemoved, Old: fieldString(of), Risk: Medium, Pos: of.Pos, PosOld: true,
				Reason: fmt.Sprintf("%s and %s stop syncing: edits on either side stay there", of.FO, of.DV)})
		default:
			d.fieldChanges(&of, &nf, mapWinnerChanged, field)
		}
	}
}

// fieldChanges compares two versions of the same field mapping.
func (d *differ) fieldChanges(o, n *plan.Field, mapWinnerChanged bool, at func(Change)) {
	if o.DV != n.DV {
		at(Change{Kind: ColumnChanged, Old: o.DV, New: n.DV, Risk: Medium,
			Reason: fmt.Sprintf("%s now syncs with %s: %s stops syncing and %s is overwritten on the next write", n.FO, n.DV, o.DV, n.DV)})
	}
	dirChanged := o.Direction != n.Direction
	if dirChanged {
		risk, reason := fieldDirection(*n, o.Direction, n.Direction)
		if o.Conflict.Winner == plan.OneWay && n.Conflict.Winner != plan.OneWay {
			reason += "; conflicts: " + winnerName(n.Conflict.Winner)
		}
		at(Change{Kind: FieldDirectionChanged, Old: string(o.Direction), New: string(n.Direction), Risk: risk, Reason: reason})
	}
	if ot, nt := typeString(*o), typeString(*n); ot != nt {
		at(Change{Kind: FieldTypeChanged, Old: ot, New: nt, Risk: Medium, Reason: typeReason(*o, *n)})
	}
	d.values(o, n, at)
	d.defaults(o, n, at)
	d.acceptLoss(o, n, at)
	d.lookup(o, n, at)
	d.fieldConflict(o, n, dirChanged, mapWinnerChanged, at)
}

func (d *differ) values(o, n *plan.Field, at func(Change)) {
	key := func(v plan.ValuePair) string { return v.FO }
	olds, news := indexBy(o.Values, key), indexBy(n.Values, key)
	for _, m := range unionKeys(olds, news) {
		ov, inOld := olds[m]
		nv, inNew := news[m]
		entry := func(v plan.ValuePair) string { return fmt.Sprintf("%s=%d", v.FO, v.DV) }
		switch {
		case !inOld:
			at(Change{Kind: ValueMapChanged, New: entry(nv), Risk: Low,
				Reason: fmt.Sprintf("value map entry added: %s now converts to %d", m, nv.DV)})
		case !inNew:
			at(Change{Kind: ValueMapChanged, Old: entry(ov), Risk: Medium,
				Reason: fmt.Sprintf("value map entry removed: rows holding %s will fail with invalid value conversion", m)})
		case ov.DV != nv.DV:
			at(Change{Kind: ValueMapChanged, Old: entry(ov), New: entry(nv), Risk: Medium,
				Reason: fmt.Sprintf("value map entry changed: %s now converts to %d, and Dataverse rows holding %d no longer read as %s", m, nv.DV, ov.DV, m)})
		}
	}
}

func (d *differ) defaults(o, n *plan.Field, at func(Change)) {
	for _, s := range []struct {
		side     plan.Side // the side the default is written to
		old, new *plan.Value
	}{{plan.FO, o.DefaultFO, n.DefaultFO}, {plan.DV, o.DefaultDV, n.DefaultDV}} {
		ov, nv := valueString(s.old), valueString(s.new)
		if ov == nv {
			continue
		}
		src := sideName(s.side.Other())
		reason := fmt.Sprintf("when %s has no %s, %s %s now gets %s", src, fieldOn(*n, s.side.Other()), sideName(s.side), fieldOn(*n, s.side), nv)
		if s.new == nil {
			reason = fmt.Sprintf("when %s has no %s, %s %s is now left empty: creates fail if it is required", src, fieldOn(*n, s.side.Other()), sideName(s.side), fieldOn(*n, s.side))
		}
		at(Change{Kind: DefaultChanged, Old: prefixed(s.side, optional(s.old)), New: prefixed(s.side, optional(s.new)), Risk: Low, Reason: reason})
	}
}

// acceptLoss reports a field starting or stopping to accept truncation or
// rounding: starting is medium risk, since values are then silently cut.
func (d *differ) acceptLoss(o, n *plan.Field, at func(Change)) {
	switch {
	case o.AcceptLoss == n.AcceptLoss:
	case o.AcceptLoss == "":
		at(Change{Kind: AcceptLossChanged, Old: "-", New: n.AcceptLoss, Risk: Medium,
			Reason: "values longer or more precise than the narrower side will now be cut instead of failing"})
	case n.AcceptLoss == "":
		at(Change{Kind: AcceptLossChanged, Old: o.AcceptLoss, New: "-", Risk: Low,
			Reason: "truncation or rounding is no longer accepted: vet requires the sides to fit"})
	default:
		at(Change{Kind: AcceptLossChanged, Old: o.AcceptLoss, New: n.AcceptLoss, Risk: Low,
			Reason: "the rationale for accepting truncation or rounding changed"})
	}
}

func (d *differ) lookup(o, n *plan.Field, at func(Change)) {
	ol, nl := o.Lookup, n.Lookup
	switch {
	case ol == nil && nl == nil:
		return
	case ol == nil:
		at(Change{Kind: LookupChanged, New: nl.Map, Risk: Medium,
			Reason: fmt.Sprintf("%s now references %s records: a record waits until its %s parent has synced", n.FO, nl.Map, nl.Map)})
		return
	case nl == nil:
		at(Change{Kind: LookupChanged, Old: ol.Map, Risk: Medium,
			Reason: fmt.Sprintf("%s no longer references %s records: its value is copied as is", n.FO, ol.Map)})
		return
	case ol.Map != nl.Map:
		at(Change{Kind: LookupChanged, Old: ol.Map, New: nl.Map, Risk: Medium,
			Reason: fmt.Sprintf("%s now references %s records instead of %s: existing references point to the wrong table", n.FO, nl.Map, ol.Map)})
	}
	switch {
	case ol.Pass != nl.Pass:
		reason := fmt.Sprintf("%s is now written in a second pass, after both records exist: %s", n.FO, orNone(nl.Why))
		if nl.Pass != 2 {
			reason = fmt.Sprintf("%s is written in the first pass again: records wait for their %s parent, and a cycle would park them", n.FO, nl.Map)
		}
		at(Change{Kind: SecondPassChanged, Old: fmt.Sprintf("pass %d", ol.Pass), New: fmt.Sprintf("pass %d", nl.Pass), Risk: Medium, Reason: reason})
	case ol.Why != nl.Why:
		at(Change{Kind: SecondPassChanged, Old: ol.Why, New: nl.Why, Risk: Low,
			Reason: "the second-pass rationale was rewritten: check it still explains the cycle"})
	}
}

func (d *differ) fieldConflict(o, n *plan.Field, dirChanged, mapWinnerChanged bool, at func(Change)) {
	oc, nc := o.Conflict, n.Conflict
	inherits := oc.From == "map" && nc.From == "map"
	if oc.Winner != nc.Winner {
		switch {
		case dirChanged && (oc.Winner == plan.OneWay || nc.Winner == plan.OneWay):
			// Explained by the direction change.
		case inherits && mapWinnerChanged:
			// Explained by the map default's change.
		default:
			at(Change{Kind: ConflictWinnerChanged, Old: winnerName(oc.Winner), New: winnerName(nc.Winner), Risk: Medium,
				Reason: winnerReason(nc.Winner, n, 0), Pos: nc.Pos})
		}
		return
	}
	if oc.Why != nc.Why && !inherits {
		at(Change{Kind: ConflictRationaleChanged, Old: oc.Why, New: nc.Why, Risk: Low,
			Reason: fmt.Sprintf("the rationale for %s on %s was rewritten: check it still matches the rule", winnerName(nc.Winner), n.FO), Pos: nc.Pos})
	}
}

func typeReason(o, n plan.Field) string {
	switch {
	case n.MaxLength > 0 && (o.MaxLength == 0 || n.MaxLength < o.MaxLength):
		return fmt.Sprintf("values longer than %d characters will be rejected", n.MaxLength)
	case n.Scale != nil && (o.Scale == nil || *n.Scale < *o.Scale):
		return fmt.Sprintf("values will be rounded to %d decimal places", *n.Scale)
	case o.FOType != n.FOType || o.DVType != n.DVType:
		return "the field's types changed in the catalog: values convert differently"
	}
	return "the field's limits changed in the catalog: check existing values still fit"
}

package review

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/dualsync/dualsync/runtime/plan"
)

// mapPage renders one map's documentation page.
func mapPage(m *plan.Map, pages map[string]string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", cell(m.Name))
	if m.Description != "" {
		b.WriteString(cell(m.Description) + "\n\n")
	}
	fmt.Fprintf(&b, "[All maps](%s)\n\n", IndexFile)

	b.WriteString(header("Property", "Value"))
	b.WriteString(row("F&O entity", foEntityText(m.FO)))
	b.WriteString(row("Dataverse table", dvTableText(m.DV)))
	b.WriteString(row("Direction", directionArrow(m.Direction)))
	b.WriteString(row("Master for initial sync", sideName(m.Master)))
	b.WriteString(row("Stage", fmt.Sprint(m.Stage)))
	b.WriteString(row("Defined at", code(m.Pos.String())))
	b.WriteString("\n")

	b.WriteString("## Key\n\n")
	b.WriteString(header("F&O field", "Dataverse column", "Type", "Company pair", "Source"))
	for _, k := range m.Key {
		company := ""
		if k.Company {
			company = "yes"
		}
		b.WriteString(row(code(k.FO), code(k.DV), cell(string(k.Type)), company, code(k.Pos.String())))
	}
	b.WriteString("\n")

	fields := slices.Clone(m.Fields)
	slices.SortFunc(fields, func(a, b plan.Field) int { return cmp.Compare(a.FO, b.FO) })

	b.WriteString("## Fields\n\n")
	if len(fields) == 0 {
		b.WriteString("No field mappings.\n\n")
	} else {
		b.WriteString(header("F&O field", "Dataverse column", "Direction", "Types", "Transform", "Conflict"))
		for _, f := range fields {
			b.WriteString(row(code(f.FO), code(f.DV), directionArrow(f.Direction), cell(typeString(f)),
				dash(transform(f, pages)), fieldWinner(f)))
		}
		b.WriteString("\n")
	}

	writeConflicts(&b, m, fields)
	writeOperations(&b, m)
	return []byte(b.String())
}

func foEntityText(e plan.Entity) string {
	s := code(e.EntitySet) + ", " + striping(e.CompanySpecific)
	if e.ModifiedField != "" {
		s += ", changes tracked by " + code(e.ModifiedField)
	}
	return s
}

func dvTableText(t plan.Table) string {
	s := code(t.Table)
	var extra []string
	if t.EntitySet != "" {
		extra = append(extra, "entity set "+code(t.EntitySet))
	}
	if t.PrimaryID != "" {
		extra = append(extra, "id "+code(t.PrimaryID))
	}
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, ", ") + ")"
	}
	s += ", " + striping(t.CompanySpecific)
	if t.ModifiedField != "" {
		s += ", changes tracked by " + code(t.ModifiedField)
	}
	return s
}

// transform lists the field's value map, defaults and lookup.
func transform(f plan.Field, pages map[string]string) string {
	var parts []string
	if len(f.Values) > 0 {
		vs := slices.Clone(f.Values)
		slices.SortFunc(vs, func(a, b plan.ValuePair) int { return cmp.Compare(a.FO, b.FO) })
		entries := make([]string, len(vs))
		for i, v := range vs {
			entries[i] = fmt.Sprintf("%s → %d", cell(v.FO), v.DV)
		}
		parts = append(parts, "value map: "+strings.Join(entries, ", "))
	}
	if f.DefaultFO != nil {
		parts = append(parts, "default on F&O: "+code(f.DefaultFO.JSON))
	}
	if f.DefaultDV != nil {
		parts = append(parts, "default on Dataverse: "+code(f.DefaultDV.JSON))
	}
	if f.Lookup != nil {
		s := "lookup to " + link(f.Lookup.Map, pages)
		if f.Lookup.Pass == 2 {
			s += " (second pass)"
		}
		parts = append(parts, s)
	}
	if f.AcceptLoss != "" {
		parts = append(parts, "accepts truncation or rounding: "+cell(f.AcceptLoss))
	}
	return strings.Join(parts, "; ")
}

func fieldWinner(f plan.Field) string {
	s := winnerName(f.Conflict.Winner)
	if f.Conflict.From == "map" {
		s += " (map default)"
	}
	return dash(cell(s))
}

// writeConflicts lists every conflict decision with its rationale and
// position, then the fields that follow the map default or flow one way.
func writeConflicts(b *strings.Builder, m *plan.Map, fields []plan.Field) {
	b.WriteString("## Conflict decisions\n\n")
	var inherit, oneWay []string
	type decision struct{ subject, winner, why, pos string }
	var ds []decision
	if m.Conflict != nil {
		ds = append(ds, decision{"map default", winnerName(m.Conflict.Winner), m.Conflict.Why, m.Conflict.Pos.String()})
	}
	for _, f := range fields {
		switch {
		case f.Conflict.Winner == plan.OneWay:
			oneWay = append(oneWay, code(f.FO))
		case f.Conflict.From == "map":
			inherit = append(inherit, code(f.FO))
		default:
			ds = append(ds, decision{code(f.FO) + " ↔ " + code(f.DV), winnerName(f.Conflict.Winner), f.Conflict.Why, f.Conflict.Pos.String()})
		}
	}
	if len(ds) == 0 {
		b.WriteString("No conflict rules: every field flows one way, and its source side owns it.\n\n")
	} else {
		b.WriteString(header("Applies to", "Winner", "Why", "Source"))
		for _, d := range ds {
			b.WriteString(row(d.subject, cell(d.winner), dash(cell(d.why)), code(d.pos)))
		}
		b.WriteString("\n")
	}
	if len(inherit) > 0 {
		b.WriteString("Fields that follow the map default: " + strings.Join(inherit, ", ") + ".\n\n")
	}
	if len(oneWay) > 0 && len(ds) > 0 {
		b.WriteString("Fields that flow one way, owned by their source side: " + strings.Join(oneWay, ", ") + ".\n\n")
	}
}

// writeOperations documents the initial sync, filters, deletes, constants,
// retries and monitoring.
func writeOperations(b *strings.Builder, m *plan.Map) {
	b.WriteString("## Initial sync\n\n")
	fmt.Fprintf(b, "Strategy %s: the initial sync %s. Expected rows: %d.\n\n",
		code(orNone(m.Initial.Strategy)), strategyText(m.Initial.Strategy), m.Initial.ExpectedRows)

	b.WriteString("## Filters\n\n")
	b.WriteString(header("Side", "Filter"))
	b.WriteString(row("F&O", filterText(m.Filter.FO)))
	b.WriteString(row("Dataverse", filterText(m.Filter.DV)))
	b.WriteString("\n")

	b.WriteString("## Deletes\n\n")
	b.WriteString(header("Deleted in", "Action", "Effect"))
	for _, s := range []plan.Side{plan.FO, plan.DV} {
		a := m.Delete.FO
		if s == plan.DV {
			a = m.Delete.DV
		}
		b.WriteString(row(sideName(s), dash(cell(string(a))), deleteEffect(s, a)))
	}
	b.WriteString("\n")

	if len(m.Constants) > 0 {
		cs := slices.Clone(m.Constants)
		slices.SortFunc(cs, func(a, b plan.Constant) int {
			return cmp.Or(cmp.Compare(a.Side, b.Side), cmp.Compare(a.Field, b.Field))
		})
		b.WriteString("## Constants\n\n")
		b.WriteString(header("Written to", "Field", "Value", "Source"))
		for _, c := range cs {
			b.WriteString(row(sideName(c.Side), code(c.Field), code(c.Value.JSON), code(c.Pos.String())))
		}
		b.WriteString("\n")
	}

	b.WriteString("## Retry\n\n")
	if m.Retry == (plan.Retry{}) {
		b.WriteString("Not set: the runtime's defaults apply.\n\n")
	} else {
		fmt.Fprintf(b, "%d attempts, backoff from %s up to %s.\n\n",
			m.Retry.Attempts, durationString(m.Retry.InitialBackoffMS), durationString(m.Retry.MaxBackoffMS))
	}

	b.WriteString("## Monitoring\n\n")
	b.WriteString(header("Threshold", "Value"))
	num := func(v int64) string { return fmt.Sprint(v) }
	b.WriteString(row("Alert at errors per hour", notSet(int64(m.Monitor.AlertErrorsPerHour), num)))
	b.WriteString(row("Pause at errors per hour", notSet(int64(m.Monitor.PauseErrorsPerHour), num)))
	b.WriteString(row("Reconciliation sample (rows per day)", notSet(int64(m.Monitor.ReconcileSample), num)))
	b.WriteString(row("Maximum lag", notSet(m.Monitor.MaxLagMS, durationString)))
}

func filterText(f string) string {
	if f == "" {
		return "none: every row syncs"
	}
	return code(f)
}

func deleteEffect(s plan.Side, a plan.DeleteAction) string {
	other := sideName(s.Other())
	switch a {
	case plan.Propagate:
		return "the paired " + other + " record is deleted"
	case plan.Ignore:
		return "the paired " + other + " record stays and is unpaired"
	case plan.Review:
		return "the delete waits in the review queue for a person to decide"
	}
	return "—"
}

func notSet(v int64, format func(int64) string) string {
	if v == 0 {
		return "not set"
	}
	return format(v)
}

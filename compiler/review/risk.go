package review

import (
	"fmt"
	"strings"

	"github.com/dualsync/dualsync/runtime/plan"
)

// This file holds the risk policy documented in doc.go: what a change of each
// kind risks, and the sentence that tells a reviewer why.

// sideName is a side's name in prose.
func sideName(s plan.Side) string {
	if s == plan.FO {
		return "F&O"
	}
	return "Dataverse"
}

// flowChange describes what a direction change does to the two flows.
type flowChange struct {
	lost, gained []plan.Side // sides whose changes stop or start flowing
}

func diffFlows(old, new plan.Direction) flowChange {
	var fc flowChange
	for _, s := range []plan.Side{plan.FO, plan.DV} {
		switch {
		case old.Flows(s) && !new.Flows(s):
			fc.lost = append(fc.lost, s)
		case !old.Flows(s) && new.Flows(s):
			fc.gained = append(fc.gained, s)
		}
	}
	return fc
}

// label is "direction flip", "direction narrowed" or "direction widened".
func (fc flowChange) label() string {
	switch {
	case len(fc.lost) > 0 && len(fc.gained) > 0:
		return "direction flip"
	case len(fc.lost) > 0:
		return "direction narrowed"
	}
	return "direction widened"
}

// mapDirection returns the risk and reason of a map's direction change.
func mapDirection(old, new plan.Direction) (Risk, string) {
	fc := diffFlows(old, new)
	var parts []string
	for _, s := range fc.lost {
		parts = append(parts, fmt.Sprintf("records created in %s will no longer reach %s", sideName(s), sideName(s.Other())))
	}
	for _, s := range fc.gained {
		parts = append(parts, fmt.Sprintf("%s changes will now be written to %s", sideName(s), sideName(s.Other())))
	}
	risk := Medium
	if len(fc.lost) > 0 {
		risk = High
	}
	return risk, fc.label() + ": " + strings.Join(parts, "; ")
}

// fieldDirection returns the risk and reason of a field's direction change.
func fieldDirection(f plan.Field, old, new plan.Direction) (Risk, string) {
	fc := diffFlows(old, new)
	var parts []string
	for _, s := range fc.lost {
		parts = append(parts, fmt.Sprintf("%s edits to %s will no longer reach %s", sideName(s), fieldOn(f, s), sideName(s.Other())))
	}
	for _, s := range fc.gained {
		parts = append(parts, fmt.Sprintf("%s edits to %s will now overwrite %s", sideName(s), fieldOn(f, s), sideName(s.Other())))
	}
	risk := Medium
	if len(fc.lost) > 0 && len(fc.gained) > 0 {
		risk = High
	}
	return risk, fc.label() + ": " + strings.Join(parts, "; ")
}

// fieldOn names the field as the given side calls it.
func fieldOn(f plan.Field, s plan.Side) string {
	if s == plan.FO {
		return f.FO
	}
	return f.DV
}

// winnerReason says what a new winner means for the field f, or for the map
// default when f is nil (n is then the number of fields that use it).
func winnerReason(w plan.Winner, f *plan.Field, n int) string {
	if f == nil {
		if n == 0 {
			return fmt.Sprintf("the map default is now %s; no field uses it yet", winnerName(w))
		}
		what := "1 field that uses the map default"
		if n > 1 {
			what = fmt.Sprintf("%d fields that use the map default", n)
		}
		switch w {
		case plan.WinFO:
			return "Dataverse edits will now be overwritten by F&O in a conflict, on " + what
		case plan.WinDV:
			return "F&O edits will now be overwritten by Dataverse in a conflict, on " + what
		case plan.LastWrite:
			return "conflicts will now go to the later modified time of two uncoordinated clocks, on " + what
		}
		return "the map default is now " + winnerName(w) + ", on " + what
	}
	switch w {
	case plan.WinFO:
		return fmt.Sprintf("Dataverse edits to %s will now be overwritten by F&O in a conflict", f.DV)
	case plan.WinDV:
		return fmt.Sprintf("F&O edits to %s will now be overwritten by Dataverse in a conflict", f.FO)
	case plan.LastWrite:
		return fmt.Sprintf("conflicts on %s will now go to the later modified time of two uncoordinated clocks", f.FO)
	case plan.OneWay:
		return fmt.Sprintf("%s now flows one way: its source side owns it", f.FO)
	}
	return fmt.Sprintf("conflicts on %s are now decided by %q", f.FO, w)
}

// winnerName renders a winner for Old and New and for prose.
func winnerName(w plan.Winner) string {
	switch w {
	case plan.WinFO:
		return "F&O wins"
	case plan.WinDV:
		return "Dataverse wins"
	case plan.LastWrite:
		return "last write wins"
	case plan.OneWay:
		return "one way"
	case "":
		return ""
	}
	return string(w)
}

// deleteRisk returns the risk and reason of a new delete action for deletes
// observed on side s.
func deleteRisk(s plan.Side, new plan.DeleteAction) (Risk, string) {
	from, to := sideName(s), sideName(s.Other())
	switch new {
	case plan.Propagate:
		return High, fmt.Sprintf("deletes in %s will now delete the paired %s record", from, to)
	case plan.Ignore:
		return Medium, fmt.Sprintf("deletes in %s will no longer reach %s: the paired record stays, unpaired", from, to)
	case plan.Review:
		return Medium, fmt.Sprintf("deletes in %s will now wait in the review queue for a person to decide", from)
	}
	return Medium, fmt.Sprintf("deletes in %s now do %q", from, new)
}

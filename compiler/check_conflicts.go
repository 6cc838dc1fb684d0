package compiler

import (
	"slices"
	"strings"

	"github.com/dualsync/dualsync/runtime/plan"
)

// Conflict rules. A rule decides which side wins when both changed the same
// field since the last sync; it only ever applies to fields that flow both
// ways, and every decision carries its rationale.
//
// A bidirectional map needs a map-level rule unless every field that flows
// both ways has its own: then a map default would never decide anything,
// and asking for one would only produce a rationale nobody reads. A field
// added later without a rule makes DS163 fire again, because vet runs on
// every change to the maps.

// minWhy is the shortest rationale that can say what is decided and why.
const minWhy = 15

// placeholders are rationales that say nothing; markers start a note that
// the decision is still open ("TODO: ask finance").
var (
	placeholders = []string{"n/a", "na", "none", "-", "?", "...", "because", "default", "see above", "same as above"}
	markers      = []string{"todo", "tbd", "fixme", "xxx"}
)

// checkConflicts reports DS160-DS164 on conflict rules.
func checkConflicts(c *checker) {
	for _, m := range c.src.Maps {
		dir := plan.Direction(m.Direction.V)
		if m.Conflict != nil {
			if dir != plan.Bidirectional {
				c.report(m.Conflict.Pos, CodeConflictOneWay, m.Path+".conflict",
					"conflict rule on a %s map never applies: the source side always owns the values; remove it", dir)
			} else {
				checkConflict(c, m.Conflict, m.Path+".conflict")
			}
		}
		var uncovered []string
		for _, f := range m.Fields {
			fd := fieldDirection(m, f)
			switch {
			case f.Conflict != nil && fd != plan.Bidirectional:
				c.report(f.Conflict.Pos, CodeConflictOneWay, f.Path+".conflict",
					"conflict rule on field %s, which flows %s, never applies: the source side always owns its value; remove it", f.FO, fd)
			case f.Conflict != nil:
				checkConflict(c, f.Conflict, f.Path+".conflict")
			case fd == plan.Bidirectional:
				uncovered = append(uncovered, f.FO)
			}
		}
		if dir == plan.Bidirectional && m.Conflict == nil && len(uncovered) > 0 {
			c.report(m.Direction.Pos, CodeConflictMissing, m.Path+".conflict",
				"bidirectional map has no conflict rule, and field%s %s flow%s both ways without one of their own: add conflict: {winner: \"fo\" | \"dv\", why: \"...\"}",
				plural(uncovered), strings.Join(uncovered, ", "), verbS(uncovered))
		}
	}
}

// checkConflict checks one rule that applies: its rationale (DS161, DS164)
// and the clock-skew acknowledgement of last write wins (DS162).
func checkConflict(c *checker, r *srcConflict, path string) {
	switch {
	case !r.Why.Set:
		c.report(r.Pos, CodeConflictNoWhy, path,
			"conflict rule has no why: say in a sentence why %s wins, so the decision is documented where it is made", winnerName(r.Winner.V))
	case strings.TrimSpace(r.Why.V) == "":
		c.report(r.Why.Pos, CodeConflictNoWhy, path+".why",
			"conflict rule's why is blank: say in a sentence why %s wins", winnerName(r.Winner.V))
	default:
		checkWhy(c, r.Why, path+".why", "conflict rationale")
	}
	if r.Winner.V == string(plan.LastWrite) && !r.Ack {
		c.report(r.Winner.Pos, CodeLastWriteNoAck, path+".winner",
			"last_write compares F&O's and Dataverse's modified times, and the two clocks are not coordinated: set acceptClockSkew: true to accept that, or pick a winner side")
	}
}

// checkWhy warns about a rationale that cannot explain anything (DS164).
// Blank rationales are the calling check's error, not this warning.
func checkWhy(c *checker, why text, path, what string) {
	w := strings.TrimSpace(why.V)
	if w == "" {
		return
	}
	lw := strings.ToLower(strings.TrimRight(w, ".!"))
	placeholder := slices.Contains(placeholders, lw)
	for _, mk := range markers {
		if rest, ok := strings.CutPrefix(lw, mk); ok && (rest == "" || !isIdentChar(rest[0])) {
			placeholder = true
		}
	}
	if placeholder {
		c.report(why.Pos, CodeWhyPlaceholder, path,
			"%s %q is a placeholder: write the actual reason, one a reviewer can check", what, w)
		return
	}
	if len([]rune(w)) < minWhy {
		c.report(why.Pos, CodeWhyPlaceholder, path,
			"%s %q is too short to explain the decision (under %d characters): say what is decided and why", what, w, minWhy)
	}
}

func winnerName(w string) string {
	switch plan.Winner(w) {
	case plan.WinFO:
		return "F&O"
	case plan.WinDV:
		return "Dataverse"
	case plan.LastWrite:
		return "the last write"
	}
	return "this side"
}

func verbS[T any](xs []T) string {
	if len(xs) == 1 {
		return "s"
	}
	return ""
}

package explore

import (
	"fmt"
	"strings"

	"github.com/dualsync/dualsync/runtime/engine"
)

// The bound on the engine's writes for a history: WritesPerEdit first
// attempts per user edit, WritesPerRetry per retried error-queue entry,
// plus WritesBase. Retries of the same write (throttling, transient
// failures) are not counted: the fault, not the engine, decides how many
// there are. The bound is generous for honest work (a write to the other
// side, a re-read and merge after a version mismatch, a re-asserted
// one-way field, a second pass) and far below what a ping-pong between the
// sides produces within a run's bound of rounds.
const (
	WritesPerEdit  = 4
	WritesPerRetry = 3
	WritesBase     = 10
)

// checkEcho: every run went quiet, and the writes stay within the bound.
func checkEcho(c *Case) []Violation {
	var out []Violation
	runErr := func(where, err string) {
		switch {
		case err == "":
		case strings.Contains(err, "not quiet"):
			out = append(out, Violation{Property: NoEchoLoop, Message: where + " did not go quiet: " + err})
		case isAccounting(err):
			// reported by the accounting property
		default:
			out = append(out, Violation{Property: NoEchoLoop, Message: where + " failed: " + err})
		}
	}
	for i := range c.History.Ops {
		if c.History.Ops[i].Kind == Sync {
			runErr("the sync "+c.opName(i), c.Outcome.Ops[i].RunErr)
		}
	}
	runErr("the run after the faults healed", c.Outcome.Healed.RunErr)
	runErr("the run after the error queue was retried", c.Outcome.Final.RunErr)
	first := 0
	for i := range c.Outcome.Writes {
		if c.Outcome.Writes[i].Attempt <= 1 {
			first++
		}
	}
	limit := WritesPerEdit*c.History.Edits() + WritesPerRetry*c.Outcome.Retried + WritesBase
	if first > limit {
		out = append(out, Violation{Property: NoEchoLoop, Message: fmt.Sprintf(
			"the engine sent %d writes (first attempts) for %d edits and %d retried errors, more than the bound %d: the sides ping-pong",
			first, c.History.Edits(), c.Outcome.Retried, limit)})
	}
	return out
}

func isAccounting(err string) bool {
	return strings.Contains(err, "accounting") || strings.Contains(err, "reasons add up") || strings.Contains(err, "negative gauge")
}

// checkAccounting: the engine's identities hold in both final snapshots,
// and a quiet engine has nothing in flight or parked.
func checkAccounting(c *Case) []Violation {
	var out []Violation
	for i := range c.History.Ops {
		if err := c.Outcome.Ops[i].RunErr; isAccounting(err) {
			out = append(out, Violation{Property: AccountingIdentity, Message: "after the sync " + c.opName(i) + ": " + err})
		}
	}
	for _, s := range []struct {
		where string
		snap  *Snapshot
	}{{"after the faults healed", &c.Outcome.Healed}, {"after the error queue was retried", &c.Outcome.Final}} {
		a := s.snap.Accounting
		if err := a.Check(); err != nil {
			out = append(out, Violation{Property: AccountingIdentity, Message: s.where + ": " + err.Error()})
		}
		if s.snap.RunErr == "" && s.snap.Quiet && (a.InFlight != 0 || a.Parked != 0) {
			out = append(out, Violation{Property: AccountingIdentity, Message: fmt.Sprintf(
				"%s the engine is quiet, but accounts %d changes in flight and %d parked", s.where, a.InFlight, a.Parked)})
		}
		if s.snap.RunErr == "" && !s.snap.Quiet {
			out = append(out, Violation{Property: AccountingIdentity, Message: s.where + " the run ended without error, but the engine is not quiet"})
		}
		if sum := a.Applied + a.Suppressed + a.Queued + a.Parked; s.snap.Quiet && sum != a.Observed {
			out = append(out, Violation{Property: AccountingIdentity, Message: fmt.Sprintf(
				"%s: observed %d, but applied %d + suppressed %d + parked %d + queued %d = %d",
				s.where, a.Observed, a.Applied, a.Suppressed, a.Parked, a.Queued, sum)})
		}
	}
	return out
}

// checkDependencies: every lookup the engine writes names a record that
// has existed on the target side before the write: children never arrive
// before their parents. (A parent deleted meanwhile by a user is a race
// the engine cannot see; it is not counted.)
func checkDependencies(c *Case) []Violation {
	existed := [2]map[RecID]bool{{}, {}}
	var out []Violation
	w := 0
	engineWrites := func(upto int) {
		for ; w < upto && w < len(c.Outcome.Writes); w++ {
			wr := &c.Outcome.Writes[w]
			if !wr.Acked || wr.Op != engine.OpUpsert {
				continue
			}
			mi := c.md.maps[wr.Map]
			if mi == nil {
				continue
			}
			t := sideIdx(wr.Side)
			for _, fv := range wr.Values {
				fi := mi.field(wr.Side, fv.Field)
				if fi == nil || fi.ref == nil || fv.Value.IsNull() {
					continue
				}
				ref, _ := fv.Value.AsString()
				pid := RecID{fi.ref.m.Name, ref}
				if !existed[t][pid] {
					out = append(out, Violation{Property: DependencyOrder, Record: RecID{wr.Map, wr.Key}, Field: fi.f.FO, Message: fmt.Sprintf(
						"write %s to %s set the lookup to %s %s, which had never existed on %s", wr.ID, wr.Side, pid.Map, pid.Key, wr.Side)})
				}
			}
			existed[t][RecID{wr.Map, wr.Key}] = true
		}
	}
	for i := range c.History.Ops {
		op := &c.History.Ops[i]
		engineWrites(c.Outcome.Ops[i].WritesBefore)
		if op.Kind == Put && c.applied(i) {
			existed[sideIdx(op.Side)][RecID{op.Map, op.Key}] = true
		}
	}
	engineWrites(len(c.Outcome.Writes))
	return out
}

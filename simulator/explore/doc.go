// Package explore is randomized exploration of a plan in the simulator:
// it generates concurrent-write histories from a seed, runs each in its own
// deterministic simulator.World, checks properties of the outcome, and
// shrinks a failing history to a minimal one that still fails.
//
// # Steps for one seed
//
//  1. Generate: from the plan and the seed, a History of about 50
//     operations (GenConfig.Ops): records of random maps created on a side
//     they flow from (children before their parents now and then, a record
//     created on both sides in one window), edits of one to three fields on
//     either side at interleaved virtual times, deletes, faults (throttling
//     storms and budgets, transient 5xx, network failures, outages,
//     plug-ins that throw until cleared, latency), crashes armed at a point
//     of the driver's loop, and Syncs between them: until quiet, or a few
//     rounds only, so that edits land in the middle of the engine's work.
//     The setup adds clock skews and business logic that normalises
//     stored text (trim, case). Every string, decimal, integer and date
//     written is unique (token.go), so each final value traces back to the
//     one write that produced it.
//  2. Execute: apply the history to a new World (Execute), then heal every
//     fault and run until quiet (Outcome.Healed), then retry every
//     error-queue entry as an operator would and run until quiet again,
//     and again for entries a retry brought to light, up to three passes
//     (Outcome.Final; Config.NoRetry skips this).
//  3. Check the properties below, each a function of the plan, the
//     history and the Outcome alone, so that each can be tested on a
//     doctored outcome.
//  4. Shrink a failure (Shrink): delta debugging drops chunks of
//     operations, then simplifies what is left (waits, fields of a Put,
//     partial Syncs, setup), keeping each step that still fails the same
//     property in a new world. Result.Report prints the seed, the property,
//     the minimal history and the command that replays it.
//
// # Properties
//
//   - no-echo-loop: every run went quiet within its bound of rounds, and
//     the engine's first-attempt writes stay within a bound linear in the
//     history's edits.
//   - accounting-identity: engine.Accounting.Check holds, and after quiet
//     observed = applied + suppressed + parked + queued, with nothing in
//     flight or parked.
//   - nothing-silently-lost: after the faults healed, every record the
//     sides disagree on is in the error queue or differs for a reason the
//     plan documents (delete action ignore, a copy on a side the map does
//     not flow from, an update of a deleted record refused under the
//     delete rule).
//   - convergence: after the queue was retried, every record's mapped
//     fields are equal on both sides, after value maps and forgiving what
//     the services do to stored values (space, case, scale, dates); only
//     dependency errors whose parent never came may remain.
//   - rule-compliance: a field both sides edited in one window holds the
//     value the plan's rule names (fo, dv, or last_write by the rows'
//     modified times with a tie to F&O), a first pairing the master's, a
//     one-way field its owner's, and a propagated delete wins.
//   - no-lost-update: an uncontested edit is on both sides, and no final
//     value is one its own side replaced later.
//   - dependency-order: no engine write sets a lookup to a record that
//     has never existed on the target side.
//
// # Expected values
//
// Which value a field must end with is only known where the plan alone
// decides it: the checker splits each record's edits at the Syncs that
// ran until quiet with the record out of the error queue (clean points),
// and where a segment's edits all fall in one window between Syncs it
// applies the plan's rule to their end states (rules.go). Everything else
// is checked by the weaker trace rules of lost.go, which hold whatever the
// interleaving.
//
// # Determinism and parallelism
//
// A seed's history depends only on the plan, the seed and GenConfig; its
// world only on the history and the world's Config. Explore runs seeds on
// Config.Workers goroutines, each seed in its own world, and sorts the
// failures by seed: the outcome does not depend on the number of workers.
// Shrinking is deterministic too, so "dualsync sim explore --plan FILE
// --seed S" prints the same minimal history every time.
package explore

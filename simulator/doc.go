// Package simulator is a deterministic, in-process deployment of dualsync:
// a World holds a compiled plan, a fake F&O and a fake Dataverse
// (simulator/fake), one virtual clock, the real runtime Driver and engine,
// and a MemoryPersister standing in for the store. Scenario suites
// (simulator/scenario) and randomized exploration drive a World; both rely
// on one promise: the same plan, seed and sequence of calls give the same
// Trace, byte for byte.
//
// # Using a World
//
//  1. NewWorld(plan, seed, Config) builds the world at the virtual time
//     Config.Start (default fake.Epoch), with no records and no faults.
//  2. Users edit records on either side with Put and Delete (by plan map
//     name, the side's field names and the record key built with
//     engine.JoinKey, company first; PutRow also returns the stored
//     record); SetTime and Advance move the virtual clock; SetFault and
//     ClearFaults inject and heal service faults.
//  3. Run runs the driver until the system is quiet (RunUntilQuiet with
//     Config.MaxRounds rounds). Running out of rounds is an echo loop or a
//     system that never settles: Run's error then wraps ErrNotQuiet.
//     A quiet world must also balance its accounting (engine.Accounting's
//     identity), or Run fails. RunIdle stops instead when nothing more
//     happens without the clock moving (parked records stay parked), and
//     Step runs a single round, so that edits can land between rounds.
//  4. Crash drops the driver and its engine at once, without saving what
//     is in flight; CrashAt arms a crash at a precise point of a later Run
//     (before or after the next Save, or after the next Apply reached its
//     target but before its results reached the engine). Restart builds a
//     new driver and engine from the persisted State.
//  5. Get, Rows, Errors, Conflicts, Parked, Accounting and Writes report
//     what happened; RetryError and DiscardError act on the error queue as
//     a person would; Trace returns the canonical trace of everything.
//
// # Determinism
//
// Everything random is drawn from sources seeded with the world's seed: the
// fakes' GUIDs and fault draws (fake.Config.Seed) and the engine's backoff
// jitter (engine.Config.Seed). Time only moves when told: the driver moves
// the shared clock when only time can make progress. No goroutines are
// started. The trace prints times relative to Config.Start and sorts
// anything that comes from a map, so two runs can be compared with cmp.
//
// # Crashes
//
// A crash at a point is a panic with a private value, raised by the
// world's wrappers around the persister and the connectors at that point
// and recovered by Run or Step: nothing of the driver runs after it, which
// is what a process dying there would do. The fakes and the persisted
// state are consistent at every such point (the wrappers panic only
// between calls into them).
//
// # The trace
//
// Config.NoTrace turns the trace off (nothing is formatted, Trace returns
// nothing) for callers that never read it, such as randomized
// exploration; it changes nothing else. Otherwise each line starts with
// the virtual time since Config.Start in brackets, then what happened:
//
//	[0s] world seed=1 plan=sha256:…
//	[10s] user fo customer put usmf|US-001 {CustomerGroupId="10", OrganizationName="Contoso"} -> v=W/"1"
//	[10s] poll fo customer usmf|US-001 v=W/"1" mod=+10s {…}
//	[10s] apply dv customer w1 upsert usmf|US-001 create {name="Contoso"} -> ack v=W/"3"
//	[10s] conflict customer usmf|US-001 PreferredContactMethod fo="Phone" dv=5 winner=dv rule=dv at customer.cue:31:4
//	[10s] error e2 queued dv customer usmf|US-002 class=invalid-value field=… attempts=1: …
//	[10s] run quiet rounds=4 writes=2
//
// Lines of kind user, fault, clear, skew, poll, poll-error, cursor-reset,
// apply, read, read-error, park, release, conflict, error, resolved,
// advance, queue, crash, restart, run and note appear; the format is for
// people and for comparing runs, not for parsing.
package simulator

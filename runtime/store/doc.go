// Package store is the contract for what dualsync keeps across a restart:
// the engine's State (merge bases, tombstones, parked changes, change-feed
// watermarks and delta tokens, the ID counter), the error queue with its
// audit trail, and the conflict log.
//
// The interface is shaped by the engine (runtime/engine): Load returns the
// engine.State to resume from, and Apply persists one Ready's increments in
// one transaction. Implementations live in subpackages (sqlite is the
// default); every implementation must pass the conformance suite in
// storetest.
//
// # Protocol
//
// The runtime owns one Store and one engine:
//
//  1. Open the store (an implementation's Open with a Config). With
//     Config.RequirePlan, a store written with another plan is refused with
//     a *PlanMismatchError; without it, Info and State.PlanDigest report the
//     plan the store was written with, for the runtime to compare.
//  2. Load the State and pass it to engine.New.
//  3. Hand the engine the person's decisions: for every Request (Requests),
//     step engine.RetryError or engine.DiscardError with its ID. An ID the
//     engine does not know (its map left the plan) goes into the next
//     Batch's Resolved, so that the request is closed all the same.
//  4. For each engine Ready: Apply(BatchOf(ready)) (Saver does this for a
//     persister of Readies); only when that succeeded, send the writes and
//     call Advance. A failed Apply changed nothing; the runtime stops or
//     retries the same batch.
//  5. Each loop, repeat step 3, so that decisions taken while the runtime
//     runs (a person running "dualsync errors retry" against the same
//     store) reach the engine.
//
// # Error-queue states
//
// Each error-queue entry (ErrorRecord) has a State. The engine owns the
// queue; a person's decision is a request that the runtime carries to the
// engine, because only the engine can act on it (a retry re-sends the
// change, a discard moves the merge base so the change is not sent again):
//
//	          RetryError            runtime: engine resolves it
//	queued ───────────────▶ retry ─────────────────────────────▶ retried
//	  │  │    DiscardError          runtime: engine resolves it
//	  │  └────────────────▶ discard ───────────────────────────▶ discarded
//	  │     a later write carried the failed fields
//	  └─────────────────────────────────────────────────────────▶ resolved
//
// Queued, retry and discard are open: the entry is part of State.Errors
// and the engine still holds it. Resolved, retried and discarded are
// closed: the entry has left the queue and stays in the store as an audit
// row (GetError and ListErrors with those states still return it, with its
// History). A batch that resolves an entry closes it as retried or
// discarded when a request was pending, and as resolved otherwise. A retried
// change that fails again enters the queue as a new entry with a new ID.
// The engine may update an open entry (a further failure of the same
// record and side): it stays in its state and keeps its place (Seq). An
// update of a closed entry reopens it as queued.
//
// A request for an entry that already has the same request pending is a
// no-op; a different request while one is pending fails with ErrPending; a
// request for a closed entry fails with ErrClosed.
//
// # Ordering
//
// Error lists are ordered by Seq: the order in which entries first entered
// the store. The conflict log is ordered by its own Seq, the order of
// appending. Requests come in the order they were made. Load lists records
// by map and key, error entries by Seq and watermarks by map and side;
// names compare bytewise. Times come back in UTC.
//
// # Why the queue is not simply edited
//
// RetryError and DiscardError only record a request because the engine
// owns the consequences: a retry re-admits the failed change as a new
// observation, and a discard moves the source side's merge base to the
// failed values so they are not sent again. Deleting the entry from the
// store would leave the engine to find the difference again at the
// record's next change, which is neither. The request also survives a
// crash between the person's command and the runtime's next loop.
package store

// Package engine is the deterministic sync state machine between F&O and
// Dataverse: it is fed what was observed on each side and how its own writes
// went, and hands back what to write, what to read again, what waits, what
// failed and what to persist. It does no I/O, reads no clock, draws no global
// randomness and starts no goroutines, so the same core runs in production
// and, step by step on a virtual clock, inside the simulator.
//
// # Protocol
//
// The driver owns the engine and one loop:
//
//  1. New(plan, Config, state) builds the engine, resumed from the State the
//     store persisted (nil on the first run).
//  2. Step feeds one event (or call the typed method): Observed for a row
//     seen on a side's change feed or read back, WriteAcked and WriteFailed
//     for the engine's own writes, Tick for the passing of time (the driver
//     owns the clock, real or virtual), RetryError and DiscardError for a
//     person's decision on an error-queue entry.
//  3. When HasReady, Ready returns what to do: Writes (with the target's
//     expected version), Reads (after a version mismatch, for a retry, or
//     when a side's merge base lags its row; see below), Parked and
//     Released notices, error-queue Errors and Resolved entries, Conflicts
//     for the conflict log, a Checkpoint, and the Accounting.
//  4. The driver persists Checkpoint, Errors, Resolved and Conflicts in one
//     transaction, sends the writes and reads, and calls Advance. Each
//     write's outcome comes back as step 2.
//
// Randomness (backoff jitter) comes from Config.Rand or a generator seeded
// with Config.Seed; IDs from Config.IDs or a persisted counter. Given the
// same plan, configuration, state and events, the engine produces the same
// outputs, byte for byte.
//
// # Semantics
//
// Each record (a map and its key, JoinKey of the integration key values)
// has a merge base per side: the values both sides last agreed on. A change
// is compared with the base field by field (merge.go); only fields that
// changed and flow from the changed side are written, converted to the
// target (value maps, defaults for nulls, constants on create; mapping.go).
// A field both sides changed is a conflict, decided by the field's rule
// from the plan and logged (conflict.go). A one-way field edited on the
// wrong side is overwritten with the owner's value and logged. Every write
// carries the target's last known version; a version mismatch reads the
// record again and merges again. The engine's own writes coming back are
// recognised even when the target normalised them (echo.go), so the sides
// never ping-pong. Lookups to records the target does not have yet park the
// write until they arrive (depend.go). Failures are handled by class
// (errors.go, Class). Deletes follow the plan and leave tombstones
// (delete.go). Accounting says how every observation ended.
//
// A merge needs both sides' current values. When one side changed and the
// other side's merge base lags its row, because that side's own changes
// are in the error queue or because it has no base at all (its create on
// the other side was queued), the engine reads that side before merging:
// otherwise it would re-assert an older value, or take the changed side's
// row for the only change where the map's master should decide a first
// pairing. A retried error-queue entry is merged the same way, from fresh
// reads of both sides, never from the values the entry saved.
//
// last_write compares the sides' modified times as their users left the
// rows: a row that comes back from the engine's own write (its version)
// keeps the side's previous modified time, so that a write of another
// field does not make an older edit the later one.
//
// # What the driver's connectors must do
//
//   - Observed carries the side's mapped fields by that side's names; a field
//     left out is unknown, not null. Lookup fields carry the referenced
//     record's key (JoinKey of its key values) on both sides.
//   - A write with ExpectedVersion is conditional (If-Match); a stale version,
//     or an update or delete of a record that is gone, fails with class
//     VersionMismatch. A write with Create is create-only; an existing record
//     fails with VersionMismatch (the engine then reads and merges, so an
//     upsert by key is never blind). A delete of a missing record is
//     acknowledged.
//   - Every Read is answered with an Observed (Deleted when missing).
//   - Seq increases within a feed (side and map) during a run; Token is the
//     cursor to resume from after the row, when there is one.
//   - Tick is called regularly: retries and park timeouts run on it.
//
// # Design notes
//
// Work on a record happens in rounds (round.go): one merge and its writes.
// While a write of the round is in flight, later observations of the
// record wait for the next round, so that a merge always starts from a base
// that no write is about to move. A record's state is checkpointed between
// rounds, never in the middle of one: the persisted base always goes with
// the versions it was agreed at, so after a crash a change seen again meets
// a version mismatch and a merge instead of a blind write. Three exceptions
// keep that promise. A round that parked is persisted with its changes. A
// round that ends while an observation waits starts the next round at
// once; its outcome is checkpointed in the next Ready all the same, before
// anything of the next round is acknowledged. And a create persists its
// intent (the values sent) before it is sent: after a crash between a
// create and its acknowledgement, the copy that comes back is recognised
// field by field as the engine's own (an edit of the source since then
// flows), a field that differs is paired for the first time, and a create
// that never landed is sent again. An update persists its intent too, with
// the record as the round found it (sent.go): after a crash, the fields of
// the target that hold the values sent are the engine's own, and an edit
// of the source since then flows instead of meeting the conflict rule.
//
// Observations of a record and side keep their order: one that comes while
// an earlier one waits for the next round waits behind it. A delete from a
// side's feed of a record the side is known not to have (the late echo of
// a delete the engine propagated, or of an older record under the key) is
// an echo; a delete on the second side of a record already deleted on the
// first moves the tombstone there, so that a later row on the side that
// deleted last creates the record again.
//
// An error-queue entry stays until what it failed to write is written:
// a later failure of the same record and side adds its fields to the entry,
// an acknowledged write resolves only the fields it carried with the values
// that failed or newer ones, and a retried entry stays until the retry
// settles (a retry that fails again closes it and opens a new entry), so
// that a crash in between leaves it in the queue.
//
// A record's merge base is kept packed in one string per side (pack.go),
// fields by plan index, which keeps a tracked record of 20 fields under a
// kilobyte. Persisted state names fields instead (state.go), so that it
// survives plan changes.
//
// A field that flows one way (its own direction, or its map's) is owned by
// its source side, also in a one-way map: an edit on the other side is
// overwritten and logged, never kept silently.
package engine

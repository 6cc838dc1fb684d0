// Package runtime is the sync runtime around the pure engine: a Driver that
// runs the engine against two Connectors (one per side) in a loop of poll
// (read each map's change pages in plan stage order and step the rows),
// pump (take the engine's Ready, persist it through a Persister, send its
// writes in batches and its reads, step every answer back, Advance) and
// tick (step the engine's time from an injected Clock).
//
// Import it as dsruntime "github.com/dualsync/dualsync/runtime": the package
// name shadows the standard library's.
//
// # The driver loop
//
//  1. Poll: for every map in plan stage order, and for each side the map's
//     direction flows from (F&O before Dataverse), read one page of changes
//     since the feed's cursor with Connector.Changes. The driver numbers the
//     rows (Observed.Seq, increasing per feed within a run), steps them into
//     the engine and keeps the page's next cursor in memory.
//  2. Pump: while the engine HasReady: take Ready; Persister.Save it (if the
//     save fails nothing is sent and the driver stops: restart it from the
//     persisted state); send Writes grouped by side and map, in stage order,
//     in batches of the map's plan batch size (capped by Config.BatchSize) with Connector.Apply and step each
//     Result; send Reads with Connector.Read and step each answer (a read
//     that fails is kept and tried again on the next Pump); call Advance.
//  3. Tick: step the engine's event time with Clock.Now, so that due
//     retries are sent and expired parks become dependency errors.
//
// RunUntilQuiet repeats the three until the engine is quiet and a poll finds
// nothing new, moving a virtual clock forward when only time can make
// progress; it fails after a bounded number of rounds, which is what proves
// that two sides never ping-pong.
//
// # Cursors and restarts
//
// A connector's cursor is an opaque string: each row carries the cursor to
// resume after it (Observed.Token), and each page the cursor to continue
// with. The engine settles rows in order and persists, per map and side,
// the token of the last settled row (engine.Watermark). New resumes each
// feed from those tokens, so a restarted driver sees some changes again,
// never misses one; seeing them again is harmless (see engine.State). While
// running, the driver reads ahead from the page cursors it holds in memory.
// A connector that can no longer resume from a cursor returns an error
// wrapping ErrCursorExpired; the driver then reads that feed again from the
// beginning (an empty cursor). Rows deleted while the cursor was stale are
// not detected that way: reconciling them is the job of a full re-read with
// reconcile in the connectors.
//
// The driver starts no goroutines and reads time only from its Clock, so in
// the simulator (virtual clock, in-process fakes) a run is deterministic.
package runtime

// Package server is the long-running dualsync runtime process: it owns one
// Driver (package runtime) over a verified plan, its store and its two
// connectors, runs the sync loop on a schedule, reports health, readiness
// and Prometheus metrics over HTTP, and shuts down without losing work.
// "dualsync run" wires it to the SQLite store and the OData connectors;
// tests and the demo wire it to fakes. Everything is injected through
// Config: the clock, the logger, the metrics registry, the store.
//
// # Start
//
//  1. New loads the store's State. A store written with another plan is
//     refused with a *store.PlanMismatchError unless
//     Config.AllowPlanChange is set (then records of maps that left the
//     plan are dropped, and fields no longer mapped are forgotten).
//  2. It builds the Driver from that State, with a store.Saver as its
//     Persister, so each engine Ready is persisted before its writes go
//     out, and it primes the error-queue gauges from the State.
//
// # The loop
//
// Run repeats one round until its context ends:
//
//  1. Requests: the person's decisions on error-queue entries (dualsync
//     errors retry / discard, recorded in the store) are stepped into the
//     engine as RetryError or DiscardError. An ID the engine does not know
//     (its map left the plan) is closed in the store directly.
//  2. Poll: one page of changes from every feed, in plan stage order.
//  3. Pump: persist each Ready, send its writes and reads, step the
//     answers, until the engine has nothing left to hand out.
//  4. Tick: the engine's clock moves, so due retries are queued for the
//     next Pump and parks that outlived their timeout become dependency
//     errors.
//  5. Wait for Config.PollInterval, unless a feed said more changes are
//     ready or the engine already has work: then the next round starts at
//     once. Kick also ends the wait.
//
// If a Save fails (the store is unreachable, the disk is full) the Driver
// stops; the loop waits Config.RestartDelay and builds a new Driver from
// the store, which is exactly a crash and a restart.
//
// # Health and readiness
//
// /healthz answers 200 while the process serves HTTP. /readyz answers 200
// when the plan is loaded, the store is usable (the last Save did not
// fail and the server is not shutting down), and the last successful poll
// of each side that has a change feed is at most Config.StaleAfter old;
// otherwise 503. Either way the body lists each check, one per line.
//
// # Metrics
//
// /metrics serves a private registry (never the global one):
//
//	dualsync_changes_total{map,side,outcome}   observed, applied, suppressed, parked, queued
//	dualsync_conflicts_total{map,rule}         conflicts decided, by the rule that decided
//	dualsync_error_queue_depth{map,class}      open error-queue entries
//	dualsync_parked_changes                    changes waiting for a lookup target now
//	dualsync_in_flight_changes                 changes being decided or written now
//	dualsync_change_lag_seconds{map,side}      how old the newest change was when it was read
//	dualsync_poll_age_seconds{side}            time since the last successful poll of the side
//	dualsync_poll_errors_total{map,side}       change-feed reads that failed
//	dualsync_writes_total{map,side,result}     writes answered: acked, or the failure class
//	dualsync_write_duration_seconds{map,side}  time of one batch of writes (histogram)
//	dualsync_throttled_total{side}             waits asked for by the target (429), reads and writes
//	dualsync_throttle_wait_seconds_total{side} seconds of those waits
//	dualsync_rejected_rows_total{map,side}     unreadable change-feed rows, queued as malformed (RowRejected)
//	dualsync_loops_total                       rounds of the loop
//	dualsync_driver_restarts_total             drivers rebuilt after a failed Save
//	dualsync_ready                             1 when /readyz would answer 200
//	dualsync_plan_info{digest}                 always 1: the plan being run
//
// plus the Go runtime and process collectors. The changes counters come
// from the engine's Accounting: the runtime reads the totals after every
// step it takes and credits the difference to the map and side of that
// step (a change-feed page; for the answers to writes and reads, the side
// opposite the target, where the change came from). Outcomes decided by
// the clock (a park that timed out) are credited to the map and source
// side of the dependency error they produced (to empty map and side
// labels in the unlikely case there is none). "parked" counts writes that
// had to wait for a lookup target, from the engine's Park notices. Summed
// over labels, observed, applied, suppressed and queued equal the
// engine's totals for the life of the process.
//
// # Shutdown
//
// When Run's context ends, the loop starts no new round. A Poll in
// progress stops at once (rows read but not yet pumped are read again by
// the next start). A Pump in progress may finish within
// Config.ShutdownGrace; after that its context is cancelled and the
// writes in flight are abandoned. Both
// are safe: every Ready is persisted before its writes are sent, and a
// change whose write was not answered holds its feed's watermark back, so
// the next start reads it again, and the merge base and versions make the
// second attempt a no-op or a merge, never a duplicate. Run then returns
// nil; the caller closes the store. Nothing else needs flushing.
//
// # Logging
//
// The server logs through the slog.Logger it is given: a record per round
// that did something, per conflict, per error-queue entry, per poll
// failure and recovery. Field values of records are logged only at debug
// level. NewLogger builds the JSON logger "dualsync run" uses; it removes
// the secrets it is told about and anything that looks like a bearer
// token from every message and attribute, as a second line of defence:
// nothing in the server ever logs a credential.
package server

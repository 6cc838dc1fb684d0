// Package sqlite is the default dualsync store: one SQLite file, through the
// pure-Go modernc.org/sqlite driver (no cgo), in WAL mode.
//
// # The file
//
// A store is an SQLite database whose application_id is ApplicationID and
// whose user_version is its schema version (migrations.go lists the steps).
// Open reads the file's header itself before SQLite touches the file, so a
// file that is not a dualsync store (not SQLite at all, another
// application's database, a store from a newer dualsync) is refused without
// a single byte written. A new store is built under a temporary name beside
// the target and hard-linked into place, which fails if the name was taken
// meanwhile: an existing file is never overwritten, and a crash never leaves
// a half-made store under the real name.
//
// # Connections
//
// Every connection sets busy_timeout, foreign_keys=ON and
// synchronous=NORMAL (with WAL: a commit is durable once the WAL is synced
// at the next checkpoint, and the file is never corrupted by a crash).
// Write transactions begin IMMEDIATE and are serialised within the process,
// so writers never fail on a lock upgrade; readers run in deferred read
// transactions and see a consistent snapshot while a write is in progress.
// Several processes may open the same file: the runtime and a person's
// "dualsync errors" command, say. A read-only store opens the file with
// mode=ro and query_only; SQLite may leave the empty -wal and -shm files
// beside it, which any later writer reuses or removes.
//
// # Tables
//
//	meta          created, state_version, plan_digest, next_id
//	records       engine.RecordState per map and key (JSON), and the intents
//	              of updates written since (engine.Checkpoint.Sent), apart
//	watermarks    change-feed position and delta token per map and side
//	errors        the error queue and its closed (audit) rows
//	error_events  every state change of an error entry
//	conflicts     the conflict log, append only
package sqlite

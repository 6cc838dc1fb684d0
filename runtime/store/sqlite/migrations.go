package sqlite

// migrations are the schema steps, in order: migrations[i] takes the schema
// from version i to i+1 (PRAGMA user_version). Each step runs in its own
// transaction together with the user_version update. Append only: a
// released step is never edited.
var migrations = []string{
	// 1: the first schema.
	`
CREATE TABLE meta (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

-- engine.RecordState by map and key; state is its JSON without map and
-- key. A rowid table: states of a few kilobytes fit its pages, where a
-- WITHOUT ROWID table would spill them to overflow pages.
CREATE TABLE records (
	id    INTEGER PRIMARY KEY,
	map   TEXT NOT NULL,
	key   TEXT NOT NULL,
	state TEXT NOT NULL,
	UNIQUE (map, key)
);

-- Change-feed watermarks and delta tokens, per map and side.
CREATE TABLE watermarks (
	map   TEXT NOT NULL,
	side  TEXT NOT NULL CHECK (side IN ('fo', 'dv')),
	seq   INTEGER NOT NULL,
	token TEXT NOT NULL,
	PRIMARY KEY (map, side)
) WITHOUT ROWID;

-- The error queue and its audit rows. Times are Unix nanoseconds (UTC),
-- NULL when unknown; fields and vals are JSON.
CREATE TABLE errors (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	id          TEXT NOT NULL UNIQUE,
	state       TEXT NOT NULL CHECK (state IN ('queued', 'retry', 'discard', 'resolved', 'retried', 'discarded')),
	map         TEXT NOT NULL,
	key         TEXT NOT NULL,
	side        TEXT NOT NULL CHECK (side IN ('fo', 'dv')),
	class       TEXT NOT NULL,
	http_status INTEGER NOT NULL,
	code        TEXT NOT NULL,
	message     TEXT NOT NULL,
	field       TEXT NOT NULL,
	pos_file    TEXT NOT NULL,
	pos_line    INTEGER NOT NULL,
	pos_col     INTEGER NOT NULL,
	fields      TEXT,
	source      TEXT NOT NULL,
	vals        TEXT,
	attempts    INTEGER NOT NULL,
	first_seen  INTEGER,
	last_seen   INTEGER,
	requested   INTEGER,
	closed      INTEGER
);
CREATE INDEX errors_by_state ON errors (state, seq);
CREATE INDEX errors_by_map ON errors (map, state, seq);

-- Every state change of an error entry, for the audit.
CREATE TABLE error_events (
	seq      INTEGER PRIMARY KEY AUTOINCREMENT,
	error_id TEXT NOT NULL REFERENCES errors (id),
	at       INTEGER NOT NULL,
	state    TEXT NOT NULL
);
CREATE INDEX error_events_by_error ON error_events (error_id, seq);

-- The conflict log, append only. fo and dv are engine.Value JSON.
CREATE TABLE conflicts (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	map         TEXT NOT NULL,
	key         TEXT NOT NULL,
	field       TEXT NOT NULL,
	dv_field    TEXT NOT NULL,
	fo          TEXT NOT NULL,
	dv          TEXT NOT NULL,
	winner      TEXT NOT NULL CHECK (winner IN ('fo', 'dv')),
	rule        TEXT NOT NULL,
	pos_file    TEXT NOT NULL,
	pos_line    INTEGER NOT NULL,
	pos_col     INTEGER NOT NULL,
	why         TEXT NOT NULL,
	fo_modified INTEGER,
	dv_modified INTEGER,
	at          INTEGER
);
CREATE INDEX conflicts_by_record ON conflicts (map, key, seq);
`,
	// 2: the raw payload of an error entry (engine.ErrorEntry.Raw), kept for
	// rows a connector could not read.
	`
ALTER TABLE errors ADD COLUMN raw TEXT NOT NULL DEFAULT '';
`,
	// 3: the intents of updates out (engine.Checkpoint.Sent), JSON of both
	// sides' Sent lists, set apart from the state they go with, whose own
	// lists they replace; NULL when the state was written last.
	`
ALTER TABLE records ADD COLUMN sent TEXT;
`,
}

// schemaVersion returns the schema version this build writes.
func schemaVersion() int { return len(migrations) }

package engine

import (
	"time"

	"github.com/dualsync/dualsync/runtime/plan"
)

// StateVersion is the version of the persisted state format below.
const StateVersion = 1

// State is everything the engine needs to resume after a restart: the
// contract between the engine and a store. New restores it; Engine.State
// returns it; each Ready's Checkpoint, Errors and Resolved are increments
// of it. Fields and maps are named, never numbered, so a state survives a
// plan that adds or removes fields: unknown names are dropped on restore.
//
// What is not here is safe to lose. Writes in flight and changes still
// being decided hold their change feed's watermark back, so after a crash
// they are observed again; the merge base and versions make that re-run
// idempotent (an echo is suppressed, a re-sent write meets a version
// mismatch and a merge, a create is an upsert by key).
type State struct {
	Version int `json:"version"`
	// PlanDigest is the digest of the plan the state was written with.
	PlanDigest string        `json:"planDigest,omitempty"`
	Records    []RecordState `json:"records"`
	Errors     []ErrorEntry  `json:"errors"`
	Watermarks []Watermark   `json:"watermarks"`
	// NextID is the engine's ID counter, when no IDSource is configured.
	NextID uint64 `json:"nextId"`
}

// RecordState is one tracked record, identified by map and key.
type RecordState struct {
	Map string    `json:"map"`
	Key string    `json:"key"`
	FO  SideState `json:"fo"`
	DV  SideState `json:"dv"`
	// Tombstone is set once the record was deleted on a side.
	Tombstone *Tombstone `json:"tombstone,omitempty"`
	// Pending holds the changes of a round that was parked, so that the
	// feed watermark could move past them; they are merged again on restore.
	Pending []PendingChange `json:"pending,omitempty"`
	// ParkedSince is when the round parked (event time), so that its park
	// timeout survives a restart.
	ParkedSince time.Time `json:"parkedSince,omitzero"`
}

// SideState is what the engine knows of a record on one side. A side that
// does not exist may still carry a Base, all of it unconfirmed: the intent
// of a create the engine sent there, persisted before the create went out
// (see the package documentation); and Version, for a side whose record was
// deleted: the last live version seen, which tells a row of a record
// created again there from a late copy of the deleted one.
type SideState struct {
	Exists   bool      `json:"exists"`
	Version  string    `json:"version,omitempty"`
	Modified time.Time `json:"modified,omitzero"`
	// UserModified is when the side's users last changed the row, when the
	// engine's own write has stamped Modified since: what last_write
	// compares (zero when it is Modified).
	UserModified time.Time `json:"userModified,omitzero"`
	// OwnVersion marks Version as the one the engine's own write was
	// acknowledged with and has not yet seen come back.
	OwnVersion bool `json:"ownVersion,omitempty"`
	// Base is the merge base: the side's values (its field names, plan
	// order) that both sides last agreed on.
	Base []FieldValue `json:"base,omitempty"`
	// Unconfirmed lists base fields the engine wrote itself and has not yet
	// seen come back through the side's change feed.
	Unconfirmed []string `json:"unconfirmed,omitempty"`
	// Sent is the intent of the updates the engine sent to the side in a
	// round that had not ended when the state was persisted: each field
	// with the value sent and the other side's value it came from. The rest
	// of the record is its state from before the round (see sent.go).
	Sent []SentValue `json:"sent,omitempty"`
}

// SentValue is one field of an update sent to a side: its name there, the
// value sent, and Source, the other side's value it was converted from.
type SentValue struct {
	Field  string `json:"field"`
	Value  Value  `json:"value"`
	Source Value  `json:"source"`
}

// Tombstone records a delete, so that late updates cannot resurrect it.
type Tombstone struct {
	Side plan.Side `json:"side"` // where the delete was observed
	// Action is the plan's delete action that was taken.
	Action plan.DeleteAction `json:"action"`
	// At is the deleting side's modified time of the delete (its own clock),
	// when known; a later row on that side re-creates the record, and so
	// does a row of the same time with a version other than the last live
	// one (SideState.Version).
	At time.Time `json:"at,omitzero"`
}

// PendingChange is one side's observed state held by a parked round.
type PendingChange struct {
	Side     plan.Side    `json:"side"`
	Values   []FieldValue `json:"values,omitempty"`
	Version  string       `json:"version,omitempty"`
	Modified time.Time    `json:"modified,omitzero"`
	Deleted  bool         `json:"deleted,omitempty"`
}

// Watermark is how far a change feed (one side of one map) is settled: every
// observation up to Seq ended (applied, suppressed, queued, or parked and
// persisted). Token is the cursor of the latest settled observation that
// carried one; the connector resumes from it after a restart. Seq numbers
// are only meaningful within a run; Token is what persists.
type Watermark struct {
	Map   string    `json:"map"`
	Side  plan.Side `json:"side"`
	Seq   int64     `json:"seq"`
	Token string    `json:"token,omitempty"`
}

// Class is an error class: what went wrong with a write, and so how the
// engine handles it.
type Class string

// Error classes.
const (
	// VersionMismatch: the target moved (412, or the record is gone). The
	// engine reads it again and merges; after Config.MaxRereads in a row
	// the change is queued.
	VersionMismatch Class = "version-mismatch"
	// Throttled: 429 with Retry-After. The engine waits and retries; never
	// an error, never counted as an attempt.
	Throttled Class = "throttled"
	// Transient: network errors and 5xx. Retried with backoff up to the
	// plan's attempts, then queued.
	Transient Class = "transient"
	// Plugin: a business-logic exception on the target. Retried with
	// backoff up to the plan's attempts, then queued.
	Plugin Class = "plugin"
	// Validation: the target refused the values. Queued at once.
	Validation Class = "validation"
	// MissingMapping: the target rejected an unknown field. Queued at once.
	MissingMapping Class = "missing-mapping"
	// InvalidValue: a value has no entry in the field's value map; found by
	// the engine before writing. Queued.
	InvalidValue Class = "invalid-value"
	// Dependency: parked longer than the map's park timeout. Queued.
	Dependency Class = "dependency"
	// DeleteReview: a delete under the plan's review action. Queued for a
	// person: RetryError propagates it, DiscardError keeps the other record.
	DeleteReview Class = "delete-review"
	// Malformed: a row of a side's change feed could not be read (bad
	// JSON, a wrong type, a missing key, an oversized payload, an unknown
	// enum member). Queued at once with the raw payload (ErrorEntry.Raw);
	// Side and Source are the side the row came from. Never retried on its
	// own: RetryError reads the record again when its key is known (an
	// entry without a key is just resolved), DiscardError drops it.
	Malformed Class = "malformed"
)

// ErrorEntry is one error-queue entry. There is at most one per record and
// target side; a new failure updates it (its fields are added, its values
// updated). When later writes carry the failed fields to the target, with
// the values that failed or newer ones, the entry is resolved (listed in
// Ready.Resolved); a write that carries some of them takes those off
// (the entry is listed again in Ready.Errors). A retried entry is resolved
// when the retry settles; if the retry fails again, it is resolved and the
// failure is a new entry. Malformed entries stand apart: one per record and
// side the row came from (a row seen again updates it), or one per row
// whose key could not be read (Key is then empty).
type ErrorEntry struct {
	ID    string    `json:"id"`
	Map   string    `json:"map"`
	Key   string    `json:"key"`
	Side  plan.Side `json:"side"` // the target side of the failed write
	Class Class     `json:"class"`
	// Status and Code are the target's HTTP status and error code, if any.
	Status  int    `json:"status,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message"`
	// Field is the offending field, in the target's names, when known.
	Field string `json:"field,omitempty"`
	// Pos is the plan source position of the field, or of the map.
	Pos plan.Pos `json:"pos"`
	// Fields are the target fields that were not written.
	Fields []string `json:"fields,omitempty"`
	// Source is the side the change came from; Values are its raw values
	// there (Source's field names), as observed.
	Source plan.Side    `json:"source"`
	Values []FieldValue `json:"values,omitempty"`
	// Raw is the payload as the side sent it, for a Malformed entry.
	Raw      string    `json:"raw,omitempty"`
	Attempts int       `json:"attempts"`
	First    time.Time `json:"first,omitzero"`
	Last     time.Time `json:"last,omitzero"`
}

package engine

import (
	"time"

	"github.com/dualsync/dualsync/runtime/plan"
)

// Event is an input to Step: Observed, ObserveFailed, WriteAcked,
// WriteFailed, Tick, RetryError or DiscardError (values or pointers).
type Event interface{ isEvent() }

// Observed is the current state of one record as seen on one side: a row
// from that side's change feed, or the answer to a Read.
type Observed struct {
	Side plan.Side `json:"side"`
	Map  string    `json:"map"`
	// Key is the record's integration key, built with JoinKey.
	Key string `json:"key"`
	// Values holds the side's mapped fields by that side's field names. A
	// field left out is unknown (not selected), not null. Lookup fields hold
	// the referenced record's key.
	Values map[string]Value `json:"values,omitempty"`
	// Version is the row version or ETag, compared for equality only.
	Version string `json:"version,omitempty"`
	// Modified is the side's own last-modified time of the row, when known.
	Modified time.Time `json:"modified,omitzero"`
	// Deleted reports that the row no longer exists on the side.
	Deleted bool `json:"deleted,omitempty"`
	// Seq is the observation's position in its change feed (per side and
	// map), increasing within a run; 0 for a Read answer or a record that is
	// not from a feed. Token is the feed cursor to resume after this row, when
	// the connector has one (a delta link, a modified-time mark). Together
	// they drive the watermarks in Checkpoint.
	Seq   int64  `json:"seq,omitempty"`
	Token string `json:"token,omitempty"`
}

// ObserveFailed reports a row of a side's change feed that could not be
// read (bad JSON, a value of the wrong type, a missing key, an oversized
// payload, an unknown enum member). It counts as an observed change that
// ends in the error queue, as an entry of class Malformed that keeps the
// raw payload.
type ObserveFailed struct {
	Side plan.Side `json:"side"`
	Map  string    `json:"map"`
	// Key is the row's key, built with JoinKey; empty when the key itself
	// could not be read.
	Key string `json:"key,omitempty"`
	// Field is the side's field that was wrong, when known.
	Field string `json:"field,omitempty"`
	// Message says what was wrong.
	Message string `json:"message"`
	// Raw is the row as the side sent it.
	Raw string `json:"raw,omitempty"`
}

// WriteAcked reports that a write was applied by its target.
type WriteAcked struct {
	WriteID string `json:"writeId"`
	// NewVersion is the row's version after the write, when the target says
	// (without it, the next write to the record meets a version mismatch
	// and a re-read first).
	NewVersion string `json:"newVersion,omitempty"`
	// Modified is the target's modified time after the write, when known.
	Modified time.Time `json:"modified,omitzero"`
	// Stored holds the values as the target stored them (target field
	// names), when it returned them; they may be normalised.
	Stored map[string]Value `json:"stored,omitempty"`
}

// WriteFailed reports that a write was not applied.
type WriteFailed struct {
	WriteID string `json:"writeId"`
	Class   Class  `json:"class"`
	Status  int    `json:"status,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	// Field is the target field the target complained about, when known
	// (for example the unknown property of a missing-mapping error).
	Field string `json:"field,omitempty"`
	// RetryAfter is the wait the target asked for (throttled).
	RetryAfter time.Duration `json:"retryAfter,omitempty"`
}

// Tick tells the engine what time it is. Time never goes back: an earlier
// Now is ignored.
type Tick struct {
	Now time.Time `json:"now"`
}

// RetryError asks the engine to take an error-queue entry out of the queue
// and try the change again (for a delete-review entry: propagate the delete).
type RetryError struct {
	ID string `json:"id"`
}

// DiscardError asks the engine to drop an error-queue entry and accept the
// difference (for a delete-review entry: keep the other side's record and
// forget the pairing).
type DiscardError struct {
	ID string `json:"id"`
}

func (Observed) isEvent()      {}
func (ObserveFailed) isEvent() {}
func (WriteAcked) isEvent()    {}
func (WriteFailed) isEvent()   {}
func (Tick) isEvent()          {}
func (RetryError) isEvent()    {}
func (DiscardError) isEvent()  {}

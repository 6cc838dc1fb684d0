package store

import (
	"fmt"
	"slices"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
)

// Status is an error-queue entry's place in the flow described in the
// package documentation.
type Status string

// Statuses. The first three are open, the last three closed.
const (
	Queued           Status = "queued"    // in the queue, waiting
	RetryRequested   Status = "retry"     // a person asked for a retry; the runtime has not acted yet
	DiscardRequested Status = "discard"   // a person asked for a discard; the runtime has not acted yet
	Resolved         Status = "resolved"  // a later write carried the failed fields
	Retried          Status = "retried"   // the retry was handed to the engine
	Discarded        Status = "discarded" // the discard was handed to the engine
)

// statuses lists every status, open ones first.
var statuses = []Status{Queued, RetryRequested, DiscardRequested, Resolved, Retried, Discarded}

// OpenStatuses returns the open statuses.
func OpenStatuses() []Status { return slices.Clone(statuses[:3]) }

// ClosedStatuses returns the closed statuses.
func ClosedStatuses() []Status { return slices.Clone(statuses[3:]) }

// AllStatuses returns every status.
func AllStatuses() []Status { return slices.Clone(statuses) }

// Open reports whether s is an open status.
func (s Status) Open() bool { return s == Queued || s == RetryRequested || s == DiscardRequested }

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return slices.Contains(statuses, s) }

// ErrorRecord is an error-queue entry as the store keeps it: the engine's
// entry and its place in the queue flow. The embedded entry's Status is the
// target's HTTP status; State is the queue status.
type ErrorRecord struct {
	engine.ErrorEntry
	// Seq is the entry's place in the store: assigned when the ID is first
	// stored, increasing, never reused. Lists are ordered by it.
	Seq int64 `json:"seq"`
	// State is where the entry is in the queue flow.
	State Status `json:"state"`
	// Requested is when the pending or carried-out request was made.
	Requested time.Time `json:"requested,omitzero"`
	// Closed is when the entry left the queue.
	Closed time.Time `json:"closed,omitzero"`
	// History lists the entry's state changes, oldest first; only GetError
	// fills it.
	History []ErrorEvent `json:"history,omitempty"`
}

// ErrorEvent is one state change of an entry.
type ErrorEvent struct {
	At    time.Time `json:"at"`
	State Status    `json:"state"`
}

// ErrorFilter selects error-queue entries. The zero value selects every
// open entry.
type ErrorFilter struct {
	Map   string       // only this map, when set
	Key   string       // only this record key, when set
	Class engine.Class // only this class, when set
	// States selects by status; nil means the open ones.
	States []Status
	// After skips entries up to and including this Seq (paging: pass the
	// last Seq of the previous page).
	After int64
	// Limit caps the number of entries; 0 is no limit.
	Limit int
}

// Check reports whether f is valid.
func (f *ErrorFilter) Check() error {
	for _, s := range f.States {
		if !s.Valid() {
			return fmt.Errorf("%w filter: unknown state %q", ErrInvalid, s)
		}
	}
	if f.Limit < 0 || f.After < 0 {
		return fmt.Errorf("%w filter: negative limit or position", ErrInvalid)
	}
	return nil
}

// StatesOrOpen returns f.States, or the open statuses when it is nil.
func (f *ErrorFilter) StatesOrOpen() []Status {
	if f.States == nil {
		return OpenStatuses()
	}
	return f.States
}

// Action is what a person asked for.
type Action string

// Actions.
const (
	ActionRetry   Action = "retry"
	ActionDiscard Action = "discard"
)

// Request is a pending decision on an entry, for the runtime to step into
// the engine as engine.RetryError or engine.DiscardError.
type Request struct {
	ID     string    `json:"id"`
	Action Action    `json:"action"`
	At     time.Time `json:"at"`
}

// Event returns the engine event that carries out the request.
func (r Request) Event() engine.Event {
	if r.Action == ActionDiscard {
		return engine.DiscardError{ID: r.ID}
	}
	return engine.RetryError{ID: r.ID}
}

// ConflictRecord is one conflict-log entry.
type ConflictRecord struct {
	engine.Conflict
	// Seq is the entry's place in the log, increasing.
	Seq int64 `json:"seq"`
}

// ConflictFilter selects conflict-log entries. The zero value selects all.
type ConflictFilter struct {
	Map   string // only this map, when set
	Key   string // only this record key, when set
	After int64  // skip entries up to and including this Seq
	Limit int    // 0 is no limit
}

// Check reports whether f is valid.
func (f *ConflictFilter) Check() error {
	if f.Limit < 0 || f.After < 0 {
		return fmt.Errorf("%w filter: negative limit or position", ErrInvalid)
	}
	return nil
}

package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
)

// Store keeps everything that must survive a restart. Implementations are
// safe for concurrent use: reads may run while a write is in progress and
// see either all of a batch or none of it.
type Store interface {
	// Load returns the state to resume the engine from: every record, the
	// open error entries (states queued, retry and discard), the
	// watermarks, the ID counter and the digest of the plan the store was
	// written with. Slices are empty, not nil, when there is nothing.
	Load(ctx context.Context) (engine.State, error)
	// Apply persists one batch in one transaction: all of it or, on error,
	// nothing. An invalid item fails the batch with an error wrapping
	// ErrInvalid (see Batch).
	Apply(ctx context.Context, b Batch) error

	// ListErrors returns the error-queue entries that pass the filter,
	// ordered by Seq.
	ListErrors(ctx context.Context, f ErrorFilter) ([]ErrorRecord, error)
	// GetError returns one entry, open or closed, with its History. An
	// unknown ID is ErrNotFound.
	GetError(ctx context.Context, id string) (ErrorRecord, error)
	// RetryError asks for the entry to be tried again: it moves from queued
	// to retry, and the runtime hands it to the engine (see the package
	// documentation). It returns the entry as it is now.
	RetryError(ctx context.Context, id string) (ErrorRecord, error)
	// DiscardError asks for the entry to be dropped: it moves from queued
	// to discard, and the runtime hands it to the engine, which accepts the
	// difference; the entry then stays as a discarded audit row.
	DiscardError(ctx context.Context, id string) (ErrorRecord, error)
	// Requests lists the pending requests (entries in state retry or
	// discard), oldest request first.
	Requests(ctx context.Context) ([]Request, error)

	// Conflicts returns conflict-log entries that pass the filter, ordered
	// by Seq.
	Conflicts(ctx context.Context, f ConflictFilter) ([]ConflictRecord, error)

	// Info describes the store.
	Info(ctx context.Context) (Info, error)
	// Close releases the store. Calls after Close fail with ErrStoreClosed;
	// Close itself may be called again.
	Close() error
}

// Config holds the options of an implementation's Open. The zero value
// opens an existing store for reading and writing, whatever plan wrote it.
type Config struct {
	// Create creates an empty store when none exists. An existing store is
	// opened as it is; anything else found there (a file that is not a
	// dualsync store) is an error, and it is left untouched.
	Create bool
	// ReadOnly opens the store for reading: Apply, RetryError and
	// DiscardError fail, and nothing is created or migrated.
	ReadOnly bool
	// PlanDigest is the digest of the plan the caller runs. Apply records
	// it as the plan the store is written with.
	PlanDigest string
	// RequirePlan refuses to open a store written with a plan other than
	// PlanDigest, with a *PlanMismatchError. A store that no plan wrote yet
	// is accepted.
	RequirePlan bool
	// Now is the clock for the times the store itself records (requests,
	// closing, the audit history, creation). Nil: time.Now.
	Now func() time.Time
}

// Info describes a store.
type Info struct {
	// Location names the store: a file path, a database and schema.
	Location string `json:"location"`
	// Schema is the version of the store's schema.
	Schema int `json:"schema"`
	// StateVersion is the engine state format the store holds.
	StateVersion int `json:"stateVersion"`
	// PlanDigest is the plan the store was last written with; empty for a
	// store no plan wrote yet.
	PlanDigest string `json:"planDigest,omitempty"`
	// Created is when the store was created.
	Created  time.Time `json:"created,omitzero"`
	ReadOnly bool      `json:"readOnly,omitempty"`
}

// Errors. Implementations wrap them, so test with errors.Is.
var (
	// ErrNotFound: no error-queue entry has the ID.
	ErrNotFound = errors.New("no such error-queue entry")
	// ErrClosed: the entry has left the queue (resolved, retried or
	// discarded); it is kept for the audit only.
	ErrClosed = errors.New("error-queue entry is closed")
	// ErrPending: the entry already has a different request pending.
	ErrPending = errors.New("error-queue entry has a pending request")
	// ErrInvalid: a batch or a filter holds an invalid item.
	ErrInvalid = errors.New("invalid")
	// ErrReadOnly: a write to a store opened read-only.
	ErrReadOnly = errors.New("store is open read-only")
	// ErrStoreClosed: the store was closed.
	ErrStoreClosed = errors.New("store is closed")
	// ErrNotStore: what was opened is not a dualsync store (or not one this
	// build can read).
	ErrNotStore = errors.New("not a dualsync store")
	// ErrSchemaTooNew: the store's schema is newer than this build knows;
	// a newer dualsync wrote it.
	ErrSchemaTooNew = errors.New("store schema is newer than this build")
	// ErrPlanMismatch: see PlanMismatchError.
	ErrPlanMismatch = errors.New("store was written with another plan")
)

// PlanMismatchError reports a store written with another plan, when
// Config.RequirePlan asked for the same one.
type PlanMismatchError struct {
	Location string
	Stored   string // the plan the store was written with
	Want     string // Config.PlanDigest
}

func (e *PlanMismatchError) Error() string {
	return fmt.Sprintf("%s: store was written with plan %s, not %s", e.Location, e.Stored, e.Want)
}

// Unwrap makes errors.Is(err, ErrPlanMismatch) true.
func (e *PlanMismatchError) Unwrap() error { return ErrPlanMismatch }

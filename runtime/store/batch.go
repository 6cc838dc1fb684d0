package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// Batch is one Ready's worth of changes to persist, applied in one
// transaction in this order: records deleted, records upserted, intents of
// updates set on stored records, error
// entries upserted, entries resolved, conflicts appended, watermarks set,
// the ID counter set, and the plan digest recorded.
//
// Every item is checked as it is applied (see CheckRecord and the other
// Check functions); an invalid one fails the whole batch.
type Batch struct {
	// Records are upserted by map and key (engine.Checkpoint.Records).
	Records []engine.RecordState
	// Sent replaces the Sent lists of both sides of records already stored
	// (engine.Checkpoint.Sent); one for a record not stored fails the batch.
	Sent []engine.RecordSent
	// DeleteRecords forgets records; unknown ones are ignored.
	DeleteRecords []RecordKey
	// Errors are upserted by ID (engine.Ready.Errors): a new ID enters the
	// queue as queued; a known open one is updated in place (state and Seq
	// kept); a closed one is reopened as queued.
	Errors []engine.ErrorEntry
	// Resolved closes entries by ID (engine.Ready.Resolved): as retried or
	// discarded when that request was pending, else as resolved. Unknown
	// and already closed IDs are ignored, so a replayed batch is harmless.
	Resolved []string
	// Conflicts are appended to the conflict log (engine.Ready.Conflicts).
	Conflicts []engine.Conflict
	// Watermarks are set by map and side (engine.Checkpoint.Watermarks).
	Watermarks []engine.Watermark
	// NextID, when not zero, is the engine's ID counter
	// (engine.Checkpoint.NextID).
	NextID uint64
}

// RecordKey names a record.
type RecordKey struct {
	Map string `json:"map"`
	Key string `json:"key"`
}

// BatchOf returns the batch that persists r. The batch shares r's slices,
// which stay valid until the engine's Advance.
func BatchOf(r engine.Ready) Batch {
	return Batch{
		Records:    r.Checkpoint.Records,
		Sent:       r.Checkpoint.Sent,
		Errors:     r.Errors,
		Resolved:   r.Resolved,
		Conflicts:  r.Conflicts,
		Watermarks: r.Checkpoint.Watermarks,
		NextID:     r.Checkpoint.NextID,
	}
}

// Saver adapts a Store to a persister of engine Readies (the runtime's
// Persister interface).
type Saver struct{ Store Store }

// Save persists one Ready: Apply(ctx, BatchOf(rd)).
func (s Saver) Save(ctx context.Context, rd engine.Ready) error {
	return s.Store.Apply(ctx, BatchOf(rd))
}

// Empty reports whether the batch changes nothing.
func (b *Batch) Empty() bool {
	return len(b.Records) == 0 && len(b.Sent) == 0 && len(b.DeleteRecords) == 0 && len(b.Errors) == 0 &&
		len(b.Resolved) == 0 && len(b.Conflicts) == 0 && len(b.Watermarks) == 0 && b.NextID == 0
}

// CheckRecord reports whether r can be stored.
func CheckRecord(r *engine.RecordState) error {
	if r.Map == "" || r.Key == "" {
		return fmt.Errorf("%w record: map %q, key %q: both are required", ErrInvalid, r.Map, r.Key)
	}
	if t := r.Tombstone; t != nil && !validSide(t.Side) {
		return fmt.Errorf("%w record %s %q: tombstone side %q", ErrInvalid, r.Map, r.Key, t.Side)
	}
	for _, p := range r.Pending {
		if !validSide(p.Side) {
			return fmt.Errorf("%w record %s %q: pending change of side %q", ErrInvalid, r.Map, r.Key, p.Side)
		}
	}
	return nil
}

// CheckSent reports whether s can be stored (the record it names must be
// stored too, which the store checks).
func CheckSent(s *engine.RecordSent) error {
	if s.Map == "" || s.Key == "" {
		return fmt.Errorf("%w intent of updates: map %q, key %q: both are required", ErrInvalid, s.Map, s.Key)
	}
	return nil
}

// ErrNoRecord is wrapped by the error of a batch whose Sent names a record
// that is not stored.
var ErrNoRecord = errors.New("no such record")

// CheckRecordKey reports whether k names a record.
func CheckRecordKey(k RecordKey) error {
	if k.Map == "" || k.Key == "" {
		return fmt.Errorf("%w record to delete: map %q, key %q: both are required", ErrInvalid, k.Map, k.Key)
	}
	return nil
}

// CheckError reports whether e can be stored.
func CheckError(e *engine.ErrorEntry) error {
	switch {
	case e.ID == "":
		return fmt.Errorf("%w error entry of %s %q: no ID", ErrInvalid, e.Map, e.Key)
	case e.Map == "" || (e.Key == "" && e.Class != engine.Malformed):
		// A malformed row may have no readable key.
		return fmt.Errorf("%w error entry %s: map %q, key %q: both are required", ErrInvalid, e.ID, e.Map, e.Key)
	case !validSide(e.Side):
		return fmt.Errorf("%w error entry %s: side %q", ErrInvalid, e.ID, e.Side)
	case e.Source != "" && !validSide(e.Source):
		return fmt.Errorf("%w error entry %s: source side %q", ErrInvalid, e.ID, e.Source)
	case e.Class == "":
		return fmt.Errorf("%w error entry %s: no class", ErrInvalid, e.ID)
	}
	return nil
}

// CheckResolved reports whether id can name an entry.
func CheckResolved(id string) error {
	if id == "" {
		return fmt.Errorf("%w resolved entry: empty ID", ErrInvalid)
	}
	return nil
}

// CheckConflict reports whether c can be stored.
func CheckConflict(c *engine.Conflict) error {
	switch {
	case c.Map == "" || c.Key == "":
		return fmt.Errorf("%w conflict: map %q, key %q: both are required", ErrInvalid, c.Map, c.Key)
	case !validSide(c.Winner):
		return fmt.Errorf("%w conflict %s %q: winner %q", ErrInvalid, c.Map, c.Key, c.Winner)
	case c.Rule == "":
		return fmt.Errorf("%w conflict %s %q: no rule", ErrInvalid, c.Map, c.Key)
	}
	return nil
}

// CheckWatermark reports whether w can be stored.
func CheckWatermark(w *engine.Watermark) error {
	if w.Map == "" || !validSide(w.Side) {
		return fmt.Errorf("%w watermark: map %q, side %q", ErrInvalid, w.Map, w.Side)
	}
	return nil
}

func validSide(s plan.Side) bool { return s == plan.FO || s == plan.DV }

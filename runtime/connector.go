package runtime

import (
	"context"
	"errors"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// Connector is one side's client: the HTTP connectors in production, the
// in-process fakes' adapters in the simulator. The driver calls it from one
// goroutine at a time.
//
// Values are in the side's field names with engine kinds: strings, ints,
// decimals, bools and times as such; F&O enum members as strings;
// Dataverse choices as ints; lookups, on both sides, as the referenced
// record's key (engine.JoinKey of its integration key values, company
// first when the referenced map is company-specific).
type Connector interface {
	// Side is the side this connector talks to.
	Side() plan.Side

	// Changes returns up to limit rows of map m changed on the side since
	// cursor ("" reads from the beginning: every current row, no deletes).
	// Each row carries its key, the map's fields, its version and modified
	// time, Deleted for a delete, and Token, the cursor to resume after it.
	// The driver sets Seq. Page.Next is the cursor to continue with and
	// Page.More says whether more rows are ready now. A cursor the side can
	// no longer resume from fails with an error wrapping ErrCursorExpired.
	Changes(ctx context.Context, m *plan.Map, cursor string, limit int) (Page, error)

	// Read returns the current row of map m with the given key, or a row
	// with Deleted set when the side does not have it.
	Read(ctx context.Context, m *plan.Map, key string) (engine.Observed, error)

	// Apply sends writes of map m to the side and returns one Result per
	// write, in any order, identified by write ID. A write that could not
	// be sent at all (an outage) fails with class engine.Transient. Apply
	// must honour each write's Create and ExpectedVersion (see
	// engine.Write): a create of a record that exists, a stale version, and
	// an update or delete of a record that is gone fail with class
	// engine.VersionMismatch.
	Apply(ctx context.Context, m *plan.Map, ws []engine.Write) []Result
}

// Page is one answer of Connector.Changes.
type Page struct {
	Rows []engine.Observed `json:"rows,omitempty"`
	// Next is the cursor to pass to the next call; empty means "the same
	// cursor again" (nothing was read).
	Next string `json:"next,omitempty"`
	// More reports that more changes are ready beyond this page.
	More bool `json:"more,omitempty"`
	// Rejected are rows of the page that could not be read; the driver
	// steps each as an engine.ObserveFailed, which queues it with its raw
	// payload, and the feed goes on past them.
	Rejected []Rejected `json:"rejected,omitempty"`
}

// Rejected is a row of a change page that could not be turned into an
// observation: bad JSON, a value of the wrong type, a missing key, an
// oversized payload, an unknown enum member.
type Rejected struct {
	// Key is the row's key (engine.JoinKey), or "" when the key itself
	// could not be read.
	Key string `json:"key,omitempty"`
	// Field is the side's field that was wrong, when known.
	Field string `json:"field,omitempty"`
	// Reason says what was wrong.
	Reason string `json:"reason"`
	// Raw is the row as the side sent it.
	Raw string `json:"raw,omitempty"`
}

// Result is the outcome of one write: exactly one of Acked and Failed is set.
type Result struct {
	Acked  *engine.WriteAcked  `json:"acked,omitempty"`
	Failed *engine.WriteFailed `json:"failed,omitempty"`
}

// Ack returns a Result acknowledging a write.
func Ack(a engine.WriteAcked) Result { return Result{Acked: &a} }

// Fail returns a Result failing a write.
func Fail(f engine.WriteFailed) Result { return Result{Failed: &f} }

// WriteID is the ID of the write the result answers.
func (r Result) WriteID() string {
	switch {
	case r.Acked != nil:
		return r.Acked.WriteID
	case r.Failed != nil:
		return r.Failed.WriteID
	}
	return ""
}

// Event returns the result as an event for the engine, or nil when the
// result is empty.
func (r Result) Event() engine.Event {
	switch {
	case r.Acked != nil:
		return *r.Acked
	case r.Failed != nil:
		return *r.Failed
	}
	return nil
}

// ErrCursorExpired is wrapped by the error of Connector.Changes when the
// side can no longer resume from the cursor (an expired Dataverse delta
// token). The driver reads the feed again from an empty cursor.
var ErrCursorExpired = errors.New("change cursor expired: a full read is needed")

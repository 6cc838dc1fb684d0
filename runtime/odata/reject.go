package odata

import (
	"fmt"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/plan"
)

// maxRaw caps the raw payload kept with a rejected row.
const maxRaw = 64 << 10

// Rejected is a row of a change page that could not be turned into an
// observation: bad JSON, a value of the wrong type, a missing key, an
// unreadable enum member. It keeps the raw payload for the error queue.
type Rejected struct {
	Side plan.Side `json:"side"`
	Map  string    `json:"map"`
	// Key is the row's key text when it could be read, else "".
	Key string `json:"key,omitempty"`
	// Field is the property that was wrong, when known.
	Field string `json:"field,omitempty"`
	// Reason says what was wrong.
	Reason string `json:"reason"`
	// Raw is the row as the service sent it (at most 64 KiB).
	Raw string `json:"raw"`
}

// page returns the rejected row as the driver takes it in Page.Rejected.
func (r *Rejected) page() dsruntime.Rejected {
	return dsruntime.Rejected{Key: r.Key, Field: r.Field, Reason: r.Reason, Raw: r.Raw}
}

// RowError is the error of Read for a row that cannot be read.
type RowError struct{ Rejected }

func (e *RowError) Error() string {
	who := e.Key
	if who == "" {
		who = "(no key)"
	}
	field := ""
	if e.Field != "" {
		field = " " + e.Field
	}
	return fmt.Sprintf("%s %s: row %s%s: %s; raw: %s", e.Side, e.Map, who, field, e.Reason, e.Raw)
}

// reject builds a Rejected for a row of map m.
func reject(side plan.Side, m *plan.Map, raw []byte, key, field string, err error) Rejected {
	return Rejected{Side: side, Map: m.Name, Key: key, Field: field, Reason: err.Error(), Raw: truncate(string(raw), maxRaw)}
}

// fieldError is a value problem in one property.
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return e.field + ": " + e.err.Error() }
func (e *fieldError) Unwrap() error { return e.err }

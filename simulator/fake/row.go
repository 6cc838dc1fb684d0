package fake

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// Row is a record as a service answers it.
type Row struct {
	// Key is the record's key as text: engine.JoinKey of its key values,
	// company first (on Dataverse the company's code, not its GUID).
	Key string `json:"key"`
	// ID is the Dataverse primary id.
	ID string `json:"id,omitempty"`
	// ETag is the weak ETag of the row version, W/"<n>".
	ETag    string    `json:"etag,omitempty"`
	Version int64     `json:"version"`
	Created time.Time `json:"created,omitzero"`
	// Modified is the service's own modified time (second precision).
	Modified time.Time `json:"modified,omitzero"`
	// Deleted marks a deleted record in a change feed.
	Deleted bool `json:"deleted,omitempty"`
	// Values holds the fields by the service's names, including the key
	// fields and the modified-time field.
	Values map[string]engine.Value `json:"values,omitempty"`
}

// Key is a record's key values by field name: on F&O dataAreaId and the
// business key; on Dataverse the alternate key, the company lookup given
// as the company's GUID.
type Key map[string]engine.Value

// Addr addresses a Dataverse record by primary id or by alternate key.
type Addr struct {
	ID  string
	Key Key
}

func etag(v int64) string { return `W/"` + strconv.FormatInt(v, 10) + `"` }

// parseETag returns the version of a weak or strong ETag.
func parseETag(s string) (int64, bool) {
	s = strings.TrimPrefix(s, "W/")
	s = strings.Trim(s, `"`)
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// keyText joins key values as engine.JoinKey does.
func keyText(parts []engine.Value) string {
	ss := make([]string, len(parts))
	for i, p := range parts {
		ss[i] = text(p)
	}
	return engine.JoinKey(ss...)
}

// splitKeyText turns key text into typed key values for the set's key
// fields (the company field, on Dataverse, stays the code).
func splitKeyText(d *setDef, key string) ([]engine.Value, error) {
	parts := engine.SplitKey(key)
	if len(parts) != len(d.keys) {
		return nil, fmt.Errorf("key %q of %s has %d parts, want %d (%s)", key, d.name, len(parts), len(d.keys), strings.Join(d.keys, ", "))
	}
	out := make([]engine.Value, len(parts))
	for i, p := range parts {
		f := d.fields[d.keys[i]]
		switch {
		case f != nil && f.typ == plan.Int:
			n, err := strconv.ParseInt(p, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("key %q of %s: %s is not an integer", key, d.name, d.keys[i])
			}
			out[i] = engine.Int(n)
		default:
			out[i] = engine.String(p)
		}
	}
	return out, nil
}

package fake

import (
	"context"
	"errors"
	"fmt"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// The adapters implement dsruntime.Connector on top of the services'
// request interfaces, the way the HTTP connectors will on top of HTTP:
// they address records by key, turn the runtime's representation
// (lookups as key text, company codes) into the service's (F&O business
// keys, Dataverse GUIDs and @odata.bind paths) and back, keep the change
// cursors, and classify service errors with dsruntime.Classify.

// ConnectorConfig configures an adapter. The zero value works.
type ConnectorConfig struct {
	// Overlap is how far before its cursor's modified time an F&O poll
	// reads again, to catch rows whose modified time is earlier than rows
	// already seen (late commits, clock steps). Default 1 minute.
	Overlap time.Duration
	// NoStored leaves the stored values out of acknowledgements, as a
	// service answering without a representation would.
	NoStored bool
}

func (c *ConnectorConfig) defaults() {
	if c.Overlap <= 0 {
		c.Overlap = time.Minute
	}
}

// failAll fails every write with the same service error.
func failAll(ws []engine.Write, se *dsruntime.ServiceError) []dsruntime.Result {
	out := make([]dsruntime.Result, len(ws))
	for i, w := range ws {
		f := dsruntime.Classify(se)
		f.WriteID = w.ID
		out[i] = dsruntime.Fail(f)
	}
	return out
}

// failure classifies err (a service *Error, or any other error as a
// transient failure) for write id.
func failure(id string, side plan.Side, err error) dsruntime.Result {
	var e *Error
	var se *dsruntime.ServiceError
	if errors.As(err, &e) {
		se = e.Service()
	} else {
		se = &dsruntime.ServiceError{Side: side, Network: true, Message: err.Error()}
	}
	f := dsruntime.Classify(se)
	f.WriteID = id
	return dsruntime.Fail(f)
}

// refused is a write the adapter cannot send: the values cannot be put in
// the service's form.
func refused(id, field string, format string, args ...any) dsruntime.Result {
	return dsruntime.Fail(engine.WriteFailed{WriteID: id, Class: engine.Validation, Field: field, Message: fmt.Sprintf(format, args...)})
}

func ctxFailAll(ctx context.Context, side plan.Side, ws []engine.Write) []dsruntime.Result {
	return failAll(ws, &dsruntime.ServiceError{Side: side, Network: true, Message: ctx.Err().Error()})
}

// fieldOf returns the plan field of map m named name on side s.
func fieldOf(m *plan.Map, s plan.Side, name string) *plan.Field {
	for i := range m.Fields {
		f := &m.Fields[i]
		if (s == plan.FO && f.FO == name) || (s == plan.DV && f.DV == name) {
			return f
		}
	}
	return nil
}

// businessKey returns the single non-company key field of a map, or nil
// when it has several (such a map cannot be the target of a one-field
// lookup).
func businessKey(m *plan.Map) *plan.KeyField {
	var k *plan.KeyField
	for i := range m.Key {
		if m.Key[i].Company {
			continue
		}
		if k != nil {
			return nil
		}
		k = &m.Key[i]
	}
	return k
}

func companyKeyed(m *plan.Map) bool {
	for _, k := range m.Key {
		if k.Company {
			return true
		}
	}
	return false
}

package fake

import (
	"encoding/json"
	"fmt"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/plan"
)

// Error is a service's failed answer, shaped as the service shapes it: an
// HTTP status and the body {"error":{"code","message","innererror"}}, or no
// answer at all (Network). The HTTP layer writes Body with Status and, for
// 429 and 503, a Retry-After header.
type Error struct {
	Side    plan.Side
	Status  int
	Code    string
	Message string
	// Inner is F&O's innererror.
	Inner      *InnerError
	RetryAfter time.Duration
	// Network: the request got no answer (connection reset, timeout).
	Network bool
}

// InnerError is the innererror of an F&O error body.
type InnerError struct {
	Message string `json:"message"`
	Type    string `json:"type"`
}

func (e *Error) Error() string { return e.Service().Error() }

// Service returns the error as the runtime sees a service error.
func (e *Error) Service() *dsruntime.ServiceError {
	se := &dsruntime.ServiceError{Side: e.Side, Status: e.Status, Code: e.Code, Message: e.Message,
		RetryAfter: e.RetryAfter, Network: e.Network}
	if e.Inner != nil {
		se.InnerType, se.InnerMessage = e.Inner.Type, e.Inner.Message
	}
	return se
}

// Body is the JSON error body.
func (e *Error) Body() []byte {
	type body struct {
		Code    string      `json:"code"`
		Message string      `json:"message"`
		Inner   *InnerError `json:"innererror,omitempty"`
	}
	b, _ := json.Marshal(map[string]body{"error": {Code: e.Code, Message: e.Message, Inner: e.Inner}})
	return b
}

// Error constructors, one per documented shape.

func networkError(s plan.Side) *Error {
	return &Error{Side: s, Network: true, Message: "connection reset by peer"}
}

func unavailable(s plan.Side, status int) *Error {
	if status == 0 {
		status = 503
	}
	msg := "Service Unavailable"
	if status != 503 {
		msg = "An unexpected error occurred."
	}
	return &Error{Side: s, Status: status, Message: msg, RetryAfter: time.Second}
}

func throttled(s plan.Side, limit int, window, retry time.Duration) *Error {
	if s == plan.DV {
		return &Error{Side: s, Status: 429, Code: dsruntime.CodeRequestLimitReached, RetryAfter: retry,
			Message: fmt.Sprintf("Number of requests exceeded the limit of %d over time window of %d seconds.", limit, int(window.Seconds()))}
	}
	return &Error{Side: s, Status: 429, RetryAfter: retry,
		Message: "This request could not be processed at this time due to system experiencing high resource utilization."}
}

// F&O shapes.

func foWriteFailed(entity, infolog string) *Error {
	return &Error{Side: plan.FO, Status: 500, Message: "An error has occurred.", Inner: &InnerError{
		Message: fmt.Sprintf("Write failed for table row of type '%s'. Infolog: %s", entity, infolog),
		Type:    dsruntime.AxWriteException,
	}}
}

func foNotFound(set string) *Error {
	return &Error{Side: plan.FO, Status: 404, Message: fmt.Sprintf("Resource not found for the segment '%s'.", set)}
}

func foPrecondition() *Error {
	return &Error{Side: plan.FO, Status: 412, Message: "The ETag value in the request does not match the current version of the record."}
}

func foUnknownProperty(entity, field string) *Error {
	return &Error{Side: plan.FO, Status: 400, Message: fmt.Sprintf(
		"The property '%s' does not exist on type 'Microsoft.Dynamics.DataEntities.%s'. Make sure to only use property names that are defined by the type.", field, entity)}
}

func foBadRequest(msg string) *Error {
	return &Error{Side: plan.FO, Status: 400, Message: "An error has occurred.", Inner: &InnerError{Message: msg, Type: "System.ArgumentException"}}
}

// Dataverse shapes.

func dvError(status int, code, msg string) *Error {
	return &Error{Side: plan.DV, Status: status, Code: code, Message: msg}
}

func dvNotFound(table string) *Error {
	return dvError(404, dsruntime.CodeRecordNotFound, fmt.Sprintf("A record with the specified key values does not exist in %s entity", table))
}

func dvNotFoundID(table, id string) *Error {
	return dvError(404, dsruntime.CodeRecordNotFound, fmt.Sprintf("%s With Id = %s Does Not Exist", table, id))
}

func dvExists() *Error {
	return dvError(412, dsruntime.CodeRecordExists, "A record with matching key values already exists.")
}

func dvStale() *Error {
	return dvError(412, dsruntime.CodeVersionMismatch, "The version of the existing record doesn't match the RowVersion property provided.")
}

func dvUnknownProperty(table, field string) *Error {
	return dvError(400, dsruntime.CodeUnknownProperty, fmt.Sprintf("Could not find a property named '%s' on type 'Microsoft.Dynamics.CRM.%s'.", field, table))
}

// CodeDeltaTokenExpired is the code of the fake Dataverse's answer to an
// expired delta token (400). The real service's code for this case is not
// documented in the project's references; connectors recognise the
// condition by this code and map it to dsruntime.ErrCursorExpired.
const CodeDeltaTokenExpired = "DeltaTokenExpired"

package runtime

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// ServiceError is a failed answer from F&O or Dataverse, in the shape both
// services document: an HTTP status and the body's error code, message and
// (F&O) inner error. Network is set when no answer came at all. Connectors
// turn service errors into write failures with Classify.
type ServiceError struct {
	Side    plan.Side `json:"side"`
	Status  int       `json:"status,omitempty"`
	Code    string    `json:"code,omitempty"`
	Message string    `json:"message,omitempty"`
	// InnerType and InnerMessage are F&O's innererror (for example
	// Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException
	// and its infolog).
	InnerType    string `json:"innerType,omitempty"`
	InnerMessage string `json:"innerMessage,omitempty"`
	// RetryAfter is the Retry-After header of a 429 or 503.
	RetryAfter time.Duration `json:"retryAfter,omitempty"`
	Network    bool          `json:"network,omitempty"`
}

func (e *ServiceError) Error() string {
	if e.Network {
		return fmt.Sprintf("%s: no answer: %s", e.Side, e.Message)
	}
	msg := e.Message
	if e.InnerMessage != "" {
		msg += ": " + e.InnerMessage
	}
	if e.Code != "" {
		return fmt.Sprintf("%s: %d %s: %s", e.Side, e.Status, e.Code, msg)
	}
	return fmt.Sprintf("%s: %d: %s", e.Side, e.Status, msg)
}

// Dataverse error codes the classification relies on.
const (
	CodePluginException     = "0x80040265" // a plug-in threw
	CodeChoiceOutOfRange    = "0x8004431A" // a choice value outside the option set
	CodeMaxLengthExceeded   = "0x80044331" // text longer than the column allows
	CodeDuplicateDetected   = "0x80040333" // duplicate detection rule fired
	CodeRecordExists        = "0x80040237" // create-only upsert of an existing key
	CodeVersionMismatch     = "0x80060882" // stale If-Match
	CodeRecordNotFound      = "0x80040217" // no record with that key or id
	CodeUnknownProperty     = "0x80060888" // property not on the entity type
	CodeRequestLimitReached = "0x80072322" // service protection: requests per window
	CodeExecutionTimeLimit  = "0x80072321" // service protection: execution time
	CodeConcurrencyLimit    = "0x80072326" // service protection: concurrent requests
)

// AxWriteException is the inner error type of F&O write failures.
const AxWriteException = "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException"

// Classify decides how the engine handles a write that failed with e: the
// returned failure has Class, Status, Code, Message, Field and RetryAfter
// set; the caller sets WriteID.
//
//   - no answer, 5xx (other than F&O write exceptions), 401: transient;
//   - 429: throttled, with Retry-After;
//   - 412, 404 and 409, an F&O "record already exists": version mismatch
//     (the target moved: read again and merge);
//   - an unknown property (Dataverse "Could not find a property named 'x'",
//     F&O "The property 'x' does not exist"): missing mapping, with Field;
//   - a Dataverse plug-in exception (0x80040265), and an F&O write
//     exception whose infolog is not a field validation: plug-in;
//   - everything else (invalid choice or enum, too long, required, type
//     errors, duplicate detection, 400, 403, 413): validation.
func Classify(e *ServiceError) engine.WriteFailed {
	f := engine.WriteFailed{Status: e.Status, Code: e.Code, Message: e.Message, RetryAfter: e.RetryAfter}
	if e.InnerMessage != "" {
		f.Message = e.InnerMessage
	}
	if f.Message == "" {
		f.Message = fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
	}
	text := e.Message + " " + e.InnerMessage
	switch {
	case e.Network:
		f.Class = engine.Transient
		f.Message = "no answer: " + e.Message
	case e.Status == 429:
		f.Class = engine.Throttled
	case e.Status == 412 || e.Status == 404 || e.Status == 409:
		f.Class = engine.VersionMismatch
	case e.Status == 401:
		f.Class = engine.Transient
	case isUnknownProperty(e, text):
		f.Class = engine.MissingMapping
		f.Field = quoted(text, "property named '", "property '")
	case e.Code == CodePluginException:
		f.Class = engine.Plugin
	case e.InnerType == AxWriteException:
		switch {
		case strings.Contains(text, "already exists"):
			f.Class = engine.VersionMismatch
		case foValidation(text):
			f.Class = engine.Validation
			f.Field = quoted(text, "Field '", "field '")
		default:
			f.Class = engine.Plugin
		}
	case e.Status >= 500 && e.Code != CodeDuplicateDetected:
		f.Class = engine.Transient
	default:
		f.Class = engine.Validation
	}
	return f
}

func isUnknownProperty(e *ServiceError, text string) bool {
	if e.Code == CodeUnknownProperty {
		return true
	}
	return e.Status == 400 && (strings.Contains(text, "Could not find a property named") ||
		(strings.Contains(text, "The property '") && strings.Contains(text, "does not exist")))
}

// foValidation reports whether an F&O infolog is a field validation error
// rather than business logic refusing the write.
func foValidation(text string) bool {
	for _, s := range []string{"must be filled in", "is too long", "is not a valid", "was not found", "cannot be changed"} {
		if strings.Contains(text, s) {
			return true
		}
	}
	return false
}

// quoted returns the text between the first of the prefixes and the next
// single quote, or "".
func quoted(text string, prefixes ...string) string {
	for _, p := range prefixes {
		i := strings.Index(text, p)
		if i < 0 {
			continue
		}
		rest := text[i+len(p):]
		if j := strings.IndexByte(rest, '\''); j >= 0 {
			return rest[:j]
		}
	}
	return ""
}

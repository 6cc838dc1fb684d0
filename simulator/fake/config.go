package fake

import (
	"fmt"
	"strings"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
)

// Config holds one fake service's scenario options. The zero value works:
// a service configured from the plan alone, on a virtual clock at Epoch,
// with no faults.
type Config struct {
	// Seed drives everything random: Dataverse GUIDs and fault draws (two
	// separate streams, so adding a fault does not change the GUIDs).
	Seed uint64
	// Clock is where the service reads time; nil: a new Clock at Epoch.
	// Latency faults move it forward when it is a dsruntime.Advancer.
	Clock dsruntime.Clock
	// Skew is added to Clock for the service's own modified times.
	Skew time.Duration
	// DefaultCompany is the F&O company a query without cross-company
	// reads (F&O only). Default "usmf".
	DefaultCompany string
	// Companies are the Dataverse cdm_company rows by company code
	// (Dataverse only). Empty: a company row is created the first time a
	// code is used.
	Companies []string
	// Required lists fields that must have a value on create (and may not
	// be cleared), beyond the keys.
	Required []FieldRef
	// Normalize lists the business logic that rewrites values as they are
	// stored, on every write.
	Normalize []Normalize
	// Drop lists fields the service does not have (schema drift): writing
	// one fails with the service's unknown-property error.
	Drop []FieldRef
	// Extra lists enum members (F&O) or choice values (Dataverse) the
	// service accepts beyond the plan's value maps.
	Extra []Members
	// DeltaTokenTTL is how long a Dataverse delta token stays valid.
	// Default 7 days (Dataverse's default).
	DeltaTokenTTL time.Duration
	// Faults are in force from the start, as if set with SetFault.
	Faults []Fault
}

// FieldRef names a field of an entity set: "accounts.name" parses to
// {Set: "accounts", Field: "name"}.
type FieldRef struct {
	Set   string `json:"set"`
	Field string `json:"field"`
}

// ParseFieldRef parses "set.field".
func ParseFieldRef(s string) (FieldRef, error) {
	set, field, ok := strings.Cut(s, ".")
	if !ok || set == "" || field == "" {
		return FieldRef{}, fmt.Errorf("field %q: want set.field", s)
	}
	return FieldRef{Set: set, Field: field}, nil
}

func (r FieldRef) String() string { return r.Set + "." + r.Field }

// NormRule is a rewrite business logic applies to a stored value.
type NormRule string

// Normalisation rules.
const (
	Trim  NormRule = "trim"  // remove surrounding white space
	Upper NormRule = "upper" // upper case
	Lower NormRule = "lower" // lower case
	Round NormRule = "round" // round a decimal to Places fraction digits, half away from zero
)

// Normalize is one rewrite of a field's value after a write.
type Normalize struct {
	Set    string   `json:"set"`
	Field  string   `json:"field"`
	Rule   NormRule `json:"rule"`
	Places int      `json:"places,omitempty"`
}

// Members adds valid enum members (F&O, by name) or choice values
// (Dataverse, integers as text) to a field.
type Members struct {
	Set    string   `json:"set"`
	Field  string   `json:"field"`
	Values []string `json:"values"`
}

// FaultKind says what a fault does.
type FaultKind string

// Fault kinds.
const (
	// FaultOutage: every matching request fails without an answer.
	FaultOutage FaultKind = "outage"
	// FaultNetwork: matching requests fail without an answer (with Rate, a
	// flaky network).
	FaultNetwork FaultKind = "network"
	// FaultTransient: matching requests answer Status (default 503).
	FaultTransient FaultKind = "transient"
	// FaultThrottle: beyond Limit requests per Window (the service's own
	// clock), requests answer 429 with Retry-After until the window frees
	// up. Limit 0 throttles every matching request for RetryAfter
	// (default 1 s): a throttling storm, Count of them when Count > 0.
	FaultThrottle FaultKind = "throttle"
	// FaultPlugin: a write to Set whose stored Field equals Value (any
	// write setting Field when Value is empty; any write when Field is
	// empty) throws: Dataverse answers 400 0x80040265, F&O a 500 write
	// exception. User edits (Put) throw too.
	FaultPlugin FaultKind = "plugin"
	// FaultLatency: every matching request takes Latency (the clock moves
	// forward by it when it can).
	FaultLatency FaultKind = "latency"
)

// Ops restricts a fault to reads or writes.
type Ops string

// Op classes.
const (
	AllOps   Ops = ""
	ReadOps  Ops = "read"
	WriteOps Ops = "write"
)

// Fault is a fault in force on a service until cleared. Zero Rate fires on
// every matching request; Count > 0 fires that many times, then the fault
// is spent.
type Fault struct {
	// Name identifies the fault: SetFault replaces the fault of the same
	// name. Default: the kind.
	Name string    `json:"name,omitempty"`
	Kind FaultKind `json:"kind"`
	// Map restricts the fault to the entity set of this plan map on the
	// service's side; Set to an entity set. Both empty: every set.
	Map string `json:"map,omitempty"`
	Set string `json:"set,omitempty"`
	Ops Ops    `json:"ops,omitempty"`

	Rate  float64 `json:"rate,omitempty"`
	Count int     `json:"count,omitempty"`

	// Status, Code and Message shape a transient or plug-in error.
	Status  int    `json:"status,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`

	// Throttling.
	Limit      int           `json:"limit,omitempty"`
	Window     time.Duration `json:"window,omitempty"`
	RetryAfter time.Duration `json:"retryAfter,omitempty"`

	Latency time.Duration `json:"latency,omitempty"`

	// Plug-in condition.
	Field string `json:"field,omitempty"`
	Value string `json:"value,omitempty"`
}

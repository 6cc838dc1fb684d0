package engine

import (
	"time"

	"github.com/dualsync/dualsync/runtime/plan"
)

// Ready is what the engine asks its driver to do. The driver persists
// Checkpoint, Errors, Resolved and Conflicts in one transaction, sends
// Writes and Reads, and then calls Advance. The slices belong to the engine
// and stay valid until Advance.
type Ready struct {
	Writes    []Write      `json:"writes,omitempty"`
	Reads     []Read       `json:"reads,omitempty"`
	Parked    []Park       `json:"parked,omitempty"`
	Released  []Release    `json:"released,omitempty"`
	Errors    []ErrorEntry `json:"errors,omitempty"`   // new or updated error-queue entries
	Resolved  []string     `json:"resolved,omitempty"` // error-queue entries to remove, by ID
	Conflicts []Conflict   `json:"conflicts,omitempty"`
	// Checkpoint is the state to persist; see State.
	Checkpoint Checkpoint `json:"checkpoint"`
	// Accounting is a snapshot of the totals at the time of Ready.
	Accounting Accounting `json:"accounting"`
}

// Op is a write's operation.
type Op string

// Operations.
const (
	OpUpsert Op = "upsert"
	OpDelete Op = "delete"
)

// Write is one write to a side.
type Write struct {
	ID   string    `json:"id"`
	Side plan.Side `json:"side"` // the target
	Map  string    `json:"map"`
	Key  string    `json:"key"`
	Op   Op        `json:"op"`
	// Create is set when the target is not known to have the record: the
	// connector creates it by key and must fail with version-mismatch when
	// the record exists after all, so that the engine reads and merges.
	Create bool `json:"create,omitempty"`
	// ExpectedVersion is the target's last known version (If-Match); empty
	// on create. A stale version must fail with class version-mismatch, and
	// so must an update or delete of a record that no longer exists.
	ExpectedVersion string `json:"expectedVersion,omitempty"`
	// Values are the fields to change, in plan order, in the target's field
	// names and representation: value maps applied, defaults for nulls,
	// constants on create, lookups as the referenced record's key. The key
	// fields are not included: the connector addresses the record by Key.
	Values []FieldValue `json:"values,omitempty"`
	// Pass is 2 for a write of second-pass lookups only, otherwise 1.
	Pass int `json:"pass"`
	// Attempt counts tries of the same change: 1, then 2 for the first retry.
	Attempt int `json:"attempt"`
}

// Read asks the driver to read a record from a side and step the answer as
// an Observed (Deleted when the record is missing), after a version
// mismatch.
type Read struct {
	Side plan.Side `json:"side"`
	Map  string    `json:"map"`
	Key  string    `json:"key"`
}

// Dep names a record another record is waiting for.
type Dep struct {
	Map string `json:"map"`
	Key string `json:"key"`
}

// Park reports that a record's write to Side waits for lookups to exist there.
type Park struct {
	Map     string    `json:"map"`
	Key     string    `json:"key"`
	Side    plan.Side `json:"side"`
	Waiting []Dep     `json:"waiting"`
	Since   time.Time `json:"since,omitzero"`
}

// Release reports that a parked record's write to Side goes ahead (or is no
// longer needed).
type Release struct {
	Map  string    `json:"map"`
	Key  string    `json:"key"`
	Side plan.Side `json:"side"`
}

// Rule names what decided a conflict.
type Rule string

// Rules. The first four are the plan's conflict winners.
const (
	RuleFO        Rule = "fo"         // F&O wins
	RuleDV        Rule = "dv"         // Dataverse wins
	RuleLastWrite Rule = "last_write" // later side-modified time wins; F&O wins a tie
	RuleOneWay    Rule = "one_way"    // the field flows one way: its source side owns it
	RuleInitial   Rule = "initial"    // first pairing of a record: the map's master side wins
	RuleDelete    Rule = "delete"     // a delete wins over an update: no resurrection
)

// Conflict is one entry of the conflict log: a field (or, for RuleDelete,
// a whole record) that both sides changed, or that the wrong side changed,
// and how it was decided.
type Conflict struct {
	Map     string    `json:"map"`
	Key     string    `json:"key"`
	Field   string    `json:"field,omitempty"` // F&O field name; empty for a record
	DVField string    `json:"dvField,omitempty"`
	FO      Value     `json:"fo"`
	DV      Value     `json:"dv"`
	Winner  plan.Side `json:"winner"`
	Rule    Rule      `json:"rule"`
	// Pos is the source position of the rule that decided (the field's or
	// map's conflict rule, the field for one-way, the map otherwise).
	Pos        plan.Pos  `json:"pos"`
	Why        string    `json:"why,omitempty"`
	FOModified time.Time `json:"foModified,omitzero"`
	DVModified time.Time `json:"dvModified,omitzero"`
	At         time.Time `json:"at,omitzero"`
}

// Checkpoint is the part of Ready to persist: the records whose state
// changed, the intents of updates sent to records whose state did not
// otherwise change, watermarks that moved, and the ID counter. Applied to
// a State (upsert records by map and key, then set the Sent lists of the
// records Sent names, upsert errors, delete resolved errors, set
// watermarks by map and side), it yields the engine's current State.
type Checkpoint struct {
	Records []RecordState `json:"records,omitempty"`
	// Sent replaces both sides' SideState.Sent of records already stored
	// (an earlier checkpoint, or Records, holds each of them).
	Sent       []RecordSent `json:"sent,omitempty"`
	Watermarks []Watermark  `json:"watermarks,omitempty"`
	NextID     uint64       `json:"nextId"`
}

// RecordSent is the intent of the updates out to a stored record: its
// SideState.Sent lists, the rest of its state unchanged (see sent.go).
type RecordSent struct {
	Map string      `json:"map"`
	Key string      `json:"key"`
	FO  []SentValue `json:"fo,omitempty"`
	DV  []SentValue `json:"dv,omitempty"`
}

package explore

import (
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator"
)

// Outcome is what executing a history did: per operation whether it took
// effect, and two snapshots of the world at the end. It is plain data, so
// that the property checks can be tested on doctored outcomes.
type Outcome struct {
	// Ops has one result per operation of the history.
	Ops []OpResult
	// Healed is the world after every fault was healed and the engine ran
	// until quiet; Final is the world after every error-queue entry was
	// then retried, as an operator would, and the engine ran until quiet
	// again.
	Healed, Final Snapshot
	// RetriedQueue reports that the error queue was retried before Final;
	// Retried is the number of entries retried.
	RetriedQueue bool
	Retried      int
	// Writes are the engine's writes, in order, across restarts.
	Writes []simulator.WriteLog
	// Exemptions are the differences the checks accepted for a documented
	// reason (TargetDrift); Explorer.Execute fills them in after checking.
	Exemptions []Exemption
}

// OpResult is what one operation did.
type OpResult struct {
	// Applied: a user's edit took effect (false with Err when the service
	// refused it).
	Applied bool
	Err     string
	// Created: the Put created the record on its side.
	Created bool
	// Modified is the record's modified time on the side after a Put (the
	// side's own clock, to the second).
	Modified time.Time
	// WritesBefore is the number of engine writes sent before the
	// operation.
	WritesBefore int
	// For a Sync: RunErr is the error of the run (not quiet, accounting,
	// an engine refusing an event), Crashed reports that an armed crash
	// fired (the engine was restarted after the Sync), and Queued lists
	// the records with error-queue entries after it.
	RunErr  string
	Crashed bool
	Queued  []RecID
}

// RecID names a record: its map and key.
type RecID struct {
	Map string
	Key string
}

func (r RecID) String() string { return r.Map + " " + r.Key }

// Snapshot is the state of the world at one point.
type Snapshot struct {
	// Rows holds each record's values on each side, by the side's field
	// names as a user sees them; a side's entry is nil when it does not
	// have the record.
	Rows map[RecID]*Pair
	// Errors is the error queue, Conflicts the conflict log so far.
	Errors    []engine.ErrorEntry
	Conflicts []engine.Conflict
	// Accounting is the engine's (since its last restart).
	Accounting engine.Accounting
	// Quiet reports that the engine had nothing in flight, waiting or
	// parked; RunErr is the error of the run that led here.
	Quiet  bool
	RunErr string
	// Writes is the number of engine writes sent so far.
	Writes int
}

// Pair is one record on both sides.
type Pair struct {
	FO, DV map[string]engine.Value
}

// Side returns the record's values on side s.
func (p *Pair) Side(s plan.Side) map[string]engine.Value {
	if s == plan.DV {
		return p.DV
	}
	return p.FO
}

// queued reports whether record r has an error-queue entry in the snapshot.
func (s *Snapshot) queued(r RecID) bool {
	for i := range s.Errors {
		if s.Errors[i].Map == r.Map && s.Errors[i].Key == r.Key {
			return true
		}
	}
	return false
}

func (res *OpResult) queued(r RecID) bool {
	for _, q := range res.Queued {
		if q == r {
			return true
		}
	}
	return false
}

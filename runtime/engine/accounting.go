package engine

import "fmt"

// Accounting says how every observed change ended. Each Observed ends
// exactly one way:
//
//	Observed == Applied + Suppressed + Queued + Parked + InFlight
//
// Applied: the engine wrote something for it and the write was acknowledged.
// Suppressed: nothing to write (an echo of the engine's own write, no real
// change, a stale row, an update of a deleted record). Queued: it ended in
// the error queue. Parked and InFlight are current: waiting for a lookup
// target, or being decided and written. A parked change counts once, at its
// final outcome, when it is released. When the engine is quiet (no writes
// pending, nothing parked) InFlight is zero.
//
// Changes that meet in one round of a record (a change and the re-read
// after a version mismatch, say) share the round's outcome: queued if any
// of its writes ended in the error queue, else applied if any was
// acknowledged, else suppressed.
type Accounting struct {
	Observed   int64 `json:"observed"`
	Applied    int64 `json:"applied"`
	Suppressed int64 `json:"suppressed"`
	Queued     int64 `json:"queued"`
	Parked     int64 `json:"parked"`
	InFlight   int64 `json:"inFlight"`

	// The reasons of Suppressed; they add up to it.
	Echo      int64 `json:"echo"`
	Unchanged int64 `json:"unchanged"`
	Stale     int64 `json:"stale"`
	Tombstone int64 `json:"tombstone"`

	// Activity counters.
	Writes    int64 `json:"writes"`
	Retries   int64 `json:"retries"`
	Rereads   int64 `json:"rereads"`
	Conflicts int64 `json:"conflicts"`
}

// Check verifies the accounting identities.
func (a Accounting) Check() error {
	if sum := a.Applied + a.Suppressed + a.Queued + a.Parked + a.InFlight; sum != a.Observed {
		return fmt.Errorf("accounting does not balance: observed %d, applied %d + suppressed %d + queued %d + parked %d + in flight %d = %d",
			a.Observed, a.Applied, a.Suppressed, a.Queued, a.Parked, a.InFlight, sum)
	}
	if sum := a.Echo + a.Unchanged + a.Stale + a.Tombstone; sum != a.Suppressed {
		return fmt.Errorf("suppressed %d, but its reasons add up to %d", a.Suppressed, sum)
	}
	if a.Parked < 0 || a.InFlight < 0 {
		return fmt.Errorf("negative gauge: parked %d, in flight %d", a.Parked, a.InFlight)
	}
	return nil
}

// suppression reasons
type reason uint8

const (
	reasonUnchanged reason = iota
	reasonEcho
	reasonStale
	reasonTombstone
)

func (a *Accounting) suppress(n int64, why reason) {
	a.Suppressed += n
	switch why {
	case reasonEcho:
		a.Echo += n
	case reasonStale:
		a.Stale += n
	case reasonTombstone:
		a.Tombstone += n
	default:
		a.Unchanged += n
	}
}

package engine

import "github.com/dualsync/dualsync/runtime/plan"

// record is one tracked record of a map. It is kept small: the merge base of
// each side is packed into one string (pack.go), and the per-round working
// state (round) exists only while the record has work in progress.
type record struct {
	key  string
	base [2]string // packed merge base per side
	ver  [2]string // last known version per side
	mod  [2]int64  // last known modified time per side, Unix nanoseconds
	// umod is the side's modified time of its latest row that was not the
	// echo of the engine's own write: when its users last changed it.
	umod  [2]int64
	delAt int64 // tombstone: the delete's modified time on its side
	flags uint16
	round *round
}

const (
	flagExistsFO uint16 = 1 << iota
	flagExistsDV
	flagOwnFO // ver is from the engine's own acknowledged write, not yet observed
	flagOwnDV
	flagTomb    // deleted; flagTombDV says on which side
	flagTombDV  //
	flagTombIgn // the delete's action was ignore
	flagTombRev // the delete's action was review
	flagDirty   // listed for the next checkpoint
	// flagCheckpoint: checkpoint the record in the next Ready although it
	// is in the middle of a round (see checkpointNow).
	flagCheckpoint
	// flagIntentFO (and DV): the side's base is a restored intent to create
	// (see Engine.persistBase) that no row of the side has confirmed yet.
	flagIntentFO
	flagIntentDV
	// flagSaved: a checkpoint (or the restored state) holds the record.
	flagSaved
)

func (r *record) exists(s side) bool { return r.flags&(flagExistsFO<<s) != 0 }
func (r *record) intent(s side) bool { return r.flags&(flagIntentFO<<s) != 0 }
func (r *record) own(s side) bool    { return r.flags&(flagOwnFO<<s) != 0 }

func (r *record) setExists(s side, b bool) { r.set(flagExistsFO<<s, b) }
func (r *record) setOwn(s side, b bool)    { r.set(flagOwnFO<<s, b) }

func (r *record) set(f uint16, b bool) {
	if b {
		r.flags |= f
	} else {
		r.flags &^= f
	}
}

func (r *record) tombstoned() bool { return r.flags&flagTomb != 0 }

// tomb returns the side of the delete and the action taken.
func (r *record) tomb() (side, plan.DeleteAction) {
	s := fo
	if r.flags&flagTombDV != 0 {
		s = dv
	}
	a := plan.Propagate
	switch {
	case r.flags&flagTombIgn != 0:
		a = plan.Ignore
	case r.flags&flagTombRev != 0:
		a = plan.Review
	}
	return s, a
}

func (r *record) setTomb(s side, a plan.DeleteAction, at int64) {
	r.clearTomb()
	r.flags |= flagTomb
	r.set(flagTombDV, s == dv)
	r.set(flagTombIgn, a == plan.Ignore)
	r.set(flagTombRev, a == plan.Review)
	r.delAt = at
}

func (r *record) clearTomb() {
	r.flags &^= flagTomb | flagTombDV | flagTombIgn | flagTombRev
	r.delAt = 0
}

// forget drops what is known of a side's record.
func (r *record) forget(s side) {
	r.setExists(s, false)
	r.setOwn(s, false)
	r.base[s] = ""
	r.ver[s] = ""
}

// deleted drops what is known of a side's record after a delete there,
// except its last live version: a row with another is a new record.
func (r *record) deleted(s side) {
	live := r.ver[s]
	r.forget(s)
	r.ver[s] = live
}

// loadBase unpacks both sides' merge bases into the engine's scratch space.
// The result is valid until the next loadBase.
func (e *Engine) loadBase(m *mapping, rec *record) (bv [2][]Value, bu [2][]bool) {
	n := len(m.fields)
	for s := range bv {
		bv[s], bu[s] = e.bv[s][:n], e.bu[s][:n]
		unpack(rec.base[s], bv[s], bu[s])
	}
	return bv, bu
}

// storeBase packs a side's values back into the record.
func (e *Engine) storeBase(rec *record, s side, vals []Value, unconf []bool) {
	e.packBuf = pack(e.packBuf[:0], vals, unconf)
	if string(e.packBuf) != rec.base[s] {
		rec.base[s] = string(e.packBuf)
	}
}

func (e *Engine) newRecord(m *mapping, key string) *record {
	rec := &record{key: key}
	m.recs[key] = rec
	return rec
}

// checkpointNow has the record checkpointed in the next Ready, even in the
// middle of its round: a create was sent, and its intent must be persisted
// before the write goes out (see Engine.persistBase); or a round ended and
// the next one started at once, and the ended round's outcome must be
// persisted as its observations settle (see settle).
func (e *Engine) checkpointNow(m *mapping, rec *record) {
	rec.flags |= flagCheckpoint
	e.markDirty(m, rec)
}

// markDirty lists the record for the next checkpoint.
func (e *Engine) markDirty(m *mapping, rec *record) {
	if rec.flags&flagDirty != 0 {
		return
	}
	rec.flags |= flagDirty
	e.dirty = append(e.dirty, recRef{m, rec})
}

type recRef struct {
	m   *mapping
	rec *record
}

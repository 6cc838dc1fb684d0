package fake

import (
	"slices"
	"strings"

	"github.com/dualsync/dualsync/runtime/engine"
)

// Change sets: writes that succeed or fail together. Atomic holds the
// service's lock while the caller's function runs its writes through a
// transaction; each write that succeeds records how to undo it, and when
// the function fails the writes are undone in reverse order, so that the
// records, tombstones, change log and version counter are as they were.
// Fault draws and Dataverse GUIDs taken by the undone writes stay taken.
// The function must not call the service's other methods (they lock).

// FOTx is an F&O change set in progress.
type FOTx struct {
	s    *FO
	undo []func()
}

// Atomic runs fn as one change set: when fn returns an error, every write
// it made through tx is undone and the error returned.
func (w FOWire) Atomic(fn func(tx *FOTx) error) error {
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	tx := &FOTx{s: s}
	if err := fn(tx); err != nil {
		for i := len(tx.undo) - 1; i >= 0; i-- {
			tx.undo[i]()
		}
		return err
	}
	return nil
}

// foSnap records how to put one F&O record (by key text) back.
func (s *FO) snap(set, k string) func() {
	st := s.sets[set]
	ver := s.ver
	if st == nil {
		return func() { s.ver = ver }
	}
	ptr := st.rows[k]
	var prev foRow
	if ptr != nil {
		prev = *ptr
	}
	tombs := len(st.tombs)
	return func() {
		if ptr == nil {
			delete(st.rows, k)
		} else {
			*ptr = prev
			st.rows[k] = ptr
		}
		st.tombs = st.tombs[:tombs]
		s.ver = ver
	}
}

// keyTextOf returns the key text a key addresses, "" when the key is not
// valid (the write then fails without changes).
func (s *FO) keyTextOf(set string, key Key) string {
	st := s.sets[set]
	if st == nil {
		return ""
	}
	k, _, e := st.keyOf(key)
	if e != nil {
		return ""
	}
	return k
}

// Get reads a record inside the change set (cross-company).
func (tx *FOTx) Get(set string, key Key) (Row, error) {
	st := tx.s.sets[set]
	if st == nil {
		return Row{}, foNotFound(set)
	}
	k, _, e := st.keyOf(key)
	if e != nil {
		return Row{}, e
	}
	r := st.rows[k]
	if r == nil {
		return Row{}, foNotFound(set)
	}
	return st.out(r), nil
}

// Create inserts a record (POST).
func (tx *FOTx) Create(set string, body map[string]engine.Value) (Row, error) {
	s := tx.s
	key := Key{}
	if st := s.sets[set]; st != nil {
		for _, n := range st.def.keys {
			if v, ok := body[n]; ok {
				key[n] = v
			}
		}
	}
	undo := s.snap(set, s.keyTextOf(set, key))
	r, e := s.create(set, body)
	if e != nil {
		return Row{}, e
	}
	tx.undo = append(tx.undo, undo)
	return r, nil
}

// Update changes a record (PATCH) with If-Match as for FOAPI.Update.
func (tx *FOTx) Update(set string, key Key, ifMatch string, body map[string]engine.Value) (Row, error) {
	s := tx.s
	undo := s.snap(set, s.keyTextOf(set, key))
	r, e := s.update(set, key, ifMatch, body)
	if e != nil {
		return Row{}, e
	}
	tx.undo = append(tx.undo, undo)
	return r, nil
}

// Delete removes a record with If-Match as for FOAPI.Delete.
func (tx *FOTx) Delete(set string, key Key, ifMatch string) error {
	s := tx.s
	undo := s.snap(set, s.keyTextOf(set, key))
	if e := s.remove(set, key, ifMatch); e != nil {
		return e
	}
	tx.undo = append(tx.undo, undo)
	return nil
}

// DVTx is a Dataverse change set in progress.
type DVTx struct {
	s    *DV
	undo []func()
}

// Atomic runs fn as one change set; see FOWire.Atomic.
func (w DVWire) Atomic(fn func(tx *DVTx) error) error {
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	tx := &DVTx{s: s}
	if err := fn(tx); err != nil {
		for i := len(tx.undo) - 1; i >= 0; i-- {
			tx.undo[i]()
		}
		return err
	}
	return nil
}

// snap records how to put back the record an address names (or, for a
// record the write creates, how to remove it): call the result with the
// id the write reported.
func (s *DV) snap(t *dvTable, at Addr) func(id string) func() {
	ver := s.ver
	logLen := len(t.log)
	r, _, _ := s.find(t, at)
	var prev dvRow
	cand := strings.ToLower(at.ID)
	if r != nil {
		prev = *r
		cand = r.id
	}
	tomb, hadTomb := t.tombs[cand]
	latest, hadLatest := t.latest[cand]
	return func(id string) func() {
		return func() {
			if r != nil {
				*r = prev
				t.byID[r.id] = r
				t.byKey[r.key] = r.id
			} else if nr := t.byID[id]; nr != nil {
				delete(t.byID, id)
				if t.byKey[nr.key] == id {
					delete(t.byKey, nr.key)
				}
			}
			if hadTomb && id == cand {
				t.tombs[id] = tomb
			} else {
				delete(t.tombs, id)
			}
			if hadLatest && id == cand {
				t.latest[id] = latest
			} else {
				delete(t.latest, id)
			}
			t.log = slices.Delete(t.log, logLen, len(t.log))
			s.ver = ver
		}
	}
}

// Get reads a record inside the change set.
func (tx *DVTx) Get(set string, at Addr) (Row, error) {
	s := tx.s
	t := s.tables[set]
	if t == nil {
		return Row{}, dvNoSet(set)
	}
	r, _, e := s.find(t, at)
	if e != nil {
		return Row{}, e
	}
	if r == nil {
		return Row{}, s.missing(t, at)
	}
	return s.out(t, r), nil
}

// Upsert creates or updates a record (PATCH) and reports whether it was
// created; see DVAPI.Upsert.
func (tx *DVTx) Upsert(set string, at Addr, body map[string]engine.Value, opt UpsertOptions) (Row, bool, error) {
	s := tx.s
	t := s.tables[set]
	if t == nil {
		return Row{}, false, dvNoSet(set)
	}
	undo := s.snap(t, at)
	r, created, e := s.upsert(set, at, body, opt)
	if e != nil {
		return Row{}, false, e
	}
	tx.undo = append(tx.undo, undo(r.ID))
	return r, created, nil
}

// Create inserts a record with a new primary id (POST): the alternate key
// comes from the body; an existing key answers 412.
func (tx *DVTx) Create(set string, body map[string]engine.Value) (Row, error) {
	s := tx.s
	t := s.tables[set]
	if t == nil {
		return Row{}, dvNoSet(set)
	}
	id := ""
	if d := t.def; d.primaryID != "" {
		if v, ok := body[d.primaryID]; ok {
			if str, ok := v.AsString(); ok && IsGUID(str) {
				id = strings.ToLower(str)
			}
		}
	}
	if id == "" {
		id = s.guid()
	}
	if t.byID[id] != nil {
		return Row{}, dvError(412, codeDuplicateID, "Cannot insert duplicate key.")
	}
	r, _, err := tx.Upsert(set, Addr{ID: id}, body, UpsertOptions{IfNoneMatch: "*"})
	return r, err
}

// codeDuplicateID is the code of a create whose primary id exists.
const codeDuplicateID = "0x80040237"

// Delete removes a record; ifMatch as for DVAPI.Delete.
func (tx *DVTx) Delete(set string, at Addr, ifMatch string) error {
	s := tx.s
	t := s.tables[set]
	if t == nil {
		return dvNoSet(set)
	}
	r, _, _ := s.find(t, at)
	undo := s.snap(t, at)
	relink, e := s.removeRow(set, at, ifMatch)
	if e != nil {
		return e
	}
	tx.undo = append(tx.undo, undo(r.id))
	if relink != nil {
		tx.undo = append(tx.undo, relink) // the lookups the delete cleared
	}
	return nil
}

package fake

import (
	"cmp"
	"slices"

	"github.com/dualsync/dualsync/runtime/engine"
)

// Put creates or updates a record as a user of F&O would, through the
// client: key is the record's key text (company first), values are set as
// given (in F&O's representation). Business logic applies (validation,
// normalisation, plug-ins); request faults do not.
func (s *FO) Put(set, key string, values map[string]engine.Value) (Row, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.sets[set]
	if st == nil {
		return Row{}, foNotFound(set)
	}
	kv, err := splitKeyText(st.def, key)
	if err != nil {
		return Row{}, err
	}
	k := Key{}
	for i, n := range st.def.keys {
		k[n] = kv[i]
	}
	if st.rows[key] == nil {
		body := cloneValues(values)
		for n, v := range k {
			body[n] = v
		}
		r, e := s.create(set, body)
		return r, wrap(e)
	}
	r, e := s.update(set, k, "", values)
	return r, wrap(e)
}

// Get returns a record by key text, as a user sees it.
func (s *FO) Get(set, key string) (Row, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.sets[set]
	if st == nil || st.rows[key] == nil {
		return Row{}, false
	}
	return st.out(st.rows[key]), true
}

// Delete deletes a record by key text, as a user would.
func (s *FO) Delete(set, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.sets[set]
	if st == nil {
		return foNotFound(set)
	}
	r := st.rows[key]
	if r == nil {
		return foNotFound(set)
	}
	s.bury(st, r)
	return nil
}

// Rows returns every record of an entity set, by key.
func (s *FO) Rows(set string) []Row {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.sets[set]
	if st == nil {
		return nil
	}
	var out []Row
	for _, r := range st.rows {
		out = append(out, st.out(r))
	}
	slices.SortFunc(out, func(a, b Row) int { return cmp.Compare(a.Key, b.Key) })
	return out
}

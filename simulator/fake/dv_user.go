package fake

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/dualsync/dualsync/runtime/engine"
)

// User access to Dataverse. A user names records and lookups the way the
// runtime does: by key text, company code first (engine.JoinKey), never by
// GUID. Put and Delete go through the service's business logic
// (validation, normalisation, plug-ins) but not through request faults,
// and, like any write, bump the version and modifiedon so that they
// appear on the change feed.

// Put creates or updates a record by key text. values are in Dataverse's
// representation (choices as ints) except lookups, which are given as the
// referenced record's key text (or null to clear them).
func (s *DV) Put(set, key string, values map[string]engine.Value) (Row, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tables[set]
	if t == nil {
		return Row{}, dvNoSet(set)
	}
	at, err := s.userAddr(t, key, true)
	if err != nil {
		return Row{}, err
	}
	body := map[string]engine.Value{}
	for n, v := range values {
		f := t.def.fields[n]
		if f == nil || f.target == "" || f.key {
			body[n] = v
			continue
		}
		if v.IsNull() {
			body[n+"@odata.bind"] = v
			continue
		}
		rt := s.tables[f.target]
		if rt == nil {
			return Row{}, fmt.Errorf("lookup %s: no table %s", n, f.target)
		}
		rat, err := s.userAddr(rt, text(v), false)
		if err != nil {
			return Row{}, fmt.Errorf("lookup %s: %w", n, err)
		}
		r, _, e := s.find(rt, rat)
		if e != nil {
			return Row{}, e
		}
		if r == nil {
			return Row{}, fmt.Errorf("lookup %s: no %s record %q", n, f.target, text(v))
		}
		body[n+"@odata.bind"] = engine.String("/" + f.target + "(" + r.id + ")")
	}
	row, _, e := s.upsert(set, at, body, UpsertOptions{})
	if e != nil {
		return Row{}, e
	}
	return s.userView(t, row), nil
}

// Get returns a record by key text as a user sees it: the company key
// field as the company's code, lookups as the referenced records' key
// text. ID, ETag and Modified are the service's.
func (s *DV) Get(set, key string) (Row, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tables[set]
	if t == nil {
		return Row{}, false
	}
	at, err := s.userAddr(t, key, false)
	if err != nil {
		return Row{}, false
	}
	r, _, e := s.find(t, at)
	if e != nil || r == nil {
		return Row{}, false
	}
	return s.user(t, r.id), true
}

// Delete deletes a record by key text, as a user would.
func (s *DV) Delete(set, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tables[set]
	if t == nil {
		return dvNoSet(set)
	}
	at, err := s.userAddr(t, key, false)
	if err != nil {
		return err
	}
	return wrap(s.remove(set, at, ""))
}

// Rows returns every record of a table as a user sees it, by key.
func (s *DV) Rows(set string) []Row {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tables[set]
	if t == nil {
		return nil
	}
	var out []Row
	for id := range t.byID {
		out = append(out, s.user(t, id))
	}
	slices.SortFunc(out, func(a, b Row) int { return cmp.Compare(a.Key, b.Key) })
	return out
}

// userAddr turns key text into an alternate-key address, the company
// code into its GUID (creating the company when allowed).
func (s *DV) userAddr(t *dvTable, key string, create bool) (Addr, error) {
	vals, err := splitKeyText(t.def, key)
	if err != nil {
		return Addr{}, err
	}
	k := Key{}
	for i, n := range t.def.keys {
		v := vals[i]
		if n == t.def.company {
			id, ok := s.company(text(v), create && s.autoCompanies())
			if !ok {
				id = "00000000-0000-0000-0000-000000000000"
			}
			v = engine.String(id)
		}
		k[n] = v
	}
	return Addr{Key: k}, nil
}

// user is the record with the given id as a user sees it.
func (s *DV) user(t *dvTable, id string) Row {
	return s.userView(t, s.out(t, t.byID[id]))
}

// userView turns a record as the service answers it (out) into the
// record as a user sees it, in place.
func (s *DV) userView(t *dvTable, row Row) Row {
	for n, v := range row.Values {
		f := t.def.fields[n]
		if f == nil || f.target == "" || v.IsNull() {
			continue
		}
		if f.company {
			row.Values[n] = engine.String(s.companyCode[text(v)])
			continue
		}
		if rt := s.tables[f.target]; rt != nil {
			// A delete clears the lookups to the record (see unlink): one
			// that names no record reads as none, as the connector has it.
			row.Values[n] = engine.Null()
			if rr := rt.byID[text(v)]; rr != nil {
				row.Values[n] = engine.String(s.userKey(rt, rr))
			}
		}
	}
	return row
}

package fake

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// FO is an in-memory F&O environment: the data entities of the plan's maps
// (entity sets), with records keyed by company (dataAreaId) and business
// key, row versions, ModifiedDateTime kept by the service's own clock,
// enum, length and required-field validation, business logic that rewrites
// values, and the configured faults. Requests go through API(); users edit
// records through Put and Delete. It is safe for concurrent use.
type FO struct {
	*service
	sets map[string]*foSet
	ver  int64 // row versions, environment-wide
}

type foSet struct {
	def   *setDef
	rows  map[string]*foRow
	tombs []*foRow // deleted records, in order
}

type foRow struct {
	key     string
	vals    map[string]engine.Value
	ver     int64
	created time.Time
	mod     time.Time
}

// NewFO returns an F&O environment with the plan's entity sets, empty.
func NewFO(p *plan.Plan, cfg Config) (*FO, error) {
	svc, err := newService(p, plan.FO, cfg)
	if err != nil {
		return nil, err
	}
	s := &FO{service: svc, sets: map[string]*foSet{}}
	for name, d := range svc.schema {
		s.sets[name] = &foSet{def: d, rows: map[string]*foRow{}}
	}
	return s, nil
}

// Query holds the options of an F&O collection query.
type Query struct {
	// CrossCompany reads every company; otherwise only Company (default:
	// the service's default company) is read.
	CrossCompany bool
	Company      string
	// ModifiedSince keeps rows modified at or after it ($filter
	// ModifiedDateTime ge ...); zero keeps all.
	ModifiedSince time.Time
	// IncludeDeleted adds deleted records (key fields, deletion time and
	// version) to the answer. F&O has no such query option: it stands in
	// for the change tracking of data management or business events, the
	// ways F&O reports deletes.
	IncludeDeleted bool
	// Top and Skip page the answer, ordered by modified time, then key.
	Top, Skip int
}

// FOAPI is the request interface of an FO: each call is one request,
// subject to latency, outages, throttling and transient faults.
type FOAPI struct{ s *FO }

// API returns the service's request interface.
func (s *FO) API() FOAPI { return FOAPI{s} }

// Get reads one record by its full key. A record of a company other than
// the default one is only found cross-company.
func (a FOAPI) Get(set string, key Key, crossCompany bool) (Row, error) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.gate(ReadOps, set); e != nil {
		return Row{}, e
	}
	st := s.sets[set]
	if st == nil {
		return Row{}, foNotFound(set)
	}
	k, _, e := st.keyOf(key)
	if e != nil {
		return Row{}, e
	}
	r := st.rows[k]
	if r == nil || (!crossCompany && st.def.company != "" && text(r.vals[st.def.company]) != s.cfg.DefaultCompany) {
		return Row{}, foNotFound(set)
	}
	return st.out(r), nil
}

// Delete removes a record, with If-Match as for Update.
func (a FOAPI) Delete(set string, key Key, ifMatch string) error {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.gate(WriteOps, set); e != nil {
		return e
	}
	return wrap(s.remove(set, key, ifMatch))
}

// List queries an entity set.
func (a FOAPI) List(set string, q Query) ([]Row, error) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.gate(ReadOps, set); e != nil {
		return nil, e
	}
	return s.list(set, q)
}

// list queries an entity set; the caller holds s.mu.
func (s *FO) list(set string, q Query) ([]Row, error) {
	st := s.sets[set]
	if st == nil {
		return nil, foNotFound(set)
	}
	company := q.Company
	if company == "" && !q.CrossCompany {
		company = s.cfg.DefaultCompany
	}
	keep := func(r *foRow) bool {
		if company != "" && st.def.company != "" && text(r.vals[st.def.company]) != company {
			return false
		}
		return q.ModifiedSince.IsZero() || !r.mod.Before(q.ModifiedSince)
	}
	var rows []Row
	for _, r := range st.rows {
		if keep(r) {
			rows = append(rows, st.out(r))
		}
	}
	if q.IncludeDeleted {
		for _, r := range st.tombs {
			if keep(r) {
				row := st.out(r)
				row.Deleted = true
				rows = append(rows, row)
			}
		}
	}
	slices.SortFunc(rows, func(a, b Row) int {
		return cmp.Or(a.Modified.Compare(b.Modified), cmp.Compare(a.Key, b.Key), cmp.Compare(a.Version, b.Version))
	})
	if q.Skip > 0 {
		rows = rows[min(q.Skip, len(rows)):]
	}
	if q.Top > 0 && len(rows) > q.Top {
		rows = rows[:q.Top]
	}
	return rows, nil
}

// Create inserts a record (POST); body holds every key field.
func (a FOAPI) Create(set string, body map[string]engine.Value) (Row, error) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.gate(WriteOps, set); e != nil {
		return Row{}, e
	}
	r, e := s.create(set, body)
	return r, wrap(e)
}

// Update changes a record (PATCH). ifMatch is "", "*" or the ETag the
// caller last saw: a stale ETag answers 412, a missing record 404.
func (a FOAPI) Update(set string, key Key, ifMatch string, body map[string]engine.Value) (Row, error) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.gate(WriteOps, set); e != nil {
		return Row{}, e
	}
	r, e := s.update(set, key, ifMatch, body)
	return r, wrap(e)
}

// FOOp is one operation of a batch: Method POST (create), PATCH (update)
// or DELETE.
type FOOp struct {
	Method  string
	Set     string
	Key     Key
	IfMatch string
	Body    map[string]engine.Value
}

// FOResult is the answer to one operation of a batch.
type FOResult struct {
	Row Row
	Err error
}

// Batch runs operations as one $batch request, each in its own change set
// (so one failing operation does not roll back the others). The batch as a
// whole is one request: it is what latency, outages, throttling and
// transient faults apply to, and their error is returned for all of it.
func (a FOAPI) Batch(ops []FOOp) ([]FOResult, error) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	set := ""
	if len(ops) > 0 {
		set = ops[0].Set
	}
	if e := s.gate(WriteOps, set); e != nil {
		return nil, e
	}
	out := make([]FOResult, len(ops))
	for i, op := range ops {
		var r Row
		var e *Error
		switch op.Method {
		case "POST":
			r, e = s.create(op.Set, op.Body)
		case "PATCH":
			r, e = s.update(op.Set, op.Key, op.IfMatch, op.Body)
		case "DELETE":
			e = s.remove(op.Set, op.Key, op.IfMatch)
		default:
			e = foBadRequest(fmt.Sprintf("method %q is not supported in a batch", op.Method))
		}
		out[i] = FOResult{Row: r, Err: wrap(e)}
	}
	return out, nil
}

// wrap returns e as an error, nil when e is nil.
func wrap(e *Error) error {
	if e == nil {
		return nil
	}
	return e
}

// keyOf checks a key and returns its text and values in key order.
func (st *foSet) keyOf(key Key) (string, []engine.Value, *Error) {
	vals := make([]engine.Value, len(st.def.keys))
	for i, n := range st.def.keys {
		v, ok := key[n]
		if !ok || empty(v) {
			return "", nil, foBadRequest(fmt.Sprintf("the key of %s needs a value for %s", st.def.name, n))
		}
		vals[i] = v
	}
	if len(key) != len(st.def.keys) {
		for n := range key {
			if !slices.Contains(st.def.keys, n) {
				return "", nil, foBadRequest(fmt.Sprintf("%s is not a key field of %s", n, st.def.name))
			}
		}
	}
	return keyText(vals), vals, nil
}

func (st *foSet) out(r *foRow) Row {
	vals := withNulls(st.def, r.vals)
	vals[st.def.modified] = engine.Time(r.mod)
	return Row{Key: r.key, ETag: etag(r.ver), Version: r.ver, Created: r.created, Modified: r.mod, Values: vals}
}

func (s *FO) create(set string, body map[string]engine.Value) (Row, *Error) {
	st := s.sets[set]
	if st == nil {
		return Row{}, foNotFound(set)
	}
	key := Key{}
	for _, n := range st.def.keys {
		if v, ok := body[n]; ok {
			key[n] = v
		}
	}
	k, _, e := st.keyOf(key)
	if e != nil {
		return Row{}, e
	}
	if st.rows[k] != nil {
		return Row{}, foWriteFailed(st.def.entity, fmt.Sprintf("Cannot create a record in %s (%s). The record already exists.", st.def.entity, k))
	}
	vals := map[string]engine.Value{}
	for n, f := range st.def.fields {
		if f.typ == plan.String {
			vals[n] = engine.String("") // F&O strings are never null
		}
	}
	if _, e := s.merge(st, vals, body, true); e != nil {
		return Row{}, e
	}
	now := s.stamp()
	s.ver++
	r := &foRow{key: k, vals: vals, ver: s.ver, created: now, mod: now}
	st.rows[k] = r
	return st.out(r), nil
}

func (s *FO) update(set string, key Key, ifMatch string, body map[string]engine.Value) (Row, *Error) {
	st := s.sets[set]
	if st == nil {
		return Row{}, foNotFound(set)
	}
	k, kv, e := st.keyOf(key)
	if e != nil {
		return Row{}, e
	}
	r := st.rows[k]
	if r == nil {
		return Row{}, foNotFound(set)
	}
	if e := matchETag(ifMatch, r.ver, foPrecondition); e != nil {
		return Row{}, e
	}
	for i, n := range st.def.keys {
		if v, ok := body[n]; ok && !v.Equal(kv[i]) {
			return Row{}, foWriteFailed(st.def.entity, fmt.Sprintf("Field '%s' cannot be changed: it is part of the key.", n))
		}
	}
	vals := cloneValues(r.vals)
	if _, e := s.merge(st, vals, body, false); e != nil {
		return Row{}, e
	}
	s.ver++
	r.vals, r.ver, r.mod = vals, s.ver, s.stamp()
	return st.out(r), nil
}

func matchETag(ifMatch string, ver int64, stale func() *Error) *Error {
	if ifMatch == "" || ifMatch == "*" {
		return nil
	}
	if n, ok := parseETag(ifMatch); !ok || n != ver {
		return stale()
	}
	return nil
}

func (s *FO) remove(set string, key Key, ifMatch string) *Error {
	st := s.sets[set]
	if st == nil {
		return foNotFound(set)
	}
	k, _, e := st.keyOf(key)
	if e != nil {
		return e
	}
	r := st.rows[k]
	if r == nil {
		return foNotFound(set)
	}
	if e := matchETag(ifMatch, r.ver, foPrecondition); e != nil {
		return e
	}
	s.bury(st, r)
	return nil
}

// bury deletes a record and keeps its tombstone (key fields, a new version
// and the deletion time) for the change feed.
func (s *FO) bury(st *foSet, r *foRow) {
	delete(st.rows, r.key)
	s.ver++
	t := &foRow{key: r.key, vals: map[string]engine.Value{}, ver: s.ver, created: r.created, mod: s.stamp()}
	for _, n := range st.def.keys {
		t.vals[n] = r.vals[n]
	}
	st.tombs = append(st.tombs, t)
}

// merge validates body and writes it into vals: unknown properties, types
// and enum members first (400), then business logic (normalisation), then
// length, required fields and plug-ins (write exceptions).
func (s *FO) merge(st *foSet, vals, body map[string]engine.Value, create bool) (map[string]bool, *Error) {
	d := st.def
	written := map[string]bool{}
	for _, n := range sortedKeys(body) {
		if n == d.modified {
			continue // read-only system field
		}
		f := d.fields[n]
		if f == nil {
			return nil, foUnknownProperty(d.entity, n)
		}
		v, p := coerce(f, body[n])
		if p != nil {
			return nil, foBadRequest(p.msg)
		}
		if v.IsNull() && f.typ == plan.String {
			v = engine.String("")
		}
		vals[n] = normalize(f, v)
		written[n] = true
	}
	for _, n := range sortedKeys(body) {
		f := d.fields[n]
		if f == nil {
			continue
		}
		if p := tooLong(f, vals[n]); p != nil {
			return nil, foWriteFailed(d.entity, p.msg)
		}
	}
	for _, n := range d.sortedFields() {
		f := d.fields[n]
		if f.required && (create || written[n]) && empty(vals[n]) {
			return nil, foWriteFailed(d.entity, fmt.Sprintf("Field '%s' must be filled in.", n))
		}
	}
	if f := s.plugin(d.name, written, vals); f != nil {
		msg := f.Message
		if msg == "" {
			msg = "The business logic refused the record."
		}
		return nil, foWriteFailed(d.entity, msg)
	}
	return written, nil
}

func sortedKeys(m map[string]engine.Value) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// IsNotFound reports whether err is a service's 404.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == 404
}

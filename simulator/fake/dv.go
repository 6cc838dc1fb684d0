package fake

import (
	"fmt"
	"strings"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// DV is an in-memory Dataverse environment: the tables of the plan's maps,
// records with a GUID primary id (from the seeded source) and an alternate
// key (company lookup and business key), an environment-wide version
// number per write (weak ETags), modifiedon by the service's own clock,
// upsert with If-Match / If-None-Match, choice, length and required-field
// validation, business logic that rewrites values, plug-ins, change
// tracking with delta tokens that expire, and the configured faults.
// Requests go through API(); users edit records through Put and Delete. It
// is safe for concurrent use.
type DV struct {
	*service
	tables      map[string]*dvTable
	companies   map[string]string // code to id
	companyCode map[string]string // id to code
	ver         int64
	generation  int64 // tokens of earlier generations are expired
}

type dvTable struct {
	def    *setDef
	byID   map[string]*dvRow
	byKey  map[string]string // raw key text (company GUID) to id
	log    []dvChange        // every write, by version
	latest map[string]int64  // id to the version of its latest change
	tombs  map[string]*dvRow // deleted records by id, key fields kept
}

type dvRow struct {
	id      string
	key     string // raw key text
	vals    map[string]engine.Value
	ver     int64
	created time.Time
	mod     time.Time
}

type dvChange struct {
	ver     int64
	id      string
	deleted bool
}

// NewDV returns a Dataverse environment with the plan's tables, empty, and
// the configured companies.
func NewDV(p *plan.Plan, cfg Config) (*DV, error) {
	svc, err := newService(p, plan.DV, cfg)
	if err != nil {
		return nil, err
	}
	s := &DV{service: svc, tables: map[string]*dvTable{}, companies: map[string]string{}, companyCode: map[string]string{}}
	for name, d := range svc.schema {
		s.tables[name] = &dvTable{def: d, byID: map[string]*dvRow{}, byKey: map[string]string{},
			latest: map[string]int64{}, tombs: map[string]*dvRow{}}
	}
	for _, c := range cfg.Companies {
		s.company(c, true)
	}
	return s, nil
}

// company returns the GUID of a company code, creating the company row
// when allowed (create) and the configuration lists no companies.
func (s *DV) company(code string, create bool) (string, bool) {
	if id, ok := s.companies[code]; ok {
		return id, true
	}
	if !create || code == "" {
		return "", false
	}
	id := s.guid()
	s.companies[code] = id
	s.companyCode[id] = code
	return id, true
}

func (s *DV) autoCompanies() bool { return len(s.cfg.Companies) == 0 }

// DVAPI is the request interface of a DV: each call is one request,
// subject to latency, outages, throttling and transient faults.
type DVAPI struct{ s *DV }

// API returns the service's request interface.
func (s *DV) API() DVAPI { return DVAPI{s} }

// UpsertOptions are the conditional headers of an upsert.
type UpsertOptions struct {
	// IfMatch: "*" updates only (404 when missing); W/"<n>" updates only
	// that version (412 when stale).
	IfMatch string
	// IfNoneMatch "*" creates only (412 when the key exists).
	IfNoneMatch string
}

// Company returns the GUID of the cdm_company with the code.
func (a DVAPI) Company(code string) (string, error) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.gate(ReadOps, companySet); e != nil {
		return "", e
	}
	id, ok := s.company(code, s.autoCompanies())
	if !ok {
		return "", dvNotFound("cdm_company")
	}
	return id, nil
}

// CompanyCode returns the code of the cdm_company with the GUID.
func (a DVAPI) CompanyCode(id string) (string, error) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.gate(ReadOps, companySet); e != nil {
		return "", e
	}
	code, ok := s.companyCode[id]
	if !ok {
		return "", dvNotFoundID("cdm_company", id)
	}
	return code, nil
}

// Get reads one record by primary id or alternate key.
func (a DVAPI) Get(set string, at Addr) (Row, error) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.gate(ReadOps, set); e != nil {
		return Row{}, e
	}
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
// created. Lookups are set with "<field>@odata.bind": "/<set>(<key>)".
func (a DVAPI) Upsert(set string, at Addr, body map[string]engine.Value, opt UpsertOptions) (Row, bool, error) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.gate(WriteOps, set); e != nil {
		return Row{}, false, e
	}
	r, created, e := s.upsert(set, at, body, opt)
	return r, created, wrap(e)
}

// Delete removes a record; ifMatch as for Upsert.
func (a DVAPI) Delete(set string, at Addr, ifMatch string) error {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.gate(WriteOps, set); e != nil {
		return e
	}
	return wrap(s.remove(set, at, ifMatch))
}

// DVOp is one operation of a batch: Method PATCH (upsert) or DELETE.
type DVOp struct {
	Method string
	Set    string
	At     Addr
	Body   map[string]engine.Value
	Opt    UpsertOptions
}

// DVResult is the answer to one operation of a batch.
type DVResult struct {
	Row     Row
	Created bool
	Err     error
}

// Batch runs operations as one $batch request with
// odata.continue-on-error, each in its own change set. The batch counts
// as one request for faults and service protection; their error is
// returned for all of it.
func (a DVAPI) Batch(ops []DVOp) ([]DVResult, error) {
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
	out := make([]DVResult, len(ops))
	for i, op := range ops {
		switch op.Method {
		case "PATCH":
			r, c, e := s.upsert(op.Set, op.At, op.Body, op.Opt)
			out[i] = DVResult{Row: r, Created: c, Err: wrap(e)}
		case "DELETE":
			out[i] = DVResult{Err: wrap(s.remove(op.Set, op.At, op.Opt.IfMatch))}
		default:
			out[i] = DVResult{Err: dvError(400, codeBadRequest, fmt.Sprintf("method %q is not supported in a batch", op.Method))}
		}
	}
	return out, nil
}

// codeBadRequest is the code of a malformed request body or address.
const codeBadRequest = "0x80048d19"

func dvNoSet(set string) *Error {
	return dvError(404, codeBadRequest, fmt.Sprintf("Resource not found for the segment '%s'.", set))
}

// find resolves an address to a record (nil when there is none) and the
// raw key text it would have.
func (s *DV) find(t *dvTable, at Addr) (*dvRow, string, *Error) {
	if at.ID != "" {
		return t.byID[strings.ToLower(at.ID)], "", nil
	}
	d := t.def
	bad := dvError(400, codeBadRequest, fmt.Sprintf(
		"The key in the request URI is not valid for resource 'Microsoft.Dynamics.CRM.%s'. Make sure both the key name and value are correct.", d.entity))
	if len(at.Key) != len(d.keys) {
		return nil, "", bad
	}
	vals := make([]engine.Value, len(d.keys))
	for i, n := range d.keys {
		v, ok := at.Key[n]
		if !ok || empty(v) || !Addressable(v) {
			return nil, "", bad
		}
		if f := d.fields[n]; f != nil && f.typ == plan.Int && v.Kind() != engine.KindInt {
			return nil, "", bad
		}
		vals[i] = v
	}
	k := keyText(vals)
	id, ok := t.byKey[k]
	if !ok {
		return nil, k, nil
	}
	return t.byID[id], k, nil
}

func (s *DV) missing(t *dvTable, at Addr) *Error {
	if at.ID != "" {
		return dvNotFoundID(t.def.entity, at.ID)
	}
	return dvNotFound(t.def.entity)
}

func (s *DV) upsert(set string, at Addr, body map[string]engine.Value, opt UpsertOptions) (Row, bool, *Error) {
	t := s.tables[set]
	if t == nil {
		return Row{}, false, dvNoSet(set)
	}
	d := t.def
	r, rawKey, e := s.find(t, at)
	if e != nil {
		return Row{}, false, e
	}
	if r != nil && opt.IfNoneMatch == "*" {
		return Row{}, false, dvExists()
	}
	if opt.IfMatch != "" {
		if r == nil {
			return Row{}, false, s.missing(t, at)
		}
		if e := matchETag(opt.IfMatch, r.ver, dvStale); e != nil {
			return Row{}, false, e
		}
	}
	if r != nil {
		for _, n := range d.keys {
			if v, ok := body[n]; ok && !v.Equal(r.vals[n]) {
				return Row{}, false, dvError(400, "0x80040203", fmt.Sprintf("The value of the key attribute '%s' cannot be changed.", n))
			}
		}
		vals := cloneValues(r.vals)
		if e := s.merge(t, vals, body, false); e != nil {
			return Row{}, false, e
		}
		s.ver++
		r.vals, r.ver, r.mod = vals, s.ver, s.stamp()
		t.record(r.id, r.ver, false)
		return s.out(t, r), false, nil
	}
	vals := map[string]engine.Value{}
	for n, v := range at.Key {
		vals[n] = v
	}
	if e := s.merge(t, vals, body, true); e != nil {
		return Row{}, false, e
	}
	for n, v := range at.Key {
		if !vals[n].Equal(v) {
			return Row{}, false, dvError(400, "0x80040203", fmt.Sprintf("The value of the key attribute '%s' does not match the key in the request URI.", n))
		}
	}
	if rawKey == "" { // created by id: the key comes from the body
		kv := make([]engine.Value, len(d.keys))
		for i, n := range d.keys {
			if empty(vals[n]) {
				return Row{}, false, dvError(400, "0x80040203", fmt.Sprintf("A record of %s needs a value for its key attribute '%s'.", d.entity, n))
			}
			kv[i] = vals[n]
		}
		rawKey = keyText(kv)
		if _, dup := t.byKey[rawKey]; dup {
			return Row{}, false, dvExists()
		}
	}
	if d.company != "" {
		if _, ok := s.companyCode[text(vals[d.company])]; !ok {
			return Row{}, false, dvError(400, dsruntime.CodeRecordNotFound, fmt.Sprintf("cdm_company With Id = %s Does Not Exist", text(vals[d.company])))
		}
	}
	id := strings.ToLower(at.ID)
	if id == "" {
		id = s.guid()
	}
	now := s.stamp()
	s.ver++
	vals[d.primaryID] = engine.String(id)
	r = &dvRow{id: id, key: rawKey, vals: vals, ver: s.ver, created: now, mod: now}
	t.byID[id] = r
	t.byKey[rawKey] = id
	delete(t.tombs, id)
	t.record(id, r.ver, false)
	return s.out(t, r), true, nil
}

func (t *dvTable) record(id string, ver int64, deleted bool) {
	t.log = append(t.log, dvChange{ver: ver, id: id, deleted: deleted})
	t.latest[id] = ver
}

func (s *DV) remove(set string, at Addr, ifMatch string) *Error {
	_, e := s.removeRow(set, at, ifMatch)
	return e
}

// removeRow is remove that also returns how to put back the lookups the
// delete cleared (nil when there were none), for a change set that rolls
// back; the record itself is put back by the change set's snapshot.
func (s *DV) removeRow(set string, at Addr, ifMatch string) (relink func(), e *Error) {
	t := s.tables[set]
	if t == nil {
		return nil, dvNoSet(set)
	}
	r, _, e := s.find(t, at)
	if e != nil {
		return nil, e
	}
	if r == nil {
		return nil, s.missing(t, at)
	}
	if e := matchETag(ifMatch, r.ver, dvStale); e != nil {
		return nil, e
	}
	return s.bury(t, r), nil
}

// bury deletes a record, keeps its tombstone for the change feed and
// clears the lookups that referenced it (see unlink).
func (s *DV) bury(t *dvTable, r *dvRow) (relink func()) {
	delete(t.byID, r.id)
	delete(t.byKey, r.key)
	s.ver++
	t.tombs[r.id] = &dvRow{id: r.id, key: r.key, vals: r.vals, ver: s.ver, created: r.created, mod: s.stamp()}
	t.record(r.id, s.ver, true)
	return s.unlink(t, r.id)
}

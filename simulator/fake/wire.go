package fake

import (
	"cmp"
	"slices"
	"strings"

	"github.com/dualsync/dualsync/runtime/plan"
)

// The wire interface is what an HTTP layer in front of the fakes needs
// beyond the request interface (API): the schema, to read and write the
// services' JSON and to generate $metadata; admission, so that one HTTP
// request is gated once however many parts it has (a $batch counts once);
// and the parts themselves, ungated: reads, and writes grouped in atomic
// change sets (Atomic). Every method here locks the service for its own
// duration only.

// FieldInfo describes one field of an entity set as the service knows it.
type FieldInfo struct {
	Name string
	Type plan.Type
	// MaxLength is the longest text accepted, 0 when unlimited.
	MaxLength int
	// Scale is a decimal's fraction digits, -1 when not fixed.
	Scale int
	// Members are the valid F&O enum members, sorted; nil: any.
	Members []string
	// Choices are the valid Dataverse choice values, sorted; nil: any.
	Choices []int64
	// Target is a Dataverse lookup's entity set (cdm_companies for the
	// company key field).
	Target   string
	Key      bool
	Company  bool
	Required bool
}

// SetInfo describes one entity set (F&O) or table (Dataverse).
type SetInfo struct {
	// Name is the entity set name; Entity the F&O data entity type or the
	// Dataverse table's logical name.
	Name, Entity string
	// Keys are the key fields, company first; Company is the company key
	// field, "" for a global set.
	Keys    []string
	Company string
	// Modified is the modified-time field; PrimaryID the Dataverse
	// primary id column.
	Modified  string
	PrimaryID string
	// Fields are sorted by name; they include the key fields but not the
	// system columns (modified time, and on Dataverse the primary id,
	// versionnumber and createdon).
	Fields []FieldInfo
}

// Field returns the named field, or nil.
func (si *SetInfo) Field(name string) *FieldInfo {
	i, ok := slices.BinarySearchFunc(si.Fields, name, func(f FieldInfo, n string) int { return cmp.Compare(f.Name, n) })
	if !ok {
		return nil
	}
	return &si.Fields[i]
}

// CompanySet is the Dataverse entity set of legal entities (cdm_company),
// the target of company lookups.
const CompanySet = companySet

// Schema describes the service's entity sets, sorted by name.
func (s *service) Schema() []SetInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SetInfo, 0, len(s.schema))
	for _, name := range s.Sets() {
		d := s.schema[name]
		si := SetInfo{Name: d.name, Entity: d.entity, Keys: slices.Clone(d.keys), Company: d.company,
			Modified: d.modified, PrimaryID: d.primaryID}
		for _, n := range d.sortedFields() {
			f := d.fields[n]
			fi := FieldInfo{Name: f.name, Type: f.typ, MaxLength: f.maxLen, Scale: f.scale, Target: f.target,
				Key: f.key, Company: f.company, Required: f.required}
			if f.members != nil {
				fi.Members = []string{}
				for m := range f.members {
					fi.Members = append(fi.Members, m)
				}
				slices.Sort(fi.Members)
			}
			if f.choices != nil {
				fi.Choices = []int64{}
				for c := range f.choices {
					fi.Choices = append(fi.Choices, c)
				}
				slices.Sort(fi.Choices)
			}
			si.Fields = append(si.Fields, fi)
		}
		out = append(out, si)
	}
	return out
}

// Config returns the service's configuration, with defaults filled in.
func (s *service) Config() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// admit gates one request of class op on set.
func (s *service) admit(op Ops, set string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return wrap(s.gate(op, set))
}

// FOWire is the wire interface of an FO.
type FOWire struct{ s *FO }

// Wire returns the service's wire interface.
func (s *FO) Wire() FOWire { return FOWire{s} }

// Admit gates one request of class op on set (set may be "", as for a
// batch): latency, outages, throttling and transient faults apply, and
// the request is counted. A nil error admits it.
func (w FOWire) Admit(op Ops, set string) error { return w.s.admit(op, set) }

// Get reads one record by its full key, ungated; see FOAPI.Get.
func (w FOWire) Get(set string, key Key, crossCompany bool) (Row, error) {
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
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

// List queries an entity set, ungated; see FOAPI.List.
func (w FOWire) List(set string, q Query) ([]Row, error) {
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.list(set, q)
}

// DefaultCompany is the company a query without cross-company reads.
func (w FOWire) DefaultCompany() string { return w.s.Config().DefaultCompany }

// DVWire is the wire interface of a DV.
type DVWire struct{ s *DV }

// Wire returns the service's wire interface.
func (s *DV) Wire() DVWire { return DVWire{s} }

// Admit gates one request; see FOWire.Admit.
func (w DVWire) Admit(op Ops, set string) error { return w.s.admit(op, set) }

// Get reads one record by primary id or alternate key, ungated.
func (w DVWire) Get(set string, at Addr) (Row, error) {
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
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

// List returns every current record of a table, ordered by primary id,
// ungated.
func (w DVWire) List(set string) ([]Row, error) {
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tables[set]
	if t == nil {
		return nil, dvNoSet(set)
	}
	out := make([]Row, 0, len(t.byID))
	for _, r := range t.byID {
		out = append(out, s.out(t, r))
	}
	slices.SortFunc(out, func(a, b Row) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// Changes runs a change-tracking query, ungated; see DVAPI.Changes.
func (w DVWire) Changes(set, token string, maxPageSize int) (DeltaPage, error) {
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changes(set, token, maxPageSize)
}

// Company is one cdm_company row.
type Company struct {
	ID   string
	Code string
}

// Companies returns the companies, by code.
func (w DVWire) Companies() []Company {
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Company, 0, len(s.companies))
	for code, id := range s.companies {
		out = append(out, Company{ID: id, Code: code})
	}
	slices.SortFunc(out, func(a, b Company) int { return cmp.Compare(a.Code, b.Code) })
	return out
}

// Company returns the company with the code; when the configuration lists
// no companies, a company asked for by code is created (as the in-process
// adapter's lookups do).
func (w DVWire) Company(code string) (Company, bool) {
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.company(code, s.autoCompanies())
	return Company{ID: id, Code: code}, ok
}

// CompanyByID returns the company with the GUID.
func (w DVWire) CompanyByID(id string) (Company, bool) {
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	id = strings.ToLower(id)
	code, ok := s.companyCode[id]
	return Company{ID: id, Code: code}, ok
}

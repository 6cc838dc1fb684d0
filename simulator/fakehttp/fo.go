package fakehttp

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator/fake"
)

// foService is F&O's OData service at /data.
type foService struct {
	fo         *fake.FO
	w          fake.FOWire
	sets       map[string]*foSet
	names      []string // entity sets, sorted
	metadata   []byte
	defCompany string
	pageSize   int
}

type foSet struct {
	*fake.SetInfo
	order []string             // properties in answer order
	types map[string]plan.Type // every property, with the modified time
	enums map[string]string    // enum field to its qualified type
}

func newFOFront(s *Servers) *frontend {
	svc := &foService{fo: s.FO, w: s.FO.Wire(), sets: map[string]*foSet{}, pageSize: s.cfg.FOPageSize}
	svc.defCompany = svc.w.DefaultCompany()
	schema := s.FO.Schema()
	enumTypes := foEnumTypes(schema, s.cfg.FOMetadata)
	for i := range schema {
		si := &schema[i]
		fs := &foSet{SetInfo: si, types: map[string]plan.Type{si.Modified: plan.DateTime}, enums: enumTypes[si.Name]}
		fs.order = append(fs.order, si.Keys...)
		for _, f := range si.Fields {
			fs.types[f.Name] = f.Type
			if !f.Key {
				fs.order = append(fs.order, f.Name)
			}
		}
		fs.order = append(fs.order, si.Modified)
		svc.sets[si.Name] = fs
		svc.names = append(svc.names, si.Name)
	}
	svc.metadata = s.cfg.FOMetadata
	if svc.metadata == nil {
		svc.metadata = foMetadata(schema, enumTypes)
	}
	f := &frontend{side: plan.FO, srv: s, svc: svc, resource: s.cfg.FOResource,
		limit: newFOLimiter(s.cfg.Clock, s.cfg.FOLoad),
		root: func(p string) (string, string, bool) {
			if p == "/data" {
				return "/data", "", true
			}
			rest, ok := strings.CutPrefix(p, "/data/")
			return "/data", rest, ok
		},
		extra: func(http.ResponseWriter, *http.Request, string) {},
	}
	if s.cfg.Faults {
		f.admin = adminGate(s.cfg.AdminToken, nil, serviceAdmin(s, plan.FO))
	}
	return f
}

func (s *foService) admit(op fake.Ops, set string) error { return s.w.Admit(op, set) }
func (s *foService) faults() []fake.Fault                { return s.fo.Faults() }

// foError is F&O's error for a malformed request.
func foError(status int, msg string) *fake.Error {
	return &fake.Error{Side: plan.FO, Status: status, Message: msg,
		Inner: &fake.InnerError{Message: msg, Type: "Microsoft.OData.ODataException"}}
}

func (s *foService) badRequest(msg string) *fake.Error { return foError(400, msg) }

func foNoSegment(seg string) *fake.Error {
	return &fake.Error{Side: plan.FO, Status: 404, Message: fmt.Sprintf("Resource not found for the segment '%s'.", seg)}
}

func (s *foService) serve(r *wreq) *wresp {
	if r.fotx != nil && r.method == http.MethodGet {
		return errResp(plan.FO, s.badRequest("A change set cannot contain a GET request."))
	}
	switch r.path {
	case "", "$metadata":
		if r.method != http.MethodGet {
			return errResp(plan.FO, foError(405, "The HTTP method is not allowed for this resource."))
		}
		if r.path == "" {
			return s.serviceDocument(r)
		}
		resp := newResp(200)
		resp.header.Set("Content-Type", "application/xml")
		resp.body = s.metadata
		return resp
	}
	res, err := parseResource(r.path)
	if err != nil {
		return errResp(plan.FO, foError(400, "The request URI is not valid: "+err.Error()))
	}
	set := s.sets[res.Set]
	if set == nil {
		return errResp(plan.FO, foNoSegment(res.Set))
	}
	opts, err := parseOptions(r.rawQuery)
	if err != nil {
		return errResp(plan.FO, foError(400, err.Error()))
	}
	if res.Rest != "" {
		if res.Rest == "$count" && !res.HasKey && r.method == http.MethodGet {
			rows, err := s.query(set, opts)
			if err != nil {
				return errResp(plan.FO, err)
			}
			resp := newResp(200)
			resp.header.Set("Content-Type", "text/plain")
			resp.body = []byte(strconv.Itoa(len(rows)))
			return resp
		}
		return errResp(plan.FO, foNoSegment(res.Rest))
	}
	if !res.HasKey {
		switch r.method {
		case http.MethodGet:
			return s.list(r, set, opts)
		case http.MethodPost:
			return s.create(r, set)
		}
		return errResp(plan.FO, foError(405, fmt.Sprintf("The HTTP method '%s' is not allowed for the entity set '%s'.", r.method, set.Name)))
	}
	key, e := s.key(set, res.Key, r.inBatch)
	if e != nil {
		return errResp(plan.FO, e)
	}
	switch r.method {
	case http.MethodGet:
		if r.fotx != nil {
			return errResp(plan.FO, foError(400, "A change set cannot contain a GET request."))
		}
		row, err := s.w.Get(set.Name, key, opts.cross)
		if err != nil {
			return errResp(plan.FO, err)
		}
		sel, e := s.selection(set, opts.selects)
		if e != nil {
			return errResp(plan.FO, e)
		}
		o := object{}
		o.str("@odata.context", r.base+"/$metadata#"+set.Name+"/$entity")
		resp := jsonResp(200, s.record(&o, set, row, sel))
		resp.header.Set("ETag", row.ETag)
		return resp
	case http.MethodPatch, http.MethodPut, "MERGE":
		return s.update(r, set, key)
	case http.MethodDelete:
		err := s.write(r, func(tx *fake.FOTx) error { return tx.Delete(set.Name, key, r.header.Get("If-Match")) })
		if err != nil {
			return errResp(plan.FO, err)
		}
		return newResp(204)
	}
	return errResp(plan.FO, foError(405, fmt.Sprintf("The HTTP method '%s' is not allowed for an entity.", r.method)))
}

// write runs fn in the request's change set, or in one of its own.
func (s *foService) write(r *wreq, fn func(tx *fake.FOTx) error) error {
	if r.fotx != nil {
		return fn(r.fotx)
	}
	return s.w.Atomic(fn)
}

func (s *foService) serviceDocument(r *wreq) *wresp {
	o := object{}
	o.str("@odata.context", r.base+"/$metadata")
	var b []byte
	b = append(b, '[')
	for i, n := range s.names {
		if i > 0 {
			b = append(b, ',')
		}
		e := object{}
		e.str("name", n)
		e.str("kind", "EntitySet")
		e.str("url", n)
		b = append(b, e.bytes()...)
	}
	o.raw("value", append(b, ']'))
	return jsonResp(200, o.bytes())
}

// key converts a key segment: every key field, typed; on a request's own
// URL (not inside a $batch) values with the characters the web server
// refuses in a path are refused as it refuses them.
func (s *foService) key(set *foSet, pairs []keyPair, inBatch bool) (fake.Key, *fake.Error) {
	entity := "Microsoft.Dynamics.DataEntities." + set.Entity
	if len(pairs) == 1 && pairs[0].Name == "" && len(set.Keys) == 1 {
		pairs = []keyPair{{Name: set.Keys[0], Lit: pairs[0].Lit}}
	}
	key := fake.Key{}
	for _, p := range pairs {
		f := set.Field(p.Name)
		if p.Name == "" || f == nil || !f.Key {
			return nil, foError(400, fmt.Sprintf("The key property '%s' is not a key property of the type '%s'.", p.Name, entity))
		}
		if _, dup := key[p.Name]; dup {
			return nil, foError(400, fmt.Sprintf("The key property '%s' is given twice.", p.Name))
		}
		v, ok := p.Lit.value(f.Type)
		if !ok || v.IsNull() {
			return nil, foError(400, fmt.Sprintf("The key value for '%s' is not a valid %s literal.", p.Name, edmType(f.Type)))
		}
		if str, isStr := v.AsString(); isStr && !inBatch {
			if i := strings.IndexAny(str, reservedKeyChars); i >= 0 {
				return nil, foError(400, fmt.Sprintf("A potentially dangerous Request.Path value was detected from the client (%c).", str[i]))
			}
		}
		key[p.Name] = v
	}
	if len(key) != len(set.Keys) {
		return nil, foError(400, fmt.Sprintf("The number of keys specified in the URI does not match number of key properties for the resource '%s'.", entity))
	}
	return key, nil
}

// selection checks $select; nil selects every property.
func (s *foService) selection(set *foSet, names []string) (map[string]bool, *fake.Error) {
	if names == nil {
		return nil, nil
	}
	sel := map[string]bool{}
	for _, n := range names {
		if _, ok := set.types[n]; !ok {
			return nil, foUnknown(set, n)
		}
		sel[n] = true
	}
	return sel, nil
}

func foUnknown(set *foSet, name string) *fake.Error {
	return foError(400, fmt.Sprintf("Could not find a property named '%s' on type 'Microsoft.Dynamics.DataEntities.%s'.", name, set.Entity))
}

// record writes a record into o (which may hold annotations already).
func (s *foService) record(o *object, set *foSet, row fake.Row, sel map[string]bool) []byte {
	o.str("@odata.etag", row.ETag)
	for _, n := range set.order {
		if sel != nil && !sel[n] {
			continue
		}
		o.value(n, set.types[n], row.Values[n])
	}
	return o.bytes()
}

// filterEnv is the F&O reading of $filter: enum literals, '*' wildcards,
// no functions.
func (s *foService) filterEnv(set *foSet) *filterEnv {
	return &filterEnv{
		resolve: func(name string) (field, bool) {
			t, ok := set.types[name]
			if !ok {
				return field{}, false
			}
			f := field{Name: name, Type: t, EnumType: set.enums[name]}
			if fi := set.Field(name); fi != nil {
				f.Members = fi.Members
			}
			return f, true
		},
		unknown:   func(name string) string { return foUnknown(set, name).Message },
		enums:     true,
		wildcards: true,
	}
}

// query reads the records a collection request selects, filtered and
// ordered, before paging.
func (s *foService) query(set *foSet, opts options) ([]fake.Row, error) {
	if opts.deltatoken != "" {
		return nil, foError(400, "The query parameter '$deltatoken' is not supported.")
	}
	if opts.expand != "" {
		name, _, _ := strings.Cut(opts.expand, "(")
		return nil, foUnknown(set, strings.TrimSpace(strings.Split(name, ",")[0]))
	}
	var pred predicate
	if opts.filter != "" {
		e, err := parseFilter(opts.filter)
		if err == nil {
			pred, err = compileFilter(e, s.filterEnv(set))
		}
		if err != nil {
			if errors.Is(err, errUnsupported) {
				return nil, foError(400, "The query specified in the URI is not valid. "+capital(err.Error())+".")
			}
			return nil, foError(400, "The query specified in the URI is not valid. "+capital(err.Error()))
		}
	}
	for _, k := range opts.orderby {
		if _, ok := set.types[k.name]; !ok {
			return nil, foUnknown(set, k.name)
		}
	}
	rows, err := s.w.List(set.Name, fake.Query{CrossCompany: opts.cross})
	if err != nil {
		return nil, err
	}
	if pred != nil {
		rows = slices.DeleteFunc(rows, func(r fake.Row) bool { return !pred(r.Values) })
	}
	sortBy(rows, opts.orderby, func(r fake.Row, n string) engine.Value { return r.Values[n] })
	return rows, nil
}

func (s *foService) list(r *wreq, set *foSet, opts options) *wresp {
	sel, e := s.selection(set, opts.selects)
	if e != nil {
		return errResp(plan.FO, e)
	}
	rows, err := s.query(set, opts)
	if err != nil {
		return errResp(plan.FO, err)
	}
	total := len(rows)
	skip := max(opts.skip, 0)
	want := total - min(skip, total)
	if opts.top >= 0 {
		want = min(want, opts.top)
	}
	size := s.pageSize
	pref := parsePrefer(r.header.Values("Prefer"))
	if pref.maxPageSize > 0 {
		size = min(size, pref.maxPageSize)
	}
	pg, _ := page(rows, skip, min(want, size))
	o := object{}
	ctx := r.base + "/$metadata#" + set.Name
	if opts.selects != nil {
		ctx += "(" + strings.Join(opts.selects, ",") + ")"
	}
	o.str("@odata.context", ctx)
	if opts.count {
		o.raw("@odata.count", strconv.AppendInt(nil, int64(total), 10))
	}
	var b []byte
	b = append(b, '[')
	for i, row := range pg {
		if i > 0 {
			b = append(b, ',')
		}
		ro := object{}
		b = append(b, s.record(&ro, set, row, sel)...)
	}
	o.raw("value", append(b, ']'))
	if len(pg) < want {
		next := map[string]string{"$skip": strconv.Itoa(skip + len(pg))}
		if opts.top >= 0 {
			next["$top"] = strconv.Itoa(want - len(pg))
		}
		o.str("@odata.nextLink", r.base+"/"+set.Name+"?"+opts.with(next))
	}
	resp := jsonResp(200, o.bytes())
	if pref.maxPageSize > 0 {
		resp.header.Set("Preference-Applied", "odata.maxpagesize="+strconv.Itoa(size))
	}
	return resp
}

// keyPath is a record's path, "<set>(<key>)", percent-encoded.
func (s *foService) keyPath(set *foSet, row fake.Row) string {
	parts := make([]string, len(set.Keys))
	for i, k := range set.Keys {
		parts[i] = k + "=" + odataLiteral(set.types[k], row.Values[k])
	}
	return set.Name + "(" + escapeLiteral(strings.Join(parts, ",")) + ")"
}

func (s *foService) create(r *wreq, set *foSet) *wresp {
	b, err := decodeBody(r.body, set.SetInfo)
	if err != nil {
		return errResp(plan.FO, foError(400, err.Error()))
	}
	if set.Company != "" {
		if _, ok := b.Values[set.Company]; !ok {
			b.Values[set.Company] = engine.String(s.defCompany) // the caller's company
		}
	}
	var row fake.Row
	err = s.write(r, func(tx *fake.FOTx) error {
		var err error
		row, err = tx.Create(set.Name, b.Values)
		return err
	})
	if err != nil {
		return errResp(plan.FO, err)
	}
	loc := r.base + "/" + s.keyPath(set, row)
	pref := parsePrefer(r.header.Values("Prefer"))
	var resp *wresp
	if pref.returnMinimal {
		resp = newResp(204)
		resp.header.Set("OData-EntityId", loc)
		resp.header.Set("Preference-Applied", "return=minimal")
	} else {
		o := object{}
		o.str("@odata.context", r.base+"/$metadata#"+set.Name+"/$entity")
		resp = jsonResp(201, s.record(&o, set, row, nil))
	}
	resp.header.Set("Location", loc)
	resp.header.Set("ETag", row.ETag)
	return resp
}

func (s *foService) update(r *wreq, set *foSet, key fake.Key) *wresp {
	b, err := decodeBody(r.body, set.SetInfo)
	if err != nil {
		return errResp(plan.FO, foError(400, err.Error()))
	}
	var row fake.Row
	err = s.write(r, func(tx *fake.FOTx) error {
		var err error
		row, err = tx.Update(set.Name, key, r.header.Get("If-Match"), b.Values)
		return err
	})
	if err != nil {
		return errResp(plan.FO, err)
	}
	var resp *wresp
	if parsePrefer(r.header.Values("Prefer")).returnRepresentation {
		o := object{}
		o.str("@odata.context", r.base+"/$metadata#"+set.Name+"/$entity")
		resp = jsonResp(200, s.record(&o, set, row, nil))
		resp.header.Set("Preference-Applied", "return=representation")
	} else {
		resp = newResp(204)
	}
	resp.header.Set("ETag", row.ETag)
	resp.header.Set("OData-EntityId", r.base+"/"+s.keyPath(set, row))
	return resp
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

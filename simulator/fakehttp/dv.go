package fakehttp

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator/fake"
)

// dvService is the Dataverse Web API at /api/data/v9.x.
type dvService struct {
	dv       *fake.DV
	w        fake.DVWire
	sets     map[string]*dvSet
	names    []string
	metadata []byte
	pageSize int
	orgID    string
}

type dvSet struct {
	*fake.SetInfo
	// props maps every readable property name (lookups as _x_value and
	// as x, system columns) to the field's name in the values and type.
	props map[string]field
}

// Dataverse error codes the service answers beyond those of the runtime.
const (
	codeBadRequest   = "0x80048d19" // malformed request, address or body
	codeNotSupported = "0x80060888" // an unknown property or query option
	codeBatchTooBig  = "0x80048d1a" // more requests in a $batch than allowed
)

var dvRootRE = regexp.MustCompile(`^/api/data/v9\.[0-2]`)

func newDVFront(s *Servers) *frontend {
	svc := &dvService{dv: s.DV, w: s.DV.Wire(), sets: map[string]*dvSet{}, pageSize: s.cfg.DVPageSize, orgID: newID()}
	schema := s.DV.Schema()
	for i := range schema {
		si := &schema[i]
		ds := &dvSet{SetInfo: si, props: map[string]field{}}
		for _, f := range si.Fields {
			if f.Target != "" {
				ds.props["_"+f.Name+"_value"] = field{Name: f.Name, Type: plan.Lookup}
				ds.props[f.Name] = field{Name: f.Name, Type: plan.Lookup}
				continue
			}
			ds.props[f.Name] = field{Name: f.Name, Type: f.Type}
		}
		ds.props[si.PrimaryID] = field{Name: si.PrimaryID, Type: plan.Guid}
		ds.props[si.Modified] = field{Name: si.Modified, Type: plan.DateTime}
		ds.props["createdon"] = field{Name: "createdon", Type: plan.DateTime}
		ds.props["versionnumber"] = field{Name: "versionnumber", Type: plan.Int}
		svc.sets[si.Name] = ds
		svc.names = append(svc.names, si.Name)
	}
	svc.names = append(svc.names, fake.CompanySet)
	slices.Sort(svc.names)
	svc.metadata = s.cfg.DVMetadata
	if svc.metadata == nil {
		svc.metadata = dvMetadata(schema)
	}
	limit := newDVLimiter(s.cfg.Clock, s.cfg.Protection)
	f := &frontend{side: plan.DV, srv: s, svc: svc, resource: s.cfg.DVResource, limit: limit,
		root: func(p string) (string, string, bool) {
			root := dvRootRE.FindString(p)
			if root == "" {
				return "", "", false
			}
			rest := p[len(root):]
			if rest == "" {
				return root, "", true
			}
			if rest[0] != '/' {
				return "", "", false
			}
			return root, rest[1:], true
		},
		extra: func(w http.ResponseWriter, _ *http.Request, user string) {
			w.Header().Set("x-ms-dop-hint", strconv.Itoa(s.cfg.DOPHint))
			limit.headers(w.Header(), user)
		},
	}
	if s.cfg.Faults {
		f.admin = adminGate(s.cfg.AdminToken, nil, serviceAdmin(s, plan.DV))
	}
	return f
}

func (s *dvService) admit(op fake.Ops, set string) error { return s.w.Admit(op, set) }
func (s *dvService) faults() []fake.Fault                { return s.dv.Faults() }

func dvError(status int, code, msg string) *fake.Error {
	return &fake.Error{Side: plan.DV, Status: status, Code: code, Message: msg}
}

func (s *dvService) badRequest(msg string) *fake.Error { return dvError(400, codeBadRequest, msg) }

func dvNoSegment(seg string) *fake.Error {
	return dvError(404, codeBadRequest, fmt.Sprintf("Resource not found for the segment '%s'.", seg))
}

func dvBadKey(entity string) *fake.Error {
	return dvError(400, codeBadRequest, fmt.Sprintf(
		"The key in the request URI is not valid for resource 'Microsoft.Dynamics.CRM.%s'. Make sure both the key name and value are correct.", entity))
}

func dvUnknown(entity, name string) *fake.Error {
	return dvError(400, codeNotSupported, fmt.Sprintf("Could not find a property named '%s' on type 'Microsoft.Dynamics.CRM.%s'.", name, entity))
}

func (s *dvService) serve(r *wreq) *wresp {
	if r.dvtx != nil && r.method == http.MethodGet {
		return errResp(plan.DV, s.badRequest("A change set cannot contain a GET request."))
	}
	switch r.path {
	case "":
		return s.serviceDocument(r)
	case "$metadata":
		resp := newResp(200)
		resp.header.Set("Content-Type", "application/xml")
		resp.body = s.metadata
		return resp
	case "WhoAmI", "WhoAmI()":
		o := object{}
		o.str("@odata.context", r.base+"/$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse")
		o.str("BusinessUnitId", "00000000-0000-0000-0000-000000000001")
		o.str("UserId", "00000000-0000-0000-0000-000000000002")
		o.str("OrganizationId", s.orgID)
		return jsonResp(200, o.bytes())
	}
	res, err := parseResource(r.path)
	if err != nil {
		if set, _, ok := strings.Cut(r.path, "("); ok {
			if ds := s.sets[set]; ds != nil {
				return errResp(plan.DV, dvBadKey(ds.Entity))
			}
		}
		return errResp(plan.DV, dvError(400, codeBadRequest, "The request URI is not valid: "+err.Error()))
	}
	if res.Set == fake.CompanySet {
		return s.companies(r, res)
	}
	set := s.sets[res.Set]
	if set == nil {
		return errResp(plan.DV, dvNoSegment(res.Set))
	}
	opts, err := parseOptions(r.rawQuery)
	if err != nil {
		return errResp(plan.DV, dvError(400, codeBadRequest, err.Error()))
	}
	pref := parsePrefer(r.header.Values("Prefer"))
	if res.Rest != "" {
		switch {
		case !res.HasKey && r.method == http.MethodPost && res.Rest == "Microsoft.Dynamics.CRM.UpsertMultiple":
			return s.upsertMultiple(r, set)
		case !res.HasKey && r.method == http.MethodGet && res.Rest == "$count":
			rows, err := s.query(set, opts)
			if err != nil {
				return errResp(plan.DV, err)
			}
			resp := newResp(200)
			resp.header.Set("Content-Type", "text/plain")
			resp.body = []byte(strconv.Itoa(min(len(rows), 5000)))
			return resp
		}
		return errResp(plan.DV, dvNoSegment(res.Rest))
	}
	if !res.HasKey {
		switch r.method {
		case http.MethodGet:
			if pref.trackChanges || opts.deltatoken != "" || strings.HasPrefix(opts.skiptoken, ctPrefix) {
				return s.changes(r, set, opts, pref)
			}
			return s.list(r, set, opts, pref)
		case http.MethodPost:
			return s.create(r, set, opts, pref)
		}
		return errResp(plan.DV, dvError(405, codeBadRequest, fmt.Sprintf("The HTTP method '%s' is not allowed for the entity set '%s'.", r.method, set.Name)))
	}
	at, e := s.addr(set, res.Key)
	if e != nil {
		return errResp(plan.DV, e)
	}
	switch r.method {
	case http.MethodGet:
		if r.dvtx != nil {
			return errResp(plan.DV, dvError(400, codeBadRequest, "A change set cannot contain a GET request."))
		}
		sel, e := s.selection(set, opts.selects)
		if e != nil {
			return errResp(plan.DV, e)
		}
		if opts.expand != "" {
			return errResp(plan.DV, s.noExpand(set, opts.expand))
		}
		row, err := s.w.Get(set.Name, at)
		if err != nil {
			return errResp(plan.DV, err)
		}
		o := object{}
		o.str("@odata.context", r.base+"/$metadata#"+set.Name+s.selectSuffix(opts.selects)+"/$entity")
		resp := jsonResp(200, s.record(&o, set, row, sel))
		resp.header.Set("ETag", row.ETag)
		return resp
	case http.MethodPatch:
		return s.upsert(r, set, at, opts, pref)
	case http.MethodDelete:
		err := s.write(r, func(tx *fake.DVTx) error { return tx.Delete(set.Name, at, r.header.Get("If-Match")) })
		if err != nil {
			return errResp(plan.DV, err)
		}
		return newResp(204)
	}
	return errResp(plan.DV, dvError(405, codeBadRequest, fmt.Sprintf("The HTTP method '%s' is not allowed for a record.", r.method)))
}

// write runs fn in the request's change set, or in one of its own.
func (s *dvService) write(r *wreq, fn func(tx *fake.DVTx) error) error {
	if r.dvtx != nil {
		return fn(r.dvtx)
	}
	return s.w.Atomic(fn)
}

func (s *dvService) serviceDocument(r *wreq) *wresp {
	o := object{}
	o.str("@odata.context", r.base+"/$metadata")
	b := []byte{'['}
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

// addr converts a key segment: a GUID (or primaryid=GUID) addresses by
// primary id; otherwise every part names a column of the alternate key,
// a lookup column as _<name>_value (or <name>) with a GUID. The model
// checks that the parts are the whole key and that the values can be
// addressed.
func (s *dvService) addr(set *dvSet, pairs []keyPair) (fake.Addr, *fake.Error) {
	bad := dvBadKey(set.Entity)
	if len(pairs) == 1 && (pairs[0].Name == "" || pairs[0].Name == set.PrimaryID) {
		if pairs[0].Lit.Kind != litGUID {
			return fake.Addr{}, bad
		}
		return fake.Addr{ID: pairs[0].Lit.Text}, nil
	}
	key := fake.Key{}
	for _, p := range pairs {
		name := p.Name
		if strings.HasPrefix(name, "_") && strings.HasSuffix(name, "_value") && len(name) > len("__value") {
			name = name[1 : len(name)-len("_value")]
		}
		f := set.Field(name)
		if f == nil || !f.Key {
			return fake.Addr{}, bad
		}
		if _, dup := key[name]; dup {
			return fake.Addr{}, bad
		}
		t := f.Type
		if f.Target != "" {
			t = plan.Lookup
		}
		v, ok := p.Lit.value(t)
		if !ok || v.IsNull() {
			return fake.Addr{}, bad
		}
		key[name] = v
	}
	return fake.Addr{Key: key}, nil
}

func (s *dvService) selectSuffix(selects []string) string {
	if selects == nil {
		return ""
	}
	return "(" + strings.Join(selects, ",") + ")"
}

// selection checks $select; nil selects every column.
func (s *dvService) selection(set *dvSet, names []string) (map[string]bool, *fake.Error) {
	if names == nil {
		return nil, nil
	}
	sel := map[string]bool{}
	for _, n := range names {
		f, ok := set.props[n]
		if !ok {
			return nil, dvUnknown(set.Entity, n)
		}
		sel[f.Name] = true
	}
	return sel, nil
}

func (s *dvService) noExpand(set *dvSet, expand string) *fake.Error {
	name, _, _ := strings.Cut(expand, "(")
	name = strings.TrimSpace(strings.Split(name, ",")[0])
	if _, ok := set.props[name]; ok {
		return dvError(400, codeNotSupported, "$expand is not supported by this service.")
	}
	return dvUnknown(set.Entity, name)
}

// record writes a record: its ETag, primary id, columns (lookups as
// _<name>_value) and system columns; sel limits the columns (the primary
// id is always there).
func (s *dvService) record(o *object, set *dvSet, row fake.Row, sel map[string]bool) []byte {
	o.str("@odata.etag", row.ETag)
	o.value(set.PrimaryID, plan.Guid, engine.String(row.ID))
	for _, f := range set.Fields {
		if sel != nil && !sel[f.Name] {
			continue
		}
		name := f.Name
		if f.Target != "" {
			name = "_" + f.Name + "_value"
		}
		o.value(name, f.Type, row.Values[f.Name])
	}
	for _, n := range []string{"createdon", set.Modified} {
		if sel == nil || sel[n] {
			o.value(n, plan.DateTime, row.Values[n])
		}
	}
	if sel == nil || sel["versionnumber"] {
		o.value("versionnumber", plan.Int, row.Values["versionnumber"])
	}
	return o.bytes()
}

// bindPath turns an @odata.bind value into the model's "/<set>(<key>)":
// an absolute URL or a path with the service root loses it, a relative
// path gains its slash, a Content-ID reference ($1) resolves to the
// record its request wrote, and the path is percent-decoded.
func (s *dvService) bindPath(r *wreq, v string) (string, *fake.Error) {
	if strings.HasPrefix(v, "$") && r.ref != nil {
		p, ok := r.ref(v[1:])
		if !ok {
			return "", dvError(400, codeBadRequest, fmt.Sprintf("The Content-ID reference '%s' does not name an earlier request of the change set.", v))
		}
		return p, nil
	}
	if u, err := url.Parse(v); err == nil && u.IsAbs() {
		v = u.EscapedPath()
	}
	if loc := dvRootRE.FindStringIndex(v); loc != nil && loc[0] == 0 {
		v = v[loc[1]:]
	}
	if d, err := url.PathUnescape(v); err == nil {
		v = d
	}
	if !strings.HasPrefix(v, "/") {
		v = "/" + v
	}
	return v, nil
}

// writeBody decodes a write's body and resolves its binds.
func (s *dvService) writeBody(r *wreq, set *dvSet) (body, *fake.Error) {
	b, err := decodeBody(r.body, set.SetInfo)
	if err != nil {
		return body{}, dvError(400, codeBadRequest, err.Error())
	}
	if e := s.resolveBinds(r, b); e != nil {
		return body{}, e
	}
	return b, nil
}

func (s *dvService) resolveBinds(r *wreq, b body) *fake.Error {
	for n, v := range b.Values {
		if !strings.HasSuffix(n, "@odata.bind") {
			continue
		}
		str, ok := v.AsString()
		if !ok {
			continue
		}
		p, e := s.bindPath(r, str)
		if e != nil {
			return e
		}
		b.Values[n] = engine.String(p)
	}
	return nil
}

// entityID is the OData-EntityId of a record: its URL by primary id.
func (s *dvService) entityID(r *wreq, set *dvSet, row fake.Row) string {
	return r.base + "/" + set.Name + "(" + row.ID + ")"
}

func (s *dvService) upsert(r *wreq, set *dvSet, at fake.Addr, opts options, pref prefer) *wresp {
	b, e := s.writeBody(r, set)
	if e != nil {
		return errResp(plan.DV, e)
	}
	opt := fake.UpsertOptions{IfMatch: r.header.Get("If-Match"), IfNoneMatch: r.header.Get("If-None-Match")}
	if opt.IfNoneMatch == "null" {
		opt.IfNoneMatch = ""
	}
	var row fake.Row
	var created bool
	err := s.write(r, func(tx *fake.DVTx) error {
		var err error
		row, created, err = tx.Upsert(set.Name, at, b.Values, opt)
		return err
	})
	if err != nil {
		return errResp(plan.DV, err)
	}
	return s.written(r, set, row, created, opts, pref)
}

// written answers a successful write: 204 with OData-EntityId, or with
// return=representation 201 (created) or 200 (updated) with the record
// and its ETag.
func (s *dvService) written(r *wreq, set *dvSet, row fake.Row, created bool, opts options, pref prefer) *wresp {
	var resp *wresp
	if pref.returnRepresentation {
		sel, e := s.selection(set, opts.selects)
		if e != nil {
			sel = nil
		}
		status := 200
		if created {
			status = 201
		}
		o := object{}
		o.str("@odata.context", r.base+"/$metadata#"+set.Name+s.selectSuffix(opts.selects)+"/$entity")
		resp = jsonResp(status, s.record(&o, set, row, sel))
		resp.header.Set("ETag", row.ETag)
		resp.header.Set("Preference-Applied", "return=representation")
	} else {
		resp = newResp(204)
	}
	resp.header.Set("OData-EntityId", s.entityID(r, set, row))
	return resp
}

func (s *dvService) create(r *wreq, set *dvSet, opts options, pref prefer) *wresp {
	b, e := s.writeBody(r, set)
	if e != nil {
		return errResp(plan.DV, e)
	}
	var row fake.Row
	err := s.write(r, func(tx *fake.DVTx) error {
		var err error
		row, err = tx.Create(set.Name, b.Values)
		return err
	})
	if err != nil {
		return errResp(plan.DV, err)
	}
	return s.written(r, set, row, true, opts, pref)
}

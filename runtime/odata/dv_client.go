package odata

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// The Dataverse company table: the company lookup of an alternate key
// holds a cdm_company id, and the runtime names companies by code.
const (
	companySet  = "cdm_companies"
	companyID   = "cdm_companyid"
	companyCode = "cdm_companycode"
)

// DV is the dsruntime.Connector for the Dataverse Web API: see the package
// documentation for the protocol.
type DV struct {
	c    *client
	plan *plan.Plan
	ids  IDCache

	mu    sync.Mutex
	byID  map[string]string // company id → code
	byCod map[string]string // company code → id
}

var _ dsruntime.Connector = (*DV)(nil)

// NewDV returns the Dataverse connector for plan p.
func NewDV(p *plan.Plan, cfg Config) (*DV, error) {
	cfg, root, err := cfg.withDefaults("/api/data/v9.2")
	if err != nil {
		return nil, fmt.Errorf("dv: %w", err)
	}
	cfg.PageSize = min(cfg.PageSize, dvMaxPageSize)
	ids := cfg.IDs
	if ids == nil {
		ids = NewMemoryIDCache()
	}
	return &DV{c: newClient(plan.DV, root, cfg), plan: p, ids: ids,
		byID: map[string]string{}, byCod: map[string]string{}}, nil
}

// Side is Dataverse.
func (c *DV) Side() plan.Side { return plan.DV }

// isDVLookup reports whether f is written with @odata.bind and read as
// _<name>_value on Dataverse.
func isDVLookup(f *plan.Field) bool { return f.Lookup != nil && f.DVType == plan.Lookup }

// lookupProp is the property a lookup column is read from.
func lookupProp(name string) string { return "_" + name + "_value" }

// dvKeySelect lists the primary id and the key columns of map m.
func dvKeySelect(m *plan.Map) []string {
	names := []string{m.DV.PrimaryID}
	for _, k := range m.Key {
		if k.Company {
			names = append(names, lookupProp(k.DV))
		} else {
			names = append(names, k.DV)
		}
	}
	return names
}

// dvSelect is the $select list of map m: id, key columns, mapped columns
// (lookups as _<name>_value) and the modified-time column.
func dvSelect(m *plan.Map) string {
	seen := map[string]bool{}
	var names []string
	add := func(n string) {
		if n != "" && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	for _, n := range dvKeySelect(m) {
		add(n)
	}
	for i := range m.Fields {
		f := &m.Fields[i]
		if f.DV == "" {
			continue
		}
		if isDVLookup(f) {
			add(lookupProp(f.DV))
		} else {
			add(f.DV)
		}
	}
	add(m.DV.ModifiedField)
	return strings.Join(names, ",")
}

// companyIDOf returns the id of the company with code; "" when Dataverse
// has no such company. Answers are cached.
func (c *DV) companyIDOf(ctx context.Context, code string) (string, error) {
	c.mu.Lock()
	id, ok := c.byCod[code]
	c.mu.Unlock()
	if ok {
		return id, nil
	}
	q := query{{"$filter", companyCode + " eq " + quoteString(code)}, {"$select", companyID + "," + companyCode}}
	resp, err := c.c.get(ctx, c.c.resolve(companySet)+"?"+q.encode(), nil)
	if err != nil {
		return "", fmt.Errorf("company %s: %w", code, err)
	}
	pg, err := parsePage(resp.body)
	if err != nil {
		return "", fmt.Errorf("company %s: %w", code, err)
	}
	if len(pg.rows) == 0 {
		return "", nil
	}
	r, err := decodeRow(pg.rows[0])
	if err != nil {
		return "", fmt.Errorf("company %s: %w", code, err)
	}
	id, ok = r.str(companyID)
	if !ok || !isGUID(id) {
		return "", fmt.Errorf("company %s: answer has no %s GUID", code, companyID)
	}
	c.remember(strings.ToLower(id), code)
	return strings.ToLower(id), nil
}

// companyCodeOf returns the code of the company with id. A company that
// does not exist fails with a *fieldError.
func (c *DV) companyCodeOf(ctx context.Context, id string) (string, error) {
	id = strings.ToLower(id)
	c.mu.Lock()
	code, ok := c.byID[id]
	c.mu.Unlock()
	if ok {
		return code, nil
	}
	u := c.c.resolve(companySet+"("+id+")") + "?" + query{{"$select", companyID + "," + companyCode}}.encode()
	resp, err := c.c.get(ctx, u, nil)
	if isNotFound(err) {
		return "", &fieldError{companyCode, fmt.Errorf("no company with id %s", id)}
	}
	if err != nil {
		return "", fmt.Errorf("company %s: %w", id, err)
	}
	r, err := decodeRow(resp.body)
	if err != nil {
		return "", fmt.Errorf("company %s: %w", id, err)
	}
	code, ok = r.str(companyCode)
	if !ok || code == "" {
		return "", fmt.Errorf("company %s: answer has no %s", id, companyCode)
	}
	c.remember(id, code)
	return code, nil
}

func (c *DV) remember(id, code string) {
	c.mu.Lock()
	c.byID[id], c.byCod[code] = code, id
	c.mu.Unlock()
}

// rowKey returns the key text of a row of map m and records its id. A
// problem with the row is a *fieldError; other errors are failed requests.
func (c *DV) rowKey(ctx context.Context, m *plan.Map, r row) (key, id string, err error) {
	id, ok := r.str(m.DV.PrimaryID)
	if !ok || !isGUID(id) {
		return "", "", &fieldError{m.DV.PrimaryID, errors.New("primary id missing or not a GUID")}
	}
	id = strings.ToLower(id)
	parts := make([]string, len(m.Key))
	for i, kf := range m.Key {
		if kf.Company {
			prop := lookupProp(kf.DV)
			v, _ := r.str(prop)
			if !isGUID(v) {
				return "", id, &fieldError{prop, errors.New("company id missing or not a GUID")}
			}
			code, err := c.companyCodeOf(ctx, v)
			if err != nil {
				return "", id, err
			}
			parts[i] = code
			continue
		}
		v, ok := r[kf.DV]
		if !ok {
			return "", id, &fieldError{kf.DV, errors.New("key column missing")}
		}
		s, err := keyText(kf.Type, v)
		if err != nil {
			return "", id, &fieldError{kf.DV, fmt.Errorf("key column %w", err)}
		}
		parts[i] = s
	}
	key = engine.JoinKey(parts...)
	c.ids.Put(m.DV.EntitySet, id, key)
	return key, id, nil
}

// observe reads one row of map m. Lookups are turned from ids into the
// referenced records' keys when resolve is set (else left out). The
// *Rejected is for a bad row; the error for a failed request.
func (c *DV) observe(ctx context.Context, m *plan.Map, raw []byte, resolve bool) (engine.Observed, *Rejected, error) {
	rej := func(key string, err error) (engine.Observed, *Rejected, error) {
		field := ""
		var fe *fieldError
		if errors.As(err, &fe) {
			field = fe.field
		}
		r := reject(plan.DV, m, raw, key, field, err)
		return engine.Observed{}, &r, nil
	}
	r, err := decodeRow(raw)
	if err != nil {
		return rej("", err)
	}
	key, _, err := c.rowKey(ctx, m, r)
	if err != nil {
		var fe *fieldError
		if errors.As(err, &fe) {
			return rej("", err)
		}
		return engine.Observed{}, nil, err
	}
	o := engine.Observed{Side: plan.DV, Map: m.Name, Key: key, Version: r.etag()}
	if mf := m.DV.ModifiedField; mf != "" {
		if v, ok := r[mf]; ok {
			t, err := readValue(plan.DateTime, v, false)
			if err != nil {
				return rej(key, &fieldError{mf, err})
			}
			o.Modified, _ = t.AsTime()
		}
	}
	o.Values = make(map[string]engine.Value, len(m.Fields))
	for i := range m.Fields {
		f := &m.Fields[i]
		if f.DV == "" {
			continue
		}
		if isDVLookup(f) {
			v, ok := r[lookupProp(f.DV)]
			if !ok || !resolve {
				continue
			}
			val, err := c.lookupValue(ctx, f, v)
			if err != nil {
				var fe *fieldError
				if errors.As(err, &fe) {
					return rej(key, err)
				}
				return engine.Observed{}, nil, err
			}
			o.Values[f.DV] = val
			continue
		}
		v, ok := r[f.DV]
		if !ok {
			continue
		}
		val, err := readValue(f.DVType, v, false)
		if err != nil {
			return rej(key, &fieldError{f.DV, err})
		}
		if s, isStr := val.AsString(); isStr && s == "" && !isKeyField(m, plan.DV, f.DV) {
			val = engine.Null() // Dataverse stores empty text as null
		}
		o.Values[f.DV] = val
	}
	return o, nil, nil
}

// lookupValue turns a lookup column's id into the referenced record's key:
// from the id cache, else by reading the record's key columns by id. A
// dangling id reads as null.
func (c *DV) lookupValue(ctx context.Context, f *plan.Field, v any) (engine.Value, error) {
	if v == nil {
		return engine.Null(), nil
	}
	id, ok := v.(string)
	if !ok || !isGUID(id) {
		return engine.Value{}, &fieldError{lookupProp(f.DV), fmt.Errorf("want a GUID, got %s", jsonKind(v))}
	}
	ref := c.plan.MapByName(f.Lookup.Map)
	if ref == nil {
		return engine.Value{}, &fieldError{f.DV, fmt.Errorf("lookup to unknown map %q", f.Lookup.Map)}
	}
	set := f.Lookup.DVSet
	if set == "" {
		set = ref.DV.EntitySet
	}
	id = strings.ToLower(id)
	if k, ok := c.ids.Key(set, id); ok {
		return engine.String(k), nil
	}
	u := c.c.resolve(set+"("+id+")") + "?" + query{{"$select", strings.Join(dvKeySelect(ref), ",")}}.encode()
	resp, err := c.c.get(ctx, u, nil)
	if isNotFound(err) {
		return engine.Null(), nil
	}
	if err != nil {
		return engine.Value{}, fmt.Errorf("lookup %s: %w", f.DV, err)
	}
	r, err := decodeRow(resp.body)
	if err != nil {
		return engine.Value{}, &fieldError{f.DV, fmt.Errorf("referenced record %s: %w", id, err)}
	}
	k, _, err := c.rowKey(ctx, ref, r)
	if err != nil {
		return engine.Value{}, fmt.Errorf("lookup %s: referenced record %s: %w", f.DV, id, err)
	}
	return engine.String(k), nil
}

// address is where a record of map m with key text lives on Dataverse.
type address struct {
	// path is "<set>(<key or id>)", percent-encoded; "" when the record
	// cannot be addressed by key and its id is unknown.
	path string
	// byID marks a path with the primary id.
	byID bool
	// companyID is the id of the key's company ("" when the map is not
	// company-specific).
	companyID string
	// noCompany reports that the key's company does not exist on
	// Dataverse (so neither does the record).
	noCompany bool
	// filter selects the record when path is "".
	filter string
}

// addr resolves the address of key under map m. Keys Dataverse cannot
// address (reserved characters) use the id from the cache, else a filter.
func (c *DV) addr(ctx context.Context, m *plan.Map, key string) (address, error) {
	var a address
	if companyKeyed(m) {
		id, err := c.companyIDOf(ctx, companyOf(m, key))
		if err != nil {
			return a, err
		}
		if id == "" {
			a.noCompany = true
			return a, nil
		}
		a.companyID = id
	}
	set := m.DV.EntitySet
	parts, err := dvKeyParts(m, key, a.companyID)
	if err == nil {
		a.path = set + formatKey(parts)
		return a, nil
	}
	if !errors.Is(err, errNotAddressable) {
		return a, err
	}
	if id, ok := c.ids.ID(set, key); ok {
		a.path, a.byID = set+"("+id+")", true
		return a, nil
	}
	a.filter, err = dvKeyFilter(m, key, a.companyID)
	return a, err
}

// findByFilter reads the record a filter selects; found is false when
// there is none.
func (c *DV) findByFilter(ctx context.Context, m *plan.Map, filter string) (raw []byte, found bool, err error) {
	q := query{{"$filter", filter}, {"$select", dvSelect(m)}, {"$top", "2"}}
	resp, err := c.c.get(ctx, c.c.resolve(m.DV.EntitySet)+"?"+q.encode(), nil)
	if err != nil {
		return nil, false, err
	}
	pg, err := parsePage(resp.body)
	if err != nil {
		return nil, false, err
	}
	switch len(pg.rows) {
	case 0:
		return nil, false, nil
	case 1:
		return pg.rows[0], true, nil
	}
	return nil, false, fmt.Errorf("%s: more than one record matches %s", m.DV.EntitySet, filter)
}

// Read returns the current row of m with key: by alternate key, or by a
// $filter query when the key values cannot be put in a URL.
func (c *DV) Read(ctx context.Context, m *plan.Map, key string) (engine.Observed, error) {
	gone := engine.Observed{Side: plan.DV, Map: m.Name, Key: key, Deleted: true}
	a, err := c.addr(ctx, m, key)
	if err != nil {
		return engine.Observed{}, err
	}
	if a.noCompany {
		return gone, nil
	}
	var raw []byte
	if a.path == "" {
		var found bool
		raw, found, err = c.findByFilter(ctx, m, a.filter)
		if err != nil {
			return engine.Observed{}, err
		}
		if !found {
			return gone, nil
		}
	} else {
		resp, err := c.c.get(ctx, c.c.resolve(a.path)+"?"+query{{"$select", dvSelect(m)}}.encode(), nil)
		if isNotFound(err) {
			return gone, nil
		}
		if err != nil {
			return engine.Observed{}, err
		}
		raw = resp.body
	}
	o, rej, err := c.observe(ctx, m, raw, true)
	if err != nil {
		return engine.Observed{}, err
	}
	if rej != nil {
		return engine.Observed{}, &RowError{*rej}
	}
	if o.Key != key {
		// Dataverse matches keys without regard to case: answer under the
		// key asked for.
		c.c.log.Debug("read answered under another key", "map", m.Name, "asked", key, "got", o.Key)
		o.Key = key
	}
	return o, nil
}

// notFound is the failure of a write to a record that is not there.
func notFound(key string) *dsruntime.ServiceError {
	return &dsruntime.ServiceError{Side: plan.DV, Status: http.StatusNotFound, Code: dsruntime.CodeRecordNotFound,
		Message: fmt.Sprintf("no record with key %q", key)}
}

// exists is the failure of a create of a record that is there.
func exists(key string) *dsruntime.ServiceError {
	return &dsruntime.ServiceError{Side: plan.DV, Status: http.StatusPreconditionFailed, Code: dsruntime.CodeRecordExists,
		Message: fmt.Sprintf("a record with key %q already exists", key)}
}

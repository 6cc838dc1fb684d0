package fake

import (
	"context"
	"errors"
	"fmt"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// DVConnector is the dsruntime.Connector of a DV.
//
// Its cursor is the table's delta token: "" starts a change-tracking read
// of every current row, and each answer's token (the @odata.deltaLink, or
// the @odata.nextLink while a read is cut into pages) continues it. Only a
// page's last row carries the token as its Token. An expired token fails
// with an error wrapping dsruntime.ErrCursorExpired.
//
// Dataverse names lookups and deleted rows by GUID. The adapter keeps a map
// from GUIDs to record keys, filled from every row it sees (referenced
// maps are polled in earlier stages, so their rows are usually known), and
// reads a referenced record by id when it misses. A deleted row it never
// saw is named through DV.DeletedKey, a simulator extension (see there).
// Company GUIDs and codes are cached likewise.
type DVConnector struct {
	s    *DV
	plan *plan.Plan
	cfg  ConnectorConfig

	ids       map[string]map[string]string // entity set to GUID to key text
	companies map[string]string            // code to GUID
	codes     map[string]string            // GUID to code
}

// NewDVConnector returns the adapter for s.
func NewDVConnector(s *DV, p *plan.Plan, cfg ConnectorConfig) *DVConnector {
	cfg.defaults()
	return &DVConnector{s: s, plan: p, cfg: cfg, ids: map[string]map[string]string{},
		companies: map[string]string{}, codes: map[string]string{}}
}

// Side is Dataverse.
func (c *DVConnector) Side() plan.Side { return plan.DV }

// Changes returns rows of m's table changed since the delta token cursor.
func (c *DVConnector) Changes(ctx context.Context, m *plan.Map, cursor string, limit int) (dsruntime.Page, error) {
	if err := ctx.Err(); err != nil {
		return dsruntime.Page{}, err
	}
	set := m.DV.EntitySet
	dp, err := c.s.API().Changes(set, cursor, limit)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Code == CodeDeltaTokenExpired {
			return dsruntime.Page{}, fmt.Errorf("%w: %v", dsruntime.ErrCursorExpired, err)
		}
		return dsruntime.Page{}, err
	}
	page := dsruntime.Page{Next: dp.Token, More: dp.More}
	for _, r := range dp.Rows {
		if r.Deleted {
			key, ok := c.ids[set][r.ID]
			if !ok {
				key, ok = c.s.DeletedKey(set, r.ID)
			}
			if !ok {
				continue // never synced and unknown: nothing to delete
			}
			page.Rows = append(page.Rows, engine.Observed{Side: plan.DV, Map: m.Name, Key: key, Deleted: true})
			continue
		}
		o, err := c.observe(m, r)
		if err != nil {
			return dsruntime.Page{}, err
		}
		page.Rows = append(page.Rows, o)
	}
	if n := len(page.Rows); n > 0 {
		page.Rows[n-1].Token = page.Next
	}
	return page, nil
}

// Read returns the current row of m with key.
func (c *DVConnector) Read(ctx context.Context, m *plan.Map, key string) (engine.Observed, error) {
	if err := ctx.Err(); err != nil {
		return engine.Observed{}, err
	}
	at, err := c.addr(m, key)
	if err != nil {
		return engine.Observed{}, err
	}
	gone := engine.Observed{Side: plan.DV, Map: m.Name, Key: key, Deleted: true}
	if at.Key == nil {
		return gone, nil // its company does not exist: neither does it
	}
	r, err := c.s.API().Get(m.DV.EntitySet, at)
	if IsNotFound(err) {
		return gone, nil
	}
	if err != nil {
		return engine.Observed{}, err
	}
	return c.observe(m, r)
}

// observe turns a row into an observation of map m, naming lookups by key.
func (c *DVConnector) observe(m *plan.Map, r Row) (engine.Observed, error) {
	key, err := c.keyOf(m, r)
	if err != nil {
		return engine.Observed{}, err
	}
	o := engine.Observed{Side: plan.DV, Map: m.Name, Key: key, Version: r.ETag, Modified: r.Modified}
	o.Values = make(map[string]engine.Value, len(m.Fields))
	for i := range m.Fields {
		f := &m.Fields[i]
		v, ok := r.Values[f.DV]
		if !ok {
			continue
		}
		if f.Lookup != nil && f.DVType == plan.Lookup && !v.IsNull() {
			ref := c.plan.MapByName(f.Lookup.Map)
			if ref == nil {
				continue
			}
			k, err := c.keyOfID(ref, f.Lookup.DVSet, text(v))
			if err != nil {
				return engine.Observed{}, err
			}
			v = engine.Null()
			if k != "" {
				v = engine.String(k)
			}
		}
		o.Values[f.DV] = v
	}
	return o, nil
}

// keyOf returns a row's key text under map m and remembers its GUID.
func (c *DVConnector) keyOf(m *plan.Map, r Row) (string, error) {
	parts := make([]string, len(m.Key))
	for i, k := range m.Key {
		v := r.Values[k.DV]
		if k.Company {
			code, err := c.code(text(v))
			if err != nil {
				return "", err
			}
			parts[i] = code
			continue
		}
		parts[i] = text(v)
	}
	key := engine.JoinKey(parts...)
	c.remember(m.DV.EntitySet, r.ID, key)
	return key, nil
}

func (c *DVConnector) remember(set, id, key string) {
	if id == "" {
		return
	}
	if c.ids[set] == nil {
		c.ids[set] = map[string]string{}
	}
	c.ids[set][id] = key
}

// keyOfID returns the key text of the record with GUID id in the referenced
// map's table, "" when it does not exist.
func (c *DVConnector) keyOfID(ref *plan.Map, set, id string) (string, error) {
	if k, ok := c.ids[set][id]; ok {
		return k, nil
	}
	r, err := c.s.API().Get(set, Addr{ID: id})
	if IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return c.keyOf(ref, r)
}

// code returns the company code of a company GUID.
func (c *DVConnector) code(id string) (string, error) {
	if code, ok := c.codes[id]; ok {
		return code, nil
	}
	code, err := c.s.API().CompanyCode(id)
	if err != nil {
		return "", err
	}
	c.codes[id], c.companies[code] = code, id
	return code, nil
}

// companyID returns the GUID of a company code; "" when it does not exist.
func (c *DVConnector) companyID(code string) (string, error) {
	if id, ok := c.companies[code]; ok {
		return id, nil
	}
	id, err := c.s.API().Company(code)
	if IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	c.codes[id], c.companies[code] = code, id
	return id, nil
}

// addr turns key text of map m into an alternate-key address; its Key is
// nil when the company does not exist.
func (c *DVConnector) addr(m *plan.Map, key string) (Addr, error) {
	parts := engine.SplitKey(key)
	if len(parts) != len(m.Key) {
		return Addr{}, fmt.Errorf("key %q of map %s has %d parts, want %d", key, m.Name, len(parts), len(m.Key))
	}
	k := Key{}
	for i, kf := range m.Key {
		if kf.Company {
			id, err := c.companyID(parts[i])
			if err != nil {
				return Addr{}, err
			}
			if id == "" {
				return Addr{}, nil
			}
			k[kf.DV] = engine.String(id)
			continue
		}
		v, err := keyValue(kf.Type, parts[i])
		if err != nil {
			return Addr{}, fmt.Errorf("key %q of map %s: %s: %w", key, m.Name, kf.DV, err)
		}
		if !Addressable(v) {
			return Addr{}, &addrError{key: key, field: kf.DV}
		}
		k[kf.DV] = v
	}
	return Addr{Key: k}, nil
}

// addrError is a key value Dataverse cannot address a record by.
type addrError struct{ key, field string }

func (e *addrError) Error() string {
	return fmt.Sprintf("key %q: the value of %s contains one of %s, which Dataverse cannot address a record by", e.key, e.field, reservedKeyChars)
}

// bindPath is the @odata.bind path of the record of map ref with key text.
func (c *DVConnector) bindPath(ref *plan.Map, set, key string) (string, error) {
	at, err := c.addr(ref, key)
	if err != nil {
		return "", err
	}
	if at.Key == nil {
		return "", fmt.Errorf("lookup %q: its company does not exist on Dataverse", key)
	}
	parts := make([]KeyPart, len(ref.Key))
	for i, kf := range ref.Key {
		parts[i] = KeyPart{Field: kf.DV, Value: at.Key[kf.DV], Lookup: kf.Company}
	}
	return "/" + set + "(" + FormatKey(parts) + ")", nil
}

// Apply sends the writes as one batch.
func (c *DVConnector) Apply(ctx context.Context, m *plan.Map, ws []engine.Write) []dsruntime.Result {
	if ctx.Err() != nil {
		return ctxFailAll(ctx, plan.DV, ws)
	}
	set := m.DV.EntitySet
	results := make([]dsruntime.Result, len(ws))
	var ops []DVOp
	var at []int
	for i, w := range ws {
		addr, err := c.addr(m, w.Key)
		if err != nil {
			var ae *addrError
			if errors.As(err, &ae) {
				results[i] = refused(w.ID, ae.field, "%v", err)
			} else {
				results[i] = failure(w.ID, plan.DV, err)
			}
			continue
		}
		if addr.Key == nil {
			results[i] = refused(w.ID, "", "key %q: its company does not exist on Dataverse", w.Key)
			continue
		}
		op := DVOp{Set: set, At: addr}
		switch w.Op {
		case engine.OpDelete:
			op.Method = "DELETE"
			op.Opt.IfMatch = w.ExpectedVersion
		case engine.OpUpsert:
			op.Method = "PATCH"
			op.Body = make(map[string]engine.Value, len(w.Values))
			bad := false
			for _, fv := range w.Values {
				f := fieldOf(m, plan.DV, fv.Field)
				if f == nil || f.Lookup == nil || f.DVType != plan.Lookup {
					op.Body[fv.Field] = fv.Value
					continue
				}
				if fv.Value.IsNull() {
					op.Body[fv.Field+"@odata.bind"] = fv.Value
					continue
				}
				ref := c.plan.MapByName(f.Lookup.Map)
				if ref == nil {
					results[i] = refused(w.ID, fv.Field, "lookup %s: no map %q", fv.Field, f.Lookup.Map)
					bad = true
					break
				}
				path, err := c.bindPath(ref, f.Lookup.DVSet, text(fv.Value))
				if err != nil {
					if isServiceError(err) {
						results[i] = failure(w.ID, plan.DV, err)
					} else {
						results[i] = refused(w.ID, fv.Field, "lookup %s: %v", fv.Field, err)
					}
					bad = true
					break
				}
				op.Body[fv.Field+"@odata.bind"] = engine.String(path)
			}
			if bad {
				continue
			}
			switch {
			case w.Create:
				op.Opt.IfNoneMatch = "*"
			case w.ExpectedVersion != "":
				op.Opt.IfMatch = w.ExpectedVersion
			default:
				op.Opt.IfMatch = "*"
			}
		default:
			results[i] = refused(w.ID, "", "unknown operation %q", w.Op)
			continue
		}
		ops = append(ops, op)
		at = append(at, i)
	}
	if len(ops) == 0 {
		return results
	}
	answers, err := c.s.API().Batch(ops)
	if err != nil {
		for _, i := range at {
			results[i] = failure(ws[i].ID, plan.DV, err)
		}
		return results
	}
	for j, a := range answers {
		i := at[j]
		w := ws[i]
		if a.Err != nil {
			results[i] = failure(w.ID, plan.DV, a.Err)
			continue
		}
		ack := engine.WriteAcked{WriteID: w.ID, NewVersion: a.Row.ETag, Modified: a.Row.Modified}
		if w.Op == engine.OpUpsert {
			c.remember(set, a.Row.ID, w.Key)
			if !c.cfg.NoStored {
				ack.Stored = c.stored(m, w, a.Row)
			}
		}
		results[i] = dsruntime.Ack(ack)
	}
	return results
}

func isServiceError(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// stored returns the written fields as the service stored them; lookups
// keep the key that was written.
func (c *DVConnector) stored(m *plan.Map, w engine.Write, r Row) map[string]engine.Value {
	out := make(map[string]engine.Value, len(w.Values))
	for _, fv := range w.Values {
		if f := fieldOf(m, plan.DV, fv.Field); f != nil && f.Lookup != nil && f.DVType == plan.Lookup {
			out[fv.Field] = fv.Value
			continue
		}
		if v, ok := r.Values[fv.Field]; ok {
			out[fv.Field] = v
		}
	}
	return out
}

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

// FO is the dsruntime.Connector for F&O OData: see the package
// documentation for the protocol.
type FO struct {
	c    *client
	plan *plan.Plan

	mu  sync.Mutex
	win map[string]*foWindow // rows seen inside the overlap window, by map
}

var _ dsruntime.Connector = (*FO)(nil)

// NewFO returns the F&O connector for plan p.
func NewFO(p *plan.Plan, cfg Config) (*FO, error) {
	cfg, root, err := cfg.withDefaults("/data")
	if err != nil {
		return nil, fmt.Errorf("fo: %w", err)
	}
	cfg.PageSize = min(cfg.PageSize, foMaxPageSize)
	return &FO{c: newClient(plan.FO, root, cfg), plan: p, win: map[string]*foWindow{}}, nil
}

// Side is F&O.
func (c *FO) Side() plan.Side { return plan.FO }

// foSelect is the $select list of map m: key fields, mapped fields and the
// modified-time field.
func foSelect(m *plan.Map) string {
	seen := map[string]bool{}
	var names []string
	add := func(n string) {
		if n != "" && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	for _, k := range m.Key {
		add(k.FO)
	}
	for _, f := range m.Fields {
		add(f.FO)
	}
	add(m.FO.ModifiedField)
	return strings.Join(names, ",")
}

// recordURL is the URL of the record with key text under map m.
func (c *FO) recordURL(m *plan.Map, key string, q query) (string, error) {
	seg, err := foKey(m, key)
	if err != nil {
		return "", err
	}
	u := c.c.resolve(m.FO.EntitySet + seg)
	if len(q) > 0 {
		u += "?" + q.encode()
	}
	return u, nil
}

// Read returns the current row of m with key.
func (c *FO) Read(ctx context.Context, m *plan.Map, key string) (engine.Observed, error) {
	u, err := c.recordURL(m, key, query{{"cross-company", "true"}, {"$select", foSelect(m)}})
	if err != nil {
		return engine.Observed{}, err
	}
	resp, err := c.c.get(ctx, u, nil)
	if isNotFound(err) {
		return engine.Observed{Side: plan.FO, Map: m.Name, Key: key, Deleted: true}, nil
	}
	if err != nil {
		return engine.Observed{}, err
	}
	o, rej := c.observe(m, resp.body)
	if rej != nil {
		return engine.Observed{}, &RowError{*rej}
	}
	return o, nil
}

func isNotFound(err error) bool {
	var se *dsruntime.ServiceError
	return errors.As(err, &se) && se.Status == http.StatusNotFound
}

// observe reads one F&O row of map m. F&O strings are never null: an empty
// text field that is not a key reads as null, the way Dataverse stores it.
// Lookups (plain business-key fields on F&O) read as the referenced
// record's key: the row's company joined with the value.
func (c *FO) observe(m *plan.Map, raw []byte) (engine.Observed, *Rejected) {
	r, err := decodeRow(raw)
	if err != nil {
		rej := reject(plan.FO, m, raw, "", "", err)
		return engine.Observed{}, &rej
	}
	parts := make([]string, len(m.Key))
	company := ""
	for i, kf := range m.Key {
		v, ok := r[kf.FO]
		if !ok {
			rej := reject(plan.FO, m, raw, "", kf.FO, errors.New("key field missing"))
			return engine.Observed{}, &rej
		}
		s, err := keyText(kf.Type, v)
		if err != nil {
			rej := reject(plan.FO, m, raw, "", kf.FO, fmt.Errorf("key field %w", err))
			return engine.Observed{}, &rej
		}
		parts[i] = s
		if kf.Company {
			company = s
		}
	}
	o := engine.Observed{Side: plan.FO, Map: m.Name, Key: engine.JoinKey(parts...), Version: r.etag()}
	if mf := m.FO.ModifiedField; mf != "" {
		if v, ok := r[mf]; ok {
			t, err := readValue(plan.DateTime, v, false)
			if err != nil {
				rej := reject(plan.FO, m, raw, o.Key, mf, err)
				return engine.Observed{}, &rej
			}
			o.Modified, _ = t.AsTime()
		}
	}
	o.Values = make(map[string]engine.Value, len(m.Fields))
	for i := range m.Fields {
		f := &m.Fields[i]
		v, ok := r[f.FO]
		if f.FO == "" || !ok {
			continue
		}
		var val engine.Value
		if f.Lookup != nil {
			s, isStr := v.(string)
			if v != nil && !isStr {
				rej := reject(plan.FO, m, raw, o.Key, f.FO, fmt.Errorf("want a string lookup value, got %s", jsonKind(v)))
				return engine.Observed{}, &rej
			}
			val = c.refKey(f.Lookup.Map, company, s)
		} else {
			val, err = readValue(f.FOType, v, true)
			if err != nil {
				rej := reject(plan.FO, m, raw, o.Key, f.FO, err)
				return engine.Observed{}, &rej
			}
			if s, isStr := val.AsString(); isStr && s == "" && !isKeyField(m, plan.FO, f.FO) {
				val = engine.Null()
			}
		}
		o.Values[f.FO] = val
	}
	return o, nil
}

// refKey turns an F&O lookup value (the referenced record's business key,
// in the row's company) into the referenced record's key text.
func (c *FO) refKey(mapName, company, raw string) engine.Value {
	if raw == "" {
		return engine.Null()
	}
	ref := c.plan.MapByName(mapName)
	if ref == nil || businessKey(ref) == nil {
		return engine.String(raw)
	}
	if companyKeyed(ref) {
		return engine.String(engine.JoinKey(company, raw))
	}
	return engine.String(engine.JoinKey(raw))
}

// refRaw is the reverse of refKey for a write in company.
func (c *FO) refRaw(mapName, company string, v engine.Value) (string, error) {
	if v.IsNull() {
		return "", nil
	}
	text := valueText(v)
	ref := c.plan.MapByName(mapName)
	if ref == nil || businessKey(ref) == nil {
		return text, nil
	}
	parts := engine.SplitKey(text)
	if companyKeyed(ref) {
		if len(parts) != 2 {
			return "", fmt.Errorf("lookup value %q is not a key of %s", text, mapName)
		}
		if parts[0] != company {
			return "", fmt.Errorf("lookup value %q names company %s, the record is in %s", text, parts[0], company)
		}
		return parts[1], nil
	}
	if len(parts) != 1 {
		return "", fmt.Errorf("lookup value %q is not a key of %s", text, mapName)
	}
	return parts[0], nil
}

// fieldOf returns the field of map m named name on side s, or nil.
func fieldOf(m *plan.Map, s plan.Side, name string) *plan.Field {
	for i := range m.Fields {
		f := &m.Fields[i]
		if (s == plan.FO && f.FO == name) || (s == plan.DV && f.DV == name) {
			return f
		}
	}
	return nil
}

func isKeyField(m *plan.Map, s plan.Side, name string) bool {
	for _, k := range m.Key {
		if (s == plan.FO && k.FO == name) || (s == plan.DV && k.DV == name) {
			return true
		}
	}
	return false
}

// writeAny is the JSON form of a value written to a field the plan does not
// type (a constant): by the value's kind.
func writeAny(v engine.Value) any {
	switch v.Kind() {
	case engine.KindString:
		s, _ := v.AsString()
		return s
	case engine.KindInt:
		x, _ := writeValue(plan.Int, v)
		return x
	case engine.KindDecimal:
		x, _ := writeValue(plan.Decimal, v)
		return x
	case engine.KindBool:
		b, _ := v.AsBool()
		return b
	case engine.KindTime:
		x, _ := writeValue(plan.DateTime, v)
		return x
	}
	return nil
}

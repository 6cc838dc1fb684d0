package odata

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// dvOp is one prepared Dataverse write.
type dvOp struct {
	at  int
	w   engine.Write
	req batchReq
	// target is the write as an UpsertMultiple target, nil when it cannot
	// be one (deletes, records addressed by id or created by POST).
	target map[string]any
}

// Apply sends the writes in $batch requests of Config.BatchSize, one
// change set per write, several requests at once up to the concurrency
// bound. An upsert is a PATCH of the record by alternate key with
// If-None-Match: * (create) or If-Match: <version> (update; * when the
// version is unknown) and Prefer: return=representation; a delete is a
// DELETE with If-Match. With Config.UpsertMultiple the upserts go in
// UpsertMultiple requests instead.
func (c *DV) Apply(ctx context.Context, m *plan.Map, ws []engine.Write) []dsruntime.Result {
	results := make([]dsruntime.Result, len(ws))
	var batch, bulk []dvOp
	for i, w := range ws {
		op, err := c.prepare(ctx, m, w)
		if err != nil {
			results[i] = writeFailure(w.ID, err)
			continue
		}
		op.at = i
		if c.c.cfg.UpsertMultiple && op.target != nil {
			bulk = append(bulk, op)
		} else {
			batch = append(batch, op)
		}
	}
	n := c.c.cfg.BatchSize
	var wg sync.WaitGroup
	for start := 0; start < len(batch); start += n {
		chunk := batch[start:min(start+n, len(batch))]
		wg.Go(func() { c.applyBatch(ctx, m, chunk, results) })
	}
	for start := 0; start < len(bulk); start += n {
		chunk := bulk[start:min(start+n, len(bulk))]
		wg.Go(func() { c.applyBulk(ctx, m, chunk, results) })
	}
	wg.Wait()
	return results
}

// writeFailure is the result of a write that failed before it was sent:
// a failed request (company or lookup resolution) is classified, anything
// else is a value the service cannot take.
func writeFailure(id string, err error) dsruntime.Result {
	var se *dsruntime.ServiceError
	if errors.As(err, &se) {
		return failed(id, plan.DV, err)
	}
	return refused(id, err)
}

// prepare builds the request of one write.
func (c *DV) prepare(ctx context.Context, m *plan.Map, w engine.Write) (dvOp, error) {
	if w.Op != engine.OpUpsert && w.Op != engine.OpDelete {
		return dvOp{}, fmt.Errorf("unknown operation %q", w.Op)
	}
	a, err := c.addr(ctx, m, w.Key)
	if err != nil {
		return dvOp{}, err
	}
	if a.noCompany {
		return dvOp{}, fmt.Errorf("key %q: company %q does not exist on Dataverse (no %s with that %s)",
			w.Key, companyOf(m, w.Key), companySet, companyCode)
	}
	set := m.DV.EntitySet
	if a.path == "" {
		// The key cannot be put in a URL and the id is not known yet.
		raw, found, err := c.findByFilter(ctx, m, a.filter)
		if err != nil {
			return dvOp{}, err
		}
		switch {
		case found && w.Create:
			return dvOp{}, exists(w.Key)
		case found:
			r, err := decodeRow(raw)
			if err != nil {
				return dvOp{}, fmt.Errorf("key %q: %w", w.Key, err)
			}
			id, _ := r.str(m.DV.PrimaryID)
			if !isGUID(id) {
				return dvOp{}, fmt.Errorf("key %q: the record found has no id", w.Key)
			}
			id = strings.ToLower(id)
			c.ids.Put(set, id, w.Key)
			a.path, a.byID = set+"("+id+")", true
		case w.Op == engine.OpDelete || !w.Create:
			return dvOp{}, notFound(w.Key)
		}
	}
	h := http.Header{}
	if w.Op == engine.OpDelete {
		if w.ExpectedVersion != "" {
			h.Set("If-Match", w.ExpectedVersion)
		}
		return dvOp{w: w, req: batchReq{contentID: "1", method: http.MethodDelete, url: c.c.resolve(a.path), header: h}}, nil
	}
	withKeys := w.Create || c.c.cfg.UpsertMultiple
	body, err := c.body(ctx, m, w, a, withKeys)
	if err != nil {
		return dvOp{}, err
	}
	b, err := json.Marshal(body)
	if err != nil {
		return dvOp{}, err
	}
	h.Set("Prefer", "return=representation")
	sel := "?" + query{{"$select", dvSelect(m)}}.encode()
	if a.path == "" {
		// Create, by POST to the collection: the key is in the body.
		return dvOp{w: w, req: batchReq{contentID: "1", method: http.MethodPost, url: c.c.resolve(set) + sel, header: h, body: b}}, nil
	}
	switch {
	case w.Create:
		h.Set("If-None-Match", "*")
	case w.ExpectedVersion != "":
		h.Set("If-Match", w.ExpectedVersion)
	default:
		h.Set("If-Match", "*")
	}
	op := dvOp{w: w, req: batchReq{contentID: "1", method: http.MethodPatch, url: c.c.resolve(a.path) + sel, header: h, body: b}}
	if !a.byID {
		t := make(map[string]any, len(body)+2)
		for k, v := range body {
			t[k] = v
		}
		t["@odata.type"] = "Microsoft.Dynamics.CRM." + m.DV.Table
		t["@odata.id"] = a.path
		op.target = t
	}
	return op, nil
}

// body returns the JSON body of upsert w: values by the plan's Dataverse
// types, lookups as <name>@odata.bind paths, and with withKeys the key
// columns (the company as <name>@odata.bind to its cdm_company).
func (c *DV) body(ctx context.Context, m *plan.Map, w engine.Write, a address, withKeys bool) (map[string]any, error) {
	body := make(map[string]any, len(w.Values)+len(m.Key))
	for _, fv := range w.Values {
		f := fieldOf(m, plan.DV, fv.Field)
		switch {
		case f == nil:
			body[fv.Field] = writeAny(fv.Value)
		case isDVLookup(f):
			if fv.Value.IsNull() {
				body[f.DV+"@odata.bind"] = nil
				continue
			}
			path, err := c.bindPath(ctx, f, valueText(fv.Value))
			if err != nil {
				return nil, err
			}
			body[f.DV+"@odata.bind"] = path
		default:
			v, err := writeValue(f.DVType, fv.Value)
			if err != nil {
				return nil, &fieldError{fv.Field, err}
			}
			body[fv.Field] = v
		}
	}
	if withKeys {
		vals, err := splitKey(m, w.Key)
		if err != nil {
			return nil, err
		}
		for i, kf := range m.Key {
			if kf.Company {
				body[kf.DV+"@odata.bind"] = "/" + companySet + "(" + a.companyID + ")"
			} else {
				body[kf.DV] = keyJSON(kf.Type, vals[i])
			}
		}
	}
	return body, nil
}

// bindPath is the @odata.bind path of the record a lookup names:
// "/<set>(<alternate key>)", or "/<set>(<id>)" when the key cannot be put
// in a URL.
func (c *DV) bindPath(ctx context.Context, f *plan.Field, key string) (string, error) {
	ref := c.plan.MapByName(f.Lookup.Map)
	if ref == nil {
		return "", &fieldError{f.DV, fmt.Errorf("lookup to unknown map %q", f.Lookup.Map)}
	}
	a, err := c.addr(ctx, ref, key)
	if err != nil {
		var se *dsruntime.ServiceError
		if errors.As(err, &se) {
			return "", err
		}
		return "", &fieldError{f.DV, fmt.Errorf("lookup %w", err)}
	}
	if a.noCompany {
		return "", &fieldError{f.DV, fmt.Errorf("lookup %q: its company does not exist on Dataverse", key)}
	}
	if a.path == "" {
		raw, found, err := c.findByFilter(ctx, ref, a.filter)
		if err != nil {
			return "", err
		}
		if !found {
			return "", &fieldError{f.DV, fmt.Errorf("lookup %q: no such %s record on Dataverse", key, ref.DV.Table)}
		}
		r, err := decodeRow(raw)
		if err != nil {
			return "", &fieldError{f.DV, err}
		}
		id, _ := r.str(ref.DV.PrimaryID)
		if !isGUID(id) {
			return "", &fieldError{f.DV, fmt.Errorf("lookup %q: the record found has no id", key)}
		}
		id = strings.ToLower(id)
		c.ids.Put(ref.DV.EntitySet, id, key)
		a.path = ref.DV.EntitySet + "(" + id + ")"
	}
	return "/" + a.path, nil
}

// applyBatch sends ops in one $batch request, one change set each.
func (c *DV) applyBatch(ctx context.Context, m *plan.Map, ops []dvOp, results []dsruntime.Result) {
	sets := make([][]batchReq, len(ops))
	for i, op := range ops {
		sets[i] = []batchReq{op.req}
	}
	answers, err := c.c.batch(ctx, sets)
	for i, op := range ops {
		if err != nil {
			results[op.at] = failed(op.w.ID, plan.DV, err)
			continue
		}
		results[op.at] = c.outcome(ctx, m, op.w, answers[i].resp, answers[i].err)
	}
}

// outcome turns the answer to write w into a result: the new version from
// the ETag, the stored values from the representation (lookups as
// written), and the record's id into the cache.
func (c *DV) outcome(ctx context.Context, m *plan.Map, w engine.Write, resp *response, err error) dsruntime.Result {
	if err != nil {
		return failed(w.ID, plan.DV, err)
	}
	ack := engine.WriteAcked{WriteID: w.ID, NewVersion: resp.header.Get("ETag")}
	if w.Op == engine.OpDelete {
		return dsruntime.Ack(ack)
	}
	if id := guidInRE.FindString(resp.header.Get("OData-EntityId")); id != "" {
		c.ids.Put(m.DV.EntitySet, strings.ToLower(id), w.Key)
	}
	if len(resp.body) == 0 {
		return dsruntime.Ack(ack)
	}
	o, rej, oerr := c.observe(ctx, m, resp.body, false)
	if oerr != nil || rej != nil {
		c.c.log.Warn("write answer unreadable; acknowledged without stored values", "map", m.Name)
		return dsruntime.Ack(ack)
	}
	if o.Version != "" {
		ack.NewVersion = o.Version
	}
	ack.Modified = o.Modified
	ack.Stored = make(map[string]engine.Value, len(w.Values))
	for _, fv := range w.Values {
		if f := fieldOf(m, plan.DV, fv.Field); f != nil && isDVLookup(f) {
			ack.Stored[fv.Field] = fv.Value
			continue
		}
		if v, ok := o.Values[fv.Field]; ok {
			ack.Stored[fv.Field] = v
		}
	}
	return dsruntime.Ack(ack)
}

// applyBulk sends ops in one UpsertMultiple request. Dataverse applies
// such a request as a whole on standard tables, so one failure fails every
// write in it; it answers without representations, so the
// acknowledgements carry no version or stored values.
func (c *DV) applyBulk(ctx context.Context, m *plan.Map, ops []dvOp, results []dsruntime.Result) {
	targets := make([]map[string]any, len(ops))
	for i, op := range ops {
		targets[i] = op.target
	}
	b, err := json.Marshal(map[string]any{"Targets": targets})
	if err == nil {
		var resp *response
		u := c.c.resolve(m.DV.EntitySet + "/Microsoft.Dynamics.CRM.UpsertMultiple")
		resp, err = c.c.sendWrite(ctx, request{method: http.MethodPost, url: u, body: b})
		if err == nil {
			var out struct {
				IDs []string `json:"Ids"`
			}
			if json.Unmarshal(resp.body, &out) == nil && len(out.IDs) == len(ops) {
				for i, id := range out.IDs {
					if isGUID(id) {
						c.ids.Put(m.DV.EntitySet, strings.ToLower(id), ops[i].w.Key)
					}
				}
			}
		}
	}
	for _, op := range ops {
		if err != nil {
			results[op.at] = failed(op.w.ID, plan.DV, err)
			continue
		}
		results[op.at] = dsruntime.Ack(engine.WriteAcked{WriteID: op.w.ID})
	}
}

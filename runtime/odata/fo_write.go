package odata

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// foOp is one prepared F&O write.
type foOp struct {
	at  int // index in the writes
	w   engine.Write
	req batchReq
}

// Apply sends the writes: a create is a POST of the key and values to the
// entity set, an update a PATCH of the record by key with If-Match, a
// delete a DELETE with If-Match. With Config.Batch they travel in $batch
// requests, one change set per write.
func (c *FO) Apply(ctx context.Context, m *plan.Map, ws []engine.Write) []dsruntime.Result {
	results := make([]dsruntime.Result, len(ws))
	var ops []foOp
	for i, w := range ws {
		req, err := c.prepare(m, w)
		if err != nil {
			results[i] = refused(w.ID, err)
			continue
		}
		ops = append(ops, foOp{at: i, w: w, req: req})
	}
	if c.c.cfg.Batch {
		for start := 0; start < len(ops); start += c.c.cfg.BatchSize {
			end := min(start+c.c.cfg.BatchSize, len(ops))
			c.applyBatch(ctx, m, ops[start:end], results)
		}
		return results
	}
	var wg sync.WaitGroup
	for _, op := range ops {
		wg.Go(func() {
			resp, err := c.c.sendWrite(ctx, request{method: op.req.method, url: op.req.url, header: op.req.header, body: op.req.body})
			results[op.at] = c.outcome(ctx, m, op.w, resp, err)
		})
	}
	wg.Wait()
	return results
}

// prepare builds the request of one write.
func (c *FO) prepare(m *plan.Map, w engine.Write) (batchReq, error) {
	company := companyOf(m, w.Key)
	h := http.Header{}
	switch w.Op {
	case engine.OpDelete:
		u, err := c.recordURL(m, w.Key, query{{"cross-company", "true"}})
		if err != nil {
			return batchReq{}, err
		}
		if w.ExpectedVersion != "" {
			h.Set("If-Match", w.ExpectedVersion)
		}
		return batchReq{contentID: "1", method: http.MethodDelete, url: u, header: h}, nil
	case engine.OpUpsert:
	default:
		return batchReq{}, fmt.Errorf("unknown operation %q", w.Op)
	}
	body := make(map[string]any, len(w.Values)+len(m.Key))
	for _, fv := range w.Values {
		f := fieldOf(m, plan.FO, fv.Field)
		switch {
		case f == nil:
			body[fv.Field] = writeAny(fv.Value)
		case f.Lookup != nil:
			s, err := c.refRaw(f.Lookup.Map, company, fv.Value)
			if err != nil {
				return batchReq{}, &fieldError{fv.Field, err}
			}
			body[fv.Field] = s
		case f.FOType == plan.String && fv.Value.IsNull():
			body[fv.Field] = "" // F&O text is never null
		default:
			v, err := writeValue(f.FOType, fv.Value)
			if err != nil {
				return batchReq{}, &fieldError{fv.Field, err}
			}
			body[fv.Field] = v
		}
	}
	h.Set("Prefer", "return=representation")
	if w.Create {
		vals, err := splitKey(m, w.Key)
		if err != nil {
			return batchReq{}, err
		}
		for i, kf := range m.Key {
			body[kf.FO] = keyJSON(kf.Type, vals[i])
		}
		b, err := json.Marshal(body)
		if err != nil {
			return batchReq{}, err
		}
		return batchReq{contentID: "1", method: http.MethodPost, url: c.c.resolve(m.FO.EntitySet), header: h, body: b}, nil
	}
	u, err := c.recordURL(m, w.Key, query{{"cross-company", "true"}})
	if err != nil {
		return batchReq{}, err
	}
	if w.ExpectedVersion != "" {
		h.Set("If-Match", w.ExpectedVersion)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return batchReq{}, err
	}
	return batchReq{contentID: "1", method: http.MethodPatch, url: u, header: h, body: b}, nil
}

// keyJSON is the JSON form of a key value given as key text.
func keyJSON(t plan.Type, s string) any {
	switch t {
	case plan.Int, plan.Decimal:
		return json.Number(s)
	case plan.Bool:
		return s == "true"
	}
	return s
}

// outcome turns the answer to write w into a result. A write answered
// without a body is read back (unless Config.NoReadBack) to learn the new
// version and the stored values.
func (c *FO) outcome(ctx context.Context, m *plan.Map, w engine.Write, resp *response, err error) dsruntime.Result {
	if err != nil {
		return failed(w.ID, plan.FO, err)
	}
	ack := engine.WriteAcked{WriteID: w.ID, NewVersion: resp.header.Get("ETag")}
	if w.Op == engine.OpDelete {
		return dsruntime.Ack(ack)
	}
	var o engine.Observed
	have := false
	if len(resp.body) > 0 {
		var rej *Rejected
		o, rej = c.observe(m, resp.body)
		if rej != nil {
			c.c.log.Warn("write answer unreadable; acknowledged without stored values", "map", m.Name, "reason", rej.Reason)
		} else {
			have = true
		}
	} else if !c.c.cfg.NoReadBack {
		r, rerr := c.Read(ctx, m, w.Key)
		if rerr == nil && !r.Deleted {
			o, have = r, true
		}
	}
	if have {
		if o.Version != "" {
			ack.NewVersion = o.Version
		}
		ack.Modified = o.Modified
		ack.Stored = storedOf(o.Values, w)
	}
	return dsruntime.Ack(ack)
}

// storedOf returns the values of the fields write w wrote.
func storedOf(vals map[string]engine.Value, w engine.Write) map[string]engine.Value {
	out := make(map[string]engine.Value, len(w.Values))
	for _, fv := range w.Values {
		if v, ok := vals[fv.Field]; ok {
			out[fv.Field] = v
		}
	}
	return out
}

// applyBatch sends ops in one $batch request, each in its own change set
// so that one failure does not roll back the others.
func (c *FO) applyBatch(ctx context.Context, m *plan.Map, ops []foOp, results []dsruntime.Result) {
	sets := make([][]batchReq, len(ops))
	for i, op := range ops {
		sets[i] = []batchReq{op.req}
	}
	answers, err := c.c.batch(ctx, sets)
	for i, op := range ops {
		if err != nil {
			results[op.at] = failed(op.w.ID, plan.FO, err)
			continue
		}
		a := answers[i]
		results[op.at] = c.outcome(ctx, m, op.w, a.resp, a.err)
	}
}

// failed classifies err for write id: a service error with Classify,
// anything else (a response the connector cannot read) as transient.
func failed(id string, side plan.Side, err error) dsruntime.Result {
	var se *dsruntime.ServiceError
	if !errors.As(err, &se) {
		se = &dsruntime.ServiceError{Side: side, Network: true, Message: err.Error()}
	}
	f := dsruntime.Classify(se)
	f.WriteID = id
	return dsruntime.Fail(f)
}

// refused is a write the connector cannot put in the service's form.
func refused(id string, err error) dsruntime.Result {
	f := engine.WriteFailed{WriteID: id, Class: engine.Validation, Message: err.Error()}
	var fe *fieldError
	if errors.As(err, &fe) {
		f.Field = fe.field
	}
	return dsruntime.Fail(f)
}

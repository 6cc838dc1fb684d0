package odata

import (
	"context"
	"fmt"
	"testing"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator/fakehttp"
)

// benchEnv is one set of fakes with products seeded on F&O and the two
// HTTP connectors pointed at them (plain loopback HTTP, OAuth 2.0 client
// credentials against the fake token service).
type benchEnv struct {
	p   *plan.Plan
	srv *fakehttp.Servers
	fo  *FO
	dv  *DV
	m   *plan.Map
}

// benchOpts are the knobs the benchmarks vary.
type benchOpts struct {
	rows       int
	protection fakehttp.Protection
	dvBatch    int           // DV Config.BatchSize; 0: default
	foOverlap  time.Duration // FO Config.Overlap; 0: default
}

// newBenchEnv starts the fakes, seeds opts.rows products on F&O and
// builds fresh connectors (so that every environment starts with an empty
// Dataverse, an empty id cache and no token).
func newBenchEnv(b *testing.B, p *plan.Plan, opts benchOpts) *benchEnv {
	b.Helper()
	srv, err := fakehttp.Start(fakehttp.Config{Plan: p, Seed: 11, Protection: opts.protection})
	if err != nil {
		b.Fatal(err)
	}
	types := []string{"Item", "Service"}
	for i := range opts.rows {
		key := engine.JoinKey(fmt.Sprintf("P-%06d", i))
		if _, err := srv.FO.Put("ProductsV2", key, map[string]engine.Value{
			"ProductName":        engine.String(fmt.Sprintf("Product %d", i)),
			"ProductDescription": engine.String(fmt.Sprintf("Description of product %d, seeded for the throughput benchmark", i)),
			"ProductType":        engine.String(types[i%2]),
		}); err != nil {
			srv.Close()
			b.Fatal(err)
		}
	}
	auth := Auth{LoginURL: srv.LoginURL(), Tenant: "contoso", ClientID: fakehttp.DefaultClient.ID,
		Secret: NewSecret(fakehttp.DefaultClient.Secret)}
	fo, err := NewFO(p, Config{URL: srv.FOURL(), Auth: auth, Overlap: opts.foOverlap})
	if err != nil {
		srv.Close()
		b.Fatal(err)
	}
	dv, err := NewDV(p, Config{URL: srv.DVURL(), Auth: auth, BatchSize: opts.dvBatch})
	if err != nil {
		srv.Close()
		b.Fatal(err)
	}
	m := p.MapByName("product")
	if m == nil {
		srv.Close()
		b.Fatal("the starter plan has no product map")
	}
	return &benchEnv{p: p, srv: srv, fo: fo, dv: dv, m: m}
}

func (e *benchEnv) close() { _ = e.srv.Close() }

// products counts the products on the Dataverse fake.
func (e *benchEnv) products() int { return len(e.srv.DV.Rows("products")) }

// runRuntime runs the full runtime until quiet and returns its driver.
func (e *benchEnv) runRuntime(ctx context.Context, cfg dsruntime.Config, rounds int) (*dsruntime.Driver, error) {
	d, err := dsruntime.New(e.p, e.fo, e.dv, cfg)
	if err != nil {
		return nil, err
	}
	if err := d.RunUntilQuiet(ctx, rounds); err != nil {
		return d, fmt.Errorf("%w (stats %+v)", err, d.Stats())
	}
	return d, nil
}

// rawCopy is the minimal copier: it reads the F&O product feed page by
// page with the FO connector and writes every row to Dataverse with the DV
// connector's Apply, batch writes at a time, building the writes straight
// from the rows (field renames and the enum's value map, nothing else:
// no engine, no state, no echo suppression, no checkpoints). It returns
// the number of writes acknowledged.
func (e *benchEnv) rawCopy(ctx context.Context, pageSize, batch int) (int, error) {
	choices := map[string]map[string]int64{}
	for _, f := range e.m.Fields {
		if len(f.Values) > 0 {
			vm := map[string]int64{}
			for _, v := range f.Values {
				vm[v.FO] = v.DV
			}
			choices[f.FO] = vm
		}
	}
	isKey := map[string]bool{}
	for _, k := range e.m.Key {
		isKey[k.FO] = true
	}
	acked, id, cursor := 0, 0, ""
	for {
		page, err := e.fo.Changes(ctx, e.m, cursor, pageSize)
		if err != nil {
			return acked, err
		}
		ws := make([]engine.Write, 0, len(page.Rows))
		for _, o := range page.Rows {
			w := engine.Write{Side: plan.DV, Map: e.m.Name, Key: o.Key, Op: engine.OpUpsert, Create: true, Pass: 1, Attempt: 1}
			id++
			w.ID = fmt.Sprintf("raw-%d", id)
			for _, f := range e.m.Fields {
				if isKey[f.FO] || f.Direction == plan.DVToFO {
					continue
				}
				v, ok := o.Values[f.FO]
				if !ok {
					continue
				}
				if vm, ok := choices[f.FO]; ok {
					s, _ := v.AsString()
					n, ok := vm[s]
					if !ok {
						return acked, fmt.Errorf("row %s: %s %q has no choice", o.Key, f.FO, s)
					}
					v = engine.Int(n)
				}
				w.Values = append(w.Values, engine.FieldValue{Field: f.DV, Value: v})
			}
			ws = append(ws, w)
		}
		for len(ws) > 0 {
			n := min(batch, len(ws))
			for _, r := range e.dv.Apply(ctx, e.m, ws[:n]) {
				if r.Failed != nil {
					return acked, fmt.Errorf("write %s: %s: %s", r.Failed.WriteID, r.Failed.Class, r.Failed.Message)
				}
				acked++
			}
			ws = ws[n:]
		}
		if page.Next != "" {
			cursor = page.Next
		}
		if !page.More {
			return acked, nil
		}
	}
}

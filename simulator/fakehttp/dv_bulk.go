package fakehttp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator/fake"
)

// upsertMultiple answers POST /<set>/Microsoft.Dynamics.CRM.UpsertMultiple
// with {"Targets":[...]}: every target names its type with @odata.type and
// its record with @odata.id (a URL with the alternate key), the primary
// id, or the alternate key's columns in the body (the company lookup as
// its @odata.bind). All targets are written in one transaction: one that
// fails rolls every other back, and its error is the answer. Success is
// 204 No Content.
func (s *dvService) upsertMultiple(r *wreq, set *dvSet) *wresp {
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	var req struct {
		Targets []map[string]any `json:"Targets"`
	}
	if err := dec.Decode(&req); err != nil {
		return errResp(plan.DV, dvError(400, codeBadRequest, "The request body is not valid: "+err.Error()))
	}
	if len(req.Targets) == 0 {
		return errResp(plan.DV, dvError(400, codeBadRequest, "UpsertMultiple needs at least one item in Targets."))
	}
	type target struct {
		at   fake.Addr
		body body
	}
	targets := make([]target, len(req.Targets))
	wantType := dvNamespace + "." + set.Entity
	for i, raw := range req.Targets {
		if raw == nil {
			return errResp(plan.DV, dvError(400, codeBadRequest, fmt.Sprintf("Targets[%d] is not an object.", i)))
		}
		b, err := decodeObject(raw, set.SetInfo)
		if err != nil {
			return errResp(plan.DV, dvError(400, codeBadRequest, fmt.Sprintf("Targets[%d]: %v", i, err)))
		}
		if typ := b.Annotations["@odata.type"]; typ != wantType {
			return errResp(plan.DV, dvError(400, codeBadRequest, fmt.Sprintf(
				"Targets[%d] must specify @odata.type '%s' (got '%s').", i, wantType, typ)))
		}
		if e := s.resolveBinds(r, b); e != nil {
			return errResp(plan.DV, e)
		}
		at, e := s.targetAddr(r, set, b)
		if e != nil {
			return errResp(plan.DV, e)
		}
		targets[i] = target{at: at, body: b}
	}
	err := s.write(r, func(tx *fake.DVTx) error {
		for _, t := range targets {
			if _, _, err := tx.Upsert(set.Name, t.at, t.body.Values, fake.UpsertOptions{}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return errResp(plan.DV, err)
	}
	return newResp(204)
}

// targetAddr finds the record an UpsertMultiple target names.
func (s *dvService) targetAddr(r *wreq, set *dvSet, b body) (fake.Addr, *fake.Error) {
	if id := b.Annotations["@odata.id"]; id != "" {
		p := id
		if u, err := url.Parse(id); err == nil && u.IsAbs() {
			p = u.EscapedPath()
		}
		if loc := dvRootRE.FindStringIndex(p); loc != nil && loc[0] == 0 {
			p = p[loc[1]:]
		}
		p = strings.TrimPrefix(p, "/")
		if d, err := url.PathUnescape(p); err == nil {
			p = d
		}
		res, err := parseResource(p)
		if err != nil || res.Set != set.Name || !res.HasKey || res.Rest != "" {
			return fake.Addr{}, dvBadKey(set.Entity)
		}
		return s.addr(set, res.Key)
	}
	if v, ok := b.Values[set.PrimaryID]; ok {
		if id, ok := v.AsString(); ok && guidRE.MatchString(id) {
			return fake.Addr{ID: strings.ToLower(id)}, nil
		}
		return fake.Addr{}, dvBadKey(set.Entity)
	}
	key := fake.Key{}
	for _, k := range set.Keys {
		f := set.Field(k)
		if f != nil && f.Target != "" {
			bind, ok := b.Values[k+"@odata.bind"]
			str, isStr := bind.AsString()
			if !ok || !isStr {
				return fake.Addr{}, dvError(400, codeBadRequest, fmt.Sprintf(
					"A target names neither @odata.id nor %s nor the key column '%s@odata.bind'.", set.PrimaryID, k))
			}
			res, err := parseResource(strings.TrimPrefix(str, "/"))
			if err != nil || !res.HasKey || len(res.Key) != 1 || res.Key[0].Lit.Kind != litGUID {
				return fake.Addr{}, dvBadKey(set.Entity)
			}
			key[k] = engine.String(res.Key[0].Lit.Text)
			continue
		}
		v, ok := b.Values[k]
		if !ok {
			return fake.Addr{}, dvError(400, codeBadRequest, fmt.Sprintf(
				"A target names neither @odata.id nor %s nor the key column '%s'.", set.PrimaryID, k))
		}
		key[k] = v
	}
	return fake.Addr{Key: key}, nil
}

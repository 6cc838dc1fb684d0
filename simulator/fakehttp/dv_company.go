package fakehttp

import (
	"net/http"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator/fake"
)

// companies answers reads of cdm_companies, the legal entities: by id, by
// its alternate key (cdm_companycode='usmf'), or as a collection with a
// $filter. When the model creates companies on demand (no companies
// configured), a company asked for by code exists from then on.
func (s *dvService) companies(r *wreq, res resource) *wresp {
	if r.method != http.MethodGet {
		return errResp(plan.DV, dvError(405, codeBadRequest, "cdm_companies is read-only in the simulator."))
	}
	row := func(o object, c fake.Company) []byte {
		o.str("@odata.etag", `W/"1"`)
		o.str("cdm_companyid", c.ID)
		o.str("cdm_companycode", c.Code)
		o.str("cdm_name", c.Code)
		return o.bytes()
	}
	if res.HasKey {
		var c fake.Company
		var ok bool
		switch {
		case len(res.Key) == 1 && (res.Key[0].Name == "" || res.Key[0].Name == "cdm_companyid") && res.Key[0].Lit.Kind == litGUID:
			c, ok = s.w.CompanyByID(res.Key[0].Lit.Text)
		case len(res.Key) == 1 && res.Key[0].Name == "cdm_companycode" && res.Key[0].Lit.Kind == litString:
			c, ok = s.w.Company(res.Key[0].Lit.Text)
		default:
			return errResp(plan.DV, dvBadKey("cdm_company"))
		}
		if !ok {
			return errResp(plan.DV, dvError(404, dsruntime.CodeRecordNotFound, "cdm_company With Id = "+res.Key[0].Lit.Text+" Does Not Exist"))
		}
		o := object{}
		o.str("@odata.context", r.base+"/$metadata#cdm_companies/$entity")
		return jsonResp(200, row(o, c))
	}
	opts, err := parseOptions(r.rawQuery)
	if err != nil {
		return errResp(plan.DV, dvError(400, codeBadRequest, err.Error()))
	}
	env := &filterEnv{
		resolve: func(name string) (field, bool) {
			switch name {
			case "cdm_companyid":
				return field{Name: name, Type: plan.Guid}, true
			case "cdm_companycode", "cdm_name":
				return field{Name: name, Type: plan.String}, true
			}
			return field{}, false
		},
		unknown: func(name string) string { return dvUnknown("cdm_company", name).Message },
	}
	var pred predicate
	if opts.filter != "" {
		e, err := parseFilter(opts.filter)
		if err == nil {
			pred, err = compileFilter(e, env)
		}
		if err != nil {
			return errResp(plan.DV, dvFilterError(err))
		}
		for _, code := range companyCodes(e) {
			s.w.Company(code)
		}
	}
	o := object{}
	o.str("@odata.context", r.base+"/$metadata#cdm_companies")
	b := []byte{'['}
	n := 0
	for _, c := range s.w.Companies() {
		vals := map[string]engine.Value{"cdm_companyid": engine.String(c.ID), "cdm_companycode": engine.String(c.Code), "cdm_name": engine.String(c.Code)}
		if pred != nil && !pred(vals) {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, row(object{}, c)...)
		n++
	}
	o.raw("value", append(b, ']'))
	return jsonResp(200, o.bytes())
}

// companyCodes returns the codes a filter compares cdm_companycode with.
func companyCodes(e expr) []string {
	switch e := e.(type) {
	case logical:
		return append(companyCodes(e.l), companyCodes(e.r)...)
	case comparison:
		p, pok := e.l.(property)
		c, cok := e.r.(constant)
		if !pok || !cok {
			p, pok = e.r.(property)
			c, cok = e.l.(constant)
		}
		if pok && cok && e.op == "eq" && p.name == "cdm_companycode" && c.lit.Kind == litString {
			return []string{c.lit.Text}
		}
	}
	return nil
}

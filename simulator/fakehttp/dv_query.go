package fakehttp

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator/fake"
)

// filterEnv is the Dataverse reading of $filter: lookups by
// _<name>_value, the string functions, no enum literals or wildcards.
func (s *dvService) filterEnv(set *dvSet) *filterEnv {
	return &filterEnv{
		resolve: func(name string) (field, bool) {
			f, ok := set.props[name]
			if ok && f.Type == plan.Lookup && !strings.HasPrefix(name, "_") {
				return field{}, false // a lookup is filtered by _<name>_value
			}
			return f, ok
		},
		unknown:   func(name string) string { return dvUnknown(set.Entity, name).Message },
		functions: map[string]bool{"contains": true, "startswith": true, "endswith": true},
	}
}

func dvFilterError(err error) *fake.Error {
	return dvError(400, codeNotSupported, "The query specified in the URI is not valid. "+capital(err.Error()))
}

// query reads the records of a collection request, filtered and ordered.
func (s *dvService) query(set *dvSet, opts options) ([]fake.Row, error) {
	if opts.skip >= 0 {
		return nil, dvError(400, codeNotSupported, "The query parameter $skip is not supported.")
	}
	if opts.expand != "" {
		return nil, s.noExpand(set, opts.expand)
	}
	var pred predicate
	if opts.filter != "" {
		e, err := parseFilter(opts.filter)
		if err == nil {
			pred, err = compileFilter(e, s.filterEnv(set))
		}
		if err != nil {
			if strings.HasPrefix(err.Error(), "Could not find a property") {
				return nil, dvError(400, codeNotSupported, err.Error())
			}
			return nil, dvFilterError(err)
		}
	}
	for _, k := range opts.orderby {
		if _, ok := set.props[k.name]; !ok {
			return nil, dvUnknown(set.Entity, k.name)
		}
	}
	rows, err := s.w.List(set.Name)
	if err != nil {
		return nil, err
	}
	if pred != nil {
		rows = slices.DeleteFunc(rows, func(r fake.Row) bool { return !pred(withID(set, r)) })
	}
	sortBy(rows, opts.orderby, func(r fake.Row, n string) engine.Value {
		if n == set.PrimaryID {
			return engine.String(r.ID)
		}
		return r.Values[set.props[n].Name]
	})
	return rows, nil
}

// withID returns a row's values with its primary id.
func withID(set *dvSet, r fake.Row) map[string]engine.Value {
	if _, ok := r.Values[set.PrimaryID]; !ok {
		r.Values[set.PrimaryID] = engine.String(r.ID)
	}
	return r.Values
}

// The $skiptoken of a collection read: "o<offset>" after an $orderby,
// else "k<last primary id>"; a change-tracking read's next link carries
// "ct!<delta token>".
const ctPrefix = "ct!"

func (s *dvService) pageSizeFor(pref prefer) int {
	if pref.maxPageSize > 0 {
		return min(pref.maxPageSize, s.pageSize)
	}
	return s.pageSize
}

func (s *dvService) list(r *wreq, set *dvSet, opts options, pref prefer) *wresp {
	sel, e := s.selection(set, opts.selects)
	if e != nil {
		return errResp(plan.DV, e)
	}
	rows, err := s.query(set, opts)
	if err != nil {
		return errResp(plan.DV, err)
	}
	total := len(rows)
	if opts.top >= 0 && len(rows) > opts.top {
		rows = rows[:opts.top]
	}
	start := 0
	switch tok := opts.skiptoken; {
	case tok == "":
	case strings.HasPrefix(tok, "o"):
		n, err := strconv.Atoi(tok[1:])
		if err != nil || n < 0 {
			return errResp(plan.DV, dvError(400, codeBadRequest, "The $skiptoken is not valid."))
		}
		start = n
	case strings.HasPrefix(tok, "k") && len(opts.orderby) == 0:
		last := strings.ToLower(tok[1:])
		start, _ = slices.BinarySearchFunc(rows, last, func(r fake.Row, id string) int { return strings.Compare(r.ID, id) })
		if start < len(rows) && rows[start].ID == last {
			start++
		}
	default:
		return errResp(plan.DV, dvError(400, codeBadRequest, "The $skiptoken is not valid."))
	}
	size := s.pageSizeFor(pref)
	pg, more := page(rows, start, size)
	o := object{}
	o.str("@odata.context", r.base+"/$metadata#"+set.Name+s.selectSuffix(opts.selects))
	if opts.count {
		o.raw("@odata.count", strconv.AppendInt(nil, int64(min(total, 5000)), 10))
		if total > 5000 {
			o.raw("@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded", []byte("true"))
		}
	}
	b := []byte{'['}
	for i, row := range pg {
		if i > 0 {
			b = append(b, ',')
		}
		ro := object{}
		b = append(b, s.record(&ro, set, row, sel)...)
	}
	o.raw("value", append(b, ']'))
	if more {
		tok := "o" + strconv.Itoa(start+len(pg))
		if len(opts.orderby) == 0 {
			tok = "k" + pg[len(pg)-1].ID
		}
		o.str("@odata.nextLink", r.base+"/"+set.Name+"?"+opts.with(map[string]string{"$skiptoken": tok}))
	}
	resp := jsonResp(200, o.bytes())
	if pref.maxPageSize > 0 {
		resp.header.Set("Preference-Applied", "odata.maxpagesize="+strconv.Itoa(size))
	}
	return resp
}

// changes answers a change-tracking read: the first read (Prefer:
// odata.track-changes) returns every record and a delta link; following a
// delta link returns the records changed since, then those deleted.
func (s *dvService) changes(r *wreq, set *dvSet, opts options, pref prefer) *wresp {
	var refused []string
	for name, given := range map[string]bool{"$filter": opts.filter != "", "$orderby": len(opts.orderby) > 0,
		"$expand": opts.expand != "", "$top": opts.top >= 0, "$skip": opts.skip >= 0} {
		if given {
			refused = append(refused, name)
		}
	}
	if len(refused) > 0 {
		slices.Sort(refused)
		return errResp(plan.DV, dvError(400, codeNotSupported, fmt.Sprintf(
			"Change tracking does not support the query option %s: a delta link tracks a whole table, with $select only.", strings.Join(refused, ", "))))
	}
	sel, e := s.selection(set, opts.selects)
	if e != nil {
		return errResp(plan.DV, e)
	}
	token := opts.deltatoken
	if strings.HasPrefix(opts.skiptoken, ctPrefix) {
		token = opts.skiptoken[len(ctPrefix):]
	}
	size := s.pageSizeFor(pref)
	pg, err := s.w.Changes(set.Name, token, size)
	if err != nil {
		return errResp(plan.DV, err)
	}
	o := object{}
	ctx := r.base + "/$metadata#" + set.Name + s.selectSuffix(opts.selects)
	if opts.deltatoken != "" {
		ctx += "/$delta"
	}
	o.str("@odata.context", ctx)
	b := []byte{'['}
	n := 0
	add := func(item []byte) {
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, item...)
		n++
	}
	for _, row := range pg.Rows {
		if !row.Deleted {
			ro := object{}
			add(s.record(&ro, set, row, sel))
		}
	}
	for _, row := range pg.Rows {
		if row.Deleted {
			d := object{}
			d.str("@odata.context", r.base+"/$metadata#"+set.Name+"/$deletedEntity")
			d.str("id", row.ID)
			d.str("reason", "deleted")
			add(d.bytes())
		}
	}
	o.raw("value", append(b, ']'))
	if pg.More {
		o.str("@odata.nextLink", r.base+"/"+set.Name+"?"+opts.with(map[string]string{"$deltatoken": "", "$skiptoken": ctPrefix + pg.Token}))
	} else {
		o.str("@odata.deltaLink", r.base+"/"+set.Name+"?"+opts.with(map[string]string{"$skiptoken": "", "$deltatoken": pg.Token}))
	}
	resp := jsonResp(200, o.bytes())
	applied := []string{"odata.track-changes"}
	if pref.maxPageSize > 0 {
		applied = append(applied, "odata.maxpagesize="+strconv.Itoa(size))
	}
	resp.header.Set("Preference-Applied", strings.Join(applied, ","))
	return resp
}

package fakehttp

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/dualsync/dualsync/runtime/engine"
)

// prefer is the parsed Prefer header.
type prefer struct {
	returnRepresentation bool
	returnMinimal        bool
	maxPageSize          int
	trackChanges         bool
	continueOnError      bool
	applied              []string
}

func parsePrefer(values []string) prefer {
	var p prefer
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			item = strings.TrimSpace(item)
			name, val, _ := strings.Cut(item, "=")
			name = strings.ToLower(strings.TrimSpace(name))
			val = strings.Trim(strings.TrimSpace(val), `"`)
			switch name {
			case "return":
				p.returnRepresentation = val == "representation"
				p.returnMinimal = val == "minimal"
			case "odata.maxpagesize":
				if n, err := strconv.Atoi(val); err == nil && n > 0 {
					p.maxPageSize = n
				}
			case "odata.track-changes":
				p.trackChanges = true
			case "odata.continue-on-error":
				p.continueOnError = val == "" || val == "true"
			}
		}
	}
	return p
}

// options are a collection request's query options.
type options struct {
	raw        url.Values
	filter     string
	selects    []string // nil: every property
	orderby    []orderKey
	top, skip  int // -1: not given
	count      bool
	expand     string
	skiptoken  string
	deltatoken string
	cross      bool // F&O cross-company=true
}

type orderKey struct {
	name string
	desc bool
}

// parseOptions reads the query options both services share.
func parseOptions(rawQuery string) (options, error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return options{}, fmt.Errorf("the query string is not valid: %v", err)
	}
	o := options{raw: q, top: -1, skip: -1}
	o.filter = q.Get("$filter")
	o.expand = q.Get("$expand")
	o.skiptoken = q.Get("$skiptoken")
	o.deltatoken = q.Get("$deltatoken")
	o.cross = strings.EqualFold(q.Get("cross-company"), "true")
	if s := q.Get("$select"); s != "" && s != "*" {
		for _, n := range strings.Split(s, ",") {
			n = strings.TrimSpace(n)
			if n == "" {
				return o, fmt.Errorf("$select has an empty item")
			}
			o.selects = append(o.selects, n)
		}
	}
	if s := q.Get("$orderby"); s != "" {
		for _, item := range strings.Split(s, ",") {
			f := strings.Fields(item)
			if len(f) == 0 || len(f) > 2 {
				return o, fmt.Errorf("$orderby item %q is not valid", item)
			}
			k := orderKey{name: f[0]}
			if len(f) == 2 {
				switch strings.ToLower(f[1]) {
				case "asc":
				case "desc":
					k.desc = true
				default:
					return o, fmt.Errorf("$orderby item %q is not valid", item)
				}
			}
			o.orderby = append(o.orderby, k)
		}
	}
	for _, opt := range []struct {
		name string
		dst  *int
	}{{"$top", &o.top}, {"$skip", &o.skip}} {
		if s := q.Get(opt.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				return o, fmt.Errorf("the value %q of %s is not a non-negative integer", s, opt.name)
			}
			*opt.dst = n
		}
	}
	if s := q.Get("$count"); s != "" {
		switch strings.ToLower(s) {
		case "true":
			o.count = true
		case "false":
		default:
			return o, fmt.Errorf("the value %q of $count is not true or false", s)
		}
	}
	return o, nil
}

// with returns the query string with the named options replaced (an empty
// value removes one), in a stable order.
func (o options) with(set map[string]string) string {
	q := url.Values{}
	for k, v := range o.raw {
		q[k] = v
	}
	for k, v := range set {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	return encodeQuery(q)
}

// encodeQuery encodes query options with %20 for spaces (never '+') and
// dollar signs, commas, quotes and parentheses left readable.
func encodeQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range q[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(escapeQueryPart(k))
			b.WriteByte('=')
			b.WriteString(escapeQueryPart(v))
		}
	}
	return b.String()
}

func escapeQueryPart(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	for _, keep := range []string{"$", ",", "'", "(", ")"} {
		e = strings.ReplaceAll(e, url.QueryEscape(keep), keep)
	}
	return e
}

// sortBy orders rows by the $orderby keys, get reading a row's value by
// property name (stable: ties keep their order); nulls sort first, as in
// SQL.
func sortBy[T any](rows []T, keys []orderKey, get func(T, string) engine.Value) {
	if len(keys) == 0 {
		return
	}
	slices.SortStableFunc(rows, func(a, b T) int {
		for _, k := range keys {
			va, vb := get(a, k.name), get(b, k.name)
			var c int
			switch {
			case va.IsNull() && vb.IsNull():
				c = 0
			case va.IsNull():
				c = -1
			case vb.IsNull():
				c = 1
			default:
				c, _ = compareValues(va, vb)
			}
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
}

// page cuts rows[start:] to at most n rows and reports whether more follow.
func page[T any](rows []T, start, n int) ([]T, bool) {
	start = min(max(start, 0), len(rows))
	end := min(start+n, len(rows))
	return rows[start:end], end < len(rows)
}

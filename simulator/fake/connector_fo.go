package fake

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// FOConnector is the dsruntime.Connector of an FO.
//
// F&O has no delta links: changes are found by polling the entity set
// cross-company for rows modified at or after the cursor's mark minus an
// overlap window, de-duplicated by key and version (ETag), and reported
// in modification order (modified time, then version), so that a delete
// and a recreation of one key in the same second arrive in the order they
// happened, each exactly once. Deletes come from the service's
// deleted-records view (see Query.IncludeDeleted). Only a page's last row
// carries the page's cursor as its Token.
//
// The cursor ("fo1 <mark> <key>=<etag> ...") holds the mark, the latest
// modified time the feed has reached (RFC 3339), and the key and ETag of
// every row seen at that instant: F&O stamps whole seconds, so many rows
// share one, and a record deleted and created again in one second has two
// versions there. The first read ("" cursor) returns every current row,
// and the deletes stamped within the overlap window before the read, like
// any later poll; it leaves its own time as the mark, so a first read that
// found nothing still has a place to continue from, and every later
// delete is reported, also of a record this feed never saw (the engine
// may have created it, or known it before a restart from an empty
// cursor).
//
// Rows inside the overlap window that this adapter already returned are
// skipped from memory while a run continues from the cursor it returned
// last; after a restart from an older cursor they are returned once more,
// in modification order, which the engine suppresses.
//
// F&O strings are never null; a mapped text field that holds an empty
// string is reported as null, the way Dataverse stores it, so that "no
// value" reads the same on both sides (key fields excepted). Lookups are
// reported as the referenced record's key: the row's company joined with
// the business key the field holds.
type FOConnector struct {
	s    *FO
	plan *plan.Plan
	cfg  ConnectorConfig
	seen map[string]*foSeen // by entity set
}

// foSeen remembers the rows returned inside the overlap window, valid
// while the next call continues from cursor (cur is its decoded form).
type foSeen struct {
	cursor string
	cur    foCursor
	rows   map[foEntry]time.Time // modified time by key and version
}

// NewFOConnector returns the adapter for s.
func NewFOConnector(s *FO, p *plan.Plan, cfg ConnectorConfig) *FOConnector {
	cfg.defaults()
	return &FOConnector{s: s, plan: p, cfg: cfg, seen: map[string]*foSeen{}}
}

// Side is F&O.
func (c *FOConnector) Side() plan.Side { return plan.FO }

// foCursor is the decoded F&O cursor.
type foCursor struct {
	mark time.Time
	keys map[foEntry]bool // the rows seen at mark, by key and version
}

func (c foCursor) String() string {
	if c.mark.IsZero() {
		return ""
	}
	es := make([]foEntry, 0, len(c.keys))
	for e := range c.keys {
		es = append(es, e)
	}
	slices.SortFunc(es, func(a, b foEntry) int { return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.ver, b.ver)) })
	var b strings.Builder
	b.WriteString("fo1 ")
	b.WriteString(c.mark.UTC().Format(time.RFC3339Nano))
	for _, e := range es {
		b.WriteByte(' ')
		b.WriteString(url.QueryEscape(e.key))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(etag(e.ver)))
	}
	return b.String()
}

func parseFOCursor(s string) (foCursor, error) {
	c := foCursor{keys: map[foEntry]bool{}}
	if s == "" {
		return c, nil
	}
	f := strings.Fields(s)
	if len(f) < 2 || f[0] != "fo1" {
		return c, fmt.Errorf("F&O cursor %q: want \"fo1 <time> <key>=<etag>...\"", s)
	}
	t, err := time.Parse(time.RFC3339Nano, f[1])
	if err != nil {
		return c, fmt.Errorf("F&O cursor %q: %w", s, err)
	}
	c.mark = t
	for _, kv := range f[2:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return c, fmt.Errorf("F&O cursor %q: bad entry %q", s, kv)
		}
		ku, err1 := url.QueryUnescape(k)
		vu, err2 := url.QueryUnescape(v)
		ver, ok := parseETag(vu)
		if err1 != nil || err2 != nil || !ok {
			return c, fmt.Errorf("F&O cursor %q: bad entry %q", s, kv)
		}
		c.keys[foEntry{ku, ver}] = true
	}
	return c, nil
}

// add moves the cursor past row r.
func (c *foCursor) add(r Row) {
	switch {
	case r.Modified.After(c.mark):
		c.mark = r.Modified
		c.keys = map[foEntry]bool{{r.Key, r.Version}: true}
	case r.Modified.Equal(c.mark):
		c.keys[foEntry{r.Key, r.Version}] = true
	}
}

// Changes returns rows of m's entity set changed since cursor.
func (c *FOConnector) Changes(ctx context.Context, m *plan.Map, cursor string, limit int) (dsruntime.Page, error) {
	if err := ctx.Err(); err != nil {
		return dsruntime.Page{}, err
	}
	set := m.FO.EntitySet
	mem := c.seen[set]
	var cur foCursor
	if mem != nil && mem.cursor == cursor {
		// Continuing: the memory and its decoded cursor change together,
		// below, once the answer is in.
		cur = mem.cur
	} else {
		var err error
		if cur, err = parseFOCursor(cursor); err != nil {
			return dsruntime.Page{}, fmt.Errorf("%w: %v", dsruntime.ErrCursorExpired, err)
		}
		mem = &foSeen{rows: map[foEntry]time.Time{}}
	}
	if limit <= 0 {
		limit = 1000
	}
	first := cur.mark.IsZero()
	q := feedQuery{deleted: true, recent: c.cfg.Overlap, top: limit + 1,
		seen: func(e foEntry, mod time.Time) bool {
			if _, ok := mem.rows[e]; ok {
				return true
			}
			return mod.Equal(cur.mark) && cur.keys[e]
		}}
	if !first {
		q.since = cur.mark.Add(-c.cfg.Overlap)
	}
	ans, err := c.s.API().feed(set, q)
	if err != nil {
		return dsruntime.Page{}, err
	}
	var page dsruntime.Page
	for _, r := range ans.rows {
		if len(page.Rows) == limit {
			page.More = true
			break
		}
		page.Rows = append(page.Rows, c.observe(m, r))
		cur.add(r)
		mem.rows[foEntry{r.Key, r.Version}] = r.Modified
	}
	if first && !page.More && ans.now.After(cur.mark) {
		// Every current row was read: later changes are stamped at or
		// after the answer.
		cur.mark, cur.keys = ans.now, map[foEntry]bool{}
	}
	page.Next = cursor
	if n := len(page.Rows); n > 0 || first {
		page.Next = cur.String()
		if n > 0 {
			page.Rows[n-1].Token = page.Next
		}
		floor := cur.mark.Add(-c.cfg.Overlap)
		for e, mod := range mem.rows {
			if mod.Before(floor) {
				delete(mem.rows, e)
			}
		}
	}
	mem.cursor, mem.cur = page.Next, cur
	c.seen[set] = mem
	return page, nil
}

// Read returns the current row of m with key.
func (c *FOConnector) Read(ctx context.Context, m *plan.Map, key string) (engine.Observed, error) {
	if err := ctx.Err(); err != nil {
		return engine.Observed{}, err
	}
	k, err := c.key(m, key)
	if err != nil {
		return engine.Observed{}, err
	}
	r, err := c.s.API().Get(m.FO.EntitySet, k, true)
	if IsNotFound(err) {
		return engine.Observed{Side: plan.FO, Map: m.Name, Key: key, Deleted: true}, nil
	}
	if err != nil {
		return engine.Observed{}, err
	}
	return c.observe(m, r), nil
}

// observe turns a row into an observation of map m.
func (c *FOConnector) observe(m *plan.Map, r Row) engine.Observed {
	parts := make([]string, len(m.Key))
	company := ""
	for i, k := range m.Key {
		parts[i] = text(r.Values[k.FO])
		if k.Company {
			company = parts[i]
		}
	}
	o := engine.Observed{Side: plan.FO, Map: m.Name, Key: engine.JoinKey(parts...), Version: r.ETag, Modified: r.Modified, Deleted: r.Deleted}
	if r.Deleted {
		return o
	}
	o.Values = make(map[string]engine.Value, len(m.Fields))
	for i := range m.Fields {
		f := &m.Fields[i]
		v, ok := r.Values[f.FO]
		if !ok {
			continue
		}
		switch {
		case f.Lookup != nil:
			v = c.refKey(f.Lookup.Map, company, v)
		case f.FOType == plan.String && text(v) == "" && !isKey(m, f.FO):
			v = engine.Null() // F&O's empty string is no value: null, as on Dataverse
		}
		o.Values[f.FO] = v
	}
	return o
}

// refKey turns an F&O lookup value (the referenced record's business key,
// in the row's company) into the referenced record's key text.
func (c *FOConnector) refKey(mapName, company string, v engine.Value) engine.Value {
	raw := text(v)
	if raw == "" {
		return engine.Null()
	}
	ref := c.plan.MapByName(mapName)
	if ref == nil || businessKey(ref) == nil {
		return v
	}
	if companyKeyed(ref) {
		return engine.String(engine.JoinKey(company, raw))
	}
	return engine.String(engine.JoinKey(raw))
}

// refRaw is the reverse of refKey for a write in company.
func (c *FOConnector) refRaw(mapName, company string, v engine.Value) (engine.Value, error) {
	if v.IsNull() {
		return engine.String(""), nil
	}
	ref := c.plan.MapByName(mapName)
	if ref == nil || businessKey(ref) == nil {
		return v, nil
	}
	parts := engine.SplitKey(text(v))
	if companyKeyed(ref) {
		if len(parts) != 2 {
			return v, fmt.Errorf("lookup value %q is not a key of %s", text(v), mapName)
		}
		if parts[0] != company {
			return v, fmt.Errorf("lookup value %q names company %s, the record is in %s", text(v), parts[0], company)
		}
		return engine.String(parts[1]), nil
	}
	if len(parts) != 1 {
		return v, fmt.Errorf("lookup value %q is not a key of %s", text(v), mapName)
	}
	return engine.String(parts[0]), nil
}

// key turns key text into F&O key values.
func (c *FOConnector) key(m *plan.Map, key string) (Key, error) {
	parts := engine.SplitKey(key)
	if len(parts) != len(m.Key) {
		return nil, fmt.Errorf("key %q of map %s has %d parts, want %d", key, m.Name, len(parts), len(m.Key))
	}
	k := Key{}
	for i, kf := range m.Key {
		v, err := keyValue(kf.Type, parts[i])
		if err != nil {
			return nil, fmt.Errorf("key %q of map %s: %s: %w", key, m.Name, kf.FO, err)
		}
		k[kf.FO] = v
	}
	return k, nil
}

func keyValue(t plan.Type, s string) (engine.Value, error) {
	if t == plan.Int {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return engine.Value{}, fmt.Errorf("%q is not an integer", s)
		}
		return engine.Int(n), nil
	}
	return engine.String(s), nil
}

// Apply sends the writes as one batch.
func (c *FOConnector) Apply(ctx context.Context, m *plan.Map, ws []engine.Write) []dsruntime.Result {
	if ctx.Err() != nil {
		return ctxFailAll(ctx, plan.FO, ws)
	}
	set := m.FO.EntitySet
	results := make([]dsruntime.Result, len(ws))
	var ops []FOOp
	var at []int // index in ws of each op
	for i, w := range ws {
		key, err := c.key(m, w.Key)
		if err != nil {
			results[i] = refused(w.ID, "", "%v", err)
			continue
		}
		company := ""
		for _, kf := range m.Key {
			if kf.Company {
				company = text(key[kf.FO])
			}
		}
		op := FOOp{Set: set, Key: key, IfMatch: w.ExpectedVersion}
		switch w.Op {
		case engine.OpDelete:
			op.Method = "DELETE"
		case engine.OpUpsert:
			body := make(map[string]engine.Value, len(w.Values)+len(key))
			bad := false
			for _, fv := range w.Values {
				v := fv.Value
				if f := fieldOf(m, plan.FO, fv.Field); f != nil && f.Lookup != nil {
					if v, err = c.refRaw(f.Lookup.Map, company, v); err != nil {
						results[i] = refused(w.ID, fv.Field, "%v", err)
						bad = true
						break
					}
				}
				body[fv.Field] = v
			}
			if bad {
				continue
			}
			op.Method, op.Body = "PATCH", body
			if w.Create {
				op.Method, op.IfMatch = "POST", ""
				for n, v := range key {
					body[n] = v
				}
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
			results[i] = failure(ws[i].ID, plan.FO, err)
		}
		return results
	}
	for j, a := range answers {
		i := at[j]
		w := ws[i]
		if a.Err != nil {
			results[i] = failure(w.ID, plan.FO, a.Err)
			continue
		}
		ack := engine.WriteAcked{WriteID: w.ID, NewVersion: a.Row.ETag, Modified: a.Row.Modified}
		if w.Op == engine.OpUpsert && !c.cfg.NoStored {
			ack.Stored = c.stored(m, w, a.Row)
		}
		results[i] = dsruntime.Ack(ack)
	}
	return results
}

// stored returns the written fields as the service stored them.
func (c *FOConnector) stored(m *plan.Map, w engine.Write, r Row) map[string]engine.Value {
	o := c.observe(m, r)
	out := make(map[string]engine.Value, len(w.Values))
	for _, fv := range w.Values {
		if v, ok := o.Values[fv.Field]; ok {
			out[fv.Field] = v
		}
	}
	return out
}

func isKey(m *plan.Map, foField string) bool {
	for _, k := range m.Key {
		if k.FO == foField {
			return true
		}
	}
	return false
}

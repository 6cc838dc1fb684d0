package odata

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// foCursor is the decoded F&O change cursor: the latest modified time
// returned (the mark) and a digest of the key and version of every row
// returned at exactly that instant. F&O stamps whole seconds, so many rows
// share the mark; the digests let the next poll, which reads again from
// the mark minus the overlap, skip them.
//
// Its text is "fo1 <mark RFC 3339> <digest>,<digest>,...", a digest being
// the first 8 bytes of SHA-256(key NUL version) in unpadded base64url: 11
// characters a row, so even a bulk import of 10,000 rows in one second
// keeps the cursor near 120 KB. "" reads from the beginning.
type foCursor struct {
	mark time.Time
	seen map[string]bool
}

func rowDigest(key, version string) string {
	h := sha256.Sum256([]byte(key + "\x00" + version))
	return base64.RawURLEncoding.EncodeToString(h[:8])
}

func (c foCursor) String() string {
	if c.mark.IsZero() {
		return ""
	}
	ds := make([]string, 0, len(c.seen))
	for d := range c.seen {
		ds = append(ds, d)
	}
	slices.Sort(ds)
	s := "fo1 " + c.mark.UTC().Format(time.RFC3339Nano)
	if len(ds) > 0 {
		s += " " + strings.Join(ds, ",")
	}
	return s
}

func parseFOCursor(s string) (foCursor, error) {
	c := foCursor{seen: map[string]bool{}}
	if s == "" {
		return c, nil
	}
	f := strings.Fields(s)
	if len(f) < 2 || len(f) > 3 || f[0] != "fo1" {
		return c, fmt.Errorf("F&O cursor %q: want \"fo1 <time> [<digest>,...]\"", truncate(s, 80))
	}
	t, err := time.Parse(time.RFC3339Nano, f[1])
	if err != nil {
		return c, fmt.Errorf("F&O cursor %q: %w", truncate(s, 80), err)
	}
	c.mark = t.UTC()
	if len(f) == 3 {
		for _, d := range strings.Split(f[2], ",") {
			if len(d) != 11 {
				return c, fmt.Errorf("F&O cursor %q: bad digest %q", truncate(s, 80), d)
			}
			c.seen[d] = true
		}
	}
	return c, nil
}

// add moves the cursor past an observation.
func (c *foCursor) add(o engine.Observed, version string) {
	switch {
	case o.Modified.After(c.mark):
		c.mark = o.Modified
		c.seen = map[string]bool{rowDigest(o.Key, version): true}
	case o.Modified.Equal(c.mark):
		c.seen[rowDigest(o.Key, version)] = true
	}
}

// foWindow remembers the rows returned inside the overlap window while the
// driver continues from the cursor Changes returned last, so that a window
// holding more rows than a page still makes progress. It is lost on
// restart: the window's rows are then returned once more, which the engine
// suppresses.
type foWindow struct {
	cursor string
	rows   map[string]winRow // by key
	bad    map[string]bool   // digests of rejected raw rows already reported
}

type winRow struct {
	version string
	mod     time.Time
}

// Changes polls m's entity set across companies for rows modified at or
// after the cursor's mark minus Config.Overlap, ordered by modified time
// and key, following server-driven paging, and returns up to limit rows
// not returned before. F&O OData cannot report deletes: Changes never
// returns one (see the package documentation).
func (c *FO) Changes(ctx context.Context, m *plan.Map, cursor string, limit int) (dsruntime.Page, error) {
	if m.FO.ModifiedField == "" {
		return dsruntime.Page{}, fmt.Errorf("fo %s: the plan names no modified-time field for %s", m.Name, m.FO.EntitySet)
	}
	cur, err := parseFOCursor(cursor)
	if err != nil {
		return dsruntime.Page{}, fmt.Errorf("%w: %v", dsruntime.ErrCursorExpired, err)
	}
	if limit <= 0 {
		limit = c.c.cfg.PageSize
	}
	set := m.FO.EntitySet
	c.mu.Lock()
	win := c.win[m.Name]
	c.mu.Unlock()
	if win == nil || win.cursor != cursor {
		win = &foWindow{rows: map[string]winRow{}, bad: map[string]bool{}}
	}

	order := []string{m.FO.ModifiedField + " asc"}
	for _, k := range m.Key {
		order = append(order, k.FO+" asc")
	}
	q := query{{"cross-company", "true"}}
	if !cur.mark.IsZero() {
		since := cur.mark.Add(-c.c.cfg.Overlap).Truncate(time.Second)
		q = q.add("$filter", m.FO.ModifiedField+" ge "+since.UTC().Format(time.RFC3339))
	}
	q = q.add("$select", foSelect(m)).add("$orderby", strings.Join(order, ","))
	size := min(foMaxPageSize, limit+len(cur.seen)+len(win.rows)+1)

	var out dsruntime.Page
	u := c.c.resolve(set) + "?" + q.encode()
	h := http.Header{}
scan:
	for first := true; ; first = false {
		var resp *response
		var err error
		if first {
			var prefer string
			resp, prefer, err = c.c.getPage(ctx, u, "", size)
			h.Set("Prefer", prefer)
		} else {
			resp, err = c.c.get(ctx, u, h)
		}
		if err != nil {
			return dsruntime.Page{}, fmt.Errorf("fo %s: %w", m.Name, err)
		}
		pg, err := parsePage(resp.body)
		if err != nil {
			return dsruntime.Page{}, fmt.Errorf("fo %s: %w", m.Name, err)
		}
		for _, raw := range pg.rows {
			o, rej := c.observe(m, raw)
			if rej == nil && o.Modified.IsZero() {
				r := reject(plan.FO, m, raw, o.Key, m.FO.ModifiedField, errors.New("modified time missing"))
				rej = &r
			}
			if rej != nil {
				d := rowDigest("", string(raw))
				if win.bad[d] {
					continue
				}
				if c.c.cfg.OnReject == nil {
					out.Rejected = append(out.Rejected, rej.page())
				} else {
					c.c.cfg.OnReject(*rej)
				}
				win.bad[d] = true
				continue
			}
			version := o.Version
			if version == "" {
				version = "raw:" + rowDigest("", string(raw))
			}
			if (o.Modified.Equal(cur.mark) && cur.seen[rowDigest(o.Key, version)]) || win.rows[o.Key].version == version {
				continue
			}
			if len(out.Rows) == limit {
				out.More = true
				break scan
			}
			out.Rows = append(out.Rows, o)
			cur.add(o, version)
			win.rows[o.Key] = winRow{version: version, mod: o.Modified}
		}
		if pg.next == "" {
			break
		}
		if u, err = c.c.link(pg.next); err != nil {
			return dsruntime.Page{}, fmt.Errorf("fo %s: %w", m.Name, err)
		}
	}
	floor := cur.mark.Add(-c.c.cfg.Overlap)
	for k, r := range win.rows {
		if r.mod.Before(floor) {
			delete(win.rows, k)
		}
	}
	out.Next = cur.String()
	if n := len(out.Rows); n > 0 {
		out.Rows[n-1].Token = out.Next
	}
	win.cursor = out.Next
	c.mu.Lock()
	c.win[m.Name] = win
	c.mu.Unlock()
	return out, nil
}

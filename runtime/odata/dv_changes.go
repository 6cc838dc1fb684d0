package odata

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// dvCursor is the decoded Dataverse change cursor: the link to follow,
// relative to the service root. Its text is "dv1 next <link>" while an
// initial or delta read is cut into pages (an @odata.nextLink with a
// $skiptoken) and "dv1 delta <link>" once a read is complete (the
// @odata.deltaLink with its $deltatoken). "" starts a change-tracking read
// of every current row.
type dvCursor struct {
	kind string // "next" or "delta"
	link string
}

func (c dvCursor) String() string {
	if c.link == "" {
		return ""
	}
	return "dv1 " + c.kind + " " + c.link
}

func parseDVCursor(s string) (dvCursor, error) {
	if s == "" {
		return dvCursor{}, nil
	}
	f := strings.SplitN(s, " ", 3)
	if len(f) != 3 || f[0] != "dv1" || (f[1] != "next" && f[1] != "delta") || f[2] == "" {
		return dvCursor{}, fmt.Errorf("Dataverse cursor %q: want \"dv1 next|delta <link>\"", truncate(s, 80))
	}
	return dvCursor{kind: f[1], link: f[2]}, nil
}

// Changes reads m's table with change tracking: from the beginning (every
// current row) when cursor is "", else from the cursor's link. Each call
// reads one page of at most limit rows (Prefer: odata.maxpagesize). Deleted
// rows, which Dataverse names by id only, are returned under the key the
// id cache knows; one it does not know is logged and skipped. A delta
// token Dataverse no longer accepts fails with an error wrapping
// dsruntime.ErrCursorExpired.
func (c *DV) Changes(ctx context.Context, m *plan.Map, cursor string, limit int) (dsruntime.Page, error) {
	cur, err := parseDVCursor(cursor)
	if err != nil {
		return dsruntime.Page{}, fmt.Errorf("%w: %v", dsruntime.ErrCursorExpired, err)
	}
	if limit <= 0 {
		limit = c.c.cfg.PageSize
	}
	set := m.DV.EntitySet
	var u string
	if cur.link == "" {
		u = c.c.resolve(set) + "?" + query{{"$select", dvSelect(m)}}.encode()
	} else if u, err = c.c.link(cur.link); err != nil {
		return dsruntime.Page{}, fmt.Errorf("%w: %v", dsruntime.ErrCursorExpired, err)
	}
	size := min(limit, dvMaxPageSize)
	var resp *response
	if cur.kind == "next" {
		// A paged read goes on with its page size.
		h := http.Header{}
		h.Set("Prefer", "odata.track-changes,odata.maxpagesize="+strconv.Itoa(size))
		resp, err = c.c.get(ctx, u, h)
	} else {
		resp, _, err = c.c.getPage(ctx, u, "odata.track-changes,", size)
	}
	if err != nil {
		if cur.link != "" && expiredCursor(err, cur.kind) {
			return dsruntime.Page{}, fmt.Errorf("dv %s: %w: %v", m.Name, dsruntime.ErrCursorExpired, err)
		}
		return dsruntime.Page{}, fmt.Errorf("dv %s: %w", m.Name, err)
	}
	pg, err := parsePage(resp.body)
	if err != nil {
		return dsruntime.Page{}, fmt.Errorf("dv %s: %w", m.Name, err)
	}
	var out dsruntime.Page
	switch {
	case pg.next != "":
		abs, err := c.c.link(pg.next)
		if err != nil {
			return dsruntime.Page{}, fmt.Errorf("dv %s: %w", m.Name, err)
		}
		out.Next, out.More = dvCursor{kind: "next", link: c.c.relative(abs)}.String(), true
	case pg.delta != "":
		abs, err := c.c.link(pg.delta)
		if err != nil {
			return dsruntime.Page{}, fmt.Errorf("dv %s: %w", m.Name, err)
		}
		out.Next = dvCursor{kind: "delta", link: c.c.relative(abs)}.String()
	default:
		return dsruntime.Page{}, fmt.Errorf("dv %s: the answer has neither @odata.nextLink nor @odata.deltaLink: is change tracking enabled for table %s?", m.Name, m.DV.Table)
	}
	for _, raw := range pg.rows {
		r, err := decodeRow(raw)
		if err == nil {
			if id, deleted := r.deletedID(); deleted {
				key, known := c.ids.Key(set, id)
				if !known {
					c.c.log.Warn("deleted row not known by id; its delete is left to a full re-read", "map", m.Name, "id", id)
					continue
				}
				c.ids.Forget(set, id)
				out.Rows = append(out.Rows, engine.Observed{Side: plan.DV, Map: m.Name, Key: key, Deleted: true})
				continue
			}
		}
		o, rej, err := c.observe(ctx, m, raw, true)
		if err != nil {
			return dsruntime.Page{}, fmt.Errorf("dv %s: %w", m.Name, err)
		}
		if rej != nil {
			if c.c.cfg.OnReject == nil {
				out.Rejected = append(out.Rejected, rej.page())
				continue
			}
			c.c.cfg.OnReject(*rej)
			continue
		}
		out.Rows = append(out.Rows, o)
	}
	if n := len(out.Rows); n > 0 {
		out.Rows[n-1].Token = out.Next
	}
	return out, nil
}

// expiredCursor reports whether following a cursor of kind failed because
// the service no longer accepts it. Dataverse answers an expired delta
// token with a 4xx whose message asks for a full sync; a stale $skiptoken
// of a paged read is refused with a 4xx too.
func expiredCursor(err error, kind string) bool {
	var se *dsruntime.ServiceError
	if !errors.As(err, &se) || se.Network {
		return false
	}
	switch se.Status {
	case 400, 404, 410, 422:
	default:
		return false
	}
	if kind == "next" || se.Status == 410 {
		return true
	}
	text := strings.ToLower(se.Code + " " + se.Message + " " + se.InnerMessage)
	for _, s := range []string{"expired", "full sync", "deltatoken", "delta token", "version stamp"} {
		if strings.Contains(text, s) {
			return true
		}
	}
	return false
}

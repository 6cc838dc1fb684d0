package runtime

import (
	"context"
	"errors"
	"fmt"

	"github.com/dualsync/dualsync/runtime/engine"
)

// Poll reads one page of changes from every feed, in plan stage order (F&O
// before Dataverse within a map), and steps its rows into the engine. It
// returns the number of rows stepped. Rows a connector could not read
// (Page.Rejected) are stepped as engine.ObserveFailed: they end in the
// error queue with their raw payload. A connector that fails is counted in
// Stats.PollErrors and its feed is read again from the same cursor on the
// next Poll; an expired cursor makes the feed start again from the
// beginning. Only engine errors (a row the engine refuses) and the
// context's end are returned.
func (d *Driver) Poll(ctx context.Context) (int, error) {
	if d.broken != nil {
		return 0, d.broken
	}
	d.stats.Polls++
	n := 0
	for _, f := range d.feeds {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		k, err := d.pollFeed(ctx, f)
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (d *Driver) pollFeed(ctx context.Context, f *feed) (int, error) {
	conn := d.conns[f.side]
	if f.cursor == "" && f.seen == nil {
		f.seen = map[string]bool{}
	}
	page, err := conn.Changes(ctx, f.m, f.cursor, d.cfg.PageSize)
	if err != nil && f.cursor != "" && errors.Is(err, ErrCursorExpired) {
		d.stats.CursorResets++
		d.trace(TraceEvent{Kind: "cursor-reset", Side: f.side, Map: f.m.Name, Err: err.Error()})
		f.cursor = ""
		f.seen = map[string]bool{}
		page, err = conn.Changes(ctx, f.m, "", d.cfg.PageSize)
	}
	if err != nil {
		d.stats.PollErrors++
		f.more = false
		d.trace(TraceEvent{Kind: "poll-error", Side: f.side, Map: f.m.Name, Err: err.Error()})
		return 0, nil
	}
	d.stats.Pages++
	for i := range page.Rows {
		o := &page.Rows[i]
		f.seq++
		o.Seq, o.Side, o.Map = f.seq, f.side, f.m.Name
	}
	d.trace(TraceEvent{Kind: "page", Side: f.side, Map: f.m.Name, Page: &page})
	var missing []string
	var resume string
	if f.seen != nil {
		for _, o := range page.Rows {
			if !o.Deleted {
				f.seen[o.Key] = true
			}
		}
		for _, r := range page.Rejected {
			f.seen[r.Key] = true
		}
		if !page.More {
			missing = d.unlisted(f)
		}
		if n := len(page.Rows); n > 0 && len(missing) > 0 {
			// The cursor after the full read goes with the reconcile.
			resume, page.Rows[n-1].Token = page.Rows[n-1].Token, ""
		}
	}
	for i, o := range page.Rows {
		if err := d.eng.Observe(o); err != nil {
			// The rest of the page is read again from the old cursor.
			return i, fmt.Errorf("poll %s %s: %w", f.side, f.m.Name, err)
		}
	}
	for _, r := range page.Rejected {
		ev := engine.ObserveFailed{Side: f.side, Map: f.m.Name, Key: r.Key, Field: r.Field, Message: r.Reason, Raw: r.Raw}
		if err := d.eng.Step(ev); err != nil {
			// The whole page is read again from the old cursor.
			return len(page.Rows), fmt.Errorf("poll %s %s: rejected row: %w", f.side, f.m.Name, err)
		}
	}
	d.stats.Rows += int64(len(page.Rows))
	d.stats.Rejected += int64(len(page.Rejected))
	if page.Next != "" {
		f.cursor = page.Next
	}
	f.more = page.More
	if len(missing) > 0 {
		return len(page.Rows), d.reconcile(ctx, f, missing, resume)
	}
	return len(page.Rows), nil
}

// unlisted ends a full read of a feed (its first read, or the read after
// an expired cursor): it returns the records the engine knows on the
// feed's side that the read did not list.
func (d *Driver) unlisted(f *feed) []string {
	seen := f.seen
	f.seen = nil
	var missing []string
	for _, key := range d.eng.Existing(f.m.Name, f.side) {
		if !seen[key] {
			missing = append(missing, key)
		}
	}
	return missing
}

// reconcile reads by key the records a full read did not list: a full read
// lists the rows that exist but not the deletes made before it, so a record
// that is gone comes back deleted and the engine handles the delete as the
// plan says.
//
// The reads are part of the feed: they take its next sequence numbers, and
// the last one carries resume, the cursor after the full read, so that the
// persisted cursor only moves past the full read once everything it found
// is settled; a crash before then reads it all again. When a read fails,
// no row carries the cursor, and the next run reads in full again.
func (d *Driver) reconcile(ctx context.Context, f *feed, missing []string, resume string) error {
	d.trace(TraceEvent{Kind: "reconcile", Side: f.side, Map: f.m.Name, Err: fmt.Sprintf("%d known records not listed", len(missing))})
	conn := d.conns[f.side]
	for i, key := range missing {
		o, err := conn.Read(ctx, f.m, key)
		if err != nil {
			d.stats.ReadErrors++
			resume = ""
			continue
		}
		f.seq++
		o.Side, o.Map, o.Key, o.Seq, o.Token = f.side, f.m.Name, key, f.seq, ""
		if i == len(missing)-1 {
			o.Token = resume
		}
		if err := d.eng.Observe(o); err != nil {
			return fmt.Errorf("reconcile %s %s %s: %w", f.side, f.m.Name, key, err)
		}
	}
	return nil
}

// backlog reports whether a feed said more changes are ready.
func (d *Driver) backlog() bool {
	for _, f := range d.feeds {
		if f.more {
			return true
		}
	}
	return false
}

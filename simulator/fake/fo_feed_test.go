package fake

import (
	"fmt"
	"strings"
	"testing"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
)

// foFeed polls the customer feed of a new F&O through its own adapter.
type foFeed struct {
	tb    testing.TB
	s     *FO
	clock *Clock
	c     *FOConnector
}

func newFOFeed(tb testing.TB) *foFeed {
	s, clock := newFO(tb, Config{})
	return &foFeed{tb: tb, s: s, clock: clock, c: NewFOConnector(s, s.plan, ConnectorConfig{})}
}

func (f *foFeed) put(key string, kv ...any) Row {
	f.tb.Helper()
	return must[Row](f.tb)(f.s.Put("CustomersV3", key, vals(kv...)))
}

func (f *foFeed) del(key string) {
	f.tb.Helper()
	if err := f.s.Delete("CustomersV3", key); err != nil {
		f.tb.Fatal(err)
	}
}

func (f *foFeed) poll(c *FOConnector, cursor string) dsruntime.Page {
	f.tb.Helper()
	return must[dsruntime.Page](f.tb)(c.Changes(ctx, f.s.plan.MapByName("customer"), cursor, 100))
}

// A record deleted and created again in the same second has two versions
// at one instant: each is reported once, the delete first, and then the
// feed is quiet (it used to remember one version per key and report both
// again on every poll, the delete after the recreation).
func TestFOFeedRecreateInOneSecond(t *testing.T) {
	f := newFOFeed(t)
	f.put("usmf|C1", "OrganizationName", "A")
	p1 := f.poll(f.c, "")
	if got := keysOf(p1.Rows); got != "usmf|C1" {
		t.Fatalf("first read: %q", got)
	}
	f.del("usmf|C1")
	f.put("usmf|C1", "OrganizationName", "B")
	p2 := f.poll(f.c, p1.Next)
	if got := keysOf(p2.Rows); got != "-usmf|C1 usmf|C1" {
		t.Fatalf("delete and recreation: %q, want the delete, then the new record", got)
	}
	if v := p2.Rows[1].Values["OrganizationName"]; !v.Equal(engine.String("B")) {
		t.Errorf("recreated record reads %s", v)
	}
	next := p2.Next
	for i := range 3 {
		p := f.poll(f.c, next)
		if len(p.Rows) != 0 {
			t.Fatalf("poll %d after the recreation: %q, want nothing", i+1, keysOf(p.Rows))
		}
		next = p.Next
	}
	// The cursor alone (a restarted adapter) knows both versions too.
	if p := f.poll(NewFOConnector(f.s, f.s.plan, ConnectorConfig{}), p2.Next); len(p.Rows) != 0 {
		t.Errorf("restarted from the cursor: %q, want nothing", keysOf(p.Rows))
	}
	if !strings.Contains(p2.Next, `usmf%7CC1=W%2F%222%22`) || !strings.Contains(p2.Next, `usmf%7CC1=W%2F%223%22`) {
		t.Errorf("cursor %q does not hold both versions of usmf|C1", p2.Next)
	}
}

// Rows of one second come in the order they were written, across keys,
// and a page cut in the middle of a second continues there.
func TestFOFeedModificationOrder(t *testing.T) {
	f := newFOFeed(t)
	f.put("usmf|C3")
	f.put("usmf|C1")
	f.put("usmf|C2")
	f.del("usmf|C1")
	f.put("usmf|C1")
	c := f.c
	m := f.s.plan.MapByName("customer")
	var got []string
	cursor := ""
	for range 10 {
		p := must[dsruntime.Page](t)(c.Changes(ctx, m, cursor, 1))
		got = append(got, keysOf(p.Rows))
		cursor = p.Next
		if !p.More {
			break
		}
	}
	// The first read reports the current records and the deletes of its
	// window, in the order they happened.
	if s := strings.Join(got, " "); s != "usmf|C3 usmf|C2 -usmf|C1 usmf|C1" {
		t.Errorf("pages: %q", s)
	}
	// A poll sees each record's latest version: C2's edit is gone with it.
	f.clock.Advance(time.Second)
	f.put("usmf|C2", "OrganizationName", "x")
	f.put("usmf|C3", "OrganizationName", "y")
	f.put("usmf|C1", "OrganizationName", "z")
	f.del("usmf|C2")
	if p := f.poll(c, cursor); keysOf(p.Rows) != "usmf|C3 usmf|C1 -usmf|C2" {
		t.Errorf("later changes: %q", keysOf(p.Rows))
	}
}

// The first read leaves a mark: a record created and deleted after it is
// reported as deleted, even when the first read found nothing and this
// feed never saw the record (the engine may have created it). Like every
// poll, the first read reports the deletes of its overlap window (an
// engine restarted from an empty cursor may know those records), not
// older ones.
func TestFOFeedDeletesAfterFirstRead(t *testing.T) {
	f := newFOFeed(t)
	f.put("usmf|OLD")
	f.del("usmf|OLD")
	f.clock.Advance(2 * time.Minute)
	f.put("usmf|C0")
	f.clock.Advance(20 * time.Second)
	f.del("usmf|C0")
	p1 := f.poll(f.c, "")
	if got := keysOf(p1.Rows); got != "-usmf|C0" || p1.Next == "" {
		t.Fatalf("first read: %q, cursor %q; want the delete of its window and a cursor", got, p1.Next)
	}
	// The engine creates a record; a user deletes it before the next poll.
	must[Row](t)(f.s.API().Create("CustomersV3", vals("dataAreaId", "usmf", "CustomerAccount", "C1")))
	f.del("usmf|C1")
	p2 := f.poll(f.c, p1.Next)
	if got := keysOf(p2.Rows); got != "-usmf|C1" {
		t.Fatalf("after the first read: %q, want -usmf|C1", got)
	}
	if p := f.poll(f.c, p2.Next); len(p.Rows) != 0 {
		t.Errorf("again: %q", keysOf(p.Rows))
	}
	// A restarted adapter resuming from the first read's cursor.
	again := f.poll(NewFOConnector(f.s, f.s.plan, ConnectorConfig{}), p1.Next)
	if got := keysOf(again.Rows); got != "-usmf|C1" {
		t.Errorf("restarted from the first read's cursor: %q, want -usmf|C1", got)
	}
	// A first read that finds nothing at all still leaves a mark.
	g := newFOFeed(t)
	q1 := g.poll(g.c, "")
	if len(q1.Rows) != 0 || q1.Next == "" {
		t.Fatalf("first read of an empty set: %q, cursor %q", keysOf(q1.Rows), q1.Next)
	}
	must[Row](t)(g.s.API().Create("CustomersV3", vals("dataAreaId", "usmf", "CustomerAccount", "C1")))
	g.del("usmf|C1")
	if got := keysOf(g.poll(g.c, q1.Next).Rows); got != "-usmf|C1" {
		t.Errorf("after an empty first read: %q, want -usmf|C1", got)
	}
}

func TestFOCursorRoundTrip(t *testing.T) {
	for _, s := range []string{
		"",
		"fo1 2025-01-01T00:00:00Z",
		"fo1 2025-01-01T00:00:05Z a%21b=W%2F%227%22 usmf%7CC1=W%2F%222%22 usmf%7CC1=W%2F%223%22",
	} {
		c, err := parseFOCursor(s)
		if err != nil {
			t.Errorf("%q: %v", s, err)
			continue
		}
		if got := c.String(); got != s {
			t.Errorf("round trip:\n got %q\nwant %q", got, s)
		}
	}
	for _, s := range []string{"fo1", "fo2 2025-01-01T00:00:00Z", "fo1 2025-01-01T00:00:00Z k", "fo1 2025-01-01T00:00:00Z k=v", "fo1 yesterday"} {
		if _, err := parseFOCursor(s); err == nil {
			t.Errorf("%q parsed", s)
		}
	}
}

// A poll that finds nothing new in a busy overlap window copies none of
// the rows it skips: it used to list and copy every row of the window and
// throw them away.
func TestFOFeedSkipsSeenRowsWithoutCopying(t *testing.T) {
	f := newFOFeed(t)
	for i := range 300 {
		f.put(fmt.Sprintf("usmf|C%03d", i), "OrganizationName", "x")
		if i%10 == 9 {
			f.clock.Advance(time.Second)
		}
	}
	m := f.s.plan.MapByName("customer")
	cursor := ""
	for {
		p := must[dsruntime.Page](t)(f.c.Changes(ctx, m, cursor, 1000))
		cursor = p.Next
		if len(p.Rows) == 0 {
			break
		}
	}
	allocs := testing.AllocsPerRun(20, func() {
		p, err := f.c.Changes(ctx, m, cursor, 1000)
		if err != nil || len(p.Rows) != 0 {
			t.Fatalf("poll: %d rows, %v", len(p.Rows), err)
		}
	})
	// Copying one row takes a few allocations; 300 rows are in the window.
	if allocs > 100 {
		t.Errorf("a poll with nothing new took %.0f allocations, want no copies of the 300 rows it skips", allocs)
	}
}

func BenchmarkFOFeedPoll(b *testing.B) {
	f := newFOFeed(b)
	for i := range 300 {
		f.put(fmt.Sprintf("usmf|C%03d", i), "OrganizationName", "x")
		if i%10 == 9 {
			f.clock.Advance(time.Second)
		}
	}
	m := f.s.plan.MapByName("customer")
	cursor := ""
	for {
		p := must[dsruntime.Page](b)(f.c.Changes(ctx, m, cursor, 1000))
		cursor = p.Next
		if len(p.Rows) == 0 {
			break
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.c.Changes(ctx, m, cursor, 1000); err != nil {
			b.Fatal(err)
		}
	}
}

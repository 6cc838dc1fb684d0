package storetest

import (
	"errors"
	"testing"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/runtime/store"
)

func testEmpty(t *testing.T, h *harness) {
	s := h.new(t)
	st := load(t, s)
	same(t, "state of a new store", st, engine.State{
		Version:    engine.StateVersion,
		Records:    []engine.RecordState{},
		Errors:     []engine.ErrorEntry{},
		Watermarks: []engine.Watermark{},
	})
	same(t, "errors of a new store", list(t, s, store.ErrorFilter{States: store.AllStatuses()}), []store.ErrorRecord{})
	same(t, "conflicts of a new store", conflicts(t, s, store.ConflictFilter{}), []store.ConflictRecord{})
	same(t, "requests of a new store", requests(t, s), []store.Request{})
	info, err := s.Info(ctx(t))
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if info.Schema < 1 || info.StateVersion != engine.StateVersion || info.PlanDigest != "" || info.Location == "" {
		t.Errorf("Info of a new store = %+v; want a schema, state version %d, a location and no plan", info, engine.StateVersion)
	}
	// An empty batch is fine and changes nothing.
	apply(t, s, store.Batch{})
	same(t, "state after an empty batch", load(t, s), st)
}

func testRecords(t *testing.T, h *harness) {
	s := h.new(t)
	b := record("customers", "USMF|C002", "v1")
	a := record("customers", "USMF|C001", "v1")
	c := tombstoned("contacts", "K9")
	p := plainRecord("customers", "USMF|C003", "v1")
	covers(t, "record", a)
	apply(t, s, store.Batch{Records: []engine.RecordState{b, a, c, p}})
	// Load orders records by map, then key.
	same(t, "records", load(t, s).Records, []engine.RecordState{c, a, b, p})

	// An upsert replaces the whole state: fields that are gone stay gone.
	a2 := plainRecord("customers", "USMF|C001", "v2")
	c2 := c
	c2.Tombstone = nil
	c2.DV.Version = "4"
	apply(t, s, store.Batch{Records: []engine.RecordState{a2, c2}})
	same(t, "records after upserts", load(t, s).Records, []engine.RecordState{c2, a2, b, p})

	// The same key in two maps is two records.
	o := plainRecord("vendors", "USMF|C001", "x")
	apply(t, s, store.Batch{Records: []engine.RecordState{o}})
	same(t, "records after another map", load(t, s).Records, []engine.RecordState{c2, a2, b, p, o})

	// The last state of a record in one batch wins.
	apply(t, s, store.Batch{Records: []engine.RecordState{plainRecord("vendors", "USMF|C001", "y"), plainRecord("vendors", "USMF|C001", "z")}})
	if got := load(t, s).Records[4].FO.Version; got != "z" {
		t.Errorf("record upserted twice in one batch has version %q; want the last one, z", got)
	}
}

func testDeleteRecords(t *testing.T, h *harness) {
	s := h.new(t)
	a, b := plainRecord("m", "a", "1"), plainRecord("m", "b", "1")
	apply(t, s, store.Batch{Records: []engine.RecordState{a, b}})
	apply(t, s, store.Batch{DeleteRecords: []store.RecordKey{{Map: "m", Key: "a"}, {Map: "m", Key: "unknown"}}})
	same(t, "records after a delete", load(t, s).Records, []engine.RecordState{b})
	// Deletes come before upserts within a batch.
	a2 := plainRecord("m", "a", "2")
	apply(t, s, store.Batch{DeleteRecords: []store.RecordKey{{Map: "m", Key: "a"}}, Records: []engine.RecordState{a2}})
	same(t, "records after delete and upsert of one key", load(t, s).Records, []engine.RecordState{a2, b})
}

func testWatermarks(t *testing.T, h *harness) {
	s := h.new(t)
	apply(t, s, store.Batch{Watermarks: []engine.Watermark{
		{Map: "customers", Side: plan.DV, Seq: 7, Token: "https://org.example/api/data/v9.2/accounts?$deltatoken=919042%2108%2f22%2f2017"},
		{Map: "customers", Side: plan.FO, Seq: 3},
		{Map: "contacts", Side: plan.FO, Seq: 1, Token: "2025-03-14T09:26:53.5897932Z"},
	}})
	want := []engine.Watermark{
		{Map: "contacts", Side: plan.FO, Seq: 1, Token: "2025-03-14T09:26:53.5897932Z"},
		{Map: "customers", Side: plan.DV, Seq: 7, Token: "https://org.example/api/data/v9.2/accounts?$deltatoken=919042%2108%2f22%2f2017"},
		{Map: "customers", Side: plan.FO, Seq: 3},
	}
	same(t, "watermarks", load(t, s).Watermarks, want)
	// Set by map and side; a later token replaces the earlier, also with
	// an empty one.
	apply(t, s, store.Batch{Watermarks: []engine.Watermark{{Map: "customers", Side: plan.DV, Seq: 9, Token: ""}}})
	want[1] = engine.Watermark{Map: "customers", Side: plan.DV, Seq: 9}
	same(t, "watermarks after a move", load(t, s).Watermarks, want)
}

func testNextID(t *testing.T, h *harness) {
	s := h.new(t)
	apply(t, s, store.Batch{NextID: 41})
	if got := load(t, s).NextID; got != 41 {
		t.Errorf("NextID = %d; want 41", got)
	}
	// Zero means "not set": the counter stays.
	apply(t, s, store.Batch{Records: []engine.RecordState{plainRecord("m", "k", "1")}})
	if got := load(t, s).NextID; got != 41 {
		t.Errorf("NextID after a batch without one = %d; want 41", got)
	}
	apply(t, s, store.Batch{NextID: 1 << 63})
	if got := load(t, s).NextID; got != 1<<63 {
		t.Errorf("NextID = %d; want %d", got, uint64(1<<63))
	}
}

// testSent: the intents of updates out (Batch.Sent) replace both sides'
// Sent lists of a stored record and leave the rest of it alone; a record
// upserted after them holds only its own; an intent of a record not
// stored fails the batch, which then changes nothing.
func testSent(t *testing.T, h *harness) {
	s := h.new(t)
	a := record("customers", "USMF|C001", "v1")
	p := plainRecord("customers", "USMF|C002", "v1")
	fo := []engine.SentValue{{Field: "Name", Value: engine.String("Contoso Ltd"), Source: engine.String("Contoso  Ltd")}}
	// A record and its intent in one batch.
	apply(t, s, store.Batch{Records: []engine.RecordState{a, p}, Sent: []engine.RecordSent{{Map: p.Map, Key: p.Key, FO: fo}}})
	p1 := p
	p1.FO.Sent = fo
	same(t, "records after a new record and its intent", load(t, s).Records, []engine.RecordState{a, p1})

	// An intent of a stored record replaces both lists.
	apply(t, s, store.Batch{Sent: []engine.RecordSent{{Map: a.Map, Key: a.Key, DV: fo}}})
	a1 := a
	a1.FO.Sent, a1.DV.Sent = nil, fo
	same(t, "records after an intent", load(t, s).Records, []engine.RecordState{a1, p1})

	// An upsert writes the whole state: the intent it does not hold is gone.
	apply(t, s, store.Batch{Records: []engine.RecordState{p}})
	same(t, "records after an upsert", load(t, s).Records, []engine.RecordState{a1, p})

	// An intent with no fields clears them.
	apply(t, s, store.Batch{Sent: []engine.RecordSent{{Map: a.Map, Key: a.Key}}})
	a2 := a
	a2.FO.Sent, a2.DV.Sent = nil, nil
	same(t, "records after an empty intent", load(t, s).Records, []engine.RecordState{a2, p})

	// An intent of a record not stored fails the whole batch.
	before := load(t, s)
	err := s.Apply(ctx(t), store.Batch{
		Records: []engine.RecordState{plainRecord("customers", "USMF|C003", "v1")},
		Sent:    []engine.RecordSent{{Map: "customers", Key: "USMF|C404", FO: fo}},
	})
	if !errors.Is(err, store.ErrNoRecord) {
		t.Fatalf("Apply of an intent of a record not stored: %v; want an error wrapping ErrNoRecord", err)
	}
	same(t, "state after the failed batch", load(t, s), before)
}

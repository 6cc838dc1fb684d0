package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/runtime/store"
)

// seed gives a store something of every kind.
func seed(t *testing.T, s store.Store) {
	t.Helper()
	apply(t, s, store.Batch{
		Records:    []engine.RecordState{record("customers", "A", "1"), plainRecord("customers", "B", "1")},
		Errors:     []engine.ErrorEntry{entry("e1", "customers", "A", engine.Plugin), plainEntry("e2", "customers", "B", engine.Validation)},
		Conflicts:  []engine.Conflict{conflict("customers", "A", "Name", 1)},
		Watermarks: []engine.Watermark{{Map: "customers", Side: plan.FO, Seq: 1, Token: "t1"}},
		NextID:     5,
	})
	if _, err := s.RetryError(ctx(t), "e2"); err != nil {
		t.Fatal(err)
	}
}

// validBatch changes every kind of thing seed made.
func validBatch() store.Batch {
	return store.Batch{
		DeleteRecords: []store.RecordKey{{Map: "customers", Key: "B"}},
		Records:       []engine.RecordState{plainRecord("customers", "A", "2"), plainRecord("customers", "C", "1")},
		Errors:        []engine.ErrorEntry{plainEntry("e1", "customers", "A", engine.Transient), plainEntry("e3", "customers", "C", engine.Validation)},
		Resolved:      []string{"e2"},
		Conflicts:     []engine.Conflict{conflict("customers", "C", "Name", 2)},
		Watermarks:    []engine.Watermark{{Map: "customers", Side: plan.FO, Seq: 2, Token: "t2"}, {Map: "customers", Side: plan.DV, Seq: 1}},
		NextID:        9,
	}
}

// testAtomicApply applies batches that are valid up to their last item of
// one kind, and checks that nothing of them was applied. Items are applied
// in the order Batch documents, so each invalid item comes after valid
// writes of every earlier kind.
func testAtomicApply(t *testing.T, h *harness) {
	cases := []struct {
		name  string
		spoil func(*store.Batch)
	}{
		{"record to delete without key", func(b *store.Batch) {
			b.DeleteRecords = append(b.DeleteRecords, store.RecordKey{Map: "customers"})
		}},
		{"record without key", func(b *store.Batch) {
			b.Records = append(b.Records, engine.RecordState{Map: "customers"})
		}},
		{"record with a bad tombstone side", func(b *store.Batch) {
			r := plainRecord("customers", "Z", "1")
			r.Tombstone = &engine.Tombstone{Side: "crm", Action: plan.Propagate}
			b.Records = append(b.Records, r)
		}},
		{"error entry without ID", func(b *store.Batch) {
			b.Errors = append(b.Errors, plainEntry("", "customers", "Z", engine.Validation))
		}},
		{"error entry with a bad side", func(b *store.Batch) {
			e := plainEntry("e9", "customers", "Z", engine.Validation)
			e.Side = "both"
			b.Errors = append(b.Errors, e)
		}},
		{"resolved with an empty ID", func(b *store.Batch) {
			b.Resolved = append(b.Resolved, "")
		}},
		{"conflict without map", func(b *store.Batch) {
			b.Conflicts = append(b.Conflicts, conflict("", "Z", "Name", 3))
		}},
		{"conflict with a bad winner", func(b *store.Batch) {
			c := conflict("customers", "Z", "Name", 3)
			c.Winner = "nobody"
			b.Conflicts = append(b.Conflicts, c)
		}},
		{"intent of updates without a key", func(b *store.Batch) {
			b.Sent = append(b.Sent, engine.RecordSent{Map: "customers", FO: []engine.SentValue{{Field: "Name", Value: engine.String("x")}}})
		}},
		{"watermark with a bad side", func(b *store.Batch) {
			b.Watermarks = append(b.Watermarks, engine.Watermark{Map: "customers", Side: "x", Seq: 3})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := h.new(t)
			seed(t, s)
			before := snap(t, s)
			b := validBatch()
			tc.spoil(&b)
			err := s.Apply(ctx(t), b)
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("Apply of an invalid batch: %v; want an error wrapping ErrInvalid", err)
			}
			same(t, "store after a failed batch", snap(t, s), before)
			// The store still works, and the valid batch applies whole.
			apply(t, s, validBatch())
			st := load(t, s)
			if len(st.Records) != 2 || st.NextID != 9 || len(st.Watermarks) != 2 || len(st.Errors) != 2 {
				t.Errorf("after the valid batch: %d records, next ID %d, %d watermarks, %d open errors; want 2, 9, 2, 2",
					len(st.Records), st.NextID, len(st.Watermarks), len(st.Errors))
			}
			if got := get(t, s, "e2").State; got != store.Retried {
				t.Errorf("e2 after the valid batch is %q; want retried", got)
			}
		})
	}
}

func testCanceledContext(t *testing.T, h *harness) {
	s := h.new(t)
	seed(t, s)
	before := snap(t, s)
	c, cancel := context.WithCancel(ctx(t))
	cancel()
	if err := s.Apply(c, validBatch()); err == nil {
		t.Errorf("Apply with a canceled context succeeded")
	}
	if _, err := s.RetryError(c, "e1"); err == nil {
		t.Errorf("RetryError with a canceled context succeeded")
	}
	if _, err := s.Load(c); err == nil {
		t.Errorf("Load with a canceled context succeeded")
	}
	same(t, "store after canceled writes", snap(t, s), before)
}

// testConcurrentReads applies batches that each move every record of a map
// to the next generation, with the watermark and ID counter, while readers
// load the state: every read must see one whole generation.
func testConcurrentReads(t *testing.T, h *harness) {
	s := h.new(t)
	const gens, recs, readers = 25, 40, 4
	batch := func(g int) store.Batch {
		b := store.Batch{
			Watermarks: []engine.Watermark{{Map: "m", Side: plan.FO, Seq: int64(g), Token: fmt.Sprint(g)}},
			Errors:     []engine.ErrorEntry{plainEntry(fmt.Sprintf("g%d", g), "m", "k0", engine.Transient)},
			Conflicts:  []engine.Conflict{conflict("m", "k0", "Name", g)},
			NextID:     uint64(g),
		}
		for i := range recs {
			b.Records = append(b.Records, plainRecord("m", fmt.Sprintf("k%02d", i), fmt.Sprint(g)))
		}
		return b
	}
	done := make(chan struct{})
	var wg, started sync.WaitGroup
	started.Add(readers)
	for range readers {
		wg.Go(func() {
			for first := true; ; first = false {
				st, err := s.Load(ctx(t))
				if first {
					started.Done()
				}
				if err != nil {
					t.Errorf("Load during writes: %v", err)
					return
				}
				if msg := wholeGeneration(st, recs); msg != "" {
					t.Errorf("Load saw part of a batch: %s", msg)
					return
				}
				if _, err := s.ListErrors(ctx(t), store.ErrorFilter{Map: "m"}); err != nil {
					t.Errorf("ListErrors during writes: %v", err)
					return
				}
				if _, err := s.Conflicts(ctx(t), store.ConflictFilter{Map: "m"}); err != nil {
					t.Errorf("Conflicts during writes: %v", err)
					return
				}
				select {
				case <-done:
					return
				default:
				}
			}
		})
	}
	// The writer starts once every reader is reading.
	started.Wait()
	for g := 1; g <= gens; g++ {
		if err := s.Apply(ctx(t), batch(g)); err != nil {
			t.Errorf("Apply of generation %d: %v", g, err)
			break
		}
	}
	close(done)
	wg.Wait()
	if st := load(t, s); wholeGeneration(st, recs) != "" || st.NextID != gens {
		t.Errorf("final state is not generation %d", gens)
	}
}

// wholeGeneration returns "" when st is generation 0 (empty) or one whole
// generation g: every record at version g, the watermark at g, the counter
// at g, and g error entries.
func wholeGeneration(st engine.State, recs int) string {
	g := int(st.NextID)
	if g == 0 {
		if len(st.Records)+len(st.Watermarks)+len(st.Errors) != 0 {
			return "records, watermarks or errors without a counter"
		}
		return ""
	}
	if len(st.Records) != recs {
		return fmt.Sprintf("generation %d with %d records", g, len(st.Records))
	}
	for _, r := range st.Records {
		if r.FO.Version != fmt.Sprint(g) {
			return fmt.Sprintf("generation %d with record %s at version %s", g, r.Key, r.FO.Version)
		}
	}
	if len(st.Watermarks) != 1 || st.Watermarks[0].Seq != int64(g) {
		return fmt.Sprintf("generation %d with watermarks %+v", g, st.Watermarks)
	}
	if len(st.Errors) != g {
		return fmt.Sprintf("generation %d with %d error entries", g, len(st.Errors))
	}
	return ""
}

// testConcurrentRequests makes requests while batches are applied: both
// are writes, and none may be lost.
func testConcurrentRequests(t *testing.T, h *harness) {
	s := h.new(t)
	const n = 30
	ids := make(chan string, n)
	var wg sync.WaitGroup
	wg.Go(func() {
		for id := range ids {
			if _, err := s.RetryError(ctx(t), id); err != nil {
				t.Errorf("RetryError(%s) during writes: %v", id, err)
			}
		}
	})
	for i := range n {
		id := fmt.Sprintf("e%d", i)
		err := s.Apply(ctx(t), store.Batch{
			Errors:  []engine.ErrorEntry{plainEntry(id, "m", id, engine.Validation)},
			Records: []engine.RecordState{plainRecord("m", id, "1")},
		})
		if err != nil {
			t.Errorf("Apply: %v", err)
			break
		}
		ids <- id
	}
	close(ids)
	wg.Wait()
	if got := len(requests(t, s)); got != n {
		t.Errorf("%d requests after concurrent writes; want %d", got, n)
	}
}

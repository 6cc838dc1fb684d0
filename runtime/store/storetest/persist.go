package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/store"
)

func testClosed(t *testing.T, h *harness) {
	s := h.open(t)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	checks := map[string]error{}
	_, checks["Load"] = s.Load(ctx(t))
	checks["Apply"] = s.Apply(ctx(t), store.Batch{NextID: 1})
	_, checks["ListErrors"] = s.ListErrors(ctx(t), store.ErrorFilter{})
	_, checks["GetError"] = s.GetError(ctx(t), "e1")
	_, checks["RetryError"] = s.RetryError(ctx(t), "e1")
	_, checks["DiscardError"] = s.DiscardError(ctx(t), "e1")
	_, checks["Requests"] = s.Requests(ctx(t))
	_, checks["Conflicts"] = s.Conflicts(ctx(t), store.ConflictFilter{})
	_, checks["Info"] = s.Info(ctx(t))
	for name, err := range checks {
		if !errors.Is(err, store.ErrStoreClosed) {
			t.Errorf("%s after Close: %v; want ErrStoreClosed", name, err)
		}
	}
}

func testPersistence(t *testing.T, h *harness) {
	h.needReopen(t)
	s := h.new(t)
	seed(t, s)
	apply(t, s, store.Batch{
		Records:   []engine.RecordState{tombstoned("contacts", "K")},
		Errors:    []engine.ErrorEntry{plainEntry("e3", "contacts", "K", engine.DeleteReview), plainEntry("e4", "contacts", "L", engine.Dependency)},
		Conflicts: []engine.Conflict{recordConflict("contacts", "K")},
	})
	if _, err := s.DiscardError(ctx(t), "e3"); err != nil {
		t.Fatal(err)
	}
	apply(t, s, store.Batch{Resolved: []string{"e4"}})
	before := snap(t, s)
	s = h.again(t, s, store.Config{})
	same(t, "store after reopening", snap(t, s), before)
	// Seq keeps increasing after a reopen.
	apply(t, s, store.Batch{Errors: []engine.ErrorEntry{plainEntry("e5", "m", "x", engine.Validation)}})
	all := list(t, s, store.ErrorFilter{States: store.AllStatuses()})
	if last := all[len(all)-1]; last.ID != "e5" || last.Seq <= before.Errors[len(before.Errors)-1].Seq {
		t.Errorf("entry added after reopening: %s with seq %d; want e5 after seq %d", last.ID, last.Seq, before.Errors[len(before.Errors)-1].Seq)
	}
}

func testPlanDigest(t *testing.T, h *harness) {
	h.needReopen(t)
	const a, b = "sha256:aaaa", "sha256:bbbb"
	s := h.new(t)
	// A store no plan wrote accepts any plan.
	s = h.again(t, s, store.Config{PlanDigest: a, RequirePlan: true})
	if got := load(t, s).PlanDigest; got != "" {
		t.Errorf("plan digest before the first write = %q; want none", got)
	}
	apply(t, s, store.Batch{NextID: 1})
	if got := load(t, s).PlanDigest; got != a {
		t.Errorf("State.PlanDigest after a write = %q; want %q", got, a)
	}
	info, err := s.Info(ctx(t))
	if err != nil || info.PlanDigest != a {
		t.Errorf("Info after a write: %+v, %v; want plan %q", info, err, a)
	}

	// Asked for: another plan is refused.
	_, err = h.tryAgain(t, s, store.Config{PlanDigest: b, RequirePlan: true})
	var pm *store.PlanMismatchError
	if !errors.As(err, &pm) || !errors.Is(err, store.ErrPlanMismatch) || pm.Stored != a || pm.Want != b {
		t.Fatalf("reopening with another plan required: %v; want a *PlanMismatchError from %s to %s", err, a, b)
	}

	// Not asked for: it opens and reports the plan the store was written
	// with until the first write records the new one.
	s, err = h.reopen(t, s, store.Config{PlanDigest: b})
	if err != nil {
		t.Fatalf("reopening with another plan, not required: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if info, err := s.Info(ctx(t)); err != nil || info.PlanDigest != a {
		t.Errorf("Info before writing with the new plan: %+v, %v; want plan %q", info, err, a)
	}
	apply(t, s, store.Batch{})
	if got := load(t, s).PlanDigest; got != b {
		t.Errorf("State.PlanDigest after an (empty) batch with the new plan = %q; want %q", got, b)
	}
	s = h.again(t, s, store.Config{PlanDigest: b, RequirePlan: true})
	if got := load(t, s).PlanDigest; got != b {
		t.Errorf("State.PlanDigest after reopening = %q; want %q", got, b)
	}
}

func testReadOnly(t *testing.T, h *harness) {
	h.needReopen(t)
	s := h.new(t)
	seed(t, s)
	before := snap(t, s)
	s = h.again(t, s, store.Config{ReadOnly: true, PlanDigest: "sha256:cccc"})
	same(t, "read-only store", snap(t, s), before)
	if err := s.Apply(ctx(t), validBatch()); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("Apply on a read-only store: %v; want ErrReadOnly", err)
	}
	if _, err := s.RetryError(ctx(t), "e1"); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("RetryError on a read-only store: %v; want ErrReadOnly", err)
	}
	if _, err := s.DiscardError(ctx(t), "e1"); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("DiscardError on a read-only store: %v; want ErrReadOnly", err)
	}
	if info, err := s.Info(ctx(t)); err != nil || !info.ReadOnly {
		t.Errorf("Info of a read-only store: %+v, %v; want ReadOnly", info, err)
	}
	s = h.again(t, s, store.Config{})
	same(t, "store after read-only use", snap(t, s), before)
}

// testClock checks that the store's own times come from Config.Now.
func testClock(t *testing.T, h *harness) {
	h.needReopen(t)
	now := at(24 * time.Hour)
	clock := func() time.Time { return now }
	s := h.new(t)
	s = h.again(t, s, store.Config{Now: clock})
	apply(t, s, store.Batch{Errors: []engine.ErrorEntry{plainEntry("e1", "m", "a", engine.Validation)}})
	now = now.Add(time.Minute)
	r, err := s.RetryError(ctx(t), "e1")
	if err != nil {
		t.Fatal(err)
	}
	if !r.Requested.Equal(now) {
		t.Errorf("Requested = %v; want the store clock's %v", r.Requested, now)
	}
	reqs := requests(t, s)
	if len(reqs) != 1 || !reqs[0].At.Equal(now) {
		t.Errorf("Requests = %+v; want one at %v", reqs, now)
	}
	now = now.Add(time.Minute)
	apply(t, s, store.Batch{Resolved: []string{"e1"}})
	got := get(t, s, "e1")
	if !got.Closed.Equal(now) {
		t.Errorf("Closed = %v; want %v", got.Closed, now)
	}
	var times []time.Time
	for _, e := range got.History {
		times = append(times, e.At)
	}
	same(t, "history times", times, []time.Time{at(24 * time.Hour), at(24*time.Hour + time.Minute), now})
}

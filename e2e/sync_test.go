package e2e

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestConverge proves that writes made on both sides, through the
// services' own APIs, reach the other side: new records both ways, then
// edits of the other side's records both ways, with nothing lost, nothing
// duplicated, no echo afterwards, an empty error queue and a balanced
// accounting.
func TestConverge(t *testing.T) {
	w := newWorld(t)
	w.startRuntime()
	want := expect{}
	n := *flagRows
	w.writeFO(want, "FO", n)
	w.writeDV(want, "DV", n)
	w.converge(want, "creates on both sides")

	// Each side edits records the other side created.
	nums := slices.Sorted(maps.Keys(want))
	var fromFO, fromDV []string
	for _, num := range nums {
		if num[:2] == "DV" {
			fromFO = append(fromFO, num)
		} else {
			fromDV = append(fromDV, num)
		}
	}
	w.editFO(want, fromFO[:n/2], "renamed in F&O")
	w.editDV(want, fromDV[:n/2], "described in Dataverse")
	w.converge(want, "edits on both sides")

	w.quiet()
	w.noErrors()
	w.balanced()
}

// TestKillRuntime proves crash safety: the runtime is killed (SIGKILL,
// no shutdown) while it is writing, and a new runtime container on the
// same store finishes the job. Every product ends on both sides exactly
// once with its last values: nothing lost, nothing duplicated; the new
// runtime's accounting balances and its error queue is empty.
func TestKillRuntime(t *testing.T) {
	w := newWorld(t)
	w.startRuntime()
	want := expect{}
	w.writeFO(want, "OLD", 5)
	w.writeDV(want, "OLD-DV", 5)
	w.converge(want, "before the backlog")

	// Slow every write down, so that the runtime is still writing when
	// it is killed; the user's writes go in concurrently.
	n := 3 * *flagRows
	for _, side := range []string{"fo", "dv"} {
		w.setFault(side, fault{Name: "slow", Kind: "latency", Ops: "write", Latency: "100ms"})
	}
	w.writeFO(want, "FO", n)
	w.writeDV(want, "DV", n)
	w.logf("backlog of %d products written", 2*n)
	eventually(t, *flagConverge, "runtime-1 writing the backlog", func() error {
		if w.metrics().sum(mWrites, "result", "acked") == 0 {
			return errNotYet
		}
		return nil
	})
	w.kill(w.rt)
	mid, err := w.gap(want)
	if err != nil {
		t.Fatalf("read after the kill: %v", err)
	}
	if mid.missing == 0 {
		t.Fatalf("the kill came after the sync had finished, so it proved nothing; raise -e2e.rows (%v)", mid.err())
	}
	w.logf("killed runtime-1 mid-sync: %d of %d side records still missing", mid.missing, 2*len(want))

	w.clearFaults("fo")
	w.clearFaults("dv")
	w.startRuntime()
	w.converge(want, "after the restart")
	w.quiet()
	w.noErrors()
	w.balanced()
	// Nothing written twice: the new runtime writes at most the records
	// that were missing when the old one died; what the old one had
	// written (acknowledged or not) it finds in place and leaves alone.
	m := w.metrics()
	acked, applied := m.sum(mWrites, "result", "acked"), m.sum(mChanges, "outcome", "applied")
	w.logf("runtime-2 wrote %g records (%g changes applied) for %d missing ones", acked, applied, mid.missing)
	if max(acked, applied) > float64(mid.missing) {
		t.Fatalf("runtime-2 wrote %g records (%g changes applied), but only %d were missing after the kill: it wrote some twice",
			acked, applied, mid.missing)
	}
}

// TestDataverseOutage proves that an outage of Dataverse is waited out:
// while it lasts the runtime stays alive, sees the failures and backs off
// (it reaches Dataverse less often than its poll schedule would), without
// turning the failures into error-queue entries; when Dataverse returns,
// the backlog built up on F&O drains and both sides converge. A second,
// partial outage (reads answered, writes dropped) proves the same for
// failed writes, which the runtime must retry, not queue.
func TestDataverseOutage(t *testing.T) {
	w := newWorld(t)
	w.startRuntime()
	want := expect{}
	n := *flagRows
	w.writeFO(want, "FO", n/2)
	w.writeDV(want, "DV", n/2)
	w.converge(want, "before the outage")

	before := w.stats()
	w.setFault("dv", fault{Name: "down", Kind: "outage"})
	downAt := time.Now()
	if _, err := w.u.dvList(dvProducts); err == nil {
		t.Fatal("Dataverse answered a read during the outage: the fault is not in force")
	}
	w.writeFO(want, "OUT", n)
	w.editFO(want, []string{"DV-001", "DV-002"}, "renamed during the outage")
	time.Sleep(time.Until(downAt.Add(*flagOutage)))
	// The outage lasts at least -e2e.outage, and until the runtime has
	// given up on a Dataverse poll (after its own retries) at least once.
	eventually(t, *flagConverge, "a failed Dataverse poll", func() error {
		if w.metrics().sum(mPollErrors, "side", "dv") == 0 {
			return errNotYet
		}
		return nil
	})
	if last, ok := probe(&http.Client{Timeout: 2 * time.Second}, w.rtURL+"/healthz"); !ok {
		t.Fatalf("runtime not healthy during the outage: %s", last)
	}
	m := w.metrics()
	if nz := m.nonZero(mQueue); len(nz) > 0 {
		t.Fatalf("the outage put entries in the error queue: %v", nz)
	}
	// Backing off: a runtime that ignored the outage would go on polling
	// every Dataverse feed once per poll interval (and a retry loop would
	// make thousands of requests); this one must reach Dataverse less
	// often than that.
	tried := w.stats().DVRequests - before.DVRequests
	down := time.Since(downAt)
	feeds := int64(len(dvFeeds(the.plan)))
	limit := feeds * int64(down / *flagPoll)
	w.logf("Dataverse down %v: %d requests reached it (limit %d), %g failed polls",
		down.Round(time.Millisecond), tried, limit, m.sum(mPollErrors, "side", "dv"))
	if tried > limit {
		t.Fatalf("runtime hammered Dataverse during the outage: %d requests in %v (poll %v, %d feeds, limit %d)",
			tried, down, *flagPoll, feeds, limit)
	}

	w.clearFaults("dv")
	w.converge(want, "after the outage")

	// A partial outage: Dataverse reads work, every write gets no answer.
	// The writes fail as transient, are tried again later, and still
	// nothing enters the error queue.
	w.setFault("dv", fault{Name: "writes-down", Kind: "outage", Ops: "write"})
	downAt = time.Now()
	w.writeFO(want, "WOUT", n/2)
	eventually(t, *flagConverge, "a transient Dataverse write failure", func() error {
		if w.metrics().sum(mWrites, "side", "dv", "result", "transient") == 0 {
			return errNotYet
		}
		return nil
	})
	time.Sleep(time.Until(downAt.Add(*flagOutage)))
	m = w.metrics()
	if nz := m.nonZero(mQueue); len(nz) > 0 {
		t.Fatalf("failed writes during the outage entered the error queue: %v", nz)
	}
	w.logf("Dataverse writes down %v: %g transient write failures",
		time.Since(downAt).Round(time.Millisecond), m.sum(mWrites, "side", "dv", "result", "transient"))
	w.clearFaults("dv")
	w.converge(want, "after the write outage")

	w.quiet()
	w.noErrors()
	w.balanced()
}

// TestThrottlingStorm proves that sustained 429s with Retry-After slow
// the runtime down without errors: while every Dataverse request is
// refused, the backlog waits; the runtime's throttling counters show it
// met the 429s and waited as asked; nothing enters the error queue; and
// both sides converge after the storm.
func TestThrottlingStorm(t *testing.T) {
	w := newWorld(t)
	w.startRuntime()
	want := expect{}
	n := *flagRows
	w.writeDV(want, "DV", n/2)
	w.converge(want, "before the storm")

	// Every write to Dataverse is answered 429 with Retry-After while the
	// storm lasts (reads go through, so the runtime keeps polling and the
	// test can look); F&O keeps taking the user's writes.
	w.setFault("dv", fault{Name: "storm", Kind: "throttle", Ops: "write", RetryAfter: "1s"})
	stormAt := time.Now()
	w.writeFO(want, "STORM", n)
	w.logf("storm on, %d products written on F&O", n)
	time.Sleep(time.Until(stormAt.Add(*flagStorm)))
	_, dv, err := w.sides()
	if err != nil {
		t.Fatalf("read during the storm: %v", err)
	}
	for num := range dv {
		if strings.HasPrefix(num, "STORM") {
			t.Fatalf("%s reached Dataverse during the storm: the storm was not in force", num)
		}
	}
	if last, ok := probe(&http.Client{Timeout: 2 * time.Second}, w.rtURL+"/healthz"); !ok {
		t.Fatalf("runtime not healthy during the storm: %s", last)
	}
	if nz := w.metrics().nonZero(mQueue); len(nz) > 0 {
		t.Fatalf("throttling put entries in the error queue: %v", nz)
	}
	w.clearFaults("dv")
	w.logf("storm over after %v", time.Since(stormAt).Round(time.Millisecond))

	w.converge(want, "after the storm")
	m := w.metrics()
	if m.sum(mThrottled, "side", "dv") == 0 || m.sum(mThrottleS, "side", "dv") == 0 {
		t.Fatalf("runtime does not report the storm's 429s: throttled %v, waits %v", m.nonZero(mThrottled), m.nonZero(mThrottleS))
	}
	// Honouring Retry-After (1 s) caps the attempts per product at about
	// one a second of storm; a runtime that tried again every poll
	// interval would make several times more.
	throttled := m.sum(mThrottled, "side", "dv")
	limit := float64(n) * (flagStorm.Seconds() + 2)
	w.logf("runtime met %g 429s on Dataverse (limit %g), Retry-After adding up to %.1fs",
		throttled, limit, m.sum(mThrottleS, "side", "dv"))
	if throttled > limit {
		t.Fatalf("runtime did not wait as asked: %g writes answered 429 for %d products in a %v storm with Retry-After 1s (limit %g)",
			throttled, n, *flagStorm, limit)
	}
	w.quiet()
	w.noErrors()
	w.balanced()
}

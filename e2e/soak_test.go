package e2e

import (
	"flag"
	"fmt"
	"testing"
	"time"
)

var (
	flagSoak     = flag.Duration("e2e.soak", time.Minute, "how long BenchmarkSoak keeps the load on")
	flagSoakSet  = flag.Int("e2e.soak-set", 100, "products BenchmarkSoak creates on each side before the load")
	flagSoakRate = flag.Int("e2e.soak-rate", 10, "products BenchmarkSoak edits on each side per second")
)

// BenchmarkSoak is the soak run behind the README's memory figure: a
// runtime container under steady load for -e2e.soak. A fixed set of
// products is created on both sides first; then every second each side
// edits -e2e.soak-rate of them (the other side's records, in turn), so
// the data stays the same size and only the work goes on. The runtime's
// resident memory and Go heap are read from /metrics once it has warmed
// up and again at the end. It asserts no timing; it fails only when the
// sides do not converge or the error queue is not empty at the end. Run
// it once:
//
//	go test ./e2e -run '^$' -bench Soak -benchtime 1x -args -e2e.soak 10m
func BenchmarkSoak(b *testing.B) {
	// The test user and the runtime share one application user, so
	// Dataverse's service protection (6,000 requests per 5 minutes per
	// user) would throttle their sum; the soak measures memory, not that.
	w := newWorld(b, "--no-protection")
	w.startRuntime()
	want := expect{}
	w.writeFO(want, "SFO", *flagSoakSet)
	w.writeDV(want, "SDV", *flagSoakSet)
	w.converge(want, "the soak's products")
	rss := func() float64 { return w.metrics().sum("process_resident_memory_bytes") / (1 << 20) }
	heap := func() float64 { return w.metrics().sum("go_memstats_heap_inuse_bytes") / (1 << 20) }

	b.ResetTimer()
	for range b.N {
		start := time.Now()
		var startRSS, startHeap float64
		warm := min(*flagSoak/10, time.Minute)
		edits := 0
		for sec := 0; time.Since(start) < *flagSoak; sec++ {
			tick := time.Now()
			tag := fmt.Sprintf("soak %d", sec)
			w.editFO(want, soakNums("SDV", sec, *flagSoakRate, *flagSoakSet), tag)
			w.editDV(want, soakNums("SFO", sec, *flagSoakRate, *flagSoakSet), tag)
			edits += 2 * *flagSoakRate
			if startRSS == 0 && time.Since(start) >= warm {
				startRSS, startHeap = rss(), heap()
				w.logf("warmed up: RSS %.1f MiB, heap in use %.1f MiB", startRSS, startHeap)
			}
			time.Sleep(time.Until(tick.Add(time.Second)))
		}
		w.converge(want, "end of the soak")
		endRSS, endHeap := rss(), heap()
		w.noErrors()
		b.ReportMetric(startRSS, "rss-start-MiB")
		b.ReportMetric(endRSS, "rss-end-MiB")
		b.ReportMetric(startHeap, "heap-start-MiB")
		b.ReportMetric(endHeap, "heap-end-MiB")
		b.ReportMetric(float64(edits)/time.Since(start).Seconds(), "edits/s")
		w.logf("soak %v: %d edits on %d products, RSS %.1f -> %.1f MiB, heap in use %.1f -> %.1f MiB",
			*flagSoak, edits, len(want), startRSS, endRSS, startHeap, endHeap)
	}
}

// soakNums is the sec-th slice of rate product numbers of one side's
// set, wrapping around.
func soakNums(prefix string, sec, rate, set int) []string {
	out := make([]string, rate)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%03d", prefix, (sec*rate+i)%set+1)
	}
	return out
}

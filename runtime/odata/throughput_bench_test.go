package odata

import (
	"context"
	"math"
	"testing"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator/fakehttp"
)

// benchRows is how many products BenchmarkRuntimeVsRawCopy copies.
const benchRows = 2000

// BenchmarkRuntimeVsRawCopy copies benchRows products (the starter plan's
// product map, F&O ProductsV2 → Dataverse products) over loopback HTTP
// with OAuth 2.0, service protection off, to a fresh Dataverse every
// iteration: "runtime" runs the whole runtime (driver, engine, both
// connectors, every map of the plan polled) until quiet; "raw" reads the
// same F&O pages and writes the same Dataverse $batch requests with the
// same connectors and page and batch sizes, with no engine in between.
// Both report rows/s; the target is runtime ≥ 0.7 × raw. Setup
// (starting the fakes, seeding) is not timed.
func BenchmarkRuntimeVsRawCopy(b *testing.B) {
	p := starterPlan(b)
	opts := benchOpts{rows: benchRows, protection: fakehttp.Protection{Off: true}}
	const pageSize, batchSize = 500, 100 // the driver's defaults

	b.Run("runtime", func(b *testing.B) { benchRuntimeCopy(b, p, opts, pageSize, batchSize) })

	b.Run("raw", func(b *testing.B) {
		var dvReq, foReq int64
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			e := newBenchEnv(b, p, opts)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			b.StartTimer()
			n, err := e.rawCopy(ctx, pageSize, batchSize)
			b.StopTimer()
			cancel()
			if err != nil {
				e.close()
				b.Fatal(err)
			}
			if n != benchRows || e.products() != benchRows {
				e.close()
				b.Fatalf("%d writes acknowledged, %d products on Dataverse, want %d", n, e.products(), benchRows)
			}
			st := e.srv.Stats()
			dvReq += st.DVRequests
			foReq += st.FORequests
			e.close()
		}
		reportCopy(b, dvReq, foReq)
	})
}

// reportCopy reports rows/s over the timed part and the requests each
// iteration made on each side.
func reportCopy(b *testing.B, dvReq, foReq int64) {
	b.Helper()
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(benchRows*b.N)/s, "rows/s")
	}
	b.ReportMetric(float64(dvReq)/float64(b.N), "dv-req/op")
	b.ReportMetric(float64(foReq)/float64(b.N), "fo-req/op")
}

// BenchmarkServiceProtection syncs products through the whole runtime
// against a Dataverse enforcing service protection, the documented 6,000
// requests per 300 s per user scaled to 100 requests per 5 s (the same
// rate), with writes in $batch requests of 10 so that the run spans
// several windows. It reports the Dataverse requests admitted per second
// as a share of the allowed rate ("%-of-limit"; the target is ≥ 90) and the
// errors the engine queued ("errors"; must be 0). Run it with -benchtime
// 1x: one iteration lasts about 20 s.
func BenchmarkServiceProtection(b *testing.B) {
	p := starterPlan(b)
	prot := fakehttp.Protection{}.Scaled(5.0 / 300.0)
	const rows, dvBatch = 4000, 10
	opts := benchOpts{rows: rows, protection: prot, dvBatch: dvBatch}
	allowed := float64(prot.Requests) / prot.Window.Seconds()

	var admitted, throttled, queued, acked int64
	var secs float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := newBenchEnv(b, p, opts)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		b.StartTimer()
		start := time.Now()
		d, err := e.runRuntime(ctx, dsruntime.Config{IdleStep: 20 * time.Millisecond, MaxIdleStep: 200 * time.Millisecond}, 100000)
		el := time.Since(start)
		b.StopTimer()
		cancel()
		if err != nil {
			e.close()
			b.Fatal(err)
		}
		if n := e.products(); n != rows {
			e.close()
			b.Fatalf("%d products on Dataverse, want %d", n, rows)
		}
		st := e.srv.Stats()
		admitted += st.DVRequests
		throttled += st.DVThrottled
		queued += d.Engine().Accounting().Queued
		acked += d.Stats().Acked
		secs += el.Seconds()
		e.close()
	}
	got := float64(admitted) / secs
	b.ReportMetric(secs/float64(b.N), "s/run")
	b.ReportMetric(got, "dv-req/s")
	b.ReportMetric(allowed, "allowed-req/s")
	b.ReportMetric(100*got/allowed, "%-of-limit")
	// A sliding window admits a full window's requests at once, so a run of
	// T seconds can get at most Requests × ⌈T/Window⌉ of them: the share of
	// that bound is the stricter figure for short runs.
	bound := float64(prot.Requests) * math.Ceil(secs/float64(b.N)/prot.Window.Seconds()) * float64(b.N)
	b.ReportMetric(100*float64(admitted)/bound, "%-of-burst-bound")
	b.ReportMetric(float64(queued), "errors")
	b.ReportMetric(float64(throttled)/float64(b.N), "429s/op")
	b.ReportMetric(float64(acked)/secs, "rows/s")
}

// benchRuntimeCopy is one "runtime" sub-benchmark of
// BenchmarkRuntimeVsRawCopy.
func benchRuntimeCopy(b *testing.B, p *plan.Plan, opts benchOpts, pageSize, batchSize int) {
	var dvReq, foReq int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := newBenchEnv(b, p, opts)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		b.StartTimer()
		d, err := e.runRuntime(ctx, dsruntime.Config{PageSize: pageSize, BatchSize: batchSize,
			IdleStep: 20 * time.Millisecond, MaxIdleStep: 200 * time.Millisecond}, 1000)
		b.StopTimer()
		cancel()
		if err != nil {
			e.close()
			b.Fatal(err)
		}
		if n := e.products(); n != benchRows {
			e.close()
			b.Fatalf("%d products on Dataverse, want %d", n, benchRows)
		}
		if a := d.Engine().Accounting(); a.Queued != 0 || a.Parked != 0 {
			e.close()
			b.Fatalf("accounting %+v", a)
		}
		st := e.srv.Stats()
		dvReq += st.DVRequests
		foReq += st.FORequests
		e.close()
	}
	reportCopy(b, dvReq, foReq)
}

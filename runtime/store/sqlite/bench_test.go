package sqlite

import (
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/runtime/store"
)

// The benchmarks apply batches the way the runtime does, one Apply (one
// transaction) per engine Ready, with 1 or 100 items per batch, on a file in
// the test's temporary directory. They report items per second.
//
//	go test -run '^$' -bench . -benchtime 2s ./runtime/store/sqlite

var batchSizes = []int{1, 100}

func benchStore(b *testing.B) *Store {
	b.Helper()
	s, err := Open(filepath.Join(b.TempDir(), "bench.db"), store.Config{Create: true, PlanDigest: "sha256:bench"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// benchEntry is an error-queue entry as the engine makes one: a failed
// write with the source's values of a 20-field record.
func benchEntry(id string, n int) engine.ErrorEntry {
	return engine.ErrorEntry{
		ID: id, Map: "customers", Key: fmt.Sprintf("USMF|C%06d", n), Side: plan.DV, Class: engine.Validation,
		Status: 400, Code: "0x80044331", Message: "validation: a value is out of range: creditlimit",
		Field: "creditlimit", Pos: plan.Pos{File: "maps/customer.cue", Line: 42, Col: 3},
		Fields: []string{"creditlimit", "name"}, Source: plan.FO, Values: fields20("F", n),
		Attempts: 1, First: time.Unix(1_700_000_000, 0).UTC(), Last: time.Unix(1_700_000_000, 0).UTC(),
	}
}

// fields20 is a 20-field row of mixed kinds.
func fields20(prefix string, n int) []engine.FieldValue {
	out := make([]engine.FieldValue, 0, 20)
	for i := range 20 {
		var v engine.Value
		switch i % 5 {
		case 0:
			v = engine.String(fmt.Sprintf("value %d of record %d", i, n))
		case 1:
			v = engine.Int(int64(n*i + 1))
		case 2:
			d, _ := engine.Decimal(fmt.Sprintf("%d.%02d", n, i))
			v = d
		case 3:
			v = engine.Bool(n%2 == 0)
		case 4:
			v = engine.Time(time.Unix(int64(1_700_000_000+n), 0))
		}
		out = append(out, engine.FieldValue{Field: fmt.Sprintf("%s%02d", prefix, i), Value: v})
	}
	return out
}

// BenchmarkErrorInserts: new error-queue entries per second. The entries'
// content is made before the clock runs; only their IDs are new.
func BenchmarkErrorInserts(b *testing.B) {
	pool := make([]engine.ErrorEntry, 1000)
	for i := range pool {
		pool[i] = benchEntry("", i)
	}
	for _, size := range batchSizes {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			s := benchStore(b)
			ctx := b.Context()
			entries := make([]engine.ErrorEntry, size)
			n := 0
			for b.Loop() {
				for i := range entries {
					n++
					entries[i] = pool[n%len(pool)]
					entries[i].ID = "e" + strconv.Itoa(n)
				}
				if err := s.Apply(ctx, store.Batch{Errors: entries, NextID: uint64(n)}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "errors/s")
		})
	}
}

// BenchmarkRecordUpdates: merge-base (record state) updates per second, of
// records with 20 fields on each side, over 10,000 tracked records, with
// the feed's watermark moving in each batch. The states are made before the
// clock runs.
func BenchmarkRecordUpdates(b *testing.B) {
	const tracked = 10_000
	pool := make([]engine.RecordState, tracked)
	for i := range pool {
		pool[i] = benchRecord(i, i)
	}
	for _, size := range batchSizes {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			s := benchStore(b)
			ctx := b.Context()
			for i := 0; i < tracked; i += 1000 {
				if err := s.Apply(ctx, store.Batch{Records: pool[i : i+1000]}); err != nil {
					b.Fatal(err)
				}
			}
			batch := make([]engine.RecordState, size)
			n := 0
			for b.Loop() {
				for i := range batch {
					n++
					// Record n's key with another record's values: every
					// update changes the stored state.
					batch[i] = pool[(n*7919)%tracked]
					batch[i].Key = pool[n%tracked].Key
				}
				err := s.Apply(ctx, store.Batch{
					Records:    batch,
					Watermarks: []engine.Watermark{{Map: "customers", Side: plan.FO, Seq: int64(n), Token: "t"}},
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

func benchRecord(key, version int) engine.RecordState {
	mod := time.Unix(int64(1_700_000_000+version), 0).UTC()
	return engine.RecordState{
		Map: "customers",
		Key: fmt.Sprintf("USMF|C%06d", key),
		FO:  engine.SideState{Exists: true, Version: fmt.Sprint(version), Modified: mod, Base: fields20("F", version)},
		DV:  engine.SideState{Exists: true, Version: fmt.Sprintf("W/\"%d\"", version), Modified: mod, Base: fields20("d", version)},
	}
}

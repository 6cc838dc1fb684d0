package engine

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dualsync/dualsync/runtime/plan"
)

// benchPlan has one bidirectional map of 20 fields: 10 strings, 4 enums
// with value maps, 3 decimals, 2 integers and a bool, under fo, dv and
// last_write rules.
func benchPlan(tb testing.TB) *plan.Plan {
	tb.Helper()
	scale := 4
	var fields []plan.Field
	rules := []plan.Winner{plan.WinFO, plan.LastWrite, plan.WinDV}
	add := func(i int, t plan.Type) *plan.Field {
		fields = append(fields, field(fmt.Sprintf("F%02d", i), fmt.Sprintf("d%02d", i), t, 100+2*i, rules[i%3]))
		return &fields[len(fields)-1]
	}
	for i := range 10 {
		add(i, plan.String)
	}
	for i := 10; i < 14; i++ {
		f := add(i, plan.Enum)
		f.DVType = plan.Choice
		for j, m := range []string{"Alpha", "Beta", "Gamma", "Delta", "Epsilon"} {
			f.Values = append(f.Values, plan.ValuePair{FO: m, DV: int64(192350000 + j)})
		}
	}
	for i := 14; i < 17; i++ {
		add(i, plan.Decimal).Scale = &scale
	}
	add(17, plan.Int)
	add(18, plan.Int)
	add(19, plan.Bool)
	p := &plan.Plan{
		Stages: [][]string{{"bench"}},
		Maps: []plan.Map{{
			Name: "bench", Pos: pos(1), Direction: plan.Bidirectional, Master: plan.FO,
			Key:    []plan.KeyField{{FO: "dataAreaId", DV: "company", Company: true}, {FO: "Id", DV: "number"}},
			FO:     plan.Entity{EntitySet: "Benches"},
			DV:     plan.Table{Table: "bench", EntitySet: "benches"},
			Fields: fields,
			Delete: plan.Delete{FO: plan.Propagate, DV: plan.Propagate},
		}},
	}
	if _, err := plan.Encode(p); err != nil {
		tb.Fatal(err)
	}
	return p
}

// benchRows returns a record's F&O and Dataverse rows in two variants that
// differ in three fields (a string, an enum, a decimal).
func benchRows(k int) (fo, dv [2]map[string]Value) {
	for v := range 2 {
		fo[v], dv[v] = map[string]Value{}, map[string]Value{}
		for i := range 10 {
			s := String(fmt.Sprintf("value %d of record %d", i, k))
			if i == 1 {
				s = String(fmt.Sprintf("variant %d of record %d", v, k))
			}
			fo[v][fmt.Sprintf("F%02d", i)], dv[v][fmt.Sprintf("d%02d", i)] = s, s
		}
		for i := 10; i < 14; i++ {
			m := (k + i + v*(i/13)) % 5
			fo[v][fmt.Sprintf("F%02d", i)] = String([]string{"Alpha", "Beta", "Gamma", "Delta", "Epsilon"}[m])
			dv[v][fmt.Sprintf("d%02d", i)] = Int(int64(192350000 + m))
		}
		for i := 14; i < 17; i++ {
			d := MustDecimal(fmt.Sprintf("%d.%04d", k, i+v*(i/16)))
			fo[v][fmt.Sprintf("F%02d", i)], dv[v][fmt.Sprintf("d%02d", i)] = d, d
		}
		fo[v]["F17"], dv[v]["d17"] = Int(int64(k)), Int(int64(k))
		fo[v]["F18"], dv[v]["d18"] = Int(7), Int(7)
		fo[v]["F19"], dv[v]["d19"] = Bool(k%2 == 0), Bool(k%2 == 0)
	}
	return fo, dv
}

type benchRig struct {
	e      *Engine
	keys   []string
	fo, dv [][2]map[string]Value
	clash  [][2]map[string]Value // a Dataverse edit that conflicts with the F&O change
	flip   []int
	ids    []string
	now    time.Time
}

func newBenchRig(tb testing.TB, n int) *benchRig {
	tb.Helper()
	e, err := New(benchPlan(tb), Config{Seed: 1}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	g := &benchRig{e: e, now: t0, flip: make([]int, n)}
	e.Tick(g.now)
	for k := range n {
		fo, dv := benchRows(k)
		g.keys = append(g.keys, JoinKey("usmf", "B-"+strconv.Itoa(k)))
		g.fo, g.dv = append(g.fo, fo), append(g.dv, dv)
		var clash [2]map[string]Value
		for v := range 2 {
			clash[v] = map[string]Value{}
			for name, x := range dv[1-v] {
				clash[v][name] = x
			}
			// d01 has the last_write rule; this edit is older than the F&O one.
			clash[v]["d01"] = String(fmt.Sprintf("edited on dataverse %d", k))
		}
		g.clash = append(g.clash, clash)
	}
	return g
}

// seed creates every record on Dataverse and confirms the echoes.
func (g *benchRig) seed(tb testing.TB) {
	for k := range g.keys {
		g.observe(tb, plan.FO, k, g.fo[k][0], "f0")
		g.ackAll(tb, "c0")
		g.observe(tb, plan.DV, k, g.dv[k][0], "e0")
		g.drain(tb)
	}
}

func (g *benchRig) observe(tb testing.TB, s plan.Side, k int, v map[string]Value, ver string) {
	g.now = g.now.Add(time.Millisecond)
	g.observeAt(tb, s, k, v, ver, g.now)
}

func (g *benchRig) observeAt(tb testing.TB, s plan.Side, k int, v map[string]Value, ver string, mod time.Time) {
	if err := g.e.Observe(Observed{Side: s, Map: "bench", Key: g.keys[k], Values: v, Version: ver, Modified: mod}); err != nil {
		tb.Fatal(err)
	}
}

func (g *benchRig) takeWrites() []string {
	rd := g.e.Ready()
	g.ids = g.ids[:0]
	for i := range rd.Writes {
		g.ids = append(g.ids, rd.Writes[i].ID)
	}
	g.e.Advance()
	return g.ids
}

func (g *benchRig) ackAll(tb testing.TB, ver string) {
	for _, id := range g.takeWrites() {
		if err := g.e.Ack(WriteAcked{WriteID: id, NewVersion: ver}); err != nil {
			tb.Fatal(err)
		}
	}
}

// drain takes a Ready that must not ask for anything.
func (g *benchRig) drain(tb testing.TB) {
	if g.e.HasReady() {
		if rd := g.e.Ready(); len(rd.Writes) > 0 || len(rd.Reads) > 0 {
			tb.Fatalf("unexpected writes:\n%s", show(rd.Writes))
		}
		g.e.Advance()
	}
}

// change runs one F&O change of record k through the engine: the write,
// for every fourth change a concurrent Dataverse edit (a version mismatch,
// a re-merge and a conflict), the acknowledgement and the echo. It returns
// the number of observations decided.
func (g *benchRig) change(tb testing.TB, i int) int {
	k := i % len(g.keys)
	g.flip[k] ^= 1
	v := g.flip[k]
	n := 2
	g.observe(tb, plan.FO, k, g.fo[k][v], "f")
	ids := g.takeWrites()
	if i%4 == 0 {
		g.observeAt(tb, plan.DV, k, g.clash[k][v], "x", g.now.Add(-time.Second))
		for _, id := range ids {
			if err := g.e.Fail(WriteFailed{WriteID: id, Class: VersionMismatch}); err != nil {
				tb.Fatal(err)
			}
		}
		n++
	} else {
		for _, id := range ids {
			if err := g.e.Ack(WriteAcked{WriteID: id, NewVersion: "a"}); err != nil {
				tb.Fatal(err)
			}
		}
	}
	g.ackAll(tb, "a")
	g.observe(tb, plan.DV, k, g.dv[k][v], "e")
	g.drain(tb)
	return n
}

// BenchmarkDecide measures changes decided per second for a 20-field map
// with value maps and conflicts, the whole protocol included.
func BenchmarkDecide(b *testing.B) {
	g := newBenchRig(b, 1024)
	g.seed(b)
	b.ReportAllocs()
	changes := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		changes += g.change(b, i)
	}
	b.StopTimer()
	b.ReportMetric(float64(changes)/b.Elapsed().Seconds(), "changes/s")
	b.ReportMetric(float64(changes)/float64(b.N), "changes/op")
	if err := g.e.Accounting().Check(); err != nil {
		b.Fatal(err)
	}
	if a := g.e.Accounting(); a.Conflicts == 0 || !g.e.Quiet() {
		b.Fatalf("no conflicts decided, or not quiet: %+v", a)
	}
}

// TestDecideRig runs BenchmarkDecide's protocol for a while, so that a
// change that breaks it (an unexpected write, a broken accounting) fails
// the tests and not only the benchmark.
func TestDecideRig(t *testing.T) {
	g := newBenchRig(t, 1024) // as the benchmark: each record's changes far enough apart
	g.seed(t)
	for i := range 3000 {
		g.change(t, i)
	}
	if err := g.e.Accounting().Check(); err != nil {
		t.Fatal(err)
	}
	if a := g.e.Accounting(); a.Conflicts == 0 || !g.e.Quiet() {
		t.Fatalf("no conflicts decided, or not quiet: %+v", a)
	}
}

// stateBytes measures the heap held per tracked record of 20 fields, each
// synced both ways and confirmed: keys and row versions (as Dataverse
// writes them) are allocated inside the measurement, the test rows outside.
func stateBytes(tb testing.TB, n int) float64 {
	g := newBenchRig(tb, n)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for k := range g.keys {
		g.keys[k] = strings.Clone(g.keys[k])
		g.observe(tb, plan.FO, k, g.fo[k][0], fmt.Sprintf("%d", 1000000+k))
		g.ackAll(tb, fmt.Sprintf(`W/"%d"`, 5000000+k))
		g.observe(tb, plan.DV, k, g.dv[k][0], fmt.Sprintf(`W/"%d"`, 5000001+k))
		g.drain(tb)
	}
	g.e.out, g.e.cpRecords, g.e.cpArena = Ready{}, nil, stateArena{}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(g)
	if got := len(g.e.byName["bench"].recs); got != n || !g.e.Quiet() {
		tb.Fatalf("%d records tracked, want %d", got, n)
	}
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n)
}

func BenchmarkStatePerRecord(b *testing.B) {
	var per float64
	for range b.N {
		per = stateBytes(b, 20000)
	}
	b.ReportMetric(per, "B/record")
}

func TestStateSize(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the heap")
	}
	if per := stateBytes(t, 20000); per > 1024 {
		t.Errorf("%.0f bytes of engine state per record of 20 fields, want under 1 KB", per)
	} else {
		t.Logf("%.0f bytes per record", per)
	}
}

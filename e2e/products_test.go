package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The tests sync the starter plan's product map: bidirectional, global
// (no company), keyed by product number, F&O ProductsV2 to Dataverse
// products.
const (
	foProducts = "ProductsV2"
	dvProducts = "products"
)

// product is what the tests write and expect on both sides.
type product struct{ name, desc string }

// expect is the state both sides must reach, by product number.
type expect map[string]product

// writers is how many of the user's writes are in flight at once: people
// and systems write to both services concurrently, and a latency fault
// must not make the test itself slow.
const writers = 16

// userWrite is one write a user makes: the record and its new values.
type userWrite struct {
	num string
	p   product
	do  func() error
}

// apply runs the writes with a few workers, each tried again while it
// meets a transient fault, and then records the new values in want.
func (w *world) apply(want expect, what string, ws []userWrite) {
	w.t.Helper()
	errs := make([]error, len(ws))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(writers, len(ws)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = try(*flagConverge, ws[i].do)
			}
		}()
	}
	for i := range ws {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, uw := range ws {
		if errs[i] != nil {
			w.t.Fatalf("%s %s: %v", what, uw.num, errs[i])
		}
		want[uw.num] = uw.p
	}
}

// writeFO creates n products on F&O, numbered prefix-001 .. prefix-n,
// as a person entering them in F&O would.
func (w *world) writeFO(want expect, prefix string, n int) {
	w.t.Helper()
	var ws []userWrite
	for i := 1; i <= n; i++ {
		num := fmt.Sprintf("%s-%03d", prefix, i)
		p := product{name: "F&O product " + num, desc: "entered in F&O"}
		ws = append(ws, userWrite{num, p, func() error {
			err := w.u.foCreate(foProducts, row{"ProductNumber": num, "ProductName": p.name, "ProductDescription": p.desc})
			if err != nil && strings.Contains(err.Error(), "already exists") {
				return nil // an earlier try got through before its answer was lost
			}
			return err
		}})
	}
	w.apply(want, "create on F&O", ws)
}

// writeDV creates n products on Dataverse by upsert on the alternate key.
func (w *world) writeDV(want expect, prefix string, n int) {
	w.t.Helper()
	var ws []userWrite
	for i := 1; i <= n; i++ {
		num := fmt.Sprintf("%s-%03d", prefix, i)
		p := product{name: "DV product " + num, desc: "entered in Dataverse"}
		ws = append(ws, userWrite{num, p, func() error {
			return w.u.dvUpsert(dvProducts, "productnumber="+odataString(num), row{"name": p.name, "description": p.desc})
		}})
	}
	w.apply(want, "upsert on Dataverse", ws)
}

// editFO changes the name of existing products on F&O.
func (w *world) editFO(want expect, nums []string, tag string) {
	w.t.Helper()
	var ws []userWrite
	for _, num := range nums {
		p := want[num]
		p.name = tag + " " + num
		ws = append(ws, userWrite{num, p, func() error {
			return w.u.foUpdate(foProducts, "ProductNumber="+odataString(num), row{"ProductName": p.name})
		}})
	}
	w.apply(want, "update on F&O", ws)
}

// editDV changes the description of existing products on Dataverse.
func (w *world) editDV(want expect, nums []string, tag string) {
	w.t.Helper()
	var ws []userWrite
	for _, num := range nums {
		p := want[num]
		p.desc = tag + " " + num
		ws = append(ws, userWrite{num, p, func() error {
			return w.u.dvUpsert(dvProducts, "productnumber="+odataString(num), row{"description": p.desc})
		}})
	}
	w.apply(want, "update on Dataverse", ws)
}

// sides reads the products of both fakes, grouped by product number.
func (w *world) sides() (fo, dv map[string][]row, err error) {
	group := func(rows []row, key string) map[string][]row {
		out := map[string][]row{}
		for _, r := range rows {
			out[r.str(key)] = append(out[r.str(key)], r)
		}
		return out
	}
	fr, err := w.u.foList(foProducts)
	if err != nil {
		return nil, nil, err
	}
	dr, err := w.u.dvList(dvProducts)
	if err != nil {
		return nil, nil, err
	}
	return group(fr, "ProductNumber"), group(dr, "productnumber"), nil
}

// diff says how the two sides differ from want and from each other:
// a product missing on a side (lost), present twice (duplicated), with
// other values than the last write, or known to one side only. Nil when
// both sides hold exactly want.
func (w *world) diff(want expect) error {
	g, err := w.gap(want)
	if err != nil {
		return err
	}
	return g.err()
}

// gap reads both sides and compares them with want.
func (w *world) gap(want expect) (gap, error) {
	fo, dv, err := w.sides()
	if err != nil {
		return gap{}, err
	}
	return compare(want, fo, dv), nil
}

// gap is how the two sides differ from what was written.
type gap struct {
	want int
	// missing counts the side records not there yet: a product missing
	// on one side counts once, on both twice.
	missing int
	// probs are the first differences, in words.
	probs []string
}

func (g gap) err() error {
	if len(g.probs) == 0 {
		return nil
	}
	return fmt.Errorf("%d products expected, %d side records missing; %s", g.want, g.missing, strings.Join(g.probs, "; "))
}

// compare is diff on rows already read.
func compare(want expect, fo, dv map[string][]row) gap {
	g := gap{want: len(want)}
	n := 0
	add := func(format string, a ...any) {
		if n++; n <= 12 {
			g.probs = append(g.probs, fmt.Sprintf(format, a...))
		}
	}
	for _, num := range slices.Sorted(maps.Keys(want)) {
		p := want[num]
		for _, s := range []struct {
			side       string
			rows       []row
			name, desc string
		}{{"F&O", fo[num], "ProductName", "ProductDescription"}, {"Dataverse", dv[num], "name", "description"}} {
			switch {
			case len(s.rows) == 0:
				g.missing++
				add("%s missing on %s", num, s.side)
			case len(s.rows) > 1:
				add("%s DUPLICATED on %s: %d records", num, s.side, len(s.rows))
			case s.rows[0].str(s.name) != p.name || s.rows[0].str(s.desc) != p.desc:
				add("%s on %s: (%q, %q), want (%q, %q)", num, s.side, s.rows[0].str(s.name), s.rows[0].str(s.desc), p.name, p.desc)
			}
		}
	}
	for _, num := range slices.Sorted(maps.Keys(fo)) {
		if _, ok := want[num]; !ok {
			add("%s on F&O was never written by the test", num)
		}
	}
	for _, num := range slices.Sorted(maps.Keys(dv)) {
		if _, ok := want[num]; !ok {
			add("%s on Dataverse was never written by the test", num)
		}
	}
	return g
}

// converge waits until both sides hold exactly want, and logs how long
// it took.
func (w *world) converge(want expect, what string) {
	w.t.Helper()
	took := eventually(w.t, *flagConverge, what, func() error {
		w.mustRun(w.sim, "sim")
		if w.rt != nil {
			w.mustRun(w.rt, "runtime-"+strconv.Itoa(w.runs))
		}
		return w.diff(want)
	})
	w.logf("%s: %d products on both sides after %v", what, len(want), took.Round(time.Millisecond))
}

// versions reads every product's ETag on both sides.
func (w *world) versions() (map[string]string, error) {
	fo, dv, err := w.sides()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for num, rs := range fo {
		for _, r := range rs {
			out["fo:"+num] += r.str("@odata.etag")
		}
	}
	for num, rs := range dv {
		for _, r := range rs {
			out["dv:"+num] += r.str("@odata.etag")
		}
	}
	return out, nil
}

// quiet proves that a converged world stays put: over several poll
// intervals no record's version moves (no echo, no ping-pong between the
// two systems) and the runtime acknowledges no further writes.
func (w *world) quiet() {
	w.t.Helper()
	before, err := w.versions()
	if err != nil {
		w.t.Fatalf("versions: %v", err)
	}
	m := w.metrics()
	if !m.has(mChanges) {
		w.t.Fatalf("/metrics has no %s", mChanges)
	}
	writes, applied := m.sum(mWrites), m.sum(mChanges, "outcome", "applied")
	time.Sleep(max(10**flagPoll, time.Second))
	after, err := w.versions()
	if err != nil {
		w.t.Fatalf("versions: %v", err)
	}
	var moved []string
	for k, v := range after {
		if before[k] != v {
			moved = append(moved, fmt.Sprintf("%s %s -> %s", k, before[k], v))
		}
	}
	slices.Sort(moved)
	if len(moved) > 0 {
		w.t.Fatalf("records still changing after convergence (echo or ping-pong): %d, e.g. %s", len(moved), strings.Join(moved[:min(5, len(moved))], "; "))
	}
	m = w.metrics()
	if later := m.sum(mWrites); later != writes {
		w.t.Fatalf("runtime still writing after convergence: %s went %g -> %g", mWrites, writes, later)
	}
	if later := m.sum(mChanges, "outcome", "applied"); later != applied {
		w.t.Fatalf("runtime still applying changes after convergence: %g -> %g", applied, later)
	}
}

// noErrors proves the error queue is empty and always was: the runtime's
// gauges by map and class read zero, and the store lists no entry in any
// state.
func (w *world) noErrors() {
	w.t.Helper()
	m := w.metrics()
	if !m.has(mQueue) {
		w.t.Fatalf("/metrics has no %s", mQueue)
	}
	if nz := m.nonZero(mQueue); len(nz) > 0 {
		w.t.Fatalf("error queue not empty: %s", strings.Join(nz, ", "))
	}
	if rs := w.storeErrors(); len(rs) > 0 {
		w.t.Fatalf("store has %d error-queue entries, e.g. %v", len(rs), rs[0])
	}
}

// balanced proves the accounting identity from /metrics once the runtime
// is quiet (a scrape can fall between two counters of one step, so it is
// read until it balances or the time runs out).
func (w *world) balanced() {
	w.t.Helper()
	var last accounting
	eventually(w.t, 10*time.Second, "accounting identity", func() error {
		m, err := scrape(w.rtURL)
		if err != nil {
			return err
		}
		if last, err = m.accounting(); err != nil {
			return err
		}
		if last.inFlight != 0 || last.parked != 0 {
			return fmt.Errorf("not quiet: %v", last)
		}
		return last.check()
	})
	if last.observed == 0 {
		w.t.Fatalf("accounting: the runtime observed no change at all: %v", last)
	}
	w.logf("accounting: %v", last)
}

// dvFeeds lists the maps whose changes are read from Dataverse: those
// that flow from Dataverse (bidirectional or dv_to_fo).
func dvFeeds(planJSON []byte) []string {
	var p struct {
		Maps []struct {
			Name      string `json:"name"`
			Direction string `json:"direction"`
		} `json:"maps"`
	}
	if err := json.Unmarshal(planJSON, &p); err != nil {
		return nil
	}
	var out []string
	for _, m := range p.Maps {
		if m.Direction != "fo_to_dv" {
			out = append(out, m.Name)
		}
	}
	return out
}

package engine

import (
	"fmt"
	"strings"
	"time"
)

// Dependency order.
//
// A write whose first-pass lookup names a record the target side does not
// have yet (as far as the engine knows: neither observed there nor created
// there by the engine), or is about to lose (deleted on the other side, the
// delete propagated), is parked. When that record comes to exist on the
// target, the parked record is woken and its write goes ahead. A record is
// created without its second-pass lookups (the plan's cycle breaks); they
// follow in a second write once the record exists, parked in turn if their
// targets are missing; until then the new record's merge base holds null
// for them, which is what the engine left there. A park older than
// Config.ParkTimeout (event time) becomes a dependency error.

// depKey names a record on a side that others wait for.
type depKey struct {
	m   int
	s   side
	key string
}

type waiter struct {
	m   *mapping
	rec *record
	t   side
	gen uint64
}

type park struct {
	since int64 // event time the write parked; 0 until the first Tick
	gen   uint64
	deps  []depKey
}

// park records that the round's write to t waits for deps.
func (e *Engine) park(m *mapping, rec *record, t side, deps []depKey) {
	r := rec.round
	p := r.park[t]
	if p == nil {
		e.gen++
		p = &park{since: e.now, gen: e.gen}
		if r.since != 0 {
			p.since = r.since // parked before a restart: the clock keeps running
		}
		r.park[t] = p
		n := Park{Map: m.name, Key: rec.key, Side: t.plan(), Since: timeOf(p.since)}
		for _, d := range deps {
			n.Waiting = append(n.Waiting, Dep{Map: e.maps[d.m].name, Key: d.key})
		}
		e.out.Parked = append(e.out.Parked, n)
		e.startParkTimer(m, rec, t, p)
	}
	for _, d := range deps {
		if !containsDep(p.deps, d) {
			p.deps = append(p.deps, d)
			e.waiters[d] = append(e.waiters[d], waiter{m: m, rec: rec, t: t, gen: p.gen})
		}
	}
}

func containsDep(ds []depKey, d depKey) bool {
	for _, x := range ds {
		if x == d {
			return true
		}
	}
	return false
}

func (e *Engine) startParkTimer(m *mapping, rec *record, t side, p *park) {
	if p.since == 0 {
		e.untimed = append(e.untimed, waiter{m: m, rec: rec, t: t, gen: p.gen})
		return
	}
	e.schedule(timer{at: p.since + int64(m.parkTimeout), kind: timerPark, m: m, rec: rec, t: t, gen: p.gen})
}

// unpark ends a park (if any), telling the driver when notify is set.
// Waiters and timers of the park go stale and are ignored when they fire.
func (e *Engine) unpark(m *mapping, rec *record, t side, notify bool) {
	r := rec.round
	if r.park[t] == nil {
		return
	}
	r.park[t] = nil
	if notify {
		e.out.Released = append(e.out.Released, Release{Map: m.name, Key: rec.key, Side: t.plan()})
	}
}

// onExists wakes the records waiting for rec to exist on side s.
func (e *Engine) onExists(m *mapping, rec *record, s side) {
	k := depKey{m: m.idx, s: s, key: rec.key}
	ws, ok := e.waiters[k]
	if !ok {
		return
	}
	delete(e.waiters, k)
	e.wake = append(e.wake, ws...)
}

// drain runs the woken records. It runs after each event, not inside
// another record's processing.
func (e *Engine) drain() {
	if e.draining {
		return
	}
	e.draining = true
	for i := 0; i < len(e.wake); i++ {
		w := e.wake[i]
		if e.parkedAs(w) {
			e.advance(w.m, w.rec)
		}
	}
	e.wake = e.wake[:0]
	e.draining = false
}

func (e *Engine) parkedAs(w waiter) bool {
	r := w.rec.round
	return r != nil && r.park[w.t] != nil && r.park[w.t].gen == w.gen
}

// parkTimeout turns an expired park into a dependency error.
func (e *Engine) parkTimeout(w waiter) {
	if !e.parkedAs(w) {
		return
	}
	r := w.rec.round
	p := r.park[w.t]
	var names []string
	for _, d := range p.deps {
		if !e.known(e.maps[d.m], d.key, w.t) {
			names = append(names, e.maps[d.m].name+" "+d.key)
		}
	}
	msg := fmt.Sprintf("waited %s for %s to exist on %s", time.Duration(e.now-p.since), strings.Join(names, ", "), w.t.plan())
	r.park[w.t] = nil
	// Point at the first lookup field that is still waiting.
	var f *fieldInfo
	for _, fw := range r.want[w.t] {
		fi := &w.m.fields[fw.i]
		if fi.lookup != nil && fw.val.k != KindNull && !e.known(fi.lookup, fw.val.text(), w.t) {
			f = fi
			break
		}
	}
	e.enqueue(w.m, w.rec, w.t, failure{class: Dependency, message: msg}, f, fieldIdx(r.want[w.t]), 1)
	e.advance(w.m, w.rec)
}

package engine

import "container/heap"

// Timers fire on Tick, in order of due time and then of creation, so the
// same events always produce the same outputs. A timer that no longer
// matches its record's state (the park ended, the write was sent) is
// ignored when it fires.

type timerKind uint8

const (
	timerRetry timerKind = iota
	timerPark
)

type timer struct {
	at   int64
	seq  uint64
	kind timerKind
	fl   *flight // retry
	m    *mapping
	rec  *record
	t    side
	gen  uint64 // of the park or the flight
}

type timerHeap []timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)   { *h = append(*h, x.(timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = timer{}
	*h = old[:len(old)-1]
	return t
}

func (e *Engine) schedule(t timer) {
	e.timerSeq++
	t.seq = e.timerSeq
	heap.Push(&e.timers, t)
}

// fireTimers runs every timer due at or before now.
func (e *Engine) fireTimers() {
	for len(e.timers) > 0 && e.timers[0].at <= e.now {
		t := heap.Pop(&e.timers).(timer)
		switch t.kind {
		case timerRetry:
			e.resend(t.fl, t.gen)
		case timerPark:
			e.parkTimeout(waiter{m: t.m, rec: t.rec, t: t.t, gen: t.gen})
		}
	}
}

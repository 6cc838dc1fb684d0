package explore

import (
	"slices"
	"time"

	"github.com/dualsync/dualsync/runtime/plan"
)

// Shrinking.
//
// A failing history is reduced by delta debugging: first whole chunks of
// operations are dropped (halves, then quarters, and so on down to single
// operations), keeping every reduction that still fails the same
// property; then each remaining operation and the setup are simplified
// (waits to zero, fields of a Put dropped one by one, partial syncs run
// until quiet, skews and normalisation dropped), and the chunks are tried
// again while that helps. Every candidate runs in a new world, so the
// result is a history that fails on its own, reproducibly.

// Shrink reduces h to a smaller history for which fails still reports
// true, calling fails at most budget times. It returns the smallest
// history found and the number of calls made. fails(h) must be true.
func Shrink(h *History, fails func(*History) bool, budget int) (*History, int) {
	s := &shrinker{fails: fails, budget: budget}
	best := h.Clone()
	for {
		s.changed = false
		best = s.chunks(best)
		best = s.simplify(best)
		if !s.changed || s.out() {
			return best, s.runs
		}
	}
}

type shrinker struct {
	fails   func(*History) bool
	budget  int
	runs    int
	changed bool
}

func (s *shrinker) out() bool { return s.runs >= s.budget }

func (s *shrinker) try(h *History) bool {
	if s.out() {
		return false
	}
	s.runs++
	if s.fails(h) {
		s.changed = true
		return true
	}
	return false
}

// chunks drops chunks of operations (complement-only delta debugging).
func (s *shrinker) chunks(h *History) *History {
	n := 2
	for len(h.Ops) >= 1 && !s.out() {
		size := (len(h.Ops) + n - 1) / n
		reduced := false
		for start := 0; start < len(h.Ops) && !s.out(); start += size {
			c := h.Clone()
			c.Ops = slices.Delete(c.Ops, start, min(start+size, len(c.Ops)))
			if s.try(c) {
				h = c
				n = max(n-1, 2)
				reduced = true
				break
			}
		}
		if !reduced {
			if size <= 1 {
				break
			}
			n = min(2*n, len(h.Ops))
		}
	}
	return h
}

// simplify tries the simpler form of each operation and of the setup.
func (s *shrinker) simplify(h *History) *History {
	for _, side := range []plan.Side{plan.FO, plan.DV} {
		if h.Setup.Skew[side] != 0 {
			c := h.Clone()
			delete(c.Setup.Skew, side)
			if s.try(c) {
				h = c
			}
		}
		for i := len(h.Setup.Normalize[side]) - 1; i >= 0; i-- {
			c := h.Clone()
			c.Setup.Normalize[side] = slices.Delete(c.Setup.Normalize[side], i, i+1)
			if s.try(c) {
				h = c
			}
		}
	}
	for i := 0; i < len(h.Ops) && !s.out(); i++ {
		if h.Ops[i].Wait > time.Second {
			c := h.Clone()
			c.Ops[i].Wait = time.Second
			if s.try(c) {
				h = c
			}
		}
		if h.Ops[i].Wait > 0 {
			c := h.Clone()
			c.Ops[i].Wait = 0
			if s.try(c) {
				h = c
			}
		}
		switch op := &h.Ops[i]; op.Kind {
		case Put:
			for j := len(op.Values) - 1; j >= 0 && len(h.Ops[i].Values) > 1 && !s.out(); j-- {
				if j >= len(h.Ops[i].Values) {
					continue
				}
				c := h.Clone()
				c.Ops[i].Values = slices.Delete(c.Ops[i].Values, j, j+1)
				if s.try(c) {
					h = c
				}
			}
		case Sync:
			if op.Rounds > 0 {
				c := h.Clone()
				c.Ops[i].Rounds = 0
				if s.try(c) {
					h = c
				}
			}
		}
	}
	return h
}

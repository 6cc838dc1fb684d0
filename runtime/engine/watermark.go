package engine

import "slices"

// Change-feed watermarks. Each observation with a Seq is unsettled until it
// ends (its round settles, it is dropped, or it is part of a persisted
// parked round). A feed's watermark is the highest Seq below which nothing
// is unsettled, with the latest token at or below it. A connector that
// resumes from the persisted token can only see changes again, never miss
// one; seeing them again is harmless (see State).

type feedKey struct {
	m int
	s side
}

type feed struct {
	key       feedKey
	last      int64   // highest Seq seen this run
	unsettled []int64 // ascending
	tokens    []seqToken
	mark      int64
	token     string
	dirty     bool
}

type seqToken struct {
	seq   int64
	token string
}

type feedRef struct {
	f   *feed
	seq int64
}

func (e *Engine) feed(m *mapping, s side) *feed {
	k := feedKey{m: m.idx, s: s}
	f := e.feeds[k]
	if f == nil {
		f = &feed{key: k}
		e.feeds[k] = f
	}
	return f
}

// feedOpen registers an observation at position seq of a feed. An
// observation out of order (or without a Seq) is not tracked.
func (e *Engine) feedOpen(m *mapping, s side, seq int64, token string) (feedRef, bool) {
	if seq <= 0 {
		return feedRef{}, false
	}
	f := e.feed(m, s)
	if seq <= f.last {
		return feedRef{}, false
	}
	f.last = seq
	f.unsettled = append(f.unsettled, seq)
	if token != "" {
		f.tokens = append(f.tokens, seqToken{seq: seq, token: token})
	}
	return feedRef{f: f, seq: seq}, true
}

// feedSettle marks an observation settled and moves the watermark.
func (e *Engine) feedSettle(ref feedRef) {
	f := ref.f
	if f == nil {
		return
	}
	i, found := slices.BinarySearch(f.unsettled, ref.seq)
	if !found {
		return
	}
	f.unsettled = slices.Delete(f.unsettled, i, i+1)
	mark := f.last
	if len(f.unsettled) > 0 {
		mark = f.unsettled[0] - 1
	}
	if mark <= f.mark {
		return
	}
	f.mark = mark
	j := 0
	for j < len(f.tokens) && f.tokens[j].seq <= mark {
		f.token = f.tokens[j].token
		j++
	}
	f.tokens = f.tokens[:copy(f.tokens, f.tokens[j:])]
	if !f.dirty {
		f.dirty = true
		e.feedDirty = append(e.feedDirty, f)
	}
}

func (e *Engine) watermark(f *feed) Watermark {
	return Watermark{Map: e.maps[f.key.m].name, Side: f.key.s.plan(), Seq: f.mark, Token: f.token}
}

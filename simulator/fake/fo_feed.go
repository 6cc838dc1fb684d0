package fake

import (
	"cmp"
	"slices"
	"time"
)

// The change feed request of FOConnector. It is one cross-company query
// by modified time, like List ($filter ModifiedDateTime ge ..., the
// deleted records standing in for change tracking; see
// Query.IncludeDeleted), with two differences that a client could get
// from List at a cost: the rows come in modification order (modified
// time, then version) rather than by key within a second, and rows the
// caller has already seen are left out before they are copied, as a
// client that de-duplicates the overlap window would throw them away.
// Answering that in the service keeps a poll from copying every row of
// the overlap window only to drop most of them.

// feedQuery is one poll of the feed.
type feedQuery struct {
	// since keeps rows modified at or after it; zero keeps all.
	since time.Time
	// deleted adds the tombstones of deleted records modified at or after
	// since; with a zero since, those stamped within recent of the
	// answer's time.
	deleted bool
	recent  time.Duration
	// seen reports the rows (live or deleted) the caller already has, by
	// key and version; they are left out. Called with the lock held.
	seen func(e foEntry, mod time.Time) bool
	// top bounds the rows answered; more reports that the answer was cut.
	top int
}

// foEntry names one version of a record: a row or a tombstone.
type foEntry struct {
	key string
	ver int64
}

// feedAnswer is the answer to a feedQuery.
type feedAnswer struct {
	rows []Row // in modification order; tombstones have Deleted set
	more bool
	// now is the service's time when it answered, to the second, as it
	// stamps modified times (a real answer's Date header).
	now time.Time
}

type feedHit struct {
	r       *foRow
	deleted bool
}

// feed answers one poll of the change feed; it is one request, subject to
// the faults in force like List.
func (a FOAPI) feed(set string, q feedQuery) (feedAnswer, error) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.gate(ReadOps, set); e != nil {
		return feedAnswer{}, e
	}
	st := s.sets[set]
	if st == nil {
		return feedAnswer{}, foNotFound(set)
	}
	ans := feedAnswer{now: s.stamp()}
	var hits []feedHit
	keep := func(r *foRow, deleted bool, since time.Time) {
		if r.mod.Before(since) {
			return
		}
		if q.seen != nil && q.seen(foEntry{r.key, r.ver}, r.mod) {
			return
		}
		hits = append(hits, feedHit{r, deleted})
	}
	for _, r := range st.rows {
		keep(r, false, q.since)
	}
	if q.deleted {
		since := q.since
		if since.IsZero() {
			since = ans.now.Add(-q.recent)
		}
		for _, r := range st.tombs {
			keep(r, true, since)
		}
	}
	slices.SortFunc(hits, func(a, b feedHit) int {
		return cmp.Or(a.r.mod.Compare(b.r.mod), cmp.Compare(a.r.ver, b.r.ver))
	})
	if q.top > 0 && len(hits) > q.top {
		hits, ans.more = hits[:q.top], true
	}
	ans.rows = make([]Row, len(hits))
	for i, h := range hits {
		ans.rows[i] = st.out(h.r)
		ans.rows[i].Deleted = h.deleted
	}
	return ans, nil
}

package runtime

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// Persister saves what each engine Ready asks to keep: its Checkpoint
// (records, watermarks, ID counter), its error-queue Errors and Resolved
// entries, and its Conflicts, all in one transaction. The Ready's slices
// belong to the engine: a Persister copies what it keeps. The store
// package provides the durable implementations; MemoryPersister keeps it
// in memory.
type Persister interface {
	Save(ctx context.Context, rd engine.Ready) error
}

// MemoryPersister is a Persister that accumulates an engine.State in
// memory by applying each Ready's increments, and keeps the conflict log.
// Its State restarts an engine where the last Save left it. It is safe for
// concurrent use.
type MemoryPersister struct {
	mu        sync.Mutex
	st        engine.State
	recs      map[recKey]int // index in st.Records
	errs      map[string]int // index in st.Errors, by ID
	conflicts []engine.Conflict
	saves     int
}

type recKey struct{ m, key string }

// NewMemoryPersister returns a persister that starts from st (nil: empty).
func NewMemoryPersister(st *engine.State) *MemoryPersister {
	p := &MemoryPersister{recs: map[recKey]int{}, errs: map[string]int{}}
	p.st = engine.State{Version: engine.StateVersion}
	if st != nil {
		c := cloneState(st)
		p.st = *c
	}
	for i, r := range p.st.Records {
		p.recs[recKey{r.Map, r.Key}] = i
	}
	for i, e := range p.st.Errors {
		p.errs[e.ID] = i
	}
	return p
}

// Save applies rd's increments: records are upserted by map and key, the
// intents of updates (Checkpoint.Sent) set on stored records (an intent of
// a record not stored fails the save, which then changes nothing),
// watermarks set by map and side, error entries upserted by ID, resolved
// entries removed, conflicts appended.
func (p *MemoryPersister) Save(ctx context.Context, rd engine.Ready) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range rd.Checkpoint.Sent {
		_, ok := p.recs[recKey{s.Map, s.Key}]
		if !ok && !slices.ContainsFunc(rd.Checkpoint.Records, func(r engine.RecordState) bool { return r.Map == s.Map && r.Key == s.Key }) {
			return fmt.Errorf("intent of updates to record %s %q, which is not stored", s.Map, s.Key)
		}
	}
	p.saves++
	for _, r := range rd.Checkpoint.Records {
		r = cloneRecord(r)
		k := recKey{r.Map, r.Key}
		if i, ok := p.recs[k]; ok {
			p.st.Records[i] = r
		} else {
			p.recs[k] = len(p.st.Records)
			p.st.Records = append(p.st.Records, r)
		}
	}
	for _, s := range rd.Checkpoint.Sent {
		i := p.recs[recKey{s.Map, s.Key}]
		p.st.Records[i].FO.Sent, p.st.Records[i].DV.Sent = slices.Clone(s.FO), slices.Clone(s.DV)
	}
	for _, w := range rd.Checkpoint.Watermarks {
		i := slices.IndexFunc(p.st.Watermarks, func(x engine.Watermark) bool { return x.Map == w.Map && x.Side == w.Side })
		if i >= 0 {
			p.st.Watermarks[i] = w
		} else {
			p.st.Watermarks = append(p.st.Watermarks, w)
		}
	}
	if rd.Checkpoint.NextID > p.st.NextID {
		p.st.NextID = rd.Checkpoint.NextID
	}
	for _, e := range rd.Errors {
		e = cloneError(e)
		if i, ok := p.errs[e.ID]; ok {
			p.st.Errors[i] = e
		} else {
			p.errs[e.ID] = len(p.st.Errors)
			p.st.Errors = append(p.st.Errors, e)
		}
	}
	if len(rd.Resolved) > 0 {
		p.st.Errors = slices.DeleteFunc(p.st.Errors, func(e engine.ErrorEntry) bool { return slices.Contains(rd.Resolved, e.ID) })
		clear(p.errs)
		for i, e := range p.st.Errors {
			p.errs[e.ID] = i
		}
	}
	p.conflicts = append(p.conflicts, rd.Conflicts...)
	return nil
}

// State returns a copy of the accumulated state, records and errors sorted
// by map and key, watermarks by map and side.
func (p *MemoryPersister) State() *engine.State {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := cloneState(&p.st)
	slices.SortFunc(st.Records, func(a, b engine.RecordState) int {
		return cmp.Or(cmp.Compare(a.Map, b.Map), cmp.Compare(a.Key, b.Key))
	})
	slices.SortFunc(st.Errors, func(a, b engine.ErrorEntry) int {
		return cmp.Or(cmp.Compare(a.Map, b.Map), cmp.Compare(a.Key, b.Key), cmp.Compare(a.Side, b.Side), cmp.Compare(a.ID, b.ID))
	})
	slices.SortFunc(st.Watermarks, func(a, b engine.Watermark) int {
		return cmp.Or(cmp.Compare(a.Map, b.Map), cmp.Compare(a.Side, b.Side))
	})
	return st
}

// Conflicts returns the conflict log, oldest first.
func (p *MemoryPersister) Conflicts() []engine.Conflict {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.conflicts)
}

// Errors returns the error queue: the state's error entries.
func (p *MemoryPersister) Errors() []engine.ErrorEntry { return p.State().Errors }

// Saves is the number of successful Save calls.
func (p *MemoryPersister) Saves() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.saves
}

// Watermark returns the persisted watermark of map m on side s.
func (p *MemoryPersister) Watermark(m string, s plan.Side) (engine.Watermark, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, w := range p.st.Watermarks {
		if w.Map == m && w.Side == s {
			return w, true
		}
	}
	return engine.Watermark{}, false
}

func cloneState(st *engine.State) *engine.State {
	c := *st
	c.Records = make([]engine.RecordState, len(st.Records))
	for i, r := range st.Records {
		c.Records[i] = cloneRecord(r)
	}
	c.Errors = make([]engine.ErrorEntry, len(st.Errors))
	for i, e := range st.Errors {
		c.Errors[i] = cloneError(e)
	}
	c.Watermarks = slices.Clone(st.Watermarks)
	if c.Watermarks == nil {
		c.Watermarks = []engine.Watermark{}
	}
	return &c
}

func cloneRecord(r engine.RecordState) engine.RecordState {
	r.FO = cloneSide(r.FO)
	r.DV = cloneSide(r.DV)
	if r.Tombstone != nil {
		t := *r.Tombstone
		r.Tombstone = &t
	}
	if r.Pending != nil {
		pend := make([]engine.PendingChange, len(r.Pending))
		for i, pc := range r.Pending {
			pc.Values = slices.Clone(pc.Values)
			pend[i] = pc
		}
		r.Pending = pend
	}
	return r
}

func cloneSide(s engine.SideState) engine.SideState {
	s.Base = slices.Clone(s.Base)
	s.Unconfirmed = slices.Clone(s.Unconfirmed)
	s.Sent = slices.Clone(s.Sent)
	return s
}

func cloneError(e engine.ErrorEntry) engine.ErrorEntry {
	e.Fields = slices.Clone(e.Fields)
	e.Values = slices.Clone(e.Values)
	return e
}

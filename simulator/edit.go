package simulator

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator/fake"
)

// set returns the entity set of map m on side s.
func (w *World) set(s plan.Side, m string) (string, error) {
	pm := w.plan.MapByName(m)
	if pm == nil {
		return "", fmt.Errorf("no map %q in the plan", m)
	}
	switch s {
	case plan.FO:
		return pm.FO.EntitySet, nil
	case plan.DV:
		return pm.DV.EntitySet, nil
	}
	return "", fmt.Errorf("unknown side %q: want fo or dv", s)
}

// Put creates or updates record key of map m on side s as a user of that
// side would: values are by the side's field names in its representation
// (F&O enum members as strings, Dataverse choices as ints, lookups as the
// referenced record's key). The service's business logic applies
// (validation, normalisation, plug-ins); its request faults do not.
func (w *World) Put(s plan.Side, m, key string, values map[string]engine.Value) error {
	_, err := w.PutRow(s, m, key, values)
	return err
}

// PutRow is Put that also returns the record as the side stored it, as
// Get would return it next (values after business logic, the new
// version and modified time).
func (w *World) PutRow(s plan.Side, m, key string, values map[string]engine.Value) (fake.Row, error) {
	set, err := w.set(s, m)
	if err != nil {
		return fake.Row{}, err
	}
	var row fake.Row
	if s == plan.FO {
		row, err = w.fo.Put(set, key, values)
	} else {
		row, err = w.dv.Put(set, key, values)
	}
	if err != nil {
		if w.trace.on() {
			w.trace.linef("user %s %s put %s %s refused: %v", s, m, key, valueMap(values), err)
		}
		return fake.Row{}, err
	}
	if w.trace.on() {
		w.trace.linef("user %s %s put %s %s -> v=%s", s, m, key, valueMap(values), row.ETag)
	}
	return row, nil
}

// Delete deletes record key of map m on side s as a user would.
func (w *World) Delete(s plan.Side, m, key string) error {
	set, err := w.set(s, m)
	if err != nil {
		return err
	}
	if s == plan.FO {
		err = w.fo.Delete(set, key)
	} else {
		err = w.dv.Delete(set, key)
	}
	if err != nil {
		w.trace.linef("user %s %s delete %s refused: %v", s, m, key, err)
		return err
	}
	w.trace.linef("user %s %s delete %s", s, m, key)
	return nil
}

// Get returns record key of map m on side s as a user sees it (values by
// the side's field names, lookups as key text), and whether it exists.
func (w *World) Get(s plan.Side, m, key string) (fake.Row, bool) {
	set, err := w.set(s, m)
	if err != nil {
		return fake.Row{}, false
	}
	if s == plan.FO {
		return w.fo.Get(set, key)
	}
	return w.dv.Get(set, key)
}

// Rows returns every record of map m on side s, sorted by key.
func (w *World) Rows(s plan.Side, m string) []fake.Row {
	set, err := w.set(s, m)
	if err != nil {
		return nil
	}
	if s == plan.FO {
		return w.fo.Rows(set)
	}
	return w.dv.Rows(set)
}

type service interface {
	SetFault(fake.Fault) error
	ClearFault(string)
	ClearFaults()
}

func (w *World) service(s plan.Side) (service, error) {
	switch s {
	case plan.FO:
		return w.fo, nil
	case plan.DV:
		return w.dv, nil
	}
	return nil, fmt.Errorf("unknown side %q: want fo or dv", s)
}

// SetFault puts fault f in force on side s (replacing a fault of the same
// name). With d > 0 the fault is cleared once d of virtual time has
// passed (at the first request, Advance or SetTime after that).
func (w *World) SetFault(s plan.Side, f fake.Fault, d time.Duration) error {
	svc, err := w.service(s)
	if err != nil {
		return err
	}
	if err := svc.SetFault(f); err != nil {
		return err
	}
	name := cmp.Or(f.Name, string(f.Kind))
	if w.trace.on() {
		w.trace.linef("fault %s %s", s, f.String())
	}
	w.cancel(string(s) + "/" + name)
	if d > 0 {
		w.after(d, string(s)+"/"+name, func() {
			svc.ClearFault(name)
			w.trace.linef("clear %s %s (timed)", s, name)
		})
	}
	return nil
}

// ClearFault removes the fault named name from side s; an empty name
// removes all of the side's faults.
func (w *World) ClearFault(s plan.Side, name string) error {
	svc, err := w.service(s)
	if err != nil {
		return err
	}
	w.cancel(string(s) + "/" + name)
	if name == "" {
		svc.ClearFaults()
		w.trace.linef("clear %s all", s)
		return nil
	}
	svc.ClearFault(name)
	w.trace.linef("clear %s %s", s, name)
	return nil
}

// ClearFaults heals both sides: every fault is removed, timed ones too.
func (w *World) ClearFaults() {
	w.fo.ClearFaults()
	w.dv.ClearFaults()
	w.timed = nil
	w.trace.linef("clear all")
}

// SetSkew sets how far side s's own clock (its modified times) is ahead
// of the virtual clock; negative: behind.
func (w *World) SetSkew(s plan.Side, d time.Duration) error {
	switch s {
	case plan.FO:
		w.fo.SetSkew(d)
	case plan.DV:
		w.dv.SetSkew(d)
	default:
		return fmt.Errorf("unknown side %q: want fo or dv", s)
	}
	w.trace.linef("skew %s %s", s, d)
	return nil
}

type timedAction struct {
	at  time.Time
	seq int
	key string // side/fault name
	do  func()
}

// after runs do once d of virtual time has passed.
func (w *World) after(d time.Duration, key string, do func()) {
	w.timedSeq++
	w.timed = append(w.timed, timedAction{at: w.clock.Now().Add(d), seq: w.timedSeq, key: key, do: do})
}

// cancel drops the timed actions of key ("side/" cancels all of a side's).
func (w *World) cancel(key string) {
	w.timed = slices.DeleteFunc(w.timed, func(a timedAction) bool {
		return a.key == key || (strings.HasSuffix(key, "/") && strings.HasPrefix(a.key, key))
	})
}

// runTimed runs the timed actions that are due, in time order.
func (w *World) runTimed() {
	if len(w.timed) == 0 {
		return
	}
	now := w.clock.Now()
	slices.SortStableFunc(w.timed, func(a, b timedAction) int {
		return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.seq, b.seq))
	})
	for len(w.timed) > 0 && !w.timed[0].at.After(now) {
		a := w.timed[0]
		w.timed = w.timed[1:]
		a.do()
	}
}

// WriteLog is one write the engine sent to a side, with its result.
type WriteLog struct {
	At      time.Time           `json:"at"`
	Side    plan.Side           `json:"side"`
	Map     string              `json:"map"`
	Key     string              `json:"key"`
	ID      string              `json:"id"`
	Op      engine.Op           `json:"op"`
	Create  bool                `json:"create,omitempty"`
	Pass    int                 `json:"pass"`
	Attempt int                 `json:"attempt"`
	Values  []engine.FieldValue `json:"values,omitempty"`
	// Acked reports that the target applied the write; otherwise Class
	// and Message say why not.
	Acked   bool         `json:"acked"`
	Class   engine.Class `json:"class,omitempty"`
	Message string       `json:"message,omitempty"`
}

// Writes returns every write sent so far, in order, across restarts.
func (w *World) Writes() []WriteLog { return slices.Clone(w.writes) }

func (w *World) logWrites(ws []engine.Write, rs []dsruntime.Result) {
	now := w.clock.Now()
	for _, wr := range ws {
		l := WriteLog{At: now, Side: wr.Side, Map: wr.Map, Key: wr.Key, ID: wr.ID, Op: wr.Op, Create: wr.Create,
			Pass: wr.Pass, Attempt: wr.Attempt, Values: slices.Clone(wr.Values), Class: engine.Transient,
			Message: "no result"}
		if r, ok := resultFor(rs, wr.ID); ok {
			switch {
			case r.Acked != nil:
				l.Acked, l.Class, l.Message = true, "", ""
			case r.Failed != nil:
				l.Class, l.Message = r.Failed.Class, r.Failed.Message
			}
		}
		w.writes = append(w.writes, l)
	}
}

func resultFor(rs []dsruntime.Result, id string) (dsruntime.Result, bool) {
	for _, r := range rs {
		if r.WriteID() == id {
			return r, true
		}
	}
	return dsruntime.Result{}, false
}

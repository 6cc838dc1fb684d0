package explore

import (
	"fmt"
	"strings"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator"
	"github.com/dualsync/dualsync/simulator/fake"
)

// Kind is what an operation of a history does.
type Kind uint8

// Operation kinds.
const (
	// Put: a user creates or updates a record on a side (a Put of a key
	// the side does not have creates it there).
	Put Kind = iota + 1
	// Delete: a user deletes a record on a side.
	Delete
	// Fault: a fault comes into force on a side, until a Clear of its
	// name, its Duration of virtual time, or the final heal.
	Fault
	// Clear: the named fault of a side ends.
	Clear
	// Sync: the engine runs: until quiet when Rounds is 0, else that many
	// driver rounds (so that later edits land in the middle of its work).
	Sync
	// Crash: a crash is armed at a point of the driver's loop; it fires
	// during a later Sync, and the engine is restarted from its store
	// right after that Sync.
	Crash
)

var kindNames = [...]string{Put: "put", Delete: "delete", Fault: "fault", Clear: "clear", Sync: "sync", Crash: "crash"}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Op is one operation of a history.
type Op struct {
	Kind Kind
	// Wait is the virtual time that passes before the operation.
	Wait time.Duration
	Side plan.Side
	Map  string
	// Key is the record's key (engine.JoinKey, company first).
	Key string
	// Values are a Put's fields, by the side's field names in the side's
	// representation (F&O lookups as the referenced business key, Dataverse
	// lookups as the referenced record's key), in plan order.
	Values []engine.FieldValue
	// Fault is the fault of a Fault operation; Duration > 0 clears it
	// after that much virtual time.
	Fault    fake.Fault
	Duration time.Duration
	// Name is the fault a Clear ends.
	Name string
	// Rounds is a Sync's number of driver rounds; 0 runs until quiet.
	Rounds int
	// Point and N arm a Crash at the N-th occurrence of Point.
	Point simulator.CrashPoint
	N     int
}

// Touches reports whether the operation is a user's edit of record (m, key).
func (o *Op) Touches(m, key string) bool {
	return (o.Kind == Put || o.Kind == Delete) && o.Map == m && o.Key == key
}

// Value returns the value the Put gives field name, if it gives one.
func (o *Op) Value(name string) (engine.Value, bool) {
	for _, fv := range o.Values {
		if fv.Field == name {
			return fv.Value, true
		}
	}
	return engine.Value{}, false
}

// Setup is what a history configures before its first operation: each
// side's clock skew and the business logic that normalises stored values.
type Setup struct {
	Skew      map[plan.Side]time.Duration
	Normalize map[plan.Side][]fake.Normalize
}

func (s Setup) clone() Setup {
	c := Setup{}
	if s.Skew != nil {
		c.Skew = map[plan.Side]time.Duration{}
		for k, v := range s.Skew {
			c.Skew[k] = v
		}
	}
	if s.Normalize != nil {
		c.Normalize = map[plan.Side][]fake.Normalize{}
		for k, v := range s.Normalize {
			c.Normalize[k] = append([]fake.Normalize(nil), v...)
		}
	}
	return c
}

// History is a generated sequence of concurrent writes, faults and engine
// runs, reproducible from its seed.
type History struct {
	Seed  int64
	Setup Setup
	Ops   []Op
}

// Clone returns a deep copy of h.
func (h *History) Clone() *History {
	c := &History{Seed: h.Seed, Setup: h.Setup.clone(), Ops: make([]Op, len(h.Ops))}
	for i, o := range h.Ops {
		o.Values = append([]engine.FieldValue(nil), o.Values...)
		c.Ops[i] = o
	}
	return c
}

// Edits counts the user edits (puts and deletes) of h.
func (h *History) Edits() int {
	n := 0
	for i := range h.Ops {
		if k := h.Ops[i].Kind; k == Put || k == Delete {
			n++
		}
	}
	return n
}

// String formats the history for people, one operation a line, numbered
// from 1.
func (h *History) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "history seed=%d, %d operations\n", h.Seed, len(h.Ops))
	for _, s := range []plan.Side{plan.FO, plan.DV} {
		if d := h.Setup.Skew[s]; d != 0 {
			fmt.Fprintf(&b, "  setup %s clock skew %s\n", s, d)
		}
		for _, n := range h.Setup.Normalize[s] {
			fmt.Fprintf(&b, "  setup %s normalizes %s.%s %s", s, n.Set, n.Field, n.Rule)
			if n.Rule == fake.Round {
				fmt.Fprintf(&b, " %d", n.Places)
			}
			b.WriteByte('\n')
		}
	}
	for i := range h.Ops {
		fmt.Fprintf(&b, "  #%d %s\n", i+1, h.Ops[i].String())
	}
	return b.String()
}

// String formats one operation.
func (o *Op) String() string {
	var b strings.Builder
	if o.Wait > 0 {
		fmt.Fprintf(&b, "+%s ", o.Wait)
	}
	b.WriteString(o.Kind.String())
	switch o.Kind {
	case Put:
		fmt.Fprintf(&b, " %s %s %s {", o.Side, o.Map, o.Key)
		for i, fv := range o.Values {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s=%s", fv.Field, fv.Value)
		}
		b.WriteString("}")
	case Delete:
		fmt.Fprintf(&b, " %s %s %s", o.Side, o.Map, o.Key)
	case Fault:
		fmt.Fprintf(&b, " %s %s", o.Side, o.Fault.String())
		if o.Duration > 0 {
			fmt.Fprintf(&b, " for %s", o.Duration)
		}
	case Clear:
		fmt.Fprintf(&b, " %s %s", o.Side, o.Name)
	case Sync:
		if o.Rounds == 0 {
			b.WriteString(" until quiet")
		} else {
			fmt.Fprintf(&b, " %d rounds", o.Rounds)
		}
	case Crash:
		fmt.Fprintf(&b, " at %s #%d", o.Point, o.N)
	}
	return b.String()
}

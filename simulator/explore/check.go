package explore

import (
	"cmp"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// Property names, as violations and reports give them.
const (
	Convergence         = "convergence"
	RuleCompliance      = "rule-compliance"
	NoLostUpdate        = "no-lost-update"
	NoEchoLoop          = "no-echo-loop"
	DependencyOrder     = "dependency-order"
	AccountingIdentity  = "accounting-identity"
	NothingSilentlyLost = "nothing-silently-lost"
)

// Violation is one property that does not hold.
type Violation struct {
	Property string
	// Record and Field say where, when the property is about one record
	// (Field by its F&O name).
	Record  RecID
	Field   string
	Message string
}

func (v Violation) String() string {
	var b strings.Builder
	b.WriteString(v.Property)
	b.WriteString(": ")
	if v.Record.Map != "" {
		b.WriteString(v.Record.String())
		if v.Field != "" {
			b.WriteString(" " + v.Field)
		}
		b.WriteString(": ")
	}
	b.WriteString(v.Message)
	return b.String()
}

// Property is one checked property.
type Property struct {
	Name string
	// Doc says what the property demands, in one sentence.
	Doc   string
	Check func(*Case) []Violation
}

// Properties returns every property, in the order Check runs them.
func Properties() []Property {
	return []Property{
		{NoEchoLoop, "every run goes quiet within its bound of rounds, and the engine's writes stay within a bound linear in the history's edits", checkEcho},
		{AccountingIdentity, "after quiet, every observed change ended exactly one way (applied, suppressed, queued, parked) and nothing is in flight or parked", checkAccounting},
		{NothingSilentlyLost, "after the faults heal, every record the two sides disagree on has an error-queue entry (or a documented reason)", checkSilentLoss},
		{Convergence, "after the error queue is retried, every record has equal mapped fields on both sides, after value maps and the services' normalisation", checkConvergence},
		{RuleCompliance, "a field edited on both sides in one window holds the value the plan's conflict rule names; one-way fields hold their owner's value; a propagated delete wins", checkRules},
		{NoLostUpdate, "an edit nobody contested is reflected on both sides, and no value replaced on its own side comes back", checkLostUpdates},
		{DependencyOrder, "the engine never writes a lookup to a record that has not existed on the target side before", checkDependencies},
	}
}

// Case is one executed history under check.
type Case struct {
	Plan    *plan.Plan
	History *History
	Outcome *Outcome
	md      *model
	writers map[int]int  // token to the index of the Put that wrote it
	exp     []*recExpect // computed on first use
	// exemptions are the differences accepted for a documented reason
	// (drift.go).
	exemptions []Exemption
}

// NewCase prepares the checks of outcome o of history h under plan p.
func NewCase(p *plan.Plan, h *History, o *Outcome) *Case {
	return newCase(newModel(p), h, o)
}

func newCase(md *model, h *History, o *Outcome) *Case {
	c := &Case{Plan: md.p, History: h, Outcome: o, md: md, writers: map[int]int{}}
	for i := range h.Ops {
		op := &h.Ops[i]
		if op.Kind != Put {
			continue
		}
		mi := md.maps[op.Map]
		if mi == nil {
			continue
		}
		for _, fv := range op.Values {
			fi := mi.field(op.Side, fv.Field)
			if fi == nil || !traceable(fi.f) {
				continue
			}
			if n, ok := token(fv.Value); ok {
				c.writers[n] = i
			}
		}
	}
	return c
}

// Check runs every property on outcome o of history h under plan p and
// returns the violations, by property in the order of Properties.
func Check(p *plan.Plan, h *History, o *Outcome) []Violation {
	return NewCase(p, h, o).Check()
}

// Check runs every property.
func (c *Case) Check() []Violation {
	var out []Violation
	for _, pr := range Properties() {
		out = append(out, pr.Check(c)...)
	}
	return out
}

// applied reports whether operation i took effect.
func (c *Case) applied(i int) bool {
	return i < len(c.Outcome.Ops) && c.Outcome.Ops[i].Applied
}

// opName names operation i for messages.
func (c *Case) opName(i int) string {
	op := &c.History.Ops[i]
	if op.Kind == Put || op.Kind == Delete {
		return fmt.Sprintf("#%d (%s %s %s)", i+1, op.Kind, op.Side, op.Map)
	}
	return fmt.Sprintf("#%d (%s)", i+1, op)
}

// sortViolations orders violations by record and field, so that reports
// are stable.
func sortViolations(vs []Violation) {
	slices.SortStableFunc(vs, func(a, b Violation) int {
		return cmp.Or(cmp.Compare(a.Record.Map, b.Record.Map), cmp.Compare(a.Record.Key, b.Record.Key), cmp.Compare(a.Field, b.Field))
	})
}

// sortedRecords returns a snapshot's records in map and key order.
func sortedRecords(s *Snapshot) []RecID {
	ids := make([]RecID, 0, len(s.Rows))
	for id := range s.Rows {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b RecID) int { return cmp.Or(cmp.Compare(a.Map, b.Map), cmp.Compare(a.Key, b.Key)) })
	return ids
}

// common returns a value of field fi as side s stores it in a form both
// sides share: lookups as the referenced record's key, enum members as
// their choices, blank text as null.
func common(mi *mapInfo, fi *fieldInfo, s plan.Side, key string, v engine.Value) engine.Value {
	if fi.ref != nil {
		v = fi.refKey(s, mi.companyOf(key), v)
	}
	if str, ok := v.AsString(); ok {
		if strings.TrimSpace(str) == "" {
			return engine.Null()
		}
		if s == plan.FO && len(fi.f.Values) > 0 {
			for _, vp := range fi.f.Values {
				if vp.FO == str {
					return engine.Int(vp.DV)
				}
			}
		}
	}
	return v
}

// equivalent reports whether two values of field fi, in common form, are
// the same once what the services do to stored values is forgiven:
// surrounding space, case, truncation to the field's length, rounding to
// its scale, dates to the day and times to the second.
func equivalent(fi *fieldInfo, a, b engine.Value) bool {
	if a.Equal(b) {
		return true
	}
	if sa, ok := a.AsString(); ok {
		sb, ok := b.AsString()
		if !ok {
			return false
		}
		sa, sb = strings.TrimSpace(sa), strings.TrimSpace(sb)
		if n := fi.f.MaxLength; n > 0 {
			sa, sb = truncate(sa, n), truncate(sb, n)
		}
		return strings.EqualFold(sa, sb)
	}
	if da, ok := a.AsDecimal(); ok {
		db, ok := b.AsDecimal()
		if !ok || fi.f.Scale == nil {
			return false
		}
		return roundRat(da, *fi.f.Scale) == roundRat(db, *fi.f.Scale)
	}
	if ta, ok := a.AsTime(); ok && a.Kind() == engine.KindTime {
		tb, ok := b.AsTime()
		if !ok || b.Kind() != engine.KindTime {
			return false
		}
		if fi.f.FOType == plan.Date || fi.f.DVType == plan.Date {
			return ta.Truncate(24 * time.Hour).Equal(tb.Truncate(24 * time.Hour))
		}
		return ta.Truncate(time.Second).Equal(tb.Truncate(time.Second))
	}
	return false
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// roundRat rounds decimal text to places fraction digits, half away from
// zero, and returns it in a canonical form.
func roundRat(s string, places int) string {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return s
	}
	scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil))
	x := new(big.Rat).Mul(r, scale)
	half := big.NewRat(1, 2)
	if x.Sign() < 0 {
		x.Sub(x, half)
	} else {
		x.Add(x, half)
	}
	q := new(big.Int).Quo(x.Num(), x.Denom())
	return q.String()
}

// value returns field fi of record id's row on side in snapshot s in
// common form (null when the row lacks it).
func (c *Case) value(s *Snapshot, id RecID, fi *fieldInfo, side plan.Side, row map[string]engine.Value) engine.Value {
	mi := c.md.maps[id.Map]
	return c.deref(s, id, fi, side, common(mi, fi, side, id.Key, row[fi.name(side)]))
}

// deref returns lookup value v of field fi of record id on side as null
// when it names no record: the record does not exist on that side in s,
// or (Dataverse, which links by id) it was deleted there after the link
// was last set, so that the link names a dead id even if the key was
// created again. Dataverse removes such links; the two sides may show
// them differently, so they count as no link.
func (c *Case) deref(s *Snapshot, id RecID, fi *fieldInfo, side plan.Side, v engine.Value) engine.Value {
	if fi.ref == nil || v.IsNull() {
		return v
	}
	ref, _ := v.AsString()
	rid := RecID{fi.ref.m.Name, ref}
	if p := s.Rows[rid]; p == nil || p.Side(side) == nil {
		return engine.Null()
	}
	if side == plan.DV && c.deadLink(s, id, fi, rid) {
		return engine.Null()
	}
	return v
}

// deadLink reports whether record ref was deleted on Dataverse after the
// last write that set field fi of record id there, within the writes of
// snapshot s. Positions order user operations and engine writes: user
// operation i comes after the first WritesBefore writes, and after the
// operations before it.
func (c *Case) deadLink(s *Snapshot, id RecID, fi *fieldInfo, ref RecID) bool {
	set, del := -1, -1
	for i := range c.History.Ops {
		op := &c.History.Ops[i]
		if op.Side != plan.DV || !c.applied(i) {
			continue
		}
		pos := (2*c.Outcome.Ops[i].WritesBefore)<<20 | i
		if op.Kind == Put && op.Map == id.Map && op.Key == id.Key {
			if _, ok := op.Value(fi.f.DV); ok {
				set = max(set, pos)
			}
		}
		if op.Kind == Delete && op.Map == ref.Map && op.Key == ref.Key {
			del = max(del, pos)
		}
	}
	for w := 0; w < s.Writes && w < len(c.Outcome.Writes); w++ {
		wr := &c.Outcome.Writes[w]
		if wr.Side != plan.DV || !wr.Acked {
			continue
		}
		switch {
		case wr.Op == engine.OpDelete && wr.Map == ref.Map && wr.Key == ref.Key:
			del = max(del, (2*w+1)<<20)
		case wr.Op == engine.OpUpsert && wr.Map == id.Map && wr.Key == id.Key:
			for _, fv := range wr.Values {
				if fv.Field == fi.f.DV {
					set = max(set, (2*w+1)<<20)
				}
			}
		}
	}
	return del > set
}

// describe formats a value with the write it traces to, if any.
func (c *Case) describe(v engine.Value) string {
	if n, ok := token(v); ok {
		if i, ok := c.writers[n]; ok {
			return fmt.Sprintf("%s (from #%d)", v, i+1)
		}
	}
	return v.String()
}

package explore

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator"
	"github.com/dualsync/dualsync/simulator/fake"
)

// GenConfig shapes generated histories. The zero value works: about
// DefaultOps operations with every kind of operation.
type GenConfig struct {
	// Ops is the number of operations; default DefaultOps.
	Ops int
	// EditTargets lets users edit the copies on the side a one-way map
	// flows to; only meaningful when the world polls those sides
	// (simulator.Config.PollTargets).
	EditTargets bool
	// NoFaults, NoCrashes, NoDeletes and NoSetup leave those out.
	NoFaults  bool
	NoCrashes bool
	NoDeletes bool
	NoSetup   bool
	// NoCrashAfterUpdateApply leaves out crashes at after-apply: a batch
	// of writes applied whose results never reach the engine. It excludes
	// a known engine limitation: after the restart the engine's own
	// update looks like a user's edit on its target (it does not persist
	// the pre-write base), so a later edit on the other side can lose to
	// it (seed 62 in TestKnownLimitations).
	NoCrashAfterUpdateApply bool
	// NoCrashBeforeSave leaves out crashes at before-save: a Ready that is
	// neither persisted nor sent, which also loses the checkpoint of the
	// writes before it and, early on, the first feed cursor. It excludes
	// the same engine limitation for a crash after an update's write, and
	// a driver/connector limitation: with no cursor persisted before the
	// crash, the restarted driver reads the feed afresh, and a fresh
	// change-tracking read does not report the deletes made before it
	// (seed 1612 in TestKnownLimitations).
	NoCrashBeforeSave bool
}

// DefaultOps is the default length of a history.
const DefaultOps = 50

// Company is the company of every generated record of a company-striped map.
const Company = "usmf"

// Generate returns the history of seed for plan p: random records of
// random maps (children before their parents sometimes), field edits on
// both sides at interleaved virtual times between engine runs, deletes,
// faults and crashes. The same plan, seed and configuration give the same
// history.
func Generate(p *plan.Plan, seed int64, cfg GenConfig) *History {
	return newGen(newModel(p), seed, cfg).run()
}

type gen struct {
	md  *model
	cfg GenConfig
	r   *rand.Rand
	h   *History
	n   int // the unique-value counter

	recs    []*grec
	later   []laterOp   // operations scheduled for later positions
	faults  []openFault // faults set by name and not yet cleared
	stretch int         // user operations since the last Sync
}

// grec is the generator's belief about a record.
type grec struct {
	mi  *mapInfo
	key string
	biz string            // the business key (the key without the company)
	on  [2]bool           // believed to exist on fo, dv
	put [2]bool           // a user put it on the side since the last Sync
	del plan.DeleteAction // how it was deleted, "" while alive
}

type laterOp struct {
	at int // operation index at or after which to emit it
	op Op
	// parent, when set, is a record the op creates: the generator believes
	// it exists from then on.
	parent *grec
}

type openFault struct {
	side plan.Side
	name string
}

func newGen(md *model, seed int64, cfg GenConfig) *gen {
	if cfg.Ops <= 0 {
		cfg.Ops = DefaultOps
	}
	return &gen{
		md:  md,
		cfg: cfg,
		r:   rand.New(rand.NewPCG(uint64(seed), 0x5eed_e4b1_07e5)),
		h:   &History{Seed: seed},
	}
}

func (g *gen) next() int { g.n++; return g.n }

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

func (g *gen) run() *History {
	if !g.cfg.NoSetup {
		g.setup()
	}
	for len(g.h.Ops) < g.cfg.Ops {
		if g.emitLater() {
			continue
		}
		g.step()
	}
	g.h.Ops = g.h.Ops[:g.cfg.Ops]
	return g.h
}

// setup draws clock skews and normalising business logic.
func (g *gen) setup() {
	for _, s := range []plan.Side{plan.FO, plan.DV} {
		switch g.r.IntN(4) {
		case 0:
			g.skew(s, time.Duration(1+g.r.IntN(5))*time.Second)
		case 1:
			g.skew(s, -time.Duration(1+g.r.IntN(5))*time.Second)
		case 2:
			g.skew(s, time.Duration(g.r.IntN(1000)-500)*time.Millisecond)
		}
	}
	for range g.r.IntN(4) {
		mi := g.md.list[g.r.IntN(len(g.md.list))]
		s := g.side()
		var cands []*fieldInfo
		for i := range mi.fields {
			fi := &mi.fields[i]
			if !fi.key && fi.ref == nil && fi.typ(s) == plan.String {
				cands = append(cands, fi)
			}
		}
		if len(cands) == 0 {
			continue
		}
		fi := cands[g.r.IntN(len(cands))]
		rule := []fake.NormRule{fake.Trim, fake.Upper, fake.Lower}[g.r.IntN(3)]
		set := mi.m.FO.EntitySet
		if s == plan.DV {
			set = mi.m.DV.EntitySet
		}
		n := fake.Normalize{Set: set, Field: fi.name(s), Rule: rule}
		if g.h.Setup.Normalize == nil {
			g.h.Setup.Normalize = map[plan.Side][]fake.Normalize{}
		}
		if !slices.Contains(g.h.Setup.Normalize[s], n) {
			g.h.Setup.Normalize[s] = append(g.h.Setup.Normalize[s], n)
		}
	}
}

func (g *gen) skew(s plan.Side, d time.Duration) {
	if g.h.Setup.Skew == nil {
		g.h.Setup.Skew = map[plan.Side]time.Duration{}
	}
	g.h.Setup.Skew[s] = d
}

func (g *gen) side() plan.Side {
	if g.r.IntN(2) == 0 {
		return plan.FO
	}
	return plan.DV
}

// emitLater emits a scheduled operation that is due.
func (g *gen) emitLater() bool {
	for i, l := range g.later {
		if l.at <= len(g.h.Ops) {
			g.later = slices.Delete(g.later, i, i+1)
			if l.parent != nil {
				l.parent.on[sideIdx(l.op.Side)] = true
				l.parent.put[sideIdx(l.op.Side)] = true
				l.op.Wait = g.wait()
				g.stretch++
			}
			g.h.Ops = append(g.h.Ops, l.op)
			return true
		}
	}
	return false
}

// step appends one randomly chosen operation.
func (g *gen) step() {
	if g.stretch >= 2+g.r.IntN(5) || (g.stretch > 0 && g.chance(0.1)) {
		g.sync()
		return
	}
	w := g.r.IntN(100)
	switch {
	case w < 15 && g.conflict():
	case w < 45 && g.update():
	case w < 65 && g.create():
	case w < 69 && g.createBoth():
	case w < 76 && !g.cfg.NoDeletes && g.delete():
	case w < 85 && !g.cfg.NoFaults && g.fault():
	case w < 88 && !g.cfg.NoFaults && g.clear():
	case w < 90 && !g.cfg.NoCrashes && g.crash():
	default:
		if !g.create() {
			g.sync()
		}
	}
}

// wait draws the virtual time before a user's edit: mostly within the
// same second or a few seconds (so that edits on the two sides interleave
// and sometimes tie), now and then long enough for retries and park
// timeouts to run out.
func (g *gen) wait() time.Duration {
	switch w := g.r.IntN(100); {
	case w < 30:
		return 0
	case w < 55:
		return time.Duration(100+g.r.IntN(900)) * time.Millisecond
	case w < 85:
		return time.Duration(1+g.r.IntN(3)) * time.Second
	case w < 98:
		return time.Duration(5+g.r.IntN(60)) * time.Second
	default:
		return time.Duration(11+g.r.IntN(5)) * time.Minute
	}
}

func (g *gen) add(op Op) {
	if op.Kind == Put || op.Kind == Delete {
		op.Wait = g.wait()
		g.stretch++
	}
	g.h.Ops = append(g.h.Ops, op)
}

func (g *gen) sync() {
	op := Op{Kind: Sync}
	if g.chance(0.35) {
		op.Rounds = 1 + g.r.IntN(3)
	}
	g.h.Ops = append(g.h.Ops, op)
	g.stretch = 0
	// The generator assumes the engine carries records over.
	for _, r := range g.recs {
		if r.del != "" {
			continue
		}
		for s := 0; s < 2; s++ {
			if r.put[s] && r.mi.flowsFrom([]plan.Side{plan.FO, plan.DV}[s]) {
				r.on[1-s] = true
			}
		}
		r.put = [2]bool{}
	}
}

// editable reports whether users may edit map mi's records on side s.
func (g *gen) editable(mi *mapInfo, s plan.Side) bool {
	return mi.flowsFrom(s) || g.cfg.EditTargets
}

// update edits a few fields of an existing record on a side that has it.
func (g *gen) update() bool {
	var cands []*grec
	for _, r := range g.recs {
		if r.del == "" && (r.on[0] || r.on[1]) {
			cands = append(cands, r)
		}
	}
	if len(cands) == 0 {
		return false
	}
	r := cands[g.r.IntN(len(cands))]
	var sides []plan.Side
	for _, s := range []plan.Side{plan.FO, plan.DV} {
		if r.on[sideIdx(s)] && g.editable(r.mi, s) {
			sides = append(sides, s)
		}
	}
	if len(sides) == 0 {
		return false
	}
	s := sides[g.r.IntN(len(sides))]
	var fields []*fieldInfo
	for i := range r.mi.fields {
		if fi := &r.mi.fields[i]; !fi.key {
			fields = append(fields, fi)
		}
	}
	if len(fields) == 0 {
		return false
	}
	g.r.Shuffle(len(fields), func(i, j int) { fields[i], fields[j] = fields[j], fields[i] })
	fields = fields[:min(len(fields), 1+g.r.IntN(3))]
	slices.SortFunc(fields, func(a, b *fieldInfo) int { return a.idx - b.idx })
	op := Op{Kind: Put, Side: s, Map: r.mi.m.Name, Key: r.key}
	for _, fi := range fields {
		if v, ok := g.value(r, fi, s, false); ok {
			op.Values = append(op.Values, engine.FieldValue{Field: fi.name(s), Value: v})
		}
	}
	if len(op.Values) == 0 {
		return false
	}
	r.put[sideIdx(s)] = true
	g.add(op)
	return true
}

// conflict edits the same fields of a record on both sides in one window:
// the conflicts the plan's rules decide.
func (g *gen) conflict() bool {
	var cands []*grec
	for _, r := range g.recs {
		if r.del == "" && r.on[0] && r.on[1] && r.mi.flowsFrom(plan.FO) && r.mi.flowsFrom(plan.DV) {
			cands = append(cands, r)
		}
	}
	if len(cands) == 0 {
		return false
	}
	r := cands[g.r.IntN(len(cands))]
	var fields []*fieldInfo
	for i := range r.mi.fields {
		if fi := &r.mi.fields[i]; !fi.key && fi.ref == nil {
			fields = append(fields, fi)
		}
	}
	if len(fields) == 0 {
		return false
	}
	g.r.Shuffle(len(fields), func(i, j int) { fields[i], fields[j] = fields[j], fields[i] })
	fields = fields[:min(len(fields), 1+g.r.IntN(2))]
	slices.SortFunc(fields, func(a, b *fieldInfo) int { return a.idx - b.idx })
	first := g.side()
	for _, s := range []plan.Side{first, first.Other()} {
		op := Op{Kind: Put, Side: s, Map: r.mi.m.Name, Key: r.key}
		for _, fi := range fields {
			if v, ok := g.value(r, fi, s, false); ok {
				op.Values = append(op.Values, engine.FieldValue{Field: fi.name(s), Value: v})
			}
		}
		if len(op.Values) == 0 {
			continue
		}
		r.put[sideIdx(s)] = true
		g.add(op)
		if s == first && g.chance(0.5) {
			// Within the same second now and then: a tie for last_write.
			g.h.Ops[len(g.h.Ops)-1].Wait = 0
		}
	}
	return true
}

// createSide picks a side the map's records flow from.
func (g *gen) createSide(mi *mapInfo) plan.Side {
	switch {
	case mi.flowsFrom(plan.FO) && mi.flowsFrom(plan.DV):
		return g.side()
	case mi.flowsFrom(plan.DV):
		return plan.DV
	}
	return plan.FO
}

// create puts a new record (all its fields) on one side; now and then a
// record whose earlier deletion was propagated comes back.
func (g *gen) create() bool {
	if g.chance(0.08) {
		var gone []*grec
		for _, r := range g.recs {
			if r.del == plan.Propagate {
				gone = append(gone, r)
			}
		}
		if len(gone) > 0 {
			r := gone[g.r.IntN(len(gone))]
			r.del = ""
			g.createOn(r, g.createSide(r.mi))
			return true
		}
	}
	mi := g.md.list[g.r.IntN(len(g.md.list))]
	r := g.newRec(mi)
	g.createOn(r, g.createSide(mi))
	return true
}

// createBoth creates one new record on both sides in the same window: the
// first pairing, which the map's master side wins.
func (g *gen) createBoth() bool {
	var cands []*mapInfo
	for _, mi := range g.md.list {
		if mi.flowsFrom(plan.FO) && mi.flowsFrom(plan.DV) {
			cands = append(cands, mi)
		}
	}
	if len(cands) == 0 {
		return false
	}
	r := g.newRec(cands[g.r.IntN(len(cands))])
	first := g.side()
	g.createOn(r, first)
	g.createOn(r, first.Other())
	return true
}

func (g *gen) newRec(mi *mapInfo) *grec {
	biz := "k" + strconv.FormatInt(int64(g.next()), 36)
	key := engine.JoinKey(biz)
	if mi.company {
		key = engine.JoinKey(Company, biz)
	}
	r := &grec{mi: mi, key: key, biz: biz}
	g.recs = append(g.recs, r)
	return r
}

func (g *gen) createOn(r *grec, s plan.Side) {
	g.add(g.createOp(r, s, true))
	r.on[sideIdx(s)] = true
	r.put[sideIdx(s)] = true
}

// createOp returns a Put with every non-key field of r on side s.
// children lets it name parents that do not exist yet, scheduling their
// creation a few operations later.
func (g *gen) createOp(r *grec, s plan.Side, children bool) Op {
	op := Op{Kind: Put, Side: s, Map: r.mi.m.Name, Key: r.key}
	for i := range r.mi.fields {
		fi := &r.mi.fields[i]
		if fi.key {
			continue
		}
		if v, ok := g.value(r, fi, s, children); ok {
			op.Values = append(op.Values, engine.FieldValue{Field: fi.name(s), Value: v})
		}
	}
	return op
}

// value draws a new value of field fi for record r on side s.
func (g *gen) value(r *grec, fi *fieldInfo, s plan.Side, children bool) (engine.Value, bool) {
	switch {
	case fi.ref != nil:
		return g.lookup(r, fi, s, children)
	case len(fi.f.Values) > 0:
		vp := fi.f.Values[g.r.IntN(len(fi.f.Values))]
		if fi.typ(s) == plan.Choice || s == plan.DV {
			return engine.Int(vp.DV), true
		}
		return engine.String(vp.FO), true
	}
	if fi.typ(s) == plan.Bool {
		return engine.Bool(g.chance(0.5)), true
	}
	n := g.next()
	pad := fi.typ(s) == plan.String && g.chance(0.15)
	v, ok := tokenValue(fi.typ(s), n, pad)
	if !ok {
		return v, false
	}
	if str, isStr := v.AsString(); isStr && fi.f.MaxLength > 0 && len(str) > fi.f.MaxLength {
		v, _ = tokenValue(fi.typ(s), n, false)
		if str, _ := v.AsString(); len(str) > fi.f.MaxLength {
			return v, false
		}
	}
	return v, true
}

// lookup picks the record a lookup names: one believed to exist on the
// side, or (children first) a new parent created a few operations later.
func (g *gen) lookup(r *grec, fi *fieldInfo, s plan.Side, children bool) (engine.Value, bool) {
	company := r.mi.companyOf(r.key)
	var cands []*grec
	for _, p := range g.recs {
		if p.mi == fi.ref && p.del == "" && p.on[sideIdx(s)] && p.mi.companyOf(p.key) == company {
			cands = append(cands, p)
		}
	}
	var p *grec
	first := children && fi.f.Lookup.Pass == 1 && s == plan.FO && g.chance(0.3)
	switch {
	case len(cands) > 0 && !first:
		p = cands[g.r.IntN(len(cands))]
	case children && fi.f.Lookup.Pass == 1:
		// The child comes first; its parent follows shortly, on a side
		// the parent map flows from.
		p = g.newRec(fi.ref)
		ps := g.createSide(fi.ref)
		g.later = append(g.later, laterOp{at: len(g.h.Ops) + 1 + g.r.IntN(4), op: g.createOp(p, ps, false), parent: p})
	default:
		if g.chance(0.5) {
			return engine.Null(), true
		}
		return engine.Value{}, false
	}
	if s == plan.FO {
		return engine.String(p.biz), true
	}
	return engine.String(p.key), true
}

// delete deletes an existing record on a side its map flows from.
func (g *gen) delete() bool {
	var cands []*grec
	for _, r := range g.recs {
		if r.del != "" {
			continue
		}
		for _, s := range []plan.Side{plan.FO, plan.DV} {
			if r.on[sideIdx(s)] && r.mi.flowsFrom(s) {
				cands = append(cands, r)
				break
			}
		}
	}
	if len(cands) == 0 {
		return false
	}
	r := cands[g.r.IntN(len(cands))]
	var sides []plan.Side
	for _, s := range []plan.Side{plan.FO, plan.DV} {
		if r.on[sideIdx(s)] && r.mi.flowsFrom(s) {
			sides = append(sides, s)
		}
	}
	s := sides[g.r.IntN(len(sides))]
	g.add(Op{Kind: Delete, Side: s, Map: r.mi.m.Name, Key: r.key})
	r.del = r.mi.deleteAction(s)
	if r.del == plan.Propagate {
		r.on = [2]bool{}
	} else {
		r.on[sideIdx(s)] = false
	}
	return true
}

// fault puts a random fault in force on a side.
func (g *gen) fault() bool {
	s := g.side()
	name := "f" + strconv.Itoa(g.next())
	f := fake.Fault{Name: name}
	mapName := ""
	if g.chance(0.5) {
		mapName = g.md.list[g.r.IntN(len(g.md.list))].m.Name
	}
	// Faults that refuse reads (polls) are timed or restricted to writes
	// unless a Clear follows: while the driver cannot poll a side it
	// cannot know that the system is quiet.
	var dur time.Duration
	timedOrWrites := func(d time.Duration) {
		if g.chance(0.6) {
			dur = d
		} else {
			f.Ops = fake.WriteOps
		}
	}
	switch g.r.IntN(7) {
	case 0: // a throttling storm: always timed, since throttled writes
		// are retried as long as it lasts
		f.Kind, f.Map, f.RetryAfter = fake.FaultThrottle, mapName, time.Duration(1+g.r.IntN(5))*time.Second
		dur = time.Duration(5+g.r.IntN(60)) * time.Second
	case 1: // a request budget
		f.Kind, f.Map, f.Limit, f.Window = fake.FaultThrottle, mapName, 10+g.r.IntN(20), 10*time.Second
		timedOrWrites(time.Duration(20+g.r.IntN(100)) * time.Second)
	case 2:
		f.Kind, f.Map, f.Status, f.Count = fake.FaultTransient, mapName, []int{500, 502, 503}[g.r.IntN(3)], 1+g.r.IntN(4)
	case 3:
		f.Kind, f.Map, f.Rate = fake.FaultNetwork, mapName, 0.2+0.1*float64(g.r.IntN(3))
		timedOrWrites(time.Duration(10+g.r.IntN(60)) * time.Second)
	case 4:
		f.Kind, f.Map = fake.FaultOutage, mapName
		timedOrWrites(time.Duration(10+g.r.IntN(120)) * time.Second)
	case 5: // a plug-in that throws until it is fixed
		mi := g.md.list[g.r.IntN(len(g.md.list))]
		f.Kind, f.Map = fake.FaultPlugin, mi.m.Name
		var names []string
		for i := range mi.fields {
			if fi := &mi.fields[i]; !fi.key {
				names = append(names, fi.name(s))
			}
		}
		if len(names) > 0 && g.chance(0.7) {
			f.Field = names[g.r.IntN(len(names))]
		}
		if g.chance(0.4) {
			f.Count = 1 + g.r.IntN(3)
		}
		f.Message = fmt.Sprintf("plug-in %s refused the record", name)
	default:
		f.Kind, f.Map, f.Latency = fake.FaultLatency, mapName, time.Duration(200+g.r.IntN(2800))*time.Millisecond
		dur = time.Duration(5+g.r.IntN(30)) * time.Second
	}
	if dur == 0 {
		g.faults = append(g.faults, openFault{side: s, name: name})
	}
	g.h.Ops = append(g.h.Ops, Op{Kind: Fault, Side: s, Fault: f, Duration: dur})
	return true
}

// clear ends a fault that is still in force.
func (g *gen) clear() bool {
	if len(g.faults) == 0 {
		return false
	}
	i := g.r.IntN(len(g.faults))
	f := g.faults[i]
	g.faults = slices.Delete(g.faults, i, i+1)
	g.h.Ops = append(g.h.Ops, Op{Kind: Clear, Side: f.side, Name: f.name})
	return true
}

func (g *gen) crash() bool {
	var pts []simulator.CrashPoint
	if !g.cfg.NoCrashBeforeSave {
		pts = append(pts, simulator.BeforeSave)
	}
	pts = append(pts, simulator.AfterSave)
	if !g.cfg.NoCrashAfterUpdateApply {
		pts = append(pts, simulator.AfterApply)
	}
	g.h.Ops = append(g.h.Ops, Op{Kind: Crash, Point: pts[g.r.IntN(len(pts))], N: 1 + g.r.IntN(3)})
	return true
}

package explore

import (
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// model is what the generator and the checker need to know about a plan,
// computed once.
type model struct {
	p    *plan.Plan
	maps map[string]*mapInfo
	list []*mapInfo // plan order
}

type mapInfo struct {
	m      *plan.Map
	idx    int
	fields []fieldInfo
	byName [2]map[string]int // side field name to index in fields
	// company reports a company-striped key (company first).
	company bool
}

type fieldInfo struct {
	f     *plan.Field
	idx   int
	key   bool      // the field is (part of) the integration key
	flows [2]bool   // the value flows from fo (0) / dv (1)
	owner plan.Side // the only side it flows from, "" when both
	rule  plan.Conflict
	ref   *mapInfo // lookup target
}

func sideIdx(s plan.Side) int {
	if s == plan.DV {
		return 1
	}
	return 0
}

func newModel(p *plan.Plan) *model {
	md := &model{p: p, maps: map[string]*mapInfo{}}
	for i := range p.Maps {
		m := &p.Maps[i]
		mi := &mapInfo{m: m, idx: i, byName: [2]map[string]int{{}, {}}}
		for _, k := range m.Key {
			if k.Company {
				mi.company = true
			}
		}
		for j := range m.Fields {
			f := &m.Fields[j]
			fi := fieldInfo{f: f, idx: j}
			for _, k := range m.Key {
				if k.FO == f.FO || k.DV == f.DV {
					fi.key = true
				}
			}
			dir := f.Direction
			if dir == "" {
				dir = m.Direction
			}
			fi.flows = [2]bool{dir.Flows(plan.FO), dir.Flows(plan.DV)}
			if fi.flows[0] != fi.flows[1] {
				fi.owner = plan.FO
				if fi.flows[1] {
					fi.owner = plan.DV
				}
			}
			fi.rule = f.Conflict
			if fi.rule.Winner == "" && m.Conflict != nil {
				fi.rule = *m.Conflict
			}
			if fi.owner != "" {
				fi.rule.Winner = plan.OneWay
			}
			if fi.rule.Winner == "" {
				fi.rule.Winner = plan.Winner(m.Master)
			}
			mi.fields = append(mi.fields, fi)
			mi.byName[0][f.FO] = j
			mi.byName[1][f.DV] = j
		}
		md.maps[m.Name] = mi
		md.list = append(md.list, mi)
	}
	for _, mi := range md.list {
		for j := range mi.fields {
			if l := mi.fields[j].f.Lookup; l != nil {
				mi.fields[j].ref = md.maps[l.Map]
			}
		}
	}
	return md
}

// field returns the field named name on side s, or nil.
func (mi *mapInfo) field(s plan.Side, name string) *fieldInfo {
	if i, ok := mi.byName[sideIdx(s)][name]; ok {
		return &mi.fields[i]
	}
	return nil
}

// name returns the field's name on side s.
func (fi *fieldInfo) name(s plan.Side) string {
	if s == plan.DV {
		return fi.f.DV
	}
	return fi.f.FO
}

// typ returns the field's type on side s.
func (fi *fieldInfo) typ(s plan.Side) plan.Type {
	if s == plan.DV {
		return fi.f.DVType
	}
	return fi.f.FOType
}

// flowsFrom reports whether the map's records flow from side s.
func (mi *mapInfo) flowsFrom(s plan.Side) bool { return mi.m.Direction.Flows(s) }

// deleteAction is what a delete on side s does.
func (mi *mapInfo) deleteAction(s plan.Side) plan.DeleteAction {
	a := mi.m.Delete.FO
	if s == plan.DV {
		a = mi.m.Delete.DV
	}
	if a == "" {
		a = plan.Propagate
	}
	return a
}

// companyOf returns the company part of a key of the map, "" when the map
// is not company-striped.
func (mi *mapInfo) companyOf(key string) string {
	if !mi.company {
		return ""
	}
	return engine.SplitKey(key)[0]
}

// refKey turns a lookup value as side s stores it into the referenced
// record's key: F&O keeps the business key alone, in the row's company.
func (fi *fieldInfo) refKey(s plan.Side, company string, v engine.Value) engine.Value {
	if s == plan.DV || fi.ref == nil {
		return v
	}
	raw, ok := v.AsString()
	if !ok || raw == "" {
		return engine.Null()
	}
	if fi.ref.company {
		return engine.String(engine.JoinKey(company, raw))
	}
	return engine.String(engine.JoinKey(raw))
}

package engine

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dualsync/dualsync/runtime/plan"
)

// side indexes per-side arrays: fo is 0, dv is 1.
type side uint8

const (
	fo side = 0
	dv side = 1
)

func (s side) other() side { return 1 - s }

func (s side) plan() plan.Side {
	if s == fo {
		return plan.FO
	}
	return plan.DV
}

func sideOf(s plan.Side) (side, error) {
	switch s {
	case plan.FO:
		return fo, nil
	case plan.DV:
		return dv, nil
	}
	return 0, fmt.Errorf("unknown side %q", s)
}

// mapping is a plan map compiled for the engine: fields by index, value maps
// as hash maps, defaults and constants parsed, lookups resolved.
type mapping struct {
	idx    int
	name   string
	pm     *plan.Map
	fields []fieldInfo
	byName [2]map[string]int
	names  [2][]string // field names per side, by plan index
	consts [2][]FieldValue
	retry  plan.Retry
	// parkTimeout is the map's park timeout, or Config.ParkTimeout.
	parkTimeout time.Duration
	del         [2]plan.DeleteAction
	flows       [2]bool // the map's direction flows from this side
	master      side
	recs        map[string]*record
}

// fieldInfo is one compiled field.
type fieldInfo struct {
	idx    int
	name   [2]string
	typ    [2]plan.Type
	flows  [2]bool // the value flows from this side to the other
	owner  int8    // the only side the value flows from, or -1
	rule   plan.Conflict
	pos    plan.Pos
	scale  int // decimal scale, -1 when none
	maxLen int
	toDV   map[string]int64 // value map: F&O enum member to choice
	toFO   map[int64]string
	def    [2]*Value // written to a side when the source value is null
	lookup *mapping  // referenced map, nil when not a lookup
	pass   int       // lookup pass: 1 or 2
}

func compile(p *plan.Plan, cfg *Config) ([]*mapping, map[string]*mapping, error) {
	maps := make([]*mapping, len(p.Maps))
	byName := make(map[string]*mapping, len(p.Maps))
	for i := range p.Maps {
		m, err := compileMap(i, &p.Maps[i], cfg)
		if err != nil {
			return nil, nil, err
		}
		maps[i] = m
		byName[m.name] = m
	}
	for i := range p.Maps {
		for j, pf := range p.Maps[i].Fields {
			if pf.Lookup == nil {
				continue
			}
			t := byName[pf.Lookup.Map]
			if t == nil {
				return nil, nil, fmt.Errorf("map %q field %q: lookup to unknown map %q", maps[i].name, pf.FO, pf.Lookup.Map)
			}
			maps[i].fields[j].lookup = t
			maps[i].fields[j].pass = max(pf.Lookup.Pass, 1)
		}
	}
	return maps, byName, nil
}

func compileMap(idx int, pm *plan.Map, cfg *Config) (*mapping, error) {
	m := &mapping{
		idx:    idx,
		name:   pm.Name,
		pm:     pm,
		fields: make([]fieldInfo, len(pm.Fields)),
		byName: [2]map[string]int{make(map[string]int, len(pm.Fields)), make(map[string]int, len(pm.Fields))},
		retry:  pm.Retry,
		del:    [2]plan.DeleteAction{pm.Delete.FO, pm.Delete.DV},
		flows:  [2]bool{pm.Direction.Flows(plan.FO), pm.Direction.Flows(plan.DV)},
		master: fo,
		recs:   make(map[string]*record),
	}
	if pm.Master == plan.DV {
		m.master = dv
	}
	m.parkTimeout = time.Duration(pm.ParkTimeoutMS) * time.Millisecond
	if m.parkTimeout <= 0 {
		m.parkTimeout = cfg.ParkTimeout
	}
	if m.retry == (plan.Retry{}) {
		m.retry = cfg.Retry
	}
	for s := range m.del {
		if m.del[s] == "" {
			m.del[s] = plan.Propagate
		}
	}
	for i, pf := range pm.Fields {
		f := &m.fields[i]
		f.idx = i
		f.name = [2]string{pf.FO, pf.DV}
		f.typ = [2]plan.Type{pf.FOType, pf.DVType}
		f.pos = pf.Pos
		f.maxLen = pf.MaxLength
		f.scale = -1
		if pf.Scale != nil {
			f.scale = *pf.Scale
		}
		dir := pf.Direction
		if dir == "" {
			dir = pm.Direction
		}
		f.flows = [2]bool{dir.Flows(plan.FO), dir.Flows(plan.DV)}
		f.owner = -1
		if f.flows[fo] != f.flows[dv] {
			f.owner = int8(fo)
			if f.flows[dv] {
				f.owner = int8(dv)
			}
		}
		f.rule = pf.Conflict
		if f.rule.Winner == "" && pm.Conflict != nil {
			f.rule = *pm.Conflict
		}
		if f.owner >= 0 {
			f.rule.Winner = plan.OneWay
		}
		if f.rule.Winner == "" {
			f.rule.Winner = plan.Winner(pm.Master)
		}
		if f.rule.Pos == (plan.Pos{}) {
			f.rule.Pos = pf.Pos
		}
		if len(pf.Values) > 0 {
			f.toDV = make(map[string]int64, len(pf.Values))
			f.toFO = make(map[int64]string, len(pf.Values))
			for _, vp := range pf.Values {
				f.toDV[vp.FO] = vp.DV
				f.toFO[vp.DV] = vp.FO
			}
		}
		for s, d := range [2]*plan.Value{pf.DefaultFO, pf.DefaultDV} {
			if d == nil {
				continue
			}
			v, err := planValue(d.JSON, f.typ[s])
			if err != nil {
				return nil, fmt.Errorf("map %q field %q (%s): default: %w", pm.Name, pf.FO, pf.Pos, err)
			}
			f.def[s] = &v
		}
		if _, dup := m.byName[fo][pf.FO]; dup {
			return nil, fmt.Errorf("map %q: field %q mapped twice", pm.Name, pf.FO)
		}
		m.byName[fo][pf.FO] = i
		m.byName[dv][pf.DV] = i
		m.names[fo] = append(m.names[fo], pf.FO)
		m.names[dv] = append(m.names[dv], pf.DV)
	}
	for _, c := range pm.Constants {
		s, err := sideOf(c.Side)
		if err != nil {
			return nil, fmt.Errorf("map %q constant %q (%s): %w", pm.Name, c.Field, c.Pos, err)
		}
		var typ plan.Type
		if i, ok := m.byName[s][c.Field]; ok {
			typ = m.fields[i].typ[s]
		}
		v, err := planValue(c.Value.JSON, typ)
		if err != nil {
			return nil, fmt.Errorf("map %q constant %q (%s): %w", pm.Name, c.Field, c.Pos, err)
		}
		m.consts[s] = append(m.consts[s], FieldValue{Field: c.Field, Value: v})
	}
	return m, nil
}

// planValue parses a plan scalar and shapes it for a field of type t.
func planValue(raw string, t plan.Type) (Value, error) {
	v, err := ParseJSON(raw)
	if err != nil {
		return v, err
	}
	switch t {
	case plan.Decimal:
		if v.k == KindInt {
			return Value{k: KindDecimal, s: strconv.FormatInt(v.n, 10)}, nil
		}
	case plan.Int, plan.Choice:
		if v.k == KindDecimal && !strings.Contains(v.s, ".") {
			n, err := strconv.ParseInt(v.s, 10, 64)
			if err == nil {
				return Int(n), nil
			}
		}
	case plan.Date, plan.DateTime:
		if v.k == KindString {
			for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
				if t, err := time.Parse(layout, v.s); err == nil {
					return Time(t), nil
				}
			}
			return v, fmt.Errorf("%q is not a date", v.s)
		}
	}
	return v, nil
}

// invalidValueError reports a value that has no counterpart in a value map.
type invalidValueError struct {
	field string // source field name
	from  plan.Side
	value Value
	known []string
}

func (e *invalidValueError) Error() string {
	return fmt.Sprintf("%s value %s of field %s is not in the value map (accepted: %s)",
		e.from, e.value, e.field, strings.Join(e.known, ", "))
}

// convert turns the value of the field on side from into the value to write
// on the other side: a null becomes the target's default, enum members and
// choices go through the value map, everything else passes unchanged
// (lookups carry the referenced record's key on both sides).
func (f *fieldInfo) convert(from side, v Value) (Value, error) {
	to := from.other()
	switch {
	case v.k == kindAbsent:
		return v, nil
	case v.k == KindNull:
		if d := f.def[to]; d != nil {
			return *d, nil
		}
		return v, nil
	case f.toDV == nil:
		return v, nil
	}
	if from == fo {
		if c, ok := f.toDV[v.text()]; ok {
			return Int(c), nil
		}
	} else {
		n, ok := v.AsInt()
		if !ok && v.k != KindInt {
			if p, err := strconv.ParseInt(v.text(), 10, 64); err == nil {
				n, ok = p, true
			}
		}
		if m, found := f.toFO[n]; ok && found {
			return String(m), nil
		}
	}
	return Value{}, &invalidValueError{field: f.name[from], from: from.plan(), value: v, known: f.accepted(from)}
}

func (f *fieldInfo) accepted(from side) []string {
	var out []string
	for member, choice := range f.toDV {
		if from == fo {
			out = append(out, member)
		} else {
			out = append(out, strconv.FormatInt(choice, 10))
		}
	}
	slices.Sort(out)
	return out
}

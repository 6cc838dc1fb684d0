package compiler

import (
	"cuelang.org/go/cue"

	"github.com/dualsync/dualsync/runtime/plan"
)

// The source model: the author's maps as written, each value with its
// position in the author's file. Checks read it; compile turns it into a plan.

// text is a string the author wrote (or not), and where.
type text struct {
	V   string
	Pos plan.Pos
	Set bool
}

type srcMaps struct {
	Maps     []*srcMap // in source order
	Excludes []*srcExclusion
	byName   map[string]*srcMap
}

type srcMap struct {
	Name        string
	Path        string // CUE path, e.g. maps.customer
	Pos         plan.Pos
	Description string
	FOEntity    text
	FOModified  text
	DVTable     text
	DVSet       text
	DVModified  text
	Key         []srcKey
	KeyPos      plan.Pos
	Direction   text
	Master      text
	Conflict    *srcConflict
	Fields      []*srcField // in source order
	FieldsPos   plan.Pos
	Constants   []srcConst
	FilterFO    text
	FilterDV    text
	DeleteFO    text
	DeleteDV    text
	Strategy    text
	Expected    int64
	ExpectedPos plan.Pos
	Retry       srcRetry
	Monitor     srcMonitor
}

type srcKey struct {
	FO, DV text
	Pos    plan.Pos
}

type srcConflict struct {
	Winner text
	Why    text
	Ack    bool
	Pos    plan.Pos
}

type srcField struct {
	FO         string
	Path       string
	Pos        plan.Pos
	DV         text
	Direction  text
	Values     []srcValue
	ValuesSet  bool
	ValuesPos  plan.Pos
	DefaultFO  *srcScalar
	DefaultDV  *srcScalar
	Lookup     text
	SecondPass text
	Conflict   *srcConflict
}

type srcValue struct {
	Member string
	Choice int64
	Pos    plan.Pos
}

// srcScalar is a literal kept as JSON text with its CUE kind.
type srcScalar struct {
	JSON string
	Kind cue.Kind
	Pos  plan.Pos
}

type srcConst struct {
	Side  plan.Side
	Field string
	Value srcScalar
}

type srcRetry struct {
	Attempts       *int
	InitialBackoff text
	MaxBackoff     text
}

type srcMonitor struct {
	Set                bool
	Pos                plan.Pos
	AlertErrorsPerHour int
	PauseErrorsPerHour int
	ReconcileSample    int
	MaxLag             text
}

type srcExclusion struct {
	Name  string
	Path  string
	Pos   plan.Pos
	FO    text
	DV    text
	Owner text
	Why   text
}

// decoder reads the source model from the author's (schema-valid) value.
type decoder struct {
	dir string
}

func (d *decoder) pos(v cue.Value) plan.Pos { return relPos(d.dir, v.Pos()) }

func (d *decoder) text(v cue.Value, path string) text {
	f := v.LookupPath(cue.ParsePath(path))
	if !f.Exists() {
		return text{}
	}
	s, err := f.String()
	if err != nil {
		return text{}
	}
	return text{V: s, Pos: d.pos(f), Set: true}
}

func (d *decoder) int(v cue.Value, path string) (int64, plan.Pos, bool) {
	f := v.LookupPath(cue.ParsePath(path))
	if !f.Exists() {
		return 0, plan.Pos{}, false
	}
	n, err := f.Int64()
	if err != nil {
		return 0, plan.Pos{}, false
	}
	return n, d.pos(f), true
}

func (d *decoder) scalar(v cue.Value) *srcScalar {
	b, err := v.MarshalJSON()
	if err != nil {
		return nil
	}
	return &srcScalar{JSON: string(b), Kind: v.IncompleteKind(), Pos: d.pos(v)}
}

// fields iterates a struct's regular fields in source order.
func fields(v cue.Value) []cueField {
	var out []cueField
	it, err := v.Fields()
	if err != nil {
		return nil
	}
	for it.Next() {
		out = append(out, cueField{Name: it.Selector().Unquoted(), V: it.Value()})
	}
	return out
}

type cueField struct {
	Name string
	V    cue.Value
}

func (d *decoder) decode(root cue.Value) *srcMaps {
	s := &srcMaps{byName: map[string]*srcMap{}}
	for _, mf := range fields(root.LookupPath(cue.ParsePath("maps"))) {
		m := d.decodeMap(mf.Name, mf.V)
		s.Maps = append(s.Maps, m)
		s.byName[m.Name] = m
	}
	for _, ef := range fields(root.LookupPath(cue.ParsePath("exclude"))) {
		s.Excludes = append(s.Excludes, &srcExclusion{
			Name:  ef.Name,
			Path:  "exclude." + quoteLabel(ef.Name),
			Pos:   d.pos(ef.V),
			FO:    d.text(ef.V, "fo"),
			DV:    d.text(ef.V, "dv"),
			Owner: d.text(ef.V, "owner"),
			Why:   d.text(ef.V, "why"),
		})
	}
	return s
}

func (d *decoder) decodeMap(name string, v cue.Value) *srcMap {
	m := &srcMap{
		Name:       name,
		Path:       "maps." + quoteLabel(name),
		Pos:        d.pos(v),
		FOEntity:   d.text(v, "fo.entity"),
		FOModified: d.text(v, "fo.modifiedField"),
		DVTable:    d.text(v, "dv.table"),
		DVSet:      d.text(v, "dv.set"),
		DVModified: d.text(v, "dv.modifiedField"),
		Direction:  d.text(v, "direction"),
		Master:     d.text(v, "master"),
		FilterFO:   d.text(v, "filter.fo"),
		FilterDV:   d.text(v, "filter.dv"),
		DeleteFO:   d.text(v, "delete.fo"),
		DeleteDV:   d.text(v, "delete.dv"),
		Strategy:   d.text(v, "initial.strategy"),
	}
	m.Description = d.text(v, "description").V
	m.Expected, m.ExpectedPos, _ = d.int(v, "initial.expectedRows")
	kv := v.LookupPath(cue.ParsePath("key"))
	m.KeyPos = d.pos(kv)
	if it, err := kv.List(); err == nil {
		for it.Next() {
			e := it.Value()
			m.Key = append(m.Key, srcKey{FO: d.text(e, "fo"), DV: d.text(e, "dv"), Pos: d.pos(e)})
		}
	}
	m.Conflict = d.conflict(v.LookupPath(cue.ParsePath("conflict")))
	fv := v.LookupPath(cue.ParsePath("fields"))
	m.FieldsPos = d.pos(fv)
	for _, ff := range fields(fv) {
		m.Fields = append(m.Fields, d.decodeField(m.Path, ff.Name, ff.V))
	}
	for _, side := range []plan.Side{plan.FO, plan.DV} {
		for _, cf := range fields(v.LookupPath(cue.MakePath(cue.Str("constants"), cue.Str(string(side))))) {
			if sc := d.scalar(cf.V); sc != nil {
				m.Constants = append(m.Constants, srcConst{Side: side, Field: cf.Name, Value: *sc})
			}
		}
	}
	if n, _, ok := d.int(v, "retry.attempts"); ok {
		a := int(n)
		m.Retry.Attempts = &a
	}
	m.Retry.InitialBackoff = d.text(v, "retry.initialBackoff")
	m.Retry.MaxBackoff = d.text(v, "retry.maxBackoff")
	if mv := v.LookupPath(cue.ParsePath("monitor")); mv.Exists() {
		m.Monitor.Set = true
		m.Monitor.Pos = d.pos(mv)
		n, _, _ := d.int(mv, "alertErrorsPerHour")
		m.Monitor.AlertErrorsPerHour = int(n)
		n, _, _ = d.int(mv, "pauseErrorsPerHour")
		m.Monitor.PauseErrorsPerHour = int(n)
		n, _, _ = d.int(mv, "reconcileSample")
		m.Monitor.ReconcileSample = int(n)
		m.Monitor.MaxLag = d.text(mv, "maxLag")
	}
	return m
}

func (d *decoder) conflict(v cue.Value) *srcConflict {
	if !v.Exists() {
		return nil
	}
	c := &srcConflict{Winner: d.text(v, "winner"), Why: d.text(v, "why"), Pos: d.pos(v)}
	if a := v.LookupPath(cue.ParsePath("acceptClockSkew")); a.Exists() {
		c.Ack, _ = a.Bool()
	}
	return c
}

func (d *decoder) decodeField(mapPath, name string, v cue.Value) *srcField {
	f := &srcField{
		FO:         name,
		Path:       mapPath + ".fields." + quoteLabel(name),
		Pos:        d.pos(v),
		DV:         d.text(v, "dv"),
		Direction:  d.text(v, "direction"),
		Lookup:     d.text(v, "lookup"),
		SecondPass: d.text(v, "secondPass"),
		Conflict:   d.conflict(v.LookupPath(cue.ParsePath("conflict"))),
	}
	if f.DV.Set {
		// A field's position is where its Dataverse column is named: that is
		// the line a reviewer reads as "this mapping".
		f.Pos = f.DV.Pos
	}
	if vv := v.LookupPath(cue.ParsePath("values")); vv.Exists() {
		f.ValuesSet = true
		f.ValuesPos = d.pos(vv)
		for _, e := range fields(vv) {
			n, err := e.V.Int64()
			if err != nil {
				continue
			}
			f.Values = append(f.Values, srcValue{Member: e.Name, Choice: n, Pos: d.pos(e.V)})
		}
	}
	if dv := v.LookupPath(cue.ParsePath("default.fo")); dv.Exists() {
		f.DefaultFO = d.scalar(dv)
	}
	if dv := v.LookupPath(cue.ParsePath("default.dv")); dv.Exists() {
		f.DefaultDV = d.scalar(dv)
	}
	return f
}

// quoteLabel returns name as a CUE path element.
func quoteLabel(name string) string {
	return cue.MakePath(cue.Str(name)).String()
}

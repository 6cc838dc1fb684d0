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
	ParkTimeout text
	BatchSize   int
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
	AcceptLoss text
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
	dir    string
	labels map[string]plan.Pos
	paths  map[string]cue.Path
}

// pos locates a value: a scalar where its value is written, a struct or
// list at its label (its evaluated position may be the schema's).
func (d *decoder) pos(v cue.Value) plan.Pos {
	if k := v.IncompleteKind(); k == cue.StructKind || k == cue.ListKind {
		if p, ok := d.labels[v.Path().String()]; ok {
			return p
		}
	}
	return relPos(d.dir, v.Pos())
}

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
	m := &srcMap{Name: name, Path: "maps." + quoteLabel(name), Pos: d.pos(v)}
	// #TableMap is closed, so its attributes are looked up by name: cheaper
	// than iterating, which sorts the fields on every call.
	for _, name := range mapAttrs {
		f := cueField{Name: name, V: v.LookupPath(d.path(name))}
		if !f.V.Exists() {
			continue
		}
		switch f.Name {
		case "description":
			m.Description, _ = f.V.String()
		case "fo":
			m.FOEntity = d.attr(f.V, "entity")
			m.FOModified = d.attr(f.V, "modifiedField")
		case "dv":
			m.DVTable = d.attr(f.V, "table")
			m.DVSet = d.attr(f.V, "set")
			m.DVModified = d.attr(f.V, "modifiedField")
		case "direction":
			m.Direction = d.str(f.V)
		case "master":
			m.Master = d.str(f.V)
		case "filter":
			m.FilterFO, m.FilterDV = d.sides(f.V)
		case "delete":
			m.DeleteFO, m.DeleteDV = d.sides(f.V)
		case "initial":
			m.Strategy = d.text(f.V, "strategy")
			m.Expected, m.ExpectedPos, _ = d.int(f.V, "expectedRows")
		case "key":
			m.KeyPos = d.pos(f.V)
			if it, err := f.V.List(); err == nil {
				for it.Next() {
					e := it.Value()
					k := srcKey{Pos: d.pos(e)}
					k.FO, k.DV = d.sides(e)
					m.Key = append(m.Key, k)
				}
			}
		case "conflict":
			m.Conflict = d.conflict(f.V)
		case "fields":
			m.FieldsPos = d.pos(f.V)
			for _, ff := range fields(f.V) {
				m.Fields = append(m.Fields, d.decodeField(m.Path, ff.Name, ff.V))
			}
		case "constants":
			for _, sf := range fields(f.V) {
				for _, cf := range fields(sf.V) {
					if sc := d.scalar(cf.V); sc != nil {
						m.Constants = append(m.Constants, srcConst{Side: plan.Side(sf.Name), Field: cf.Name, Value: *sc})
					}
				}
			}
		case "parkTimeout":
			m.ParkTimeout = d.str(f.V)
		case "batchSize":
			if n, err := f.V.Int64(); err == nil {
				m.BatchSize = int(n)
			}
		case "retry":
			if n, _, ok := d.int(f.V, "attempts"); ok {
				a := int(n)
				m.Retry.Attempts = &a
			}
			m.Retry.InitialBackoff = d.text(f.V, "initialBackoff")
			m.Retry.MaxBackoff = d.text(f.V, "maxBackoff")
		case "monitor":
			m.Monitor.Set = true
			m.Monitor.Pos = d.pos(f.V)
			n, _, _ := d.int(f.V, "alertErrorsPerHour")
			m.Monitor.AlertErrorsPerHour = int(n)
			n, _, _ = d.int(f.V, "pauseErrorsPerHour")
			m.Monitor.PauseErrorsPerHour = int(n)
			n, _, _ = d.int(f.V, "reconcileSample")
			m.Monitor.ReconcileSample = int(n)
			m.Monitor.MaxLag = d.text(f.V, "maxLag")
		}
	}
	return m
}

// mapAttrs are the attributes of a #TableMap.
var mapAttrs = []string{"description", "fo", "dv", "direction", "master", "filter", "delete", "initial",
	"key", "conflict", "fields", "constants", "parkTimeout", "batchSize", "retry", "monitor"}

// attr reads the string attribute label of v, if present.
func (d *decoder) attr(v cue.Value, label string) text {
	x := v.LookupPath(d.path(label))
	if !x.Exists() {
		return text{}
	}
	return d.str(x)
}

// str reads a string value.
func (d *decoder) str(v cue.Value) text {
	s, err := v.String()
	if err != nil {
		return text{}
	}
	return text{V: s, Pos: d.pos(v), Set: true}
}

// sides reads a struct's fo and dv strings.
func (d *decoder) sides(v cue.Value) (fo, dv text) {
	if x := v.LookupPath(d.path("fo")); x.Exists() {
		fo = d.str(x)
	}
	if x := v.LookupPath(d.path("dv")); x.Exists() {
		dv = d.str(x)
	}
	return fo, dv
}

func (d *decoder) conflict(v cue.Value) *srcConflict {
	if !v.Exists() {
		return nil
	}
	c := &srcConflict{Pos: d.pos(v)}
	if x := v.LookupPath(d.path("winner")); x.Exists() {
		c.Winner = d.str(x)
	}
	if x := v.LookupPath(d.path("why")); x.Exists() {
		c.Why = d.str(x)
	}
	if x := v.LookupPath(d.path("acceptClockSkew")); x.Exists() {
		c.Ack, _ = x.Bool()
	}
	return c
}

// fieldAttrs are the attributes of a #Field, looked up by name: the schema
// closes #Field, so no other attribute can exist, and lookups avoid the
// sorted iteration that Value.Fields does on every call.
var fieldAttrs = []string{"dv", "direction", "lookup", "secondPass", "acceptLoss", "conflict", "values", "default"}

func (d *decoder) decodeField(mapPath, name string, v cue.Value) *srcField {
	f := &srcField{FO: name, Path: mapPath + ".fields." + quoteLabel(name), Pos: d.pos(v)}
	for _, attr := range fieldAttrs {
		a := v.LookupPath(d.path(attr))
		if !a.Exists() {
			continue
		}
		switch attr {
		case "dv":
			f.DV = d.str(a)
			// A field's position is where its Dataverse column is named:
			// that is the line a reviewer reads as "this mapping".
			f.Pos = f.DV.Pos
		case "direction":
			f.Direction = d.str(a)
		case "lookup":
			f.Lookup = d.str(a)
		case "secondPass":
			f.SecondPass = d.str(a)
		case "acceptLoss":
			f.AcceptLoss = d.str(a)
		case "conflict":
			f.Conflict = d.conflict(a)
		case "values":
			f.ValuesSet = true
			f.ValuesPos = d.pos(a)
			for _, e := range fields(a) {
				n, err := e.V.Int64()
				if err != nil {
					continue
				}
				f.Values = append(f.Values, srcValue{Member: e.Name, Choice: n, Pos: d.pos(e.V)})
			}
		case "default":
			if x := a.LookupPath(d.path("fo")); x.Exists() {
				f.DefaultFO = d.scalar(x)
			}
			if x := a.LookupPath(d.path("dv")); x.Exists() {
				f.DefaultDV = d.scalar(x)
			}
		}
	}
	return f
}

// path returns the parsed path of a single label, parsed once per decode.
func (d *decoder) path(label string) cue.Path {
	if p, ok := d.paths[label]; ok {
		return p
	}
	if d.paths == nil {
		d.paths = map[string]cue.Path{}
	}
	p := cue.MakePath(cue.Str(label))
	d.paths[label] = p
	return p
}

// quoteLabel returns name as a CUE path element.
func quoteLabel(name string) string {
	return cue.MakePath(cue.Str(name)).String()
}

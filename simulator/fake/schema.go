package fake

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// companySet is the Dataverse entity set of legal entities, the target of
// company lookups.
const companySet = "cdm_companies"

// fieldDef is one field of an entity set as the service knows it.
type fieldDef struct {
	name     string
	typ      plan.Type
	maxLen   int
	scale    int             // -1: none
	members  map[string]bool // F&O enum members; nil: any
	choices  map[int64]bool  // Dataverse choice values; nil: any
	target   string          // Dataverse lookup: the referenced entity set
	key      bool
	company  bool
	required bool
	norm     []Normalize
}

// setDef is one entity set (F&O) or table (Dataverse).
type setDef struct {
	name      string
	entity    string // F&O data entity type or Dataverse table logical name
	fields    map[string]*fieldDef
	keys      []string // key fields in the plan's key order, company first
	company   string   // the company key field, "" for a global set
	modified  string
	primaryID string // Dataverse
}

func (d *setDef) sortedFields() []string {
	var names []string
	for n := range d.fields {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// buildSchema derives one side's entity sets from the plan and applies the
// configuration's required fields, normalisation, dropped fields and extra
// members.
func buildSchema(p *plan.Plan, side plan.Side, cfg *Config) (map[string]*setDef, error) {
	sets := map[string]*setDef{}
	for i := range p.Maps {
		m := &p.Maps[i]
		d := setFor(sets, m, side)
		for _, k := range m.Key {
			name := k.FO
			typ := k.Type
			if side == plan.DV {
				name = k.DV
			}
			f := d.field(name, typ)
			f.key, f.required = true, true
			if k.Company {
				f.company = true
				d.company = name
				if side == plan.DV {
					f.typ, f.target = plan.Lookup, companySet
				} else {
					f.typ, f.maxLen = plan.String, 4
				}
			}
		}
		for _, pf := range m.Fields {
			name, typ := pf.FO, pf.FOType
			if side == plan.DV {
				name, typ = pf.DV, pf.DVType
			}
			f := d.field(name, typ)
			if pf.MaxLength > 0 && (f.maxLen == 0 || pf.MaxLength < f.maxLen) {
				f.maxLen = pf.MaxLength
			}
			if pf.Scale != nil {
				f.scale = *pf.Scale
			}
			if side == plan.DV && typ == plan.Lookup && pf.Lookup != nil {
				f.target = pf.Lookup.DVSet
			}
			for _, vp := range pf.Values {
				if typ == plan.Enum {
					if f.members == nil {
						f.members = map[string]bool{}
					}
					f.members[vp.FO] = true
				}
				if typ == plan.Choice {
					if f.choices == nil {
						f.choices = map[int64]bool{}
					}
					f.choices[vp.DV] = true
				}
			}
		}
		for _, c := range m.Constants {
			if c.Side != side {
				continue
			}
			if _, ok := d.fields[c.Field]; ok {
				continue
			}
			v, err := engine.ParseJSON(c.Value.JSON)
			if err != nil {
				return nil, fmt.Errorf("map %s constant %s: %w", m.Name, c.Field, err)
			}
			d.field(c.Field, typeOfKind(v.Kind()))
		}
	}
	find := func(what string, r FieldRef) (*setDef, *fieldDef, error) {
		d := sets[r.Set]
		if d == nil {
			return nil, nil, fmt.Errorf("%s %s: no entity set %q on %s", what, r, r.Set, side)
		}
		f := d.fields[r.Field]
		if f == nil {
			return nil, nil, fmt.Errorf("%s %s: set %s has no field %q", what, r, r.Set, r.Field)
		}
		return d, f, nil
	}
	for _, r := range cfg.Required {
		_, f, err := find("required field", r)
		if err != nil {
			return nil, err
		}
		f.required = true
	}
	for _, n := range cfg.Normalize {
		_, f, err := find("normalisation", FieldRef{n.Set, n.Field})
		if err != nil {
			return nil, err
		}
		switch n.Rule {
		case Trim, Upper, Lower, Round:
		default:
			return nil, fmt.Errorf("normalisation %s.%s: unknown rule %q", n.Set, n.Field, n.Rule)
		}
		f.norm = append(f.norm, n)
	}
	for _, x := range cfg.Extra {
		_, f, err := find("extra members", FieldRef{x.Set, x.Field})
		if err != nil {
			return nil, err
		}
		for _, v := range x.Values {
			switch f.typ {
			case plan.Enum:
				if f.members != nil {
					f.members[v] = true
				}
			case plan.Choice:
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("extra members %s.%s: choice %q is not an integer", x.Set, x.Field, v)
				}
				if f.choices != nil {
					f.choices[n] = true
				}
			default:
				return nil, fmt.Errorf("extra members %s.%s: field is a %s, not an enum or choice", x.Set, x.Field, f.typ)
			}
		}
	}
	for _, r := range cfg.Drop {
		d, f, err := find("dropped field", r)
		if err != nil {
			return nil, err
		}
		if f.key {
			return nil, fmt.Errorf("dropped field %s: a key field cannot be dropped", r)
		}
		delete(d.fields, r.Field)
	}
	return sets, nil
}

func setFor(sets map[string]*setDef, m *plan.Map, side plan.Side) *setDef {
	name, entity, modified := m.FO.EntitySet, m.FO.EntitySet+"Entity", m.FO.ModifiedField
	if side == plan.DV {
		name, entity, modified = m.DV.EntitySet, m.DV.Table, m.DV.ModifiedField
	}
	d := sets[name]
	if d == nil {
		d = &setDef{name: name, entity: entity, fields: map[string]*fieldDef{}, modified: modified}
		if side == plan.DV {
			d.primaryID = m.DV.PrimaryID
		}
		if d.modified == "" {
			d.modified = "ModifiedDateTime"
			if side == plan.DV {
				d.modified = "modifiedon"
			}
		}
		sets[name] = d
		for _, k := range m.Key {
			n := k.FO
			if side == plan.DV {
				n = k.DV
			}
			d.keys = append(d.keys, n)
		}
	}
	return d
}

func (d *setDef) field(name string, typ plan.Type) *fieldDef {
	f := d.fields[name]
	if f == nil {
		f = &fieldDef{name: name, typ: typ, scale: -1}
		d.fields[name] = f
	}
	return f
}

func typeOfKind(k engine.Kind) plan.Type {
	switch k {
	case engine.KindInt:
		return plan.Int
	case engine.KindDecimal:
		return plan.Decimal
	case engine.KindBool:
		return plan.Bool
	case engine.KindTime:
		return plan.DateTime
	}
	return plan.String
}

package csdl

import (
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/dualsync/dualsync/compiler"
	"github.com/dualsync/dualsync/runtime/plan"
)

// Annotation terms that mark an F&O property read-only.
const (
	termAllowEdit = "Microsoft.Dynamics.OData.Core.V1.AllowEdit"
	termComputed  = "Org.OData.Core.V1.Computed"
)

// F&O conventions.
const (
	foCompanyField  = "dataAreaId"
	foModifiedField = "ModifiedDateTime"
)

// ParseFO reads an F&O $metadata document into a catalog. See the package
// documentation for the rules.
func ParseFO(r io.Reader) (*compiler.FOCatalog, error) {
	return parseFO(r, MaxInput)
}

func parseFO(r io.Reader, limit int64) (*compiler.FOCatalog, error) {
	data, err := readLimited(r, limit)
	if err != nil {
		return nil, err
	}
	doc, err := decodeEdmx(data)
	if err != nil {
		return nil, err
	}
	p := &problems{data: data}
	m := newModel(doc, p)
	cat := &compiler.FOCatalog{
		Entities: map[string]*compiler.FOEntity{},
		Enums:    map[string]*compiler.Enum{},
	}
	enums := &enumRecorder{m: m, cat: cat, done: map[string]bool{}}
	for _, es := range m.sets {
		s, ok := m.entitySet(es)
		if !ok {
			continue
		}
		if _, dup := cat.Entities[es.Name]; dup {
			p.at(es.offset, "entity set %s declared twice", es.Name)
			continue
		}
		if ent, ok := foEntity(m, es, s, enums); ok {
			cat.Entities[es.Name] = ent
		}
	}
	if len(m.sets) == 0 {
		p.add(&Error{Msg: "no EntitySet in any EntityContainer"})
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return cat, nil
}

// foEntity builds one entity from its entity set and flattened type.
func foEntity(m *model, es *xEntitySet, s *shape, enums *enumRecorder) (*compiler.FOEntity, bool) {
	p := m.p
	ent := &compiler.FOEntity{
		EntitySet:  es.Name,
		EntityType: s.t.Name,
		Fields:     map[string]*compiler.FieldMeta{},
	}
	ok := true
	for _, prop := range s.props {
		if prop.Name == "" {
			p.at(prop.offset, "entity set %s: Property without a Name", es.Name)
			ok = false
			continue
		}
		if _, dup := ent.Fields[prop.Name]; dup {
			p.at(prop.offset, "entity set %s: property %s declared twice", es.Name, prop.Name)
			ok = false
			continue
		}
		pt, msg := m.typeProperty(prop)
		if msg != "" {
			p.at(prop.offset, "entity set %s: property %s: %s", es.Name, prop.Name, msg)
			ok = false
			continue
		}
		if pt.skip {
			continue
		}
		f := pt.meta
		allowEdit, found := m.boolAnnotation(prop.Annotations, termAllowEdit)
		computed, _ := m.boolAnnotation(prop.Annotations, termComputed)
		f.ReadOnly = (found && !allowEdit) || computed
		// The service supplies a read-only field, so no write must.
		f.Required = nullableFalse(prop.Nullable) && !f.ReadOnly
		if pt.enum != nil && !enums.record(f.Enum, pt.enum) {
			ok = false
		}
		ent.Fields[prop.Name] = f
	}
	for _, ref := range s.key {
		if ref.Name == "" {
			p.at(s.t.offset, "entity set %s: PropertyRef without a Name in the Key of %s", es.Name, s.t.Name)
			ok = false
			continue
		}
		if slices.Contains(ent.Key, ref.Name) {
			p.at(s.t.offset, "entity set %s: key field %s listed twice", es.Name, ref.Name)
			ok = false
			continue
		}
		f, found := ent.Fields[ref.Name]
		if !found {
			if s.findProp(ref.Name) != nil {
				p.at(s.t.offset, "entity set %s: key field %s has a type that cannot be synced", es.Name, ref.Name)
			} else {
				p.at(s.t.offset, "entity set %s: key field %s is not a property of %s", es.Name, ref.Name, s.t.Name)
			}
			ok = false
			continue
		}
		f.Required = !f.ReadOnly
		ent.Key = append(ent.Key, ref.Name)
	}
	ent.CompanySpecific = slices.Contains(ent.Key, foCompanyField)
	if f := ent.Fields[foModifiedField]; f != nil && f.Type == plan.DateTime {
		ent.ModifiedField = foModifiedField
	}
	return ent, ok
}

// enumRecorder adds each enum that a field uses to the catalog, once.
type enumRecorder struct {
	m    *model
	cat  *compiler.FOCatalog
	done map[string]bool // qualified name → members were valid
}

// record adds the enum named q; it reports false when its members are
// broken (reported once).
func (r *enumRecorder) record(q string, e *xEnumType) bool {
	if valid, seen := r.done[q]; seen {
		return valid
	}
	members := map[string]int64{}
	valid := true
	var next int64
	for _, mem := range e.Members {
		if mem.Name == "" {
			r.m.p.at(mem.offset, "enum %s: Member without a Name", q)
			valid = false
			continue
		}
		v := next
		if s := strings.TrimSpace(mem.Value); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				r.m.p.at(mem.offset, "enum %s: member %s: Value=%q is not an integer", q, mem.Name, mem.Value)
				valid = false
				continue
			}
			v = n
		}
		if _, dup := members[mem.Name]; dup {
			r.m.p.at(mem.offset, "enum %s: member %s declared twice", q, mem.Name)
			valid = false
			continue
		}
		members[mem.Name] = v
		next = v + 1
	}
	r.done[q] = valid
	if valid {
		r.cat.Enums[q] = &compiler.Enum{Members: members}
	}
	return valid
}

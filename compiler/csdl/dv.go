package csdl

import (
	"io"
	"slices"
	"strings"

	"github.com/dualsync/dualsync/compiler"
	"github.com/dualsync/dualsync/runtime/plan"
)

// Dataverse conventions.
const (
	termAlternateKeys = "OData.Community.Keys.V1.AlternateKeys"
	dvCompanyTable    = "cdm_company"
	dvModifiedField   = "modifiedon"
	kindStandard      = "standard"
)

// ParseDV reads a Dataverse $metadata document into a catalog and, when
// attrs is not nil, completes it with the EntityDefinitions JSON read from
// attrs. Problems in attrs are returned as *AttributesError. See the
// package documentation for the rules.
func ParseDV(csdl io.Reader, attrs io.Reader) (*compiler.DVCatalog, error) {
	return parseDV(csdl, attrs, MaxInput)
}

func parseDV(csdl, attrs io.Reader, limit int64) (*compiler.DVCatalog, error) {
	data, err := readLimited(csdl, limit)
	if err != nil {
		return nil, err
	}
	doc, err := decodeEdmx(data)
	if err != nil {
		return nil, err
	}
	p := &problems{data: data}
	m := newModel(doc, p)
	cat := &compiler.DVCatalog{Tables: map[string]*compiler.DVTable{}}
	setOf := map[string]*xEntitySet{}
	for _, es := range m.sets {
		s, ok := m.entitySet(es)
		if !ok {
			continue
		}
		if prev, dup := setOf[s.t.Name]; dup {
			p.at(es.offset, "entity set %s: table %s already has entity set %s", es.Name, s.t.Name, prev.Name)
			continue
		}
		setOf[s.t.Name] = es
		if t, ok := dvTable(m, es, s); ok {
			cat.Tables[t.LogicalName] = t
		}
	}
	if len(m.sets) == 0 {
		p.add(&Error{Msg: "no EntitySet in any EntityContainer"})
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	if attrs != nil {
		if err := applyAttributes(cat, attrs, limit); err != nil {
			return nil, &AttributesError{Err: err}
		}
	}
	return cat, nil
}

// lookupName returns x for a lookup value property _x_value.
func lookupName(prop string) (string, bool) {
	if len(prop) > len("__value") && strings.HasPrefix(prop, "_") && strings.HasSuffix(prop, "_value") {
		return prop[1 : len(prop)-len("_value")], true
	}
	return "", false
}

// dvTable builds one table from its entity set and flattened type.
func dvTable(m *model, es *xEntitySet, s *shape) (*compiler.DVTable, bool) {
	p := m.p
	t := &compiler.DVTable{
		LogicalName:   s.t.Name,
		EntitySet:     es.Name,
		AlternateKeys: [][]string{},
		Kind:          kindStandard,
		Fields:        map[string]*compiler.FieldMeta{},
	}
	ok := true
	if len(s.key) != 1 {
		p.at(s.t.offset, "entity set %s: the Key of %s has %d properties; a Dataverse table has one primary id", es.Name, s.t.Name, len(s.key))
		return nil, false
	}
	t.PrimaryID = s.key[0].Name

	// Lookups: single-valued navigation properties constrained by _x_value.
	targets := map[string][]string{} // lookup name → target tables
	var lookups []string
	values := map[string]bool{} // the _x_value properties they explain
	for _, nav := range s.navs {
		if strings.HasPrefix(strings.TrimSpace(nav.Type), "Collection(") {
			continue
		}
		var x, prop string
		for _, c := range nav.Constraints {
			if name, isValue := lookupName(c.Property); isValue {
				x, prop = name, c.Property
				break
			}
		}
		if x == "" {
			continue
		}
		target, found := m.entities[m.qualify(strings.TrimSpace(nav.Type))]
		if !found {
			p.at(nav.offset, "entity set %s: navigation property %s: entity type %s not found", es.Name, nav.Name, nav.Type)
			ok = false
			continue
		}
		if _, seen := targets[x]; !seen {
			lookups = append(lookups, x)
		}
		if !slices.Contains(targets[x], target.Name) {
			targets[x] = append(targets[x], target.Name)
		}
		values[prop] = true
	}

	for _, prop := range s.props {
		if prop.Name == "" {
			p.at(prop.offset, "entity set %s: Property without a Name", es.Name)
			ok = false
			continue
		}
		if values[prop.Name] {
			continue
		}
		if _, dup := t.Fields[prop.Name]; dup {
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
		// Only the metadata entity types (EntityDefinitions and the like)
		// have enum-typed properties; no table map syncs them.
		if pt.skip || pt.enum != nil {
			continue
		}
		f := pt.meta
		f.ReadOnly, _ = m.boolAnnotation(prop.Annotations, termComputed)
		t.Fields[prop.Name] = f
	}
	for _, x := range lookups {
		if _, dup := t.Fields[x]; dup {
			p.at(s.t.offset, "entity set %s: lookup %s has the name of a property", es.Name, x)
			ok = false
			continue
		}
		tg := targets[x]
		slices.Sort(tg)
		t.Fields[x] = &compiler.FieldMeta{Type: plan.Lookup, Targets: tg}
	}
	if _, found := t.Fields[t.PrimaryID]; !found {
		p.at(s.t.offset, "entity set %s: primary id %s is not a property of %s", es.Name, t.PrimaryID, s.t.Name)
		ok = false
	}

	keys, keysOK := m.alternateKeys(s, es.Name)
	ok = ok && keysOK
	for _, key := range keys {
		for i, part := range key {
			if x, isValue := lookupName(part); isValue && values[part] {
				key[i] = x
				part = x
			}
			if _, found := t.Fields[part]; !found {
				p.at(s.t.offset, "entity set %s: alternate key part %s is not a column of %s", es.Name, part, s.t.Name)
				ok = false
			}
		}
		t.AlternateKeys = append(t.AlternateKeys, key)
	}
	t.CompanyField = companyField(t)
	if f := t.Fields[dvModifiedField]; f != nil && f.Type == plan.DateTime {
		t.ModifiedField = dvModifiedField
	}
	return t, ok
}

// companyField picks the lookup that stripes a table by legal entity.
func companyField(t *compiler.DVTable) string {
	var candidates []string
	for name, f := range t.Fields {
		if f.Type == plan.Lookup && len(f.Targets) == 1 && f.Targets[0] == dvCompanyTable {
			candidates = append(candidates, name)
		}
	}
	slices.Sort(candidates)
	for _, c := range candidates {
		for _, key := range t.AlternateKeys {
			if slices.Contains(key, c) {
				return c
			}
		}
	}
	if len(candidates) > 0 {
		return candidates[0]
	}
	return ""
}

// alternateKeys reads the AlternateKeys annotation of an entity type: a
// Collection of AlternateKey records, each with a Key property holding a
// Collection of PropertyRef records whose Name is a property path.
func (m *model) alternateKeys(s *shape, set string) ([][]string, bool) {
	var keys [][]string
	ok := true
	bad := func(format string, args ...any) {
		m.p.at(s.t.offset, "entity set %s: alternate keys: "+format, append([]any{set}, args...)...)
		ok = false
	}
	for _, a := range s.annotations {
		if !m.isTerm(a.Term, termAlternateKeys) {
			continue
		}
		if a.Collection == nil {
			bad("annotation has no Collection")
			continue
		}
		for i, rec := range a.Collection.Records {
			var key []string
			for _, pv := range rec.Values {
				if pv.Property != "Key" {
					continue
				}
				if pv.Collection == nil {
					bad("key %d: Key has no Collection", i+1)
					continue
				}
				for _, ref := range pv.Collection.Records {
					for _, v := range ref.Values {
						if v.Property != "Name" {
							continue
						}
						path := strings.TrimSpace(v.PropertyPathAttr)
						if path == "" {
							path = strings.TrimSpace(v.PropertyPathElem)
						}
						if path == "" {
							bad("key %d: a part has no PropertyPath", i+1)
							continue
						}
						key = append(key, path)
					}
				}
			}
			if len(key) == 0 {
				bad("key %d has no parts", i+1)
				continue
			}
			keys = append(keys, key)
		}
	}
	return keys, ok
}

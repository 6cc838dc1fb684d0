package csdl

import "strings"

// model indexes the schemas of one document by qualified name.
type model struct {
	p        *problems
	aliases  map[string]string // alias → namespace, from schemas and references
	entities map[string]*xEntityType
	enums    map[string]*xEnumType
	complex  map[string]bool
	typedefs map[string]string // qualified name → underlying type
	sets     []*xEntitySet
}

// maxBaseDepth bounds BaseType chains; deeper chains are reported as errors.
const maxBaseDepth = 32

func newModel(doc *xEdmx, p *problems) *model {
	m := &model{
		p:        p,
		aliases:  map[string]string{},
		entities: map[string]*xEntityType{},
		enums:    map[string]*xEnumType{},
		complex:  map[string]bool{},
		typedefs: map[string]string{},
	}
	for _, ref := range doc.References {
		for _, inc := range ref.Includes {
			if inc.Alias != "" && inc.Namespace != "" {
				m.aliases[inc.Alias] = inc.Namespace
			}
		}
	}
	schemas := doc.DataServices[0].Schemas
	for i := range schemas {
		s := &schemas[i]
		if s.Namespace == "" {
			p.at(s.offset, "Schema without a Namespace")
			continue
		}
		if s.Alias != "" {
			m.aliases[s.Alias] = s.Namespace
		}
	}
	for i := range schemas {
		s := &schemas[i]
		if s.Namespace == "" {
			continue
		}
		for _, t := range s.EntityTypes {
			t.namespace = s.Namespace
			if t.Name == "" {
				p.at(t.offset, "EntityType without a Name in schema %s", s.Namespace)
				continue
			}
			q := s.Namespace + "." + t.Name
			if _, dup := m.entities[q]; dup {
				p.at(t.offset, "EntityType %s declared twice", q)
				continue
			}
			m.entities[q] = t
		}
		for _, e := range s.EnumTypes {
			if e.Name == "" {
				p.at(e.offset, "EnumType without a Name in schema %s", s.Namespace)
				continue
			}
			q := s.Namespace + "." + e.Name
			if _, dup := m.enums[q]; dup {
				p.at(e.offset, "EnumType %s declared twice", q)
				continue
			}
			m.enums[q] = e
		}
		for _, c := range s.ComplexTypes {
			m.complex[s.Namespace+"."+c.Name] = true
		}
		for _, td := range s.TypeDefinitions {
			m.typedefs[s.Namespace+"."+td.Name] = td.UnderlyingType
		}
		for _, c := range s.Containers {
			m.sets = append(m.sets, c.EntitySets...)
		}
	}
	return m
}

// qualify replaces a leading alias with its namespace.
func (m *model) qualify(name string) string {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 {
		return name
	}
	if ns, ok := m.aliases[name[:i]]; ok {
		return ns + "." + name[i+1:]
	}
	return name
}

// shape is an entity type with its base types folded in.
type shape struct {
	t           *xEntityType
	key         []xNamed
	props       []*xProperty
	navs        []*xNavigation
	annotations []xAnnotation
}

// flatten folds an entity type's BaseType chain into one shape: base members
// first, the nearest Key wins. where names the referring element in errors.
func (m *model) flatten(t *xEntityType, where string) (*shape, bool) {
	chain := []*xEntityType{t}
	seen := map[*xEntityType]bool{t: true}
	for cur := t; cur.BaseType != ""; {
		q := m.qualify(cur.BaseType)
		base, ok := m.entities[q]
		if !ok {
			m.p.at(cur.offset, "%s: entity type %s: base type %s not found", where, cur.Name, cur.BaseType)
			return nil, false
		}
		if seen[base] || len(chain) >= maxBaseDepth {
			m.p.at(cur.offset, "%s: entity type %s: base type chain loops or is deeper than %d", where, t.Name, maxBaseDepth)
			return nil, false
		}
		seen[base] = true
		chain = append(chain, base)
		cur = base
	}
	s := &shape{t: t}
	for i := len(chain) - 1; i >= 0; i-- {
		c := chain[i]
		if len(c.Keys) > 0 {
			s.key = nil
			for _, k := range c.Keys {
				s.key = append(s.key, k.Refs...)
			}
		}
		s.props = append(s.props, c.Properties...)
		s.navs = append(s.navs, c.Navigations...)
		s.annotations = append(s.annotations, c.Annotations...)
	}
	return s, true
}

// entitySet resolves one entity set to its flattened type, reporting
// problems prefixed with the set's name.
func (m *model) entitySet(es *xEntitySet) (*shape, bool) {
	if es.Name == "" {
		m.p.at(es.offset, "EntitySet without a Name")
		return nil, false
	}
	where := "entity set " + es.Name
	if es.EntityType == "" {
		m.p.at(es.offset, "%s: no EntityType attribute", where)
		return nil, false
	}
	t, ok := m.entities[m.qualify(es.EntityType)]
	if !ok {
		m.p.at(es.offset, "%s: entity type %s not found", where, es.EntityType)
		return nil, false
	}
	s, ok := m.flatten(t, where)
	if !ok {
		return nil, false
	}
	if len(s.key) == 0 {
		m.p.at(t.offset, "%s: entity type %s has no Key", where, t.Name)
		return nil, false
	}
	return s, true
}

// findProp returns the named property of a shape, or nil.
func (s *shape) findProp(name string) *xProperty {
	for _, p := range s.props {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// isTerm reports whether term (possibly written with an alias) is
// the qualified name want.
func (m *model) isTerm(term, want string) bool {
	return term == want || m.qualify(term) == want
}

// boolAnnotation finds an annotation for term among list and returns its
// boolean value. An annotation without a value means true, as in CSDL.
func (m *model) boolAnnotation(list []xAnnotation, term string) (value, found bool) {
	for _, a := range list {
		if !m.isTerm(a.Term, term) || a.Qualifier != "" {
			continue
		}
		v := strings.TrimSpace(a.BoolAttr)
		if v == "" {
			v = strings.TrimSpace(a.BoolElem)
		}
		return v != "false", true
	}
	return false, false
}

package csdl

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dualsync/dualsync/compiler"
	"github.com/dualsync/dualsync/runtime/plan"
)

// edmType maps the Edm primitive types that table maps can sync.
func edmType(name string) (plan.Type, bool) {
	switch name {
	case "Edm.String":
		return plan.String, true
	case "Edm.Int16", "Edm.Int32", "Edm.Int64", "Edm.Byte", "Edm.SByte":
		return plan.Int, true
	case "Edm.Decimal", "Edm.Double", "Edm.Single":
		return plan.Decimal, true
	case "Edm.Boolean":
		return plan.Bool, true
	case "Edm.Date":
		return plan.Date, true
	case "Edm.DateTimeOffset":
		return plan.DateTime, true
	case "Edm.Guid":
		return plan.Guid, true
	}
	return "", false
}

// edmSkipped reports Edm primitive types that exist in real metadata but
// carry nothing a table map can sync; properties of these types are left
// out.
func edmSkipped(name string) bool {
	switch name {
	case "Edm.Binary", "Edm.Stream", "Edm.Duration", "Edm.TimeOfDay", "Edm.Untyped", "Edm.PrimitiveType":
		return true
	}
	return strings.HasPrefix(name, "Edm.Geography") || strings.HasPrefix(name, "Edm.Geometry")
}

// propType is the outcome of typing one property.
type propType struct {
	meta *compiler.FieldMeta
	// enum is the enum type of an enum field, with its qualified name in
	// meta.Enum.
	enum *xEnumType
	// skip: the property is not syncable and is left out.
	skip bool
}

// typeProperty maps a property's type and facets to field metadata. An
// error message is returned for types it cannot place.
func (m *model) typeProperty(p *xProperty) (propType, string) {
	typ := strings.TrimSpace(p.Type)
	if typ == "" {
		return propType{}, "no Type attribute"
	}
	if strings.HasPrefix(typ, "Collection(") {
		return propType{skip: true}, ""
	}
	base := typ
	if !strings.HasPrefix(base, "Edm.") {
		q := m.qualify(typ)
		if e, ok := m.enums[q]; ok {
			return propType{meta: &compiler.FieldMeta{Type: plan.Enum, Enum: q}, enum: e}, ""
		}
		if m.complex[q] {
			return propType{skip: true}, ""
		}
		if _, ok := m.entities[q]; ok {
			return propType{skip: true}, ""
		}
		u, ok := m.typedefs[q]
		if !ok {
			return propType{}, fmt.Sprintf("type %s is neither an Edm primitive type nor declared in the document", typ)
		}
		base = strings.TrimSpace(u)
	}
	t, ok := edmType(base)
	if !ok {
		if edmSkipped(base) {
			return propType{skip: true}, ""
		}
		if base != typ {
			return propType{}, fmt.Sprintf("type %s has unknown underlying type %s", typ, base)
		}
		return propType{}, fmt.Sprintf("unknown Edm type %s", typ)
	}
	f := &compiler.FieldMeta{Type: t}
	switch t {
	case plan.String:
		n, msg := facet(p.MaxLength, "MaxLength", true)
		if msg != "" {
			return propType{}, msg
		}
		f.MaxLength = n
	case plan.Decimal:
		n, msg := facet(p.Precision, "Precision", false)
		if msg != "" {
			return propType{}, msg
		}
		f.Precision = n
		n, msg = facet(p.Scale, "Scale", true)
		if msg != "" {
			return propType{}, msg
		}
		f.Scale = n
	}
	return propType{meta: f}, ""
}

// maxFacet bounds MaxLength, Precision and Scale values.
const maxFacet = 1 << 30

// facet parses a non-negative integer facet. The symbolic values max (of
// MaxLength) and variable or floating (of Scale) mean "no limit" and give 0.
func facet(v, name string, symbolic bool) (int, string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, ""
	}
	if symbolic {
		switch strings.ToLower(v) {
		case "max", "variable", "floating":
			return 0, ""
		}
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > maxFacet {
		return 0, fmt.Sprintf("%s=%q is not a non-negative integer", name, v)
	}
	return n, ""
}

// nullableFalse reports whether a Nullable attribute says false.
func nullableFalse(v string) bool {
	return strings.TrimSpace(v) == "false"
}

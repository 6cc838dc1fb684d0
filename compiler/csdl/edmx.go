package csdl

import "encoding/xml"

// The element types below mirror the parts of OData 4 CSDL XML that the
// catalogs need. Child elements are matched by local name in any namespace;
// the root element's namespace is checked separately. Elements that errors
// may point at record the byte offset just after their start tag.

// edmxNamespace is the namespace of the edmx:Edmx root in OData 4 CSDL.
const edmxNamespace = "http://docs.oasis-open.org/odata/ns/edmx"

type xEdmx struct {
	XMLName      xml.Name
	References   []xReference   `xml:"Reference"`
	DataServices []xDataService `xml:"DataServices"`
	offset       int64
}

type xReference struct {
	Includes []xInclude `xml:"Include"`
}

type xInclude struct {
	Namespace string `xml:"Namespace,attr"`
	Alias     string `xml:"Alias,attr"`
}

type xDataService struct {
	Schemas []xSchema `xml:"Schema"`
}

type xSchema struct {
	Namespace       string            `xml:"Namespace,attr"`
	Alias           string            `xml:"Alias,attr"`
	EntityTypes     []*xEntityType    `xml:"EntityType"`
	ComplexTypes    []xNamed          `xml:"ComplexType"`
	EnumTypes       []*xEnumType      `xml:"EnumType"`
	TypeDefinitions []xTypeDefinition `xml:"TypeDefinition"`
	Containers      []xContainer      `xml:"EntityContainer"`
	offset          int64
}

type xNamed struct {
	Name string `xml:"Name,attr"`
}

type xTypeDefinition struct {
	Name           string `xml:"Name,attr"`
	UnderlyingType string `xml:"UnderlyingType,attr"`
}

type xEntityType struct {
	Name        string         `xml:"Name,attr"`
	BaseType    string         `xml:"BaseType,attr"`
	Keys        []xKey         `xml:"Key"`
	Properties  []*xProperty   `xml:"Property"`
	Navigations []*xNavigation `xml:"NavigationProperty"`
	Annotations []xAnnotation  `xml:"Annotation"`
	offset      int64
	namespace   string // of the schema that declares it
}

type xKey struct {
	Refs []xNamed `xml:"PropertyRef"`
}

type xProperty struct {
	Name        string        `xml:"Name,attr"`
	Type        string        `xml:"Type,attr"`
	Nullable    string        `xml:"Nullable,attr"`
	MaxLength   string        `xml:"MaxLength,attr"`
	Precision   string        `xml:"Precision,attr"`
	Scale       string        `xml:"Scale,attr"`
	Annotations []xAnnotation `xml:"Annotation"`
	offset      int64
}

type xNavigation struct {
	Name        string        `xml:"Name,attr"`
	Type        string        `xml:"Type,attr"`
	Constraints []xConstraint `xml:"ReferentialConstraint"`
	Annotations []xAnnotation `xml:"Annotation"`
	offset      int64
}

type xConstraint struct {
	Property           string `xml:"Property,attr"`
	ReferencedProperty string `xml:"ReferencedProperty,attr"`
}

type xEnumType struct {
	Name    string     `xml:"Name,attr"`
	Members []*xMember `xml:"Member"`
	offset  int64
}

type xMember struct {
	Name   string `xml:"Name,attr"`
	Value  string `xml:"Value,attr"`
	offset int64
}

type xContainer struct {
	EntitySets []*xEntitySet `xml:"EntitySet"`
}

type xEntitySet struct {
	Name       string `xml:"Name,attr"`
	EntityType string `xml:"EntityType,attr"`
	offset     int64
}

// xAnnotation is an inline annotation. Its value is either an attribute
// (Bool="false") or a child element (<Bool>false</Bool>, a Collection of
// Records).
type xAnnotation struct {
	Term       string       `xml:"Term,attr"`
	Qualifier  string       `xml:"Qualifier,attr"`
	BoolAttr   string       `xml:"Bool,attr"`
	BoolElem   string       `xml:"Bool"`
	Collection *xCollection `xml:"Collection"`
}

type xCollection struct {
	Records []xRecord `xml:"Record"`
}

type xRecord struct {
	Values []xPropertyValue `xml:"PropertyValue"`
}

type xPropertyValue struct {
	Property         string       `xml:"Property,attr"`
	PropertyPathAttr string       `xml:"PropertyPath,attr"`
	PropertyPathElem string       `xml:"PropertyPath"`
	Collection       *xCollection `xml:"Collection"`
}

// UnmarshalXML methods record where each element's start tag ends, so that
// errors can name its line.

func (e *xEdmx) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain xEdmx
	e.offset = d.InputOffset()
	return d.DecodeElement((*plain)(e), &start)
}

func (s *xSchema) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain xSchema
	s.offset = d.InputOffset()
	return d.DecodeElement((*plain)(s), &start)
}

func (t *xEntityType) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain xEntityType
	t.offset = d.InputOffset()
	return d.DecodeElement((*plain)(t), &start)
}

func (p *xProperty) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain xProperty
	p.offset = d.InputOffset()
	return d.DecodeElement((*plain)(p), &start)
}

func (n *xNavigation) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain xNavigation
	n.offset = d.InputOffset()
	return d.DecodeElement((*plain)(n), &start)
}

func (e *xEnumType) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain xEnumType
	e.offset = d.InputOffset()
	return d.DecodeElement((*plain)(e), &start)
}

func (m *xMember) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain xMember
	m.offset = d.InputOffset()
	return d.DecodeElement((*plain)(m), &start)
}

func (s *xEntitySet) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain xEntitySet
	s.offset = d.InputOffset()
	return d.DecodeElement((*plain)(s), &start)
}

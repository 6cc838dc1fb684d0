package fakehttp

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"slices"
	"strings"

	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator/fake"
)

// $metadata: CSDL generated from the plan's entity sets (or a document
// given in the configuration, served as it is).

const (
	foNamespace = "Microsoft.Dynamics.DataEntities"
	dvNamespace = "Microsoft.Dynamics.CRM"
)

// csdl is the part of a CSDL document read to learn enum type names.
type csdl struct {
	Schemas []struct {
		Namespace   string `xml:"Namespace,attr"`
		EntityTypes []struct {
			Name       string `xml:"Name,attr"`
			Properties []struct {
				Name string `xml:"Name,attr"`
				Type string `xml:"Type,attr"`
			} `xml:"Property"`
		} `xml:"EntityType"`
		Containers []struct {
			Sets []struct {
				Name       string `xml:"Name,attr"`
				EntityType string `xml:"EntityType,attr"`
			} `xml:"EntitySet"`
		} `xml:"EntityContainer"`
	} `xml:"DataServices>Schema"`
}

// foEnumTypes returns each enum field's qualified enum type, by set and
// field: from the served document when there is one (fields it does not
// know get none, and their filters are not type-checked), else the names
// the generated document uses.
func foEnumTypes(schema []fake.SetInfo, served []byte) map[string]map[string]string {
	out := map[string]map[string]string{}
	if served != nil {
		var doc csdl
		if err := xml.Unmarshal(served, &doc); err != nil {
			return out
		}
		types := map[string]map[string]string{} // qualified entity type to property types
		setType := map[string]string{}
		for _, sc := range doc.Schemas {
			for _, et := range sc.EntityTypes {
				props := map[string]string{}
				for _, p := range et.Properties {
					props[p.Name] = p.Type
				}
				types[sc.Namespace+"."+et.Name] = props
			}
			for _, c := range sc.Containers {
				for _, s := range c.Sets {
					setType[s.Name] = s.EntityType
				}
			}
		}
		for _, si := range schema {
			props := types[setType[si.Name]]
			for _, f := range si.Fields {
				if t := props[f.Name]; f.Type == plan.Enum && t != "" && !strings.HasPrefix(t, "Edm.") {
					if out[si.Name] == nil {
						out[si.Name] = map[string]string{}
					}
					out[si.Name][f.Name] = t
				}
			}
		}
		return out
	}
	members := map[string][]string{} // type name to members
	for _, si := range schema {
		for _, f := range si.Fields {
			if f.Type != plan.Enum {
				continue
			}
			name := f.Name
			if m, ok := members[name]; ok && !slices.Equal(m, f.Members) {
				name = si.Entity + f.Name
			}
			members[name] = f.Members
			if out[si.Name] == nil {
				out[si.Name] = map[string]string{}
			}
			out[si.Name][f.Name] = foNamespace + "." + name
		}
	}
	return out
}

type xmlWriter struct{ b bytes.Buffer }

func (w *xmlWriter) line(indent int, format string, args ...any) {
	w.b.WriteString(strings.Repeat("  ", indent))
	for i, a := range args {
		if s, ok := a.(string); ok {
			var e bytes.Buffer
			xml.EscapeText(&e, []byte(s))
			args[i] = strings.ReplaceAll(e.String(), `"`, "&quot;")
		}
	}
	fmt.Fprintf(&w.b, format, args...)
	w.b.WriteByte('\n')
}

// foMetadata generates F&O's CSDL: an entity type per entity set (named
// as the service names it in errors), its key and properties, an enum
// type per enum field (members numbered in name order), and the entity
// container.
func foMetadata(schema []fake.SetInfo, enumTypes map[string]map[string]string) []byte {
	w := &xmlWriter{}
	w.line(0, `<?xml version="1.0" encoding="utf-8"?>`)
	w.line(0, `<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">`)
	w.line(1, `<edmx:DataServices>`)
	w.line(2, `<Schema Namespace="%s" xmlns="http://docs.oasis-open.org/odata/ns/edm">`, foNamespace)
	enums := map[string][]string{}
	for _, si := range schema {
		w.line(3, `<EntityType Name="%s">`, si.Entity)
		w.line(4, `<Key>`)
		for _, k := range si.Keys {
			w.line(5, `<PropertyRef Name="%s" />`, k)
		}
		w.line(4, `</Key>`)
		for _, f := range si.Fields {
			typ := edmType(f.Type)
			if f.Type == plan.Enum {
				typ = enumTypes[si.Name][f.Name]
				enums[strings.TrimPrefix(typ, foNamespace+".")] = f.Members
			}
			attrs := ""
			if f.Key || f.Required || f.Type == plan.String {
				attrs += ` Nullable="false"`
			}
			if f.MaxLength > 0 && f.Type == plan.String {
				attrs += fmt.Sprintf(` MaxLength="%d"`, f.MaxLength)
			}
			if f.Type == plan.Decimal {
				scale := f.Scale
				if scale < 0 {
					scale = 6
				}
				attrs += fmt.Sprintf(` Precision="32" Scale="%d"`, scale)
			}
			w.line(4, `<Property Name="%s" Type="%s"`+attrs+` />`, f.Name, typ)
		}
		w.line(4, `<Property Name="%s" Type="Edm.DateTimeOffset">`, si.Modified)
		w.line(5, `<Annotation Term="Microsoft.Dynamics.OData.Core.V1.AllowEdit" Bool="false" />`)
		w.line(4, `</Property>`)
		w.line(3, `</EntityType>`)
	}
	names := make([]string, 0, len(enums))
	for n := range enums {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		w.line(3, `<EnumType Name="%s">`, n)
		for i, m := range enums[n] {
			w.line(4, `<Member Name="%s" Value="%d" />`, m, i)
		}
		w.line(3, `</EnumType>`)
	}
	w.line(3, `<EntityContainer Name="Resources">`)
	for _, si := range schema {
		w.line(4, `<EntitySet Name="%s" EntityType="%s.%s" />`, si.Name, foNamespace, si.Entity)
	}
	w.line(3, `</EntityContainer>`)
	w.line(2, `</Schema>`)
	w.line(1, `</edmx:DataServices>`)
	w.line(0, `</edmx:Edmx>`)
	return w.b.Bytes()
}

// dvMetadata generates Dataverse's CSDL: an entity type per table with its
// primary id, columns (a lookup as _<name>_value and a navigation
// property), system columns and alternate key; cdm_company; the container.
func dvMetadata(schema []fake.SetInfo) []byte {
	entity := map[string]string{fake.CompanySet: "cdm_company"}
	for _, si := range schema {
		entity[si.Name] = si.Entity
	}
	w := &xmlWriter{}
	w.line(0, `<?xml version="1.0" encoding="utf-8"?>`)
	w.line(0, `<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">`)
	w.line(1, `<edmx:DataServices>`)
	w.line(2, `<Schema Namespace="%s" Alias="mscrm" xmlns="http://docs.oasis-open.org/odata/ns/edm">`, dvNamespace)
	w.line(3, `<EntityType Name="cdm_company">`)
	w.line(4, `<Key><PropertyRef Name="cdm_companyid" /></Key>`)
	w.line(4, `<Property Name="cdm_companyid" Type="Edm.Guid" />`)
	w.line(4, `<Property Name="cdm_companycode" Type="Edm.String" />`)
	w.line(4, `<Property Name="cdm_name" Type="Edm.String" />`)
	w.line(3, `</EntityType>`)
	for _, si := range schema {
		w.line(3, `<EntityType Name="%s">`, si.Entity)
		w.line(4, `<Key><PropertyRef Name="%s" /></Key>`, si.PrimaryID)
		w.line(4, `<Property Name="%s" Type="Edm.Guid" />`, si.PrimaryID)
		for _, f := range si.Fields {
			if f.Target != "" {
				w.line(4, `<Property Name="_%s_value" Type="Edm.Guid" />`, f.Name)
				continue
			}
			attrs := ""
			if f.MaxLength > 0 && f.Type == plan.String {
				attrs = fmt.Sprintf(` MaxLength="%d"`, f.MaxLength)
			}
			w.line(4, `<Property Name="%s" Type="%s"`+attrs+` />`, f.Name, edmType(f.Type))
		}
		w.line(4, `<Property Name="createdon" Type="Edm.DateTimeOffset" />`)
		w.line(4, `<Property Name="%s" Type="Edm.DateTimeOffset" />`, si.Modified)
		w.line(4, `<Property Name="versionnumber" Type="Edm.Int64" />`)
		for _, f := range si.Fields {
			if f.Target != "" {
				w.line(4, `<NavigationProperty Name="%s" Type="mscrm.%s" />`, f.Name, entity[f.Target])
			}
		}
		w.line(4, `<Annotation Term="OData.Community.Keys.V1.AlternateKeys">`)
		w.line(5, `<Collection><Record Type="OData.Community.Keys.V1.AlternateKey"><PropertyValue Property="Key"><Collection>`)
		for _, k := range si.Keys {
			name := k
			if f := si.Field(k); f != nil && f.Target != "" {
				name = "_" + k + "_value"
			}
			w.line(6, `<Record Type="OData.Community.Keys.V1.PropertyRef"><PropertyValue Property="Alias" String="%s" /><PropertyValue Property="Name" PropertyPath="%s" /></Record>`, name, name)
		}
		w.line(5, `</Collection></PropertyValue></Record></Collection>`)
		w.line(4, `</Annotation>`)
		w.line(3, `</EntityType>`)
	}
	w.line(3, `<EntityContainer Name="System">`)
	w.line(4, `<EntitySet Name="%s" EntityType="mscrm.cdm_company" />`, fake.CompanySet)
	for _, si := range schema {
		w.line(4, `<EntitySet Name="%s" EntityType="mscrm.%s" />`, si.Name, si.Entity)
	}
	w.line(3, `</EntityContainer>`)
	w.line(2, `</Schema>`)
	w.line(1, `</edmx:DataServices>`)
	w.line(0, `</edmx:Edmx>`)
	return w.b.Bytes()
}

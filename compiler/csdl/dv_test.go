package csdl

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/dualsync/dualsync/compiler"
	"github.com/dualsync/dualsync/runtime/plan"
)

func TestParseDVTestdata(t *testing.T) {
	c := testdataDV(t)
	tables := []string{"account", "cdm_company", "contact", "invoice", "msdyn_paymentterm", "msdyn_virtualitem", "opportunity", "product"}
	for _, name := range tables {
		if c.Tables[name] == nil {
			t.Errorf("table %s missing", name)
		}
	}
	if len(c.Tables) != len(tables) {
		t.Errorf("got %d tables, want %d: %v", len(c.Tables), len(tables), keys(c.Tables))
	}

	acc := c.Tables["account"]
	if acc.EntitySet != "accounts" || acc.PrimaryID != "accountid" || acc.CompanyField != "msdyn_company" || acc.ModifiedField != "modifiedon" || acc.Kind != "standard" {
		t.Errorf("account = %+v", acc)
	}
	if want := [][]string{{"msdyn_company", "accountnumber"}}; !reflect.DeepEqual(acc.AlternateKeys, want) {
		t.Errorf("account alternate keys = %v, want %v", acc.AlternateKeys, want)
	}
	for name, want := range map[string]compiler.FieldMeta{
		"accountid":                  {Type: plan.Guid},
		"name":                       {Type: plan.String, MaxLength: 160, Required: true},
		"creditlimit":                {Type: plan.Decimal, Scale: 4},
		"primarycontactid":           {Type: plan.Lookup, Targets: []string{"contact"}},
		"msdyn_company":              {Type: plan.Lookup, Targets: []string{"cdm_company"}},
		"preferredcontactmethodcode": {Type: plan.Choice, Choices: map[string]int64{"Any": 1, "Email": 2, "Phone": 3, "Fax": 4, "Mail": 5}},
		"statecode":                  {Type: plan.Choice, ReadOnly: true, Choices: map[string]int64{"Active": 0, "Inactive": 1}},
		"modifiedon":                 {Type: plan.DateTime, ReadOnly: true},
		"createdon":                  {Type: plan.DateTime, ReadOnly: true},
	} {
		if got := acc.Fields[name]; got == nil || !reflect.DeepEqual(*got, want) {
			t.Errorf("account.%s = %+v, want %+v", name, got, want)
		}
	}
	for name := range acc.Fields {
		if strings.HasPrefix(name, "_") {
			t.Errorf("account has lookup value property %s as a field", name)
		}
	}
	if acc.Fields["entityimage"] != nil {
		t.Error("account.entityimage (Edm.Binary) is a field")
	}
	if acc.Fields["primarycontactidname"] != nil {
		t.Error("a virtual name attribute without CSDL property became a field")
	}
	if got := c.Tables["contact"].Fields["parentcustomerid"]; got == nil || !reflect.DeepEqual(got.Targets, []string{"account", "contact"}) || got.Type != plan.Lookup {
		t.Errorf("contact.parentcustomerid = %+v, want a lookup to account and contact", got)
	}
	if got := c.Tables["invoice"].Fields["msdyn_invoicedate"]; got == nil || got.Type != plan.Date {
		t.Errorf("invoice.msdyn_invoicedate = %+v, want date", got)
	}
	if got := c.Tables["product"]; got.CompanyField != "" || !reflect.DeepEqual(got.AlternateKeys, [][]string{{"productnumber"}}) {
		t.Errorf("product: company %q keys %v, want global keyed by productnumber", got.CompanyField, got.AlternateKeys)
	}
	if got := c.Tables["cdm_company"]; got.CompanyField != "" || got.Fields["cdm_companycode"].MaxLength != 6 {
		t.Errorf("cdm_company = %+v", got)
	}
	if got := c.Tables["msdyn_virtualitem"]; got.Kind != "virtual" || got.ModifiedField != "" {
		t.Errorf("msdyn_virtualitem kind %q modified %q, want virtual without a modified field", got.Kind, got.ModifiedField)
	}

	// Only the columns the starter maps must supply are required.
	var required []string
	for _, tb := range c.Tables {
		for name, f := range tb.Fields {
			if f.Required {
				required = append(required, tb.LogicalName+"."+name)
			}
		}
	}
	want := []string{"account.name", "contact.lastname", "invoice.name", "msdyn_paymentterm.msdyn_description", "opportunity.name", "product.name"}
	if !sameSet(required, want) {
		t.Errorf("required columns = %v, want %v", required, want)
	}
}

func TestParseDVWithoutAttributes(t *testing.T) {
	c, err := ParseDV(bytes.NewReader(readTestdata(t, "dv.xml")), nil)
	if err != nil {
		t.Fatal(err)
	}
	acc := c.Tables["account"]
	if got := acc.Fields["preferredcontactmethodcode"]; got.Type != plan.Int || got.Choices != nil {
		t.Errorf("without attributes a choice column is %+v, want a plain int", got)
	}
	if acc.Fields["name"].Required || acc.Fields["modifiedon"].ReadOnly {
		t.Error("without attributes, required or read-only flags appeared")
	}
	if acc.Kind != "standard" || c.Tables["msdyn_virtualitem"].Kind != "standard" {
		t.Error("without attributes every table is standard")
	}
	if acc.CompanyField != "msdyn_company" || len(acc.AlternateKeys) != 1 {
		t.Errorf("company field and keys come from CSDL alone: %+v", acc)
	}
}

// dvTableDoc wraps one entity type named t with set ts in a Dataverse document.
func dvTableDoc(body, extra string) string {
	return dvDoc(`<EntityType Name="cdm_company"><Key><PropertyRef Name="cdm_companyid"/></Key><Property Name="cdm_companyid" Type="Edm.Guid"/></EntityType>
<EntityType Name="t"><Key><PropertyRef Name="tid"/></Key><Property Name="tid" Type="Edm.Guid"/>
` + body + `</EntityType>
` + extra + `<EntityContainer Name="System"><EntitySet Name="ts" EntityType="Microsoft.Dynamics.CRM.t"/><EntitySet Name="cdm_companies" EntityType="mscrm.cdm_company"/></EntityContainer>`)
}

func nav(name, target, prop string) string {
	return `<NavigationProperty Name="` + name + `" Type="mscrm.` + target + `"><ReferentialConstraint Property="` + prop + `" ReferencedProperty="x"/></NavigationProperty>
`
}

func altKey(paths ...string) string {
	s := `<Annotation Term="OData.Community.Keys.V1.AlternateKeys"><Collection><Record Type="OData.Community.Keys.V1.AlternateKey"><PropertyValue Property="Key"><Collection>`
	for _, p := range paths {
		s += `<Record Type="OData.Community.Keys.V1.PropertyRef"><PropertyValue Property="Alias" String="a"/><PropertyValue Property="Name" PropertyPath="` + p + `"/></Record>`
	}
	return s + `</Collection></PropertyValue></Record></Collection></Annotation>
`
}

func TestParseDV(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		attrs string
		check func(t *testing.T, tb *compiler.DVTable)
	}{
		{
			name: "lookups, polymorphic lookups, orphan value properties, skipped types",
			doc: dvTableDoc(`<Property Name="_a_value" Type="Edm.Guid"/><Property Name="_p_value" Type="Edm.Guid"/><Property Name="_orphan_value" Type="Edm.Guid"/>
<Property Name="ownership" Type="mscrm.OwnershipTypes"/><Property Name="label" Type="mscrm.Label"/><Property Name="img" Type="Edm.Binary"/>
`+nav("a", "cdm_company", "_a_value")+nav("p_t", "t", "_p_value")+nav("p_cdm_company", "cdm_company", "_p_value")+
				`<NavigationProperty Name="children" Type="Collection(mscrm.t)"/><NavigationProperty Name="free" Type="mscrm.t"/>
`, `<EnumType Name="OwnershipTypes" IsFlags="true"><Member Name="None" Value="0"/><Member Name="UserOwned" Value="1"/></EnumType>
<ComplexType Name="Label"><Property Name="LocalizedLabels" Type="Collection(mscrm.LocalizedLabel)"/></ComplexType>
`),
			check: func(t *testing.T, tb *compiler.DVTable) {
				want := map[string]compiler.FieldMeta{
					"tid":           {Type: plan.Guid},
					"a":             {Type: plan.Lookup, Targets: []string{"cdm_company"}},
					"p":             {Type: plan.Lookup, Targets: []string{"cdm_company", "t"}},
					"_orphan_value": {Type: plan.Guid},
				}
				if len(tb.Fields) != len(want) {
					t.Errorf("fields = %v", keys(tb.Fields))
				}
				for name, w := range want {
					if got := tb.Fields[name]; got == nil || !reflect.DeepEqual(*got, w) {
						t.Errorf("%s = %+v, want %+v", name, got, w)
					}
				}
				if tb.CompanyField != "a" {
					t.Errorf("company field = %q, want a", tb.CompanyField)
				}
			},
		},
		{
			name: "alternate keys with lookup parts, company lookup in a key wins",
			doc: dvTableDoc(`<Property Name="_a_value" Type="Edm.Guid"/><Property Name="_b_value" Type="Edm.Guid"/><Property Name="num" Type="Edm.String"/>
`+nav("a", "cdm_company", "_a_value")+nav("b", "cdm_company", "_b_value")+altKey("_b_value", "num")+altKey("num"), ""),
			check: func(t *testing.T, tb *compiler.DVTable) {
				if want := [][]string{{"b", "num"}, {"num"}}; !reflect.DeepEqual(tb.AlternateKeys, want) {
					t.Errorf("keys = %v, want %v", tb.AlternateKeys, want)
				}
				if tb.CompanyField != "b" {
					t.Errorf("company field = %q, want b (in a key)", tb.CompanyField)
				}
			},
		},
		{
			name: "attributes: required levels, read-only, choices, lengths, scale, kind",
			doc: dvTableDoc(`<Property Name="s" Type="Edm.String"/><Property Name="m" Type="Edm.Decimal" Scale="Variable"/>
<Property Name="c" Type="Edm.Int32"/><Property Name="st" Type="Edm.Int32"/><Property Name="ro" Type="Edm.DateTimeOffset"/>
<Property Name="rec" Type="Edm.String"><Annotation Term="Org.OData.Core.V1.Computed" Bool="true"/></Property>
`, ""),
			attrs: `{"value":[
 {"LogicalName":"t","EntitySetName":"ts","TableType":"Elastic","Attributes":[
  {"LogicalName":"tid","AttributeType":"Uniqueidentifier","RequiredLevel":{"Value":"SystemRequired"},"IsValidForCreate":true,"IsValidForUpdate":false},
  {"LogicalName":"s","AttributeType":"String","RequiredLevel":{"Value":"ApplicationRequired"},"MaxLength":42},
  {"LogicalName":"m","AttributeType":"Money","RequiredLevel":{"Value":"Recommended"},"Precision":2},
  {"LogicalName":"c","AttributeType":"Picklist","RequiredLevel":{"Value":"None"},"OptionSet":{"Options":[
    {"Value":1,"Label":{"UserLocalizedLabel":{"Label":"One"}}},
    {"Value":2,"Label":{"UserLocalizedLabel":null,"LocalizedLabels":[{"Label":"Two"}]}},
    {"Value":3,"Label":{"UserLocalizedLabel":{"Label":"One"}}},
    {"Value":4,"Label":{}}]}},
  {"LogicalName":"st","AttributeType":"State","RequiredLevel":{"Value":"SystemRequired"},"IsValidForCreate":false,"IsValidForUpdate":true,"OptionSet":{"Options":[{"Value":0,"Label":{"UserLocalizedLabel":{"Label":"Active"}}}]}},
  {"LogicalName":"ro","AttributeType":"DateTime","RequiredLevel":{"Value":"SystemRequired"},"IsValidForCreate":false,"IsValidForUpdate":false},
  {"LogicalName":"rec","AttributeType":"String","IsValidForCreate":true,"IsValidForUpdate":true},
  {"LogicalName":"notincsdl","AttributeType":"String"}]},
 {"LogicalName":"elsewhere","Attributes":[{"LogicalName":"x","AttributeType":"Nonsense"}]}]}`,
			check: func(t *testing.T, tb *compiler.DVTable) {
				want := map[string]compiler.FieldMeta{
					"tid": {Type: plan.Guid},
					"s":   {Type: plan.String, MaxLength: 42, Required: true},
					"m":   {Type: plan.Decimal, Scale: 2},
					"c":   {Type: plan.Choice, Choices: map[string]int64{"One": 1, "Two": 2, "One (3)": 3, "4": 4}},
					"st":  {Type: plan.Choice, ReadOnly: true, Choices: map[string]int64{"Active": 0}},
					"ro":  {Type: plan.DateTime, ReadOnly: true},
					"rec": {Type: plan.String, ReadOnly: true},
				}
				for name, w := range want {
					if got := tb.Fields[name]; got == nil || !reflect.DeepEqual(*got, w) {
						t.Errorf("%s = %+v, want %+v", name, got, w)
					}
				}
				if tb.Kind != "elastic" {
					t.Errorf("kind = %q, want elastic", tb.Kind)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var attrs io.Reader // nil: no attributes
			if tt.attrs != "" {
				attrs = strings.NewReader(tt.attrs)
			}
			c, err := ParseDV(strings.NewReader(tt.doc), attrs)
			if err != nil {
				t.Fatal(err)
			}
			tb := c.Tables["t"]
			if tb == nil {
				t.Fatalf("table t missing; have %v", keys(c.Tables))
			}
			tt.check(t, tb)
		})
	}
}

func TestParseDVErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"lookup to a missing table", dvTableDoc(`<Property Name="_x_value" Type="Edm.Guid"/>
`+nav("x", "nowhere", "_x_value"), ""), []string{"line 8: entity set ts: navigation property x: entity type mscrm.nowhere not found"}},
		{"composite key", dvDoc(`<EntityType Name="t"><Key><PropertyRef Name="a"/><PropertyRef Name="b"/></Key><Property Name="a" Type="Edm.Guid"/><Property Name="b" Type="Edm.Guid"/></EntityType>
<EntityContainer Name="S"><EntitySet Name="ts" EntityType="mscrm.t"/></EntityContainer>`), []string{"line 5: entity set ts: the Key of t has 2 properties; a Dataverse table has one primary id"}},
		{"primary id not a property", dvDoc(`<EntityType Name="t"><Key><PropertyRef Name="tid"/></Key></EntityType>
<EntityContainer Name="S"><EntitySet Name="ts" EntityType="mscrm.t"/></EntityContainer>`), []string{"primary id tid is not a property of t"}},
		{"alternate key part unknown", dvTableDoc(altKey("nope"), ""), []string{"alternate key part nope is not a column of t"}},
		{"alternate key without parts", dvTableDoc(altKey(), ""), []string{"alternate keys: key 1 has no parts"}},
		{"alternate keys without collection", dvTableDoc(`<Annotation Term="OData.Community.Keys.V1.AlternateKeys"/>`, ""), []string{"alternate keys: annotation has no Collection"}},
		{"lookup clashes with a property", dvTableDoc(`<Property Name="x" Type="Edm.String"/><Property Name="_x_value" Type="Edm.Guid"/>
`+nav("x", "t", "_x_value"), ""), []string{"lookup x has the name of a property"}},
		{"unknown type", dvTableDoc(`<Property Name="odd" Type="Edm.Whatever"/>`, ""), []string{"property odd: unknown Edm type Edm.Whatever"}},
		{"two sets for one table", dvDoc(`<EntityType Name="t"><Key><PropertyRef Name="tid"/></Key><Property Name="tid" Type="Edm.Guid"/></EntityType>
<EntityContainer Name="S"><EntitySet Name="ts" EntityType="mscrm.t"/><EntitySet Name="more" EntityType="mscrm.t"/></EntityContainer>`), []string{"entity set more: table t already has entity set ts"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseDV(strings.NewReader(tt.doc), nil)
			if err == nil {
				t.Fatalf("no error; catalog %+v", c)
			}
			var ae *AttributesError
			if errors.As(err, &ae) {
				t.Errorf("CSDL problem reported as an attributes problem: %v", err)
			}
			wantInOrder(t, err.Error(), tt.want)
		})
	}
}

func TestParseDVAttributeErrors(t *testing.T) {
	doc := dvTableDoc(`<Property Name="s" Type="Edm.String"/><Property Name="n" Type="Edm.Int32"/>`, "")
	tests := []struct {
		name  string
		attrs string
		want  string
	}{
		{"empty", "", "attributes: empty input"},
		{"not JSON", "<xml/>", "attributes: line 1: not valid JSON"},
		{"syntax error with line", "{\"value\": [\n{\"LogicalName\": \"t\",,}]}", "attributes: line 2: not valid JSON: invalid character ','"},
		{"truncated", "{\"value\": [\n", "attributes: line 2: not valid JSON: unexpected end of input"},
		{"wrong type", "{\"value\": [{\"LogicalName\": 7}]}", "attributes: line 1: value.LogicalName: JSON number where string is expected"},
		{"no value", `{"odata": 1}`, `attributes: no "value" array: not an EntityDefinitions answer`},
		{"trailing content", `{"value": []} {}`, "attributes: line 1: content after the JSON value"},
		{"no logical name", `{"value": [{}]}`, "attributes: value[0]: no LogicalName"},
		{"table twice", `{"value": [{"LogicalName":"x"},{"LogicalName":"x"}]}`, "attributes: table x: listed twice"},
		{"entity set differs", `{"value": [{"LogicalName":"t","EntitySetName":"tees"}]}`, "attributes: table t: EntitySetName tees differs from the $metadata entity set ts"},
		{"unknown table type", `{"value": [{"LogicalName":"t","TableType":"Activity"}]}`, `attributes: table t: unknown TableType "Activity"`},
		{"unknown required level", `{"value": [{"LogicalName":"t","Attributes":[{"LogicalName":"s","RequiredLevel":{"Value":"Mandatory"}}]}]}`, `attributes: table t: column s: unknown RequiredLevel "Mandatory"`},
		{"picklist on a string", `{"value": [{"LogicalName":"t","Attributes":[{"LogicalName":"s","AttributeType":"Picklist"}]}]}`, "attributes: table t: column s: a Picklist column, but $metadata types it as string"},
		{"option without value", `{"value": [{"LogicalName":"t","Attributes":[{"LogicalName":"n","AttributeType":"Picklist","OptionSet":{"Options":[{"Label":{}}]}}]}]}`, "column n: option 1 has no Value"},
		{"option listed twice", `{"value": [{"LogicalName":"t","Attributes":[{"LogicalName":"n","AttributeType":"Picklist","OptionSet":{"Options":[{"Value":1,"Label":{}},{"Value":1,"Label":{}}]}}]}]}`, "column n: option value 1 listed twice"},
		{"negative length", `{"value": [{"LogicalName":"t","Attributes":[{"LogicalName":"s","MaxLength":-5}]}]}`, "column s: MaxLength -5 out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDV(strings.NewReader(doc), strings.NewReader(tt.attrs))
			var ae *AttributesError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v is not an *AttributesError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		seen[s]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

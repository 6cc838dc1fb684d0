package csdl

import (
	"reflect"
	"strings"
	"testing"

	"github.com/dualsync/dualsync/compiler"
	"github.com/dualsync/dualsync/runtime/plan"
)

func TestParseFOTestdata(t *testing.T) {
	c := testdataFO(t)
	sets := []string{"ContactPersonsV2", "CustomersV3", "DimensionAttributes", "Employees", "PaymentTerms", "ProductsV2", "SalesInvoiceHeadersV2", "SalesQuotationHeadersV2", "VendorsV2"}
	for _, s := range sets {
		if c.Entities[s] == nil {
			t.Errorf("entity set %s missing", s)
		}
	}
	if len(c.Entities) != len(sets) {
		t.Errorf("got %d entities, want %d", len(c.Entities), len(sets))
	}

	cust := c.Entities["CustomersV3"]
	if cust.EntityType != "CustomerV3" || !cust.CompanySpecific || cust.ModifiedField != "ModifiedDateTime" {
		t.Errorf("CustomersV3 = type %q, company %v, modified %q", cust.EntityType, cust.CompanySpecific, cust.ModifiedField)
	}
	if want := []string{"dataAreaId", "CustomerAccount"}; !reflect.DeepEqual(cust.Key, want) {
		t.Errorf("CustomersV3 key = %v, want %v", cust.Key, want)
	}
	for name, want := range map[string]compiler.FieldMeta{
		"CustomerAccount":  {Type: plan.String, MaxLength: 20, Required: true},
		"OrganizationName": {Type: plan.String, MaxLength: 160, Required: true},
		"CreditLimit":      {Type: plan.Decimal, Precision: 32, Scale: 6},
		"OnHold":           {Type: plan.Enum, Enum: "Microsoft.Dynamics.DataEntities.CustVendorBlocked"},
		"ModifiedDateTime": {Type: plan.DateTime, ReadOnly: true},
		"dataAreaId":       {Type: plan.String, MaxLength: 4, Required: true},
	} {
		if got := cust.Fields[name]; got == nil || !reflect.DeepEqual(*got, want) {
			t.Errorf("CustomersV3.%s = %+v, want %+v", name, got, want)
		}
	}
	var required []string
	for name, f := range cust.Fields {
		if f.Required {
			required = append(required, name)
		}
	}
	if len(required) != 4 {
		t.Errorf("CustomersV3 required fields = %v, want dataAreaId, CustomerAccount, OrganizationName, CustomerGroupId", required)
	}

	prod := c.Entities["ProductsV2"]
	if prod.CompanySpecific || !reflect.DeepEqual(prod.Key, []string{"ProductNumber"}) {
		t.Errorf("ProductsV2: company %v key %v, want global keyed by ProductNumber", prod.CompanySpecific, prod.Key)
	}
	if got := c.Entities["SalesInvoiceHeadersV2"].Fields["InvoiceDate"].Type; got != plan.Date {
		t.Errorf("InvoiceDate type = %s, want date", got)
	}

	if got := c.Enums["Microsoft.Dynamics.DataEntities.NetDay"]; got == nil || got.Members["COD"] != 5 || len(got.Members) != 6 {
		t.Errorf("NetDay = %+v", got)
	}
	if c.Enums["Microsoft.Dynamics.DataEntities.LedgerPostingType"] != nil {
		t.Error("LedgerPostingType is used by no field but is in the catalog")
	}
	for _, e := range c.Entities {
		for name, f := range e.Fields {
			if f.Type == plan.Enum && c.Enums[f.Enum] == nil {
				t.Errorf("%s.%s names enum %s, not in the catalog", e.EntitySet, name, f.Enum)
			}
		}
	}
}

func TestParseFO(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		set  string
		// check inspects the parsed entity.
		check func(t *testing.T, e *compiler.FOEntity, c *compiler.FOCatalog)
	}{
		{
			name: "enum members without values count from zero",
			doc: foDoc(`<EnumType Name="Level"><Member Name="Low"/><Member Name="Mid"/><Member Name="High" Value="10"/><Member Name="Top"/></EnumType>
<EntityType Name="T"><Key><PropertyRef Name="Id"/></Key><Property Name="Id" Type="Edm.Int64" Nullable="false"/><Property Name="L" Type="Microsoft.Dynamics.DataEntities.Level"/></EntityType>
<EntityContainer Name="C"><EntitySet Name="Ts" EntityType="Microsoft.Dynamics.DataEntities.T"/></EntityContainer>`),
			set: "Ts",
			check: func(t *testing.T, e *compiler.FOEntity, c *compiler.FOCatalog) {
				want := map[string]int64{"Low": 0, "Mid": 1, "High": 10, "Top": 11}
				if got := c.Enums["Microsoft.Dynamics.DataEntities.Level"]; got == nil || !reflect.DeepEqual(got.Members, want) {
					t.Errorf("members = %+v, want %v", got, want)
				}
				if e.CompanySpecific {
					t.Error("entity without dataAreaId is company-specific")
				}
				if e.ModifiedField != "" {
					t.Errorf("ModifiedField = %q, want none", e.ModifiedField)
				}
			},
		},
		{
			name: "read-only from AllowEdit and Computed, required from Nullable",
			doc: foDoc(`<EntityType Name="T"><Key><PropertyRef Name="Id"/></Key>
<Property Name="Id" Type="Edm.String" Nullable="false"/>
<Property Name="A" Type="Edm.String" Nullable="false"><Annotation Term="Microsoft.Dynamics.OData.Core.V1.AllowEdit" Bool="false"/></Property>
<Property Name="B" Type="Edm.String"><Annotation Term="Org.OData.Core.V1.Computed" Bool="true"/></Property>
<Property Name="C" Type="Edm.String"><Annotation Term="Org.OData.Core.V1.Computed"><Bool>true</Bool></Annotation></Property>
<Property Name="D" Type="Edm.String"><Annotation Term="Microsoft.Dynamics.OData.Core.V1.AllowEdit" Bool="true"/></Property>
<Property Name="E" Type="Edm.String" Nullable="true"/>
<Property Name="ModifiedDateTime" Type="Edm.String"/>
</EntityType>
<EntityContainer Name="C"><EntitySet Name="Ts" EntityType="Microsoft.Dynamics.DataEntities.T"/></EntityContainer>`),
			set: "Ts",
			check: func(t *testing.T, e *compiler.FOEntity, _ *compiler.FOCatalog) {
				for name, want := range map[string][2]bool{"Id": {true, false}, "A": {false, true}, "B": {false, true}, "C": {false, true}, "D": {false, false}, "E": {false, false}} {
					f := e.Fields[name]
					if f.Required != want[0] || f.ReadOnly != want[1] {
						t.Errorf("%s: required %v read-only %v, want %v %v", name, f.Required, f.ReadOnly, want[0], want[1])
					}
				}
				if e.ModifiedField != "" {
					t.Errorf("a string ModifiedDateTime became the modified field")
				}
			},
		},
		{
			name: "types, facets and skipped properties",
			doc: edmx(`<Schema Namespace="Microsoft.Dynamics.DataEntities" Alias="fo" xmlns="http://docs.oasis-open.org/odata/ns/edm">
<TypeDefinition Name="AccountNum" UnderlyingType="Edm.String"/>
<ComplexType Name="Address"><Property Name="City" Type="Edm.String"/></ComplexType>
<EnumType Name="NoYes"><Member Name="No" Value="0"/><Member Name="Yes" Value="1"/></EnumType>
<EntityType Name="T"><Key><PropertyRef Name="dataAreaId"/><PropertyRef Name="Id"/></Key>
<Property Name="dataAreaId" Type="Edm.String" MaxLength="4" Nullable="false"/>
<Property Name="Id" Type="fo.AccountNum" MaxLength="20"/>
<Property Name="Memo" Type="Edm.String" MaxLength="max"/>
<Property Name="Amount" Type="Edm.Decimal" Precision="32" Scale="Variable"/>
<Property Name="Rate" Type="Edm.Double"/>
<Property Name="Count" Type="Edm.Int16"/>
<Property Name="Big" Type="Edm.Int64"/>
<Property Name="Flag" Type="Edm.Boolean"/>
<Property Name="Guid" Type="Edm.Guid"/>
<Property Name="Day" Type="Edm.Date"/>
<Property Name="Modified" Type="Edm.DateTimeOffset" Precision="7"/>
<Property Name="ModifiedDateTime" Type="Edm.DateTimeOffset"/>
<Property Name="Yes" Type="fo.NoYes"/>
<Property Name="Image" Type="Edm.Binary"/>
<Property Name="Clock" Type="Edm.TimeOfDay"/>
<Property Name="Where" Type="Edm.GeographyPoint"/>
<Property Name="Addr" Type="fo.Address"/>
<Property Name="Tags" Type="Collection(Edm.String)"/>
<NavigationProperty Name="Other" Type="fo.T"/>
</EntityType>
<EntityContainer Name="C"><EntitySet Name="Ts" EntityType="fo.T"/></EntityContainer>
</Schema>`),
			set: "Ts",
			check: func(t *testing.T, e *compiler.FOEntity, c *compiler.FOCatalog) {
				want := map[string]compiler.FieldMeta{
					"dataAreaId":       {Type: plan.String, MaxLength: 4, Required: true},
					"Id":               {Type: plan.String, MaxLength: 20, Required: true},
					"Memo":             {Type: plan.String},
					"Amount":           {Type: plan.Decimal, Precision: 32},
					"Rate":             {Type: plan.Decimal},
					"Count":            {Type: plan.Int},
					"Big":              {Type: plan.Int},
					"Flag":             {Type: plan.Bool},
					"Guid":             {Type: plan.Guid},
					"Day":              {Type: plan.Date},
					"Modified":         {Type: plan.DateTime},
					"ModifiedDateTime": {Type: plan.DateTime},
					"Yes":              {Type: plan.Enum, Enum: "Microsoft.Dynamics.DataEntities.NoYes"},
				}
				if len(e.Fields) != len(want) {
					t.Errorf("got %d fields, want %d: %v", len(e.Fields), len(want), keys(e.Fields))
				}
				for name, w := range want {
					if got := e.Fields[name]; got == nil || !reflect.DeepEqual(*got, w) {
						t.Errorf("%s = %+v, want %+v", name, got, w)
					}
				}
				if !e.CompanySpecific || e.ModifiedField != "ModifiedDateTime" {
					t.Errorf("company %v modified %q", e.CompanySpecific, e.ModifiedField)
				}
				if c.Enums["Microsoft.Dynamics.DataEntities.NoYes"] == nil {
					t.Error("enum given by alias not recorded under its namespace")
				}
			},
		},
		{
			name: "base type supplies key and properties",
			doc: foDoc(`<EntityType Name="Base" Abstract="true"><Key><PropertyRef Name="dataAreaId"/><PropertyRef Name="Id"/></Key>
<Property Name="dataAreaId" Type="Edm.String" Nullable="false"/><Property Name="Id" Type="Edm.String" Nullable="false"/></EntityType>
<EntityType Name="T" BaseType="Microsoft.Dynamics.DataEntities.Base"><Property Name="Name" Type="Edm.String"/></EntityType>
<EntityContainer Name="C"><EntitySet Name="Ts" EntityType="Microsoft.Dynamics.DataEntities.T"/></EntityContainer>`),
			set: "Ts",
			check: func(t *testing.T, e *compiler.FOEntity, _ *compiler.FOCatalog) {
				if !reflect.DeepEqual(e.Key, []string{"dataAreaId", "Id"}) || len(e.Fields) != 3 || !e.CompanySpecific {
					t.Errorf("key %v fields %v company %v", e.Key, keys(e.Fields), e.CompanySpecific)
				}
				if e.EntityType != "T" {
					t.Errorf("EntityType = %q, want T", e.EntityType)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseFO(strings.NewReader(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			e := c.Entities[tt.set]
			if e == nil {
				t.Fatalf("entity set %s missing; have %v", tt.set, keys(c.Entities))
			}
			tt.check(t, e, c)
		})
	}
}

func TestParseFOErrors(t *testing.T) {
	set := `<EntityContainer Name="C"><EntitySet Name="Ts" EntityType="Microsoft.Dynamics.DataEntities.T"/></EntityContainer>`
	tests := []struct {
		name string
		doc  string
		want []string // substrings of the error, in order
	}{
		{"unknown Edm type", foDoc(`<EntityType Name="T"><Key><PropertyRef Name="Id"/></Key>
<Property Name="Id" Type="Edm.String"/>
<Property Name="Bad" Type="Edm.Strin"/></EntityType>` + set), []string{"line 7: entity set Ts: property Bad: unknown Edm type Edm.Strin"}},
		{"undeclared type", foDoc(`<EntityType Name="T"><Key><PropertyRef Name="Id"/></Key><Property Name="Id" Type="Edm.String"/>
<Property Name="E" Type="Microsoft.Dynamics.DataEntities.Missing"/></EntityType>` + set), []string{"line 6:", "property E: type Microsoft.Dynamics.DataEntities.Missing is neither an Edm primitive type nor declared"}},
		{"property without type", foDoc(`<EntityType Name="T"><Key><PropertyRef Name="Id"/></Key><Property Name="Id"/></EntityType>` + set), []string{"property Id: no Type attribute"}},
		{"missing entity type", foDoc(`<EntityContainer Name="C">
<EntitySet Name="Gone" EntityType="Microsoft.Dynamics.DataEntities.Nowhere"/></EntityContainer>`), []string{"line 6: entity set Gone: entity type Microsoft.Dynamics.DataEntities.Nowhere not found"}},
		{"entity set without type", foDoc(`<EntityContainer Name="C"><EntitySet Name="Gone"/></EntityContainer>`), []string{"entity set Gone: no EntityType attribute"}},
		{"no key", foDoc(`<EntityType Name="T"><Property Name="Id" Type="Edm.String"/></EntityType>` + set), []string{"entity set Ts: entity type T has no Key"}},
		{"key not a property", foDoc(`<EntityType Name="T"><Key><PropertyRef Name="Nope"/></Key><Property Name="Id" Type="Edm.String"/></EntityType>` + set), []string{"key field Nope is not a property of T"}},
		{"key of an unsyncable type", foDoc(`<EntityType Name="T"><Key><PropertyRef Name="Id"/></Key><Property Name="Id" Type="Edm.Binary"/></EntityType>` + set), []string{"key field Id has a type that cannot be synced"}},
		{"duplicate property", foDoc(`<EntityType Name="T"><Key><PropertyRef Name="Id"/></Key><Property Name="Id" Type="Edm.String"/><Property Name="Id" Type="Edm.Int32"/></EntityType>` + set), []string{"property Id declared twice"}},
		{"duplicate entity set", foDoc(`<EntityType Name="T"><Key><PropertyRef Name="Id"/></Key><Property Name="Id" Type="Edm.String"/></EntityType>
<EntityContainer Name="C"><EntitySet Name="Ts" EntityType="Microsoft.Dynamics.DataEntities.T"/><EntitySet Name="Ts" EntityType="Microsoft.Dynamics.DataEntities.T"/></EntityContainer>`), []string{"entity set Ts declared twice"}},
		{"duplicate entity type", foDoc(`<EntityType Name="T"><Key><PropertyRef Name="Id"/></Key><Property Name="Id" Type="Edm.String"/></EntityType>
<EntityType Name="T"/>` + set), []string{"EntityType Microsoft.Dynamics.DataEntities.T declared twice"}},
		{"base type loop", foDoc(`<EntityType Name="T" BaseType="Microsoft.Dynamics.DataEntities.U"/><EntityType Name="U" BaseType="Microsoft.Dynamics.DataEntities.T"/>` + set), []string{"base type chain loops"}},
		{"missing base type", foDoc(`<EntityType Name="T" BaseType="Microsoft.Dynamics.DataEntities.U"/>` + set), []string{"base type Microsoft.Dynamics.DataEntities.U not found"}},
		{"bad enum value", foDoc(`<EnumType Name="E"><Member Name="A" Value="x"/></EnumType>
<EntityType Name="T"><Key><PropertyRef Name="Id"/></Key><Property Name="Id" Type="Edm.String"/><Property Name="P" Type="Microsoft.Dynamics.DataEntities.E"/></EntityType>` + set), []string{"line 5: enum Microsoft.Dynamics.DataEntities.E: member A: Value=\"x\" is not an integer"}},
		{"duplicate enum member", foDoc(`<EnumType Name="E"><Member Name="A"/><Member Name="A"/></EnumType>
<EntityType Name="T"><Key><PropertyRef Name="Id"/></Key><Property Name="Id" Type="Edm.String"/><Property Name="P" Type="Microsoft.Dynamics.DataEntities.E"/></EntityType>` + set), []string{"member A declared twice"}},
		{"bad MaxLength", foDoc(`<EntityType Name="T"><Key><PropertyRef Name="Id"/></Key><Property Name="Id" Type="Edm.String" MaxLength="-1"/></EntityType>` + set), []string{`property Id: MaxLength="-1" is not a non-negative integer`}},
		{"bad Precision", foDoc(`<EntityType Name="T"><Key><PropertyRef Name="Id"/></Key><Property Name="Id" Type="Edm.String"/><Property Name="D" Type="Edm.Decimal" Precision="max"/></EntityType>` + set), []string{`property D: Precision="max" is not a non-negative integer`}},
		{"no entity sets", foDoc(`<EntityType Name="T"/>`), []string{"no EntitySet in any EntityContainer"}},
		{"schema without namespace", edmx(`<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm"/>`), []string{"line 4: Schema without a Namespace"}},
		{"several problems at once", foDoc(`<EntityType Name="T"><Key><PropertyRef Name="Id"/></Key><Property Name="Id" Type="Edm.String"/>
<Property Name="A" Type="Edm.Nope"/>
<Property Name="B" Type="Edm.Nada"/></EntityType>` + set), []string{"property A: unknown Edm type Edm.Nope\n", "property B: unknown Edm type Edm.Nada"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseFO(strings.NewReader(tt.doc))
			if err == nil {
				t.Fatalf("no error; catalog %+v", c)
			}
			if c != nil {
				t.Errorf("catalog returned with an error")
			}
			wantInOrder(t, err.Error(), tt.want)
		})
	}
}

// wantInOrder checks that msg contains each of want, in order.
func wantInOrder(t *testing.T, msg string, want []string) {
	t.Helper()
	rest := msg
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Errorf("error %q\ndoes not contain (in order) %q", msg, w)
			return
		}
		rest = rest[i+len(w):]
	}
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

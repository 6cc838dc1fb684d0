package csdl

import (
	"bytes"
	"testing"
)

// Both fuzz targets hold one property: any input gives a catalog or an
// error, never a panic; and every catalog they return can be encoded.
//
// The testdata seeds are tens of kilobytes, and the fuzzer minimizes every
// new interesting input; give it a short minimization budget so the time
// goes to fuzzing:
//
//	go test -fuzz=FuzzParseFO -fuzztime=1m -fuzzminimizetime=1s ./compiler/csdl

func FuzzParseFO(f *testing.F) {
	f.Add(readTestdata(f, "fo.xml"))
	for _, in := range badInputs {
		f.Add([]byte(in.doc))
	}
	f.Add([]byte(foDoc(`<EnumType Name="E"><Member Name="A"/></EnumType>
<EntityType Name="B"><Key><PropertyRef Name="dataAreaId"/></Key><Property Name="dataAreaId" Type="Edm.String"/></EntityType>
<EntityType Name="T" BaseType="Microsoft.Dynamics.DataEntities.B"><Property Name="P" Type="Microsoft.Dynamics.DataEntities.E" Nullable="false"><Annotation Term="Org.OData.Core.V1.Computed"/></Property></EntityType>
<EntityContainer Name="C"><EntitySet Name="Ts" EntityType="Microsoft.Dynamics.DataEntities.T"/></EntityContainer>`)))
	f.Fuzz(func(t *testing.T, doc []byte) {
		c, err := ParseFO(bytes.NewReader(doc))
		if err != nil {
			if c != nil {
				t.Fatal("catalog and error both returned")
			}
			return
		}
		if _, err := EncodeFO(c); err != nil {
			t.Fatalf("EncodeFO of a parsed catalog: %v", err)
		}
	})
}

func FuzzParseDV(f *testing.F) {
	f.Add(readTestdata(f, "dv.xml"), readTestdata(f, "dv-attributes.json"))
	f.Add(readTestdata(f, "dv.xml"), []byte(`{"value":[{"LogicalName":"account","TableType":"Virtual","Attributes":[{"LogicalName":"name","AttributeType":"Picklist","OptionSet":{"Options":[{"Value":1}]}}]}]}`))
	for _, in := range badInputs {
		f.Add([]byte(in.doc), []byte(`{"value":[]}`))
	}
	f.Add([]byte(dvTableDoc(`<Property Name="_a_value" Type="Edm.Guid"/>`+nav("a", "cdm_company", "_a_value")+altKey("_a_value", "tid"), "")), []byte(`{"value":[{"LogicalName":"t"}]}`))
	f.Fuzz(func(t *testing.T, doc, attrs []byte) {
		c, err := ParseDV(bytes.NewReader(doc), bytes.NewReader(attrs))
		if err != nil {
			if c != nil {
				t.Fatal("catalog and error both returned")
			}
			return
		}
		if _, err := EncodeDV(c); err != nil {
			t.Fatalf("EncodeDV of a parsed catalog: %v", err)
		}
	})
}

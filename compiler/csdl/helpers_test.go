package csdl

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/dualsync/dualsync/compiler"
)

// testdataDir holds the shared metadata corpus.
var testdataDir = filepath.Join("..", "..", "testdata", "metadata")

func readTestdata(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(testdataDir, name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func testdataFO(tb testing.TB) *compiler.FOCatalog {
	tb.Helper()
	c, err := ParseFO(bytes.NewReader(readTestdata(tb, "fo.xml")))
	if err != nil {
		tb.Fatalf("ParseFO(fo.xml): %v", err)
	}
	return c
}

func testdataDV(tb testing.TB) *compiler.DVCatalog {
	tb.Helper()
	c, err := ParseDV(bytes.NewReader(readTestdata(tb, "dv.xml")), bytes.NewReader(readTestdata(tb, "dv-attributes.json")))
	if err != nil {
		tb.Fatalf("ParseDV(dv.xml, dv-attributes.json): %v", err)
	}
	return c
}

// edmx wraps schema elements in an OData 4 document.
func edmx(schemas string) string {
	return `<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
  <edmx:DataServices>
` + schemas + `
  </edmx:DataServices>
</edmx:Edmx>
`
}

// foDoc wraps F&O schema content.
func foDoc(content string) string {
	return edmx(`<Schema Namespace="Microsoft.Dynamics.DataEntities" xmlns="http://docs.oasis-open.org/odata/ns/edm">
` + content + `
</Schema>`)
}

// dvDoc wraps Dataverse schema content.
func dvDoc(content string) string {
	return edmx(`<Schema Namespace="Microsoft.Dynamics.CRM" Alias="mscrm" xmlns="http://docs.oasis-open.org/odata/ns/edm">
` + content + `
</Schema>`)
}

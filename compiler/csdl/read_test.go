package csdl

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// badInputs are documents that neither parser accepts, with the error each
// must give.
var badInputs = []struct {
	name string
	doc  string
	want string
}{
	{"empty", "", "empty input"},
	{"blank", " \n\t\n", "empty input"},
	{"not XML", "this is not XML", "not an XML document: no root element"},
	{"JSON", `{"value": []}`, "not an XML document: no root element"},
	{"truncated", "<?xml version=\"1.0\"?>\n<edmx:Edmx Version=\"4.0\" xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\">\n<edmx:DataServices>", "line 3: not well-formed XML: unexpected EOF"},
	{"mismatched tags", "<a>\n<b>\n</a>", "line 3: not well-formed XML"},
	{"HTML", "<html><body>Sign in</body></html>", "line 1: root element <html> is not edmx:Edmx"},
	{"OData 2 edmx", `<edmx:Edmx Version="1.0" xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx"><edmx:DataServices/></edmx:Edmx>`, "namespace http://schemas.microsoft.com/ado/2007/06/edmx is not OData 4 edmx:Edmx"},
	{"no DataServices", `<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx"/>`, "edmx:Edmx has 0 edmx:DataServices elements, want 1"},
	{"no Schema", edmx(""), "edmx:DataServices has no Schema"},
	{"two roots", edmx("<Schema Namespace=\"N\"/>") + "<edmx:Edmx xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\"/>", "line 7: content after the edmx:Edmx root element"},
}

func TestParseBadInput(t *testing.T) {
	for _, tt := range badInputs {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseFO(strings.NewReader(tt.doc)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseFO: error %v, want %q", err, tt.want)
			}
			if _, err := ParseDV(strings.NewReader(tt.doc), nil); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseDV: error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestParseNilReader(t *testing.T) {
	if _, err := ParseFO(nil); err == nil || err.Error() != "no input" {
		t.Errorf("ParseFO(nil) error = %v", err)
	}
	if _, err := ParseDV(nil, nil); err == nil || err.Error() != "no input" {
		t.Errorf("ParseDV(nil, nil) error = %v", err)
	}
}

func TestParseTooLarge(t *testing.T) {
	doc := foDoc(strings.Repeat("<!-- padding -->\n", 100) + `<EntityType Name="T"><Key><PropertyRef Name="Id"/></Key><Property Name="Id" Type="Edm.String"/></EntityType>
<EntityContainer Name="C"><EntitySet Name="Ts" EntityType="Microsoft.Dynamics.DataEntities.T"/></EntityContainer>`)
	if _, err := parseFO(strings.NewReader(doc), int64(len(doc))); err != nil {
		t.Fatalf("document at the limit: %v", err)
	}
	_, err := parseFO(strings.NewReader(doc), int64(len(doc)-1))
	if err == nil || !strings.Contains(err.Error(), "input larger than") {
		t.Errorf("document over the limit: error %v", err)
	}
	// The real limit, without holding the whole stream in memory twice.
	_, err = ParseFO(io.LimitReader(zeros{}, MaxInput+1))
	if err == nil || err.Error() != "input larger than 64 MiB, the limit" {
		t.Errorf("stream over MaxInput: error %v", err)
	}
	dv := dvDoc(`<EntityType Name="t"><Key><PropertyRef Name="tid"/></Key><Property Name="tid" Type="Edm.Guid"/></EntityType>
<EntityContainer Name="System"><EntitySet Name="ts" EntityType="mscrm.t"/></EntityContainer>`)
	limit := int64(len(dv))
	attrs := `{"value":[]}` + strings.Repeat(" ", len(dv)-len(`{"value":[]}`))
	if _, err = parseDV(strings.NewReader(dv), strings.NewReader(attrs), limit); err != nil {
		t.Fatalf("documents at the limit: %v", err)
	}
	_, err = parseDV(strings.NewReader(dv), strings.NewReader(attrs+" "), limit)
	var ae *AttributesError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "attributes: input larger than") {
		t.Errorf("attributes over the limit: error %v", err)
	}
}

// zeros is an endless stream of spaces.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestParseReadError(t *testing.T) {
	_, err := ParseFO(failingReader{})
	if err == nil || err.Error() != "reading: disk on fire" {
		t.Errorf("error = %v", err)
	}
}

func TestErrorLine(t *testing.T) {
	doc := foDoc(`<EntityType Name="T"><Key><PropertyRef Name="Id"/></Key><Property Name="Id" Type="Edm.String"/>
<Property
   Name="Bad"
   Type="Edm.Nope"/></EntityType>
<EntityContainer Name="C"><EntitySet Name="Ts" EntityType="Microsoft.Dynamics.DataEntities.T"/></EntityContainer>`)
	_, err := ParseFO(strings.NewReader(doc))
	var perr *Error
	if !errors.As(err, &perr) {
		t.Fatalf("error %v is not an *Error", err)
	}
	// A start tag over several lines is reported at its first line.
	if perr.Line != 6 {
		t.Errorf("line = %d, want 6 (%v)", perr.Line, err)
	}
}

func TestRootLine(t *testing.T) {
	doc := "<?xml version=\"1.0\"?>\n<!-- a proxy's error page -->\n<html>\n</html>\n"
	_, err := ParseFO(strings.NewReader(doc))
	var perr *Error
	if !errors.As(err, &perr) || perr.Line != 3 {
		t.Errorf("error %v, want one at line 3", err)
	}
}

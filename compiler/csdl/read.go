package csdl

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

// MaxInput is the largest metadata document, in bytes, that the parsers
// read. A full F&O $metadata document is a few tens of megabytes.
const MaxInput = 64 << 20

// maxErrors caps how many problems one parse reports.
const maxErrors = 50

// readLimited reads all of r, refusing more than limit bytes.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	if r == nil {
		return nil, errors.New("no input")
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("input larger than %s, the limit", sizeString(limit))
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("empty input")
	}
	return data, nil
}

// sizeString renders a byte count in MiB when it is a whole number of them.
func sizeString(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// decodeEdmx decodes an OData 4 CSDL XML document.
func decodeEdmx(data []byte) (*xEdmx, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var doc xEdmx
	if err := d.Decode(&doc); err != nil {
		var syn *xml.SyntaxError
		switch {
		case errors.As(err, &syn):
			return nil, &Error{Line: syn.Line, Msg: "not well-formed XML: " + syn.Msg}
		case errors.Is(err, io.EOF):
			return nil, &Error{Msg: "not an XML document: no root element"}
		}
		var uerr xml.UnmarshalError
		if errors.As(err, &uerr) {
			return nil, &Error{Msg: "not a CSDL document: " + string(uerr)}
		}
		return nil, &Error{Line: lineAt(data, d.InputOffset()), Msg: "not a CSDL document: " + err.Error()}
	}
	root := doc.XMLName
	switch {
	case root.Local != "Edmx" || root.Space == "":
		return nil, &Error{Line: lineAt(data, doc.offset), Msg: fmt.Sprintf("root element <%s> is not edmx:Edmx in namespace %s", root.Local, edmxNamespace)}
	case root.Space != edmxNamespace:
		return nil, &Error{Line: lineAt(data, doc.offset), Msg: fmt.Sprintf("root element <%s> in namespace %s is not OData 4 edmx:Edmx (%s)", root.Local, root.Space, edmxNamespace)}
	}
	// A document must end after its root element.
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var syn *xml.SyntaxError
			if errors.As(err, &syn) {
				return nil, &Error{Line: syn.Line, Msg: "not well-formed XML: " + syn.Msg}
			}
			return nil, &Error{Line: lineAt(data, d.InputOffset()), Msg: "not well-formed XML: " + err.Error()}
		}
		switch tok.(type) {
		case xml.StartElement, xml.EndElement:
			return nil, &Error{Line: lineAt(data, d.InputOffset()), Msg: "content after the edmx:Edmx root element"}
		}
	}
	if len(doc.DataServices) != 1 {
		return nil, &Error{Msg: fmt.Sprintf("edmx:Edmx has %d edmx:DataServices elements, want 1", len(doc.DataServices))}
	}
	if len(doc.DataServices[0].Schemas) == 0 {
		return nil, &Error{Msg: "edmx:DataServices has no Schema"}
	}
	return &doc, nil
}

// lineAt returns the line of the start tag that ends just before offset:
// the line of the nearest '<' before it.
func lineAt(data []byte, offset int64) int {
	if offset <= 0 {
		return 1
	}
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	prefix := data[:offset]
	if i := bytes.LastIndexByte(prefix, '<'); i >= 0 {
		prefix = prefix[:i]
	}
	return 1 + bytes.Count(prefix, []byte{'\n'})
}

// Error is one problem in a metadata document. Line is 1-based; zero when the
// problem has no single place.
type Error struct {
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// problems collects errors in document order, up to maxErrors.
type problems struct {
	data []byte
	list []error
	more int
}

// at records a problem at the element whose start tag ends at offset.
func (p *problems) at(offset int64, format string, args ...any) {
	line := 0
	if offset > 0 {
		line = lineAt(p.data, offset)
	}
	p.add(&Error{Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (p *problems) add(err error) {
	if len(p.list) >= maxErrors {
		p.more++
		return
	}
	p.list = append(p.list, err)
}

// err returns nil or all problems joined, one per line.
func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	list := p.list
	if p.more > 0 {
		list = append(list[:len(list):len(list)], fmt.Errorf("and %d more problems", p.more))
	}
	return errors.Join(list...)
}

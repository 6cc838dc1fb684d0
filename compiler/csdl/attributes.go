package csdl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/dualsync/dualsync/compiler"
	"github.com/dualsync/dualsync/runtime/plan"
)

// AttributesError is a problem in the EntityDefinitions JSON given to
// ParseDV, as opposed to its CSDL document.
type AttributesError struct {
	Err error
}

func (e *AttributesError) Error() string { return "attributes: " + e.Err.Error() }

func (e *AttributesError) Unwrap() error { return e.Err }

// The JSON below mirrors the Web API's answer to
// EntityDefinitions?$select=LogicalName,EntitySetName,TableType&$expand=Attributes,
// with option sets included for choice columns. Unknown members are ignored.

type jEntityDefinitions struct {
	Value *[]jEntityDefinition `json:"value"`
}

type jEntityDefinition struct {
	LogicalName   string       `json:"LogicalName"`
	EntitySetName string       `json:"EntitySetName"`
	TableType     string       `json:"TableType"`
	Attributes    []jAttribute `json:"Attributes"`
}

type jAttribute struct {
	LogicalName      string          `json:"LogicalName"`
	AttributeType    string          `json:"AttributeType"`
	RequiredLevel    *jManagedString `json:"RequiredLevel"`
	IsValidForCreate *bool           `json:"IsValidForCreate"`
	IsValidForUpdate *bool           `json:"IsValidForUpdate"`
	MaxLength        *int            `json:"MaxLength"`
	Precision        *int            `json:"Precision"`
	OptionSet        *jOptionSet     `json:"OptionSet"`
}

type jManagedString struct {
	Value string `json:"Value"`
}

type jOptionSet struct {
	Options []jOption `json:"Options"`
}

type jOption struct {
	Value *int64 `json:"Value"`
	Label jLabel `json:"Label"`
}

type jLabel struct {
	UserLocalizedLabel *jLocalizedLabel  `json:"UserLocalizedLabel"`
	LocalizedLabels    []jLocalizedLabel `json:"LocalizedLabels"`
}

type jLocalizedLabel struct {
	Label string `json:"Label"`
}

// text returns the user's label, else the first localized one.
func (l jLabel) text() string {
	if l.UserLocalizedLabel != nil && l.UserLocalizedLabel.Label != "" {
		return l.UserLocalizedLabel.Label
	}
	for _, ll := range l.LocalizedLabels {
		if ll.Label != "" {
			return ll.Label
		}
	}
	return ""
}

// applyAttributes completes the catalog's tables with the attributes JSON.
func applyAttributes(cat *compiler.DVCatalog, r io.Reader, limit int64) error {
	data, err := readLimited(r, limit)
	if err != nil {
		return err
	}
	var defs jEntityDefinitions
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&defs); err != nil {
		return jsonError(data, dec, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &Error{Line: jsonLine(data, dec.InputOffset()), Msg: "content after the JSON value"}
	}
	if defs.Value == nil {
		return errors.New(`no "value" array: not an EntityDefinitions answer`)
	}
	var p problems
	seen := map[string]bool{}
	for i, d := range *defs.Value {
		if d.LogicalName == "" {
			p.add(fmt.Errorf("value[%d]: no LogicalName", i))
			continue
		}
		if seen[d.LogicalName] {
			p.add(fmt.Errorf("table %s: listed twice", d.LogicalName))
			continue
		}
		seen[d.LogicalName] = true
		t := cat.Tables[d.LogicalName]
		if t == nil {
			continue
		}
		if d.EntitySetName != "" && d.EntitySetName != t.EntitySet {
			p.add(fmt.Errorf("table %s: EntitySetName %s differs from the $metadata entity set %s", d.LogicalName, d.EntitySetName, t.EntitySet))
		}
		switch strings.ToLower(d.TableType) {
		case "", "standard":
			t.Kind = kindStandard
		case "virtual":
			t.Kind = "virtual"
		case "elastic":
			t.Kind = "elastic"
		default:
			p.add(fmt.Errorf("table %s: unknown TableType %q (want Standard, Virtual or Elastic)", d.LogicalName, d.TableType))
		}
		for _, a := range d.Attributes {
			if f := t.Fields[a.LogicalName]; f != nil {
				if err := applyAttribute(t, f, a); err != nil {
					p.add(fmt.Errorf("table %s: column %s: %w", d.LogicalName, a.LogicalName, err))
				}
			}
		}
	}
	return p.err()
}

// applyAttribute completes one field with its attribute metadata.
func applyAttribute(t *compiler.DVTable, f *compiler.FieldMeta, a jAttribute) error {
	if a.RequiredLevel != nil {
		switch a.RequiredLevel.Value {
		case "SystemRequired", "ApplicationRequired":
			f.Required = true
		case "None", "Recommended", "":
			f.Required = false
		default:
			return fmt.Errorf("unknown RequiredLevel %q (want None, SystemRequired, ApplicationRequired or Recommended)", a.RequiredLevel.Value)
		}
	}
	if a.IsValidForCreate != nil && a.IsValidForUpdate != nil && !*a.IsValidForCreate && !*a.IsValidForUpdate {
		f.ReadOnly = true
	}
	switch a.AttributeType {
	case "Picklist", "State", "Status":
		if f.Type != plan.Int && f.Type != plan.Choice {
			return fmt.Errorf("a %s column, but $metadata types it as %s", a.AttributeType, f.Type)
		}
		f.Type = plan.Choice
		choices, err := optionChoices(a.OptionSet)
		if err != nil {
			return err
		}
		f.Choices = choices
		if a.AttributeType == "State" {
			f.ReadOnly = true
		}
	case "Money", "Decimal", "Double":
		if a.Precision != nil && f.Type == plan.Decimal {
			if *a.Precision < 0 || *a.Precision > maxFacet {
				return fmt.Errorf("Precision %d out of range", *a.Precision)
			}
			f.Scale = *a.Precision
		}
	}
	if a.MaxLength != nil && f.Type == plan.String {
		if *a.MaxLength < 0 || *a.MaxLength > maxFacet {
			return fmt.Errorf("MaxLength %d out of range", *a.MaxLength)
		}
		if *a.MaxLength > 0 {
			f.MaxLength = *a.MaxLength
		}
	}
	// Dataverse fills the primary id, and the service sets read-only
	// columns; neither is required of a write.
	if a.LogicalName == t.PrimaryID || f.ReadOnly {
		f.Required = false
	}
	return nil
}

// optionChoices maps option labels to values. A label that repeats gets
// " (value)" appended; an option without a label is named by its value.
func optionChoices(os *jOptionSet) (map[string]int64, error) {
	if os == nil || len(os.Options) == 0 {
		return nil, nil
	}
	choices := map[string]int64{}
	values := map[int64]bool{}
	for i, o := range os.Options {
		if o.Value == nil {
			return nil, fmt.Errorf("option %d has no Value", i+1)
		}
		if values[*o.Value] {
			return nil, fmt.Errorf("option value %d listed twice", *o.Value)
		}
		values[*o.Value] = true
		label := o.Label.text()
		if label == "" {
			label = strconv.FormatInt(*o.Value, 10)
		}
		if _, dup := choices[label]; dup {
			label = fmt.Sprintf("%s (%d)", label, *o.Value)
			if _, dup := choices[label]; dup {
				return nil, fmt.Errorf("option %d: label %q listed twice", i+1, label)
			}
		}
		choices[label] = *o.Value
	}
	return choices, nil
}

// jsonError turns a decoding error into one with a line.
func jsonError(data []byte, dec *json.Decoder, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &Error{Line: jsonLine(data, syn.Offset), Msg: "not valid JSON: " + syn.Error()}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the document"
		}
		return &Error{Line: jsonLine(data, typ.Offset), Msg: fmt.Sprintf("%s: JSON %s where %s is expected", field, typ.Value, typ.Type)}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{Line: jsonLine(data, int64(len(data))), Msg: "not valid JSON: unexpected end of input"}
	}
	return &Error{Line: jsonLine(data, dec.InputOffset()), Msg: "not valid JSON: " + err.Error()}
}

// jsonLine returns the 1-based line of a byte offset.
func jsonLine(data []byte, offset int64) int {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	if offset < 0 {
		offset = 0
	}
	return 1 + bytes.Count(data[:offset], []byte{'\n'})
}

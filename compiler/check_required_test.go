package compiler

import (
	"strings"
	"testing"

	"cuelang.org/go/cue"

	"github.com/dualsync/dualsync/runtime/plan"
)

func TestScalarMisfit(t *testing.T) {
	c := &checker{cat: &Catalog{FO: FOCatalog{Enums: map[string]*Enum{
		"NoYes": {Members: map[string]int64{"No": 0, "Yes": 1}},
	}}}}
	str := func(s string) srcScalar { return srcScalar{JSON: `"` + s + `"`, Kind: cue.StringKind} }
	num := func(s string, k cue.Kind) srcScalar { return srcScalar{JSON: s, Kind: k} }
	null := srcScalar{JSON: "null", Kind: cue.NullKind}
	tests := []struct {
		name string
		s    srcScalar
		meta FieldMeta
		want string // "" fits; else a fragment of the reason
	}{
		{"string fits", str("abc"), FieldMeta{Type: plan.String, MaxLength: 3}, ""},
		{"string too long", str("abcd"), FieldMeta{Type: plan.String, MaxLength: 3}, "4 characters long"},
		{"string counts runes", str("äöü"), FieldMeta{Type: plan.String, MaxLength: 3}, ""},
		{"int for string", num("3", cue.IntKind), FieldMeta{Type: plan.String}, "is an int"},
		{"int fits", num("3", cue.IntKind), FieldMeta{Type: plan.Int}, ""},
		{"float for int", num("3.5", cue.FloatKind), FieldMeta{Type: plan.Int}, "is a float"},
		{"string for int", str("3"), FieldMeta{Type: plan.Int}, "is a string"},
		{"int for decimal", num("3", cue.IntKind), FieldMeta{Type: plan.Decimal}, ""},
		{"float for decimal", num("3.5", cue.FloatKind), FieldMeta{Type: plan.Decimal}, ""},
		{"bool fits", num("true", cue.BoolKind), FieldMeta{Type: plan.Bool}, ""},
		{"string for bool", str("true"), FieldMeta{Type: plan.Bool}, "is a string"},
		{"date fits", str("2024-01-31"), FieldMeta{Type: plan.Date}, ""},
		{"bad date", str("31.01.2024"), FieldMeta{Type: plan.Date}, "write a date"},
		{"datetime fits", str("2024-01-31T10:00:00Z"), FieldMeta{Type: plan.DateTime}, ""},
		{"date for datetime", str("2024-01-31"), FieldMeta{Type: plan.DateTime}, "write a time"},
		{"guid fits", str("6f9619ff-8b86-d011-b42d-00c04fc964ff"), FieldMeta{Type: plan.Guid}, ""},
		{"bad guid", str("6f9619ff"), FieldMeta{Type: plan.Guid}, "GUID"},
		{"member fits", str("Yes"), FieldMeta{Type: plan.Enum, Enum: "NoYes"}, ""},
		{"not a member", str("Maybe"), FieldMeta{Type: plan.Enum, Enum: "NoYes"}, "not a member of enum NoYes"},
		{"unknown enum takes any name", str("Maybe"), FieldMeta{Type: plan.Enum, Enum: "Other"}, ""},
		{"choice fits", num("2", cue.IntKind), FieldMeta{Type: plan.Choice, Choices: map[string]int64{"A": 1, "B": 2}}, ""},
		{"not a choice", num("4", cue.IntKind), FieldMeta{Type: plan.Choice, Choices: map[string]int64{"A": 1, "B": 2}}, "A (1), B (2)"},
		{"label for choice", str("A"), FieldMeta{Type: plan.Choice, Choices: map[string]int64{"A": 1}}, "is a string"},
		{"key for lookup", str("US-001"), FieldMeta{Type: plan.Lookup}, ""},
		{"null for optional", null, FieldMeta{Type: plan.Int}, ""},
		{"null for required", null, FieldMeta{Type: plan.Int, Required: true}, "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.scalarMisfit(tt.s, &tt.meta)
			switch {
			case tt.want == "" && got != "":
				t.Errorf("got %q, want a fit", got)
			case tt.want != "" && !strings.Contains(got, tt.want):
				t.Errorf("got %q, want it to contain %q", got, tt.want)
			}
		})
	}
}

package compiler

import (
	"testing"

	"github.com/dualsync/dualsync/runtime/plan"
)

func TestConvertType(t *testing.T) {
	tests := []struct {
		from, to plan.Type
		want     conversion
	}{
		{plan.String, plan.String, convExact},
		{plan.Int, plan.Int, convExact},
		{plan.Int, plan.Decimal, convExact},
		{plan.Decimal, plan.Int, convLossy},
		{plan.Decimal, plan.Decimal, convExact},
		{plan.Bool, plan.Bool, convExact},
		{plan.Date, plan.DateTime, convExact},
		{plan.DateTime, plan.Date, convLossy},
		{plan.Guid, plan.String, convExact},
		{plan.String, plan.Guid, convNone},
		{plan.Enum, plan.Choice, convValueMap},
		{plan.Choice, plan.Enum, convValueMap},
		{plan.Enum, plan.String, convEnumOther},
		{plan.String, plan.Choice, convEnumOther},
		{plan.Choice, plan.Int, convEnumOther},
		{plan.String, plan.Lookup, convLookup},
		{plan.Lookup, plan.Int, convLookup},
		{plan.Enum, plan.Bool, convYesNo},
		{plan.Bool, plan.Choice, convNone},
		{plan.Bool, plan.Date, convNone},
		{plan.Date, plan.Bool, convNone},
		{plan.Guid, plan.Decimal, convNone},
		{plan.Decimal, plan.Guid, convNone},
		{plan.Lookup, plan.Guid, convNone},
		{plan.Lookup, plan.Lookup, convNone},
		{plan.String, plan.Int, convNone},
		{"", plan.String, convNone},
	}
	for _, tt := range tests {
		if got := convertType(tt.from, tt.to); got != tt.want {
			t.Errorf("convertType(%q, %q) = %d, want %d", tt.from, tt.to, got, tt.want)
		}
	}
}

// checkFieldTypes decides the classes that need a value map, a lookup or a
// No/Yes enum from the first direction a field flows in: they must hold
// both ways.
func TestConversionsSymmetric(t *testing.T) {
	for p, cv := range conversions {
		switch cv {
		case convExact, convLossy, convNone:
			continue
		}
		if back := convertType(p[1], p[0]); back != cv {
			t.Errorf("%s→%s is %d but %s→%s is %d", p[0], p[1], cv, p[1], p[0], back)
		}
	}
}

func TestConvertsTo(t *testing.T) {
	got := convertsTo(plan.Date)
	if len(got) != 2 || got[0] != "date" || got[1] != "datetime" {
		t.Errorf("convertsTo(date) = %v, want [date datetime]", got)
	}
}

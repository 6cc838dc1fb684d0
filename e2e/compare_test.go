package e2e

import (
	"strings"
	"testing"
)

// TestCompare proves the convergence check can fail: each way two sides
// can disagree with what was written is reported.
func TestCompare(t *testing.T) {
	want := expect{"P-1": {"one", "first"}, "P-2": {"two", "second"}}
	foRow := func(num, name, desc string) row {
		return row{"ProductNumber": num, "ProductName": name, "ProductDescription": desc}
	}
	dvRow := func(num, name, desc string) row {
		return row{"productnumber": num, "name": name, "description": desc}
	}
	good := func() (map[string][]row, map[string][]row) {
		return map[string][]row{"P-1": {foRow("P-1", "one", "first")}, "P-2": {foRow("P-2", "two", "second")}},
			map[string][]row{"P-1": {dvRow("P-1", "one", "first")}, "P-2": {dvRow("P-2", "two", "second")}}
	}
	if fo, dv := good(); compare(want, fo, dv).err() != nil {
		t.Fatalf("equal sides reported as different: %v", compare(want, fo, dv).err())
	}
	tests := []struct {
		name  string
		spoil func(fo, dv map[string][]row)
		says  string
	}{
		{"lost on Dataverse", func(fo, dv map[string][]row) { delete(dv, "P-2") }, "1 side records missing; P-2 missing on Dataverse"},
		{"lost on both", func(fo, dv map[string][]row) { delete(dv, "P-1"); delete(fo, "P-1") }, "2 side records missing"},
		{"duplicated on F&O", func(fo, dv map[string][]row) { fo["P-1"] = append(fo["P-1"], foRow("P-1", "one", "first")) }, "P-1 DUPLICATED on F&O"},
		{"stale value", func(fo, dv map[string][]row) { dv["P-1"][0]["description"] = "old" }, `P-1 on Dataverse: ("one", "old")`},
		{"extra record", func(fo, dv map[string][]row) { fo["X"] = []row{foRow("X", "x", "x")} }, "X on F&O was never written"},
		{"null value", func(fo, dv map[string][]row) { fo["P-2"][0]["ProductName"] = nil }, `P-2 on F&O: ("", "second")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fo, dv := good()
			tt.spoil(fo, dv)
			err := compare(want, fo, dv).err()
			if err == nil || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("compare = %v, want it to say %q", err, tt.says)
			}
		})
	}
}

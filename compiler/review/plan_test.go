package review

import (
	"testing"

	"github.com/dualsync/dualsync/runtime/plan"
)

// testPlan returns a fresh, consistent plan with three maps: customer groups
// flow F&O to Dataverse; customers and contacts are bidirectional and look
// each other up, a cycle broken by writing customer.PrimaryContact in a
// second pass.
func testPlan(tb testing.TB) *plan.Plan {
	tb.Helper()
	pos := func(file string, line, col int) plan.Pos { return plan.Pos{File: file, Line: line, Col: col} }
	scale := 2
	p := &plan.Plan{
		CatalogDigest: "sha256:1111111111111111111111111111111111111111111111111111111111111111",
		Stages:        [][]string{{"customergroup"}, {"customer"}, {"contact"}},
		Maps: []plan.Map{
			{
				Name: "customergroup", Pos: pos("customergroup.cue", 3, 2), Stage: 0,
				Description: "Customer groups are maintained in F&O.",
				FO:          plan.Entity{EntitySet: "CustomerGroups", CompanySpecific: true, ModifiedField: "ModifiedDateTime"},
				DV:          plan.Table{Table: "msdyn_customergroup", EntitySet: "msdyn_customergroups", PrimaryID: "msdyn_customergroupid", CompanySpecific: true, ModifiedField: "modifiedon"},
				Key: []plan.KeyField{
					{FO: "dataAreaId", DV: "msdyn_company", Company: true, Type: plan.String, Pos: pos("customergroup.cue", 6, 3)},
					{FO: "CustomerGroupId", DV: "msdyn_groupid", Type: plan.String, Pos: pos("customergroup.cue", 7, 3)},
				},
				Direction: plan.FOToDV, Master: plan.FO,
				Fields: []plan.Field{
					{FO: "CustomerGroupId", DV: "msdyn_groupid", Pos: pos("customergroup.cue", 11, 3), Direction: plan.FOToDV,
						FOType: plan.String, DVType: plan.String, MaxLength: 10, Conflict: plan.Conflict{Winner: plan.OneWay}},
					{FO: "Description", DV: "msdyn_description", Pos: pos("customergroup.cue", 12, 3), Direction: plan.FOToDV,
						FOType: plan.String, DVType: plan.String, MaxLength: 60, Conflict: plan.Conflict{Winner: plan.OneWay}},
				},
				Delete:  plan.Delete{FO: plan.Propagate, DV: plan.Ignore},
				Initial: plan.Initial{Strategy: "bulk", ExpectedRows: 40},
				Monitor: plan.Monitor{AlertErrorsPerHour: 5},
			},
			{
				Name: "customer", Pos: pos("customer.cue", 3, 2), Stage: 1,
				FO: plan.Entity{EntitySet: "CustomersV3", CompanySpecific: true, ModifiedField: "ModifiedDateTime"},
				DV: plan.Table{Table: "account", EntitySet: "accounts", PrimaryID: "accountid", CompanySpecific: true, ModifiedField: "modifiedon"},
				Key: []plan.KeyField{
					{FO: "dataAreaId", DV: "msdyn_company", Company: true, Type: plan.String, Pos: pos("customer.cue", 8, 3)},
					{FO: "CustomerAccount", DV: "accountnumber", Type: plan.String, Pos: pos("customer.cue", 9, 3)},
				},
				Direction: plan.Bidirectional, Master: plan.FO,
				Conflict: &plan.Conflict{Winner: plan.WinFO, Why: "F&O is the book of record for customers", From: "map", Pos: pos("customer.cue", 13, 12)},
				Fields: []plan.Field{
					{FO: "CreditLimit", DV: "creditlimit", Pos: pos("customer.cue", 20, 3), Direction: plan.Bidirectional,
						FOType: plan.Decimal, DVType: plan.Decimal, Scale: &scale,
						Conflict: plan.Conflict{Winner: plan.WinDV, Why: "credit control works in Dataverse", From: "field", Pos: pos("customer.cue", 22, 14)}},
					{FO: "CustomerAccount", DV: "accountnumber", Pos: pos("customer.cue", 18, 3), Direction: plan.Bidirectional,
						FOType: plan.String, DVType: plan.String, MaxLength: 20,
						Conflict: plan.Conflict{Winner: plan.WinFO, Why: "F&O is the book of record for customers", From: "map", Pos: pos("customer.cue", 13, 12)}},
					{FO: "CustomerGroupId", DV: "msdyn_customergroupid", Pos: pos("customer.cue", 25, 3), Direction: plan.Bidirectional,
						FOType: plan.String, DVType: plan.Lookup,
						Lookup:   &plan.Ref{Map: "customergroup", DVTable: "msdyn_customergroup", DVSet: "msdyn_customergroups", Pass: 1},
						Conflict: plan.Conflict{Winner: plan.WinFO, Why: "F&O is the book of record for customers", From: "map", Pos: pos("customer.cue", 13, 12)}},
					{FO: "Name", DV: "name", Pos: pos("customer.cue", 19, 3), Direction: plan.Bidirectional,
						FOType: plan.String, DVType: plan.String, MaxLength: 100,
						Conflict: plan.Conflict{Winner: plan.WinFO, Why: "F&O is the book of record for customers", From: "map", Pos: pos("customer.cue", 13, 12)}},
					{FO: "PartyType", DV: "customertypecode", Pos: pos("customer.cue", 30, 3), Direction: plan.FOToDV,
						FOType: plan.Enum, DVType: plan.Choice,
						Values:    []plan.ValuePair{{FO: "Organization", DV: 192350001}, {FO: "Person", DV: 192350000}},
						DefaultDV: &plan.Value{JSON: "192350001"},
						Conflict:  plan.Conflict{Winner: plan.OneWay}},
					{FO: "PrimaryContact", DV: "primarycontactid", Pos: pos("customer.cue", 35, 3), Direction: plan.Bidirectional,
						FOType: plan.String, DVType: plan.Lookup,
						Lookup:   &plan.Ref{Map: "contact", DVTable: "contact", DVSet: "contacts", Pass: 2, Why: "contacts reference their customer"},
						Conflict: plan.Conflict{Winner: plan.WinFO, Why: "F&O is the book of record for customers", From: "map", Pos: pos("customer.cue", 13, 12)}},
				},
				Constants: []plan.Constant{{Side: plan.DV, Field: "msdyn_source", Value: plan.Value{JSON: `"F&O"`}, Pos: pos("customer.cue", 40, 5)}},
				Filter:    plan.Filter{FO: `(Blocked == "No")`},
				Delete:    plan.Delete{FO: plan.Review, DV: plan.Review},
				Initial:   plan.Initial{Strategy: "package", ExpectedRows: 250000},
				Retry:     plan.Retry{Attempts: 5, InitialBackoffMS: 1000, MaxBackoffMS: 300000},
				Monitor:   plan.Monitor{AlertErrorsPerHour: 10, PauseErrorsPerHour: 100, ReconcileSample: 500, MaxLagMS: 300000},
			},
			{
				Name: "contact", Pos: pos("contact.cue", 3, 2), Stage: 2,
				FO: plan.Entity{EntitySet: "ContactPersonsV2", CompanySpecific: true},
				DV: plan.Table{Table: "contact", EntitySet: "contacts", PrimaryID: "contactid", CompanySpecific: true},
				Key: []plan.KeyField{
					{FO: "dataAreaId", DV: "msdyn_company", Company: true, Type: plan.String, Pos: pos("contact.cue", 8, 3)},
					{FO: "ContactPersonId", DV: "msdyn_contactpersonid", Type: plan.String, Pos: pos("contact.cue", 9, 3)},
				},
				Direction: plan.Bidirectional, Master: plan.DV,
				Conflict: &plan.Conflict{Winner: plan.LastWrite, Why: "either side edits contacts | both are trusted", From: "map", Pos: pos("contact.cue", 12, 12)},
				Fields: []plan.Field{
					{FO: "ContactPersonId", DV: "msdyn_contactpersonid", Pos: pos("contact.cue", 15, 3), Direction: plan.Bidirectional,
						FOType: plan.String, DVType: plan.String, MaxLength: 20,
						Conflict: plan.Conflict{Winner: plan.LastWrite, Why: "either side edits contacts | both are trusted", From: "map", Pos: pos("contact.cue", 12, 12)}},
					{FO: "CustomerAccount", DV: "parentcustomerid", Pos: pos("contact.cue", 16, 3), Direction: plan.Bidirectional,
						FOType: plan.String, DVType: plan.Lookup,
						Lookup:   &plan.Ref{Map: "customer", DVTable: "account", DVSet: "accounts", Pass: 1},
						Conflict: plan.Conflict{Winner: plan.LastWrite, Why: "either side edits contacts | both are trusted", From: "map", Pos: pos("contact.cue", 12, 12)}},
				},
				Delete:  plan.Delete{FO: plan.Ignore, DV: plan.Ignore},
				Initial: plan.Initial{Strategy: "bulk", ExpectedRows: 8000},
			},
		},
		CycleBreaks: []plan.CycleBreak{{
			Cycle: []string{"customer", "contact", "customer"}, Map: "customer", Field: "PrimaryContact",
			Why: "contacts reference their customer", Pos: pos("customer.cue", 36, 16),
		}},
		Exclusions: []plan.Exclusion{{
			Name: "vendors", FO: "VendorsV2", DV: "msdyn_vendor", Owner: plan.FO,
			Why: "vendors are maintained in F&O only", Pos: pos("exclude.cue", 4, 2),
		}},
	}
	if err := plan.Check(p); err != nil {
		tb.Fatalf("test plan: %v", err)
	}
	return p
}

// mapOf returns the named map of p, failing the test when it is missing.
func mapOf(tb testing.TB, p *plan.Plan, name string) *plan.Map {
	tb.Helper()
	m := p.MapByName(name)
	if m == nil {
		tb.Fatalf("no map %q", name)
	}
	return m
}

// fieldOf returns the named field of m, failing the test when it is missing.
func fieldOf(tb testing.TB, m *plan.Map, fo string) *plan.Field {
	tb.Helper()
	for i := range m.Fields {
		if m.Fields[i].FO == fo {
			return &m.Fields[i]
		}
	}
	tb.Fatalf("map %q has no field %q", m.Name, fo)
	return nil
}

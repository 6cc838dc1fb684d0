package engine

import (
	"testing"

	"github.com/dualsync/dualsync/runtime/plan"
)

// The test plan: customer groups, customers and contacts, with the kinds of
// fields the engine must handle.
//
//	group     stage 0  Name↔name
//	customer  stage 1  Name, Phone (last_write), Contact (enum↔choice, dv wins),
//	                   Credit (decimal, scale 4), Group (lookup, pass 1),
//	                   Status (fo_to_dv only), Type (enum↔choice, dv default 3),
//	                   Primary (lookup to contact, pass 2); constant dv source="fo"
//	contact   stage 2  Name↔fullname, Customer (lookup to customer, pass 1)

func pos(line int) plan.Pos { return plan.Pos{File: "maps/customer.cue", Line: line, Col: 3} }

func field(fo, dv string, t plan.Type, line int, win plan.Winner) plan.Field {
	return plan.Field{
		FO: fo, DV: dv, Pos: pos(line), Direction: plan.Bidirectional, FOType: t, DVType: t,
		Conflict: plan.Conflict{Winner: win, Why: fo + " rule", From: "field", Pos: pos(line + 1)},
	}
}

func testPlan(tb testing.TB) *plan.Plan {
	tb.Helper()
	scale := 4
	key := []plan.KeyField{
		{FO: "dataAreaId", DV: "company", Company: true, Type: plan.String},
		{FO: "Id", DV: "number", Type: plan.String},
	}
	group := plan.Map{
		Name: "group", Pos: pos(1), Stage: 0, Key: key, Direction: plan.Bidirectional, Master: plan.FO,
		FO: plan.Entity{EntitySet: "Groups"}, DV: plan.Table{Table: "group", EntitySet: "groups"},
		Conflict: &plan.Conflict{Winner: plan.WinFO, Pos: pos(2)},
		Fields:   []plan.Field{field("Name", "name", plan.String, 3, plan.WinFO)},
		Delete:   plan.Delete{FO: plan.Propagate, DV: plan.Propagate},
		Retry:    plan.Retry{Attempts: 3, InitialBackoffMS: 1000, MaxBackoffMS: 8000},
	}
	contact := field("Contact", "contactmethod", plan.Enum, 14, plan.WinDV)
	contact.DVType = plan.Choice
	contact.Values = []plan.ValuePair{{FO: "Any", DV: 192350000}, {FO: "Email", DV: 192350001}, {FO: "Phone", DV: 192350002}}
	credit := field("Credit", "creditlimit", plan.Decimal, 16, plan.WinFO)
	credit.Scale = &scale
	grp := field("Group", "groupid", plan.String, 18, plan.WinFO)
	grp.DVType = plan.Lookup
	grp.Lookup = &plan.Ref{Map: "group", DVTable: "group", DVSet: "groups", Pass: 1}
	status := field("Status", "statuscode", plan.String, 20, plan.OneWay)
	status.Direction = plan.FOToDV
	status.Conflict.Why = "credit control owns the status"
	typ := field("Type", "customertype", plan.Enum, 22, plan.WinFO)
	typ.DVType = plan.Choice
	typ.Values = []plan.ValuePair{{FO: "Organization", DV: 1}, {FO: "Person", DV: 2}, {FO: "Other", DV: 3}}
	typ.DefaultDV = &plan.Value{JSON: "3"}
	primary := field("Primary", "primarycontact", plan.String, 24, plan.WinFO)
	primary.DVType = plan.Lookup
	primary.Lookup = &plan.Ref{Map: "contact", DVTable: "contact", DVSet: "contacts", Pass: 2, Why: "customer and contact look each other up"}
	customer := plan.Map{
		Name: "customer", Pos: pos(8), Stage: 1, Key: key, Direction: plan.Bidirectional, Master: plan.FO,
		FO: plan.Entity{EntitySet: "CustomersV3"}, DV: plan.Table{Table: "account", EntitySet: "accounts"},
		Conflict: &plan.Conflict{Winner: plan.WinFO, Pos: pos(9)},
		Fields: []plan.Field{
			field("Name", "name", plan.String, 10, plan.WinFO),
			field("Phone", "telephone1", plan.String, 12, plan.LastWrite),
			contact, credit, grp, status, typ, primary,
		},
		Constants: []plan.Constant{{Side: plan.DV, Field: "source", Value: plan.Value{JSON: `"fo"`}, Pos: pos(26)}},
		Delete:    plan.Delete{FO: plan.Propagate, DV: plan.Review},
		Retry:     plan.Retry{Attempts: 3, InitialBackoffMS: 1000, MaxBackoffMS: 8000},
	}
	cust := field("Customer", "parentcustomerid", plan.String, 32, plan.WinFO)
	cust.DVType = plan.Lookup
	cust.Lookup = &plan.Ref{Map: "customer", DVTable: "account", DVSet: "accounts", Pass: 1}
	contactMap := plan.Map{
		Name: "contact", Pos: pos(28), Stage: 2, Key: key, Direction: plan.Bidirectional, Master: plan.FO,
		FO: plan.Entity{EntitySet: "Contacts"}, DV: plan.Table{Table: "contact", EntitySet: "contacts"},
		Conflict: &plan.Conflict{Winner: plan.WinFO, Pos: pos(29)},
		Fields:   []plan.Field{field("Name", "fullname", plan.String, 30, plan.WinFO), cust},
		Delete:   plan.Delete{FO: plan.Ignore, DV: plan.Propagate},
	}
	p := &plan.Plan{
		Stages: [][]string{{"group"}, {"customer"}, {"contact"}},
		Maps:   []plan.Map{group, customer, contactMap},
	}
	if _, err := plan.Encode(p); err != nil {
		tb.Fatal(err)
	}
	if err := plan.Check(p); err != nil {
		tb.Fatal(err)
	}
	return p
}

package review

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/dualsync/dualsync/runtime/plan"
)

// want is an expected change: its summary "risk kind subject: old → new",
// and a fragment its reason must contain.
type want struct {
	change string
	reason string
}

func summarize(c Change) string {
	return fmt.Sprintf("%s %s %s: %s → %s", c.Risk, c.Kind, c.Subject(), orNone(c.Old), orNone(c.New))
}

func TestDiff(t *testing.T) {
	tests := []struct {
		name string
		edit func(tb testing.TB, p *plan.Plan)
		want []want
	}{
		{"no change", func(testing.TB, *plan.Plan) {}, nil},
		{
			"catalog changed",
			func(tb testing.TB, p *plan.Plan) { p.CatalogDigest = "sha256:2222222222222222" },
			[]want{{"low catalog-changed plan: 111111111111 → 222222222222", "different metadata"}},
		},
		{
			"map added",
			func(tb testing.TB, p *plan.Plan) {
				p.Maps = append(p.Maps, plan.Map{Name: "vendor", Pos: plan.Pos{File: "vendor.cue", Line: 3, Col: 2},
					FO: plan.Entity{EntitySet: "VendorsV2"}, DV: plan.Table{Table: "msdyn_vendor"}, Direction: plan.FOToDV,
					Initial: plan.Initial{Strategy: "bulk", ExpectedRows: 12}})
			},
			[]want{{"low map-added vendor: none → VendorsV2 ↔ msdyn_vendor", "start syncing from F&O to Dataverse"}},
		},
		{
			"map removed",
			func(tb testing.TB, p *plan.Plan) { p.Maps = p.Maps[:2] },
			[]want{{"high map-removed contact: ContactPersonsV2 ↔ contact → none", "stop syncing"}},
		},
		{
			"entity set renamed",
			func(tb testing.TB, p *plan.Plan) { mapOf(tb, p, "customer").FO.EntitySet = "CustomersV2" },
			[]want{{"high entity-changed customer: fo CustomersV3 → fo CustomersV2", "F&O entity changed"}},
		},
		{
			"dataverse table renamed",
			func(tb testing.TB, p *plan.Plan) {
				m := mapOf(tb, p, "customer")
				m.DV.Table, m.DV.EntitySet = "msdyn_account", "msdyn_accounts"
			},
			[]want{{"high entity-changed customer: dv account → dv msdyn_account", "Dataverse table changed"}},
		},
		{
			"dataverse entity set renamed",
			func(tb testing.TB, p *plan.Plan) { mapOf(tb, p, "customer").DV.EntitySet = "accountset" },
			[]want{{"high entity-changed customer: dv set accounts → dv set accountset", "different address"}},
		},
		{
			"company striping",
			func(tb testing.TB, p *plan.Plan) { mapOf(tb, p, "contact").DV.CompanySpecific = false },
			[]want{{"high entity-changed contact: dv company-specific → dv global", "company striping on Dataverse"}},
		},
		{
			"modified field",
			func(tb testing.TB, p *plan.Plan) { mapOf(tb, p, "customer").FO.ModifiedField = "" },
			[]want{{"medium modified-field-changed customer: fo ModifiedDateTime → fo none", "F&O changes are now detected"}},
		},
		{
			"key changed",
			func(tb testing.TB, p *plan.Plan) { mapOf(tb, p, "customer").Key[1].DV = "msdyn_accountnumber" },
			[]want{{"high key-changed customer: dataAreaId=msdyn_company (company), CustomerAccount=accountnumber → dataAreaId=msdyn_company (company), CustomerAccount=msdyn_accountnumber",
				"key change re-pairs every existing record: requires a re-initialisation"}},
		},
		{
			"direction flip",
			func(tb testing.TB, p *plan.Plan) { mapOf(tb, p, "customergroup").Direction = plan.DVToFO },
			[]want{{"high direction-changed customergroup: fo_to_dv → dv_to_fo",
				"direction flip: records created in F&O will no longer reach Dataverse; Dataverse changes will now be written to F&O"}},
		},
		{
			"direction narrowed drops the conflict rule",
			func(tb testing.TB, p *plan.Plan) {
				m := mapOf(tb, p, "contact")
				m.Direction, m.Conflict = plan.FOToDV, nil
			},
			[]want{{"high direction-changed contact: bidirectional → fo_to_dv",
				"direction narrowed: records created in Dataverse will no longer reach F&O"}},
		},
		{
			"direction widened",
			func(tb testing.TB, p *plan.Plan) {
				m := mapOf(tb, p, "customergroup")
				m.Direction = plan.Bidirectional
				m.Conflict = &plan.Conflict{Winner: plan.WinFO, Why: "groups belong to F&O", From: "map"}
			},
			[]want{{"medium direction-changed customergroup: fo_to_dv → bidirectional",
				"direction widened: Dataverse changes will now be written to F&O; conflicts: F&O wins"}},
		},
		{
			"master",
			func(tb testing.TB, p *plan.Plan) { mapOf(tb, p, "customer").Master = plan.DV },
			[]want{{"medium master-changed customer: fo → dv", "Dataverse rows will overwrite F&O"}},
		},
		{
			"stage",
			func(tb testing.TB, p *plan.Plan) { mapOf(tb, p, "contact").Stage = 3 },
			[]want{{"low stage-changed contact: 2 → 3", "stage 3"}},
		},
		{
			"map default winner, inherited by fields",
			func(tb testing.TB, p *plan.Plan) {
				m := mapOf(tb, p, "customer")
				m.Conflict.Winner = plan.WinDV
				for i := range m.Fields {
					if m.Fields[i].Conflict.From == "map" {
						m.Fields[i].Conflict.Winner = plan.WinDV
					}
				}
			},
			[]want{{"medium conflict-winner-changed customer: F&O wins → Dataverse wins",
				"F&O edits will now be overwritten by Dataverse in a conflict, on 4 fields that use the map default"}},
		},
		{
			"map default that no field uses",
			func(tb testing.TB, p *plan.Plan) {
				m := mapOf(tb, p, "contact")
				m.Conflict.Winner = plan.WinFO
				for i := range m.Fields {
					m.Fields[i].Conflict.From = "field"
				}
			},
			[]want{{"medium conflict-winner-changed contact: last write wins → F&O wins", "the map default is now F&O wins; no field uses it yet"}},
		},
		{
			"field winner",
			func(tb testing.TB, p *plan.Plan) {
				fieldOf(tb, mapOf(tb, p, "customer"), "CreditLimit").Conflict.Winner = plan.WinFO
			},
			[]want{{"medium conflict-winner-changed customer.CreditLimit: Dataverse wins → F&O wins",
				"Dataverse edits to creditlimit will now be overwritten by F&O"}},
		},
		{
			"field leaves the map default",
			func(tb testing.TB, p *plan.Plan) {
				fieldOf(tb, mapOf(tb, p, "contact"), "ContactPersonId").Conflict = plan.Conflict{Winner: plan.WinDV, Why: "ids are issued in Dataverse", From: "field"}
			},
			[]want{{"medium conflict-winner-changed contact.ContactPersonId: last write wins → Dataverse wins",
				"F&O edits to ContactPersonId will now be overwritten by Dataverse"}},
		},
		{
			"last write",
			func(tb testing.TB, p *plan.Plan) {
				fieldOf(tb, mapOf(tb, p, "customer"), "CreditLimit").Conflict.Winner = plan.LastWrite
			},
			[]want{{"medium conflict-winner-changed customer.CreditLimit: Dataverse wins → last write wins", "uncoordinated clocks"}},
		},
		{
			"map rationale, inherited by fields",
			func(tb testing.TB, p *plan.Plan) {
				m := mapOf(tb, p, "customer")
				m.Conflict.Why = "finance owns customers"
				for i := range m.Fields {
					if m.Fields[i].Conflict.From == "map" {
						m.Fields[i].Conflict.Why = "finance owns customers"
					}
				}
			},
			[]want{{"low conflict-rationale-changed customer: F&O is the book of record for customers → finance owns customers", "rationale"}},
		},
		{
			"field rationale",
			func(tb testing.TB, p *plan.Plan) {
				fieldOf(tb, mapOf(tb, p, "customer"), "CreditLimit").Conflict.Why = "credit control\nmoved to Dataverse"
			},
			[]want{{"low conflict-rationale-changed customer.CreditLimit: credit control works in Dataverse → credit control moved to Dataverse", "Dataverse wins on CreditLimit"}},
		},
		{
			"field added",
			func(tb testing.TB, p *plan.Plan) {
				m := mapOf(tb, p, "customer")
				m.Fields = append(m.Fields, plan.Field{FO: "Phone", DV: "telephone1", Direction: plan.Bidirectional,
					Conflict: plan.Conflict{Winner: plan.WinFO, From: "map"}})
			},
			[]want{{"low field-added customer.Phone: none → telephone1, bidirectional", "Phone and telephone1 start syncing both ways"}},
		},
		{
			"field removed",
			func(tb testing.TB, p *plan.Plan) {
				m := mapOf(tb, p, "customer")
				m.Fields = slices.DeleteFunc(m.Fields, func(f plan.Field) bool { return f.FO == "Name" })
			},
			[]want{{"medium field-removed customer.Name: name, bidirectional → none", "stop syncing"}},
		},
		{
			"column",
			func(tb testing.TB, p *plan.Plan) { fieldOf(tb, mapOf(tb, p, "customer"), "Name").DV = "msdyn_name" },
			[]want{{"medium column-changed customer.Name: name → msdyn_name", "name stops syncing"}},
		},
		{
			"field direction flip",
			func(tb testing.TB, p *plan.Plan) {
				fieldOf(tb, mapOf(tb, p, "customer"), "PartyType").Direction = plan.DVToFO
			},
			[]want{{"high field-direction-changed customer.PartyType: fo_to_dv → dv_to_fo",
				"direction flip: F&O edits to PartyType will no longer reach Dataverse; Dataverse edits to customertypecode will now overwrite F&O"}},
		},
		{
			"field direction narrowed, winner follows",
			func(tb testing.TB, p *plan.Plan) {
				f := fieldOf(tb, mapOf(tb, p, "customer"), "Name")
				f.Direction, f.Conflict = plan.FOToDV, plan.Conflict{Winner: plan.OneWay}
			},
			[]want{{"medium field-direction-changed customer.Name: bidirectional → fo_to_dv",
				"direction narrowed: Dataverse edits to name will no longer reach F&O"}},
		},
		{
			"field direction widened, winner follows",
			func(tb testing.TB, p *plan.Plan) {
				f := fieldOf(tb, mapOf(tb, p, "customer"), "PartyType")
				f.Direction, f.Conflict = plan.Bidirectional, plan.Conflict{Winner: plan.WinFO, From: "map"}
			},
			[]want{{"medium field-direction-changed customer.PartyType: fo_to_dv → bidirectional",
				"direction widened: Dataverse edits to customertypecode will now overwrite F&O; conflicts: F&O wins"}},
		},
		{
			"max length shrinks",
			func(tb testing.TB, p *plan.Plan) { fieldOf(tb, mapOf(tb, p, "customer"), "Name").MaxLength = 60 },
			[]want{{"medium field-type-changed customer.Name: string/string, max 100 → string/string, max 60", "longer than 60 characters"}},
		},
		{
			"scale shrinks",
			func(tb testing.TB, p *plan.Plan) {
				s := 0
				fieldOf(tb, mapOf(tb, p, "customer"), "CreditLimit").Scale = &s
			},
			[]want{{"medium field-type-changed customer.CreditLimit: decimal/decimal, scale 2 → decimal/decimal, scale 0", "rounded to 0 decimal places"}},
		},
		{
			"type",
			func(tb testing.TB, p *plan.Plan) { fieldOf(tb, mapOf(tb, p, "customer"), "Name").DVType = plan.Guid },
			[]want{{"medium field-type-changed customer.Name: string/string, max 100 → string/guid, max 100", "types changed"}},
		},
		{
			"value map entry removed",
			func(tb testing.TB, p *plan.Plan) {
				f := fieldOf(tb, mapOf(tb, p, "customer"), "PartyType")
				f.Values = f.Values[:1]
			},
			[]want{{"medium value-map-changed customer.PartyType: Person=192350000 → none",
				"value map entry removed: rows holding Person will fail with invalid value conversion"}},
		},
		{
			"value map entry added and changed",
			func(tb testing.TB, p *plan.Plan) {
				f := fieldOf(tb, mapOf(tb, p, "customer"), "PartyType")
				f.Values = []plan.ValuePair{{FO: "None", DV: 192350002}, {FO: "Organization", DV: 192350003}, {FO: "Person", DV: 192350000}}
			},
			[]want{
				{"low value-map-changed customer.PartyType: none → None=192350002", "None now converts to 192350002"},
				{"medium value-map-changed customer.PartyType: Organization=192350001 → Organization=192350003", "rows holding 192350001"},
			},
		},
		{
			"default changed and added",
			func(tb testing.TB, p *plan.Plan) {
				f := fieldOf(tb, mapOf(tb, p, "customer"), "PartyType")
				f.DefaultDV = &plan.Value{JSON: "192350000"}
				f.DefaultFO = &plan.Value{JSON: `"Person"`}
			},
			[]want{
				{`low default-changed customer.PartyType: dv 192350001 → dv 192350000`, "when F&O has no PartyType, Dataverse customertypecode now gets 192350000"},
				{`low default-changed customer.PartyType: fo none → fo "Person"`, `F&O PartyType now gets "Person"`},
			},
		},
		{
			"default removed",
			func(tb testing.TB, p *plan.Plan) { fieldOf(tb, mapOf(tb, p, "customer"), "PartyType").DefaultDV = nil },
			[]want{{"low default-changed customer.PartyType: dv 192350001 → dv none", "left empty"}},
		},
		{
			"lookup added",
			func(tb testing.TB, p *plan.Plan) {
				fieldOf(tb, mapOf(tb, p, "contact"), "ContactPersonId").Lookup = &plan.Ref{Map: "customergroup", Pass: 1}
			},
			[]want{{"medium lookup-changed contact.ContactPersonId: none → customergroup", "waits until its customergroup parent"}},
		},
		{
			"lookup removed",
			func(tb testing.TB, p *plan.Plan) {
				fieldOf(tb, mapOf(tb, p, "contact"), "CustomerAccount").Lookup = nil
			},
			[]want{{"medium lookup-changed contact.CustomerAccount: customer → none", "no longer references customer"}},
		},
		{
			"lookup retargeted",
			func(tb testing.TB, p *plan.Plan) {
				fieldOf(tb, mapOf(tb, p, "contact"), "CustomerAccount").Lookup.Map = "customergroup"
			},
			[]want{{"medium lookup-changed contact.CustomerAccount: customer → customergroup", "instead of customer"}},
		},
		{
			"second pass dropped",
			func(tb testing.TB, p *plan.Plan) {
				l := fieldOf(tb, mapOf(tb, p, "customer"), "PrimaryContact").Lookup
				l.Pass, l.Why = 1, ""
			},
			[]want{{"medium second-pass-changed customer.PrimaryContact: pass 2 → pass 1", "first pass again"}},
		},
		{
			"second pass added",
			func(tb testing.TB, p *plan.Plan) {
				l := fieldOf(tb, mapOf(tb, p, "contact"), "CustomerAccount").Lookup
				l.Pass, l.Why = 2, "customers may arrive late"
			},
			[]want{{"medium second-pass-changed contact.CustomerAccount: pass 1 → pass 2", "after both records exist: customers may arrive late"}},
		},
		{
			"second pass rationale",
			func(tb testing.TB, p *plan.Plan) {
				fieldOf(tb, mapOf(tb, p, "customer"), "PrimaryContact").Lookup.Why = "contacts point at customers"
			},
			[]want{{"low second-pass-changed customer.PrimaryContact: contacts reference their customer → contacts point at customers", "rationale"}},
		},
		{
			"initial sync",
			func(tb testing.TB, p *plan.Plan) {
				m := mapOf(tb, p, "contact")
				m.Initial = plan.Initial{Strategy: "snapshot", ExpectedRows: 9000}
			},
			[]want{
				{"low expected-rows-changed contact: 8000 → 9000", "size estimate"},
				{"medium initial-strategy-changed contact: bulk → snapshot", "copies a snapshot, then reconciles"},
			},
		},
		{
			"filters",
			func(tb testing.TB, p *plan.Plan) {
				m := mapOf(tb, p, "customer")
				m.Filter = plan.Filter{DV: "statecode eq 0"}
			},
			[]want{
				{`medium filter-changed customer: dv none → dv statecode eq 0`, "Dataverse rows that no longer match"},
				{`medium filter-changed customer: fo (Blocked == "No") → fo none`, "F&O rows that no longer match"},
			},
		},
		{
			"delete actions",
			func(tb testing.TB, p *plan.Plan) {
				mapOf(tb, p, "customer").Delete = plan.Delete{FO: plan.Propagate, DV: plan.Ignore}
				mapOf(tb, p, "customergroup").Delete.FO = plan.Review
			},
			[]want{
				{"medium delete-action-changed customer: dv review → dv ignore", "deletes in Dataverse will no longer reach F&O"},
				{"high delete-action-changed customer: fo review → fo propagate", "deletes in F&O will now delete the paired Dataverse record"},
				{"medium delete-action-changed customergroup: fo propagate → fo review", "review queue"},
			},
		},
		{
			"retry",
			func(tb testing.TB, p *plan.Plan) { mapOf(tb, p, "customer").Retry.Attempts = 3 },
			[]want{{"low retry-changed customer: 5 attempts, backoff 1s to 5m0s → 3 attempts, backoff 1s to 5m0s", "retried differently"}},
		},
		{
			"monitor",
			func(tb testing.TB, p *plan.Plan) {
				m := mapOf(tb, p, "customer")
				m.Monitor.PauseErrorsPerHour = 0
				m.Monitor.MaxLagMS = 60000
			},
			[]want{
				{"low monitor-changed customer: maxLag 5m0s → maxLag 1m0s", "longer than 1m0s"},
				{"low monitor-changed customer: pauseErrorsPerHour 100 → pauseErrorsPerHour unset", "no longer pauses"},
			},
		},
		{
			"constants",
			func(tb testing.TB, p *plan.Plan) {
				m := mapOf(tb, p, "customer")
				m.Constants = []plan.Constant{{Side: plan.DV, Field: "msdyn_source", Value: plan.Value{JSON: `"ERP"`}}}
				mapOf(tb, p, "contact").Constants = []plan.Constant{{Side: plan.FO, Field: "Origin", Value: plan.Value{JSON: "1"}}}
				mapOf(tb, p, "customergroup").Constants = nil
			},
			[]want{
				{"low constant-changed contact: none → fo Origin=1", "F&O Origin is now always written as 1"},
				{`medium constant-changed customer: dv msdyn_source="F&O" → dv msdyn_source="ERP"`, `sets msdyn_source to "ERP"`},
			},
		},
		{
			"constant removed",
			func(tb testing.TB, p *plan.Plan) { mapOf(tb, p, "customer").Constants = nil },
			[]want{{`medium constant-changed customer: dv msdyn_source="F&O" → none`, "no longer written"}},
		},
		{
			"exclusions",
			func(tb testing.TB, p *plan.Plan) {
				p.Exclusions = []plan.Exclusion{{Name: "workers", FO: "Workers", Owner: plan.FO, Why: "HR data\nstays in F&O"}}
			},
			[]want{
				{"medium exclusion-removed exclude.vendors: fo VendorsV2, dv msdyn_vendor, owner fo → none", "no longer guarded"},
				{"low exclusion-added exclude.workers: none → fo Workers, owner fo", "HR data stays in F&O"},
			},
		},
		{
			"exclusion changed",
			func(tb testing.TB, p *plan.Plan) { p.Exclusions[0].Owner = plan.DV },
			[]want{{"low exclusion-changed exclude.vendors: fo VendorsV2, dv msdyn_vendor, owner fo → fo VendorsV2, dv msdyn_vendor, owner dv", "vendors are maintained"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, new := testPlan(t), testPlan(t)
			tt.edit(t, new)
			got := Diff(old, new)
			var gotS, wantS []string
			for _, c := range got {
				gotS = append(gotS, summarize(c))
			}
			for _, w := range tt.want {
				wantS = append(wantS, w.change)
			}
			if !slices.Equal(gotS, wantS) {
				t.Fatalf("Diff:\ngot  %q\nwant %q", gotS, wantS)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i].Reason, w.reason) {
					t.Errorf("change %d reason %q, want it to contain %q", i, got[i].Reason, w.reason)
				}
				if strings.ContainsAny(got[i].Reason+got[i].Old+got[i].New, "\n\r") {
					t.Errorf("change %d spans lines: %+v", i, got[i])
				}
			}
		})
	}
}

func TestDiffAcceptLoss(t *testing.T) {
	o, n := testPlan(t), testPlan(t)
	n.Maps[0].Fields[0].AcceptLoss = "names are labels; cutting them is fine"
	cs := Diff(o, n)
	if len(cs) != 1 || cs[0].Kind != AcceptLossChanged || cs[0].Risk != Medium {
		t.Fatalf("Diff = %+v, want one medium accept-loss-changed", cs)
	}
	if cs := Diff(n, o); len(cs) != 1 || cs[0].Risk != Low {
		t.Fatalf("reverse Diff = %+v, want one low accept-loss-changed", cs)
	}
}

func TestDiffParkTimeout(t *testing.T) {
	o, n := testPlan(t), testPlan(t)
	n.Maps[0].ParkTimeoutMS = 120000
	cs := Diff(o, n)
	if len(cs) != 1 || cs[0].Kind != ParkTimeoutChanged || cs[0].New != "120000ms" {
		t.Fatalf("Diff = %+v, want one park-timeout-changed", cs)
	}
}

func TestDiffBatchSize(t *testing.T) {
	o, n := testPlan(t), testPlan(t)
	n.Maps[1].BatchSize = 500
	cs := Diff(o, n)
	if len(cs) != 1 || cs[0].Kind != BatchSizeChanged || cs[0].New != "500" {
		t.Fatalf("Diff = %+v, want one batch-size-changed", cs)
	}
}

package explore

import (
	"slices"
	"testing"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator"
)

var customer = RecID{"customer", "usmf|k1"}

// concurrent is a customer created on F&O, then edited on both sides in
// one window: OrganizationName by both (rule fo), AddressCity on F&O only,
// CustomerGroupId on Dataverse only, and CreditLimit, which flows from
// F&O only, on Dataverse.
func concurrent() *History {
	return newHist().
		put(0, plan.FO, "customer", "usmf|k1", "AddressCity", str(2), "CustomerGroupId", str(3), "OrganizationName", str(4), "CreditLimit", dec(5)).
		sync().
		put(time.Second, plan.FO, "customer", "usmf|k1", "OrganizationName", str(6), "AddressCity", str(7)).
		put(time.Second, plan.DV, "customer", "usmf|k1", "name", str(8), "msdyn_customergroupid", str(9), "creditlimit", dec(10)).
		sync().h
}

func TestConvergenceCatchesDivergence(t *testing.T) {
	p := starter(t)
	h := concurrent()
	o := execute(t, p, h)
	o.Final.Rows[customer].DV["msdyn_customergroupid"] = str(99)
	expectViolation(t, p, h, o, Convergence, "customer usmf|k1", "CustomerGroupId", `dv "v2r"`)

	o = execute(t, p, h)
	o.Final.Rows[customer].DV = nil
	expectViolation(t, p, h, o, Convergence, "only fo has the record")
}

func TestConvergenceForgivesNormalisation(t *testing.T) {
	p := starter(t)
	h := concurrent()
	o := execute(t, p, h)
	o.Final.Rows[customer].DV["msdyn_customergroupid"] = engine.String("  V9 ")
	expectClean(t, p, h, o, Convergence)
}

func TestRuleComplianceCatchesWrongWinner(t *testing.T) {
	p := starter(t)
	h := concurrent()
	o := execute(t, p, h)
	// Both sides edited OrganizationName; the map's rule says F&O wins.
	setBoth(o, customer, "OrganizationName", "name", str(8))
	expectViolation(t, p, h, o, RuleCompliance, "OrganizationName", "rule fo", `want fo's value "v6"`)
}

func TestRuleComplianceCatchesOneWayEdit(t *testing.T) {
	p := starter(t)
	h := concurrent()
	o := execute(t, p, h)
	// CreditLimit flows from F&O only: the Dataverse edit must not stick.
	setBoth(o, customer, "CreditLimit", "creditlimit", dec(10))
	expectViolation(t, p, h, o, RuleCompliance, "CreditLimit", "flows one way from fo")
}

func TestNoLostUpdateCatchesLostEdit(t *testing.T) {
	p := starter(t)
	h := concurrent()
	o := execute(t, p, h)
	// Only F&O edited AddressCity: the create's value must not come back.
	setBoth(o, customer, "AddressCity", "address1_city", str(2))
	expectViolation(t, p, h, o, NoLostUpdate, "AddressCity", "only fo edited it")
	expectViolation(t, p, h, o, NoLostUpdate, "AddressCity", "replaced it on fo later")
}

func TestNothingSilentlyLost(t *testing.T) {
	p := starter(t)
	h := concurrent()
	o := execute(t, p, h)
	o.Healed.Rows[customer].DV["address1_city"] = str(2)
	expectViolation(t, p, h, o, NothingSilentlyLost, "AddressCity", "no error-queue entry")
	// The same difference with an error-queue entry is not silent.
	o.Healed.Errors = append(o.Healed.Errors, engine.ErrorEntry{ID: "e1", Map: "customer", Key: "usmf|k1", Side: plan.DV, Class: engine.Transient})
	expectClean(t, p, h, o, NothingSilentlyLost)
}

func TestLastWriteRule(t *testing.T) {
	p := starter(t)
	// Make contact's Email last_write, to check the rule and its tie-break.
	cm := p.MapByName("contact")
	for i := range cm.Fields {
		if cm.Fields[i].FO == "Email" {
			cm.Fields[i].Conflict = plan.Conflict{Winner: plan.LastWrite, Why: "test"}
		}
	}
	id := RecID{"contact", "usmf|k1"}
	for _, tc := range []struct {
		name    string
		dvWait  time.Duration
		winner  int // token of the expected value
		loser   int
		foSkew  time.Duration
		explain string
	}{
		{name: "dv later", dvWait: 2 * time.Second, winner: 4, loser: 3},
		{name: "tie goes to fo", dvWait: 0, winner: 3, loser: 4},
		{name: "fo clock ahead", dvWait: 2 * time.Second, winner: 3, loser: 4, foSkew: 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHist().
				put(0, plan.FO, "contact", "usmf|k1", "Email", str(2)).
				sync().
				put(0, plan.FO, "contact", "usmf|k1", "Email", str(3)).
				put(tc.dvWait, plan.DV, "contact", "usmf|k1", "emailaddress1", str(4)).
				sync().h
			if tc.foSkew != 0 {
				h.Setup.Skew = map[plan.Side]time.Duration{plan.FO: tc.foSkew}
			}
			o := execute(t, p, h)
			if got, _ := o.Healed.Rows[id].FO["Email"].AsString(); got != "v"+string(rune('0'+tc.winner)) {
				t.Fatalf("Email = %q, want v%d", got, tc.winner)
			}
			setBoth(o, id, "Email", "emailaddress1", str(tc.loser))
			expectViolation(t, p, h, o, RuleCompliance, "Email", "last_write")
		})
	}
}

func TestFirstPairingGoesToMaster(t *testing.T) {
	p := starter(t)
	// Both sides create the same product in one window; F&O is the master.
	h := newHist().
		put(0, plan.DV, "product", "k1", "description", str(2), "name", str(3)).
		put(time.Second, plan.FO, "product", "k1", "ProductDescription", str(4), "ProductName", str(5)).
		sync().h
	o := execute(t, p, h)
	id := RecID{"product", "k1"}
	setBoth(o, id, "ProductName", "name", str(3))
	expectViolation(t, p, h, o, RuleCompliance, "ProductName", "first pairing", "master side fo")
}

func TestDeleteWins(t *testing.T) {
	p := starter(t)
	// Contact deletes propagate: a delete on F&O wins over a Dataverse
	// edit in the same window.
	h := newHist().
		put(0, plan.FO, "contact", "usmf|k1", "Email", str(2)).
		sync().
		put(0, plan.DV, "contact", "usmf|k1", "emailaddress1", str(3)).
		del(time.Second, plan.FO, "contact", "usmf|k1").
		sync().h
	o := execute(t, p, h)
	id := RecID{"contact", "usmf|k1"}
	if r := o.Healed.Rows[id]; r != nil && (r.FO != nil || r.DV != nil) {
		t.Fatalf("the deleted contact survived: %+v", r)
	}
	o.Healed.Rows[id] = &Pair{DV: map[string]engine.Value{"emailaddress1": str(3)}}
	expectViolation(t, p, h, o, RuleCompliance, "deleted it with delete action propagate")
}

func TestNoEchoLoop(t *testing.T) {
	p := starter(t)
	h := concurrent()
	o := execute(t, p, h)
	o.Ops[1].RunErr = "echo loop or no quiescence: not quiet after 400 rounds"
	expectViolation(t, p, h, o, NoEchoLoop, "#2 (sync until quiet) did not go quiet")

	o = execute(t, p, h)
	for range 200 {
		o.Writes = append(o.Writes, simulator.WriteLog{Side: plan.DV, Map: "customer", Key: "usmf|k1", Op: engine.OpUpsert, Attempt: 1, Acked: true})
	}
	expectViolation(t, p, h, o, NoEchoLoop, "more than the bound", "ping-pong")

	// Retries of one write do not count.
	o = execute(t, p, h)
	for range 200 {
		o.Writes = append(o.Writes, simulator.WriteLog{Side: plan.DV, Map: "customer", Key: "usmf|k1", Op: engine.OpUpsert, Attempt: 2})
	}
	expectClean(t, p, h, o, NoEchoLoop)
}

func TestAccountingIdentity(t *testing.T) {
	p := starter(t)
	h := concurrent()
	o := execute(t, p, h)
	o.Healed.Accounting.Applied++
	expectViolation(t, p, h, o, AccountingIdentity, "after the faults healed", "does not balance")

	o = execute(t, p, h)
	o.Final.Accounting.InFlight++
	o.Final.Accounting.Observed++
	expectViolation(t, p, h, o, AccountingIdentity, "quiet, but accounts 1 changes in flight")
}

func TestDependencyOrder(t *testing.T) {
	p := starter(t)
	// A contact created on F&O before its customer: the engine must park
	// the contact until the customer exists on Dataverse.
	h := newHist().
		put(0, plan.FO, "contact", "usmf|k2", "AssociatedCustomerAccount", engine.String("k1"), "Email", str(3)).
		put(0, plan.FO, "customer", "usmf|k1", "OrganizationName", str(4)).
		sync().h
	o := execute(t, p, h)
	// Doctor the write log: the contact's create comes first.
	i := slices.IndexFunc(o.Writes, func(w simulator.WriteLog) bool { return w.Map == "contact" && w.Side == plan.DV })
	j := slices.IndexFunc(o.Writes, func(w simulator.WriteLog) bool { return w.Map == "customer" && w.Side == plan.DV })
	if i < 0 || j < 0 || i < j {
		t.Fatalf("want the customer written to dv before the contact; writes %+v", o.Writes)
	}
	o.Writes[i], o.Writes[j] = o.Writes[j], o.Writes[i]
	expectViolation(t, p, h, o, DependencyOrder, "contact usmf|k2", "customer usmf|k1", "never existed on dv")
}

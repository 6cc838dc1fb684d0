package engine_test

import (
	"fmt"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// The driver's loop: step events, carry out Ready, Advance.
func Example() {
	p := &plan.Plan{
		Stages: [][]string{{"customer"}},
		Maps: []plan.Map{{
			Name: "customer", Direction: plan.Bidirectional, Master: plan.FO,
			Key: []plan.KeyField{{FO: "dataAreaId", DV: "company", Company: true}, {FO: "CustomerAccount", DV: "accountnumber"}},
			FO:  plan.Entity{EntitySet: "CustomersV3"}, DV: plan.Table{Table: "account", EntitySet: "accounts"},
			Fields: []plan.Field{
				{FO: "Name", DV: "name", Direction: plan.Bidirectional, FOType: plan.String, DVType: plan.String,
					Conflict: plan.Conflict{Winner: plan.WinFO}},
				{FO: "Contact", DV: "preferredcontactmethodcode", Direction: plan.Bidirectional, FOType: plan.Enum, DVType: plan.Choice,
					Values: []plan.ValuePair{{FO: "Email", DV: 2}, {FO: "Phone", DV: 3}}, Conflict: plan.Conflict{Winner: plan.WinDV}},
			},
			Delete: plan.Delete{FO: plan.Propagate, DV: plan.Review},
		}},
	}
	e, err := engine.New(p, engine.Config{Seed: 1}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	e.Tick(now)
	key := engine.JoinKey("usmf", "US-001")

	// A customer appears in the F&O change feed.
	e.Observe(engine.Observed{Side: plan.FO, Map: "customer", Key: key, Version: "1", Modified: now, Seq: 1, Token: "t1",
		Values: map[string]engine.Value{"Name": engine.String("Contoso"), "Contact": engine.String("Phone")}})
	rd := e.Ready()
	w := rd.Writes[0]
	fmt.Println(w.Side, w.Op, w.Key, "create:", w.Create, w.Values)
	e.Advance()

	// Dataverse stores it, and its change feed shows it back: an echo.
	e.Ack(engine.WriteAcked{WriteID: w.ID, NewVersion: `W/"7"`})
	e.Observe(engine.Observed{Side: plan.DV, Map: "customer", Key: key, Version: `W/"7"`, Modified: now, Seq: 1,
		Values: map[string]engine.Value{"name": engine.String("Contoso"), "preferredcontactmethodcode": engine.Int(3)}})
	rd = e.Ready()
	fmt.Println("writes:", len(rd.Writes), "records to persist:", len(rd.Checkpoint.Records), "watermarks:", rd.Checkpoint.Watermarks)
	a := rd.Accounting
	fmt.Printf("observed %d = applied %d + suppressed %d (echo %d); quiet: %t\n", a.Observed, a.Applied, a.Suppressed, a.Echo, e.Quiet())
	e.Advance()
	// Output:
	// dv upsert usmf|US-001 create: true [{name "Contoso"} {preferredcontactmethodcode 3}]
	// writes: 0 records to persist: 1 watermarks: [{customer fo 1 t1} {customer dv 1 }]
	// observed 2 = applied 1 + suppressed 1 (echo 1); quiet: true
}

package runtime_test

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"testing"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator/fake"
)

func TestMemoryPersister(t *testing.T) {
	p := dsruntime.NewMemoryPersister(nil)
	ctx := context.Background()
	rec := engine.RecordState{Map: "customer", Key: "usmf|C1", FO: engine.SideState{Exists: true, Version: "1",
		Base: []engine.FieldValue{{Field: "OrganizationName", Value: engine.String("A")}}}}
	rd := engine.Ready{
		Checkpoint: engine.Checkpoint{Records: []engine.RecordState{rec},
			Watermarks: []engine.Watermark{{Map: "customer", Side: plan.FO, Seq: 3, Token: "t1"}}, NextID: 4},
		Errors:    []engine.ErrorEntry{{ID: "e1", Map: "customer", Key: "usmf|C1", Side: plan.DV, Class: engine.Validation}},
		Conflicts: []engine.Conflict{{Map: "customer", Key: "usmf|C1", Rule: engine.RuleFO}},
	}
	if err := p.Save(ctx, rd); err != nil {
		t.Fatal(err)
	}
	// The Ready's slices are the engine's: changing them later must not
	// change what was saved.
	rec.FO.Base[0].Value = engine.String("changed")
	rec2 := engine.RecordState{Map: "customer", Key: "usmf|C1", FO: engine.SideState{Exists: true, Version: "2"}}
	rd2 := engine.Ready{
		Checkpoint: engine.Checkpoint{Records: []engine.RecordState{rec2},
			Watermarks: []engine.Watermark{{Map: "customer", Side: plan.FO, Seq: 5, Token: "t2"}, {Map: "contact", Side: plan.DV, Seq: 1, Token: "d1"}}, NextID: 6},
		Errors:   []engine.ErrorEntry{{ID: "e2", Map: "contact", Key: "usmf|CP1", Side: plan.FO, Class: engine.Plugin}},
		Resolved: []string{"e1"},
	}
	if err := p.Save(ctx, rd2); err != nil {
		t.Fatal(err)
	}
	st := p.State()
	got, _ := json.Marshal(st)
	want := `{"version":1,"records":[{"map":"customer","key":"usmf|C1","fo":{"exists":true,"version":"2"},"dv":{"exists":false}}],` +
		`"errors":[{"id":"e2","map":"contact","key":"usmf|CP1","side":"fo","class":"plugin","message":"","pos":{"file":"","line":0,"col":0},"source":"","attempts":0}],` +
		`"watermarks":[{"map":"contact","side":"dv","seq":1,"token":"d1"},{"map":"customer","side":"fo","seq":5,"token":"t2"}],"nextId":6}`
	if string(got) != want {
		t.Errorf("state\n%s\nwant\n%s", got, want)
	}
	if len(p.Conflicts()) != 1 || p.Saves() != 2 {
		t.Errorf("conflicts %d, saves %d", len(p.Conflicts()), p.Saves())
	}
	if wm, ok := p.Watermark("customer", plan.FO); !ok || wm.Token != "t2" {
		t.Errorf("watermark %+v", wm)
	}
}

// TestMemoryPersisterMatchesEngineState: a persister that saw every Ready
// holds what the engine itself reports as its state, once it is quiet.
func TestMemoryPersisterMatchesEngineState(t *testing.T) {
	w := newWorld(t, fake.Config{Seed: 11}, fake.Config{Seed: 11})
	seedScenario(w)
	w.run()
	got, _ := json.Marshal(w.store.State())
	st := w.d.Engine().State()
	st.PlanDigest = ""
	slices.SortFunc(st.Records, func(a, b engine.RecordState) int {
		return cmp.Or(cmp.Compare(a.Map, b.Map), cmp.Compare(a.Key, b.Key))
	})
	slices.SortFunc(st.Watermarks, func(a, b engine.Watermark) int {
		return cmp.Or(cmp.Compare(a.Map, b.Map), cmp.Compare(a.Side, b.Side))
	})
	want, _ := json.Marshal(st)
	if string(got) != string(want) {
		t.Errorf("persisted\n%s\nengine\n%s", got, want)
	}
}

// An intent of updates (Checkpoint.Sent) sets the Sent lists of a stored
// record; one of a record not stored fails the save, which changes nothing.
func TestMemoryPersisterSent(t *testing.T) {
	rec := engine.RecordState{Map: "customer", Key: "usmf|C1", FO: engine.SideState{Exists: true, Version: "1"}}
	p := dsruntime.NewMemoryPersister(&engine.State{Version: engine.StateVersion, Records: []engine.RecordState{rec}})
	sent := []engine.SentValue{{Field: "Name", Value: engine.String("x"), Source: engine.String("x")}}
	bad := engine.Ready{Checkpoint: engine.Checkpoint{
		Records: []engine.RecordState{{Map: "customer", Key: "usmf|C2"}},
		Sent:    []engine.RecordSent{{Map: "customer", Key: "usmf|C9", FO: sent}},
	}}
	if err := p.Save(context.Background(), bad); err == nil {
		t.Fatal("an intent of a record not stored was saved")
	}
	if st := p.State(); len(st.Records) != 1 || p.Saves() != 0 {
		t.Fatalf("a failed save changed the state: %+v", st.Records)
	}
	ok := engine.Ready{Checkpoint: engine.Checkpoint{Sent: []engine.RecordSent{{Map: "customer", Key: "usmf|C1", DV: sent}}}}
	if err := p.Save(context.Background(), ok); err != nil {
		t.Fatal(err)
	}
	got := p.State().Records[0]
	if len(got.FO.Sent) != 0 || len(got.DV.Sent) != 1 || got.DV.Sent[0] != sent[0] || got.FO.Version != "1" {
		t.Errorf("record after the intent: %+v", got)
	}
}

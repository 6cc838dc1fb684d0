package plan

import (
	"bytes"
	"strings"
	"testing"
)

func samplePlan() *Plan {
	return &Plan{
		CatalogDigest: "sha256:00",
		Stages:        [][]string{{"parent"}, {"child"}},
		Maps: []Map{
			{Name: "parent", Stage: 0, Pos: Pos{File: "parent.cue", Line: 3, Col: 1},
				FO: Entity{EntitySet: "ParentsV1"}, DV: Table{Table: "parent", EntitySet: "parents"},
				Key: []KeyField{{FO: "Id", DV: "id", Type: String}}, Direction: Bidirectional, Master: FO,
				Fields: []Field{{FO: "Name", DV: "name", Direction: Bidirectional, Conflict: Conflict{Winner: WinFO, Why: "finance owns it"}}},
				Delete: Delete{FO: Propagate, DV: Review}},
			{Name: "child", Stage: 1, FO: Entity{EntitySet: "ChildrenV1"}, DV: Table{Table: "child", EntitySet: "children"},
				Key: []KeyField{{FO: "Id", DV: "id"}}, Direction: FOToDV, Master: FO,
				Fields: []Field{{FO: "Parent", DV: "parentid", Direction: FOToDV, Lookup: &Ref{Map: "parent", Pass: 1}, Conflict: Conflict{Winner: OneWay}}},
				Delete: Delete{FO: Propagate, DV: Propagate}},
		},
	}
}

func TestEncodeIsCanonical(t *testing.T) {
	a, err := Encode(samplePlan())
	if err != nil {
		t.Fatal(err)
	}
	b, err := Encode(samplePlan())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("two encodings of the same plan differ")
	}
	p, err := Load(bytes.NewReader(a))
	if err != nil {
		t.Fatalf("load what Encode wrote: %v", err)
	}
	c, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, c) {
		t.Fatalf("decode then encode changed the bytes:\n%s\n%s", a, c)
	}
	if !strings.HasPrefix(p.Digest, "sha256:") || !bytes.HasSuffix(a, []byte("}\n")) {
		t.Fatalf("digest %q / trailing newline missing", p.Digest)
	}
}

func TestLoadRefuses(t *testing.T) {
	good, err := Encode(samplePlan())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, input, want string
	}{
		{"not json", "{", "not valid JSON"},
		{"not a plan", `{"maps": []}`, "no format field"},
		{"future format", `{"format": "dualsync.plan/v9"}`, `unsupported plan format "dualsync.plan/v9"`},
		{"edited", strings.Replace(string(good), `"finance owns it"`, `"sales owns it"`, 1), "digest mismatch"},
		{"unknown field", strings.Replace(string(good), `"stages"`, `"stagez"`, 1), "unknown field"},
		{"trailing", string(good) + "{}", "not valid JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tc.input))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestCheckFindsEveryProblem(t *testing.T) {
	p := samplePlan()
	p.Maps[1].Fields[0].Lookup.Map = "nowhere"
	p.Maps[0].Direction = "sideways"
	p.Stages = [][]string{{"parent"}}
	err := Check(p)
	if err == nil {
		t.Fatal("Check accepted a broken plan")
	}
	for _, want := range []string{`lookup to unknown map "nowhere"`, `unknown direction "sideways"`, `map "child" (-): not in any stage`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Check error lacks %q:\n%v", want, err)
		}
	}
}

func TestCheckStageOrder(t *testing.T) {
	p := samplePlan()
	p.Stages = [][]string{{"child", "parent"}}
	p.Maps[1].Stage = 0
	err := Check(p)
	if err == nil || !strings.Contains(err.Error(), "not in an earlier stage") {
		t.Fatalf("Check = %v, want a stage-order error", err)
	}
}

func FuzzLoad(f *testing.F) {
	good, err := Encode(samplePlan())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"format":"dualsync.plan/v1"}`))
	f.Add([]byte(`{"format":"dualsync.plan/v1","maps":[{"fields":[{"lookup":{}}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Load(bytes.NewReader(data))
		if err != nil {
			return
		}
		// Whatever loads must encode again to a plan that loads.
		b, err := Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Load(bytes.NewReader(b)); err != nil {
			t.Fatalf("re-encoded plan does not load: %v", err)
		}
	})
}

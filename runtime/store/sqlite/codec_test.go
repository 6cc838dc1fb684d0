package sqlite

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// TestMirrors fails when the engine's persisted types gain, lose or rename
// a field that the encoding mirrors do not: a state field the store would
// silently drop.
func TestMirrors(t *testing.T) {
	for _, p := range []struct{ engine, mirror any }{
		{engine.RecordState{}, recordMirror{}},
		{engine.SideState{}, sideMirror{}},
		{engine.PendingChange{}, pendingMirror{}},
	} {
		et, mt := reflect.TypeOf(p.engine), reflect.TypeOf(p.mirror)
		want := map[string]string{}
		for f := range et.Fields() {
			if f.Name == "Map" || f.Name == "Key" { // columns of the records table
				continue
			}
			want[f.Name] = string(f.Tag)
		}
		got := map[string]string{}
		for f := range mt.Fields() {
			got[f.Name] = string(f.Tag)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s mirrors %s with fields %v; the engine has %v", mt, et, got, want)
		}
	}
}

// TestFieldListJSON checks that the fast encoding writes what encoding/json
// writes, and that the engine reads it back.
func TestFieldListJSON(t *testing.T) {
	d, _ := engine.Decimal("-12.500")
	vals := []engine.FieldValue{
		{Field: "Name", Value: engine.String("Contoso")},
		{Field: "Odd", Value: engine.String("a\"b\\c<d>&e\n\tf\x00g\u2028h é 北")},
		{Field: "", Value: engine.String("")},
		{Field: "Count", Value: engine.Int(-9223372036854775808)},
		{Field: "Limit", Value: d},
		{Field: "Yes", Value: engine.Bool(true)},
		{Field: "No", Value: engine.Bool(false)},
		{Field: "When", Value: engine.Time(time.Date(2025, 1, 2, 3, 4, 5, 123456000, time.FixedZone("x", 3600)))},
		{Field: "Whole", Value: engine.Time(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))},
		{Field: "Null", Value: engine.Null()},
	}
	// Invalid UTF-8 is replaced, as encoding/json does, so it is left out
	// of the round trip below.
	bad := []engine.FieldValue{{Field: "\xff", Value: engine.String("a\xffb")}}
	for _, l := range [][]engine.FieldValue{nil, {}, vals, bad} {
		want, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(fieldList(l))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("fieldList encodes\n%s\nencoding/json\n%s", got, want)
		}
	}
	r := engine.RecordState{
		Map: "m", Key: "k",
		FO:          engine.SideState{Exists: true, Version: "1", Modified: time.Unix(5, 6).UTC(), OwnVersion: true, Base: vals, Unconfirmed: []string{"Name"}},
		DV:          engine.SideState{Base: vals[:2], Sent: []engine.SentValue{{Field: "n", Value: engine.Int(1), Source: engine.String("1")}}},
		Tombstone:   &engine.Tombstone{Side: plan.DV, Action: plan.Ignore, At: time.Unix(7, 0).UTC()},
		Pending:     []engine.PendingChange{{Side: plan.FO, Values: vals, Version: "2", Modified: time.Unix(8, 0).UTC(), Deleted: true}},
		ParkedSince: time.Unix(9, 0).UTC(),
	}
	enc, err := encodeRecord(&r)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(recordBody{FO: r.FO, DV: r.DV, Tombstone: r.Tombstone, Pending: r.Pending, ParkedSince: r.ParkedSince})
	if enc != string(want) {
		t.Errorf("record encodes\n%s\nencoding/json\n%s", enc, want)
	}
	back, err := decodeRecord("m", "k", enc)
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := json.Marshal(back)
	b2, _ := json.Marshal(r)
	if string(b1) != string(b2) {
		t.Errorf("record round trip\n%s\nwant\n%s", b1, b2)
	}
}

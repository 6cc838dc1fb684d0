package storetest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// t0 is the fixtures' base time, to the nanosecond.
var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func dec(s string) engine.Value {
	v, err := engine.Decimal(s)
	if err != nil {
		panic(err)
	}
	return v
}

// everyKind has a value of every kind, and awkward strings.
func everyKind() []engine.FieldValue {
	return []engine.FieldValue{
		{Field: "Name", Value: engine.String("Contoso Ltd. — \"Nord\" 北")},
		{Field: "Empty", Value: engine.String("")},
		{Field: "Count", Value: engine.Int(-9007199254740993)},
		{Field: "CreditLimit", Value: dec("100.5")},
		{Field: "OnHold", Value: engine.Bool(true)},
		{Field: "Since", Value: engine.Time(at(-48 * time.Hour))},
		{Field: "Note", Value: engine.Null()},
	}
}

// record returns a record state that uses every field of RecordState
// (not all of them make sense together to the engine; to a store they must).
func record(m, key, version string) engine.RecordState {
	return engine.RecordState{
		Map: m,
		Key: key,
		FO: engine.SideState{
			Exists:       true,
			Version:      version,
			Modified:     at(time.Minute),
			UserModified: at(30 * time.Second),
			OwnVersion:   true,
			Base:         everyKind(),
			Unconfirmed:  []string{"Name", "OnHold"},
			Sent:         []engine.SentValue{{Field: "Name", Value: engine.String("Contoso Ltd"), Source: engine.String(" Contoso Ltd ")}},
		},
		DV: engine.SideState{
			Exists:       true,
			Version:      "W/\"" + version + "\"",
			Modified:     at(2 * time.Minute),
			UserModified: at(90 * time.Second),
			OwnVersion:   true,
			Base: []engine.FieldValue{
				{Field: "name", Value: engine.String("Contoso")},
				{Field: "creditlimit", Value: dec("-0.001")},
			},
			Unconfirmed: []string{"creditlimit"},
			Sent: []engine.SentValue{
				{Field: "creditlimit", Value: dec("12.50"), Source: dec("12.5")},
				{Field: "name", Value: engine.Null(), Source: engine.String("")},
			},
		},
		Tombstone: &engine.Tombstone{Side: plan.DV, Action: plan.Ignore, At: at(5 * time.Minute)},
		Pending: []engine.PendingChange{
			{Side: plan.DV, Values: []engine.FieldValue{{Field: "name", Value: engine.String("Contoso GmbH")}}, Version: "9", Modified: at(3 * time.Minute)},
			{Side: plan.FO, Deleted: true},
		},
		ParkedSince: at(4 * time.Minute),
	}
}

// plainRecord is a small record state.
func plainRecord(m, key, version string) engine.RecordState {
	return engine.RecordState{
		Map: m,
		Key: key,
		FO:  engine.SideState{Exists: true, Version: version, Base: []engine.FieldValue{{Field: "Name", Value: engine.String(key)}}},
		DV:  engine.SideState{Exists: true, Version: version, Base: []engine.FieldValue{{Field: "name", Value: engine.String(key)}}},
	}
}

func tombstoned(m, key string) engine.RecordState {
	return engine.RecordState{
		Map:       m,
		Key:       key,
		DV:        engine.SideState{Exists: true, Version: "3"},
		Tombstone: &engine.Tombstone{Side: plan.FO, Action: plan.Review, At: at(time.Hour)},
	}
}

// entry returns an error entry that uses every field of ErrorEntry.
func entry(id, m, key string, class engine.Class) engine.ErrorEntry {
	return engine.ErrorEntry{
		ID:       id,
		Map:      m,
		Key:      key,
		Side:     plan.DV,
		Class:    class,
		Status:   400,
		Code:     "0x80040265",
		Message:  fmt.Sprintf("%s: the plug-in refused %s", class, key),
		Field:    "creditlimit",
		Pos:      plan.Pos{File: "maps/customer.cue", Line: 42, Col: 3},
		Fields:   []string{"creditlimit", "name"},
		Source:   plan.FO,
		Values:   everyKind(),
		Raw:      `{"accountnumber":"` + key + `","creditlimit":"lots"}`,
		Attempts: 3,
		First:    at(10 * time.Minute),
		Last:     at(12 * time.Minute),
	}
}

// plainEntry is a small error entry.
func plainEntry(id, m, key string, class engine.Class) engine.ErrorEntry {
	return engine.ErrorEntry{ID: id, Map: m, Key: key, Side: plan.FO, Class: class, Message: string(class), Source: plan.DV, Attempts: 1, First: t0, Last: t0}
}

// conflict returns a conflict that uses every field of Conflict.
func conflict(m, key, field string, n int) engine.Conflict {
	return engine.Conflict{
		Map:        m,
		Key:        key,
		Field:      field,
		DVField:    "dv_" + field,
		FO:         engine.Int(int64(n)),
		DV:         dec(fmt.Sprintf("%d.25", n)),
		Winner:     plan.DV,
		Rule:       engine.RuleLastWrite,
		Pos:        plan.Pos{File: "maps/customer.cue", Line: 10 + n, Col: 5},
		Why:        "the later edit wins",
		FOModified: at(time.Duration(n) * time.Second),
		DVModified: at(time.Duration(n)*time.Second + time.Millisecond),
		At:         at(time.Duration(n) * time.Minute),
	}
}

// recordConflict is a whole-record conflict, with null values.
func recordConflict(m, key string) engine.Conflict {
	return engine.Conflict{Map: m, Key: key, Winner: plan.FO, Rule: engine.RuleDelete}
}

// covers fails the test when a fixture leaves a field of v (or of a struct
// field of v) at its zero value: when the engine's types gain a field, the
// fixtures must be extended, or the round trips would not cover it.
func covers(t *testing.T, what string, v any) {
	t.Helper()
	var walk func(path string, rv reflect.Value)
	walk = func(path string, rv reflect.Value) {
		for i := range rv.NumField() {
			f, fv := rv.Type().Field(i), rv.Field(i)
			if !f.IsExported() {
				continue
			}
			name := path + "." + f.Name
			if fv.IsZero() {
				t.Errorf("storetest fixture %s leaves %s empty: extend the fixture", what, name)
				continue
			}
			if fv.Kind() == reflect.Struct && f.Type.PkgPath() == reflect.TypeFor[engine.State]().PkgPath() {
				walk(name, fv)
			}
		}
	}
	walk(what, reflect.ValueOf(v))
}

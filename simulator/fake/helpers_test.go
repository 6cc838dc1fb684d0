package fake

import (
	"errors"
	"testing"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

func starter(tb testing.TB) *plan.Plan {
	tb.Helper()
	p, err := plan.ReadFile("../../testdata/starter.plan.json")
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func newFO(tb testing.TB, cfg Config) (*FO, *Clock) {
	tb.Helper()
	clock := NewClock(time.Time{})
	if cfg.Clock == nil {
		cfg.Clock = clock
	}
	s, err := NewFO(starter(tb), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return s, clock
}

func newDV(tb testing.TB, cfg Config) (*DV, *Clock) {
	tb.Helper()
	clock := NewClock(time.Time{})
	if cfg.Clock == nil {
		cfg.Clock = clock
	}
	s, err := NewDV(starter(tb), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return s, clock
}

// vals builds values from name, value pairs (string, int, engine.Value, nil).
func vals(kv ...any) map[string]engine.Value {
	m := map[string]engine.Value{}
	for i := 0; i < len(kv); i += 2 {
		var v engine.Value
		switch x := kv[i+1].(type) {
		case engine.Value:
			v = x
		case string:
			v = engine.String(x)
		case int:
			v = engine.Int(int64(x))
		case bool:
			v = engine.Bool(x)
		case nil:
		default:
			panic("vals: unsupported type")
		}
		m[kv[i].(string)] = v
	}
	return m
}

// asError returns err as a service error, failing when it is not one.
func asError(tb testing.TB, err error) *Error {
	tb.Helper()
	var e *Error
	if !errors.As(err, &e) {
		tb.Fatalf("error %v (%T) is not a service error", err, err)
	}
	return e
}

func must[T any](tb testing.TB) func(T, error) T {
	return func(v T, err error) T {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return v
	}
}

var usmfC1 = Key{"dataAreaId": engine.String("usmf"), "CustomerAccount": engine.String("C1")}

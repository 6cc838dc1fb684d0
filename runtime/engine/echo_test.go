package engine

import (
	"strings"
	"testing"

	"github.com/dualsync/dualsync/runtime/plan"
)

// Semantic 5: echo suppression. The engine's own write coming back through
// the target's change feed causes no write, also when the target stored a
// normalised value; a real edit after it still flows.
func TestEcho(t *testing.T) {
	tests := []struct {
		name   string
		change map[string]Value // F&O change to C1, written to Dataverse
		stored map[string]Value // what the ack says Dataverse stored (nil: nothing)
		ackVer string           // version in the ack
		echo   map[string]Value // Dataverse row coming back
		echoV  string           // its version
		then   func(h *harness) // more events after the echo
		want   string           // writes after the first one
		echoes int64            // observations suppressed as echo
		check  func(t *testing.T, h *harness)
	}{{
		name:   "the acknowledged version comes back: an echo whatever the values",
		change: custFO("Name", "Contoso Ltd"),
		ackVer: "d2", echo: custDV("name", "CONTOSO LIMITED"), echoV: "d2",
		echoes: 1,
	}, {
		name:   "trimmed white space",
		change: custFO("Name", "  Contoso "),
		ackVer: "d2", echo: custDV("name", "Contoso"), echoV: "d3",
		echoes: 1,
	}, {
		name:   "case changed on a case-insensitive field",
		change: custFO("Name", "ACME"),
		ackVer: "d2", echo: custDV("name", "acme"), echoV: "d3",
		echoes: 1,
	}, {
		name:   "decimal rounded to the field's scale",
		change: custFO("Credit", MustDecimal("10.123456")),
		ackVer: "d2", echo: custDV("creditlimit", MustDecimal("10.1235")), echoV: "d3",
		echoes: 1,
	}, {
		name:   "an empty string stored as null",
		change: custFO("Phone", ""),
		ackVer: "d2", echo: custDV("telephone1", nil), echoV: "d3",
		echoes: 1,
	}, {
		name:   "what the ack says was stored becomes the base",
		change: custFO("Name", "contoso"),
		stored: vals("name", "Contoso Ltd."), // a plug-in rewrote it
		ackVer: "d2", echo: custDV("name", "Contoso Ltd."), echoV: "d3",
		echoes: 1,
	}, {
		name:   "without the stored value a rewrite is a dataverse change, sent once",
		change: custFO("Name", "contoso"),
		ackVer: "d2", echo: custDV("name", "Contoso Ltd."), echoV: "d3",
		want: `fo upsert customer usmf|C1 @f2 Name="Contoso Ltd."` + "\n",
	}, {
		name:   "a real edit after the echo flows, even one of case only",
		change: custFO("Name", "ACME"),
		ackVer: "d2", echo: custDV("name", "acme"), echoV: "d3",
		then: func(h *harness) {
			h.observe(plan.DV, "customer", c1, custDV("name", "Acme"), "d4", at(40))
		},
		want:   `fo upsert customer usmf|C1 @f2 Name="Acme"` + "\n",
		echoes: 1,
	}, {
		name:   "a user's case-only edit on the source is a change",
		change: custFO("Name", "CONTOSO"),
		ackVer: "d2", echo: custDV("name", "CONTOSO"), echoV: "d2",
		echoes: 1,
		check: func(t *testing.T, h *harness) {
			if got := h.log.Writes[0].Values; len(got) != 1 || got[0].Value != String("CONTOSO") {
				t.Errorf("case-only edit written as %v", got)
			}
		},
	}, {
		name:   "the source's own feed repeating the change is nothing",
		change: custFO("Name", "  Contoso "),
		ackVer: "d2", echo: custDV("name", "Contoso"), echoV: "d3",
		then: func(h *harness) {
			h.observe(plan.FO, "customer", c1, custFO("Name", "  Contoso "), "f2", at(30))
		},
		echoes: 1,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := seeded(t)
			h.observe(plan.FO, "customer", c1, tt.change, "f2", at(10))
			ws := h.take().Writes
			if len(ws) != 1 {
				t.Fatalf("the change made %d writes:\n%s", len(ws), show(ws))
			}
			h.step(WriteAcked{WriteID: ws[0].ID, NewVersion: tt.ackVer, Stored: tt.stored})
			before := h.e.Accounting().Echo
			h.observe(plan.DV, "customer", c1, tt.echo, tt.echoV, at(20))
			if tt.then != nil {
				tt.then(h)
			}
			if got := show(h.log.Writes[1:]); got != tt.want {
				t.Errorf("writes after the echo:\n%s\nwant:\n%s", got, tt.want)
			}
			if got := h.e.Accounting().Echo - before; got != tt.echoes {
				t.Errorf("%d echoes suppressed, want %d", got, tt.echoes)
			}
			if tt.check != nil {
				tt.check(t, h)
			}
		})
	}
}

// TestNoPingPong runs both sides with targets that normalise in opposite
// ways (F&O upper-cases, Dataverse lower-cases, trims and rounds decimals):
// every user edit makes exactly one write and the system goes quiet.
func TestNoPingPong(t *testing.T) {
	norm := func(s plan.Side, field string, v Value) Value {
		switch {
		case v.k == KindString && s == plan.FO:
			return String(strings.ToUpper(strings.TrimSpace(v.s)))
		case v.k == KindString && s == plan.DV:
			return String(strings.ToLower(strings.TrimSpace(v.s)))
		case v.k == KindDecimal && s == plan.DV:
			return Value{k: KindDecimal, s: roundDecimal(v.s, 4)}
		}
		return v
	}
	for _, noStored := range []bool{false, true} {
		name := "ack with stored values"
		if noStored {
			name = "ack without stored values"
		}
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, Config{})
			w.norm, w.noStored = norm, noStored
			steps := []struct {
				side plan.Side
				vals map[string]Value
			}{
				{plan.FO, custFO("Name", "  Contoso ", "Credit", MustDecimal("10.123456"))},
				{plan.DV, vals("telephone1", " 555-0199 ")},
				{plan.FO, vals("Name", "Contoso Holding")},
				{plan.DV, vals("name", "Contoso AG")},
			}
			for i, st := range steps {
				w.edit(st.side, "customer", c1, st.vals)
				w.run()
				if got := len(w.writes); got != i+1 {
					t.Fatalf("after edit %d: %d writes, want %d:\n%s", i+1, got, i+1, show(w.writes))
				}
			}
			w.run()
			if !w.e.Quiet() {
				t.Error("engine not quiet")
			}
			a := w.e.Accounting()
			if a.Echo == 0 || a.InFlight != 0 {
				t.Errorf("accounting %+v: want echoes and nothing in flight", a)
			}
			if got, want := w.fieldOf(plan.FO, "customer", c1, "Name"), String("CONTOSO AG"); got != want {
				t.Errorf("F&O name %v, want %v", got, want)
			}
		})
	}
}

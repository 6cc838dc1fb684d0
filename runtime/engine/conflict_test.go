package engine

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dualsync/dualsync/runtime/plan"
)

// concurrent plays edits made on both sides before the engine synced either:
// the first side's change is written to the other side with the old
// version, which fails with a version mismatch; the other side's row (which
// arrived meanwhile) is then merged with it.
func concurrent(h *harness, fo map[string]Value, foAt time.Time, dv map[string]Value, dvAt time.Time, dvFirst bool) {
	h.tb.Helper()
	first, second := plan.FO, plan.DV
	fv, sv, fat, sat, fver, sver := fo, dv, foAt, dvAt, "f2", "d2"
	if dvFirst {
		first, second = second, first
		fv, sv, fat, sat, fver, sver = dv, fo, dvAt, foAt, "d2", "f2"
	}
	h.observe(first, "customer", c1, fv, fver, fat)
	ws := h.take().Writes
	h.observe(second, "customer", c1, sv, sver, sat)
	if len(h.out.Writes) != 0 {
		h.tb.Fatalf("a write while another is in flight:\n%s", show(h.out.Writes))
	}
	for _, w := range ws {
		if w.Side == second {
			h.step(WriteFailed{WriteID: w.ID, Class: VersionMismatch, Status: 412})
		} else {
			h.ack(w, "v")
		}
	}
}

// Semantic 2: field-level conflicts, decided per field by the plan's rule,
// each logged with both values, the winner, the rule's position and why.
func TestFieldConflicts(t *testing.T) {
	type conflict struct {
		field  string
		fo, dv string
		winner plan.Side
		rule   Rule
		line   int
	}
	tests := []struct {
		name      string
		fo        map[string]Value
		foAt      int
		dv        map[string]Value
		dvAt      int
		dvFirst   bool
		want      string
		conflicts []conflict
	}{{
		name: "fo rule: f&o wins although dataverse is later",
		fo:   custFO("Name", "Contoso FO"), foAt: 10,
		dv: custDV("name", "Contoso DV"), dvAt: 20,
		want:      `dv upsert customer usmf|C1 @d2 name="Contoso FO"` + "\n",
		conflicts: []conflict{{"Name", `"Contoso FO"`, `"Contoso DV"`, plan.FO, RuleFO, 11}},
	}, {
		name: "dv rule: dataverse wins although f&o is later, value map applied",
		fo:   custFO("Contact", "Phone"), foAt: 30,
		dv: custDV("contactmethod", 192350000), dvAt: 20,
		want:      `fo upsert customer usmf|C1 @f2 Contact="Any"` + "\n",
		conflicts: []conflict{{"Contact", `"Phone"`, `192350000`, plan.DV, RuleDV, 15}},
	}, {
		name: "last write: dataverse later wins",
		fo:   custFO("Phone", "555-1111"), foAt: 10,
		dv: custDV("telephone1", "555-2222"), dvAt: 20,
		want:      `fo upsert customer usmf|C1 @f2 Phone="555-2222"` + "\n",
		conflicts: []conflict{{"Phone", `"555-1111"`, `"555-2222"`, plan.DV, RuleLastWrite, 13}},
	}, {
		name: "last write: f&o later wins",
		fo:   custFO("Phone", "555-1111"), foAt: 30,
		dv: custDV("telephone1", "555-2222"), dvAt: 20,
		want:      `dv upsert customer usmf|C1 @d2 telephone1="555-1111"` + "\n",
		conflicts: []conflict{{"Phone", `"555-1111"`, `"555-2222"`, plan.FO, RuleLastWrite, 13}},
	}, {
		name: "last write: a tie goes to f&o",
		fo:   custFO("Phone", "555-1111"), foAt: 20,
		dv: custDV("telephone1", "555-2222"), dvAt: 20,
		want:      `dv upsert customer usmf|C1 @d2 telephone1="555-1111"` + "\n",
		conflicts: []conflict{{"Phone", `"555-1111"`, `"555-2222"`, plan.FO, RuleLastWrite, 13}},
	}, {
		name: "last write: the order of observation does not matter",
		fo:   custFO("Phone", "555-1111"), foAt: 10,
		dv: custDV("telephone1", "555-2222"), dvAt: 20, dvFirst: true,
		want:      `fo upsert customer usmf|C1 @f2 Phone="555-2222"` + "\n",
		conflicts: []conflict{{"Phone", `"555-1111"`, `"555-2222"`, plan.DV, RuleLastWrite, 13}},
	}, {
		name: "edits to different fields merge without conflict",
		fo:   custFO("Name", "Contoso Ltd"), foAt: 10,
		dv: custDV("telephone1", "555-2222"), dvAt: 20,
		want: `fo upsert customer usmf|C1 @f2 Phone="555-2222"` + "\n" +
			`dv upsert customer usmf|C1 @d2 name="Contoso Ltd"` + "\n",
	}, {
		name: "the same new value on both sides is no conflict",
		fo:   custFO("Name", "Contoso Ltd"), foAt: 10,
		dv: custDV("name", "Contoso Ltd"), dvAt: 20,
		want: "",
	}, {
		name: "several fields decided by their own rules",
		fo:   custFO("Name", "N-FO", "Contact", "Phone", "Credit", MustDecimal("1")), foAt: 10,
		dv: custDV("name", "N-DV", "contactmethod", 192350000, "creditlimit", MustDecimal("2")), dvAt: 20,
		want: `fo upsert customer usmf|C1 @f2 Contact="Any"` + "\n" +
			`dv upsert customer usmf|C1 @d2 name="N-FO" creditlimit=1` + "\n",
		conflicts: []conflict{
			{"Name", `"N-FO"`, `"N-DV"`, plan.FO, RuleFO, 11},
			{"Contact", `"Phone"`, `192350000`, plan.DV, RuleDV, 15},
			{"Credit", `1`, `2`, plan.FO, RuleFO, 17},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := seeded(t)
			concurrent(h, tt.fo, at(tt.foAt), tt.dv, at(tt.dvAt), tt.dvFirst)
			out := h.take()
			if got := show(out.Writes); got != tt.want {
				t.Errorf("writes:\n%s\nwant:\n%s", got, tt.want)
			}
			if len(out.Conflicts) != len(tt.conflicts) {
				t.Fatalf("%d conflicts logged, want %d: %+v", len(out.Conflicts), len(tt.conflicts), out.Conflicts)
			}
			for i, want := range tt.conflicts {
				c := out.Conflicts[i]
				if c.Field != want.field || c.FO.String() != want.fo || c.DV.String() != want.dv ||
					c.Winner != want.winner || c.Rule != want.rule || c.Pos != pos(want.line) {
					t.Errorf("conflict %d = %+v\nwant %+v", i, c, want)
				}
				if c.Map != "customer" || c.Key != c1 || c.Why == "" || c.FOModified.IsZero() || c.DVModified.IsZero() {
					t.Errorf("conflict %d lacks context: %+v", i, c)
				}
			}
			// Acknowledge the resolution: both sides agree, nothing more to do.
			for _, w := range out.Writes {
				h.ack(w, "v2")
			}
			if !h.e.Quiet() || len(h.take().Writes) != 0 {
				t.Errorf("not quiet after the conflict was resolved")
			}
		})
	}
}

// Semantic 3: a one-way field in a bidirectional map. The owning side's
// value is re-asserted on the other side and the edit is reported.
func TestOneWayField(t *testing.T) {
	tests := []struct {
		name     string
		run      func(h *harness)
		want     string
		conflict string // winner and values of the logged conflict, if any
	}{{
		name: "a dataverse edit is overwritten and reported",
		run: func(h *harness) {
			h.observe(plan.DV, "customer", c1, custDV("statuscode", "Blocked"), "d2", at(10))
		},
		want:     `dv upsert customer usmf|C1 @d2 statuscode="Active"` + "\n",
		conflict: `fo one_way "Active" "Blocked"`,
	}, {
		name: "an f&o edit flows as usual",
		run: func(h *harness) {
			h.observe(plan.FO, "customer", c1, custFO("Status", "Hold"), "f2", at(10))
		},
		want: `dv upsert customer usmf|C1 @d1 statuscode="Hold"` + "\n",
	}, {
		name: "the owner wins a concurrent edit although it is older",
		run: func(h *harness) {
			concurrent(h, custFO("Status", "Hold"), at(10), custDV("statuscode", "Blocked"), at(20), false)
		},
		want: `dv upsert customer usmf|C1 @d1 statuscode="Hold"` + "\n" +
			`dv upsert customer usmf|C1 @d2 statuscode="Hold"` + "\n",
		conflict: `fo one_way "Hold" "Blocked"`,
	}, {
		name: "other fields of the same dataverse edit still flow",
		run: func(h *harness) {
			h.observe(plan.DV, "customer", c1, custDV("statuscode", "Blocked", "telephone1", "555-3333"), "d2", at(10))
		},
		want: `fo upsert customer usmf|C1 @f1 Phone="555-3333"` + "\n" +
			`dv upsert customer usmf|C1 @d2 statuscode="Active"` + "\n",
		conflict: `fo one_way "Active" "Blocked"`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := seeded(t)
			tt.run(h)
			if got := show(h.log.Writes); got != tt.want {
				t.Errorf("writes:\n%s\nwant:\n%s", got, tt.want)
			}
			cs := h.out.Conflicts
			switch {
			case tt.conflict == "" && len(cs) > 0:
				t.Errorf("unexpected conflicts: %+v", cs)
			case tt.conflict != "":
				if len(cs) != 1 {
					t.Fatalf("%d conflicts, want 1: %+v", len(cs), cs)
				}
				c := cs[0]
				if got := string(c.Winner) + " " + string(c.Rule) + " " + c.FO.String() + " " + c.DV.String(); got != tt.conflict {
					t.Errorf("conflict %q, want %q", got, tt.conflict)
				}
				if c.Field != "Status" || c.Pos != pos(21) || !strings.Contains(c.Why, "credit control owns the status") {
					t.Errorf("conflict lacks its rule: %+v", c)
				}
			}
			// The re-asserted value comes back as an echo: quiet, no ping-pong.
			out := h.take()
			for _, w := range out.Writes {
				h.ack(w, "v3")
			}
			for _, w := range out.Writes {
				if w.Side == plan.DV {
					h.observe(plan.DV, "customer", c1, nil, "v3", at(30))
				}
			}
			if len(h.take().Writes) != 0 || !h.e.Quiet() {
				t.Error("not quiet after the re-assertion")
			}
		})
	}
}

// A one-way field edited on the wrong side while the owner's change to it
// is in the error queue: the owner's base lags its row, so the engine reads
// the owner first and re-asserts its current value (not the older one of
// its base); that write carries the failed field and resolves the entry.
func TestOneWayAfterQueuedWrite(t *testing.T) {
	tests := []struct {
		name   string
		owner  map[string]Value // the F&O row the read finds
		want   string
		winner string // the logged conflict's F&O value
	}{{
		name:   "the queued value is re-asserted",
		owner:  custFO("Status", "Hold"),
		want:   `dv upsert customer usmf|C1 @d2 statuscode="Hold"` + "\n",
		winner: `"Hold"`,
	}, {
		name:   "the owner's newer value is re-asserted",
		owner:  custFO("Status", "Closed"),
		want:   `dv upsert customer usmf|C1 @d2 statuscode="Closed"` + "\n",
		winner: `"Closed"`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := seeded(t)
			h.observe(plan.FO, "customer", c1, custFO("Status", "Hold"), "f2", at(10))
			h.fail(Validation)
			queued := h.open()
			h.take()
			h.observe(plan.DV, "customer", c1, custDV("statuscode", "Blocked"), "d2", at(20))
			if len(h.out.Writes) != 0 {
				t.Fatalf("written from the owner's lagging base:\n%s", show(h.out.Writes))
			}
			if got, want := showReads(h.out.Reads), "fo customer usmf|C1\n"; got != want {
				t.Fatalf("reads:\n%s\nwant:\n%s", got, want)
			}
			h.answer(map[plan.Side]Observed{plan.FO: {Values: tt.owner, Version: "f2", Modified: at(10)}})
			out := h.take()
			if got := show(out.Writes); got != tt.want {
				t.Errorf("writes:\n%s\nwant:\n%s", got, tt.want)
			}
			if len(out.Conflicts) != 1 || out.Conflicts[0].Rule != RuleOneWay || out.Conflicts[0].FO.String() != tt.winner {
				t.Errorf("conflicts %+v, want the one-way re-assertion of %s", out.Conflicts, tt.winner)
			}
			for _, w := range out.Writes {
				h.ack(w, "d3")
			}
			if open := h.open(); len(open) != 0 || !slices.Contains(h.log.Resolved, queued[0]) {
				t.Errorf("open entries %v, want %v resolved", open, queued)
			}
		})
	}
}

// last_write compares the rows' modified times as their users left them:
// a time the engine's own write put on a row (another field re-asserted)
// does not make that side's older edit the later one.
func TestLastWriteIgnoresOwnWrites(t *testing.T) {
	tests := []struct {
		name   string
		foAt   int // F&O's edit of Phone; Dataverse edited it at 20
		want   string
		winner plan.Side
	}{
		{"a tie goes to f&o", 20, `dv upsert customer usmf|C1 @d3 telephone1="555-1111"` + "\n", plan.FO},
		{"a later f&o edit wins", 25, `dv upsert customer usmf|C1 @d3 telephone1="555-1111"` + "\n", plan.FO},
		{"a later dataverse edit wins", 15, `fo upsert customer usmf|C1 @f2 Phone="555-2222"` + "\n", plan.DV},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := seeded(t)
			// Dataverse edits Phone (last_write) and Status (owned by F&O).
			h.observe(plan.DV, "customer", c1, custDV("telephone1", "555-2222", "statuscode", "Blocked"), "d2", at(20))
			for _, w := range h.take().Writes {
				if w.Side == plan.FO {
					h.step(WriteFailed{WriteID: w.ID, Class: Validation, Status: 400})
				} else {
					// The re-asserted status: Dataverse's row is now modified
					// by the engine, at 21.
					h.step(WriteAcked{WriteID: w.ID, NewVersion: "d3", Modified: at(21)})
				}
			}
			// The row comes back (the engine's own version) and Phone is
			// sent again; F&O has edited it meanwhile.
			h.observe(plan.DV, "customer", c1, custDV("telephone1", "555-2222"), "d3", at(21))
			for _, w := range h.take().Writes {
				h.step(WriteFailed{WriteID: w.ID, Class: VersionMismatch, Status: 412})
			}
			h.answer(map[plan.Side]Observed{plan.FO: {Values: custFO("Phone", "555-1111"), Version: "f2", Modified: at(tt.foAt)}})
			out := h.take()
			if got := show(out.Writes); got != tt.want {
				t.Errorf("writes:\n%s\nwant:\n%s", got, tt.want)
			}
			if len(out.Conflicts) != 1 {
				t.Fatalf("conflicts %+v, want one", out.Conflicts)
			}
			if c := out.Conflicts[0]; c.Rule != RuleLastWrite || c.Winner != tt.winner || !c.DVModified.Equal(at(20)) {
				t.Errorf("conflict %+v: want %s by last_write, with Dataverse's edit at %s", c, tt.winner, at(20))
			}
		})
	}
}

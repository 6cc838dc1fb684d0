package engine

import (
	"testing"

	"github.com/dualsync/dualsync/runtime/plan"
)

// Semantic 4: optimistic writes. Every update carries the target's last
// known version; a version mismatch reads the record again and merges again.
func TestOptimisticWrites(t *testing.T) {
	mismatch := func(h *harness) {
		h.tb.Helper()
		for _, w := range h.take().Writes {
			h.step(WriteFailed{WriteID: w.ID, Class: VersionMismatch, Status: 412, Message: "The version of the existing record doesn't match"})
		}
	}
	tests := []struct {
		name  string
		cfg   Config
		run   func(h *harness)
		reads int
		want  string // writes after the script
		queue Class
	}{{
		name: "updates carry the target's version, creates none",
		run: func(h *harness) {
			h.observe(plan.FO, "customer", c1, custFO("Name", "X"), "f2", at(10))
			h.observe(plan.DV, "customer", "usmf|C2", custDV("name", "Y"), "d7", at(10))
		},
		want: `dv upsert customer usmf|C1 @d1 name="X"` + "\n" +
			`fo upsert customer usmf|C2 create Name="Y" Phone="555-0100" Contact="Email" Credit=100.5 Group=null Type="Organization" Primary=null` + "\n",
	}, {
		name: "a mismatch asks for a re-read and writes nothing until it comes",
		run: func(h *harness) {
			h.observe(plan.FO, "customer", c1, custFO("Name", "X"), "f2", at(10))
			mismatch(h)
		},
		reads: 1,
		want:  "",
	}, {
		name: "the fresh row is merged, and the write carries its version",
		run: func(h *harness) {
			h.observe(plan.FO, "customer", c1, custFO("Name", "X"), "f2", at(10))
			mismatch(h)
			h.observe(plan.DV, "customer", c1, custDV("telephone1", "555-9999"), "d5", at(20))
		},
		reads: 1,
		want: `fo upsert customer usmf|C1 @f2 Phone="555-9999"` + "\n" +
			`dv upsert customer usmf|C1 @d5 name="X"` + "\n",
	}, {
		name: "the fresh row may already have the change",
		run: func(h *harness) {
			h.observe(plan.FO, "customer", c1, custFO("Name", "X"), "f2", at(10))
			mismatch(h)
			h.observe(plan.DV, "customer", c1, custDV("name", "X"), "d5", at(20))
		},
		reads: 1,
		want:  "",
	}, {
		name: "a record that exists after all is merged, not overwritten",
		run: func(h *harness) {
			h.observe(plan.FO, "customer", "usmf|C9", custFO("Name", "New"), "f1", at(10))
			mismatch(h) // the create met an existing record
			h.observe(plan.DV, "customer", "usmf|C9", custDV("name", "Old", "telephone1", "555-0100"), "d3", at(5))
		},
		reads: 1,
		// First pairing: the master (F&O) wins the differing field.
		want: `dv upsert customer usmf|C9 @d3 name="New"` + "\n",
	}, {
		name: "mismatches in a row end in the error queue",
		cfg:  Config{MaxRereads: 2},
		run: func(h *harness) {
			h.observe(plan.FO, "customer", c1, custFO("Name", "X"), "f2", at(10))
			for i, ver := range []string{"d5", "d6"} {
				mismatch(h)
				h.observe(plan.DV, "customer", c1, custDV(), ver, at(20+i))
			}
			mismatch(h) // the third in a row
		},
		reads: 2,
		want:  "",
		queue: VersionMismatch,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.cfg)
			h.seed("customer", c1, custFO(), custDV())
			tt.run(h)
			out := h.take()
			if got := show(out.Writes); got != tt.want {
				t.Errorf("writes:\n%s\nwant:\n%s", got, tt.want)
			}
			if got := len(h.log.Reads); got != tt.reads {
				t.Errorf("%d reads, want %d", got, tt.reads)
			}
			if tt.queue != "" {
				if len(out.Errors) != 1 || out.Errors[0].Class != tt.queue {
					t.Errorf("errors %+v, want one of class %s", out.Errors, tt.queue)
				}
			} else if len(out.Errors) > 0 {
				t.Errorf("unexpected errors %+v", out.Errors)
			}
		})
	}
}

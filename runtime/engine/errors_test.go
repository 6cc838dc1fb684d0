package engine

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dualsync/dualsync/runtime/plan"
)

// maxRand always draws the largest value: backoff is then exactly the
// doubled delay, which makes due times easy to test.
type maxRand struct{}

func (maxRand) Int63n(n int64) int64 { return n - 1 }

// Semantic 7: error classes, each with its handling.
func TestErrorClasses(t *testing.T) {
	type failFunc func(n int) *WriteFailed // the n-th try of the change; nil acks
	always := func(f WriteFailed) failFunc { return func(int) *WriteFailed { return &f } }
	times := func(k int, f WriteFailed) failFunc {
		return func(n int) *WriteFailed {
			if n <= k {
				return &f
			}
			return nil
		}
	}
	tests := []struct {
		name     string
		fail     failFunc
		tries    int   // writes sent for the change
		class    Class // error-queue class, "" when applied
		attempts int
		field    string
		line     int
	}{
		{"throttled waits and is never an error", times(4, WriteFailed{Class: Throttled, Status: 429, RetryAfter: 20 * time.Second}), 5, "", 0, "", 0},
		{"transient is retried", times(2, WriteFailed{Class: Transient, Status: 503}), 3, "", 0, "", 0},
		{"transient gives up after the plan's attempts", always(WriteFailed{Class: Transient, Status: 500, Message: "An error has occurred."}), 3, Transient, 3, "", 8},
		{"plug-in exception is retried, then queued", always(WriteFailed{Class: Plugin, Status: 400, Code: "0x80040265", Message: "credit check failed"}), 3, Plugin, 3, "", 8},
		{"validation is queued at once", always(WriteFailed{Class: Validation, Status: 400, Message: "name is too long"}), 1, Validation, 1, "", 8},
		{"missing mapping is queued at once, with the field", always(WriteFailed{Class: MissingMapping, Status: 400, Field: "telephone1", Message: "Could not find a property named 'telephone1'"}), 1, MissingMapping, 1, "telephone1", 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := seeded(t)
			h.observe(plan.FO, "customer", c1, custFO("Phone", "555-7777"), "f2", at(10))
			sent := 0
			for i := 0; i < 20; i++ {
				ws := h.take().Writes
				for _, w := range ws {
					sent++
					if w.Attempt != sent {
						t.Errorf("write %d has attempt %d", sent, w.Attempt)
					}
					if f := tt.fail(sent); f != nil {
						f.WriteID = w.ID
						h.step(*f)
					} else {
						h.ack(w, "d2")
					}
				}
				// Meanwhile, other records keep flowing.
				h.observe(plan.DV, "group", "usmf|G"+string(rune('A'+i)), vals("name", "g"), "d1", at(10))
				h.ackAll("f1")
				h.tick(30 * time.Second)
			}
			if sent != tt.tries {
				t.Errorf("%d tries, want %d", sent, tt.tries)
			}
			errs := h.log.Errors
			if tt.class == "" {
				if len(errs) != 0 {
					t.Errorf("errors %+v, want none", errs)
				}
				if a := h.e.Accounting(); a.Applied < 1 || a.Queued != 0 {
					t.Errorf("accounting %+v: not applied", a)
				}
				return
			}
			if len(errs) != 1 {
				t.Fatalf("%d error entries, want 1: %+v", len(errs), errs)
			}
			en := errs[0]
			if en.Class != tt.class || en.Attempts != tt.attempts || en.Field != tt.field || en.Pos != pos(tt.line) {
				t.Errorf("entry %+v\nwant class %s, attempts %d, field %q, line %d", en, tt.class, tt.attempts, tt.field, tt.line)
			}
			if en.Map != "customer" || en.Key != c1 || en.Side != plan.DV || en.Source != plan.FO ||
				!strings.Contains(en.Message, string(tt.class)) || en.First.IsZero() || en.Last.IsZero() {
				t.Errorf("entry lacks context: %+v", en)
			}
			if v, _ := get(en.Values, "Phone"); v != String("555-7777") {
				t.Errorf("entry values %v lack the raw change", en.Values)
			}
			if a := h.e.Accounting(); a.Queued != 1 || a.InFlight != 0 {
				t.Errorf("accounting %+v, want one queued", a)
			}
		})
	}
}

// Retries are sent when a Tick passes their due time, which is the plan's
// backoff (doubled per retry, capped) with jitter from the injected source.
func TestRetryTiming(t *testing.T) {
	tests := []struct {
		name  string
		fail  WriteFailed
		waits []time.Duration // due time of each retry after its failure
	}{
		{"transient backs off exponentially", WriteFailed{Class: Transient, Status: 503}, []time.Duration{time.Second, 2 * time.Second}},
		{"throttled waits for Retry-After", WriteFailed{Class: Throttled, Status: 429, RetryAfter: 45 * time.Second}, []time.Duration{45 * time.Second, 45 * time.Second, 45 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Config{Rand: maxRand{}})
			h.seed("customer", c1, custFO(), custDV())
			h.observe(plan.FO, "customer", c1, custFO("Phone", "555-7777"), "f2", at(10))
			for i, wait := range tt.waits {
				ws := h.take().Writes
				if len(ws) != 1 {
					t.Fatalf("retry %d: %d writes", i, len(ws))
				}
				f := tt.fail
				f.WriteID = ws[0].ID
				h.step(f)
				h.tick(wait - time.Millisecond)
				if len(h.out.Writes) != 0 {
					t.Fatalf("retry %d sent before %s", i+1, wait)
				}
				h.tick(time.Millisecond)
				if len(h.out.Writes) != 1 {
					t.Fatalf("retry %d not sent at %s", i+1, wait)
				}
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	e, err := New(testPlan(t), Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := e.byName["customer"] // 1 s initial, 8 s maximum
	for _, tt := range []struct {
		rnd      Rand
		n        int
		min, max time.Duration
	}{
		{maxRand{}, 1, time.Second, time.Second},
		{maxRand{}, 2, 2 * time.Second, 2 * time.Second},
		{maxRand{}, 4, 8 * time.Second, 8 * time.Second},
		{maxRand{}, 9, 8 * time.Second, 8 * time.Second},
		{&splitMix{state: 7}, 3, 2 * time.Second, 4 * time.Second},
		{maxRand{}, 4, 5 * time.Second, 5 * time.Second}, // with a 5 s maximum
	} {
		e.rand = tt.rnd
		m.retry.MaxBackoffMS = 8000
		if tt.max == 5*time.Second {
			m.retry.MaxBackoffMS = 5000
		}
		for range 50 {
			if d := e.backoff(m, tt.n); d < tt.min || d > tt.max {
				t.Errorf("backoff(%d) = %s, want within [%s, %s]", tt.n, d, tt.min, tt.max)
			}
		}
	}
}

// showReads formats reads for comparisons.
func showReads(rs []Read) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(string(r.Side) + " " + r.Map + " " + r.Key + "\n")
	}
	return b.String()
}

// fail fails every collected write with class c (a validation error when
// c is empty), and returns them.
func (h *harness) fail(c Class) []Write {
	h.tb.Helper()
	if c == "" {
		c = Validation
	}
	ws := h.take().Writes
	for _, w := range ws {
		h.step(WriteFailed{WriteID: w.ID, Class: c, Status: 400, Message: "refused"})
	}
	return ws
}

// answer answers every collected read with the row of its side in rows.
func (h *harness) answer(rows map[plan.Side]Observed) {
	h.tb.Helper()
	rs := h.out.Reads
	h.out.Reads = nil
	for _, r := range rs {
		o, ok := rows[r.Side]
		if !ok {
			h.tb.Fatalf("no answer for the read of %s %s %s", r.Side, r.Map, r.Key)
		}
		o.Side, o.Map, o.Key = r.Side, r.Map, r.Key
		h.step(o)
	}
}

// open returns the IDs of the error-queue entries open after everything
// logged since the seed.
func (h *harness) open() []string {
	var ids []string
	for _, en := range h.log.Errors {
		if !slices.Contains(ids, en.ID) {
			ids = append(ids, en.ID)
		}
	}
	return slices.DeleteFunc(ids, func(id string) bool { return slices.Contains(h.log.Resolved, id) })
}

// A retried error-queue entry is merged from fresh rows of both sides, not
// replayed from the values the entry saved (the record may have moved on
// since), and stays in the queue until the retry settles.
func TestRetryError(t *testing.T) {
	foRow := func(ver string, mod int, kv ...any) Observed {
		return Observed{Values: custFO(kv...), Version: ver, Modified: at(mod)}
	}
	dvRow := func(ver string, mod int, kv ...any) Observed {
		return Observed{Values: custDV(kv...), Version: ver, Modified: at(mod)}
	}
	queueName := func(h *harness) {
		h.observe(plan.FO, "customer", c1, custFO("Name", "A"), "f2", at(10))
		h.fail(Validation)
	}
	tests := []struct {
		name  string
		queue func(h *harness) // puts a change to Dataverse in the queue
		rows  map[plan.Side]Observed
		reads string
		want  string // writes of the retry
		fail  bool   // they fail again
		open  int    // entries open at the end
		fresh bool   // the open entry is a new one
	}{{
		name:  "the source moved on: its current value is written, not the saved one",
		queue: queueName,
		rows:  map[plan.Side]Observed{plan.FO: foRow("f3", 20, "Name", "B"), plan.DV: dvRow("d1", 0)},
		reads: "fo customer usmf|C1\ndv customer usmf|C1\n",
		want:  `dv upsert customer usmf|C1 @d1 name="B"` + "\n",
	}, {
		name:  "the source undid its change: nothing to write, the entry is resolved",
		queue: queueName,
		rows:  map[plan.Side]Observed{plan.FO: foRow("f3", 20), plan.DV: dvRow("d1", 0)},
		reads: "fo customer usmf|C1\ndv customer usmf|C1\n",
		want:  "",
	}, {
		name:  "the target moved on: its edit is merged, not overwritten",
		queue: queueName,
		rows:  map[plan.Side]Observed{plan.FO: foRow("f2", 10, "Name", "A"), plan.DV: dvRow("d2", 20, "telephone1", "555-2222")},
		reads: "fo customer usmf|C1\ndv customer usmf|C1\n",
		want: `fo upsert customer usmf|C1 @f2 Phone="555-2222"` + "\n" +
			`dv upsert customer usmf|C1 @d2 name="A"` + "\n",
	}, {
		name:  "a retry that fails again is a new entry",
		queue: queueName,
		rows:  map[plan.Side]Observed{plan.FO: foRow("f2", 10, "Name", "A"), plan.DV: dvRow("d1", 0)},
		reads: "fo customer usmf|C1\ndv customer usmf|C1\n",
		want:  `dv upsert customer usmf|C1 @d1 name="A"` + "\n",
		fail:  true, open: 1, fresh: true,
	}, {
		name: "a failed propagated delete is sent again",
		queue: func(h *harness) {
			h.deleted(plan.FO, "customer", c1, at(20))
			for range 3 { // the map's attempts
				h.fail(Transient)
				h.tick(time.Minute)
			}
		},
		want: "dv delete customer usmf|C1 @d1\n",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := seeded(t)
			tt.queue(h)
			queued := h.open()
			if len(queued) != 1 {
				t.Fatalf("entries %+v, want one queued", h.log.Errors)
			}
			h.take()
			h.step(RetryError{ID: queued[0]})
			if len(h.out.Resolved) != 0 {
				t.Errorf("entry resolved before the retry settled")
			}
			if got := showReads(h.out.Reads); got != tt.reads {
				t.Fatalf("reads:\n%s\nwant:\n%s", got, tt.reads)
			}
			if tt.reads != "" && len(h.out.Writes) != 0 {
				t.Fatalf("writes before the reads were answered:\n%s", show(h.out.Writes))
			}
			h.answer(tt.rows)
			ws := h.out.Writes
			if got := show(ws); got != tt.want {
				t.Errorf("writes:\n%s\nwant:\n%s", got, tt.want)
			}
			if tt.fail {
				h.fail(Validation)
			} else {
				h.ackAll("v9")
			}
			open := h.open()
			if len(open) != tt.open || (tt.fresh && open[0] == queued[0]) {
				t.Errorf("open entries %v (queued %v), want %d (new: %t)", open, queued, tt.open, tt.fresh)
			}
			if !h.e.Quiet() {
				t.Error("not quiet")
			}
		})
	}
}

// A second failure adds to the record's entry: the first failed change is
// still reported, retried and, when discarded, accepted.
func TestErrorEntryAccumulates(t *testing.T) {
	tests := []struct {
		name   string
		then   func(h *harness)
		fields string // the open entry's fields, "" when none is open
		want   string // writes of then
	}{{
		name:   "both failed fields are listed, with their latest values",
		then:   func(h *harness) {},
		fields: "name,telephone1",
	}, {
		name: "writing one of them keeps the entry for the other",
		then: func(h *harness) {
			h.observe(plan.FO, "customer", c1, vals("Phone", "555-0008"), "f4", at(12))
			h.ackAll("d2")
		},
		fields: "name",
		want:   `dv upsert customer usmf|C1 @d1 telephone1="555-0008"` + "\n",
	}, {
		name: "writing both resolves it",
		then: func(h *harness) {
			h.observe(plan.FO, "customer", c1, vals("Phone", "555-0008"), "f4", at(12))
			h.ackAll("d2")
			h.observe(plan.FO, "customer", c1, vals("Name", "A"), "f5", at(13))
			h.ackAll("d3")
		},
		want: `dv upsert customer usmf|C1 @d1 telephone1="555-0008"` + "\n" +
			`dv upsert customer usmf|C1 @d2 name="A"` + "\n",
	}, {
		name: "discarding it accepts both",
		then: func(h *harness) {
			h.step(DiscardError{ID: h.open()[0]})
			h.observe(plan.FO, "customer", c1, custFO("Name", "A", "Phone", "555-0007"), "f4", at(12))
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := seeded(t)
			// Two failures of changes to different fields (rows that carry
			// only the changed field).
			h.observe(plan.FO, "customer", c1, vals("Name", "A"), "f2", at(10))
			h.fail(Validation)
			h.observe(plan.FO, "customer", c1, vals("Phone", "555-0007"), "f3", at(11))
			h.fail(Validation)
			en := h.log.Errors[len(h.log.Errors)-1]
			if n, _ := get(en.Values, "Name"); n != String("A") {
				t.Errorf("entry values %v lack the first change", en.Values)
			}
			if p, _ := get(en.Values, "Phone"); p != String("555-0007") {
				t.Errorf("entry values %v lack the second change", en.Values)
			}
			h.log.Writes = nil
			tt.then(h)
			if got := show(h.log.Writes); got != tt.want {
				t.Errorf("writes:\n%s\nwant:\n%s", got, tt.want)
			}
			open := h.open()
			got := ""
			if len(open) == 1 {
				for _, en := range h.log.Errors {
					if en.ID == open[0] {
						got = strings.Join(en.Fields, ",")
					}
				}
			} else if len(open) > 1 {
				t.Fatalf("%d entries open, want at most one", len(open))
			}
			if got != tt.fields {
				t.Errorf("open entry's fields %q, want %q", got, tt.fields)
			}
		})
	}
}

// An entry is resolved by writes that carried its failed fields with the
// values that failed or newer ones, never by a write of an older value.
func TestResolveCovered(t *testing.T) {
	tests := []struct {
		name     string
		fws      func(i int) []fieldWrite // i: the index of Status
		resolved bool
	}{
		{"a fresh value of the field", func(i int) []fieldWrite {
			return []fieldWrite{{i: i, src: fo, fresh: true, srcVal: String("Closed"), val: String("Closed")}}
		}, true},
		{"the very value that failed", func(i int) []fieldWrite {
			return []fieldWrite{{i: i, src: fo, srcVal: String("Hold"), val: String("Hold")}}
		}, true},
		{"an older value from the merge base", func(i int) []fieldWrite {
			return []fieldWrite{{i: i, src: fo, srcVal: String("Active"), val: String("Active")}}
		}, false},
		{"another field only", func(i int) []fieldWrite {
			return []fieldWrite{{i: 0, src: fo, fresh: true, srcVal: String("N"), val: String("N")}}
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := seeded(t)
			h.observe(plan.FO, "customer", c1, custFO("Status", "Hold"), "f2", at(10))
			h.fail(Validation)
			m := h.e.byName["customer"]
			h.e.resolveCovered(m, m.recs[c1], dv, tt.fws(m.byName[fo]["Status"]))
			if got := len(h.e.errs) == 0; got != tt.resolved {
				t.Errorf("resolved %t, want %t", got, tt.resolved)
			}
		})
	}
}

// A retried propagated delete that meets an edit on the other side reads it
// again and still deletes (the delete wins, and the edit is logged).
func TestRetriedDeleteMeetsEdit(t *testing.T) {
	h := seeded(t)
	h.deleted(plan.FO, "customer", c1, at(20))
	for range 3 {
		h.fail(Transient)
		h.tick(time.Minute)
	}
	h.take()
	h.step(RetryError{ID: h.open()[0]})
	for _, w := range h.take().Writes {
		h.step(WriteFailed{WriteID: w.ID, Class: VersionMismatch, Status: 412})
	}
	h.answer(map[plan.Side]Observed{plan.DV: {Values: custDV("name", "edited"), Version: "d2", Modified: at(30)}})
	out := h.take()
	if got, want := show(out.Writes), "dv delete customer usmf|C1 @d2\n"; got != want {
		t.Errorf("writes:\n%s\nwant:\n%s", got, want)
	}
	if len(out.Conflicts) != 1 || out.Conflicts[0].Rule != RuleDelete {
		t.Errorf("conflicts %+v, want the edit lost to the delete", out.Conflicts)
	}
	for _, w := range out.Writes {
		h.ack(w, "")
	}
	if open := h.open(); len(open) != 0 || !h.e.Quiet() {
		t.Errorf("open entries %v, quiet %t", open, h.e.Quiet())
	}
}

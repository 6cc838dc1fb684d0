package engine

import (
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

package fake

import (
	"testing"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
)

// outcomes runs n reads of the customer entity set, one a second, and
// returns what each got: "ok", a status, or "net".
func outcomes(s *FO, clock *Clock, n int, set string) []string {
	var out []string
	for range n {
		_, err := s.API().List(set, Query{})
		switch e, _ := err.(*Error); {
		case err == nil:
			out = append(out, "ok")
		case e.Network:
			out = append(out, "net")
		default:
			out = append(out, e.Error()[4:7])
		}
		clock.Advance(time.Second)
	}
	return out
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault Fault
		set   string
		want  string // outcomes of 6 reads, one a second
	}{
		{"none", Fault{Kind: FaultLatency}, "CustomersV3", "ok ok ok ok ok ok"},
		{"outage", Fault{Kind: FaultOutage}, "CustomersV3", "net net net net net net"},
		{"outage of another set", Fault{Kind: FaultOutage, Set: "ProductsV2"}, "CustomersV3", "ok ok ok ok ok ok"},
		{"outage of a map's set", Fault{Kind: FaultOutage, Map: "customer"}, "CustomersV3", "net net net net net net"},
		{"outage of writes", Fault{Kind: FaultOutage, Ops: WriteOps}, "CustomersV3", "ok ok ok ok ok ok"},
		{"transient twice", Fault{Kind: FaultTransient, Count: 2}, "CustomersV3", "503 503 ok ok ok ok"},
		{"transient 500", Fault{Kind: FaultTransient, Status: 500, Count: 1}, "CustomersV3", "500 ok ok ok ok ok"},
		{"network once", Fault{Kind: FaultNetwork, Count: 1}, "CustomersV3", "net ok ok ok ok ok"},
		{"throttle 2 per 3 s", Fault{Kind: FaultThrottle, Limit: 2, Window: 3 * time.Second}, "CustomersV3", "ok ok 429 ok ok 429"},
		{"throttling storm", Fault{Kind: FaultThrottle, Count: 4, RetryAfter: 5 * time.Second}, "CustomersV3", "429 429 429 429 ok ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clock := newFO(t, Config{})
			if err := s.SetFault(tt.fault); err != nil {
				t.Fatal(err)
			}
			got := outcomes(s, clock, 6, tt.set)
			if g := join(got); g != tt.want {
				t.Errorf("got %s, want %s", g, tt.want)
			}
		})
	}
}

func join(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += " "
		}
		out += s
	}
	return out
}

func TestThrottleRetryAfter(t *testing.T) {
	for _, side := range []string{"fo", "dv"} {
		t.Run(side, func(t *testing.T) {
			var err error
			var clock *Clock
			f := Fault{Kind: FaultThrottle, Limit: 1, Window: 10 * time.Second}
			if side == "fo" {
				var s *FO
				s, clock = newFO(t, Config{Faults: []Fault{f}})
				must[[]Row](t)(s.API().List("CustomersV3", Query{}))
				clock.Advance(3 * time.Second)
				_, err = s.API().List("CustomersV3", Query{})
			} else {
				var s *DV
				s, clock = newDV(t, Config{Faults: []Fault{f}})
				must[DeltaPage](t)(s.API().Changes("accounts", "", 0))
				clock.Advance(3 * time.Second)
				_, err = s.API().Changes("accounts", "", 0)
			}
			e := asError(t, err)
			if e.Status != 429 || e.RetryAfter != 7*time.Second {
				t.Fatalf("got %v retry after %v, want 429 after 7s", e, e.RetryAfter)
			}
			if side == "dv" && e.Code != dsruntime.CodeRequestLimitReached {
				t.Errorf("code %s", e.Code)
			}
			if f := dsruntime.Classify(e.Service()); f.Class != engine.Throttled || f.RetryAfter != 7*time.Second {
				t.Errorf("classified %+v", f)
			}
		})
	}
}

func TestFaultRatesAreSeeded(t *testing.T) {
	run := func(seed uint64) string {
		s, clock := newFO(t, Config{Seed: seed, Faults: []Fault{{Kind: FaultTransient, Rate: 0.3}}})
		return join(outcomes(s, clock, 40, "CustomersV3"))
	}
	a, b, c := run(1), run(1), run(2)
	if a != b {
		t.Errorf("same seed, different faults:\n%s\n%s", a, b)
	}
	if a == c {
		t.Errorf("different seeds, same faults: %s", a)
	}
	s, clock := newFO(t, Config{Seed: 3, Faults: []Fault{{Kind: FaultTransient, Rate: 0.3}}})
	n := 0
	for _, o := range outcomes(s, clock, 200, "CustomersV3") {
		if o == "503" {
			n++
		}
	}
	if n < 30 || n > 90 {
		t.Errorf("rate 0.3 failed %d of 200 requests", n)
	}
}

func TestLatencyMovesTheClock(t *testing.T) {
	s, clock := newFO(t, Config{Faults: []Fault{{Kind: FaultLatency, Latency: 250 * time.Millisecond}}})
	start := clock.Now()
	r := must[Row](t)(s.API().Create("CustomersV3", vals("dataAreaId", "usmf", "CustomerAccount", "C1")))
	must[[]Row](t)(s.API().List("CustomersV3", Query{}))
	if got := clock.Now().Sub(start); got != 500*time.Millisecond {
		t.Errorf("two requests took %v, want 500ms", got)
	}
	if r.Modified.After(start.Add(time.Second)) {
		t.Errorf("modified %v", r.Modified)
	}
	// User edits are not requests.
	must[Row](t)(s.Put("CustomersV3", "usmf|C1", vals("AddressCity", "Oslo")))
	if got := clock.Now().Sub(start); got != 500*time.Millisecond {
		t.Errorf("a user edit took time: %v", got)
	}
}

func TestFaultAPI(t *testing.T) {
	s, clock := newFO(t, Config{})
	if err := s.SetFault(Fault{Kind: "meteor"}); err == nil {
		t.Error("unknown kind accepted")
	}
	if err := s.SetFault(Fault{Kind: FaultOutage, Map: "nomap"}); err == nil {
		t.Error("unknown map accepted")
	}
	if err := s.SetFault(Fault{Kind: FaultTransient, Rate: 2}); err == nil {
		t.Error("rate 2 accepted")
	}
	must[struct{}](t)(struct{}{}, s.SetFault(Fault{Name: "a", Kind: FaultOutage}))
	must[struct{}](t)(struct{}{}, s.SetFault(Fault{Name: "b", Kind: FaultTransient, Count: 3}))
	must[struct{}](t)(struct{}{}, s.SetFault(Fault{Name: "a", Kind: FaultOutage, Set: "ProductsV2"})) // replaces a
	if fs := s.Faults(); len(fs) != 2 || fs[0].Set != "ProductsV2" {
		t.Errorf("faults %+v", fs)
	}
	if got := join(outcomes(s, clock, 1, "CustomersV3")); got != "503" {
		t.Errorf("got %s", got)
	}
	if fs := s.Faults(); fs[1].Count != 2 {
		t.Errorf("count left %d, want 2", fs[1].Count)
	}
	s.ClearFault("b")
	if got := join(outcomes(s, clock, 1, "CustomersV3")); got != "ok" {
		t.Errorf("after ClearFault: %s", got)
	}
	s.ClearFaults()
	if len(s.Faults()) != 0 {
		t.Error("ClearFaults left faults")
	}
	// A batch is one request.
	before := s.Requests()
	_, err := s.API().Batch([]FOOp{
		{Method: "POST", Set: "CustomersV3", Body: vals("dataAreaId", "usmf", "CustomerAccount", "C1")},
		{Method: "POST", Set: "CustomersV3", Body: vals("dataAreaId", "usmf", "CustomerAccount", "C2")},
	})
	if err != nil || s.Requests()-before != 1 {
		t.Errorf("batch: %v, %d requests", err, s.Requests()-before)
	}
}

package server_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/runtime/server"
	"github.com/dualsync/dualsync/simulator/fake"
)

func TestHealthAndReadiness(t *testing.T) {
	e := newEnv(t, fake.Config{}, fake.Config{})
	cfg := e.config()
	cfg.StaleAfter = time.Minute
	s := e.server(cfg)
	ctx := context.Background()

	if code, body := get(t, s, "/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz = %d %q, want 200 ok", code, body)
	}
	code, body := get(t, s, "/readyz")
	if code != 503 || !strings.Contains(body, "fail fo: no successful poll yet") || !strings.Contains(body, "ok   plan: "+e.p.Digest) {
		t.Errorf("/readyz before the first poll = %d\n%s", code, body)
	}

	if _, err := s.Round(ctx, ctx); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, s, "/readyz"); code != 200 {
		t.Errorf("/readyz after a poll = %d\n%s", code, body)
	}
	if !s.Status().Ready {
		t.Error("Status().Ready = false after a good poll")
	}

	// Dataverse goes away: the next polls fail; readiness holds until the
	// last good poll is older than StaleAfter.
	if err := e.dv.SetFault(fake.Fault{Kind: fake.FaultOutage}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(30 * time.Second)
	if _, err := s.Round(ctx, ctx); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, s, "/readyz"); code != 200 {
		t.Errorf("/readyz 30 s after the last good poll = %d\n%s", code, body)
	}
	e.clock.Advance(31 * time.Second)
	if _, err := s.Round(ctx, ctx); err != nil {
		t.Fatal(err)
	}
	code, body = get(t, s, "/readyz")
	if code != 503 || !strings.Contains(body, "fail dv: last successful poll 1m1s ago") || !strings.Contains(body, "last error:") {
		t.Errorf("/readyz during an outage = %d\n%s", code, body)
	}
	if !strings.Contains(body, "ok   fo: last successful poll 0s ago") {
		t.Errorf("/readyz: F&O should stay ready:\n%s", body)
	}
	if got := metric(t, s, "dualsync_ready", nil); got != 0 {
		t.Errorf("dualsync_ready = %v during the outage, want 0", got)
	}
	if got := metric(t, s, "dualsync_poll_age_seconds", map[string]string{"side": "dv"}); got != 61 {
		t.Errorf("dualsync_poll_age_seconds{side=dv} = %v, want 61", got)
	}
	if !strings.Contains(e.logs.String(), `"msg":"poll failed"`) {
		t.Errorf("no poll failure logged:\n%s", e.logs)
	}

	// It comes back.
	e.dv.ClearFaults()
	if _, err := s.Round(ctx, ctx); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, s, "/readyz"); code != 200 {
		t.Errorf("/readyz after the outage = %d\n%s", code, body)
	}
	if !strings.Contains(e.logs.String(), `"msg":"poll recovered"`) {
		t.Errorf("no recovery logged:\n%s", e.logs)
	}
}

func TestMetricsAfterSync(t *testing.T) {
	e := newEnv(t,
		fake.Config{Extra: []fake.Members{{Set: "CustomersV3", Field: "PreferredContactMethod", Values: []string{"Pager"}}}},
		fake.Config{})
	s := e.server(e.config())

	e.putFO("CustomersV3", "usmf|US-001", "OrganizationName", "Contoso", "CustomerGroupId", "10", "PreferredContactMethod", "Email")
	e.putFO("CustomersV3", "usmf|US-002", "OrganizationName", "Adatum", "CustomerGroupId", "10", "PreferredContactMethod", "Pager")
	e.putDV("contacts", "usmf|P-1", "firstname", "Bo", "lastname", "Ek")
	settle(t, e, s)

	// A concurrent edit: the name is F&O's, the contact method Dataverse's.
	e.clock.Advance(time.Minute)
	e.putFO("CustomersV3", "usmf|US-001", "OrganizationName", "Contoso Ltd", "PreferredContactMethod", "Phone")
	e.putDV("accounts", "usmf|US-001", "name", "Contoso Inc", "preferredcontactmethodcode", 5)
	// Dataverse throttles the next write once.
	if err := e.dv.SetFault(fake.Fault{Kind: fake.FaultThrottle, Ops: fake.WriteOps, Count: 1, RetryAfter: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	settle(t, e, s)

	a := s.Status().Accounting
	if err := a.Check(); err != nil {
		t.Fatal(err)
	}
	// A throttled read, reported by the connector's hook.
	s.ReadThrottled(plan.FO, 4*time.Second)
	code, body := get(t, s, "/metrics")
	if code != 200 {
		t.Fatalf("/metrics = %d", code)
	}
	for _, name := range []string{
		"dualsync_changes_total", "dualsync_conflicts_total", "dualsync_error_queue_depth",
		"dualsync_parked_changes", "dualsync_in_flight_changes", "dualsync_change_lag_seconds",
		"dualsync_poll_age_seconds", "dualsync_poll_errors_total", "dualsync_writes_total",
		"dualsync_write_duration_seconds_bucket", "dualsync_throttled_total",
		"dualsync_throttle_wait_seconds_total", "dualsync_rejected_rows_total", "dualsync_loops_total", "dualsync_driver_restarts_total",
		"dualsync_ready", "dualsync_plan_info", "go_goroutines",
	} {
		if !strings.Contains(body, "\n"+name) {
			t.Errorf("/metrics has no %s", name)
		}
	}

	l := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	checks := []struct {
		name   string
		labels map[string]string
		want   func(float64) bool
		what   string
	}{
		{"dualsync_changes_total", l("map", "customer", "side", "fo", "outcome", "applied"), pos, "> 0"},
		{"dualsync_changes_total", l("map", "customer", "side", "fo", "outcome", "queued"), eq(1), "1"},
		{"dualsync_changes_total", l("map", "contact", "side", "dv", "outcome", "applied"), pos, "> 0"},
		{"dualsync_conflicts_total", l("map", "customer", "rule", "fo"), eq(1), "1"},
		{"dualsync_conflicts_total", l("map", "customer", "rule", "dv"), eq(1), "1"},
		{"dualsync_error_queue_depth", l("map", "customer", "class", "invalid-value"), eq(1), "1"},
		{"dualsync_error_queue_depth", l("map", "contact", "class", "validation"), eq(0), "0"},
		{"dualsync_throttled_total", l("side", "dv"), eq(1), "1"},
		{"dualsync_throttle_wait_seconds_total", l("side", "dv"), eq(2), "2"},
		{"dualsync_throttled_total", l("side", "fo"), eq(1), "1"},
		{"dualsync_throttle_wait_seconds_total", l("side", "fo"), eq(4), "4"},
		{"dualsync_writes_total", l("map", "customer", "side", "dv", "result", "acked"), pos, "> 0"},
		{"dualsync_writes_total", l("map", "customer", "side", "dv", "result", "throttled"), eq(1), "1"},
		{"dualsync_write_duration_seconds_count", l("map", "customer", "side", "dv"), pos, "> 0"},
		{"dualsync_plan_info", l("digest", e.p.Digest), eq(1), "1"},
		{"dualsync_ready", nil, eq(1), "1"},
		{"dualsync_parked_changes", nil, eq(0), "0"},
	}
	for _, c := range checks {
		if got := metric(t, s, c.name, c.labels); !c.want(got) {
			t.Errorf("%s%v = %v, want %s", c.name, c.labels, got, c.what)
		}
	}

	// Summed over maps and sides, the counters are the engine's totals.
	for outcome, want := range map[string]int64{
		server.OutcomeObserved: a.Observed, server.OutcomeApplied: a.Applied,
		server.OutcomeSuppressed: a.Suppressed, server.OutcomeQueued: a.Queued,
	} {
		if got := sum(t, s, "dualsync_changes_total", map[string]string{"outcome": outcome}); got != float64(want) {
			t.Errorf("sum of dualsync_changes_total{outcome=%q} = %v, engine says %d", outcome, got, want)
		}
	}
}

func TestParkedMetricAndTimeout(t *testing.T) {
	e := newEnv(t, fake.Config{}, fake.Config{})
	s := e.server(e.config())
	ctx := context.Background()

	// The customer names a primary contact that never arrives.
	e.putFO("CustomersV3", "usmf|US-003", "OrganizationName", "Northwind", "CustomerGroupId", "20", "PrimaryContactPersonId", "P-3")
	for range 3 {
		if _, err := s.Round(ctx, ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := metric(t, s, "dualsync_parked_changes", nil); got < 1 {
		t.Errorf("dualsync_parked_changes = %v, want >= 1", got)
	}
	if got := metric(t, s, "dualsync_changes_total", map[string]string{"map": "customer", "side": "fo", "outcome": "parked"}); got != 1 {
		t.Errorf("parked changes of customer from fo = %v, want 1", got)
	}
	// The park times out (10 minutes by default): a dependency error,
	// credited to the customer map.
	e.clock.Advance(11 * time.Minute)
	settle(t, e, s)
	if got := metric(t, s, "dualsync_error_queue_depth", map[string]string{"map": "customer", "class": "dependency"}); got != 1 {
		t.Errorf("dependency errors of customer = %v, want 1", got)
	}
	a := s.Status().Accounting
	if got := sum(t, s, "dualsync_changes_total", map[string]string{"outcome": "queued"}); got != float64(a.Queued) || a.Queued == 0 {
		t.Errorf("queued changes = %v, engine says %d", got, a.Queued)
	}
	if got := metric(t, s, "dualsync_changes_total", map[string]string{"map": "customer", "side": "fo", "outcome": "queued"}); got != float64(a.Queued) {
		t.Errorf("queued changes of customer from fo = %v, want %d", got, a.Queued)
	}
	if st := s.Status(); st.ErrorQueue[engine.Dependency] != 1 {
		t.Errorf("Status().ErrorQueue = %v", st.ErrorQueue)
	}
}

func pos(v float64) bool { return v > 0 }

func eq(w float64) func(float64) bool { return func(v float64) bool { return v == w } }

// metric returns the value of the one series of name whose labels include
// labels; it fails the test when there is none or more than one.
func metric(tb testing.TB, s *server.Server, name string, labels map[string]string) float64 {
	tb.Helper()
	vs := series(tb, s, name, labels)
	if len(vs) != 1 {
		tb.Fatalf("%s%v: %d series match, want 1", name, labels, len(vs))
	}
	return vs[0]
}

// sum adds up every series of name whose labels include labels.
func sum(tb testing.TB, s *server.Server, name string, labels map[string]string) float64 {
	tb.Helper()
	var n float64
	for _, v := range series(tb, s, name, labels) {
		n += v
	}
	return n
}

// series parses the text exposition of /metrics.
func series(tb testing.TB, s *server.Server, name string, labels map[string]string) []float64 {
	tb.Helper()
	_, body := get(tb, s, "/metrics")
	var out []float64
	for _, line := range strings.Split(body, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		head, val := line[:sp], line[sp+1:]
		n, ls := head, map[string]string{}
		if i := strings.IndexByte(head, '{'); i >= 0 {
			n = head[:i]
			for _, kv := range splitLabels(head[i+1 : len(head)-1]) {
				k, v, _ := strings.Cut(kv, "=")
				uq, err := strconv.Unquote(v)
				if err != nil {
					tb.Fatalf("label %s in %q: %v", kv, line, err)
				}
				ls[k] = uq
			}
		}
		if n != name {
			continue
		}
		match := true
		for k, v := range labels {
			match = match && ls[k] == v
		}
		if !match {
			continue
		}
		f, err := strconv.ParseFloat(val, 64)
		if err != nil {
			tb.Fatalf("value of %q: %v", line, err)
		}
		out = append(out, f)
	}
	return out
}

// splitLabels splits k="v",k2="v2" at the commas between pairs.
func splitLabels(s string) []string {
	var out []string
	inQuote, esc, start := false, false, 0
	for i, r := range s {
		switch {
		case esc:
			esc = false
		case r == '\\':
			esc = true
		case r == '"':
			inQuote = !inQuote
		case r == ',' && !inQuote:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

func TestZeroConfigAndRejectedRows(t *testing.T) {
	e := newEnv(t, fake.Config{}, fake.Config{})
	fo, dv := e.connectors()
	// Only a plan and connectors: state in memory, system clock, no logs.
	s, err := server.New(context.Background(), e.p, fo, dv, server.Config{})
	if err != nil {
		t.Fatal(err)
	}
	e.putFO("CustomersV3", "usmf|US-001", "OrganizationName", "Contoso", "CustomerGroupId", "10")
	ctx := context.Background()
	for range 5 {
		if _, err := s.Round(ctx, ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := e.dv.Get("accounts", "usmf|US-001"); !ok {
		t.Error("the zero-config server did not sync")
	}
	if code, _ := get(t, s, "/readyz"); code != 200 {
		t.Errorf("/readyz = %d", code)
	}
	s.RowRejected("dv", "contact", "usmf|P-9", "parentcustomerid", "not a GUID", `{"_parentcustomerid_value":42}`)
	if got := metric(t, s, "dualsync_rejected_rows_total", map[string]string{"map": "contact", "side": "dv"}); got != 1 {
		t.Errorf("dualsync_rejected_rows_total = %v, want 1", got)
	}
}

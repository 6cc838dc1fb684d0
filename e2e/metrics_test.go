package e2e

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// metrics is one scrape of /metrics.
type metrics []sample

// scrape reads base+"/metrics".
func scrape(base string) (metrics, error) {
	hc := &http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Get(base + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return parseMetrics(string(b))
}

// parseMetrics parses the Prometheus text exposition format: comments
// are skipped, each other line is name{labels} value [timestamp].
func parseMetrics(text string) (metrics, error) {
	var out metrics
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		s, err := parseSample(line)
		if err != nil {
			return nil, fmt.Errorf("metrics line %d %q: %w", n+1, line, err)
		}
		out = append(out, s)
	}
	return out, nil
}

func parseSample(line string) (sample, error) {
	s := sample{labels: map[string]string{}}
	i := strings.IndexAny(line, "{ ")
	if i <= 0 {
		return s, fmt.Errorf("no value")
	}
	s.name, line = line[:i], line[i:]
	if line[0] == '{' {
		line = line[1:]
		for {
			line = strings.TrimLeft(line, " ,")
			if strings.HasPrefix(line, "}") {
				line = line[1:]
				break
			}
			eq := strings.Index(line, `="`)
			if eq <= 0 {
				return s, fmt.Errorf("bad label")
			}
			key := line[:eq]
			line = line[eq+2:]
			var val strings.Builder
			for {
				if line == "" {
					return s, fmt.Errorf("unterminated label value")
				}
				c := line[0]
				line = line[1:]
				if c == '"' {
					break
				}
				if c == '\\' && line != "" {
					switch line[0] {
					case 'n':
						val.WriteByte('\n')
					default:
						val.WriteByte(line[0])
					}
					line = line[1:]
					continue
				}
				val.WriteByte(c)
			}
			s.labels[key] = val.String()
		}
	}
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return s, fmt.Errorf("no value")
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return s, err
	}
	s.value = v
	return s, nil
}

// sum adds the samples of name whose labels include every pair of
// match (given as "key", "value", ...).
func (m metrics) sum(name string, match ...string) float64 {
	var total float64
	for _, s := range m {
		if s.name == name && s.has(match) {
			total += s.value
		}
	}
	return total
}

// has reports whether name has at least one sample: a metric the
// runtime stopped exporting must fail the test, not read as zero.
func (m metrics) has(name string) bool {
	for _, s := range m {
		if s.name == name {
			return true
		}
	}
	return false
}

func (s sample) has(match []string) bool {
	for i := 0; i+1 < len(match); i += 2 {
		if s.labels[match[i]] != match[i+1] {
			return false
		}
	}
	return true
}

// nonZero lists the samples of name with a value other than zero, as
// text, for failure messages.
func (m metrics) nonZero(name string) []string {
	var out []string
	for _, s := range m {
		if s.name == name && s.value != 0 {
			var ls []string
			for k, v := range s.labels {
				ls = append(ls, k+"="+v)
			}
			sort.Strings(ls)
			out = append(out, fmt.Sprintf("{%s} %g", strings.Join(ls, ","), s.value))
		}
	}
	sort.Strings(out)
	return out
}

// The runtime's metric names (runtime/server/doc.go).
const (
	mChanges    = "dualsync_changes_total"
	mQueue      = "dualsync_error_queue_depth"
	mParked     = "dualsync_parked_changes"
	mInFlight   = "dualsync_in_flight_changes"
	mWrites     = "dualsync_writes_total"
	mThrottled  = "dualsync_throttled_total"
	mThrottleS  = "dualsync_throttle_wait_seconds_total"
	mPollErrors = "dualsync_poll_errors_total"
	mReady      = "dualsync_ready"
)

// accounting is the engine's identity read from /metrics: every
// observed change is applied, suppressed, queued, parked now or in
// flight now.
type accounting struct {
	observed, applied, suppressed, queued, parked, inFlight float64
}

func (m metrics) accounting() (accounting, error) {
	for _, name := range []string{mChanges, mParked, mInFlight} {
		if !m.has(name) {
			return accounting{}, fmt.Errorf("/metrics has no %s", name)
		}
	}
	return accounting{
		observed:   m.sum(mChanges, "outcome", "observed"),
		applied:    m.sum(mChanges, "outcome", "applied"),
		suppressed: m.sum(mChanges, "outcome", "suppressed"),
		queued:     m.sum(mChanges, "outcome", "queued"),
		parked:     m.sum(mParked),
		inFlight:   m.sum(mInFlight),
	}, nil
}

func (a accounting) check() error {
	sum := a.applied + a.suppressed + a.queued + a.parked + a.inFlight
	if math.Abs(sum-a.observed) > 0.5 {
		return fmt.Errorf("accounting does not balance: observed %g, applied %g + suppressed %g + queued %g + parked %g + in flight %g = %g",
			a.observed, a.applied, a.suppressed, a.queued, a.parked, a.inFlight, sum)
	}
	return nil
}

func (a accounting) String() string {
	return fmt.Sprintf("observed %g = applied %g + suppressed %g + queued %g + parked %g + in flight %g",
		a.observed, a.applied, a.suppressed, a.queued, a.parked, a.inFlight)
}

func TestParseMetrics(t *testing.T) {
	text := `# HELP dualsync_changes_total Changes.
# TYPE dualsync_changes_total counter
dualsync_changes_total{map="product",outcome="observed",side="fo"} 7
dualsync_changes_total{map="product",outcome="applied",side="fo"} 5
dualsync_changes_total{map="customer",outcome="observed",side="dv"} 3
dualsync_changes_total{map="customer",outcome="suppressed",side="dv"} 3
dualsync_error_queue_depth{class="transient",map="a \"quoted\", map"} 2
dualsync_parked_changes 1
dualsync_in_flight_changes 1e+00
go_gc_duration_seconds{quantile="0.5"} 1.5e-05 1700000000000
`
	m, err := parseMetrics(text)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.sum(mChanges, "outcome", "observed"); got != 10 {
		t.Errorf("observed = %g, want 10", got)
	}
	if got := m.sum(mChanges, "outcome", "observed", "map", "product"); got != 7 {
		t.Errorf("observed product = %g, want 7", got)
	}
	if got := m.sum(mQueue, "map", `a "quoted", map`); got != 2 {
		t.Errorf("queue of the quoted map = %g, want 2", got)
	}
	a, err := m.accounting()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.check(); err != nil {
		t.Errorf("balanced accounting refused: %v", err)
	}
	a.applied--
	if err := a.check(); err == nil {
		t.Errorf("unbalanced accounting accepted: %v", a)
	}
	if _, err := metrics(nil).accounting(); err == nil {
		t.Error("accounting from an empty scrape: want an error")
	}
	if _, err := parseMetrics("broken{a=\"x} 1\n"); err == nil {
		t.Error("unterminated label: want an error")
	}
}

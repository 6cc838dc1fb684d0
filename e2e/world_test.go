package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
)

// Ports inside the containers and the made-up credentials the token
// service accepts. They are test values, not secrets.
const (
	portFO    = "8081"
	portDV    = "8082"
	portLogin = "8083"
	portRT    = "8080"

	testTenant = "e2e-tenant"
	testClient = "e2e-client"
	testSecret = "e2e-client-secret"
	testAdmin  = "e2e-fault-admin"

	storePath = "/data/dualsync.db"
	planPath  = "/plan.json"
)

// world is a simulator container and, once started, a runtime container
// on one cluster network, with a user on the host.
type world struct {
	*cluster
	sim   *testcontainers.DockerContainer
	u     *user
	rt    *testcontainers.DockerContainer
	rtURL string
	runs  int
}

// newWorld starts the simulator: the three fakes on their own ports, the
// fault API on, reachable as "sim" on the cluster network; simArgs are
// more flags for "dualsync sim serve".
func newWorld(t testing.TB, simArgs ...string) *world {
	t.Helper()
	c := newCluster(t)
	w := &world{cluster: c}
	w.sim = c.start(spec{
		name:    "sim",
		aliases: []string{"sim"},
		args: append([]string{"sim", "serve",
			"--fo", "0.0.0.0:" + portFO, "--dv", "0.0.0.0:" + portDV, "--login", "0.0.0.0:" + portLogin,
			"--plan", planPath, "--faults",
			"--tenant", testTenant, "--client-id", testClient},
			simArgs...),
		env:   map[string]string{"DUALSYNC_CLIENT_SECRET": testSecret, "DUALSYNC_SIM_ADMIN_TOKEN": testAdmin},
		ports: []string{portFO + "/tcp", portDV + "/tcp", portLogin + "/tcp"},
		files: map[string][]byte{planPath: the.plan},
	})
	w.u = &user{tenant: testTenant, id: testClient, pass: testSecret,
		hc:    &http.Client{Timeout: 10 * time.Second},
		fo:    c.hostURL(w.sim, portFO+"/tcp"),
		dv:    c.hostURL(w.sim, portDV+"/tcp"),
		login: c.hostURL(w.sim, portLogin+"/tcp"),
	}
	// The fakes answer once the token service does.
	eventually(t, 30*time.Second, "simulator up", func() error {
		w.mustRun(w.sim, "sim")
		_, err := w.u.token(w.u.fo)
		return err
	})
	return w
}

// startRuntime starts a runtime container on the store volume and waits
// until it is healthy and ready. A runtime started before is not touched:
// kill it first.
func (w *world) startRuntime() {
	w.t.Helper()
	w.runs++
	name := "runtime-" + strconv.Itoa(w.runs)
	start := time.Now()
	w.rt = w.start(spec{
		name: name,
		args: []string{"run",
			"--plan", planPath, "--store", storePath, "--listen", "0.0.0.0:" + portRT,
			"--fo", "http://sim:" + portFO, "--dv", "http://sim:" + portDV, "--login", "http://sim:" + portLogin,
			"--tenant", testTenant, "--client-id", testClient,
			"--poll", flagPoll.String()},
		env:   map[string]string{"DUALSYNC_CLIENT_SECRET": testSecret},
		ports: []string{portRT + "/tcp"},
		files: map[string][]byte{planPath: the.plan},
		store: true,
	})
	w.rtURL = w.hostURL(w.rt, portRT+"/tcp")
	w.waitHTTP(w.rt, w.rtURL, 30*time.Second, "/healthz", "/readyz")
	w.logf("%s healthy and ready in %v", name, time.Since(start).Round(time.Millisecond))
}

// metrics scrapes the current runtime.
func (w *world) metrics() metrics {
	w.t.Helper()
	m, err := scrape(w.rtURL)
	if err != nil {
		w.t.Fatalf("scrape %s: %v", w.rtURL, err)
	}
	return m
}

// fault is one fault for the fakes' fault API (simulator/fake.Fault in
// JSON).
type fault struct {
	Name       string  `json:"name,omitempty"`
	Kind       string  `json:"kind"`
	Set        string  `json:"set,omitempty"`
	Ops        string  `json:"ops,omitempty"`
	Rate       float64 `json:"rate,omitempty"`
	Count      int     `json:"count,omitempty"`
	Status     int     `json:"status,omitempty"`
	Limit      int     `json:"limit,omitempty"`
	RetryAfter string  `json:"retryAfter,omitempty"`
	Latency    string  `json:"latency,omitempty"`
}

// setFault puts a fault in force on one fake ("fo" or "dv").
func (w *world) setFault(side string, f fault) {
	w.t.Helper()
	if err := w.u.faults(w.sideURL(side), http.MethodPost, "", f, nil); err != nil {
		w.t.Fatalf("set %s fault on %s: %v", f.Kind, side, err)
	}
}

// clearFaults lifts every fault of one fake.
func (w *world) clearFaults(side string) {
	w.t.Helper()
	if err := w.u.faults(w.sideURL(side), http.MethodDelete, "", nil, nil); err != nil {
		w.t.Fatalf("clear faults on %s: %v", side, err)
	}
}

func (w *world) sideURL(side string) string {
	if side == "fo" {
		return w.u.fo
	}
	return w.u.dv
}

// faults calls the fault API of the fake at base (simulator/fakehttp,
// faults.go). It is not OData: it is the test's hand on the fake, with
// the admin token, not a user's.
func (u *user) faults(base, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+"/_faults"+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+testAdmin)
	req.Header.Set("Content-Type", "application/json")
	resp, err := u.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s /_faults%s: %s %s", method, path, resp.Status, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// simStats are the fakes' request counters (GET /_faults/stats).
type simStats struct {
	FORequests, DVRequests   int64
	FOThrottled, DVThrottled int64
	Tokens                   int64
}

func (w *world) stats() simStats {
	w.t.Helper()
	var st simStats
	if err := w.u.faults(w.u.fo, http.MethodGet, "/stats", nil, &st); err != nil {
		w.t.Fatalf("fake stats: %v", err)
	}
	if st.Tokens == 0 || st.FORequests+st.DVRequests == 0 {
		// The fakes have issued tokens and served requests by now: zeros
		// mean the counters were renamed, and a check on them would pass
		// for nothing.
		w.t.Fatalf("fake stats read as zeros (%+v): has GET /_faults/stats changed its fields?", st)
	}
	return st
}

// storeErrors lists every error-queue entry the store ever had (open or
// closed), read by "dualsync errors list" from a one-shot container on
// the store volume, as an operator would.
func (w *world) storeErrors() []map[string]any {
	w.t.Helper()
	code, out := w.once("errors-list", true, "errors", "list", "--store", storePath, "--state", "all", "--format", "json")
	if code != 0 {
		w.t.Fatalf("dualsync errors list: exit %d\n%s", code, out)
	}
	var rs []map[string]any
	if err := json.Unmarshal([]byte(out), &rs); err != nil {
		w.t.Fatalf("dualsync errors list output: %v\n%s", err, out)
	}
	return rs
}

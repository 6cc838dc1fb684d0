package fakehttp

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator/fake"
)

// Fault controls for tests, served only when Config.Faults is on, on each
// listener, with "Authorization: Bearer <admin token>":
//
//	GET    /_faults                      the faults in force
//	POST   /_faults                      set faults: one object or an array
//	DELETE /_faults                      clear every fault
//	DELETE /_faults/<name>               clear one fault
//	GET    /_faults/stats                request and throttling counters
//	POST   /_faults/expire-delta-tokens  (Dataverse) expire every delta token
//	GET|PUT /_faults/protection          (Dataverse) service protection limits
//	GET|PUT /_faults/load                (F&O) load limits
//
// A fault is fake.Fault in JSON, with durations as Go duration strings
// ("1.5s") or numbers of seconds:
//
//	{"name":"storm","kind":"throttle","count":20,"retryAfter":"2s"}
//	{"kind":"plugin","set":"accounts","field":"name","value":"Bad","message":"Refused."}
//	{"kind":"latency","latency":"200ms","ops":"write"}
//	{"kind":"outage"}
//
// The token service takes the kinds outage, network, transient and
// latency (with count and rate).

// dur is a duration in JSON: a duration string or a number of seconds.
type dur time.Duration

func (d *dur) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		*d = dur(v)
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("a duration must be a string such as \"1.5s\" or a number of seconds")
	}
	*d = dur(f * float64(time.Second))
	return nil
}

func (d dur) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// faultJSON is fake.Fault on the wire.
type faultJSON struct {
	Name       string         `json:"name,omitempty"`
	Kind       fake.FaultKind `json:"kind"`
	Map        string         `json:"map,omitempty"`
	Set        string         `json:"set,omitempty"`
	Ops        fake.Ops       `json:"ops,omitempty"`
	Rate       float64        `json:"rate,omitempty"`
	Count      int            `json:"count,omitempty"`
	Status     int            `json:"status,omitempty"`
	Code       string         `json:"code,omitempty"`
	Message    string         `json:"message,omitempty"`
	Limit      int            `json:"limit,omitempty"`
	Window     dur            `json:"window,omitempty"`
	RetryAfter dur            `json:"retryAfter,omitempty"`
	Latency    dur            `json:"latency,omitempty"`
	Field      string         `json:"field,omitempty"`
	Value      string         `json:"value,omitempty"`
}

func (f faultJSON) fault() fake.Fault {
	return fake.Fault{Name: f.Name, Kind: f.Kind, Map: f.Map, Set: f.Set, Ops: f.Ops, Rate: f.Rate, Count: f.Count,
		Status: f.Status, Code: f.Code, Message: f.Message, Limit: f.Limit, Window: time.Duration(f.Window),
		RetryAfter: time.Duration(f.RetryAfter), Latency: time.Duration(f.Latency), Field: f.Field, Value: f.Value}
}

func toJSON(f fake.Fault) faultJSON {
	return faultJSON{Name: f.Name, Kind: f.Kind, Map: f.Map, Set: f.Set, Ops: f.Ops, Rate: f.Rate, Count: f.Count,
		Status: f.Status, Code: f.Code, Message: f.Message, Limit: f.Limit, Window: dur(f.Window),
		RetryAfter: dur(f.RetryAfter), Latency: dur(f.Latency), Field: f.Field, Value: f.Value}
}

// decodeFaults reads one fault or an array of them.
func decodeFaults(b []byte) ([]faultJSON, error) {
	b = bytes.TrimSpace(b)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if len(b) > 0 && b[0] == '[' {
		var fs []faultJSON
		err := dec.Decode(&fs)
		return fs, err
	}
	var f faultJSON
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	return []faultJSON{f}, nil
}

// adminGate serves /_faults with admin to callers with the admin token,
// and everything else with next.
func adminGate(token string, next, admin http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_faults" && !strings.HasPrefix(r.URL.Path, "/_faults/") {
			if next == nil {
				http.NotFound(w, r)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		if subtle.ConstantTimeCompare([]byte(bearer(r)), []byte(token)) != 1 {
			adminReply(w, 401, map[string]string{"error": "fault controls need the admin token"})
			return
		}
		admin.ServeHTTP(w, r)
	})
}

func adminReply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		b, _ := json.Marshal(v)
		w.Write(b)
	}
}

func adminBody(r *http.Request) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r.Body, 1<<20))
}

// serviceAdmin is the fault controls of F&O or Dataverse.
func serviceAdmin(s *Servers, side plan.Side) http.Handler {
	type model interface {
		SetFault(fake.Fault) error
		ClearFault(string)
		ClearFaults()
		Faults() []fake.Fault
	}
	var m model = s.FO
	if side == plan.DV {
		m = s.DV
	}
	list := func() []faultJSON {
		out := []faultJSON{}
		for _, f := range m.Faults() {
			out = append(out, toJSON(f))
		}
		return out
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sub := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/_faults"), "/")
		switch {
		case sub == "" && r.Method == http.MethodGet:
			adminReply(w, 200, list())
		case sub == "" && r.Method == http.MethodPost:
			b, err := adminBody(r)
			if err != nil {
				adminReply(w, 400, map[string]string{"error": err.Error()})
				return
			}
			fs, err := decodeFaults(b)
			if err != nil {
				adminReply(w, 400, map[string]string{"error": "fault: " + err.Error()})
				return
			}
			for _, f := range fs {
				if err := m.SetFault(f.fault()); err != nil {
					adminReply(w, 400, map[string]string{"error": err.Error()})
					return
				}
			}
			adminReply(w, 200, list())
		case sub == "" && r.Method == http.MethodDelete:
			m.ClearFaults()
			adminReply(w, 204, nil)
		case sub == "stats" && r.Method == http.MethodGet:
			adminReply(w, 200, s.Stats())
		case sub == "expire-delta-tokens" && side == plan.DV && r.Method == http.MethodPost:
			s.DV.ExpireDeltaTokens()
			adminReply(w, 204, nil)
		case sub == "protection" && side == plan.DV && (r.Method == http.MethodPut || r.Method == http.MethodGet):
			limitAdmin(w, r, func() any { return protectionJSON(s.dvFront.limit) }, func(b []byte) error {
				var p struct {
					Off           bool `json:"off"`
					Requests      int  `json:"requests"`
					Window        dur  `json:"window"`
					ExecutionTime dur  `json:"executionTime"`
					Concurrent    int  `json:"concurrent"`
				}
				if err := json.Unmarshal(b, &p); err != nil {
					return err
				}
				s.SetProtection(Protection{Off: p.Off, Requests: p.Requests, Window: time.Duration(p.Window),
					ExecutionTime: time.Duration(p.ExecutionTime), Concurrent: p.Concurrent})
				return nil
			})
		case sub == "load" && side == plan.FO && (r.Method == http.MethodPut || r.Method == http.MethodGet):
			limitAdmin(w, r, func() any { return loadJSON(s.foFront.limit) }, func(b []byte) error {
				var l struct {
					Concurrent int `json:"concurrent"`
					Requests   int `json:"requests"`
					Window     dur `json:"window"`
					RetryAfter dur `json:"retryAfter"`
				}
				if err := json.Unmarshal(b, &l); err != nil {
					return err
				}
				s.SetFOLoad(Load{Concurrent: l.Concurrent, Requests: l.Requests, Window: time.Duration(l.Window),
					RetryAfter: time.Duration(l.RetryAfter)})
				return nil
			})
		case sub != "" && r.Method == http.MethodDelete:
			m.ClearFault(sub)
			adminReply(w, 204, nil)
		default:
			adminReply(w, 404, map[string]string{"error": "no such fault control"})
		}
	})
}

func limitAdmin(w http.ResponseWriter, r *http.Request, get func() any, put func([]byte) error) {
	if r.Method == http.MethodGet {
		adminReply(w, 200, get())
		return
	}
	b, err := adminBody(r)
	if err == nil {
		err = put(b)
	}
	if err != nil {
		adminReply(w, 400, map[string]string{"error": err.Error()})
		return
	}
	adminReply(w, 200, get())
}

func protectionJSON(l *limiter) any {
	l.mu.Lock()
	p := l.dv
	l.mu.Unlock()
	return map[string]any{"off": p.Off, "requests": p.Requests, "window": dur(p.Window),
		"executionTime": dur(p.ExecutionTime), "concurrent": p.Concurrent}
}

func loadJSON(l *limiter) any {
	l.mu.Lock()
	ld := l.fo
	l.mu.Unlock()
	return map[string]any{"concurrent": ld.Concurrent, "requests": ld.Requests, "window": dur(ld.Window),
		"retryAfter": dur(ld.RetryAfter)}
}

// loginFault is a fault in force on the token service.
type loginFault struct {
	faultJSON
	fired int
}

// loginAdmin is the token service's fault controls.
func loginAdmin(ts *tokenService) http.Handler {
	list := func() []faultJSON {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		out := []faultJSON{}
		for _, f := range ts.faults {
			out = append(out, f.faultJSON)
		}
		return out
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sub := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/_faults"), "/")
		switch {
		case sub == "" && r.Method == http.MethodGet:
			adminReply(w, 200, list())
		case sub == "" && r.Method == http.MethodPost:
			b, err := adminBody(r)
			var fs []faultJSON
			if err == nil {
				fs, err = decodeFaults(b)
			}
			for _, f := range fs {
				switch f.Kind {
				case fake.FaultOutage, fake.FaultNetwork, fake.FaultTransient, fake.FaultLatency:
				default:
					err = fmt.Errorf("the token service takes outage, network, transient and latency faults, not %q", f.Kind)
				}
			}
			if err != nil {
				adminReply(w, 400, map[string]string{"error": err.Error()})
				return
			}
			ts.mu.Lock()
			for _, f := range fs {
				if f.Name == "" {
					f.Name = string(f.Kind)
				}
				ts.faults = slices.DeleteFunc(ts.faults, func(x loginFault) bool { return x.Name == f.Name })
				ts.faults = append(ts.faults, loginFault{faultJSON: f})
			}
			ts.mu.Unlock()
			adminReply(w, 200, list())
		case r.Method == http.MethodDelete:
			ts.mu.Lock()
			ts.faults = slices.DeleteFunc(ts.faults, func(x loginFault) bool { return sub == "" || x.Name == sub })
			ts.mu.Unlock()
			adminReply(w, 204, nil)
		default:
			adminReply(w, 404, map[string]string{"error": "no such fault control"})
		}
	})
}

// applyFaults applies the token service's faults to a request and reports
// whether it answered it.
func (ts *tokenService) applyFaults(w http.ResponseWriter, r *http.Request) bool {
	ts.mu.Lock()
	var lat time.Duration
	var fire *faultJSON
	for i := range ts.faults {
		f := &ts.faults[i]
		if f.Kind == fake.FaultLatency {
			lat += time.Duration(f.Latency)
			continue
		}
		if fire != nil || (f.Rate > 0 && f.Rate < 1 && rand.Float64() >= f.Rate) {
			continue
		}
		f.fired++
		fj := f.faultJSON
		fire = &fj
	}
	ts.faults = slices.DeleteFunc(ts.faults, func(f loginFault) bool { return f.Count > 0 && f.fired >= f.Count })
	ts.mu.Unlock()
	if lat > 0 {
		time.Sleep(lat)
	}
	if fire == nil {
		return false
	}
	if fire.Kind == fake.FaultTransient {
		status := fire.Status
		if status == 0 {
			status = 503
		}
		w.Header().Set("Retry-After", strconv.Itoa(1))
		oauthError(w, r, status, "temporarily_unavailable", 90010, "The service is temporarily unavailable.")
		return true
	}
	panic(http.ErrAbortHandler)
}

package fakehttp

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator/fake"
)

// A frontend is what both services share in front of their handlers:
// fault controls, bearer tokens, throttling, admission into the model
// (faults, request counting) and the writing of answers. A request's path
// after the service root is percent-decoded once and handed, with its
// query, headers and body, to the service as a wreq; a $batch hands each
// of its parts the same way.

// wreq is one request, from the wire or from a part of a $batch.
type wreq struct {
	method   string
	path     string // percent-decoded path after the service root
	rawQuery string
	header   http.Header
	body     []byte
	base     string // scheme://host/<service root>, for links
	inBatch  bool

	// In a change set: the transaction the writes join.
	fotx *fake.FOTx
	dvtx *fake.DVTx
	// ref resolves a Content-ID reference ($1) of a $batch to the path of
	// the record its request wrote, "/<set>(<key>)".
	ref func(id string) (string, bool)
}

// wresp is one answer.
type wresp struct {
	status int
	header http.Header
	body   []byte
}

func newResp(status int) *wresp { return &wresp{status: status, header: http.Header{}} }

func jsonResp(status int, b []byte) *wresp {
	r := newResp(status)
	r.header.Set("Content-Type", "application/json; odata.metadata=minimal")
	r.body = b
	return r
}

// errResp answers a service error (or any other error, as a 500).
func errResp(side plan.Side, err error) *wresp {
	var e *fake.Error
	if !errors.As(err, &e) {
		e = &fake.Error{Side: side, Status: 500, Message: err.Error()}
	}
	r := jsonResp(e.Status, e.Body())
	if e.RetryAfter > 0 {
		r.header.Set("Retry-After", fmt.Sprint(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	return r
}

// service is one service behind a frontend.
type service interface {
	// admit gates one request (a batch counts once).
	admit(op fake.Ops, set string) error
	// faults lists the model's faults in force.
	faults() []fake.Fault
	// serve answers one admitted request.
	serve(r *wreq) *wresp
	// batch answers a $batch request; it admits it with enter.
	batch(r *wreq, enter func(op fake.Ops, set string) error) *wresp
	// badRequest words a malformed request in the service's error shape.
	badRequest(msg string) *fake.Error
}

type frontend struct {
	side plan.Side
	srv  *Servers
	svc  service
	// root splits an escaped request path into the service root and the
	// rest after it.
	root     func(path string) (root, rest string, ok bool)
	resource string
	limit    *limiter
	admin    http.Handler                                              // nil when fault controls are off
	extra    func(w http.ResponseWriter, r *http.Request, user string) // response headers
}

func (f *frontend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" {
		healthz(w, r)
		return
	}
	if f.admin != nil && (r.URL.Path == "/_faults" || strings.HasPrefix(r.URL.Path, "/_faults/")) {
		f.admin.ServeHTTP(w, r)
		return
	}
	root, rawRest, ok := f.root(r.URL.EscapedPath())
	if !ok {
		writeResp(w, errResp(f.side, &fake.Error{Side: f.side, Status: 404, Message: "The requested resource does not exist."}))
		return
	}
	c, err := f.srv.tokens.verify(bearer(r))
	if err == nil && !audienceOK(c.Aud, f.resource, r) {
		err = fmt.Errorf("the access token was issued for '%s', not for this service", c.Aud)
	}
	if bearer(r) == "" {
		err = errors.New("the request has no bearer token")
	}
	if err != nil {
		f.unauthorized(w, r, err)
		return
	}
	user := c.AppID
	if f.limit != nil {
		release, e := f.limit.acquire(user)
		if e != nil {
			f.extra(w, r, user)
			writeResp(w, errResp(f.side, e))
			return
		}
		defer release()
	}
	f.extra(w, r, user)
	rest, err := url.PathUnescape(rawRest)
	if err != nil {
		writeResp(w, errResp(f.side, f.svc.badRequest("The request URI is not valid: "+err.Error())))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	data, err := io.ReadAll(r.Body)
	if err != nil {
		writeResp(w, errResp(f.side, &fake.Error{Side: f.side, Status: 413, Message: "The request body is too large."}))
		return
	}
	req := &wreq{method: r.Method, path: rest, rawQuery: r.URL.RawQuery, header: r.Header, body: data, base: originOf(r) + root}
	if rest == "$batch" {
		writeResp(w, f.svc.batch(req, f.enter))
		return
	}
	op := fake.WriteOps
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		op = fake.ReadOps
	}
	set := ""
	if res, err := parseResource(rest); err == nil {
		set = res.Set
	}
	if err := f.enter(op, set); err != nil {
		writeResp(w, errResp(f.side, err))
		return
	}
	writeResp(w, f.svc.serve(req))
}

// enter waits out latency faults (on a real clock) and admits a request;
// a request the model drops (outage, network fault) aborts the connection
// without an answer.
func (f *frontend) enter(op fake.Ops, set string) error {
	if _, virtual := f.srv.cfg.Clock.(dsruntime.Advancer); !virtual {
		var lat time.Duration
		for _, ft := range f.svc.faults() {
			fs := ft.Set
			if m := f.srv.cfg.Plan.MapByName(ft.Map); m != nil {
				fs = m.FO.EntitySet
				if f.side == plan.DV {
					fs = m.DV.EntitySet
				}
			}
			if ft.Kind == fake.FaultLatency && (ft.Ops == fake.AllOps || ft.Ops == op) && (fs == "" || set == "" || fs == set) {
				lat += ft.Latency
			}
		}
		if lat > 0 {
			time.Sleep(lat)
		}
	}
	err := f.svc.admit(op, set)
	var e *fake.Error
	if errors.As(err, &e) && e.Network {
		panic(http.ErrAbortHandler)
	}
	return err
}

func (f *frontend) unauthorized(w http.ResponseWriter, r *http.Request, err error) {
	msg := err.Error()
	if len(msg) > 0 {
		msg = strings.ToUpper(msg[:1]) + msg[1:] + "."
	}
	resource := f.resource
	if resource == "" {
		resource = originOf(r)
	}
	tenant := f.srv.cfg.Tenant
	if tenant == "" {
		tenant = "common"
	}
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer authorization_uri=%s/%s/oauth2/authorize, resource_id=%s`,
		f.srv.LoginURL(), tenant, resource))
	writeResp(w, errResp(f.side, &fake.Error{Side: f.side, Status: 401, Message: msg}))
}

// wireNames spell headers as the services do; Go's canonical form
// differs for these.
var wireNames = map[string]string{
	"Odata-Version":  "OData-Version",
	"Odata-Entityid": "OData-EntityId",
	"Etag":           "ETag",
	"X-Ms-Dop-Hint":  "x-ms-dop-hint",
	"X-Ms-Ratelimit-Burst-Remaining-Xrm-Requests": "x-ms-ratelimit-burst-remaining-xrm-requests",
	"X-Ms-Ratelimit-Time-Remaining-Xrm-Requests":  "x-ms-ratelimit-time-remaining-xrm-requests",
}

// spell renames h's keys to the services' spelling, in place.
func spell(h http.Header) {
	for k, v := range h {
		if n, ok := wireNames[k]; ok {
			delete(h, k)
			h[n] = v
		}
	}
}

// healthz answers a liveness probe (a simulator extension, without a
// token).
func healthz(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok\n")
}

// writeResp writes an answer.
func writeResp(w http.ResponseWriter, r *wresp) {
	h := w.Header()
	for k, v := range r.header {
		h[k] = v
	}
	h.Set("OData-Version", "4.0")
	if r.body != nil && h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json; odata.metadata=minimal")
	}
	spell(h)
	w.WriteHeader(r.status)
	if r.body != nil && r.status != http.StatusNoContent {
		w.Write(r.body)
	}
}

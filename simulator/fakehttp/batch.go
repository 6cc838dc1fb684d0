package fakehttp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"

	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator/fake"
)

// $batch: a multipart/mixed body whose parts are requests (application/http)
// or change sets (a nested multipart/mixed of requests). Requests run in
// order; a change set's requests succeed or fail together (one failing
// request rolls the others back and answers for the whole change set);
// Content-ID names a change set's request so that a later one can use its
// record: as its URL ($1) or in an @odata.bind ("$1"). Processing stops at
// the first failed request or change set unless the batch asks for
// Prefer: odata.continue-on-error. The whole batch is one request to the
// service (one admission, one count for service protection).

// batchItem is one part of a batch: a request, or a change set.
type batchItem struct {
	req       *wreq
	contentID string
	changeSet []batchItem
}

// maxBatchParts bounds what a batch body may hold before its limit is
// checked, so that a hostile body cannot make the parser allocate freely.
const maxBatchParts = 10000

// parseBatch reads a $batch body. base is the service root URL the
// requests' URLs are relative to.
func parseBatch(contentType string, data []byte, base string) ([]batchItem, int, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/mixed" || params["boundary"] == "" {
		return nil, 0, errors.New("A $batch request must be multipart/mixed with a boundary.")
	}
	n := 0
	items, err := parseParts(data, params["boundary"], base, true, &n)
	return items, n, err
}

func parseParts(data []byte, boundary, base string, top bool, n *int) ([]batchItem, error) {
	mr := multipart.NewReader(bytes.NewReader(data), boundary)
	var items []batchItem
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			return items, nil
		}
		if err != nil {
			return nil, fmt.Errorf("the batch body is not valid multipart: %v", err)
		}
		body, err := io.ReadAll(part)
		if err != nil {
			return nil, fmt.Errorf("the batch body is not valid multipart: %v", err)
		}
		if *n++; *n > maxBatchParts {
			return nil, fmt.Errorf("the batch has more than %d parts", maxBatchParts)
		}
		ct := part.Header.Get("Content-Type")
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			return nil, fmt.Errorf("a batch part has no valid Content-Type: %q", ct)
		}
		switch {
		case mt == "multipart/mixed" && top && params["boundary"] != "":
			*n--
			cs, err := parseParts(body, params["boundary"], base, false, n)
			if err != nil {
				return nil, err
			}
			if len(cs) == 0 {
				return nil, errors.New("a change set has no requests")
			}
			items = append(items, batchItem{changeSet: cs})
		case mt == "application/http":
			req, id, err := parseInnerRequest(body, base)
			if err != nil {
				return nil, err
			}
			if cid := part.Header.Get("Content-ID"); cid != "" {
				id = cid
			}
			items = append(items, batchItem{req: req, contentID: strings.Trim(id, "<>")})
		default:
			return nil, fmt.Errorf("a batch part of type %q is not supported", mt)
		}
	}
}

// parseInnerRequest reads "METHOD URL HTTP/1.1", headers, a blank line
// and the body.
func parseInnerRequest(data []byte, base string) (*wreq, string, error) {
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(data)))
	line, err := tp.ReadLine()
	for err == nil && strings.TrimSpace(line) == "" {
		line, err = tp.ReadLine()
	}
	if err != nil {
		return nil, "", errors.New("a batch request has no request line")
	}
	f := strings.Fields(line)
	if len(f) < 2 || len(f) > 3 {
		return nil, "", fmt.Errorf("the batch request line %q is not valid", line)
	}
	hdr, err := tp.ReadMIMEHeader()
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, "", fmt.Errorf("the headers of batch request %q are not valid", line)
	}
	rest, _ := io.ReadAll(tp.R)
	body := bytes.TrimRight(rest, "\r\n")
	method := strings.ToUpper(f[0])
	target := f[1]
	u, err := url.Parse(target)
	if err != nil {
		return nil, "", fmt.Errorf("the batch request URL %q is not valid", target)
	}
	p := u.EscapedPath()
	if u.IsAbs() || strings.HasPrefix(p, "/") {
		bu, _ := url.Parse(base)
		root := strings.TrimRight(bu.EscapedPath(), "/")
		rel, ok := strings.CutPrefix(p, root+"/")
		if !ok {
			if dv := dvRootRE.FindString(p); dv != "" && strings.HasPrefix(p, dv+"/") {
				rel, ok = p[len(dv)+1:], true
			}
		}
		if !ok {
			return nil, "", fmt.Errorf("the batch request URL %q is not under the service root", target)
		}
		p = rel
	}
	path, err := url.PathUnescape(p)
	if err != nil {
		return nil, "", fmt.Errorf("the batch request URL %q is not valid", target)
	}
	h := http.Header(hdr)
	return &wreq{method: method, path: path, rawQuery: u.RawQuery, header: h, body: body, base: base, inBatch: true},
		h.Get("Content-ID"), nil
}

// count returns the requests a batch holds.
func countRequests(items []batchItem) int {
	n := 0
	for _, it := range items {
		if it.changeSet != nil {
			n += len(it.changeSet)
		} else {
			n++
		}
	}
	return n
}

// firstSet and anyWrite describe a batch for admission.
func describe(items []batchItem) (fake.Ops, string) {
	op, set := fake.ReadOps, ""
	for _, it := range items {
		reqs := []batchItem{it}
		if it.changeSet != nil {
			reqs = it.changeSet
		}
		for _, r := range reqs {
			if r.req.method != http.MethodGet {
				op = fake.WriteOps
			}
			if set == "" {
				if res, err := parseResource(r.req.path); err == nil && !strings.HasPrefix(res.Set, "$") {
					set = res.Set
				}
			}
		}
	}
	return op, set
}

// batchRunner runs a parsed batch against one service.
type batchRunner struct {
	side plan.Side
	// serve answers one request outside a change set.
	serve func(r *wreq) *wresp
	// changeSet runs fn in one transaction, handing each request the
	// transaction; fn's error rolls it back.
	changeSet func(fn func(join func(r *wreq)) error) error
}

// errChangeSetFailed rolls a change set back.
var errChangeSetFailed = errors.New("change set failed")

// result is one part's answer: a response, or a change set's responses.
type result struct {
	resp      *wresp
	contentID string
	changeSet []result
}

func (b *batchRunner) run(items []batchItem, continueOnError bool) []result {
	var out []result
	for _, it := range items {
		if it.changeSet == nil {
			resp := b.serve(it.req)
			out = append(out, result{resp: resp, contentID: it.contentID})
			if resp.status >= 400 && !continueOnError {
				break
			}
			continue
		}
		paths := map[string]string{}
		var resps []result
		var failed *wresp
		err := b.changeSet(func(join func(r *wreq)) error {
			for _, sub := range it.changeSet {
				r := sub.req
				join(r)
				r.ref = func(id string) (string, bool) { p, ok := paths[id]; return p, ok }
				if strings.HasPrefix(r.path, "$") {
					id, rest, _ := strings.Cut(r.path[1:], "/")
					p, ok := paths[id]
					if !ok {
						failed = errResp(b.side, &fake.Error{Side: b.side, Status: 400, Code: codeFor(b.side),
							Message: fmt.Sprintf("The Content-ID reference '$%s' does not name an earlier request of the change set.", id)})
						return errChangeSetFailed
					}
					r.path = strings.TrimPrefix(p, "/")
					if rest != "" {
						r.path += "/" + rest
					}
				}
				resp := b.serve(r)
				if resp.status >= 400 {
					failed = resp
					return errChangeSetFailed
				}
				if sub.contentID != "" {
					if p := entityPath(resp, r.base); p != "" {
						paths[sub.contentID] = p
					}
				}
				resps = append(resps, result{resp: resp, contentID: sub.contentID})
			}
			return nil
		})
		if err != nil {
			if failed == nil {
				failed = errResp(b.side, err)
			}
			out = append(out, result{resp: failed})
			if !continueOnError {
				break
			}
			continue
		}
		out = append(out, result{changeSet: resps})
	}
	return out
}

func codeFor(side plan.Side) string {
	if side == plan.DV {
		return codeBadRequest
	}
	return ""
}

// entityPath is the "/<set>(<key>)" of the record a response wrote.
func entityPath(resp *wresp, base string) string {
	loc := resp.header.Get("OData-EntityId")
	if loc == "" {
		loc = resp.header.Get("Location")
	}
	p, ok := strings.CutPrefix(loc, base)
	if !ok {
		return ""
	}
	if d, err := url.PathUnescape(p); err == nil {
		p = d
	}
	return p
}

// writeBatch writes the multipart answer of a batch.
func writeBatch(results []result, continueOnError bool) *wresp {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.SetBoundary("batchresponse_" + newID())
	for _, r := range results {
		if r.changeSet == nil {
			h := textproto.MIMEHeader{}
			h.Set("Content-Type", "application/http")
			h.Set("Content-Transfer-Encoding", "binary")
			if r.contentID != "" {
				h.Set("Content-ID", r.contentID)
			}
			w, _ := mw.CreatePart(h)
			writeInner(w, r.resp)
			continue
		}
		var cbuf bytes.Buffer
		cw := multipart.NewWriter(&cbuf)
		cw.SetBoundary("changesetresponse_" + newID())
		for _, sub := range r.changeSet {
			h := textproto.MIMEHeader{}
			h.Set("Content-Type", "application/http")
			h.Set("Content-Transfer-Encoding", "binary")
			if sub.contentID != "" {
				h.Set("Content-ID", sub.contentID)
			}
			w, _ := cw.CreatePart(h)
			writeInner(w, sub.resp)
		}
		cw.Close()
		h := textproto.MIMEHeader{}
		h.Set("Content-Type", "multipart/mixed; boundary="+cw.Boundary())
		w, _ := mw.CreatePart(h)
		w.Write(cbuf.Bytes())
	}
	mw.Close()
	resp := newResp(200)
	resp.header.Set("Content-Type", "multipart/mixed; boundary="+mw.Boundary())
	if continueOnError {
		resp.header.Set("Preference-Applied", "odata.continue-on-error")
	}
	resp.body = buf.Bytes()
	return resp
}

// writeInner writes one response as application/http.
func writeInner(w io.Writer, r *wresp) {
	fmt.Fprintf(w, "HTTP/1.1 %d %s\r\n", r.status, http.StatusText(r.status))
	h := r.header.Clone()
	h.Set("OData-Version", "4.0")
	if r.body != nil && h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json; odata.metadata=minimal")
	}
	spell(h)
	h.Write(w)
	io.WriteString(w, "\r\n")
	if r.status != http.StatusNoContent {
		w.Write(r.body)
	}
	io.WriteString(w, "\r\n")
}

// batch answers a $batch for either service.
func serveBatch(side plan.Side, r *wreq, maxRequests int, enter func(fake.Ops, string) error, runner *batchRunner) *wresp {
	bad := func(msg string) *wresp {
		if side == plan.DV {
			return errResp(side, dvError(400, codeBadRequest, msg))
		}
		return errResp(side, foError(400, msg))
	}
	if r.method != http.MethodPost {
		return bad("A $batch request must be a POST.")
	}
	items, _, err := parseBatch(r.header.Get("Content-Type"), r.body, r.base)
	if err != nil {
		return bad(err.Error())
	}
	if n := countRequests(items); n > maxRequests {
		if side == plan.DV {
			return errResp(side, dvError(400, codeBatchTooBig, fmt.Sprintf(
				"The number of requests in a batch (%d) exceeds the limit of %d.", n, maxRequests)))
		}
		return bad(fmt.Sprintf("The number of operations in a batch (%d) exceeds the limit of %d.", n, maxRequests))
	}
	op, set := describe(items)
	if err := enter(op, set); err != nil {
		return errResp(side, err)
	}
	coe := parsePrefer(r.header.Values("Prefer")).continueOnError
	return writeBatch(runner.run(items, coe), coe)
}

func (s *foService) batch(r *wreq, enter func(fake.Ops, string) error) *wresp {
	return serveBatch(plan.FO, r, 5000, enter, &batchRunner{side: plan.FO, serve: s.serve,
		changeSet: func(fn func(join func(*wreq)) error) error {
			return s.w.Atomic(func(tx *fake.FOTx) error { return fn(func(r *wreq) { r.fotx = tx }) })
		}})
}

func (s *dvService) batch(r *wreq, enter func(fake.Ops, string) error) *wresp {
	return serveBatch(plan.DV, r, 1000, enter, &batchRunner{side: plan.DV, serve: s.serve,
		changeSet: func(fn func(join func(*wreq)) error) error {
			return s.w.Atomic(func(tx *fake.DVTx) error { return fn(func(r *wreq) { r.dvtx = tx }) })
		}})
}

package odata

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"sort"
	"strconv"
	"strings"
)

// An OData $batch request is a multipart/mixed body: each part is either
// one application/http request or a change set, itself multipart/mixed,
// whose requests (each with a Content-ID) succeed or fail together. The
// answer mirrors it in order: a change set answers with a multipart part
// holding one response per request, or, when it failed, with one
// application/http part carrying the error.

// batchReq is one request inside a $batch body.
type batchReq struct {
	contentID string
	method    string
	url       string // absolute
	header    http.Header
	body      []byte
}

// batchResp is one response read from a $batch answer.
type batchResp struct {
	// set is the index of the top-level part (the change set) it answers.
	set int
	// contentID is the Content-ID of the request inside its change set,
	// "" when the part is not inside a change set (a failed change set
	// answers with one such part).
	contentID string
	status    int
	header    http.Header
	body      []byte
}

func boundaryID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// writeBatch writes a $batch body with one change set per element of sets
// and returns its Content-Type.
func writeBatch(sets [][]batchReq) (string, []byte, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if err := w.SetBoundary("batch_" + boundaryID()); err != nil {
		return "", nil, err
	}
	for _, set := range sets {
		var cs bytes.Buffer
		cw := multipart.NewWriter(&cs)
		if err := cw.SetBoundary("changeset_" + boundaryID()); err != nil {
			return "", nil, err
		}
		for _, r := range set {
			h := textproto.MIMEHeader{}
			h.Set("Content-Type", "application/http")
			h.Set("Content-Transfer-Encoding", "binary")
			h["Content-ID"] = []string{r.contentID} // spelled as the services document it
			pw, err := cw.CreatePart(h)
			if err != nil {
				return "", nil, err
			}
			if _, err := pw.Write(httpRequestBytes(r)); err != nil {
				return "", nil, err
			}
		}
		if err := cw.Close(); err != nil {
			return "", nil, err
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Type", "multipart/mixed; boundary="+cw.Boundary())
		pw, err := w.CreatePart(h)
		if err != nil {
			return "", nil, err
		}
		if _, err := pw.Write(cs.Bytes()); err != nil {
			return "", nil, err
		}
	}
	if err := w.Close(); err != nil {
		return "", nil, err
	}
	return "multipart/mixed; boundary=" + w.Boundary(), buf.Bytes(), nil
}

// httpRequestBytes writes one request in HTTP/1.1 form, headers sorted.
func httpRequestBytes(r batchReq) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", r.method, r.url)
	h := r.header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if r.body != nil {
		if h.Get("Content-Type") == "" {
			h.Set("Content-Type", "application/json; charset=utf-8")
		}
		h.Set("Content-Length", strconv.Itoa(len(r.body)))
	}
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range h[k] {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	b.Write(r.body)
	return b.Bytes()
}

// readBatch reads a $batch answer with the given Content-Type. It never
// panics on malformed input; it fails instead.
func readBatch(contentType string, body []byte) ([]batchResp, error) {
	boundary, err := multipartBoundary(contentType)
	if err != nil {
		return nil, fmt.Errorf("batch answer: %w", err)
	}
	var out []batchResp
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for set := 0; ; set++ {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("batch answer part %d: %w", set, err)
		}
		ct := p.Header.Get("Content-Type")
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), "multipart/") {
			inner, err := multipartBoundary(ct)
			if err != nil {
				return nil, fmt.Errorf("batch answer part %d: %w", set, err)
			}
			cr := multipart.NewReader(p, inner)
			for {
				q, err := cr.NextRawPart()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					return nil, fmt.Errorf("batch answer part %d: %w", set, err)
				}
				r, err := readHTTPPart(q)
				if err != nil {
					return nil, fmt.Errorf("batch answer part %d: %w", set, err)
				}
				r.set, r.contentID = set, strings.TrimSpace(q.Header.Get("Content-ID"))
				out = append(out, r)
			}
			continue
		}
		r, err := readHTTPPart(p)
		if err != nil {
			return nil, fmt.Errorf("batch answer part %d: %w", set, err)
		}
		r.set = set
		out = append(out, r)
	}
}

func multipartBoundary(contentType string) (string, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", fmt.Errorf("content type %q: %w", truncate(contentType, 100), err)
	}
	if !strings.HasPrefix(mt, "multipart/") || params["boundary"] == "" {
		return "", fmt.Errorf("content type %q is not multipart with a boundary", truncate(contentType, 100))
	}
	return params["boundary"], nil
}

// readHTTPPart reads one application/http part: an HTTP/1.1 response.
func readHTTPPart(p *multipart.Part) (batchResp, error) {
	raw, err := io.ReadAll(p)
	if err != nil {
		return batchResp{}, err
	}
	// Some services put blank lines before the status line.
	raw = bytes.TrimLeft(raw, "\r\n")
	br := bufio.NewReader(bytes.NewReader(raw))
	line, err := br.ReadString('\n')
	if err != nil && line == "" {
		return batchResp{}, errors.New("empty response part")
	}
	f := strings.Fields(line)
	if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/") {
		return batchResp{}, fmt.Errorf("response part starts with %q, want a status line", truncate(line, 60))
	}
	status, err := strconv.Atoi(f[1])
	if err != nil || status < 100 || status > 599 {
		return batchResp{}, fmt.Errorf("response part has status %q", truncate(f[1], 20))
	}
	tr := textproto.NewReader(br)
	mh, err := tr.ReadMIMEHeader()
	if err != nil && !errors.Is(err, io.EOF) {
		return batchResp{}, fmt.Errorf("response part headers: %w", err)
	}
	body, _ := io.ReadAll(br)
	body = bytes.TrimRight(body, "\r\n")
	return batchResp{status: status, header: http.Header(mh), body: body}, nil
}

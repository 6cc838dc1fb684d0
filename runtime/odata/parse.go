package odata

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/plan"
)

// parseError reads an error answer, {"error":{"code":..,"message":..,
// "innererror":{"message":..,"type":..}}}, into a service error. A body in
// another shape keeps its first line as the message.
func parseError(side plan.Side, status int, h http.Header, body []byte) *dsruntime.ServiceError {
	se := &dsruntime.ServiceError{Side: side, Status: status, RetryAfter: retryAfter(h)}
	var e struct {
		Error *struct {
			Code    json.RawMessage `json:"code"`
			Message json.RawMessage `json:"message"`
			Inner   *struct {
				Message json.RawMessage `json:"message"`
				Type    json.RawMessage `json:"type"`
			} `json:"innererror"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err == nil && e.Error != nil {
		se.Code = scalarText(e.Error.Code)
		se.Message = scalarText(e.Error.Message)
		if e.Error.Inner != nil {
			se.InnerMessage = scalarText(e.Error.Inner.Message)
			se.InnerType = scalarText(e.Error.Inner.Type)
		}
	} else if t := strings.TrimSpace(string(body)); t != "" && utf8.ValidString(t) {
		se.Message = truncate(firstLine(t), 300)
	}
	if se.Message == "" {
		se.Message = http.StatusText(status)
	}
	return se
}

// scalarText returns a JSON string's text, another scalar's literal, or ""
// (a message given as an object, as some services do, keeps its "value").
func scalarText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		Value string `json:"value"`
	}
	if raw[0] == '{' && json.Unmarshal(raw, &o) == nil {
		return o.Value
	}
	if raw[0] == '{' || raw[0] == '[' {
		return ""
	}
	return string(raw)
}

// page is one collection or delta answer.
type page struct {
	rows  []json.RawMessage
	next  string // @odata.nextLink
	delta string // @odata.deltaLink
}

// parsePage reads a collection answer: {"value":[...], "@odata.nextLink":
// ..., "@odata.deltaLink": ...}. Rows are kept raw: each is read on its
// own, so that one bad row does not spoil the page.
func parsePage(body []byte) (page, error) {
	var env struct {
		Value *[]json.RawMessage `json:"value"`
		Next  *string            `json:"@odata.nextLink"`
		Delta *string            `json:"@odata.deltaLink"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return page{}, fmt.Errorf("collection answer is not valid JSON: %w (body %s)", err, truncate(string(body), 300))
	}
	if env.Value == nil {
		return page{}, fmt.Errorf("collection answer has no value array (body %s)", truncate(string(body), 300))
	}
	p := page{rows: *env.Value}
	if env.Next != nil {
		p.next = *env.Next
	}
	if env.Delta != nil {
		p.delta = *env.Delta
	}
	return p, nil
}

// row is one decoded entity: property name to JSON value (nil, bool,
// json.Number, string, []any, map[string]any).
type row map[string]any

// decodeRow decodes one raw row; numbers stay exact.
func decodeRow(raw []byte) (row, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("trailing data after the object")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("want a JSON object, got %s", jsonKind(v))
	}
	return m, nil
}

// str returns a string property; ok is false when it is missing or not a
// string.
func (r row) str(name string) (string, bool) {
	s, ok := r[name].(string)
	return s, ok
}

// etag returns the row's @odata.etag.
func (r row) etag() string {
	s, _ := r.str("@odata.etag")
	return s
}

var guidInRE = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)

// deletedID returns the id of a deleted-entity entry of a delta answer and
// whether the row is one: {"@odata.context":"...#accounts/$deletedEntity",
// "id":"<guid>","reason":"deleted"}, or the OData 4.01 form
// {"@removed":{"reason":"deleted"},"@id":"accounts(<guid>)"}.
func (r row) deletedID() (string, bool) {
	ctx, _ := r.str("@odata.context")
	_, removed := r["@removed"]
	if !strings.HasSuffix(ctx, "$deletedEntity") && !removed {
		return "", false
	}
	for _, name := range []string{"id", "@id", "@odata.id"} {
		if s, ok := r.str(name); ok {
			if id := guidInRE.FindString(s); id != "" {
				return strings.ToLower(id), true
			}
		}
	}
	return "", true
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

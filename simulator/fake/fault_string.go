package fake

import (
	"fmt"
	"strings"
)

// String describes the fault in one line: its kind, then every setting
// that is not zero, as key=value.
func (f Fault) String() string {
	var b strings.Builder
	b.WriteString(string(f.Kind))
	add := func(k string, v any) { fmt.Fprintf(&b, " %s=%v", k, v) }
	if f.Name != "" && f.Name != string(f.Kind) {
		add("name", f.Name)
	}
	if f.Map != "" {
		add("map", f.Map)
	}
	if f.Set != "" {
		add("set", f.Set)
	}
	if f.Ops != "" {
		add("ops", f.Ops)
	}
	if f.Rate != 0 {
		add("rate", f.Rate)
	}
	if f.Count != 0 {
		add("count", f.Count)
	}
	if f.Status != 0 {
		add("status", f.Status)
	}
	if f.Code != "" {
		add("code", f.Code)
	}
	if f.Limit != 0 {
		add("limit", f.Limit)
	}
	if f.Window != 0 {
		add("window", f.Window)
	}
	if f.RetryAfter != 0 {
		add("retry", f.RetryAfter)
	}
	if f.Latency != 0 {
		add("latency", f.Latency)
	}
	if f.Field != "" {
		add("field", f.Field)
	}
	if f.Value != "" {
		add("value", fmt.Sprintf("%q", f.Value))
	}
	if f.Message != "" {
		add("message", fmt.Sprintf("%q", f.Message))
	}
	return b.String()
}

package server

import (
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
)

// redacted replaces what must never be logged.
const redacted = "[redacted]"

// bearer matches an Authorization value or a token in text.
var bearer = regexp.MustCompile(`(?i)(bearer\s+|access_token["'=:\s]+)[A-Za-z0-9\-._~+/]+=*`)

// NewLogger returns a JSON logger writing to w at level. Every message
// and attribute (errors included) is cleaned before it is written: each
// of secrets (empty ones are ignored) and anything that looks like a
// bearer token or an access_token field is replaced by "[redacted]".
func NewLogger(w io.Writer, level slog.Leveler, secrets ...string) *slog.Logger {
	r := newRedactor(secrets)
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level:       level,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr { return r.attr(a) },
	}))
}

type redactor struct{ secrets []string }

func newRedactor(secrets []string) *redactor {
	r := &redactor{}
	for _, s := range secrets {
		if s = strings.TrimSpace(s); s != "" {
			r.secrets = append(r.secrets, s)
		}
	}
	return r
}

func (r *redactor) text(s string) string {
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, redacted)
	}
	return bearer.ReplaceAllString(s, "${1}"+redacted)
}

func (r *redactor) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(r.text(v.String()))
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			a.Value = slog.StringValue(r.text(x.Error()))
		case fmt.Stringer:
			a.Value = slog.StringValue(r.text(x.String()))
		case []string:
			c := make([]string, len(x))
			for i, s := range x {
				c[i] = r.text(s)
			}
			a.Value = slog.AnyValue(c)
		default:
			a.Value = slog.StringValue(r.text(fmt.Sprint(x)))
		}
	}
	return a
}

// ParseLevel parses a log level name: debug, info, warn or error.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("log level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

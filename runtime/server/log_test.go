package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/runtime/server"
	"github.com/dualsync/dualsync/simulator/fake"
)

const (
	secret = "s3cr3t-Client-Value"
	token  = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJkdiJ9.c2lnbmF0dXJl"
)

func TestLoggerRedacts(t *testing.T) {
	var buf bytes.Buffer
	log := server.NewLogger(&buf, slog.LevelDebug, secret, "")
	log.Info("token request with "+secret,
		"err", errors.New("401: Authorization: Bearer "+token),
		"body", `{"token_type":"Bearer","access_token":"`+token+`"}`,
		"list", []string{"x " + secret},
		slog.Group("http", "header", "bearer "+token),
		"plain", "nothing to hide")
	out := buf.String()
	for _, leak := range []string{secret, token} {
		if strings.Contains(out, leak) {
			t.Errorf("log leaks %q:\n%s", leak, out)
		}
	}
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("not one JSON record: %v\n%s", err, out)
	}
	if rec["plain"] != "nothing to hide" || rec["msg"] != "token request with [redacted]" {
		t.Errorf("record %v", rec)
	}
	if !strings.Contains(out, "Bearer [redacted]") {
		t.Errorf("the bearer token is not marked redacted:\n%s", out)
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{"debug": slog.LevelDebug, "INFO": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError} {
		if got, err := server.ParseLevel(in); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := server.ParseLevel("loud"); err == nil {
		t.Error("ParseLevel(loud) did not fail")
	}
}

// leaky is a connector whose reads fail with an error quoting a request's
// credentials, as a careless transport might.
type leaky struct{ dsruntime.Connector }

func (l leaky) Changes(ctx context.Context, m *plan.Map, cursor string, limit int) (dsruntime.Page, error) {
	return dsruntime.Page{}, errors.New("GET /api/data/v9.2/accounts: Authorization: Bearer " + token + " client_secret=" + secret)
}

func TestServerNeverLogsCredentials(t *testing.T) {
	e := newEnv(t, fake.Config{}, fake.Config{})
	var buf syncBuffer
	cfg := e.config()
	cfg.Logger = server.NewLogger(&buf, slog.LevelDebug, secret)
	cfg.Secrets = []string{secret}
	fo, dv := e.connectors()
	s, err := server.New(context.Background(), e.p, fo, leaky{dv}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.putFO("CustomersV3", "usmf|US-001", "OrganizationName", "Contoso", "CustomerGroupId", "10")
	settle(t, e, s)
	_, body := get(t, s, "/readyz")
	out := buf.String()
	if !strings.Contains(out, `"msg":"poll failed"`) {
		t.Fatalf("the poll failure is not logged:\n%s", out)
	}
	for _, leak := range []string{secret, token} {
		if strings.Contains(out, leak) {
			t.Errorf("log leaks %q:\n%s", leak, out)
		}
	}
	if !strings.Contains(body, "fail dv") || !strings.Contains(body, "Bearer [redacted]") {
		t.Errorf("/readyz:\n%s", body)
	}
	for _, leak := range []string{secret, token} {
		if strings.Contains(body, leak) {
			t.Errorf("/readyz leaks %q:\n%s", leak, body)
		}
	}
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSimServe(t *testing.T) {
	planFile := filepath.Join("..", "..", "testdata", "starter.plan.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- simServe(ctx, []string{"--plan", planFile, "--client-id", "app", "--client-secret", "s3cret",
			"--tenant", "contoso", "--sample", "1", "--faults", "--admin-token", "adm"}, stdio{out: pw, err: &errb})
		pw.Close()
	}()
	urls := map[string]string{}
	sc := bufio.NewScanner(pr)
	for len(urls) < 3 && sc.Scan() {
		name, u, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			t.Fatalf("output line %q", sc.Text())
		}
		urls[name] = u
	}
	go io.Copy(io.Discard, pr)
	if urls["fo"] == "" || urls["dv"] == "" || urls["login"] == "" {
		t.Fatalf("printed %v; stderr %s", urls, errb.String())
	}
	token := func(resource string) string {
		resp, err := http.PostForm(urls["login"]+"/contoso/oauth2/v2.0/token", url.Values{"grant_type": {"client_credentials"},
			"client_id": {"app"}, "client_secret": {"s3cret"}, "scope": {resource + "/.default"}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var tr struct {
			AccessToken string `json:"access_token"`
		}
		if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&tr) != nil {
			t.Fatalf("token: %s", resp.Status)
		}
		return tr.AccessToken
	}
	get := func(u, tok string) int {
		req, _ := http.NewRequest("GET", u, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := get(urls["fo"]+"/data/CustomersV3(dataAreaId='usmf',CustomerAccount='CUST-0001')", token(urls["fo"])); s != 200 {
		t.Errorf("F&O sample customer: %d", s)
	}
	if s := get(urls["dv"]+"/api/data/v9.2/accounts", token(urls["dv"])); s != 200 {
		t.Errorf("Dataverse: %d", s)
	}
	if s := get(urls["dv"]+"/api/data/v9.2/accounts", ""); s != 401 {
		t.Errorf("Dataverse without a token: %d", s)
	}
	if s := get(urls["dv"]+"/_faults", "adm"); s != 200 {
		t.Errorf("fault controls: %d", s)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d: %s", code, errb.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("sim serve did not stop")
	}
}

func TestSimServeUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--faults"},
		{"--plan", "x.json", "--maps", "dir"},
		{"extra"},
		{"--no-such-flag"},
	} {
		var out, errb bytes.Buffer
		if code := simServe(context.Background(), args, stdio{out: &out, err: &errb}); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	var out, errb bytes.Buffer
	if code := simServe(context.Background(), []string{"--plan", "does-not-exist.json"}, stdio{out: &out, err: &errb}); code != 1 {
		t.Errorf("missing plan: exit %d, want 1", code)
	}
	if code := simServe(context.Background(), []string{"-h"}, stdio{out: &out, err: &errb}); code != 0 {
		t.Errorf("-h: exit %d", code)
	}
}

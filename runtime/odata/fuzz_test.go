package odata

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dualsync/dualsync/runtime/plan"
)

// fixtureSeeds adds every fixture of kind ("json" or "txt") to f.
func fixtureSeeds(f *testing.F, ext string) [][]byte {
	var out [][]byte
	for _, dir := range []string{"dv", "fo"} {
		names, _ := filepath.Glob(filepath.Join(fixtureDir, dir, "*."+ext))
		for _, n := range names {
			b, err := os.ReadFile(n)
			if err != nil {
				f.Fatal(err)
			}
			out = append(out, []byte(strings.ReplaceAll(string(b), "BASE", "https://svc.example")))
		}
	}
	return out
}

var allTypes = []plan.Type{plan.String, plan.Int, plan.Decimal, plan.Bool, plan.Date, plan.DateTime, plan.Guid, plan.Enum, plan.Choice, plan.Lookup}

// FuzzParsePage feeds collection and delta answers to the page parser and
// every row to the row reader and value conversion.
func FuzzParsePage(f *testing.F) {
	for _, b := range fixtureSeeds(f, "json") {
		f.Add(b)
	}
	f.Add([]byte(`{"value":[{"@odata.context":"x#accounts/$deletedEntity","id":"not-a-guid"},{"@removed":{},"@id":"accounts(5a1f6d2e-3b4c-4d5e-8f90-a1b2c3d4e5f6)"}]}`))
	f.Add([]byte(`{"value":null}`))
	f.Add([]byte(`{"value":[1,"x",null,[],{"a":1e999}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		pg, err := parsePage(body)
		if err != nil {
			return
		}
		for _, raw := range pg.rows {
			r, err := decodeRow(raw)
			if err != nil {
				continue
			}
			r.deletedID()
			r.etag()
			for _, v := range r {
				for _, ty := range allTypes {
					val, err := readValue(ty, v, true)
					if err == nil {
						// What reads must write back.
						if _, err := writeValue(ty, val); err != nil && !val.IsNull() && ty != plan.Lookup {
							t.Errorf("%s value %v read but not written: %v", ty, val, err)
						}
					}
					_, _ = keyText(ty, v)
				}
			}
		}
	})
}

// FuzzObserve feeds raw rows to both connectors' row readers.
func FuzzObserve(f *testing.F) {
	for _, b := range fixtureSeeds(f, "json") {
		pg, err := parsePage(b)
		if err != nil {
			f.Add(b)
			continue
		}
		for _, r := range pg.rows {
			f.Add([]byte(r))
		}
	}
	p, err := plan.ReadFile("../../testdata/starter.plan.json")
	if err != nil {
		f.Fatal(err)
	}
	failing := Config{URL: "https://svc.example", Retries: -1, Client: &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, errors.New("offline")
	})}}
	fo, err := NewFO(p, failing)
	if err != nil {
		f.Fatal(err)
	}
	dv, err := NewDV(p, failing)
	if err != nil {
		f.Fatal(err)
	}
	dv.remember(usmfID, "usmf")
	dv.ids.Put("contacts", "7d2e4f60-1a2b-4c3d-9e8f-0a1b2c3d4e5f", "usmf|CP-0042")
	f.Fuzz(func(t *testing.T, raw []byte) {
		for i := range p.Maps {
			m := &p.Maps[i]
			if o, rej := fo.observe(m, raw); rej == nil && o.Key == "" && len(m.Key) > 1 {
				t.Errorf("fo %s: accepted a row without a key", m.Name)
			}
			o, rej, err := dv.observe(context.Background(), m, raw, true)
			if err == nil && rej == nil && o.Key == "" {
				t.Errorf("dv %s: accepted a row without a key", m.Name)
			}
		}
	})
}

// FuzzReadBatch feeds multipart answers to the $batch reader.
func FuzzReadBatch(f *testing.F) {
	for _, b := range fixtureSeeds(f, "txt") {
		f.Add("multipart/mixed; boundary="+strings.TrimPrefix(strings.SplitN(string(b), "\r\n", 2)[0], "--"), b)
	}
	f.Add("multipart/mixed; boundary=b", []byte("--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 200 OK\r\n\r\n{}\r\n--c--\r\n--b--\r\n"))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		rs, err := readBatch(ct, body)
		if err != nil {
			return
		}
		for _, r := range rs {
			if r.status < 100 || r.status > 599 || r.set < 0 {
				t.Errorf("response %+v", r)
			}
		}
	})
}

// FuzzCursors checks that cursors parse without panicking and print back
// to what they parse from.
func FuzzCursors(f *testing.F) {
	f.Add("fo1 2024-05-02T09:16:10Z XAvTQdL7ahE,AAAAAAAAAAA")
	f.Add("dv1 delta accounts?$deltatoken=1%2101")
	f.Add("dv1 next accounts?$skiptoken=%3Ccookie%20/%3E")
	f.Fuzz(func(t *testing.T, s string) {
		if c, err := parseFOCursor(s); err == nil && s != "" {
			if c2, err := parseFOCursor(c.String()); err != nil || c2.String() != c.String() {
				t.Errorf("fo cursor %q → %q does not round-trip: %v", s, c.String(), err)
			}
		}
		if c, err := parseDVCursor(s); err == nil && s != "" && c.String() != s {
			t.Errorf("dv cursor %q → %q", s, c.String())
		}
	})
}

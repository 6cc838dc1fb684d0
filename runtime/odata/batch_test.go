package odata

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteBatch(t *testing.T) {
	h := http.Header{}
	h.Set("If-Match", `W/"7"`)
	ct, body, err := writeBatch([][]batchReq{
		{{contentID: "1", method: "PATCH", url: "https://dv.example/api/data/v9.2/accounts(accountnumber='A')", header: h, body: []byte(`{"name":"x\r\n--not a boundary"}`)}},
		{{contentID: "1", method: "DELETE", url: "https://dv.example/api/data/v9.2/accounts(accountnumber='B')"},
			{contentID: "2", method: "POST", url: "https://dv.example/api/data/v9.2/contacts", body: []byte(`{"lastname":"y"}`)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ct, "multipart/mixed; boundary=batch_") {
		t.Errorf("content type %q", ct)
	}
	if strings.Contains(string(body), "\n") != strings.Contains(string(body), "\r\n") {
		t.Error("line ends are not CRLF")
	}
	sets := parseBatchRequest(t, ct, body)
	if len(sets) != 2 || len(sets[0]) != 1 || len(sets[1]) != 2 {
		t.Fatalf("sets %+v", sets)
	}
	if r := sets[0][0]; r.method != "PATCH" || r.header.Get("If-Match") != `W/"7"` || r.body["name"] != "x\r\n--not a boundary" ||
		r.url != "https://dv.example/api/data/v9.2/accounts(accountnumber='A')" {
		t.Errorf("first request %+v", r)
	}
	if r := sets[1][1]; r.method != "POST" || r.body["lastname"] != "y" {
		t.Errorf("last request %+v", r)
	}
}

func TestReadBatch(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(fixtureDir, "dv/batch_mixed.txt"))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := readBatch("multipart/mixed; boundary=batchresponse_c1d2e3f4-0001-4abc-9def-112233445566", b)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		set       int
		contentID string
		status    int
	}{{0, "1", 201}, {1, "", 412}, {2, "1", 204}, {3, "", 400}}
	if len(rs) != len(want) {
		t.Fatalf("%d responses, want %d", len(rs), len(want))
	}
	for i, w := range want {
		if rs[i].set != w.set || rs[i].contentID != w.contentID || rs[i].status != w.status {
			t.Errorf("response %d: set %d id %q status %d, want %+v", i, rs[i].set, rs[i].contentID, rs[i].status, w)
		}
	}
	if rs[0].header.Get("ETag") != `W/"5130001"` || !strings.HasPrefix(string(rs[0].body), "{") || !strings.HasSuffix(string(rs[0].body), "}") {
		t.Errorf("first response: %v %q", rs[0].header, rs[0].body)
	}
	if len(rs[2].body) != 0 {
		t.Errorf("204 body %q", rs[2].body)
	}
	for _, bad := range []struct{ ct, body string }{
		{"application/json", "{}"},
		{"multipart/mixed", "--x\r\n"},
		{"multipart/mixed; boundary=x", "--x\r\nContent-Type: application/http\r\n\r\nnot a status line\r\n--x--\r\n"},
		{"multipart/mixed; boundary=x", "--x\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 abc OK\r\n\r\n--x--\r\n"},
		{"multipart/mixed; boundary=x", "--x\r\nContent-Type: multipart/mixed\r\n\r\n--x--\r\n"},
		{"multipart/mixed; boundary=x", "--x\r\nContent-Type: application/http\r\n\r\n"},
	} {
		if _, err := readBatch(bad.ct, []byte(bad.body)); err == nil {
			t.Errorf("readBatch(%q, %q): want an error", bad.ct, bad.body)
		}
	}
}

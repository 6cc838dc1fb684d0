package fake

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

var ctx = context.Background()

func keysOf(rows []engine.Observed) string {
	var out []string
	for _, o := range rows {
		k := o.Key
		if o.Deleted {
			k = "-" + k
		}
		out = append(out, k)
	}
	return strings.Join(out, " ")
}

func TestFOConnectorChanges(t *testing.T) {
	s, clock := newFO(t, Config{})
	p := s.plan
	m := p.MapByName("customer")
	c := NewFOConnector(s, p, ConnectorConfig{Overlap: 30 * time.Second})
	put := func(key string, kv ...any) {
		t.Helper()
		must[Row](t)(s.Put("CustomersV3", key, vals(kv...)))
	}
	changes := func(cursor string, limit int) dsruntime.Page {
		t.Helper()
		return must[dsruntime.Page](t)(c.Changes(ctx, m, cursor, limit))
	}
	// Three rows in the same second: two pages, no row twice, in the
	// order they were written (not by key).
	put("usmf|C1", "OrganizationName", "A")
	put("usrt|C2", "OrganizationName", "B")
	put("usmf|C3", "OrganizationName", "C")
	p1 := changes("", 2)
	if got := keysOf(p1.Rows); got != "usmf|C1 usrt|C2" || !p1.More {
		t.Fatalf("page 1: %q more=%v", got, p1.More)
	}
	if p1.Rows[0].Token != "" || p1.Rows[1].Token != p1.Next {
		t.Errorf("tokens %q %q, want only the last row to carry the page's cursor %q", p1.Rows[0].Token, p1.Rows[1].Token, p1.Next)
	}
	if !strings.HasPrefix(p1.Next, "fo1 2025-01-01T00:00:00Z ") {
		t.Errorf("cursor %q", p1.Next)
	}
	p2 := changes(p1.Next, 2)
	if got := keysOf(p2.Rows); got != "usmf|C3" || p2.More {
		t.Fatalf("page 2: %q more=%v", got, p2.More)
	}
	if got := keysOf(changes(p2.Next, 10).Rows); got != "" {
		t.Errorf("nothing new, got %q", got)
	}
	// An edit in the same second is a new version: it is returned.
	put("usmf|C1", "OrganizationName", "A2")
	p3 := changes(p2.Next, 10)
	if got := keysOf(p3.Rows); got != "usmf|C1" || !p3.Rows[0].Values["OrganizationName"].Equal(engine.String("A2")) {
		t.Fatalf("same-second edit: %q", got)
	}
	// A row stamped before the cursor (the service's clock stepped back)
	// is caught by the overlap window.
	clock.Advance(time.Minute)
	put("usmf|C4")
	p4 := changes(p3.Next, 10)
	s.SetSkew(-20 * time.Second)
	put("usmf|C5")
	s.SetSkew(0)
	p5 := changes(p4.Next, 10)
	if got := keysOf(p5.Rows); got != "usmf|C5" {
		t.Errorf("late row: got %q, want usmf|C5", got)
	}
	// Deletes are reported.
	if err := s.Delete("CustomersV3", "usmf|C4"); err != nil {
		t.Fatal(err)
	}
	p6 := changes(p5.Next, 10)
	if got := keysOf(p6.Rows); got != "-usmf|C4" {
		t.Errorf("delete: got %q", got)
	}
	// A restarted adapter resuming from an older cursor sees rows again,
	// never misses one.
	c2 := NewFOConnector(s, p, ConnectorConfig{Overlap: 30 * time.Second})
	again := must[dsruntime.Page](t)(c2.Changes(ctx, m, p4.Next, 10))
	if got := keysOf(again.Rows); !strings.Contains(got, "usmf|C5") || !strings.Contains(got, "-usmf|C4") {
		t.Errorf("resumed from an older cursor: %q", got)
	}
	// A cursor it cannot read is an expired cursor: read again in full.
	if _, err := c.Changes(ctx, m, "garbage", 10); !errors.Is(err, dsruntime.ErrCursorExpired) {
		t.Errorf("bad cursor: %v", err)
	}
}

func TestFOConnectorLookups(t *testing.T) {
	s, _ := newFO(t, Config{})
	c := NewFOConnector(s, s.plan, ConnectorConfig{})
	m := s.plan.MapByName("customer")
	must[Row](t)(s.Put("CustomersV3", "usmf|C1", vals("PrimaryContactPersonId", "CP1", "OrganizationName", "")))
	o := must[engine.Observed](t)(c.Read(ctx, m, "usmf|C1"))
	if !o.Values["PrimaryContactPersonId"].Equal(engine.String("usmf|CP1")) {
		t.Errorf("lookup read as %s, want the contact's key", o.Values["PrimaryContactPersonId"])
	}
	if !o.Values["OrganizationName"].IsNull() || !o.Values["CustomerAccount"].Equal(engine.String("C1")) {
		t.Errorf("empty string read as %s (want null), key field %s", o.Values["OrganizationName"], o.Values["CustomerAccount"])
	}
	rs := c.Apply(ctx, m, []engine.Write{
		{ID: "w1", Side: plan.FO, Map: "customer", Key: "usmf|C1", Op: engine.OpUpsert, ExpectedVersion: o.Version,
			Values: []engine.FieldValue{{Field: "PrimaryContactPersonId", Value: engine.String("usmf|CP2")}}},
		{ID: "w2", Side: plan.FO, Map: "customer", Key: "usmf|C2", Op: engine.OpUpsert, Create: true,
			Values: []engine.FieldValue{{Field: "PrimaryContactPersonId", Value: engine.String("usrt|CP2")}}},
	})
	if rs[0].Acked == nil || !rs[0].Acked.Stored["PrimaryContactPersonId"].Equal(engine.String("usmf|CP2")) {
		t.Errorf("w1: %+v %+v", rs[0].Acked, rs[0].Failed)
	}
	if row, _ := s.Get("CustomersV3", "usmf|C1"); !row.Values["PrimaryContactPersonId"].Equal(engine.String("CP2")) {
		t.Errorf("stored lookup %s, want the business key CP2", row.Values["PrimaryContactPersonId"])
	}
	if f := rs[1].Failed; f == nil || f.Class != engine.Validation || !strings.Contains(f.Message, "company") {
		t.Errorf("cross-company lookup: %+v", rs[1])
	}
	if o := must[engine.Observed](t)(c.Read(ctx, m, "usmf|C9")); !o.Deleted {
		t.Errorf("read of a missing record: %+v", o)
	}
}

func TestDVConnectorChanges(t *testing.T) {
	s, clock := newDV(t, Config{DeltaTokenTTL: time.Hour})
	p := s.plan
	c := NewDVConnector(s, p, ConnectorConfig{})
	contact, customer := p.MapByName("contact"), p.MapByName("customer")
	must[Row](t)(s.Put("contacts", "usmf|CP1", vals("lastname", "Example")))
	must[Row](t)(s.Put("accounts", "usmf|C1", vals("name", "Contoso", "primarycontactid", "usmf|CP1", "preferredcontactmethodcode", 2)))
	pg := must[dsruntime.Page](t)(c.Changes(ctx, customer, "", 10))
	if len(pg.Rows) != 1 {
		t.Fatalf("rows %+v", pg.Rows)
	}
	o := pg.Rows[0]
	if o.Key != "usmf|C1" || !o.Values["primarycontactid"].Equal(engine.String("usmf|CP1")) || !o.Values["preferredcontactmethodcode"].Equal(engine.Int(2)) {
		t.Errorf("observed %+v", o)
	}
	if o.Token != pg.Next || !strings.Contains(pg.Next, "!") {
		t.Errorf("token %q next %q", o.Token, pg.Next)
	}
	// A delete of a record the adapter saw, and of one it never saw.
	cp := must[dsruntime.Page](t)(c.Changes(ctx, contact, "", 10))
	must[Row](t)(s.Put("contacts", "usmf|CP2", vals("lastname", "Sample")))
	if err := s.Delete("contacts", "usmf|CP1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("contacts", "usmf|CP2"); err != nil {
		t.Fatal(err)
	}
	fresh := NewDVConnector(s, p, ConnectorConfig{})
	for name, conn := range map[string]*DVConnector{"seen": c, "fresh": fresh} {
		got := keysOf(must[dsruntime.Page](t)(conn.Changes(ctx, contact, cp.Next, 10)).Rows)
		if got != "-usmf|CP1 -usmf|CP2" {
			t.Errorf("%s adapter: deletes %q", name, got)
		}
	}
	clock.Advance(2 * time.Hour)
	if _, err := c.Changes(ctx, contact, cp.Next, 10); !errors.Is(err, dsruntime.ErrCursorExpired) {
		t.Errorf("expired token: %v", err)
	}
	if o := must[engine.Observed](t)(c.Read(ctx, contact, "usmf|CP1")); !o.Deleted {
		t.Errorf("read of a deleted record: %+v", o)
	}
}

// TestConnectorApplyClasses sends one write through each adapter under each
// condition and checks the class the engine gets.
func TestConnectorApplyClasses(t *testing.T) {
	type side struct {
		name  string
		m     string
		field string // a plain text field of the map
		long  string
	}
	fo := side{"fo", "customer", "AddressCity", strings.Repeat("x", 81)}
	dv := side{"dv", "customer", "address1_city", strings.Repeat("x", 81)}
	tests := []struct {
		name   string
		side   side
		cfg    Config
		seed   bool // the record exists
		create bool
		ver    string
		key    string
		values []engine.FieldValue
		class  engine.Class // "" for acknowledged
		field  string
		retry  time.Duration
	}{
		{name: "create", side: fo, create: true},
		{name: "create", side: dv, create: true},
		{name: "create existing", side: fo, seed: true, create: true, class: engine.VersionMismatch},
		{name: "create existing", side: dv, seed: true, create: true, class: engine.VersionMismatch},
		{name: "stale", side: fo, seed: true, ver: `W/"999"`, class: engine.VersionMismatch},
		{name: "stale", side: dv, seed: true, ver: `W/"999"`, class: engine.VersionMismatch},
		{name: "gone", side: fo, ver: `W/"1"`, class: engine.VersionMismatch},
		{name: "gone", side: dv, ver: `W/"1"`, class: engine.VersionMismatch},
		{name: "too long", side: fo, create: true, values: []engine.FieldValue{{Field: "AddressCity", Value: engine.String(fo.long)}}, class: engine.Validation, field: "AddressCity"},
		{name: "too long", side: dv, create: true, values: []engine.FieldValue{{Field: "address1_city", Value: engine.String(dv.long)}}, class: engine.Validation},
		{name: "invalid enum", side: fo, create: true, values: []engine.FieldValue{{Field: "PreferredContactMethod", Value: engine.String("SMS")}}, class: engine.Validation},
		{name: "invalid choice", side: dv, create: true, values: []engine.FieldValue{{Field: "preferredcontactmethodcode", Value: engine.Int(9)}}, class: engine.Validation},
		{name: "unknown field", side: fo, cfg: Config{Drop: []FieldRef{{"CustomersV3", "AddressCity"}}}, create: true, class: engine.MissingMapping, field: "AddressCity"},
		{name: "unknown field", side: dv, cfg: Config{Drop: []FieldRef{{"accounts", "address1_city"}}}, create: true, class: engine.MissingMapping, field: "address1_city"},
		{name: "plug-in", side: fo, cfg: Config{Faults: []Fault{{Kind: FaultPlugin, Map: "customer"}}}, create: true, class: engine.Plugin},
		{name: "plug-in", side: dv, cfg: Config{Faults: []Fault{{Kind: FaultPlugin, Map: "customer"}}}, create: true, class: engine.Plugin},
		{name: "required", side: fo, cfg: Config{Required: []FieldRef{{"CustomersV3", "OrganizationName"}}}, create: true, class: engine.Validation, field: "OrganizationName"},
		{name: "required", side: dv, cfg: Config{Required: []FieldRef{{"accounts", "name"}}}, create: true, class: engine.Validation},
		{name: "throttled", side: fo, cfg: Config{Faults: []Fault{{Kind: FaultThrottle, RetryAfter: 3 * time.Second}}}, create: true, class: engine.Throttled, retry: 3 * time.Second},
		{name: "throttled", side: dv, cfg: Config{Faults: []Fault{{Kind: FaultThrottle, RetryAfter: 3 * time.Second}}}, create: true, class: engine.Throttled, retry: 3 * time.Second},
		{name: "unavailable", side: fo, cfg: Config{Faults: []Fault{{Kind: FaultTransient}}}, create: true, class: engine.Transient, retry: time.Second},
		{name: "unavailable", side: dv, cfg: Config{Faults: []Fault{{Kind: FaultTransient, Ops: WriteOps}}}, create: true, class: engine.Transient, retry: time.Second},
		{name: "outage", side: fo, cfg: Config{Faults: []Fault{{Kind: FaultOutage}}}, create: true, class: engine.Transient},
		{name: "outage", side: dv, cfg: Config{Faults: []Fault{{Kind: FaultOutage}}}, create: true, class: engine.Transient},
		{name: "unaddressable key", side: dv, create: true, key: "usmf|A/B", class: engine.Validation, field: "accountnumber"},
	}
	for _, tt := range tests {
		t.Run(tt.side.name+"/"+tt.name, func(t *testing.T) {
			key := tt.key
			if key == "" {
				key = "usmf|C1"
			}
			var conn dsruntime.Connector
			var s plan.Side
			var p *plan.Plan
			if tt.side.name == "fo" {
				svc, _ := newFO(t, tt.cfg)
				if tt.seed {
					must[Row](t)(svc.Put("CustomersV3", key, vals("OrganizationName", "Contoso")))
				}
				conn, s, p = NewFOConnector(svc, svc.plan, ConnectorConfig{}), plan.FO, svc.plan
			} else {
				svc, _ := newDV(t, tt.cfg)
				if tt.seed {
					must[Row](t)(svc.Put("accounts", key, vals("name", "Contoso")))
				}
				conn, s, p = NewDVConnector(svc, svc.plan, ConnectorConfig{}), plan.DV, svc.plan
			}
			values := tt.values
			if values == nil {
				values = []engine.FieldValue{{Field: tt.side.field, Value: engine.String("Oslo")}}
			}
			w := engine.Write{ID: "w1", Side: s, Map: tt.side.m, Key: key, Op: engine.OpUpsert, Create: tt.create,
				ExpectedVersion: tt.ver, Values: values, Pass: 1, Attempt: 1}
			rs := conn.Apply(ctx, p.MapByName(tt.side.m), []engine.Write{w})
			if len(rs) != 1 || rs[0].WriteID() != "w1" {
				t.Fatalf("results %+v", rs)
			}
			r := rs[0]
			if tt.class == "" {
				if r.Acked == nil || r.Acked.NewVersion == "" || r.Acked.Modified.IsZero() {
					t.Fatalf("want an acknowledgement with version and time, got %+v %+v", r.Acked, r.Failed)
				}
				return
			}
			if r.Failed == nil {
				t.Fatalf("want %s, got %+v", tt.class, r.Acked)
			}
			if r.Failed.Class != tt.class || (tt.field != "" && r.Failed.Field != tt.field) || r.Failed.RetryAfter != tt.retry {
				t.Errorf("got %+v, want class %s field %q retry %v", *r.Failed, tt.class, tt.field, tt.retry)
			}
		})
	}
}

func TestConnectorDeletes(t *testing.T) {
	fo, _ := newFO(t, Config{})
	dv, _ := newDV(t, Config{})
	must[Row](t)(fo.Put("CustomersV3", "usmf|C1", vals("OrganizationName", "A")))
	must[Row](t)(dv.Put("accounts", "usmf|C1", vals("name", "A")))
	m := fo.plan.MapByName("customer")
	for _, conn := range []dsruntime.Connector{NewFOConnector(fo, fo.plan, ConnectorConfig{}), NewDVConnector(dv, dv.plan, ConnectorConfig{})} {
		t.Run(string(conn.Side()), func(t *testing.T) {
			o := must[engine.Observed](t)(conn.Read(ctx, m, "usmf|C1"))
			del := func(ver string) dsruntime.Result {
				return conn.Apply(ctx, m, []engine.Write{{ID: "d", Side: conn.Side(), Map: "customer", Key: "usmf|C1", Op: engine.OpDelete, ExpectedVersion: ver}})[0]
			}
			if r := del(`W/"999"`); r.Failed == nil || r.Failed.Class != engine.VersionMismatch {
				t.Errorf("stale delete: %+v %+v", r.Acked, r.Failed)
			}
			if r := del(o.Version); r.Acked == nil {
				t.Errorf("delete: %+v", r.Failed)
			}
			if o := must[engine.Observed](t)(conn.Read(ctx, m, "usmf|C1")); !o.Deleted {
				t.Errorf("read after delete: %+v", o)
			}
			if r := del(o.Version); r.Failed == nil || r.Failed.Class != engine.VersionMismatch {
				t.Errorf("delete of a deleted record: %+v %+v", r.Acked, r.Failed)
			}
		})
	}
}

func TestDVNormalize(t *testing.T) {
	s, _ := newDV(t, Config{Normalize: []Normalize{{Set: "accounts", Field: "name", Rule: Trim}, {Set: "accounts", Field: "name", Rule: Lower}}})
	r := must[Row](t)(s.Put("accounts", "usmf|C1", vals("name", "  Contoso  ", "creditlimit", engine.MustDecimal("1.23456"))))
	if !r.Values["name"].Equal(engine.String("contoso")) || !r.Values["creditlimit"].Equal(engine.MustDecimal("1.2346")) {
		t.Errorf("stored %s %s", r.Values["name"], r.Values["creditlimit"])
	}
	if _, err := NewDV(s.plan, Config{Normalize: []Normalize{{Set: "accounts", Field: "name", Rule: "shout"}}}); err == nil {
		t.Error("unknown rule accepted")
	}
	if _, err := NewDV(s.plan, Config{Required: []FieldRef{{"accounts", "nope"}}}); err == nil {
		t.Error("unknown field accepted")
	}
}

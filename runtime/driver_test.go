package runtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator/fake"
)

func loadPlan(tb testing.TB) *plan.Plan {
	tb.Helper()
	p, err := plan.ReadFile("../testdata/starter.plan.json")
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// world is the two fakes on one virtual clock, and a driver over them.
type world struct {
	tb    testing.TB
	p     *plan.Plan
	clock *fake.Clock
	fo    *fake.FO
	dv    *fake.DV
	store *dsruntime.MemoryPersister
	d     *dsruntime.Driver
}

func newWorld(tb testing.TB, foCfg, dvCfg fake.Config) *world {
	tb.Helper()
	w := &world{tb: tb, p: loadPlan(tb), clock: fake.NewClock(time.Time{})}
	foCfg.Clock, dvCfg.Clock = w.clock, w.clock
	var err error
	if w.fo, err = fake.NewFO(w.p, foCfg); err != nil {
		tb.Fatal(err)
	}
	if w.dv, err = fake.NewDV(w.p, dvCfg); err != nil {
		tb.Fatal(err)
	}
	w.store = dsruntime.NewMemoryPersister(nil)
	w.start(nil, w.store)
	return w
}

// start builds a driver with new connectors (a new process), resuming from
// st and saving through persist.
func (w *world) start(st *engine.State, persist dsruntime.Persister) {
	w.tb.Helper()
	d, err := dsruntime.New(w.p,
		fake.NewFOConnector(w.fo, w.p, fake.ConnectorConfig{}),
		fake.NewDVConnector(w.dv, w.p, fake.ConnectorConfig{}),
		dsruntime.Config{State: st, Persister: persist, Clock: w.clock, BatchSize: 10})
	if err != nil {
		w.tb.Fatal(err)
	}
	w.d = d
}

func (w *world) run() {
	w.tb.Helper()
	if err := w.d.RunUntilQuiet(context.Background(), 200); err != nil {
		w.tb.Fatal(err)
	}
	w.check()
}

// check asserts the accounting identity and an empty error queue.
func (w *world) check() {
	w.tb.Helper()
	a := w.d.Engine().Accounting()
	if err := a.Check(); err != nil {
		w.tb.Fatal(err)
	}
	if a.InFlight != 0 || a.Parked != 0 {
		w.tb.Fatalf("quiet engine with %d in flight and %d parked", a.InFlight, a.Parked)
	}
	if errs := w.store.Errors(); len(errs) > 0 {
		w.tb.Fatalf("error queue: %+v", errs)
	}
}

func (w *world) putFO(set, key string, kv ...any) {
	w.tb.Helper()
	if _, err := w.fo.Put(set, key, vals(w.tb, kv...)); err != nil {
		w.tb.Fatal(err)
	}
}

func (w *world) putDV(set, key string, kv ...any) {
	w.tb.Helper()
	if _, err := w.dv.Put(set, key, vals(w.tb, kv...)); err != nil {
		w.tb.Fatal(err)
	}
}

func vals(tb testing.TB, kv ...any) map[string]engine.Value {
	m := map[string]engine.Value{}
	for i := 0; i < len(kv); i += 2 {
		var v engine.Value
		switch x := kv[i+1].(type) {
		case engine.Value:
			v = x
		case string:
			v = engine.String(x)
		case int:
			v = engine.Int(int64(x))
		case nil:
		default:
			tb.Fatalf("vals: %T", x)
		}
		m[kv[i].(string)] = v
	}
	return m
}

// want asserts field values of a row.
func want(tb testing.TB, side, set, key string, row fake.Row, ok bool, kv ...any) {
	tb.Helper()
	if !ok {
		tb.Fatalf("%s %s %s: missing", side, set, key)
	}
	for n, v := range vals(tb, kv...) {
		if got := row.Values[n]; !got.Equal(v) {
			tb.Errorf("%s %s %s: %s = %s, want %s", side, set, key, n, got, v)
		}
	}
}

func TestDriverSyncsBothWays(t *testing.T) {
	w := newWorld(t, fake.Config{Seed: 1}, fake.Config{Seed: 1})
	w.putFO("CustomersV3", "usmf|C1",
		"OrganizationName", "Contoso", "PreferredContactMethod", "Email", "CustomerGroupId", "10",
		"AddressCity", "Oslo", "CreditLimit", engine.MustDecimal("1000.5"), "PaymentTerms", "Net30",
		"PrimaryContactPersonId", "CP1")
	w.putDV("contacts", "usmf|CP1", "firstname", "Alex", "lastname", "Example", "emailaddress1", "alex@example.com")
	w.run()

	acct, ok := w.dv.Get("accounts", "usmf|C1")
	want(t, "dv", "accounts", "usmf|C1", acct, ok,
		"name", "Contoso", "preferredcontactmethodcode", 2, "msdyn_customergroupid", "10", "address1_city", "Oslo",
		"creditlimit", engine.MustDecimal("1000.5"), "msdyn_paymentterm", "Net30", "accountnumber", "C1",
		"msdyn_company", "usmf", "primarycontactid", "usmf|CP1")
	cp, ok := w.fo.Get("ContactPersonsV2", "usmf|CP1")
	want(t, "fo", "ContactPersonsV2", "usmf|CP1", cp, ok,
		"FirstName", "Alex", "LastName", "Example", "Email", "alex@example.com", "ContactPersonId", "CP1", "dataAreaId", "usmf")

	// Edits on Dataverse flow back: a choice through the value map, a
	// lookup by key.
	w.putDV("accounts", "usmf|C1", "preferredcontactmethodcode", 3)
	w.putDV("contacts", "usmf|CP1", "parentcustomerid", "usmf|C1")
	w.run()
	cust, ok := w.fo.Get("CustomersV3", "usmf|C1")
	want(t, "fo", "CustomersV3", "usmf|C1", cust, ok, "PreferredContactMethod", "Phone", "PrimaryContactPersonId", "CP1")
	cp, ok = w.fo.Get("ContactPersonsV2", "usmf|CP1")
	want(t, "fo", "ContactPersonsV2", "usmf|CP1", cp, ok, "AssociatedCustomerAccount", "C1")

	// Nothing left to do: another run sends nothing.
	before := w.d.Stats().Writes
	w.run()
	if after := w.d.Stats().Writes; after != before {
		t.Errorf("a quiet system sent %d more writes", after-before)
	}
	if n := len(w.dv.Rows("accounts")); n != 1 {
		t.Errorf("%d accounts on Dataverse, want 1", n)
	}
}

// crashingPersister commits the Ready of save number at, then fails as a
// process that dies right after its checkpoint would: its writes are never
// sent.
type crashingPersister struct {
	inner *dsruntime.MemoryPersister
	at    int
	saves int
}

var errCrash = errors.New("crash")

func (p *crashingPersister) Save(ctx context.Context, rd engine.Ready) error {
	p.saves++
	if err := p.inner.Save(ctx, rd); err != nil {
		return err
	}
	if p.saves == p.at {
		return errCrash
	}
	return nil
}

func TestDriverCrashAfterSaveBeforeApply(t *testing.T) {
	w := newWorld(t, fake.Config{Seed: 2}, fake.Config{Seed: 2})
	w.putFO("CustomersV3", "usmf|C1", "OrganizationName", "Contoso", "PreferredContactMethod", "Mail")
	w.putDV("contacts", "usmf|CP1", "firstname", "Alex", "lastname", "Example")
	foBefore, _ := w.fo.Get("CustomersV3", "usmf|C1")

	crash := &crashingPersister{inner: w.store, at: 1}
	w.start(nil, crash)
	err := w.d.RunUntilQuiet(context.Background(), 50)
	if !errors.Is(err, errCrash) {
		t.Fatalf("run: %v, want the crash", err)
	}
	if rows := w.dv.Rows("accounts"); len(rows) != 0 {
		t.Fatalf("writes were sent after a failed save: %+v", rows)
	}
	if err := w.d.Pump(context.Background()); !errors.Is(err, errCrash) {
		t.Fatalf("a crashed driver pumped again: %v", err)
	}

	w.start(w.store.State(), w.store)
	w.run()
	acct, ok := w.dv.Get("accounts", "usmf|C1")
	want(t, "dv", "accounts", "usmf|C1", acct, ok, "name", "Contoso", "preferredcontactmethodcode", 5)
	cp, ok := w.fo.Get("ContactPersonsV2", "usmf|CP1")
	want(t, "fo", "ContactPersonsV2", "usmf|CP1", cp, ok, "FirstName", "Alex", "LastName", "Example")
	if n := len(w.dv.Rows("accounts")); n != 1 {
		t.Errorf("%d accounts, want 1", n)
	}
	if n := len(w.fo.Rows("ContactPersonsV2")); n != 1 {
		t.Errorf("%d contact persons, want 1", n)
	}
	if foAfter, _ := w.fo.Get("CustomersV3", "usmf|C1"); foAfter.ETag != foBefore.ETag {
		t.Errorf("the F&O customer was written back: %s, was %s", foAfter.ETag, foBefore.ETag)
	}
}

// seedScenario writes records on both sides that need every kind of
// write: creates both ways, value maps, a second-pass lookup, a one-way map.
func seedScenario(w *world) {
	w.putFO("CustomersV3", "usmf|C1", "OrganizationName", "Contoso", "PreferredContactMethod", "Email",
		"CreditLimit", engine.MustDecimal("250.75"), "PrimaryContactPersonId", "CP1")
	w.putDV("contacts", "usmf|CP1", "firstname", "Alex", "lastname", "Example")
	w.putDV("accounts", "usmf|C2", "name", "Fabrikam", "preferredcontactmethodcode", 4)
	w.putFO("PaymentTerms", "usmf|Net30", "Description", "Net 30 days", "NumberOfDays", 30, "PaymentMethodType", "Net")
	w.putFO("ProductsV2", "P1", "ProductName", "Widget", "ProductType", "Item")
}

// snapshot is every record of every set on both sides, without the
// services' own columns (ids, versions, times), as text.
func snapshot(w *world) string {
	var b strings.Builder
	skip := map[string]bool{"ModifiedDateTime": true, "modifiedon": true, "createdon": true, "versionnumber": true}
	dump := func(side string, sets []string, rows func(string) []fake.Row) {
		for _, set := range sets {
			for _, r := range rows(set) {
				fmt.Fprintf(&b, "%s %s %s:", side, set, r.Key)
				for _, n := range slices.Sorted(maps.Keys(r.Values)) {
					if skip[n] || strings.HasSuffix(n, "id") && fake.IsGUID(text(r.Values[n])) {
						continue
					}
					fmt.Fprintf(&b, " %s=%s", n, r.Values[n])
				}
				b.WriteString("\n")
			}
		}
	}
	dump("fo", w.fo.Sets(), w.fo.Rows)
	dump("dv", w.dv.Sets(), w.dv.Rows)
	return b.String()
}

func text(v engine.Value) string {
	s, _ := v.AsString()
	return s
}

// failingPersister fails save number at: after committing it (a crash
// right after the checkpoint) or without committing it (a crash before).
type failingPersister struct {
	inner  *dsruntime.MemoryPersister
	at     int
	commit bool
	saves  int
}

func (p *failingPersister) Save(ctx context.Context, rd engine.Ready) error {
	p.saves++
	if p.saves == p.at && !p.commit {
		return errCrash
	}
	if err := p.inner.Save(ctx, rd); err != nil {
		return err
	}
	if p.saves == p.at {
		return errCrash
	}
	return nil
}

// TestDriverCrashAtEverySave crashes the driver at each checkpoint of a
// sync, before or after it is committed, and restarts it from the store:
// the sides end exactly as without the crash, with no duplicate and
// nothing lost.
func TestDriverCrashAtEverySave(t *testing.T) {
	clean := newWorld(t, fake.Config{Seed: 5}, fake.Config{Seed: 5})
	seedScenario(clean)
	clean.run()
	want := snapshot(clean)
	saves := clean.store.Saves()
	if saves < 3 {
		t.Fatalf("only %d saves in the clean run", saves)
	}
	for at := 1; at <= saves; at++ {
		for _, commit := range []bool{true, false} {
			t.Run(fmt.Sprintf("save%d/commit=%v", at, commit), func(t *testing.T) {
				w := newWorld(t, fake.Config{Seed: 5}, fake.Config{Seed: 5})
				seedScenario(w)
				w.start(nil, &failingPersister{inner: w.store, at: at, commit: commit})
				if err := w.d.RunUntilQuiet(context.Background(), 200); !errors.Is(err, errCrash) {
					t.Fatalf("run: %v, want the crash", err)
				}
				w.start(w.store.State(), w.store)
				w.run()
				if got := snapshot(w); got != want {
					t.Errorf("after a crash at save %d:\n%s\nwithout a crash:\n%s", at, got, want)
				}
			})
		}
	}
}

// TestDriverResumesFromWatermarks restarts a driver after a full sync: it
// resumes every feed from the persisted tokens, reads nothing old and
// writes nothing.
func TestDriverResumesFromWatermarks(t *testing.T) {
	w := newWorld(t, fake.Config{Seed: 3}, fake.Config{Seed: 3})
	seedScenario(w)
	w.run()
	st := w.store.State()
	if len(st.Watermarks) == 0 {
		t.Fatal("no watermarks persisted")
	}
	w.start(st, w.store)
	for _, wm := range st.Watermarks {
		if got := w.d.Cursor(wm.Map, wm.Side); got != wm.Token {
			t.Errorf("%s %s resumes from %q, want %q", wm.Map, wm.Side, got, wm.Token)
		}
	}
	w.run()
	if s := w.d.Stats(); s.Writes != 0 {
		t.Errorf("restart after a full sync wrote %d times", s.Writes)
	}
	w.putDV("accounts", "usmf|C1", "name", "Contoso Ltd")
	w.run()
	if r, _ := w.fo.Get("CustomersV3", "usmf|C1"); !r.Values["OrganizationName"].Equal(engine.String("Contoso Ltd")) {
		t.Errorf("an edit after the restart did not flow: %s", r.Values["OrganizationName"])
	}
}

// TestDriverExpiredCursor reads a feed again from the start when
// Dataverse says its delta token expired.
func TestDriverExpiredCursor(t *testing.T) {
	w := newWorld(t, fake.Config{Seed: 4}, fake.Config{Seed: 4})
	seedScenario(w)
	w.run()
	w.dv.ExpireDeltaTokens()
	w.putDV("contacts", "usmf|CP1", "jobtitle", "Engineer")
	w.run()
	if s := w.d.Stats(); s.CursorResets == 0 {
		t.Error("no cursor reset after the tokens expired")
	}
	if r, _ := w.fo.Get("ContactPersonsV2", "usmf|CP1"); !r.Values["JobTitle"].Equal(engine.String("Engineer")) {
		t.Errorf("the edit made while the token was stale did not flow: %s", r.Values["JobTitle"])
	}
}

// TestDriverThrottlingStorm: sustained 429s slow the sync down (the virtual
// clock moves to the retries) without an error-queue entry.
func TestDriverThrottlingStorm(t *testing.T) {
	w := newWorld(t, fake.Config{Seed: 6}, fake.Config{Seed: 6,
		Faults: []fake.Fault{{Kind: fake.FaultThrottle, Ops: fake.WriteOps, Count: 20, RetryAfter: 30 * time.Second}}})
	seedScenario(w)
	start := w.clock.Now()
	w.run()
	if s := w.d.Stats(); s.FailedBy[engine.Throttled] == 0 {
		t.Errorf("no write was throttled: %+v", s)
	}
	if w.clock.Now().Sub(start) < 30*time.Second {
		t.Errorf("the clock moved only %v", w.clock.Now().Sub(start))
	}
	if _, ok := w.dv.Get("accounts", "usmf|C1"); !ok {
		t.Error("the customer never reached Dataverse")
	}
}

// TestDriverOutage: reads that fail are retried, writes fail as transient
// and are retried; after the outage everything arrives.
func TestDriverOutage(t *testing.T) {
	w := newWorld(t, fake.Config{Seed: 7}, fake.Config{Seed: 7})
	seedScenario(w)
	if err := w.dv.SetFault(fake.Fault{Kind: fake.FaultOutage}); err != nil {
		t.Fatal(err)
	}
	err := w.d.RunUntilQuiet(context.Background(), 5)
	if !errors.Is(err, dsruntime.ErrNotQuiet) {
		t.Fatalf("run during an outage: %v, want not quiet", err)
	}
	if s := w.d.Stats(); s.PollErrors == 0 {
		t.Errorf("no poll error during the outage: %+v", s)
	}
	w.dv.ClearFaults()
	w.run()
	if got, want := snapshot(w), func() string {
		c := newWorld(t, fake.Config{Seed: 7}, fake.Config{Seed: 7})
		seedScenario(c)
		c.run()
		return snapshot(c)
	}(); got != want {
		t.Errorf("after the outage:\n%s\nwant:\n%s", got, want)
	}
}

// TestDriverDeterministic: the same seed gives a byte-identical trace.
func TestDriverDeterministic(t *testing.T) {
	trace := func() string {
		w := newWorld(t, fake.Config{Seed: 9, Faults: []fake.Fault{{Kind: fake.FaultTransient, Rate: 0.2}}},
			fake.Config{Seed: 9, Faults: []fake.Fault{{Kind: fake.FaultNetwork, Rate: 0.2}}})
		seedScenario(w)
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		d, err := dsruntime.New(w.p, fake.NewFOConnector(w.fo, w.p, fake.ConnectorConfig{}), fake.NewDVConnector(w.dv, w.p, fake.ConnectorConfig{}),
			dsruntime.Config{Clock: w.clock, Persister: w.store, Trace: func(ev dsruntime.TraceEvent) {
				if err := enc.Encode(ev); err != nil {
					t.Fatal(err)
				}
			}})
		if err != nil {
			t.Fatal(err)
		}
		w.d = d
		w.run()
		return b.String() + snapshot(w)
	}
	a, b := trace(), trace()
	if a != b {
		t.Fatalf("two runs with the same seed differ")
	}
	if !strings.Contains(a, `"kind":"apply"`) {
		t.Fatalf("trace has no writes:\n%s", a)
	}
}

// TestDriverSaveFailureSendsNothing: a Save that fails (without
// committing) stops the driver before its writes go out.
func TestDriverSaveFailureSendsNothing(t *testing.T) {
	w := newWorld(t, fake.Config{}, fake.Config{})
	w.putFO("CustomersV3", "usmf|C1", "OrganizationName", "Contoso")
	w.start(nil, &failingPersister{inner: w.store, at: 1})
	before := w.dv.Requests()
	if err := w.d.RunUntilQuiet(context.Background(), 10); !errors.Is(err, errCrash) {
		t.Fatalf("run: %v", err)
	}
	if w.d.Err() == nil {
		t.Error("the driver does not report the failure")
	}
	if _, ok := w.dv.Get("accounts", "usmf|C1"); ok {
		t.Error("the write went out")
	}
	// Only the polls reached Dataverse.
	if n := w.dv.Requests() - before; n > 5 {
		t.Errorf("%d requests to Dataverse", n)
	}
}

// flaky wraps a connector: it records batch sizes, loses the answers of
// the first lostApplies Apply calls (the writes were applied, the answers
// never came) and fails the first failReads reads.
type flaky struct {
	dsruntime.Connector
	lostApplies, failReads int
	batches                []int
}

func (f *flaky) Apply(ctx context.Context, m *plan.Map, ws []engine.Write) []dsruntime.Result {
	f.batches = append(f.batches, len(ws))
	rs := f.Connector.Apply(ctx, m, ws)
	if f.lostApplies > 0 {
		f.lostApplies--
		return nil
	}
	return rs
}

func (f *flaky) Read(ctx context.Context, m *plan.Map, key string) (engine.Observed, error) {
	if f.failReads > 0 {
		f.failReads--
		return engine.Observed{}, errors.New("read timed out")
	}
	return f.Connector.Read(ctx, m, key)
}

// TestDriverLostAnswers: writes whose answers are lost are retried as
// transient failures; the retried creates meet the records they already
// made (version mismatch) and merge: no duplicates. Batches respect
// BatchSize. A read after a version mismatch that fails is tried again.
func TestDriverLostAnswers(t *testing.T) {
	w := newWorld(t, fake.Config{Seed: 12}, fake.Config{Seed: 12})
	for _, k := range []string{"C1", "C2", "C3", "C4", "C5"} {
		w.putFO("CustomersV3", "usmf|"+k, "OrganizationName", "Org "+k, "PreferredContactMethod", "Phone")
	}
	w.putFO("PaymentTerms", "usmf|Net30", "Description", "Net 30")
	dv := &flaky{Connector: fake.NewDVConnector(w.dv, w.p, fake.ConnectorConfig{}), lostApplies: 1}
	d, err := dsruntime.New(w.p, fake.NewFOConnector(w.fo, w.p, fake.ConnectorConfig{}), dv,
		dsruntime.Config{Persister: w.store, Clock: w.clock, BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	w.d = d
	w.run()
	if len(dv.batches) == 0 || slices.Max(dv.batches) > 2 {
		t.Errorf("batch sizes %v, want at most 2", dv.batches)
	}
	s := d.Stats()
	if s.FailedBy[engine.Transient] != 2 || s.FailedBy[engine.VersionMismatch] == 0 {
		t.Errorf("stats %+v: want 2 lost answers and version mismatches on their retries", s)
	}
	rows := w.dv.Rows("accounts")
	if len(rows) != 5 {
		t.Fatalf("%d accounts, want 5", len(rows))
	}
	for _, r := range rows {
		if !r.Values["preferredcontactmethodcode"].Equal(engine.Int(3)) {
			t.Errorf("%s: %s", r.Key, r.Values["preferredcontactmethodcode"])
		}
	}

	// The Dataverse copy of a one-way map is not polled: an edit there is
	// only found when a write meets it (412), and the engine reads it.
	dv.failReads = 2
	w.putDV("msdyn_paymentterms", "usmf|Net30", "msdyn_description", "edited in the CRM")
	w.putFO("PaymentTerms", "usmf|Net30", "Description", "Net 30 days", "NumberOfDays", 30)
	w.run()
	if s := d.Stats(); s.ReadErrors != 2 || s.Reads == 0 {
		t.Errorf("stats %+v: want 2 failed reads, then a read", s)
	}
	if r, _ := w.dv.Get("msdyn_paymentterms", "usmf|Net30"); !r.Values["msdyn_description"].Equal(engine.String("Net 30 days")) ||
		!r.Values["msdyn_numberofdays"].Equal(engine.Int(30)) {
		t.Errorf("Dataverse payment term %+v", r.Values)
	}
}

// TestDriverEchoWithNormalization: Dataverse rewrites what the engine
// writes (case, white space, rounding); the rewritten echo causes no write
// back, with or without stored values in the acknowledgements.
func TestDriverEchoWithNormalization(t *testing.T) {
	for _, noStored := range []bool{false, true} {
		t.Run(fmt.Sprintf("noStored=%v", noStored), func(t *testing.T) {
			w := newWorld(t, fake.Config{Seed: 13}, fake.Config{Seed: 13, Normalize: []fake.Normalize{
				{Set: "accounts", Field: "name", Rule: fake.Upper},
				{Set: "accounts", Field: "address1_city", Rule: fake.Trim},
				{Set: "accounts", Field: "creditlimit", Rule: fake.Round, Places: 1},
			}})
			d, err := dsruntime.New(w.p, fake.NewFOConnector(w.fo, w.p, fake.ConnectorConfig{}),
				fake.NewDVConnector(w.dv, w.p, fake.ConnectorConfig{NoStored: noStored}),
				dsruntime.Config{Persister: w.store, Clock: w.clock})
			if err != nil {
				t.Fatal(err)
			}
			w.d = d
			w.putFO("CustomersV3", "usmf|C1", "OrganizationName", "Contoso", "AddressCity", " Oslo ", "CreditLimit", engine.MustDecimal("10.25"))
			w.run()
			acct, ok := w.dv.Get("accounts", "usmf|C1")
			want(t, "dv", "accounts", "usmf|C1", acct, ok, "name", "CONTOSO", "address1_city", "Oslo", "creditlimit", engine.MustDecimal("10.3"))
			cust, ok := w.fo.Get("CustomersV3", "usmf|C1")
			want(t, "fo", "CustomersV3", "usmf|C1", cust, ok, "OrganizationName", "Contoso", "AddressCity", " Oslo ")
			if s := d.Stats(); s.Writes != 1 {
				t.Errorf("%d writes, want the one create (no ping-pong)", s.Writes)
			}
			if a := d.Engine().Accounting(); a.Echo == 0 {
				t.Errorf("the echo was not recognised: %+v", a)
			}
		})
	}
}

// rejecting wraps a connector and adds unreadable rows to the first page
// of one map.
type rejecting struct {
	dsruntime.Connector
	m    string
	rows []dsruntime.Rejected
}

func (c *rejecting) Changes(ctx context.Context, m *plan.Map, cursor string, limit int) (dsruntime.Page, error) {
	page, err := c.Connector.Changes(ctx, m, cursor, limit)
	if err == nil && m.Name == c.m && len(c.rows) > 0 {
		page.Rejected, c.rows = c.rows, nil
	}
	return page, err
}

// TestDriverRejectedRows: an unreadable row of a change page becomes an
// error-queue entry with its raw payload, and the other rows flow.
func TestDriverRejectedRows(t *testing.T) {
	w := newWorld(t, fake.Config{Seed: 3}, fake.Config{Seed: 3})
	rows := []dsruntime.Rejected{
		{Key: "usmf|C9", Field: "PreferredContactMethod", Reason: `unknown enum member "Pigeon"`, Raw: `{"dataAreaId":"usmf","CustomerAccount":"C9","PreferredContactMethod":"Pigeon"}`},
		{Reason: "invalid character '}' looking for beginning of value", Raw: `{"dataAreaId":}`},
	}
	fo := &rejecting{Connector: fake.NewFOConnector(w.fo, w.p, fake.ConnectorConfig{}), m: "customer", rows: rows}
	d, err := dsruntime.New(w.p, fo, fake.NewDVConnector(w.dv, w.p, fake.ConnectorConfig{}),
		dsruntime.Config{Persister: w.store, Clock: w.clock, BatchSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	w.d = d
	seedScenario(w)
	if err := w.d.RunUntilQuiet(context.Background(), 200); err != nil {
		t.Fatal(err)
	}
	if err := w.d.Engine().Accounting().Check(); err != nil {
		t.Fatal(err)
	}
	errs := w.store.Errors()
	if len(errs) != len(rows) {
		t.Fatalf("persisted errors %+v, want %d malformed entries", errs, len(rows))
	}
	for _, r := range rows {
		i := slices.IndexFunc(errs, func(e engine.ErrorEntry) bool { return e.Raw == r.Raw })
		if i < 0 {
			t.Errorf("no persisted entry with raw payload %s: %+v", r.Raw, errs)
			continue
		}
		e := errs[i]
		if e.Class != engine.Malformed || e.Map != "customer" || e.Key != r.Key || e.Field != r.Field ||
			e.Side != plan.FO || e.Source != plan.FO || !strings.Contains(e.Message, r.Reason) || e.Pos.File == "" {
			t.Errorf("entry %+v for rejected row %+v", e, r)
		}
	}
	if s := w.d.Stats(); s.Rejected != int64(len(rows)) {
		t.Errorf("stats count %d rejected rows, want %d", s.Rejected, len(rows))
	}
	// The other rows flowed.
	acct, ok := w.dv.Get("accounts", "usmf|C1")
	want(t, "dv", "accounts", "usmf|C1", acct, ok, "name", "Contoso")
	cust, ok := w.fo.Get("CustomersV3", "usmf|C2")
	want(t, "fo", "CustomersV3", "usmf|C2", cust, ok, "OrganizationName", "Fabrikam")
}

// TestDriverPlanBatchSize: each map's batch size comes from the plan, and
// Config.BatchSize only caps it.
func TestDriverPlanBatchSize(t *testing.T) {
	for _, tc := range []struct {
		plan, cap, want int
	}{
		{plan: 3, cap: 0, want: 3},
		{plan: 3, cap: 2, want: 2},
		{plan: 0, cap: 0, want: 100},
	} {
		t.Run(fmt.Sprintf("plan=%d,cap=%d", tc.plan, tc.cap), func(t *testing.T) {
			w := newWorld(t, fake.Config{Seed: 14}, fake.Config{Seed: 14})
			w.p.MapByName("customer").BatchSize = tc.plan
			for i := range 7 {
				k := fmt.Sprintf("usmf|B%d", i)
				w.putFO("CustomersV3", k, "OrganizationName", "Org "+k, "PreferredContactMethod", "Phone")
			}
			dv := &flaky{Connector: fake.NewDVConnector(w.dv, w.p, fake.ConnectorConfig{})}
			d, err := dsruntime.New(w.p, fake.NewFOConnector(w.fo, w.p, fake.ConnectorConfig{}), dv,
				dsruntime.Config{Persister: w.store, Clock: w.clock, BatchSize: tc.cap})
			if err != nil {
				t.Fatal(err)
			}
			w.d = d
			w.run()
			if len(dv.batches) == 0 || slices.Max(dv.batches) != min(tc.want, 7) {
				t.Errorf("batch sizes %v, want the largest %d", dv.batches, min(tc.want, 7))
			}
			if n := len(w.dv.Rows("accounts")); n != 7 {
				t.Fatalf("%d accounts, want 7", n)
			}
		})
	}
}

// TestDriverReconcileAfterReset: a full read after an expired cursor does
// not list deletes made while the cursor was stale; the driver reads every
// known record the full read did not list, so the delete still propagates.
func TestDriverReconcileAfterReset(t *testing.T) {
	w := newWorld(t, fake.Config{Seed: 4}, fake.Config{Seed: 4})
	seedScenario(w)
	w.run()
	if _, ok := w.fo.Get("ContactPersonsV2", "usmf|CP1"); !ok {
		t.Fatal("the contact never reached F&O")
	}
	w.dv.ExpireDeltaTokens()
	if err := w.dv.Delete("contacts", "usmf|CP1"); err != nil {
		t.Fatal(err)
	}
	w.run()
	if s := w.d.Stats(); s.CursorResets == 0 {
		t.Fatal("no cursor reset after the tokens expired")
	}
	if _, ok := w.fo.Get("ContactPersonsV2", "usmf|CP1"); ok {
		t.Error("the contact deleted in Dataverse while the token was stale is still in F&O")
	}
}

// TestDriverCrashDuringReconcile crashes the driver at each checkpoint of
// the full read that follows an expired cursor, and of the reconcile that
// ends it. The cursor after the full read is only persisted once what the
// reconcile found is settled, so a restart reads in full again and the
// delete it found still propagates.
func TestDriverCrashDuringReconcile(t *testing.T) {
	setup := func(t *testing.T) *world {
		w := newWorld(t, fake.Config{Seed: 4}, fake.Config{Seed: 4})
		seedScenario(w)
		// A contact the full read lists, whose row could carry its cursor.
		w.putDV("contacts", "usmf|CP2", "firstname", "Kim", "lastname", "Example")
		w.run()
		w.dv.ExpireDeltaTokens()
		if err := w.dv.Delete("contacts", "usmf|CP1"); err != nil {
			t.Fatal(err)
		}
		return w
	}
	clean := setup(t)
	before := clean.store.Saves()
	clean.start(clean.store.State(), clean.store)
	clean.run()
	if _, ok := clean.fo.Get("ContactPersonsV2", "usmf|CP1"); ok {
		t.Fatal("the delete did not propagate without a crash")
	}
	saves := clean.store.Saves() - before
	for at := 1; at <= saves; at++ {
		for _, commit := range []bool{true, false} {
			t.Run(fmt.Sprintf("save%d/commit=%v", at, commit), func(t *testing.T) {
				w := setup(t)
				w.start(w.store.State(), &failingPersister{inner: w.store, at: at, commit: commit})
				if err := w.d.RunUntilQuiet(context.Background(), 200); !errors.Is(err, errCrash) {
					t.Fatalf("run: %v, want the crash", err)
				}
				w.start(w.store.State(), w.store)
				w.run()
				if _, ok := w.fo.Get("ContactPersonsV2", "usmf|CP1"); ok {
					t.Errorf("after a crash at save %d the contact deleted in Dataverse is still in F&O", at)
				}
			})
		}
	}
}

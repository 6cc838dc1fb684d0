package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/dualsync/dualsync/compiler"
	starter "github.com/dualsync/dualsync/maps"
	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/odata"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/runtime/server"
	"github.com/dualsync/dualsync/runtime/store"
	"github.com/dualsync/dualsync/runtime/store/sqlite"
	"github.com/dualsync/dualsync/schema"
	"github.com/dualsync/dualsync/simulator/fake"
	"github.com/dualsync/dualsync/simulator/fakehttp"
)

const demoUsage = `usage: dualsync demo [--keep] [--seed N] [--transport http|memory]

Shows dualsync working end to end, with nothing to set up: it compiles the
starter maps, starts fake F&O and Dataverse services and their token
service over HTTPS on the loopback interface (a test CA made for the run)
with sample data, runs the runtime against them with its own OData
connectors (OAuth 2.0 client credentials) and a fresh store, and walks
through the runbook's checks: records written on each side appear on the
other, a concurrent edit is resolved by the rules, a customer that arrives
before its contact waits and then syncs, an invalid enum value lands in
the error queue with its source position, and the counts on both sides
match.

--keep keeps the working directory (the maps, plan.json, the store, the
runtime's JSON log) and prints where it is; it is also kept when a check
fails. --transport memory skips HTTP and uses the fakes in process.

Exit status: 0 every check passed, 1 a check failed (named on standard
error), 2 usage error.
`

// demoCheckTimeout bounds the wait of one check.
const demoCheckTimeout = 15 * time.Second

// cmdDemo runs "dualsync demo".
func cmdDemo(args []string, std stdio) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(std.err)
	keep := fs.Bool("keep", false, "keep the working directory and print where it is")
	seed := fs.Uint64("seed", 1, "the seed of the sample data and the fakes (`N`)")
	transport := fs.String("transport", "http", "how the runtime reaches the fakes: http or memory (in process, no HTTP)")
	setUsage(fs, std.err, demoUsage+"\nflags:\n")
	pos, code, ok := parseCommand(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(std.err, "dualsync demo: unexpected argument %q\n", pos[0])
		fs.Usage()
		return 2
	}
	var connect demoTransport
	switch *transport {
	case "http":
		connect = demoHTTP
	case "memory":
		connect = demoInProcess
	default:
		fmt.Fprintf(std.err, "dualsync demo: unknown transport %q (want http or memory)\n", *transport)
		return 2
	}
	dir, err := os.MkdirTemp("", "dualsync-demo-")
	if err != nil {
		return fail(std, "demo", err)
	}
	d := &demo{std: std, dir: dir, seed: *seed, connect: connect}
	failed, err := d.run(context.Background())
	if *keep || len(failed) > 0 {
		fmt.Fprintf(std.out, "\nKept %s: maps/, plan.json, dualsync.db and runtime.log.\nTry: dualsync errors list --store %s --state all\n",
			dir, shellQuote(filepath.Join(dir, "dualsync.db")))
	} else {
		os.RemoveAll(dir)
	}
	if err != nil {
		return fail(std, "demo", err)
	}
	if len(failed) > 0 {
		fmt.Fprintf(std.err, "dualsync demo: failed: %s\n", strings.Join(failed, ", "))
		return 1
	}
	return 0
}

// demoServices are the fake services the demo runs against and the
// connectors the runtime reaches them with.
type demoServices struct {
	fo             *fake.FO
	dv             *fake.DV
	foConn, dvConn dsruntime.Connector
	// where says how the runtime reaches the services, one line each.
	where []string
	close func()
}

// demoSetup is what a transport starts the fakes with.
type demoSetup struct {
	plan   *plan.Plan
	fo, dv fake.Config
	log    *slog.Logger
	dir    string // the working directory
	secret string // the client secret of the token service
}

// demoTransport starts the fakes and connects to them.
type demoTransport func(demoSetup) (*demoServices, error)

// demoInProcess reaches the fakes through their in-process adapters.
func demoInProcess(ds demoSetup) (*demoServices, error) {
	p := ds.plan
	fo, err := fake.NewFO(p, ds.fo)
	if err != nil {
		return nil, err
	}
	dv, err := fake.NewDV(p, ds.dv)
	if err != nil {
		return nil, err
	}
	return &demoServices{
		fo: fo, dv: dv,
		foConn: fake.NewFOConnector(fo, p, fake.ConnectorConfig{}),
		dvConn: fake.NewDVConnector(dv, p, fake.ConnectorConfig{}),
		where:  []string{"in process (no HTTP)"},
		close:  func() {},
	}, nil
}

// demo is one run of the demo.
type demo struct {
	std     stdio
	dir     string
	seed    uint64
	connect demoTransport
	timeout time.Duration // of one check's waits; default demoCheckTimeout

	p      *plan.Plan
	svc    *demoServices
	st     *sqlite.Store
	srv    *server.Server
	failed []string
	start  time.Time
}

func (d *demo) say(format string, a ...any) { fmt.Fprintf(d.std.out, format+"\n", a...) }

// run walks through the demo and returns the names of the failed checks.
// Its error means the demo could not be set up at all.
func (d *demo) run(ctx context.Context) ([]string, error) {
	d.start = time.Now()
	d.say("dualsync demo (seed %d): the starter maps against fake F&O and Dataverse", d.seed)
	d.say("")

	d.say("→ compiling the starter maps")
	p, err := d.compile()
	if err != nil {
		return nil, err
	}
	d.p = p
	d.say("✓ compile: %d maps in %d stages, plan %s", len(p.Maps), len(p.Stages), p.Digest)

	logf, err := os.Create(filepath.Join(d.dir, "runtime.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	secret := rand.Text()
	log := server.NewLogger(logf, slog.LevelDebug, secret)

	d.say("→ starting fake F&O and Dataverse")
	foCfg := fake.Config{
		Seed: d.seed, Clock: dsruntime.SystemClock{},
		// F&O knows a contact method the value map lacks.
		Extra: []fake.Members{{Set: d.set(plan.FO, "customer"), Field: "PreferredContactMethod", Values: []string{"Pager"}}},
	}
	dvCfg := fake.Config{Seed: d.seed, Clock: dsruntime.SystemClock{}}
	d.svc, err = d.connect(demoSetup{plan: p, fo: foCfg, dv: dvCfg, log: log, dir: d.dir, secret: secret})
	if err != nil {
		return nil, fmt.Errorf("start the fakes: %w", err)
	}
	defer d.svc.close()
	for _, w := range d.svc.where {
		d.say("  %s", w)
	}
	seeded, err := d.seedData()
	if err != nil {
		return nil, fmt.Errorf("sample data: %w", err)
	}

	storePath := filepath.Join(d.dir, "dualsync.db")
	d.say("→ starting the runtime (store %s)", storePath)
	d.st, err = sqlite.Open(storePath, store.Config{Create: true, PlanDigest: p.Digest, RequirePlan: true})
	if err != nil {
		return nil, err
	}
	defer d.st.Close()
	d.srv, err = server.New(ctx, p, d.svc.foConn, d.svc.dvConn, server.Config{
		Store: d.st, Logger: log, Secrets: []string{secret}, PollInterval: 100 * time.Millisecond, ShutdownGrace: 2 * time.Second,
	})
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.srv.Run(runCtx) }()
	var once sync.Once
	var runErr error
	stop := func() error {
		once.Do(func() { cancel(); runErr = <-done })
		return runErr
	}
	defer stop()

	checks := []struct {
		name string
		fn   func(context.Context) (string, error)
	}{
		{"initial sync", func(ctx context.Context) (string, error) { return d.initialSync(ctx, seeded) }},
		{"both directions", d.bothDirections},
		{"concurrent edit", d.concurrentEdit},
		{"dependency order", d.dependencyOrder},
		{"invalid enum value", d.invalidEnum},
		{"counts match", d.countsMatch},
	}
	for _, c := range checks {
		d.check(ctx, c.name, c.fn)
	}
	if err := stop(); err != nil {
		return nil, err
	}

	a := d.srv.Status().Accounting
	d.say("")
	d.say("The runtime observed %d changes: %d applied, %d suppressed (echoes and no-ops), %d queued; %d conflicts decided.",
		a.Observed, a.Applied, a.Suppressed, a.Queued, a.Conflicts)
	if len(d.failed) > 0 {
		d.say("%d of %d checks failed in %s: %s.", len(d.failed), len(checks), d.elapsed(), strings.Join(d.failed, ", "))
		return d.failed, nil
	}
	d.say("All %d checks passed in %s.", len(checks), d.elapsed())
	return nil, nil
}

func (d *demo) elapsed() time.Duration { return time.Since(d.start).Round(10 * time.Millisecond) }

// check runs one check and reports it.
func (d *demo) check(ctx context.Context, name string, fn func(context.Context) (string, error)) {
	d.say("→ %s", name)
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(d.timeout, demoCheckTimeout))
	defer cancel()
	msg, err := fn(ctx)
	if err != nil {
		d.say("✗ %s: %v", name, err)
		d.failed = append(d.failed, name)
		return
	}
	d.say("✓ %s: %s", name, msg)
}

// compile writes the starter maps and the schema into the working
// directory and compiles them.
func (d *demo) compile() (*plan.Plan, error) {
	dir := filepath.Join(d.dir, "maps")
	write := func(fsys fs.FS, to string) error {
		return fs.WalkDir(fsys, ".", func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			b, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			dst := filepath.Join(dir, filepath.FromSlash(path.Join(to, p)))
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			return os.WriteFile(dst, b, 0o644)
		})
	}
	if err := write(starter.Files(), "."); err != nil {
		return nil, err
	}
	if err := write(schema.Files(), "cue.mod/pkg/"+schema.ImportPath); err != nil {
		return nil, err
	}
	p, ds := compiler.Compile(dir, compiler.Config{})
	if p == nil {
		errs, _ := ds.Count()
		return nil, fmt.Errorf("the starter maps do not compile: %d errors (run dualsync vet %s)", errs, dir)
	}
	b, err := plan.Encode(p)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(d.dir, "plan.json"), b, 0o644); err != nil {
		return nil, err
	}
	return p, nil
}

// set returns the entity set of map m on side s.
func (d *demo) set(s plan.Side, m string) string {
	pm := d.p.MapByName(m)
	if pm == nil {
		return ""
	}
	if s == plan.FO {
		return pm.FO.EntitySet
	}
	return pm.DV.EntitySet
}

func (d *demo) put(s plan.Side, m, key string, kv ...any) error {
	vals := map[string]engine.Value{}
	for i := 0; i < len(kv); i += 2 {
		var v engine.Value
		switch x := kv[i+1].(type) {
		case engine.Value:
			v = x
		case string:
			v = engine.String(x)
		case int:
			v = engine.Int(int64(x))
		}
		vals[kv[i].(string)] = v
	}
	var err error
	if s == plan.FO {
		_, err = d.svc.fo.Put(d.set(s, m), key, vals)
	} else {
		_, err = d.svc.dv.Put(d.set(s, m), key, vals)
	}
	if err != nil {
		return fmt.Errorf("%s %s %s: %w", s, m, key, err)
	}
	if d.srv != nil {
		d.srv.Kick()
	}
	return nil
}

func (d *demo) get(s plan.Side, m, key string) (fake.Row, bool) {
	if s == plan.FO {
		return d.svc.fo.Get(d.set(s, m), key)
	}
	return d.svc.dv.Get(d.set(s, m), key)
}

func (d *demo) rows(s plan.Side, m string) []fake.Row {
	if s == plan.FO {
		return d.svc.fo.Rows(d.set(s, m))
	}
	return d.svc.dv.Rows(d.set(s, m))
}

// has reports whether record key of map m on side s exists with the given
// field values (text as the engine prints values).
func (d *demo) has(s plan.Side, m, key string, kv ...string) bool {
	r, ok := d.get(s, m, key)
	if !ok {
		return false
	}
	for i := 0; i < len(kv); i += 2 {
		if got := r.Values[kv[i]]; valueText(got) != kv[i+1] {
			return false
		}
	}
	return true
}

// valueText prints a value plainly: strings unquoted, null as "null".
func valueText(v engine.Value) string {
	if s, ok := v.AsString(); ok {
		return s
	}
	return v.String()
}

// waitFor polls cond until it holds or ctx ends; what names the wait.
func (d *demo) waitFor(ctx context.Context, what string, cond func() bool) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for !cond() {
		d.srv.Kick()
		select {
		case <-ctx.Done():
			return fmt.Errorf("timed out after %s waiting for %s", cmp.Or(d.timeout, demoCheckTimeout), what)
		case <-t.C:
		}
	}
	return nil
}

// quiet waits until the runtime has nothing in flight and nothing parked.
func (d *demo) quiet(ctx context.Context) error {
	return d.waitFor(ctx, "the runtime to settle", func() bool {
		a := d.srv.Status().Accounting
		return a.InFlight == 0 && a.Parked == 0
	})
}

// demoHTTP starts the fakes behind HTTPS on the loopback interface, with
// their token service and a test CA made for the run, and connects the
// runtime's own OData connectors to them: OAuth 2.0 client credentials,
// TLS verified against that CA.
func demoHTTP(ds demoSetup) (*demoServices, error) {
	p, log, secret := ds.plan, ds.log, ds.secret
	const tenant, client = "contoso-demo", "dualsync-demo"
	srv, err := fakehttp.Start(fakehttp.Config{
		Plan: p, FO: ds.fo, DV: ds.dv, Clock: dsruntime.SystemClock{},
		Tenant: tenant, Clients: []fakehttp.Client{{ID: client, Secret: secret}},
		TLS: true,
	})
	if err != nil {
		return nil, err
	}
	ca := filepath.Join(ds.dir, "ca.pem")
	if err := os.WriteFile(ca, srv.CACert(), 0o644); err != nil {
		srv.Close()
		return nil, err
	}
	auth := odata.Auth{LoginURL: srv.LoginURL(), Tenant: tenant, ClientID: client, Secret: odata.NewSecret(secret)}
	foConn, err := odata.NewFO(p, odata.Config{URL: srv.FOURL(), Auth: auth, TLS: odata.TLS{CAFile: ca}, Logger: log.With("side", "fo")})
	if err == nil {
		var dvConn *odata.DV
		dvConn, err = odata.NewDV(p, odata.Config{URL: srv.DVURL(), Auth: auth, TLS: odata.TLS{CAFile: ca}, Logger: log.With("side", "dv")})
		if err == nil {
			return &demoServices{
				fo: srv.FO, dv: srv.DV, foConn: foConn, dvConn: dvConn,
				where: []string{
					"F&O        " + srv.FOURL() + "/data",
					"Dataverse  " + srv.DVURL() + "/api/data/v9.2",
					"token      " + srv.TokenURL(tenant) + " (client credentials, TLS from a test CA)",
				},
				close: func() { srv.Close() },
			}, nil
		}
	}
	srv.Close()
	return nil, err
}

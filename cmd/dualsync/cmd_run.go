package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/dualsync/dualsync/runtime/odata"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/runtime/server"
	"github.com/dualsync/dualsync/runtime/store"
	"github.com/dualsync/dualsync/runtime/store/sqlite"
)

const runUsage = `usage: dualsync run --plan FILE [--store FILE] [--listen ADDR]
                    --fo URL --dv URL --tenant T --client-id ID [--login URL]
                    [--client-secret-file F] [--ca-file F] [--poll D]
                    [--log-level L] [--allow-plan-change]

Runs a compiled plan against F&O and Dataverse until it is stopped with
SIGTERM or SIGINT: it verifies the plan (format version and digest), opens
or creates the store, and syncs continuously. It serves /healthz, /readyz
and Prometheus /metrics on --listen and logs JSON to standard error.

Every flag can also be set in the environment: DUALSYNC_PLAN,
DUALSYNC_STORE, DUALSYNC_LISTEN, DUALSYNC_FO_URL, DUALSYNC_DV_URL,
DUALSYNC_LOGIN_URL, DUALSYNC_TENANT, DUALSYNC_CLIENT_ID,
DUALSYNC_CLIENT_SECRET_FILE, DUALSYNC_CA_FILE, DUALSYNC_POLL,
DUALSYNC_LOG_LEVEL, DUALSYNC_ALLOW_PLAN_CHANGE. A flag given on the command
line wins over the environment; an empty variable counts as unset.

The client secret is read from DUALSYNC_CLIENT_SECRET or from the file
named by --client-secret-file (a mounted secret, say), never from a flag,
so that it never shows in the process list. It is never logged.

The store defaults to dualsync.db in the plan file's directory. A store
written with another plan is refused unless --allow-plan-change is given:
then the records of maps that left the plan are dropped and the rest
resumes.

On SIGTERM or SIGINT the runtime stops polling, lets the batch of writes in
progress finish (for up to 10 s, then abandons it: every checkpoint is
saved before its writes are sent, so the next start picks the changes up
again without writing twice), closes the store and exits 0.

Exit status: 0 stopped by a signal, 1 error, 2 usage error.
`

// runEnv names the environment variable of each flag of run.
var runEnv = []struct{ flag, env string }{
	{"plan", "DUALSYNC_PLAN"},
	{"store", "DUALSYNC_STORE"},
	{"listen", "DUALSYNC_LISTEN"},
	{"fo", "DUALSYNC_FO_URL"},
	{"dv", "DUALSYNC_DV_URL"},
	{"login", "DUALSYNC_LOGIN_URL"},
	{"tenant", "DUALSYNC_TENANT"},
	{"client-id", "DUALSYNC_CLIENT_ID"},
	{"client-secret-file", "DUALSYNC_CLIENT_SECRET_FILE"},
	{"ca-file", "DUALSYNC_CA_FILE"},
	{"poll", "DUALSYNC_POLL"},
	{"log-level", "DUALSYNC_LOG_LEVEL"},
	{"allow-plan-change", "DUALSYNC_ALLOW_PLAN_CHANGE"},
}

// secretEnv holds the client secret.
const secretEnv = "DUALSYNC_CLIENT_SECRET"

// runOptions is the configuration of run, from flags and environment.
type runOptions struct {
	plan, store, listen      string
	fo, dv, login            string
	tenant, clientID         string
	secretFile, caFile       string
	poll                     time.Duration
	logLevel                 string
	allowPlanChange          bool
	secret                   odata.Secret
	ready                    func(addr string)   // called with the address once listening (tests)
	configureFO, configureDV func(*odata.Config) // adjust the connectors (tests)
	lookupEnv                func(string) (string, bool)
	level                    slog.Level
}

// cmdRun runs "dualsync run" until SIGTERM or SIGINT.
func cmdRun(args []string, std stdio) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	// A second signal during the shutdown ends the process at once.
	context.AfterFunc(ctx, stop)
	opt, code := parseRun(args, std, os.LookupEnv)
	if code >= 0 {
		return code
	}
	return runRuntime(ctx, opt, std)
}

// parseRun reads run's flags and environment. It returns the exit code
// when the command should end now, else -1.
func parseRun(args []string, std stdio, lookupEnv func(string) (string, bool)) (*runOptions, int) {
	o := &runOptions{lookupEnv: lookupEnv}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(std.err)
	fs.StringVar(&o.plan, "plan", "", "the compiled plan `FILE`")
	fs.StringVar(&o.store, "store", "", "the SQLite store `FILE` (default dualsync.db beside the plan)")
	fs.StringVar(&o.listen, "listen", "localhost:8080", "serve /healthz, /readyz and /metrics on `ADDR` (\"off\": not at all)")
	fs.StringVar(&o.fo, "fo", "", "the F&O environment `URL` (https://<env>.operations.dynamics.com)")
	fs.StringVar(&o.dv, "dv", "", "the Dataverse environment `URL` (https://<org>.crm.dynamics.com)")
	fs.StringVar(&o.login, "login", odata.DefaultLoginURL, "the OAuth 2.0 authority `URL`")
	fs.StringVar(&o.tenant, "tenant", "", "the Entra ID tenant `T` (ID or domain)")
	fs.StringVar(&o.clientID, "client-id", "", "the application (client) `ID`")
	fs.StringVar(&o.secretFile, "client-secret-file", "", "read the client secret from `F` (else from "+secretEnv+")")
	fs.StringVar(&o.caFile, "ca-file", "", "also trust the CA certificates in the PEM file `F`")
	fs.DurationVar(&o.poll, "poll", 5*time.Second, "the wait `D` between polls when there is nothing more to do")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level `L`: debug, info, warn or error")
	fs.BoolVar(&o.allowPlanChange, "allow-plan-change", false, "accept a store written with another plan")
	setUsage(fs, std.err, runUsage+"\nflags:\n")
	pos, code, ok := parseCommand(fs, args)
	if !ok {
		return nil, code
	}
	usage := func(format string, a ...any) (*runOptions, int) {
		fmt.Fprintf(std.err, "dualsync run: %s\n", fmt.Sprintf(format, a...))
		fs.Usage()
		return nil, 2
	}
	if len(pos) > 0 {
		return usage("unexpected argument %q", pos[0])
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, e := range runEnv {
		v, ok := lookupEnv(e.env)
		if !ok || v == "" || set[e.flag] {
			continue
		}
		if err := fs.Set(e.flag, v); err != nil {
			return usage("%s=%q: %v", e.env, v, err)
		}
	}
	if o.plan == "" {
		return usage("give the plan file with --plan or DUALSYNC_PLAN")
	}
	if o.poll <= 0 {
		return usage("--poll must be positive")
	}
	var err error
	if o.level, err = server.ParseLevel(o.logLevel); err != nil {
		return usage("%v", err)
	}
	if o.store == "" {
		o.store = filepath.Join(filepath.Dir(o.plan), "dualsync.db")
	}
	return o, -1
}

// check validates the connection settings and reads the secret.
func (o *runOptions) check() error {
	var missing []string
	for _, f := range []struct{ v, name string }{
		{o.fo, "--fo (DUALSYNC_FO_URL)"}, {o.dv, "--dv (DUALSYNC_DV_URL)"},
		{o.tenant, "--tenant (DUALSYNC_TENANT)"}, {o.clientID, "--client-id (DUALSYNC_CLIENT_ID)"},
	} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	_, inEnv := o.lookupEnv(secretEnv)
	var err error
	switch {
	case inEnv && o.secretFile != "":
		return fmt.Errorf("the client secret is given twice: %s and --client-secret-file; keep one", secretEnv)
	case o.secretFile != "":
		o.secret, err = odata.SecretFromFile(o.secretFile)
	case inEnv:
		v, _ := o.lookupEnv(secretEnv)
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("%s is empty", secretEnv)
		}
		o.secret = odata.NewSecret(strings.TrimSpace(v))
	default:
		return fmt.Errorf("no client secret: set %s or give --client-secret-file", secretEnv)
	}
	return err
}

// runRuntime loads the plan, opens the store, connects and runs until ctx
// ends. It returns the exit code.
func runRuntime(ctx context.Context, o *runOptions, std stdio) int {
	const name = "run"
	p, err := plan.ReadFile(o.plan)
	if err != nil {
		return fail(std, name, err)
	}
	if err := o.check(); err != nil {
		return fail(std, name, err)
	}
	log := server.NewLogger(std.err, o.level, o.secret.Reveal())

	st, err := sqlite.Open(o.store, store.Config{Create: true, PlanDigest: p.Digest, RequirePlan: !o.allowPlanChange})
	if err != nil {
		return fail(std, name, storeError(err))
	}
	defer st.Close()

	auth := odata.Auth{LoginURL: o.login, Tenant: o.tenant, ClientID: o.clientID, Secret: o.secret}
	tlsc := odata.TLS{CAFile: o.caFile}
	// Rows the connectors cannot read (no OnReject) come back in their
	// page and end in the error queue as malformed entries with their raw
	// payload, so that one malformed row never stops its feed; the server
	// logs and counts them.
	// The driver batches each map's writes by the plan's batch size; the
	// connectors only split what exceeds the protocol's limit.
	foCfg := odata.Config{URL: o.fo, Auth: auth, TLS: tlsc, Logger: log.With("side", "fo"), BatchSize: 1000}
	dvCfg := odata.Config{URL: o.dv, Auth: auth, TLS: tlsc, Logger: log.With("side", "dv"), BatchSize: 1000}
	// Throttled reads never reach the engine: the connectors report them
	// to the server's metrics (writes are counted from their results).
	var running atomic.Pointer[server.Server]
	for _, c := range []struct {
		cfg  *odata.Config
		side plan.Side
	}{{&foCfg, plan.FO}, {&dvCfg, plan.DV}} {
		side := c.side
		c.cfg.OnThrottle = func(method string, wait time.Duration) {
			if srv := running.Load(); srv != nil && method == http.MethodGet {
				srv.ReadThrottled(side, wait)
			}
		}
	}
	if o.configureFO != nil {
		o.configureFO(&foCfg)
	}
	if o.configureDV != nil {
		o.configureDV(&dvCfg)
	}
	fo, err := odata.NewFO(p, foCfg)
	if err != nil {
		return fail(std, name, err)
	}
	dv, err := odata.NewDV(p, dvCfg)
	if err != nil {
		return fail(std, name, err)
	}

	cfg := server.Config{
		Store:           st,
		AllowPlanChange: o.allowPlanChange,
		Logger:          log,
		Secrets:         []string{o.secret.Reveal()},
		PollInterval:    o.poll,
	}
	log.Info("dualsync run", "plan", o.plan, "digest", p.Digest, "store", o.store,
		"fo", o.fo, "dv", o.dv, "login", o.login, "tenant", o.tenant, "client_id", o.clientID,
		"ca_file", o.caFile, "listen", o.listen, "poll", o.poll.String())
	srv, err := server.New(ctx, p, fo, dv, cfg)
	if err != nil {
		return fail(std, name, storeError(err))
	}
	running.Store(srv)

	serveDone := make(chan error, 1)
	serveCtx, stopServe := context.WithCancel(context.WithoutCancel(ctx))
	defer stopServe()
	if o.listen != "" && o.listen != "off" {
		ln, err := net.Listen("tcp", o.listen)
		if err != nil {
			return fail(std, name, err)
		}
		log.Info("serving /healthz, /readyz and /metrics", "addr", ln.Addr().String())
		if o.ready != nil {
			o.ready(ln.Addr().String())
		}
		go func() { serveDone <- srv.Serve(serveCtx, ln) }()
	} else {
		serveDone <- nil
		if o.ready != nil {
			o.ready("")
		}
	}

	runErr := srv.Run(ctx)
	stopServe()
	if err := <-serveDone; err != nil {
		log.Warn("http server", "err", err)
	}
	if err := st.Close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("close store: %w", err)
	}
	if runErr != nil {
		return fail(std, name, runErr)
	}
	log.Info("stopped")
	return 0
}

// storeError adds what to do about a store of another plan.
func storeError(err error) error {
	if errors.Is(err, store.ErrPlanMismatch) {
		return fmt.Errorf("%w (start with --allow-plan-change to run this plan on it)", err)
	}
	return err
}

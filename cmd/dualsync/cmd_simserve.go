package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator/fake"
	"github.com/dualsync/dualsync/simulator/fakehttp"
)

const simServeUsage = `usage: dualsync sim serve [--fo ADDR] [--dv ADDR] [--login ADDR] [--plan FILE | --maps DIR]
       [--seed N] [--data DIR] [--sample N] [--tenant T] [--client-id ID]
       [--client-secret-file FILE] [--faults --admin-token T] [--tls-ca FILE] ...

Serves the simulator's fake F&O, fake Dataverse and their token service
over HTTP, each on its own listener, until SIGINT or SIGTERM, then shuts
down gracefully. Once listening it prints one line per service, its name
and base URL:

  fo http://127.0.0.1:8081        F&O; OData at /data
  dv http://127.0.0.1:8082        Dataverse; Web API at /api/data/v9.2
  login http://127.0.0.1:8083     token endpoint /<tenant>/oauth2/v2.0/token

Every F&O and Dataverse call needs a bearer token from the token service
(client credentials, scope <service URL>/.default). The client is given
with --client-id and a secret from DUALSYNC_CLIENT_SECRET, a file, or
--client-secret; without any, the built-in test client (dualsync-sim /
dualsync-sim-secret) is registered and a note says so.

--faults serves /_faults on each listener for tests, guarded by the admin
token (--admin-token or DUALSYNC_SIM_ADMIN_TOKEN).

Environment: DUALSYNC_PLAN, DUALSYNC_TENANT, DUALSYNC_CLIENT_ID,
DUALSYNC_CLIENT_SECRET, DUALSYNC_CLIENT_SECRET_FILE,
DUALSYNC_SIM_ADMIN_TOKEN; a flag given on the command line wins.

Exit status: 0 after a clean shutdown, 1 an error, 2 usage.
`

// cmdSimServe runs "dualsync sim serve" until SIGINT or SIGTERM.
func cmdSimServe(args []string, std stdio) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return simServe(ctx, args, std)
}

// simServe serves until ctx is done.
func simServe(ctx context.Context, args []string, std stdio) int {
	fs := flag.NewFlagSet("sim serve", flag.ContinueOnError)
	fs.SetOutput(std.err)
	foAddr := fs.String("fo", "127.0.0.1:0", "F&O's listen `ADDR`")
	dvAddr := fs.String("dv", "127.0.0.1:0", "Dataverse's listen `ADDR`")
	loginAddr := fs.String("login", "127.0.0.1:0", "the token service's listen `ADDR`")
	planFile := fs.String("plan", simServeEnv("DUALSYNC_PLAN", ""), "the compiled plan `FILE` (default plan.json)")
	maps := fs.String("maps", "", "compile the maps in `DIR` instead of reading a plan file")
	seed := fs.Uint64("seed", 1, "the models' random seed (`N`): Dataverse GUIDs, fault draws")
	data := fs.String("data", "", "load $metadata documents and records from `DIR` (see the fakehttp package)")
	sample := fs.Int("sample", 0, "generate `N` sample records per map, company and side")
	companies := fs.String("companies", "", "comma-separated company codes: Dataverse's cdm_company rows and the sample's companies (default: created on first use; sample usmf,usrt)")
	defCompany := fs.String("default-company", "", "F&O's default company (default usmf)")
	tenant := fs.String("tenant", simServeEnv("DUALSYNC_TENANT", ""), "the only tenant the token service knows (default: any)")
	clientID := fs.String("client-id", simServeEnv("DUALSYNC_CLIENT_ID", ""), "the registered client `ID`")
	secretFile := fs.String("client-secret-file", simServeEnv("DUALSYNC_CLIENT_SECRET_FILE", ""), "read the client secret from `FILE`")
	secretFlag := fs.String("client-secret", "", "the client secret (prefer DUALSYNC_CLIENT_SECRET or a file: flags show in process lists)")
	lifetime := fs.Duration("token-lifetime", 3599*time.Second, "access token lifetime")
	faults := fs.Bool("faults", false, "serve /_faults fault controls (needs an admin token)")
	adminToken := fs.String("admin-token", "", "the bearer `TOKEN` of the fault controls (or DUALSYNC_SIM_ADMIN_TOKEN)")
	tlsCA := fs.String("tls-ca", "", "serve HTTPS with a test CA made at start, and write its certificate to `FILE`")
	tlsHosts := fs.String("tls-hosts", "", "comma-separated extra host names for the TLS certificate (with --tls-ca)")
	foPage := fs.Int("fo-page-size", 0, "F&O's page size (default and at most 10,000)")
	dvPage := fs.Int("dv-page-size", 0, "Dataverse's default and largest page size (default and at most 5,000)")
	dvRequests := fs.Int("dv-requests", 0, "Dataverse service protection: requests per window and user (default 6,000)")
	dvWindow := fs.Duration("dv-window", 0, "Dataverse service protection window (default 5m)")
	dvConcurrent := fs.Int("dv-concurrent", 0, "Dataverse service protection: concurrent requests per user (default 52)")
	noProtection := fs.Bool("no-protection", false, "turn Dataverse's service protection limits off")
	deltaTTL := fs.Duration("delta-token-ttl", 0, "how long Dataverse delta tokens stay valid (default 168h)")
	setUsage(fs, std.err, simServeUsage+"\nflags:\n")
	pos, code, ok := parseCommand(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		fs.Usage()
		return 2
	}
	if *planFile != "" && *maps != "" {
		fmt.Fprintln(std.err, "dualsync sim serve: give --plan or --maps, not both")
		return 2
	}
	if *adminToken == "" {
		*adminToken = os.Getenv("DUALSYNC_SIM_ADMIN_TOKEN")
	}
	if *faults && *adminToken == "" {
		fmt.Fprintln(std.err, "dualsync sim serve: --faults needs --admin-token (or DUALSYNC_SIM_ADMIN_TOKEN)")
		return 2
	}

	var p *plan.Plan
	var err error
	if *maps != "" {
		p, err = compileDir(*maps)
	} else {
		f := *planFile
		if f == "" {
			f = "plan.json"
		}
		p, err = plan.ReadFile(f)
	}
	if err != nil {
		return fail(std, "sim serve", err)
	}

	client, err := simClient(*clientID, *secretFlag, *secretFile)
	if err != nil {
		return fail(std, "sim serve", err)
	}
	cfg := fakehttp.Config{
		Plan: p, FOAddr: *foAddr, DVAddr: *dvAddr, LoginAddr: *loginAddr, Seed: *seed,
		Tenant: *tenant, TokenLifetime: *lifetime, DataDir: *data,
		FOPageSize: *foPage, DVPageSize: *dvPage,
		Protection: fakehttp.Protection{Off: *noProtection, Requests: *dvRequests, Window: *dvWindow, Concurrent: *dvConcurrent},
		Faults:     *faults, AdminToken: *adminToken,
		FO:     fake.Config{DefaultCompany: *defCompany},
		DV:     fake.Config{Companies: simServeList(*companies), DeltaTokenTTL: *deltaTTL},
		Sample: fakehttp.Sample{PerCompany: *sample, Companies: simServeList(*companies)},
		TLS:    *tlsCA != "", TLSHosts: simServeList(*tlsHosts),
	}
	if client.ID == "" {
		fmt.Fprintf(std.err, "dualsync sim serve: no client given: registered the test client %s\n", fakehttp.DefaultClient.ID)
	} else {
		cfg.Clients = []fakehttp.Client{client}
	}
	srv, err := fakehttp.Start(cfg)
	if err != nil {
		return fail(std, "sim serve", err)
	}
	if *tlsCA != "" {
		if err := os.WriteFile(*tlsCA, srv.CACert(), 0o644); err != nil {
			srv.Close()
			return fail(std, "sim serve", err)
		}
	}
	fmt.Fprintf(std.out, "fo %s\ndv %s\nlogin %s\n", srv.FOURL(), srv.DVURL(), srv.LoginURL())
	if f, ok := std.out.(interface{ Sync() error }); ok {
		f.Sync()
	}

	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fail(std, "sim serve", err)
	}
	return 0
}

// simClient is the client to register: the ID, and the secret from the
// flag, DUALSYNC_CLIENT_SECRET or the file, in that order. No ID and no
// secret gives the zero client (the built-in test client is used).
func simClient(id, secret, file string) (fakehttp.Client, error) {
	if secret == "" {
		secret = os.Getenv("DUALSYNC_CLIENT_SECRET")
	}
	if secret == "" && file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return fakehttp.Client{}, fmt.Errorf("read the client secret file: %w", err)
		}
		secret = strings.TrimSpace(string(b))
	}
	switch {
	case id == "" && secret == "":
		return fakehttp.Client{}, nil
	case id == "":
		return fakehttp.Client{}, errors.New("a client secret was given without --client-id")
	case secret == "":
		return fakehttp.Client{}, fmt.Errorf("client %s has no secret: set DUALSYNC_CLIENT_SECRET or --client-secret-file", id)
	}
	return fakehttp.Client{ID: id, Secret: secret}, nil
}

func simServeEnv(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func simServeList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

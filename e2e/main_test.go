package e2e

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
)

// Knobs for the slow parts, so that a developer can stretch them when
// chasing a flake and CI keeps the package well under three minutes.
var (
	flagPoll     = flag.Duration("e2e.poll", 200*time.Millisecond, "runtime poll interval passed to dualsync run")
	flagConverge = flag.Duration("e2e.converge", 45*time.Second, "longest wait for both sides to converge")
	flagOutage   = flag.Duration("e2e.outage", 3*time.Second, "how long the Dataverse fake stays down")
	flagStorm    = flag.Duration("e2e.storm", 3*time.Second, "how long the throttling storm lasts")
	flagRows     = flag.Int("e2e.rows", 40, "rows written on each side per test")
	flagKeep     = flag.Bool("e2e.keep-image", false, "keep the built image after the run")
	flagVerbose  = flag.Bool("e2e.tclog", false, "show the container library's own log lines")
)

// suite is what the first container test prepares, once, for all of
// them: Docker checked, binary, plan and image built.
type suite struct {
	once sync.Once
	// image is the tag of the image built from e2e/Dockerfile.
	image string
	// dockerErr is why Docker cannot be used, nil when it can.
	dockerErr error
	// setupErr is a failure of the harness itself (binary, plan or
	// image build): every container test fails with it, CI or not.
	setupErr error
	// plan is the compiled starter plan, copied into the containers.
	plan []byte
	// cleanup removes the image and the build directory.
	cleanup func()
}

var the suite

func TestMain(m *testing.M) {
	flag.Parse()
	// The reaper container would have to be pulled; the tests remove
	// what they create themselves (t.Cleanup), so it is not needed. The
	// library reads this once, so it is set before anything touches it.
	os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	// With a local daemon (a Unix socket), published ports are reached on
	// the loopback address. Left to itself, the library guesses a gateway
	// address when the tests run inside a container, and the tests must
	// send traffic to no address but this machine's own.
	_, override := os.LookupEnv("TESTCONTAINERS_HOST_OVERRIDE")
	if dh := os.Getenv("DOCKER_HOST"); !override && (dh == "" || strings.HasPrefix(dh, "unix://")) {
		os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
	}
	if !*flagVerbose {
		tclog.SetDefault(tclog.NewNoopLogger())
	}
	code := m.Run()
	if the.cleanup != nil {
		the.cleanup()
	}
	os.Exit(code)
}

// setup checks Docker, sweeps what stale runs left, and builds the
// binary, the plan and the image; a failure is recorded in the suite for
// every container test to report.
func (s *suite) setup() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := pingDocker(ctx); err != nil {
		s.dockerErr = err
		return
	}
	sweep(ctx)
	dir, err := os.MkdirTemp("", "dualsync-e2e-")
	if err != nil {
		s.setupErr = err
		return
	}
	s.cleanup = func() { os.RemoveAll(dir) }
	start := time.Now()
	if err := buildBinary(ctx, dir); err != nil {
		s.setupErr = err
		return
	}
	if s.plan, err = compilePlan(ctx, dir); err != nil {
		s.setupErr = err
		return
	}
	if s.image, err = buildImage(ctx, dir); err != nil {
		s.setupErr = err
		return
	}
	s.cleanup = func() {
		if !*flagKeep {
			removeImage(s.image)
		}
		os.RemoveAll(dir)
	}
	fmt.Fprintf(os.Stderr, "e2e: built binary, plan and image %s in %v\n", s.image, time.Since(start).Round(time.Millisecond))
}

// pingDocker reports whether a Docker daemon answers.
func pingDocker(ctx context.Context) (err error) {
	defer func() {
		// The library has been known to panic when it finds no daemon.
		if r := recover(); r != nil {
			err = fmt.Errorf("docker: %v", r)
		}
	}()
	provider, err := testcontainers.NewDockerProvider()
	if err != nil {
		return err
	}
	defer provider.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return provider.Health(ctx)
}

// moduleRoot is the directory holding go.mod: the e2e package sits one
// below it.
func moduleRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	root := filepath.Dir(wd)
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return "", fmt.Errorf("module root: %w", err)
	}
	return root, nil
}

// goTool is the go command of the toolchain running the tests.
func goTool() string {
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		return p
	}
	return "go"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// buildBinary builds a static dualsync for Linux into dir, beside a copy
// of the Dockerfile: dir is then the image's whole build context.
func buildBinary(ctx context.Context, dir string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, goTool(), "build", "-trimpath", "-o", filepath.Join(dir, "dualsync"), "./cmd/dualsync")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build dualsync: %w\n%s", err, out)
	}
	df, err := os.ReadFile(filepath.Join(root, "e2e", "Dockerfile"))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "Dockerfile"), df, 0o644)
}

// compilePlan compiles the starter maps, with the image's binary on a
// Linux host and with one built for the host elsewhere.
func compilePlan(ctx context.Context, dir string) ([]byte, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "dualsync")
	if runtime.GOOS != "linux" {
		bin = filepath.Join(dir, "host", "dualsync")
		cmd := exec.CommandContext(ctx, goTool(), "build", "-o", bin, "./cmd/dualsync")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("build host dualsync: %w\n%s", err, out)
		}
	}
	out := filepath.Join(dir, "plan.json")
	cmd := exec.CommandContext(ctx, bin, "compile", "-o", out, filepath.Join(root, "maps"))
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("compile starter maps: %w\n%s", err, msg)
	}
	return os.ReadFile(out)
}

// buildImage builds the image from the context in dir, once per run.
func buildImage(ctx context.Context, dir string) (string, error) {
	provider, err := testcontainers.NewDockerProvider()
	if err != nil {
		return "", err
	}
	defer provider.Close()
	req := testcontainers.ContainerRequest{FromDockerfile: testcontainers.FromDockerfile{
		Context:        dir,
		Repo:           "dualsync-e2e",
		Tag:            strconv.FormatInt(time.Now().UnixNano(), 36),
		BuildLogWriter: io.Discard,
		BuildOptionsModifier: func(o *client.ImageBuildOptions) {
			o.Labels = runLabels()
		},
	}}
	img, err := provider.BuildImage(ctx, &req)
	if err != nil {
		return "", fmt.Errorf("build image: %w", err)
	}
	return img, nil
}

func removeImage(img string) {
	cli, err := testcontainers.NewDockerClientWithOpts(context.Background())
	if err != nil {
		return
	}
	defer cli.Close()
	if _, err := cli.ImageRemove(context.Background(), img, client.ImageRemoveOptions{Force: true, PruneChildren: true}); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: remove image %s: %v\n", img, err)
	}
}

// ciEnv reports whether the tests run under CI (CI=true, or any value
// strconv.ParseBool takes for true).
func ciEnv() bool {
	v, err := strconv.ParseBool(strings.TrimSpace(os.Getenv("CI")))
	return err == nil && v
}

// needDocker stops a container test that cannot run: a loud skip on a
// developer machine without Docker, a failure under CI or when the
// harness itself broke.
func needDocker(t testing.TB) {
	t.Helper()
	if testing.Short() {
		// Asked for by whoever runs the tests, not a gap in the machine.
		t.Skip("e2e: container tests are the slow layer; -short leaves them out")
	}
	the.once.Do(the.setup)
	if the.setupErr != nil {
		t.Fatalf("e2e harness: %v", the.setupErr)
	}
	switch v := dockerVerdict(ciEnv(), the.dockerErr); v.action {
	case actionSkip:
		t.Skip(v.reason)
	case actionFail:
		t.Fatal(v.reason)
	}
}

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"
)

// cluster is one test's private world: a Docker network of its own, a
// volume for the runtime's store, and the containers started on them.
// Everything it creates is removed by t.Cleanup, pass or fail; on a
// failure the containers' logs are printed first.
type cluster struct {
	t      testing.TB
	ctx    context.Context
	net    *testcontainers.DockerNetwork
	volume string
	docker *testcontainers.DockerClient
	begin  time.Time
}

// logf logs with the time since the cluster was made, so that a test's
// log shows where its time goes.
func (c *cluster) logf(format string, a ...any) {
	c.t.Helper()
	c.t.Logf("%6.2fs "+format, append([]any{time.Since(c.begin).Seconds()}, a...)...)
}

// newCluster creates the network and the store volume for t.
func newCluster(t testing.TB) *cluster {
	t.Helper()
	needDocker(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	docker, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		t.Fatalf("docker client: %v", err)
	}
	t.Cleanup(func() { docker.Close() })

	nw, err := network.New(ctx, network.WithLabels(runLabels()))
	testcontainers.CleanupNetwork(t, nw)
	if err != nil {
		t.Fatalf("create network: %v", err)
	}
	c := &cluster{t: t, ctx: ctx, net: nw, docker: docker, begin: time.Now()}

	vol, err := docker.VolumeCreate(ctx, client.VolumeCreateOptions{Labels: runLabels()})
	if err != nil {
		t.Fatalf("create volume: %v", err)
	}
	c.volume = vol.Volume.Name
	t.Cleanup(func() {
		// After the containers that use it: cleanups run last-in first-out.
		if _, err := docker.VolumeRemove(context.Background(), c.volume, client.VolumeRemoveOptions{Force: true}); err != nil {
			t.Errorf("remove volume %s: %v", c.volume, err)
		}
	})
	return c
}

// spec is one container to start from the suite's image.
type spec struct {
	// name is for logs and failure messages ("sim", "runtime-2").
	name string
	// aliases are its names on the cluster network.
	aliases []string
	args    []string
	env     map[string]string
	// ports are the container ports to publish on the host ("8080/tcp").
	ports []string
	// files are written into the container before it starts.
	files map[string][]byte
	// store mounts the cluster's store volume at /data.
	store bool
	// wait is what "started" means; nil: the process is running.
	wait wait.Strategy
}

// start creates and starts a container on the cluster network and
// registers its removal.
func (c *cluster) start(s spec) *testcontainers.DockerContainer {
	c.t.Helper()
	req := testcontainers.ContainerRequest{
		Image:          the.image,
		Cmd:            s.args,
		Env:            s.env,
		ExposedPorts:   s.ports,
		Networks:       []string{c.net.Name},
		NetworkAliases: map[string][]string{c.net.Name: s.aliases},
		WaitingFor:     s.wait,
		Labels:         runLabels(),
	}
	for path, data := range s.files {
		req.Files = append(req.Files, testcontainers.ContainerFile{
			Reader: bytes.NewReader(data), ContainerFilePath: path, FileMode: 0o644})
	}
	if s.store {
		req.Mounts = testcontainers.ContainerMounts{testcontainers.VolumeMount(c.volume, "/data")}
	}
	ctr, err := testcontainers.GenericContainer(c.ctx, testcontainers.GenericContainerRequest{
		ContainerRequest: req,
		Started:          true,
		Logger:           c.logger(),
	})
	var dc *testcontainers.DockerContainer
	if ctr != nil {
		dc = ctr.(*testcontainers.DockerContainer)
	}
	testcontainers.CleanupContainer(c.t, ctr, testcontainers.StopTimeout(0))
	if dc != nil {
		c.t.Cleanup(func() {
			if c.t.Failed() {
				c.dumpLogs(s.name, dc)
			}
		})
	}
	if err != nil {
		c.t.Fatalf("start %s (%s): %v", s.name, strings.Join(s.args, " "), err)
	}
	return dc
}

func (c *cluster) logger() tclog.Logger {
	if *flagVerbose {
		return tclog.TestLogger(c.t)
	}
	return tclog.NewNoopLogger()
}

// dumpLogs prints the tail of a container's output into the test log.
func (c *cluster) dumpLogs(name string, ctr *testcontainers.DockerContainer) {
	out := c.logs(ctr)
	const max = 12000
	if len(out) > max {
		out = "…" + out[len(out)-max:]
	}
	c.t.Logf("---- %s logs ----\n%s---- end %s ----", name, out, name)
}

func (c *cluster) logs(ctr *testcontainers.DockerContainer) string {
	rc, err := ctr.Logs(context.Background())
	if err != nil {
		return fmt.Sprintf("(logs: %v)\n", err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return string(b)
}

// once runs the image with args to completion and returns its exit code
// and output; the store volume is mounted when store is set.
func (c *cluster) once(name string, store bool, args ...string) (int, string) {
	c.t.Helper()
	ctr := c.start(spec{name: name, args: args, store: store,
		wait: wait.ForExit().WithExitTimeout(time.Minute).WithPollInterval(50 * time.Millisecond)})
	st, err := ctr.State(c.ctx)
	if err != nil {
		c.t.Fatalf("%s: state: %v", name, err)
	}
	return st.ExitCode, c.logs(ctr)
}

// kill sends SIGKILL to a container and waits until it is gone: no
// graceful shutdown, no chance to flush anything.
func (c *cluster) kill(ctr *testcontainers.DockerContainer) {
	c.t.Helper()
	if _, err := c.docker.ContainerKill(c.ctx, ctr.GetContainerID(), client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		c.t.Fatalf("kill: %v", err)
	}
	res := c.docker.ContainerWait(c.ctx, ctr.GetContainerID(), client.ContainerWaitOptions{})
	select {
	case <-res.Result:
	case err := <-res.Error:
		c.t.Fatalf("wait for killed container: %v", err)
	case <-time.After(30 * time.Second):
		c.t.Fatal("killed container still running after 30s")
	}
}

// mustRun stops the test at once when a container that should be
// serving has exited, instead of waiting out a poll; its logs are
// printed by the cleanup.
func (c *cluster) mustRun(ctr *testcontainers.DockerContainer, name string) {
	c.t.Helper()
	if st, err := ctr.State(c.ctx); err == nil && !st.Running {
		c.t.Fatalf("%s exited (code %d)", name, st.ExitCode)
	}
}

// hostURL is the base URL on the host of a container's published port.
func (c *cluster) hostURL(ctr *testcontainers.DockerContainer, port string) string {
	c.t.Helper()
	ep, err := ctr.PortEndpoint(c.ctx, port, "http")
	if err != nil {
		c.t.Fatalf("endpoint of %s: %v", port, err)
	}
	return ep
}

// waitHTTP polls base+path until it answers 200, the container stops, or
// the time runs out.
func (c *cluster) waitHTTP(ctr *testcontainers.DockerContainer, base string, limit time.Duration, paths ...string) {
	c.t.Helper()
	deadline := time.Now().Add(limit)
	hc := &http.Client{Timeout: 2 * time.Second}
	for _, p := range paths {
		for {
			last, ok := probe(hc, base+p)
			if ok {
				break
			}
			if st, err := ctr.State(c.ctx); err == nil && !st.Running {
				c.t.Fatalf("%s: container exited (code %d) before %s answered 200; last: %s\n%s",
					base, st.ExitCode, p, last, c.logs(ctr))
			}
			if time.Now().After(deadline) {
				c.t.Fatalf("%s%s did not answer 200 within %v; last: %s", base, p, limit, last)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func probe(hc *http.Client, url string) (string, bool) {
	resp, err := hc.Get(url)
	if err != nil {
		return err.Error(), false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return fmt.Sprintf("%s %s", resp.Status, bytes.TrimSpace(b)), resp.StatusCode == http.StatusOK
}

// eventually polls cond every interval until it returns nil or limit
// passes; then the test fails with the last error.
func eventually(t testing.TB, limit time.Duration, what string, cond func() error) time.Duration {
	t.Helper()
	start := time.Now()
	var err error
	for {
		if err = cond(); err == nil {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %v: %v", what, limit, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// errNotYet is a condition not met yet, for eventually.
var errNotYet = errors.New("not yet")

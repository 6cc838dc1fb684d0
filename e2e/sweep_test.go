package e2e

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// Every container, network, volume and image a run makes carries
// runLabel with the run's start time (Unix seconds). The tests remove
// what they make with t.Cleanup; a run killed outright (a -timeout
// panic, a killed CI job) cannot, and with the reaper off nothing else
// would. So each run first sweeps what runs older than staleRun left.
const (
	runLabel = "dualsync.e2e.run"
	staleRun = time.Hour
)

var runStamp = strconv.FormatInt(time.Now().Unix(), 10)

// runLabels are the labels of everything this run creates (the library
// adds its own to containers and networks).
func runLabels() map[string]string {
	return map[string]string{runLabel: runStamp}
}

// stale reports whether labels mark a resource of a run older than
// staleRun.
func stale(labels map[string]string, now time.Time) bool {
	v, ok := labels[runLabel]
	if !ok {
		return false
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	return err == nil && now.Sub(time.Unix(sec, 0)) > staleRun
}

// sweep removes what stale runs left behind, best effort.
func sweep(ctx context.Context) {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return
	}
	defer cli.Close()
	now := time.Now()
	f := make(client.Filters).Add("label", runLabel)
	n := 0
	if cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f}); err == nil {
		for _, c := range cs.Items {
			if stale(c.Labels, now) {
				if _, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err == nil {
					n++
				}
			}
		}
	}
	if ns, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: f}); err == nil {
		for _, nw := range ns.Items {
			if stale(nw.Labels, now) {
				if _, err := cli.NetworkRemove(ctx, nw.ID, client.NetworkRemoveOptions{}); err == nil {
					n++
				}
			}
		}
	}
	if vs, err := cli.VolumeList(ctx, client.VolumeListOptions{Filters: f}); err == nil {
		for _, v := range vs.Items {
			if stale(v.Labels, now) {
				if _, err := cli.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{Force: true}); err == nil {
					n++
				}
			}
		}
	}
	if is, err := cli.ImageList(ctx, client.ImageListOptions{Filters: f}); err == nil {
		for _, im := range is.Items {
			if stale(im.Labels, now) {
				if _, err := cli.ImageRemove(ctx, im.ID, client.ImageRemoveOptions{Force: true, PruneChildren: true}); err == nil {
					n++
				}
			}
		}
	}
	if n > 0 {
		fmt.Fprintf(os.Stderr, "e2e: removed %d containers, networks, volumes and images left by runs older than %v\n", n, staleRun)
	}
}

func TestStale(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	old := strconv.FormatInt(now.Add(-2*staleRun).Unix(), 10)
	recent := strconv.FormatInt(now.Add(-time.Minute).Unix(), 10)
	for _, tt := range []struct {
		labels map[string]string
		want   bool
	}{
		{map[string]string{runLabel: old}, true},
		{map[string]string{runLabel: recent}, false},
		{map[string]string{runLabel: "garbage"}, false},
		{map[string]string{"other": old}, false},
		{nil, false},
	} {
		if got := stale(tt.labels, now); got != tt.want {
			t.Errorf("stale(%v) = %v, want %v", tt.labels, got, tt.want)
		}
	}
}

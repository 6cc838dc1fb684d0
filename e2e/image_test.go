package e2e

import (
	"strings"
	"testing"
)

// TestImage proves the harness end to end on the cheapest container: the
// image built from e2e/Dockerfile starts, runs the static binary, and
// its exit code and output come back; a failing command is seen as one.
func TestImage(t *testing.T) {
	c := newCluster(t)
	code, out := c.once("help", false, "--help")
	if code != 0 || !strings.Contains(out, "usage: dualsync") {
		t.Fatalf("dualsync --help in the image: exit %d, output:\n%s", code, out)
	}
	code, out = c.once("unknown", false, "no-such-command")
	if code != 2 || !strings.Contains(out, "unknown command") {
		t.Fatalf("dualsync no-such-command in the image: exit %d (want 2), output:\n%s", code, out)
	}
}

package e2e

import (
	"errors"
	"strings"
	"testing"
)

// action is what a container test does about Docker.
type action int

const (
	actionRun action = iota
	actionSkip
	actionFail
)

func (a action) String() string {
	return [...]string{"run", "skip", "fail"}[a]
}

// verdict is the decision with the reason to print.
type verdict struct {
	action action
	reason string
}

// dockerVerdict decides what a container test does: run when Docker
// answers; otherwise skip, loudly, on a developer's machine, and fail
// under CI, where a missing daemon is a broken environment that must not
// pass as green.
func dockerVerdict(ci bool, dockerErr error) verdict {
	switch {
	case dockerErr == nil:
		return verdict{actionRun, ""}
	case ci:
		return verdict{actionFail, "e2e: CI=true but no Docker daemon answers (" + dockerErr.Error() +
			"): CI must provide Docker for the container tests"}
	default:
		return verdict{actionSkip, "e2e: SKIPPED, no Docker daemon answers (" + dockerErr.Error() +
			"): these container tests did not run; start Docker to run them (under CI=true this is a failure)"}
	}
}

func TestDockerVerdict(t *testing.T) {
	down := errors.New("Cannot connect to the Docker daemon at unix:///var/run/docker.sock")
	tests := []struct {
		name      string
		ci        bool
		err       error
		want      action
		mentioned []string
	}{
		{"docker up, developer", false, nil, actionRun, nil},
		{"docker up, CI", true, nil, actionRun, nil},
		{"docker down, developer", false, down, actionSkip, []string{"SKIPPED", "docker.sock", "CI=true"}},
		{"docker down, CI", true, down, actionFail, []string{"CI=true", "docker.sock"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := dockerVerdict(tt.ci, tt.err)
			if v.action != tt.want {
				t.Fatalf("dockerVerdict(%v, %v) = %v, want %v", tt.ci, tt.err, v.action, tt.want)
			}
			for _, s := range tt.mentioned {
				if !strings.Contains(v.reason, s) {
					t.Errorf("reason %q does not mention %q", v.reason, s)
				}
			}
		})
	}
}

func TestCIEnv(t *testing.T) {
	for _, tt := range []struct {
		val  string
		want bool
	}{{"true", true}, {"1", true}, {"TRUE", true}, {"", false}, {"false", false}, {"no", false}} {
		t.Setenv("CI", tt.val)
		if got := ciEnv(); got != tt.want {
			t.Errorf("CI=%q: ciEnv() = %v, want %v", tt.val, got, tt.want)
		}
	}
}

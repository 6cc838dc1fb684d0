package maps

import (
	"bytes"
	"context"
	"strings"
	"testing"

	cuecmd "cuelang.org/go/cmd/cue/cmd"
)

// The starter maps are plain CUE: the standard cue command, run in process
// here, formats and evaluates them without dualsync (the schema import
// resolves through cue.mod/pkg).
func TestStandardCUETool(t *testing.T) {
	for _, args := range [][]string{
		{"fmt", "--check", "./..."},
		{"vet", "-c", "."},
		{"eval", "-e", "maps.customer.conflict.winner", "."},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			c, err := cuecmd.New(args)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			c.SetOutput(&out)
			if err := c.Run(context.Background()); err != nil {
				t.Fatalf("cue %s: %v\n%s", strings.Join(args, " "), err, out.String())
			}
			if args[0] == "eval" && strings.TrimSpace(out.String()) != `"fo"` {
				t.Fatalf("cue eval printed %q, want \"fo\"", out.String())
			}
		})
	}
}

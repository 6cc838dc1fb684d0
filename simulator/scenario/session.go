package scenario

import (
	"bytes"
	"context"
	"fmt"

	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator"
	"github.com/dualsync/dualsync/simulator/fake"
	"github.com/rogpeppe/go-internal/testscript"
)

// session is one script's state: the plan and configuration of the next
// world, the world once built, and the traces of earlier worlds.
type session struct {
	plan  *plan.Plan
	seed  int64
	cfg   simulator.Config
	world *simulator.World
	done  []byte  // traces of worlds the script replaced
	seeds []int64 // the seeds of the worlds built, in order
	ctx   context.Context
}

type sessionKey struct{}

func newSession(p *plan.Plan, seed int64) *session {
	return &session{plan: p, seed: seed, ctx: context.Background()}
}

// trace returns the traces of every world the script built, in order.
func (s *session) trace() []byte {
	var b bytes.Buffer
	b.Write(s.done)
	if s.world != nil {
		b.Write(s.world.Trace())
	}
	return b.Bytes()
}

// need returns the world, building it on first use.
func (s *session) need() (*simulator.World, error) {
	if s.world != nil {
		return s.world, nil
	}
	if s.plan == nil {
		return nil, fmt.Errorf("no plan: load one with 'plan FILE'")
	}
	w, err := simulator.NewWorld(s.plan, s.seed, s.cfg)
	if err != nil {
		return nil, err
	}
	s.world = w
	s.seeds = append(s.seeds, s.seed)
	return w, nil
}

// firstSeed is the seed of the script's first world (the session's seed
// when it built none).
func (s *session) firstSeed() int64 {
	if len(s.seeds) > 0 {
		return s.seeds[0]
	}
	return s.seed
}

// configurable fails once the world is built: service options shape the
// fakes when they are created.
func (s *session) configurable(what string) error {
	if s.world != nil {
		return fmt.Errorf("%s must come before the first command that uses the world (write, run, ...)", what)
	}
	return nil
}

// side returns the fake configuration of side sd.
func (s *session) side(sd plan.Side) *fake.Config {
	if sd == plan.FO {
		return &s.cfg.FO
	}
	return &s.cfg.DV
}

// cmd adapts a command to testscript: it finds the script's session and
// turns a returned error into a failure at the script line.
func cmd(f func(s *session, ts *testscript.TestScript, neg bool, args []string) error) func(*testscript.TestScript, bool, []string) {
	return func(ts *testscript.TestScript, neg bool, args []string) {
		s, _ := ts.Value(sessionKey{}).(*session)
		if s == nil {
			ts.Fatalf("no scenario session: run scripts with scenario.Run")
		}
		if err := f(s, ts, neg, args); err != nil {
			ts.Fatalf("%v", err)
		}
	}
}

// noNeg is for commands that cannot be negated.
func noNeg(name string, neg bool) error {
	if neg {
		return fmt.Errorf("'! %s' is not supported", name)
	}
	return nil
}

package scenario

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator/fake"
	"github.com/rogpeppe/go-internal/testscript"
)

// commands returns the scenario commands, by name, for testscript.Params.
// Each finds its script's state through the value Setup stores; Run wires
// both.
func commands() map[string]func(*testscript.TestScript, bool, []string) {
	return map[string]func(*testscript.TestScript, bool, []string){
		// setting up
		"plan":    cmd(cmdPlan),
		"world":   cmd(cmdWorld),
		"service": cmd(cmdService),
		"at":      cmd(cmdAt),
		"advance": cmd(cmdAdvance),
		// users and faults
		"write":  cmd(cmdWrite),
		"update": cmd(cmdUpdate),
		"delete": cmd(cmdDelete),
		"fault":  cmd(cmdFault),
		"clear":  cmd(cmdClear),
		// the engine
		"run":     cmd(cmdRun),
		"step":    cmd(cmdStep),
		"crash":   cmd(cmdCrash),
		"restart": cmd(cmdRestart),
		"queue":   cmd(cmdQueue),
		// checks
		"expect":         cmd(cmdExpect),
		"expect-missing": cmd(cmdExpectMissing),
		"errors":         cmd(cmdErrors),
		"parked":         cmd(cmdParked),
		"conflicts":      cmd(cmdConflicts),
		"accounting":     cmd(cmdAccounting),
		"writes":         cmd(cmdWrites),
		"trace":          cmd(cmdTrace),
		"dump":           cmd(cmdDump),
	}
}

// plan FILE
func cmdPlan(s *session, ts *testscript.TestScript, neg bool, args []string) error {
	if err := noNeg("plan", neg); err != nil {
		return err
	}
	if len(args) != 1 {
		return fmt.Errorf("usage: plan FILE")
	}
	if err := s.configurable("plan"); err != nil {
		return err
	}
	p, err := plan.ReadFile(ts.MkAbs(args[0]))
	if err != nil {
		return err
	}
	s.plan = p
	return nil
}

// world [SEED] [seed=N] [rounds=N] [batch=N] [page=N] [poll-targets=true]
func cmdWorld(s *session, ts *testscript.TestScript, neg bool, args []string) error {
	if err := noNeg("world", neg); err != nil {
		return err
	}
	if len(args) > 0 && !strings.Contains(args[0], "=") {
		args = append([]string{"seed=" + args[0]}, args[1:]...)
	}
	o, err := keyValues(args, "seed", "rounds", "batch", "page", "poll-targets")
	if err != nil {
		return fmt.Errorf("usage: world [SEED] [seed=N] [rounds=N] [batch=N] [page=N] [poll-targets=true]: %w", err)
	}
	ints := map[string]*int{"rounds": &s.cfg.MaxRounds, "batch": &s.cfg.BatchSize, "page": &s.cfg.PageSize}
	for k, p := range ints {
		if v, ok := o[k]; ok {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return fmt.Errorf("%s=%s: want a positive number", k, v)
			}
			*p = n
		}
	}
	if v, ok := o["seed"]; ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("seed %q: want an integer", v)
		}
		s.seed = n
	}
	if v, ok := o["poll-targets"]; ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("poll-targets=%s: want true or false", v)
		}
		s.cfg.PollTargets = b
	}
	if s.world != nil {
		s.done = append(s.done, s.world.Trace()...)
		s.world = nil
	}
	w, err := s.need()
	if err != nil {
		return err
	}
	ts.Logf("world seed=%d plan=%s", w.Seed(), w.Plan().Digest)
	return nil
}

// service SIDE normalise map=M field=F rule=trim|upper|lower|round [places=N]
// service SIDE drop map=M field=F
// service SIDE extra map=M field=F values=A,B
// service SIDE required map=M field=F
// service SIDE skew DURATION
func cmdService(s *session, ts *testscript.TestScript, neg bool, args []string) error {
	const usage = "usage: service fo|dv normalise|drop|extra|required map=M field=F [...] | service fo|dv skew DURATION"
	if err := noNeg("service", neg); err != nil {
		return err
	}
	if len(args) < 2 {
		return fmt.Errorf("%s", usage)
	}
	sd, err := parseSide(args[0])
	if err != nil {
		return err
	}
	what, rest := args[1], args[2:]
	if what == "skew" {
		if len(rest) != 1 {
			return fmt.Errorf("usage: service %s skew DURATION", sd)
		}
		d, err := time.ParseDuration(rest[0])
		if err != nil {
			return err
		}
		if s.world != nil {
			return s.world.SetSkew(sd, d)
		}
		s.side(sd).Skew = d
		return nil
	}
	if err := s.configurable("service " + what); err != nil {
		return err
	}
	var allowed []string
	switch what {
	case "normalise", "normalize":
		allowed = []string{"map", "field", "rule", "places"}
	case "drop", "required":
		allowed = []string{"map", "field"}
	case "extra":
		allowed = []string{"map", "field", "values"}
	default:
		return fmt.Errorf("unknown service option %q: %s", what, usage)
	}
	o, err := keyValues(rest, allowed...)
	if err != nil {
		return err
	}
	set, field, err := s.fieldRef(sd, o["map"], o["field"])
	if err != nil {
		return err
	}
	c := s.side(sd)
	switch what {
	case "normalise", "normalize":
		n := fake.Normalize{Set: set, Field: field, Rule: fake.NormRule(o["rule"])}
		switch n.Rule {
		case fake.Trim, fake.Upper, fake.Lower, fake.Round:
		default:
			return fmt.Errorf("rule=%q: want trim, upper, lower or round", o["rule"])
		}
		if v, ok := o["places"]; ok {
			if n.Places, err = strconv.Atoi(v); err != nil {
				return fmt.Errorf("places=%s: want a number", v)
			}
		}
		c.Normalize = append(c.Normalize, n)
	case "drop":
		c.Drop = append(c.Drop, fake.FieldRef{Set: set, Field: field})
	case "required":
		c.Required = append(c.Required, fake.FieldRef{Set: set, Field: field})
	case "extra":
		if o["values"] == "" {
			return fmt.Errorf("extra needs values=A,B")
		}
		c.Extra = append(c.Extra, fake.Members{Set: set, Field: field, Values: strings.Split(o["values"], ",")})
	}
	return nil
}

// fieldRef resolves a map name and a side's field name to the side's
// entity set and field.
func (s *session) fieldRef(sd plan.Side, mapName, field string) (string, string, error) {
	if mapName == "" || field == "" {
		return "", "", fmt.Errorf("need map=M and field=F")
	}
	if s.plan == nil {
		return "", "", fmt.Errorf("no plan: load one with 'plan FILE'")
	}
	m := s.plan.MapByName(mapName)
	if m == nil {
		return "", "", fmt.Errorf("no map %q in the plan", mapName)
	}
	if _, _, err := fieldType(m, sd, field); err != nil {
		return "", "", err
	}
	if sd == plan.FO {
		return m.FO.EntitySet, field, nil
	}
	return m.DV.EntitySet, field, nil
}

// at DURATION: set the virtual time, since the world's start.
func cmdAt(s *session, ts *testscript.TestScript, neg bool, args []string) error {
	if err := noNeg("at", neg); err != nil {
		return err
	}
	if len(args) != 1 {
		return fmt.Errorf("usage: at DURATION (virtual time since the start, e.g. 90s)")
	}
	d, err := time.ParseDuration(args[0])
	if err != nil {
		return err
	}
	w, err := s.need()
	if err != nil {
		return err
	}
	return w.SetTime(d)
}

// advance DURATION: move the virtual clock forward.
func cmdAdvance(s *session, ts *testscript.TestScript, neg bool, args []string) error {
	if err := noNeg("advance", neg); err != nil {
		return err
	}
	if len(args) != 1 {
		return fmt.Errorf("usage: advance DURATION")
	}
	d, err := time.ParseDuration(args[0])
	if err != nil {
		return err
	}
	if d < 0 {
		return fmt.Errorf("advance %s: time never goes back", d)
	}
	w, err := s.need()
	if err != nil {
		return err
	}
	w.Advance(d)
	return nil
}

package scenario

import (
	"fmt"
	"strconv"
	"time"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator"
	"github.com/dualsync/dualsync/simulator/fake"
	"github.com/rogpeppe/go-internal/testscript"
)

// record parses SIDE MAP KEY.
func (s *session) record(args []string) (*simulator.World, plan.Side, *plan.Map, string, error) {
	if len(args) < 3 {
		return nil, "", nil, "", fmt.Errorf("want SIDE MAP KEY")
	}
	sd, err := parseSide(args[0])
	if err != nil {
		return nil, "", nil, "", err
	}
	w, err := s.need()
	if err != nil {
		return nil, "", nil, "", err
	}
	m := w.Plan().MapByName(args[1])
	if m == nil {
		return nil, "", nil, "", fmt.Errorf("no map %q in the plan", args[1])
	}
	return w, sd, m, args[2], nil
}

// write SIDE MAP KEY Field=Value...: a user creates or edits a record.
// update SIDE MAP KEY Field=Value...: the same, but the record must exist.
// With '!', the service must refuse the edit.
func cmdWrite(s *session, ts *testscript.TestScript, neg bool, args []string) error {
	w, sd, m, key, err := s.record(args)
	if err != nil {
		return fmt.Errorf("usage: write|update fo|dv MAP KEY Field=Value...: %w", err)
	}
	as, err := parseAssignments(m, sd, args[3:])
	if err != nil {
		return err
	}
	if len(as) == 0 {
		return fmt.Errorf("write %s %s %s: no Field=Value to write", sd, m.Name, key)
	}
	vals := make(map[string]engine.Value, len(as))
	for _, a := range as {
		vals[a.field] = a.value
	}
	err = w.Put(sd, m.Name, key, vals)
	switch {
	case err != nil && !neg:
		return fmt.Errorf("%s %s %s refused: %v", sd, m.Name, key, err)
	case err == nil && neg:
		return fmt.Errorf("%s %s %s: the service accepted the edit, want a refusal", sd, m.Name, key)
	case err != nil:
		ts.Logf("refused as expected: %v", err)
	}
	return nil
}

// cmdUpdate is write for a record that must exist.
func cmdUpdate(s *session, ts *testscript.TestScript, neg bool, args []string) error {
	w, sd, m, key, err := s.record(args)
	if err != nil {
		return fmt.Errorf("usage: update fo|dv MAP KEY Field=Value...: %w", err)
	}
	if _, ok := w.Get(sd, m.Name, key); !ok {
		return fmt.Errorf("update %s %s %s: no such record (use write to create one)", sd, m.Name, key)
	}
	return cmdWrite(s, ts, neg, args)
}

// delete SIDE MAP KEY: a user deletes a record. With '!', the service
// must refuse.
func cmdDelete(s *session, ts *testscript.TestScript, neg bool, args []string) error {
	w, sd, m, key, err := s.record(args)
	if err != nil || len(args) != 3 {
		return fmt.Errorf("usage: delete fo|dv MAP KEY")
	}
	err = w.Delete(sd, m.Name, key)
	switch {
	case err != nil && !neg:
		return fmt.Errorf("delete %s %s %s refused: %v", sd, m.Name, key, err)
	case err == nil && neg:
		return fmt.Errorf("delete %s %s %s: the service accepted it, want a refusal", sd, m.Name, key)
	}
	return nil
}

// fault SIDE KIND [option=value...]
func cmdFault(s *session, ts *testscript.TestScript, neg bool, args []string) error {
	const usage = "usage: fault fo|dv outage|network|transient|throttle|plugin|latency [name=] [map=] [ops=read|write] [rate=] [count=] [status=] [code=] [message=] [limit=] [window=] [retry=] [latency=] [field=] [value=] [for=DURATION]"
	if err := noNeg("fault", neg); err != nil {
		return err
	}
	if len(args) < 2 {
		return fmt.Errorf("%s", usage)
	}
	sd, err := parseSide(args[0])
	if err != nil {
		return err
	}
	f := fake.Fault{Kind: fake.FaultKind(args[1])}
	switch f.Kind {
	case fake.FaultOutage, fake.FaultNetwork, fake.FaultTransient, fake.FaultThrottle, fake.FaultPlugin, fake.FaultLatency:
	default:
		return fmt.Errorf("unknown fault %q: %s", args[1], usage)
	}
	o, err := keyValues(args[2:], "name", "map", "ops", "rate", "count", "status", "code", "message",
		"limit", "window", "retry", "latency", "field", "value", "for")
	if err != nil {
		return fmt.Errorf("%v\n%s", err, usage)
	}
	f.Name, f.Map, f.Code, f.Message, f.Value = o["name"], o["map"], o["code"], o["message"], o["value"]
	f.Ops = fake.Ops(o["ops"])
	if f.Ops != fake.AllOps && f.Ops != fake.ReadOps && f.Ops != fake.WriteOps {
		return fmt.Errorf("ops=%s: want read or write", o["ops"])
	}
	if v, ok := o["field"]; ok {
		// The field is named as on the side, and stored that way.
		if f.Map != "" {
			if _, _, err := s.fieldRef(sd, f.Map, v); err != nil {
				return err
			}
		}
		f.Field = v
	}
	ints := map[string]*int{"count": &f.Count, "status": &f.Status, "limit": &f.Limit}
	for k, p := range ints {
		if v, ok := o[k]; ok {
			if *p, err = strconv.Atoi(v); err != nil {
				return fmt.Errorf("%s=%s: want a number", k, v)
			}
		}
	}
	if v, ok := o["rate"]; ok {
		if f.Rate, err = strconv.ParseFloat(v, 64); err != nil {
			return fmt.Errorf("rate=%s: want a number in [0, 1]", v)
		}
	}
	durs := map[string]*time.Duration{"window": &f.Window, "retry": &f.RetryAfter, "latency": &f.Latency}
	for k, p := range durs {
		if v, ok := o[k]; ok {
			if *p, err = time.ParseDuration(v); err != nil {
				return fmt.Errorf("%s=%s: %w", k, v, err)
			}
		}
	}
	var dur time.Duration
	if v, ok := o["for"]; ok {
		if dur, err = time.ParseDuration(v); err != nil || dur <= 0 {
			return fmt.Errorf("for=%s: want a positive duration", v)
		}
	}
	w, err := s.need()
	if err != nil {
		return err
	}
	return w.SetFault(sd, f, dur)
}

// clear [SIDE [NAME]]: heal faults: all of them, a side's, or one.
func cmdClear(s *session, ts *testscript.TestScript, neg bool, args []string) error {
	if err := noNeg("clear", neg); err != nil {
		return err
	}
	if len(args) > 2 {
		return fmt.Errorf("usage: clear [fo|dv [NAME]]")
	}
	w, err := s.need()
	if err != nil {
		return err
	}
	if len(args) == 0 {
		w.ClearFaults()
		return nil
	}
	sd, err := parseSide(args[0])
	if err != nil {
		return err
	}
	name := ""
	if len(args) == 2 {
		name = args[1]
	}
	return w.ClearFault(sd, name)
}

package fake

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
)

// service is what both fakes share: the lock, the clock and its skew, the
// seeded random streams, the faults and the request log.
type service struct {
	mu     sync.Mutex
	side   plan.Side
	plan   *plan.Plan
	cfg    Config
	clock  dsruntime.Clock
	skew   time.Duration
	ids    *rand.Rand // GUIDs
	draws  *rand.Rand // fault rates
	faults []*faultState
	schema map[string]*setDef

	requests int64 // requests answered or refused, batches counted once
}

type faultState struct {
	Fault
	set   string      // resolved entity set, "" for all
	fired int         // times it fired
	hits  []time.Time // throttle: accepted requests in the window
}

func newService(p *plan.Plan, side plan.Side, cfg Config) (*service, error) {
	if cfg.Clock == nil {
		cfg.Clock = NewClock(time.Time{})
	}
	if cfg.DeltaTokenTTL <= 0 {
		cfg.DeltaTokenTTL = 7 * 24 * time.Hour
	}
	if cfg.DefaultCompany == "" {
		cfg.DefaultCompany = "usmf"
	}
	schema, err := buildSchema(p, side, &cfg)
	if err != nil {
		return nil, err
	}
	salt := uint64(1)
	if side == plan.DV {
		salt = 2
	}
	s := &service{
		side:   side,
		plan:   p,
		cfg:    cfg,
		clock:  cfg.Clock,
		skew:   cfg.Skew,
		ids:    rand.New(rand.NewPCG(cfg.Seed, 0x1d5^salt)),
		draws:  rand.New(rand.NewPCG(cfg.Seed, 0xfa17^salt)),
		schema: schema,
	}
	for _, f := range cfg.Faults {
		if err := s.setFault(f); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Now returns the service's own time: the clock plus its skew.
func (s *service) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

func (s *service) now() time.Time { return s.clock.Now().Add(s.skew).UTC() }

// stamp is a modified time as the service stores it: to the second.
func (s *service) stamp() time.Time { return s.now().Truncate(time.Second) }

// SetSkew sets how far the service's clock is ahead of the shared clock
// (negative: behind).
func (s *service) SetSkew(d time.Duration) {
	s.mu.Lock()
	s.skew = d
	s.mu.Unlock()
}

// Requests is the number of requests the service received (a batch
// counts once; user edits through Put and Delete do not count).
func (s *service) Requests() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// SetFault puts a fault in force, replacing one of the same name.
func (s *service) SetFault(f Fault) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.setFault(f)
}

func (s *service) setFault(f Fault) error {
	switch f.Kind {
	case FaultOutage, FaultNetwork, FaultTransient, FaultThrottle, FaultPlugin, FaultLatency:
	default:
		return fmt.Errorf("%s fault %q: unknown kind %q", s.side, f.Name, f.Kind)
	}
	if f.Name == "" {
		f.Name = string(f.Kind)
	}
	if f.Rate < 0 || f.Rate > 1 {
		return fmt.Errorf("%s fault %q: rate %v outside [0, 1]", s.side, f.Name, f.Rate)
	}
	fs := &faultState{Fault: f, set: f.Set}
	if f.Map != "" {
		m := s.plan.MapByName(f.Map)
		if m == nil {
			return fmt.Errorf("%s fault %q: no map %q in the plan", s.side, f.Name, f.Map)
		}
		fs.set = m.FO.EntitySet
		if s.side == plan.DV {
			fs.set = m.DV.EntitySet
		}
	}
	if fs.set != "" && s.schema[fs.set] == nil {
		return fmt.Errorf("%s fault %q: no entity set %q", s.side, f.Name, fs.set)
	}
	if f.Kind == FaultThrottle && f.Limit > 0 && f.Window <= 0 {
		return fmt.Errorf("%s fault %q: a throttle with a limit needs a window", s.side, f.Name)
	}
	if i := slices.IndexFunc(s.faults, func(x *faultState) bool { return x.Name == f.Name }); i >= 0 {
		s.faults[i] = fs
		return nil
	}
	s.faults = append(s.faults, fs)
	return nil
}

// ClearFault removes the named fault.
func (s *service) ClearFault(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = slices.DeleteFunc(s.faults, func(x *faultState) bool { return x.Name == name })
}

// ClearFaults removes every fault.
func (s *service) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Faults returns the faults in force, with Count reduced by the times each
// fired.
func (s *service) Faults() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Fault, len(s.faults))
	for i, f := range s.faults {
		out[i] = f.Fault
		if f.Count > 0 {
			out[i].Count = f.Count - f.fired
		}
	}
	return out
}

func (f *faultState) matches(op Ops, set string) bool {
	if f.Ops != AllOps && f.Ops != op {
		return false
	}
	return f.set == "" || set == "" || f.set == set
}

// draw decides whether a matching fault fires now, and spends it.
func (s *service) draw(f *faultState) bool {
	if f.Rate > 0 && f.Rate < 1 && s.draws.Float64() >= f.Rate {
		return false
	}
	f.fired++
	if f.Count > 0 && f.fired >= f.Count {
		s.faults = slices.DeleteFunc(s.faults, func(x *faultState) bool { return x == f })
	}
	return true
}

// gate admits one request of class op on set, or refuses it: latency first
// (the clock moves), then outage, network, throttling and transient
// errors, in that order. It is called with the lock held.
func (s *service) gate(op Ops, set string) *Error {
	s.requests++
	var lat time.Duration
	for _, f := range s.faults {
		if f.Kind == FaultLatency && f.matches(op, set) {
			lat += f.Latency
		}
	}
	if a, ok := s.clock.(dsruntime.Advancer); ok && lat > 0 {
		a.Advance(lat)
	}
	for _, kind := range []FaultKind{FaultOutage, FaultNetwork, FaultThrottle, FaultTransient} {
		for _, f := range slices.Clone(s.faults) {
			if f.Kind != kind || !f.matches(op, set) {
				continue
			}
			switch kind {
			case FaultOutage:
				return networkError(s.side)
			case FaultNetwork:
				if s.draw(f) {
					return networkError(s.side)
				}
			case FaultThrottle:
				if e := s.throttle(f); e != nil {
					return e
				}
			case FaultTransient:
				if s.draw(f) {
					e := unavailable(s.side, f.Status)
					if f.Message != "" {
						e.Message = f.Message
					}
					e.Code = f.Code
					return e
				}
			}
		}
	}
	return nil
}

func (s *service) throttle(f *faultState) *Error {
	now := s.now()
	if f.Limit <= 0 {
		if !s.draw(f) {
			return nil
		}
		d := f.RetryAfter
		if d <= 0 {
			d = time.Second
		}
		return throttled(s.side, f.Limit, f.Window, d)
	}
	start := now.Add(-f.Window)
	i := 0
	for i < len(f.hits) && !f.hits[i].After(start) {
		i++
	}
	f.hits = f.hits[i:]
	if len(f.hits) < f.Limit {
		f.hits = append(f.hits, now)
		return nil
	}
	wait := f.hits[0].Add(f.Window).Sub(now)
	wait = max(f.RetryAfter, (wait+time.Second-1)/time.Second*time.Second, time.Second)
	f.fired++
	return throttled(s.side, f.Limit, f.Window, wait)
}

// plugin returns the plug-in fault that throws for a write to set that
// stored vals and wrote the fields in written, if any.
func (s *service) plugin(set string, written map[string]bool, vals map[string]engine.Value) *faultState {
	for _, f := range slices.Clone(s.faults) {
		if f.Kind != FaultPlugin || !f.matches(WriteOps, set) {
			continue
		}
		if f.Field != "" {
			if !written[f.Field] {
				continue
			}
			if f.Value != "" && text(vals[f.Field]) != f.Value {
				continue
			}
		}
		if s.draw(f) {
			return f
		}
	}
	return nil
}

// guid returns a new version-4 GUID from the seeded stream.
func (s *service) guid() string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		n := s.ids.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(n >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// def returns the named entity set's definition.
func (s *service) def(set string) *setDef { return s.schema[set] }

// Sets returns the entity sets the service has, sorted.
func (s *service) Sets() []string {
	var out []string
	for n := range s.schema {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// MaxSize is the largest plan file Load accepts.
const MaxSize = 64 << 20

// ReadFile loads and verifies the plan in the named file.
func ReadFile(name string) (*Plan, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := Load(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

// Load parses a plan, checks its format version and digest, and checks that
// its internal references hold. It never returns a plan that fails a check.
func Load(r io.Reader) (*Plan, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("plan is larger than %d bytes", MaxSize)
	}
	// Read the format first so that a future format gets a version error, not
	// a field error.
	var head struct {
		Format *string `json:"format"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("plan is not valid JSON: %w", err)
	}
	if head.Format == nil {
		return nil, errors.New("plan has no format field: not a dualsync plan")
	}
	if *head.Format != Format {
		return nil, fmt.Errorf("unsupported plan format %q (this build reads %q): recompile the maps with this version", *head.Format, Format)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Plan
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("plan does not match format %s: %w", Format, err)
	}
	normalize(&p)
	want, err := ComputeDigest(&p)
	if err != nil {
		return nil, err
	}
	if p.Digest != want {
		return nil, fmt.Errorf("plan digest mismatch: file says %q, content is %q: the plan was edited after compiling", p.Digest, want)
	}
	if err := Check(&p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Check verifies the plan's internal consistency: unique map names, stages
// that list every map once, lookups that name maps in the plan, and known
// enumerated values. It reports every problem it finds.
func Check(p *Plan) error {
	var errs []string
	add := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	names := map[string]int{}
	for i, m := range p.Maps {
		if m.Name == "" {
			add("maps[%d]: empty name", i)
			continue
		}
		if _, dup := names[m.Name]; dup {
			add("map %q: defined twice", m.Name)
		}
		names[m.Name] = i
	}
	staged := map[string]int{}
	for si, st := range p.Stages {
		for _, n := range st {
			if _, ok := names[n]; !ok {
				add("stage %d: unknown map %q", si, n)
			}
			if _, dup := staged[n]; dup {
				add("stage %d: map %q staged twice", si, n)
			}
			staged[n] = si
		}
	}
	for _, m := range p.Maps {
		at := fmt.Sprintf("map %q (%s)", m.Name, m.Pos)
		if s, ok := staged[m.Name]; !ok {
			add("%s: not in any stage", at)
		} else if s != m.Stage {
			add("%s: stage %d but listed in stage %d", at, m.Stage, s)
		}
		if !m.Direction.valid() {
			add("%s: unknown direction %q", at, m.Direction)
		}
		if m.Master != FO && m.Master != DV {
			add("%s: unknown master side %q", at, m.Master)
		}
		if len(m.Key) == 0 {
			add("%s: no key fields", at)
		}
		if m.FO.EntitySet == "" || m.DV.EntitySet == "" {
			add("%s: missing entity set", at)
		}
		for _, a := range []DeleteAction{m.Delete.FO, m.Delete.DV} {
			if a != Propagate && a != Ignore && a != Review {
				add("%s: unknown delete action %q", at, a)
			}
		}
		for _, f := range m.Fields {
			fat := fmt.Sprintf("map %q field %q (%s)", m.Name, f.FO, f.Pos)
			if !f.Direction.valid() {
				add("%s: unknown direction %q", fat, f.Direction)
			}
			switch f.Conflict.Winner {
			case WinFO, WinDV, LastWrite, OneWay:
			default:
				add("%s: unknown conflict winner %q", fat, f.Conflict.Winner)
			}
			if f.Lookup != nil {
				t, ok := names[f.Lookup.Map]
				if !ok {
					add("%s: lookup to unknown map %q", fat, f.Lookup.Map)
				} else if f.Lookup.Pass == 1 && p.Maps[t].Stage >= m.Stage && f.Lookup.Map != m.Name {
					add("%s: first-pass lookup to %q, which is not in an earlier stage", fat, f.Lookup.Map)
				}
				if f.Lookup.Pass != 1 && f.Lookup.Pass != 2 {
					add("%s: lookup pass %d, want 1 or 2", fat, f.Lookup.Pass)
				}
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("plan is inconsistent:\n\t%s", strings.Join(errs, "\n\t"))
	}
	return nil
}

func (d Direction) valid() bool {
	return d == Bidirectional || d == FOToDV || d == DVToFO
}

// String formats the position as file:line:col.
func (p Pos) String() string {
	if p.File == "" {
		return "-"
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// MapByName returns the named map, or nil.
func (p *Plan) MapByName(name string) *Map {
	for i := range p.Maps {
		if p.Maps[i].Name == name {
			return &p.Maps[i]
		}
	}
	return nil
}

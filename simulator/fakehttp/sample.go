package fakehttp

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator/fake"
)

// Sample data: for every map of the plan, PerCompany records per company
// (once for a global map) on each side, generated from the fields' types:
// keys "<PREFIX>-0001" on F&O and "<PREFIX>-0501" on Dataverse, readable
// text for names, cities, e-mail addresses and phone numbers, the value
// maps' members and choices in turn, and lookups to sample records of the
// same side and company. Dataverse lookups are set once every record is
// in, so that cycles (customer and contact) need no order.

var (
	sampleCities = []string{"Seattle", "Redmond", "Fargo", "Atlanta", "Chicago", "Denver"}
	sampleFirst  = []string{"Ava", "Ben", "Chloe", "Dan", "Eva", "Finn", "Grace", "Hugo"}
	sampleLast   = []string{"Adams", "Baker", "O'Brien", "Diaz", "Evans", "Fischer", "Garcia", "Hall"}
)

func addSample(fo *fake.FO, dv *fake.DV, p *plan.Plan, cfg Sample) error {
	for _, side := range []plan.Side{plan.FO, plan.DV} {
		var lookups []func() error
		for i := range p.Maps {
			m := &p.Maps[i]
			companies := []string{""}
			if isCompanyMap(m) {
				companies = cfg.Companies
			}
			for _, company := range companies {
				for n := 1; n <= cfg.PerCompany; n++ {
					key := sampleKey(m, side, company, n)
					vals, refs := sampleValues(p, m, side, company, n, cfg.PerCompany)
					set := m.FO.EntitySet
					if side == plan.DV {
						set = m.DV.EntitySet
						if _, err := dv.Put(set, key, vals); err != nil {
							return fmt.Errorf("%s %s %s: %w", side, set, key, err)
						}
						if len(refs) > 0 {
							lookups = append(lookups, func() error {
								_, err := dv.Put(set, key, refs)
								if err != nil {
									return fmt.Errorf("%s %s %s: %w", side, set, key, err)
								}
								return nil
							})
						}
						continue
					}
					for k, v := range refs {
						vals[k] = v
					}
					if _, err := fo.Put(set, key, vals); err != nil {
						return fmt.Errorf("%s %s %s: %w", side, set, key, err)
					}
				}
			}
		}
		for _, f := range lookups {
			if err := f(); err != nil {
				return err
			}
		}
	}
	return nil
}

func isCompanyMap(m *plan.Map) bool {
	for _, k := range m.Key {
		if k.Company {
			return true
		}
	}
	return false
}

// samplePrefix is the first four letters of a map's name, upper case.
func samplePrefix(m *plan.Map) string {
	var b strings.Builder
	for _, r := range m.Name {
		if unicode.IsLetter(r) && b.Len() < 4 {
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	return b.String()
}

// sampleNumber is record n's number on a side.
func sampleNumber(side plan.Side, n int) int {
	if side == plan.DV {
		return 500 + n
	}
	return n
}

// sampleKeyParts returns record n's key values in key order.
func sampleKeyParts(m *plan.Map, side plan.Side, company string, n int) []string {
	parts := make([]string, len(m.Key))
	for i, k := range m.Key {
		switch {
		case k.Company:
			parts[i] = company
		case k.Type == plan.Int:
			parts[i] = fmt.Sprint(sampleNumber(side, n))
		default:
			parts[i] = fmt.Sprintf("%s-%04d", samplePrefix(m), sampleNumber(side, n))
		}
	}
	return parts
}

func sampleKey(m *plan.Map, side plan.Side, company string, n int) string {
	return engine.JoinKey(sampleKeyParts(m, side, company, n)...)
}

// sampleValues returns record n's values and, apart, its lookups.
func sampleValues(p *plan.Plan, m *plan.Map, side plan.Side, company string, n, per int) (vals, refs map[string]engine.Value) {
	vals, refs = map[string]engine.Value{}, map[string]engine.Value{}
	keys := map[string]bool{}
	for _, k := range m.Key {
		keys[k.FO], keys[k.DV] = true, true
	}
	num := sampleNumber(side, n)
	title := strings.ToUpper(m.Name[:1]) + m.Name[1:]
	for i := range m.Fields {
		f := &m.Fields[i]
		name, typ := f.FO, f.FOType
		if side == plan.DV {
			name, typ = f.DV, f.DVType
		}
		if keys[name] {
			continue
		}
		if f.Lookup != nil {
			ref := p.MapByName(f.Lookup.Map)
			if ref == nil {
				continue
			}
			refCompany := company
			if !isCompanyMap(ref) {
				refCompany = ""
			} else if refCompany == "" {
				continue
			}
			parts := sampleKeyParts(ref, side, refCompany, (n-1)%per+1)
			if side == plan.DV {
				refs[name] = engine.String(engine.JoinKey(parts...))
				continue
			}
			var business []string
			for j, k := range ref.Key {
				if !k.Company {
					business = append(business, parts[j])
				}
			}
			if len(business) == 1 {
				refs[name] = engine.String(business[0])
			}
			continue
		}
		var v engine.Value
		lower := strings.ToLower(name)
		switch typ {
		case plan.String:
			var s string
			switch {
			case strings.Contains(lower, "email"):
				s = fmt.Sprintf("contact%d@example.com", num)
			case strings.Contains(lower, "phone") || strings.Contains(lower, "telephone"):
				s = fmt.Sprintf("+1 555 01%02d", num%100)
			case strings.Contains(lower, "city"):
				s = sampleCities[num%len(sampleCities)]
			case strings.Contains(lower, "currency"):
				s = "USD"
			case strings.Contains(lower, "country"):
				s = "USA"
			case strings.Contains(lower, "firstname"):
				s = sampleFirst[num%len(sampleFirst)]
			case strings.Contains(lower, "lastname"):
				s = sampleLast[num%len(sampleLast)]
			case strings.Contains(lower, "name") || strings.Contains(lower, "description"):
				s = fmt.Sprintf("%s %04d", title, num)
			default:
				s = fmt.Sprintf("%s%d", strings.ToUpper(name[:min(3, len(name))]), num)
			}
			if f.MaxLength > 0 && len([]rune(s)) > f.MaxLength {
				s = string([]rune(s)[:f.MaxLength])
			}
			v = engine.String(s)
		case plan.Int:
			v = engine.Int(int64(num * 10))
		case plan.Decimal:
			d := fmt.Sprintf("%d.50", num*1000)
			if f.Scale != nil && *f.Scale == 0 {
				d = fmt.Sprint(num * 1000)
			}
			v = engine.MustDecimal(d)
		case plan.Bool:
			v = engine.Bool(num%2 == 0)
		case plan.Date, plan.DateTime:
			v = engine.Time(fake.Epoch.AddDate(0, 0, num))
		case plan.Enum:
			if len(f.Values) == 0 {
				continue
			}
			v = engine.String(f.Values[num%len(f.Values)].FO)
		case plan.Choice:
			if len(f.Values) == 0 {
				continue
			}
			v = engine.Int(f.Values[num%len(f.Values)].DV)
		default:
			continue
		}
		vals[name] = v
	}
	return vals, refs
}

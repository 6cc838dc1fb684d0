package fakehttp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/simulator/fake"
)

// Data is what a data directory gives the servers:
//
//	fo.xml or metadata/fo.xml   F&O's $metadata, served as it is
//	dv.xml or metadata/dv.xml   Dataverse's $metadata, served as it is
//	fo/<EntitySet>.json         F&O records: a JSON array of objects in
//	                            F&O's wire form (every key field given)
//	dv/<EntitySet>.json         Dataverse records: a JSON array of objects
//	                            with the table's column names, the company
//	                            key column as the company's code and
//	                            lookups as the referenced record's key
//	                            (engine.JoinKey text, company code first)
//
// Records are loaded as users would enter them (business logic applies);
// Dataverse lookups are set once every record is in.
type Data struct {
	FOMetadata, DVMetadata []byte
	FO, DV                 map[string][]map[string]any
}

// LoadDir reads a data directory; "" gives no data.
func LoadDir(dir string) (*Data, error) {
	d := &Data{FO: map[string][]map[string]any{}, DV: map[string][]map[string]any{}}
	if dir == "" {
		return d, nil
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("data directory %s: not a directory", dir)
	}
	read := func(names ...string) ([]byte, error) {
		for _, n := range names {
			b, err := os.ReadFile(filepath.Join(dir, n))
			if err == nil {
				return b, nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
		}
		return nil, nil
	}
	var err error
	if d.FOMetadata, err = read("fo.xml", filepath.Join("metadata", "fo.xml")); err != nil {
		return nil, err
	}
	if d.DVMetadata, err = read("dv.xml", filepath.Join("metadata", "dv.xml")); err != nil {
		return nil, err
	}
	for side, m := range map[string]map[string][]map[string]any{"fo": d.FO, "dv": d.DV} {
		files, _ := filepath.Glob(filepath.Join(dir, side, "*.json"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			var recs []map[string]any
			if err := dec.Decode(&recs); err != nil {
				return nil, fmt.Errorf("%s: want a JSON array of objects: %v", f, err)
			}
			m[strings.TrimSuffix(filepath.Base(f), ".json")] = recs
		}
	}
	return d, nil
}

// load puts the records into the models.
func (d *Data) load(fo *fake.FO, dv *fake.DV) error {
	foSets := schemaByName(fo.Schema())
	for _, name := range sortedKeys(d.FO) {
		si := foSets[name]
		if si == nil {
			return fmt.Errorf("data fo/%s.json: F&O has no entity set %s", name, name)
		}
		for i, raw := range d.FO[name] {
			key, vals, err := recordOf(si, raw)
			if err == nil {
				_, err = fo.Put(name, key, vals)
			}
			if err != nil {
				return fmt.Errorf("data fo/%s.json record %d: %w", name, i+1, err)
			}
		}
	}
	// Dataverse lookups may form cycles: every record first, then the
	// lookups.
	dvSets := schemaByName(dv.Schema())
	type later struct {
		set, key string
		vals     map[string]engine.Value
	}
	var lookups []later
	for _, name := range sortedKeys(d.DV) {
		si := dvSets[name]
		if si == nil {
			return fmt.Errorf("data dv/%s.json: Dataverse has no table %s", name, name)
		}
		for i, raw := range d.DV[name] {
			key, vals, err := recordOf(si, raw)
			if err != nil {
				return fmt.Errorf("data dv/%s.json record %d: %w", name, i+1, err)
			}
			refs := map[string]engine.Value{}
			for n, v := range vals {
				if f := si.Field(n); f != nil && f.Target != "" {
					refs[n] = v
					delete(vals, n)
				}
			}
			if _, err := dv.Put(name, key, vals); err != nil {
				return fmt.Errorf("data dv/%s.json record %d: %w", name, i+1, err)
			}
			if len(refs) > 0 {
				lookups = append(lookups, later{name, key, refs})
			}
		}
	}
	for _, l := range lookups {
		if _, err := dv.Put(l.set, l.key, l.vals); err != nil {
			return fmt.Errorf("data dv/%s.json record %s: %w", l.set, l.key, err)
		}
	}
	return nil
}

// recordOf splits a record into its key text and its other values.
func recordOf(si *fake.SetInfo, raw map[string]any) (string, map[string]engine.Value, error) {
	b, err := decodeObject(raw, si)
	if err != nil {
		return "", nil, err
	}
	parts := make([]string, len(si.Keys))
	for i, k := range si.Keys {
		v, ok := b.Values[k]
		if !ok || v.IsNull() {
			return "", nil, fmt.Errorf("no value for the key field %s", k)
		}
		parts[i] = valueText(v)
		delete(b.Values, k)
	}
	return engine.JoinKey(parts...), b.Values, nil
}

func valueText(v engine.Value) string {
	if s, ok := v.AsString(); ok {
		return s
	}
	return strings.Trim(string(appendValue(nil, "", v)), `"`)
}

func schemaByName(schema []fake.SetInfo) map[string]*fake.SetInfo {
	out := map[string]*fake.SetInfo{}
	for i := range schema {
		out[schema[i].Name] = &schema[i]
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

package compiler

import (
	"cmp"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/load"

	"github.com/dualsync/dualsync/runtime/plan"
)

// Config configures a compile. Its zero value works.
type Config struct {
	// CatalogDir holds the metadata catalogs (CUE package catalog); the
	// default is the maps directory's catalog subdirectory.
	CatalogDir string
}

// Default retry policy when a map sets none.
const (
	defaultAttempts       = 5
	defaultInitialBackoff = time.Second
	defaultMaxBackoff     = 5 * time.Minute
	defaultParkTimeout    = 10 * time.Minute
	defaultBatchSize      = 100
)

// Vet checks the maps in dir and returns every problem found, sorted.
func Vet(dir string, cfg Config) Diagnostics {
	_, ds := Compile(dir, cfg)
	return ds
}

// Compile checks the maps in dir and, when no check reports an error,
// returns their plan with digests filled in. Warnings do not stop a compile.
func Compile(dir string, cfg Config) (*plan.Plan, Diagnostics) {
	ctx := cuecontext.New()
	l, ds := loadMaps(ctx, dir)
	if ds.HasErrors() {
		ds.Sort()
		return nil, ds
	}
	catDir := cfg.CatalogDir
	if catDir == "" {
		catDir = filepath.Join(dir, "catalog")
	}
	cat, ds := loadCatalog(ctx, catDir)
	if ds.HasErrors() {
		return nil, ds
	}
	src := (&decoder{dir: l.dir, labels: l.labels}).decode(l.root)
	ds = runChecks(src, cat)
	if ds.HasErrors() {
		return nil, ds
	}
	p := build(src, cat)
	if err := plan.Seal(p); err != nil {
		ds = append(ds, Diagnostic{Code: CodeLoad, Severity: Error, Message: err.Error()})
		return nil, ds
	}
	if err := plan.Check(p); err != nil {
		// A plan that fails its own contract is a compiler bug; say so.
		ds = append(ds, Diagnostic{Code: CodeLoad, Severity: Error, Message: "internal error: " + err.Error()})
		return nil, ds
	}
	return p, ds
}

// loadCatalog loads and decodes the CUE catalogs in dir.
func loadCatalog(ctx *cue.Context, dir string) (*Catalog, Diagnostics) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, catalogDiag(dir, err)
	}
	if cat, ok := literalCatalog(abs); ok && (cat.FO.Entities != nil || cat.DV.Tables != nil) {
		return cat, nil
	}
	insts := load.Instances([]string{"."}, &load.Config{Dir: abs})
	if len(insts) != 1 || insts[0].Err != nil {
		msg := "no CUE package"
		if len(insts) == 1 {
			msg = insts[0].Err.Error()
		}
		return nil, catalogDiag(dir, fmt.Errorf("cannot load catalogs: %s (run dualsync import-metadata)", msg))
	}
	v := ctx.BuildInstance(insts[0])
	if err := v.Err(); err != nil {
		return nil, cueDiags(abs, CodeCatalog, err)
	}
	// Through JSON: several times faster than Value.Decode on large
	// catalogs, and MarshalJSON already refuses values that are not
	// concrete, so a separate Validate pass would only repeat the walk.
	b, err := v.MarshalJSON()
	if err != nil {
		return nil, cueDiags(abs, CodeCatalog, err)
	}
	var cat Catalog
	if err := json.Unmarshal(b, &cat); err != nil {
		return nil, catalogDiag(dir, fmt.Errorf("catalog does not have the expected shape: %w", err))
	}
	if cat.FO.Entities == nil && cat.DV.Tables == nil {
		return nil, catalogDiag(dir, fmt.Errorf("catalog has no F&O entities and no Dataverse tables"))
	}
	return &cat, nil
}

func catalogDiag(dir string, err error) Diagnostics {
	return Diagnostics{{Pos: plan.Pos{File: filepath.ToSlash(dir)}, Code: CodeCatalog, Severity: Error, Message: err.Error()}}
}

// build turns a checked source model into a plan.
func build(src *srcMaps, cat *Catalog) *plan.Plan {
	p := &plan.Plan{CatalogDigest: cat.Digest()}
	stageOf := map[*srcMap]int{}
	for i, st := range src.stages() {
		names := make([]string, len(st))
		for j, m := range st {
			names[j] = m.Name
			stageOf[m] = i
		}
		p.Stages = append(p.Stages, names)
	}
	for _, st := range src.stages() {
		for _, m := range st {
			p.Maps = append(p.Maps, buildMap(src, cat, m, stageOf[m]))
		}
	}
	for _, e := range src.edges() {
		if !e.second {
			continue
		}
		cyc := src.cycleThrough(e)
		if cyc == nil {
			continue
		}
		p.CycleBreaks = append(p.CycleBreaks, plan.CycleBreak{
			Cycle: cyc, Map: e.from.Name, Field: e.field.FO, Why: e.field.SecondPass.V, Pos: e.field.SecondPass.Pos,
		})
	}
	slices.SortFunc(p.CycleBreaks, func(a, b plan.CycleBreak) int {
		return cmp.Or(strings.Compare(a.Map, b.Map), strings.Compare(a.Field, b.Field))
	})
	for _, e := range src.Excludes {
		p.Exclusions = append(p.Exclusions, plan.Exclusion{
			Name: e.Name, FO: e.FO.V, DV: e.DV.V, Owner: plan.Side(e.Owner.V), Why: e.Why.V, Pos: e.Pos,
		})
	}
	slices.SortFunc(p.Exclusions, func(a, b plan.Exclusion) int { return strings.Compare(a.Name, b.Name) })
	return p
}

func buildMap(src *srcMaps, cat *Catalog, m *srcMap, stage int) plan.Map {
	fe := cat.FO.Entities[m.FOEntity.V]
	dt := cat.DV.Tables[m.DVTable.V]
	pm := plan.Map{
		Name:        m.Name,
		Pos:         m.Pos,
		Description: m.Description,
		Stage:       stage,
		FO: plan.Entity{
			EntitySet:       fe.EntitySet,
			CompanySpecific: fe.CompanySpecific,
			ModifiedField:   or(m.FOModified.V, fe.ModifiedField),
		},
		DV: plan.Table{
			Table:           dt.LogicalName,
			EntitySet:       dt.EntitySet,
			PrimaryID:       dt.PrimaryID,
			CompanySpecific: dt.CompanyField != "",
			ModifiedField:   or(m.DVModified.V, dt.ModifiedField),
		},
		Direction: plan.Direction(m.Direction.V),
		Master:    plan.Side(m.Master.V),
		Filter:    plan.Filter{FO: m.FilterFO.V, DV: m.FilterDV.V},
		Delete: plan.Delete{
			FO: plan.DeleteAction(or(m.DeleteFO.V, string(plan.Propagate))),
			DV: plan.DeleteAction(or(m.DeleteDV.V, string(plan.Propagate))),
		},
		Initial: plan.Initial{Strategy: m.Strategy.V, ExpectedRows: m.Expected},
		Retry: plan.Retry{
			Attempts:         defaultAttempts,
			InitialBackoffMS: durationMS(m.Retry.InitialBackoff, defaultInitialBackoff),
			MaxBackoffMS:     durationMS(m.Retry.MaxBackoff, defaultMaxBackoff),
		},
		Monitor: plan.Monitor{
			AlertErrorsPerHour: m.Monitor.AlertErrorsPerHour,
			PauseErrorsPerHour: m.Monitor.PauseErrorsPerHour,
			ReconcileSample:    m.Monitor.ReconcileSample,
			MaxLagMS:           durationMS(m.Monitor.MaxLag, 0),
		},
	}
	pm.ParkTimeoutMS = durationMS(m.ParkTimeout, defaultParkTimeout)
	pm.BatchSize = cmp.Or(m.BatchSize, defaultBatchSize)
	if m.Retry.Attempts != nil {
		pm.Retry.Attempts = *m.Retry.Attempts
	}
	if m.Conflict != nil {
		pm.Conflict = &plan.Conflict{Winner: plan.Winner(m.Conflict.Winner.V), Why: m.Conflict.Why.V, From: "map", Pos: m.Conflict.Pos}
	}
	for _, k := range m.Key {
		kf := plan.KeyField{FO: k.FO.V, DV: k.DV.V, Company: k.FO.V == "dataAreaId", Pos: k.Pos}
		if meta := fe.Fields[k.FO.V]; meta != nil {
			kf.Type = meta.Type
		}
		pm.Key = append(pm.Key, kf)
	}
	for _, f := range m.Fields {
		pm.Fields = append(pm.Fields, buildField(src, cat, m, f, fe, dt))
	}
	slices.SortFunc(pm.Fields, func(a, b plan.Field) int { return strings.Compare(a.FO, b.FO) })
	for _, c := range m.Constants {
		pm.Constants = append(pm.Constants, plan.Constant{Side: c.Side, Field: c.Field, Value: plan.Value{JSON: c.Value.JSON}, Pos: c.Value.Pos})
	}
	slices.SortFunc(pm.Constants, func(a, b plan.Constant) int {
		return cmp.Or(strings.Compare(string(a.Side), string(b.Side)), strings.Compare(a.Field, b.Field))
	})
	return pm
}

func buildField(src *srcMaps, cat *Catalog, m *srcMap, f *srcField, fe *FOEntity, dt *DVTable) plan.Field {
	pf := plan.Field{FO: f.FO, DV: f.DV.V, Pos: f.Pos, Direction: fieldDirection(m, f), AcceptLoss: f.AcceptLoss.V}
	fm, dm := fe.Fields[f.FO], dt.Fields[f.DV.V]
	if fm != nil {
		pf.FOType = fm.Type
	}
	if dm != nil {
		pf.DVType = dm.Type
	}
	if fm != nil && dm != nil {
		pf.MaxLength = minPositive(fm.MaxLength, dm.MaxLength)
		if fm.Type == plan.Decimal && dm.Type == plan.Decimal {
			s := min(fm.Scale, dm.Scale)
			pf.Scale = &s
		}
	}
	for _, v := range f.Values {
		pf.Values = append(pf.Values, plan.ValuePair{FO: v.Member, DV: v.Choice})
	}
	slices.SortFunc(pf.Values, func(a, b plan.ValuePair) int { return strings.Compare(a.FO, b.FO) })
	if f.DefaultFO != nil {
		pf.DefaultFO = &plan.Value{JSON: f.DefaultFO.JSON}
	}
	if f.DefaultDV != nil {
		pf.DefaultDV = &plan.Value{JSON: f.DefaultDV.JSON}
	}
	if f.Lookup.Set {
		t := src.byName[f.Lookup.V]
		tt := cat.DV.Tables[t.DVTable.V]
		pf.Lookup = &plan.Ref{Map: t.Name, DVTable: tt.LogicalName, DVSet: tt.EntitySet, Pass: 1}
		if f.SecondPass.Set {
			pf.Lookup.Pass = 2
			pf.Lookup.Why = f.SecondPass.V
		}
	}
	switch {
	case pf.Direction != plan.Bidirectional:
		pf.Conflict = plan.Conflict{Winner: plan.OneWay}
	case f.Conflict != nil:
		pf.Conflict = plan.Conflict{Winner: plan.Winner(f.Conflict.Winner.V), Why: f.Conflict.Why.V, From: "field", Pos: f.Conflict.Pos}
	case m.Conflict != nil:
		pf.Conflict = plan.Conflict{Winner: plan.Winner(m.Conflict.Winner.V), Why: m.Conflict.Why.V, From: "map", Pos: m.Conflict.Pos}
	}
	return pf
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func minPositive(a, b int) int {
	switch {
	case a <= 0:
		return max(b, 0)
	case b <= 0:
		return a
	}
	return min(a, b)
}

// durationMS parses a schema-checked duration, or returns def.
func durationMS(t text, def time.Duration) int64 {
	if !t.Set {
		return def.Milliseconds()
	}
	d, err := time.ParseDuration(t.V)
	if err != nil {
		return def.Milliseconds()
	}
	return d.Milliseconds()
}

package compiler

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/load"
)

// genMaps writes n generated maps (the size of the default dual-write map
// set is about 120) and their catalogs under dir: each map has 16 fields,
// a value map, per-field conflict rules and a lookup to an earlier map.
func genMaps(t testing.TB, dir string, n int) (mapsDir, catDir string) {
	t.Helper()
	mapsDir, catDir = filepath.Join(dir, "maps"), filepath.Join(dir, "catalog")
	dual, err := os.ReadFile("../maps/dualsync.cue")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(mapsDir, "dualsync.cue"), dual)
	var cat strings.Builder
	cat.WriteString("package catalog\n\nfo: enums: \"Microsoft.Dynamics.DataEntities.Status\": members: {Open: 0, Closed: 1, Hold: 2}\n")
	for i := range n {
		var m strings.Builder
		fmt.Fprintf(&m, "package maps\n\nmaps: m%03d: {\n", i)
		fmt.Fprintf(&m, "\tfo: entity: \"Entity%03d\"\n\tdv: table: \"table%03d\"\n", i, i)
		m.WriteString("\tkey: [{fo: \"dataAreaId\", dv: \"msdyn_company\"}, {fo: \"Code\", dv: \"code\"}]\n")
		m.WriteString("\tdirection: \"bidirectional\"\n\tmaster: \"fo\"\n")
		m.WriteString("\tconflict: {winner: \"fo\", why: \"Generated maps: finance owns the data.\"}\n\tfields: {\n")
		m.WriteString("\t\tCode: dv: \"code\"\n\t\tStatus: {dv: \"statuscode\", values: {Open: 1, Closed: 2, Hold: 3}}\n")
		fmt.Fprintf(&cat, "fo: entities: Entity%03d: {entitySet: \"Entity%03d\", entityType: \"E%03d\", key: [\"dataAreaId\", \"Code\"], companySpecific: true, modifiedField: \"ModifiedDateTime\", fields: {\n", i, i, i)
		cat.WriteString("\tdataAreaId: {type: \"string\", maxLength: 4, required: true}\n\tCode: {type: \"string\", maxLength: 20, required: true}\n")
		cat.WriteString("\tStatus: {type: \"enum\", enum: \"Microsoft.Dynamics.DataEntities.Status\"}\n\tModifiedDateTime: {type: \"datetime\", readOnly: true}\n")
		var dvFields strings.Builder
		dvFields.WriteString("\tmsdyn_company: {type: \"lookup\", targets: [\"cdm_company\"]}\n\tcode: {type: \"string\", maxLength: 20}\n")
		dvFields.WriteString("\tstatuscode: {type: \"choice\", choices: {Open: 1, Closed: 2, Hold: 3}}\n\tmodifiedon: {type: \"datetime\", readOnly: true}\n")
		for f := range 13 {
			fmt.Fprintf(&m, "\t\tField%02d: {dv: \"field%02d\"", f, f)
			if f%4 == 0 {
				m.WriteString(", conflict: {winner: \"dv\", why: \"Sales edits this field in the CRM.\"}")
			}
			m.WriteString("}\n")
			fmt.Fprintf(&cat, "\tField%02d: {type: \"string\", maxLength: 60}\n", f)
			fmt.Fprintf(&dvFields, "\tfield%02d: {type: \"string\", maxLength: 60}\n", f)
		}
		if i > 0 {
			fmt.Fprintf(&m, "\t\tParent: {dv: \"parentid\", lookup: \"m%03d\"}\n", i-1)
			cat.WriteString("\tParent: {type: \"string\", maxLength: 20}\n")
			fmt.Fprintf(&dvFields, "\tparentid: {type: \"lookup\", targets: [\"table%03d\"]}\n", i-1)
		}
		m.WriteString("\t}\n\tinitial: {strategy: \"package\", expectedRows: 10000}\n\tmonitor: {alertErrorsPerHour: 10}\n}\n")
		cat.WriteString("}}\n")
		fmt.Fprintf(&cat, "dv: tables: table%03d: {logicalName: \"table%03d\", entitySet: \"table%03ds\", primaryId: \"table%03did\", alternateKeys: [[\"msdyn_company\", \"code\"]], companyField: \"msdyn_company\", modifiedField: \"modifiedon\", kind: \"standard\", fields: {\n%s}}\n", i, i, i, i, dvFields.String())
		writeFile(t, filepath.Join(mapsDir, fmt.Sprintf("m%03d.cue", i)), []byte(m.String()))
	}
	writeFile(t, filepath.Join(catDir, "catalog.cue"), []byte(cat.String()))
	return mapsDir, catDir
}

func TestGeneratedMapsCompile(t *testing.T) {
	mapsDir, catDir := genMaps(t, t.TempDir(), 120)
	p, ds := Compile(mapsDir, Config{CatalogDir: catDir})
	if p == nil || len(ds) > 0 {
		t.Fatalf("generated maps do not compile cleanly:\n%v", ds)
	}
	if len(p.Maps) != 120 || len(p.Stages) != 120 {
		t.Fatalf("got %d maps in %d stages, want 120 in 120 (a lookup chain)", len(p.Maps), len(p.Stages))
	}
}

// BenchmarkCompile measures vet+compile of the starter set and of 120
// generated maps, beside CUE's own evaluation of the same files (load,
// build, unify with the schema, validate), so the two can be compared in
// one run.
func BenchmarkCompile(b *testing.B) {
	gen, genCat := genMaps(b, b.TempDir(), 120)
	sets := []struct{ name, dir, cat string }{
		{"starter", "../maps", "../maps/catalog"},
		{"generated120", gen, genCat},
	}
	for _, s := range sets {
		b.Run(s.name+"/compile", func(b *testing.B) {
			for b.Loop() {
				if p, ds := Compile(s.dir, Config{CatalogDir: s.cat}); p == nil {
					b.Fatalf("compile failed: %v", ds)
				}
			}
		})
		b.Run(s.name+"/cue-eval", func(b *testing.B) {
			for b.Loop() {
				cueEval(b, s.dir, s.cat)
			}
		})
	}
}

// cueEval is what CUE alone does with the same files, as the cue command
// would: load and evaluate the maps package (its own file applies the
// schema) and the catalogs, and validate both as concrete data.
func cueEval(b *testing.B, dir, cat string) {
	ctx := cuecontext.New()
	for _, d := range []string{dir, cat} {
		abs, _ := filepath.Abs(d)
		ov, err := schemaOverlay(abs)
		if err != nil {
			b.Fatal(err)
		}
		insts := load.Instances([]string{"."}, &load.Config{Dir: abs, Overlay: ov})
		if insts[0].Err != nil {
			b.Fatal(insts[0].Err)
		}
		v := ctx.BuildInstance(insts[0])
		if err := v.Validate(cue.Concrete(true)); err != nil {
			b.Fatal(err)
		}
	}
}

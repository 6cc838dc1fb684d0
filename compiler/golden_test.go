package compiler

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/dualsync/dualsync/runtime/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGolden compiles each testdata/compile/*.txtar archive. Files under
// maps/ are the input; catalog/ files, when present, replace the starter
// catalogs. The archive's "diagnostics" section holds the expected
// diagnostics, one per line, and its "plan.json" section the expected plan
// (absent when compiling must fail). Run with -update to rewrite them.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("../testdata/compile/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden archives found")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			runGolden(t, file)
		})
	}
}

func runGolden(t *testing.T, file string) {
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	mapsDir := filepath.Join(dir, "maps")
	catDir, err := filepath.Abs("../maps/catalog")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range ar.Files {
		name, ok := strings.CutPrefix(f.Name, "maps/")
		if !ok {
			if strings.HasPrefix(f.Name, "catalog/") {
				catDir = filepath.Join(dir, "catalog")
				writeFile(t, filepath.Join(dir, f.Name), f.Data)
			}
			continue
		}
		writeFile(t, filepath.Join(mapsDir, name), f.Data)
	}
	p, ds := Compile(mapsDir, Config{CatalogDir: catDir})
	var diags bytes.Buffer
	for _, d := range ds {
		diags.WriteString(d.String() + "\n")
	}
	var planJSON []byte
	if p != nil {
		planJSON, err = plan.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
	}
	if *update {
		var kept []txtar.File
		for _, f := range ar.Files {
			if f.Name != "diagnostics" && f.Name != "plan.json" {
				kept = append(kept, f)
			}
		}
		kept = append(kept, txtar.File{Name: "diagnostics", Data: diags.Bytes()})
		if planJSON != nil {
			kept = append(kept, txtar.File{Name: "plan.json", Data: planJSON})
		}
		ar.Files = kept
		if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := map[string][]byte{}
	for _, f := range ar.Files {
		want[f.Name] = f.Data
	}
	if got := diags.String(); got != string(want["diagnostics"]) {
		t.Errorf("diagnostics differ (run go test ./compiler -run TestGolden -update to accept):\ngot:\n%s\nwant:\n%s", got, want["diagnostics"])
	}
	if !bytes.Equal(planJSON, want["plan.json"]) {
		t.Errorf("plan differs (run go test ./compiler -run TestGolden -update to accept):\ngot:\n%s\nwant:\n%s", planJSON, want["plan.json"])
	}
}

func writeFile(t testing.TB, name string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestStarterPlan compiles the starter maps: they must vet clean, and their
// plan is a reviewed golden file (testdata/starter.plan.json).
func TestStarterPlan(t *testing.T) {
	p, ds := Compile("../maps", Config{})
	if p == nil || len(ds) > 0 {
		t.Fatalf("starter maps do not vet clean:\n%v", ds)
	}
	got, err := plan.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	const golden = "../testdata/starter.plan.json"
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("starter plan differs from %s (review, then go test ./compiler -run TestStarterPlan -update)", golden)
	}
	if _, err := plan.Load(bytes.NewReader(got)); err != nil {
		t.Fatalf("starter plan does not load: %v", err)
	}
	if len(p.CycleBreaks) != 1 || p.CycleBreaks[0].Map != "customer" || p.CycleBreaks[0].Field != "PrimaryContactPersonId" {
		t.Errorf("cycle breaks = %+v, want customer.PrimaryContactPersonId breaking customer/contact", p.CycleBreaks)
	}
}

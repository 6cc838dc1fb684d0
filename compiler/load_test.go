package compiler

import (
	"os"
	"path/filepath"
	"testing"

	"cuelang.org/go/cue"
)

// The compiler adds its schema constraint only where the author did not
// apply it, and the maps are checked against the schema either way.
func TestSchemaAppliedEitherWay(t *testing.T) {
	const bad = "package maps\n\nmaps: x: {bogus: 1}\n"
	for _, tc := range []struct {
		name        string
		files       map[string]string
		constrained bool
	}{
		{"author applies the schema", map[string]string{"dualsync.cue": mustRead(t, "../maps/dualsync.cue"), "x.cue": bad}, true},
		{"no constraint file", map[string]string{"x.cue": bad}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for n, src := range tc.files {
				writeFile(t, filepath.Join(dir, n), []byte(src))
			}
			if pkg, c := scanPackage(dir); pkg != "maps" || c != tc.constrained {
				t.Fatalf("scanPackage = %q, %v; want maps, %v", pkg, c, tc.constrained)
			}
			_, ds := Compile(dir, Config{CatalogDir: "../maps/catalog"})
			found := false
			for _, d := range ds {
				if d.Code == CodeCUE && d.Path == "maps.x.bogus" && d.Pos.File == "x.cue" {
					found = true
				}
			}
			if !found {
				t.Fatalf("schema not applied: diagnostics %v", ds)
			}
		})
	}
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Path strings built for label positions must be the ones cue writes.
func TestJoinLabel(t *testing.T) {
	for _, labels := range [][]string{
		{"maps", "customer", "fields", "Name"},
		{"maps", "my-map", "fields", "Name"},
		{"maps", "x", "values", "Not Set"},
		{"exclude", "$odd", "why"},
	} {
		var sels []cue.Selector
		got := ""
		for _, l := range labels {
			sels = append(sels, cue.Str(l))
			got = joinLabel(got, l)
		}
		if want := cue.MakePath(sels...).String(); got != want {
			t.Errorf("joinLabel(%q) = %s, want %s", labels, got, want)
		}
	}
}

package csdl

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite maps/catalog from testdata/metadata")

// catalogDir holds the committed catalogs the starter maps compile against.
var catalogDir = filepath.Join("..", "..", "maps", "catalog")

// TestCommittedCatalogs fails when maps/catalog is not what import-metadata
// makes of testdata/metadata. Regenerate with:
//
//	go test ./compiler/csdl -run TestCommittedCatalogs -update
func TestCommittedCatalogs(t *testing.T) {
	fo, err := EncodeFO(testdataFO(t))
	if err != nil {
		t.Fatal(err)
	}
	dv, err := EncodeDV(testdataDV(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]byte{"fo.cue": fo, "dv.cue": dv} {
		path := filepath.Join(catalogDir, name)
		if *update {
			if err := os.MkdirAll(catalogDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run: go test ./compiler/csdl -run TestCommittedCatalogs -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is out of date with testdata/metadata; run: go test ./compiler/csdl -run TestCommittedCatalogs -update", path)
		}
	}
}

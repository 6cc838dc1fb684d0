package compiler

import (
	"path/filepath"
	"reflect"
	"testing"

	"cuelang.org/go/cue/cuecontext"
)

// Reading a literal catalog from its syntax must give exactly what CUE's
// evaluation gives, and anything beyond literal data must go to CUE.
func TestLiteralCatalogMatchesCUE(t *testing.T) {
	lit, ok := literalCatalog("../maps/catalog")
	if !ok {
		t.Fatal("the generated starter catalogs are not read as literal data")
	}
	dir := t.TempDir()
	// A reference makes the catalog non-literal: CUE evaluates it.
	writeFile(t, filepath.Join(dir, "fo.cue"), []byte(mustRead(t, "../maps/catalog/fo.cue")))
	writeFile(t, filepath.Join(dir, "dv.cue"), []byte(mustRead(t, "../maps/catalog/dv.cue")+"\n_unused: 1\nx: _unused\n"))
	if _, ok := literalCatalog(dir); ok {
		t.Fatal("a catalog with a reference was read as literal data")
	}
	evaluated, ds := loadCatalog(cuecontext.New(), dir)
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	if !reflect.DeepEqual(lit, evaluated) {
		t.Fatal("literal and evaluated catalogs differ")
	}
	if lit.Digest() != evaluated.Digest() {
		t.Fatal("literal and evaluated catalogs have different digests")
	}
}

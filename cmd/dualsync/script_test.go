package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"dualsync": func() { os.Exit(main1()) },
	})
}

func main1() int {
	return run(os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr})
}

// TestScripts runs every testdata/script/*.txtar with dualsync in process.
// Scripts see $MAPS (the starter maps) and $CATALOG (their catalogs), so a
// fixture holds only the maps it is about.
func TestScripts(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join(root, "testdata", "script"),
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			e.Setenv("MAPS", filepath.Join(root, "maps"))
			e.Setenv("CATALOG", filepath.Join(root, "maps", "catalog"))
			e.Setenv("TESTDATA", filepath.Join(root, "testdata"))
			return nil
		},
		UpdateScripts: os.Getenv("UPDATE_SCRIPTS") == "1",
	})
}

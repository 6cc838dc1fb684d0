package maps

import (
	"embed"
	"io/fs"
)

//go:embed *.cue catalog/*.cue cue.mod/module.cue
var files embed.FS

// Files returns the starter maps (and cue.mod/module.cue); the schema under
// cue.mod/pkg is not included: take it from package schema.
func Files() fs.FS { return files }

package schema

import (
	"embed"
	"io/fs"
)

// ImportPath is the CUE import path of this package.
const ImportPath = "github.com/dualsync/dualsync/schema"

//go:embed *.cue
var files embed.FS

// Files returns the schema's CUE files.
func Files() fs.FS { return files }

// Package compiler turns a directory of CUE table maps into a checked,
// canonical plan.
//
// Compiling a maps directory takes these steps:
//
//  1. Load: the author's CUE package is loaded with the embedded schema
//     overlaid at cue.mod/pkg (so the schema import always resolves to the
//     binary's schema) and, where the author did not apply it, one more
//     file that constrains maps and exclude with #TableMap and #Exclusion.
//     CUE errors are reported at the author's value, never the schema's.
//  2. Catalogs: both systems' metadata, CUE data in the catalog directory
//     written by dualsync import-metadata, is read (literal data straight
//     from its syntax; anything else through CUE).
//  3. Decode: the evaluated maps become a source model in which every value
//     keeps its position in the author's file.
//  4. Check: every rule (one small function per concern, codes in codes.go)
//     runs over the whole model, so one run reports every problem.
//  5. Build: with no errors, the model becomes a plan.Plan: maps in
//     dependency stages, compiled fields, the conflict rule of every field,
//     cycle breaks; plan.Seal gives it its digest.
//
// The compiler reads files and writes nothing; it never imports net/http
// or the runtime (TestDeps). Sub-packages: csdl imports $metadata into
// catalogs; review diffs plans and writes docs.
package compiler

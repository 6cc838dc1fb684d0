// Command dualsync authors, checks, compiles and runs table maps for
// bidirectional sync between Dynamics 365 Finance & Operations and Dataverse.
//
// This package is the composition root: each command parses its flags,
// wires the packages that do the work and prints their results; nothing
// here decides how data syncs. Commands run in process (run(args, stdio))
// so that the testscript scripts in testdata/script drive them directly.
//
//	vet, compile, plan diff, docs, fmt, init, import-metadata   authoring
//	run, errors                                                  operations
//	demo, test, sim serve|explore|replay                         simulation
package main

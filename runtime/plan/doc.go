// Package plan is the contract between authoring and execution: the types of a
// compiled plan, its canonical encoding and its digest.
//
// A plan is produced by the compiler from CUE table maps and consumed by the
// runtime and the simulator. It is the only thing that crosses that line, so it
// is self-contained (no CUE, no catalogs), reviewable, and verifiable:
//
//  1. Encode writes the plan as canonical JSON: fixed field order, sorted
//     collections, two-space indentation, a trailing newline. Same plan, same
//     bytes, on any machine.
//  2. The digest is the SHA-256 of the same JSON without indentation and
//     with the digest field empty, written as "sha256:<hex>".
//  3. Load parses a plan, refuses an unknown format version, recomputes the
//     digest and refuses a mismatch, then checks the plan's internal references.
//
// This package uses the standard library only.
package plan

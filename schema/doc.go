// Package schema holds the CUE definitions that every table map is checked
// against, embedded so the binary carries the exact schema it compiles with.
//
// Map authors import it as "github.com/dualsync/dualsync/schema" and constrain
// their package with it:
//
//	maps: [string]:    schema.#TableMap
//	exclude: [string]: schema.#Exclusion
//
// The schema checks shape and types only; everything that needs both systems'
// metadata or a view across maps is a compiler check with a stable code, so it
// can be reported at the author's line with an explanation.
package schema

// Package storetest is the conformance suite every dualsync store must pass:
// the SQLite store runs it, and so must any other (PostgreSQL, an in-memory
// store for the simulator).
//
// Run takes a function that opens a new, empty store, and, for stores that
// can be opened again (a file, a database), one that reopens a closed store
// with a Config; without it the persistence, plan-digest, read-only and
// clock tests are skipped with a message saying so.
package storetest

// Package maps holds the starter table maps and the entity catalogs they are
// checked against, as CUE data; the Go package only embeds them so that
// dualsync init and the demo can write them out. It has no logic.
//
// Import it as starter, never as maps (which would shadow the standard
// library's maps package):
//
//	starter "github.com/dualsync/dualsync/maps"
package maps

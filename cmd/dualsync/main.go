// Command dualsync authors, checks, compiles and runs table maps for
// bidirectional sync between Dynamics 365 Finance & Operations and Dataverse.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr}))
}

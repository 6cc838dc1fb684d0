package main

import (
	"fmt"
	"io"
	"strings"
)

// stdio is a command's standard streams, so commands run in process in tests.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// command is one subcommand: its name, a one-line summary, and its entry.
type command struct {
	name    string
	summary string
	run     func(args []string, std stdio) int
}

func commands() []command {
	return []command{
		{"demo", "show dualsync end to end against fake services, no setup needed", cmdDemo},
		{"run", "run a compiled plan against F&O and Dataverse until stopped", cmdRun},
		{"vet", "check table maps against the schema and both systems' metadata", cmdVet},
		{"compile", "compile table maps into a canonical plan file", cmdCompile},
		{"plan", "review plans: plan diff OLD NEW | plan diff --base REV", cmdPlan},
		{"docs", "write Markdown docs and the dependency graph for the maps", cmdDocs},
		{"fmt", "format CUE files in place", cmdFmt},
		{"init", "scaffold a new maps repository", cmdInit},
		{"import-metadata", "turn F&O and Dataverse $metadata into CUE catalogs", cmdImportMetadata},
		{"errors", "inspect and act on the error queue: list, show, retry, discard", cmdErrors},
		{"test", "run scenario suites against a compiled plan in the simulator", cmdTest},
		{"sim", "serve the fakes over HTTP, explore and replay randomized histories", cmdSim},
	}
}

// run dispatches to a subcommand and returns the exit code.
func run(args []string, std stdio) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(std.out)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], std)
		}
	}
	fmt.Fprintf(std.err, "dualsync: unknown command %q\n", args[0])
	usage(std.err)
	return 2
}

func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("usage: dualsync <command> [arguments]\n\ncommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-16s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun dualsync <command> -h for a command's flags.\n")
	io.WriteString(w, b.String())
}

// fail prints err for command name and returns exit code 1.
func fail(std stdio, name string, err error) int {
	fmt.Fprintf(std.err, "dualsync %s: %v\n", name, err)
	return 1
}

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/dualsync/dualsync/compiler"
	"github.com/dualsync/dualsync/compiler/csdl"
)

// cmdImportMetadata turns $metadata documents into the CUE catalogs that vet
// and compile check table maps against.
func cmdImportMetadata(args []string, std stdio) int {
	const name = "import-metadata"
	fset := flag.NewFlagSet(name, flag.ContinueOnError)
	fset.SetOutput(std.err)
	foPath := fset.String("fo", "", "F&O $metadata CSDL `FILE` (- for standard input)")
	dvPath := fset.String("dv", "", "Dataverse $metadata CSDL `FILE` (- for standard input)")
	attrsPath := fset.String("dv-attributes", "", "Dataverse EntityDefinitions JSON `FILE` with attributes (choices, required levels, read-only columns, table types)")
	outDir := fset.String("o", "", "output `DIR`; fo.cue and dv.cue are written there")
	fset.Usage = func() {
		fmt.Fprintln(std.err, "usage: dualsync import-metadata [--fo FILE] [--dv FILE [--dv-attributes FILE]] -o DIR")
		fmt.Fprintln(std.err, "\nWrites DIR/fo.cue and DIR/dv.cue (CUE package catalog) for each side given.")
		fset.PrintDefaults()
	}
	if err := fset.Parse(args); err != nil {
		return 2
	}
	usageErr := func(msg string) int {
		fmt.Fprintf(std.err, "dualsync %s: %s\n", name, msg)
		fset.Usage()
		return 2
	}
	switch {
	case fset.NArg() > 0:
		return usageErr(fmt.Sprintf("unexpected argument %q", fset.Arg(0)))
	case *foPath == "" && *dvPath == "":
		return usageErr("give --fo, --dv or both")
	case *attrsPath != "" && *dvPath == "":
		return usageErr("--dv-attributes needs --dv")
	case *outDir == "":
		return usageErr("give the output directory with -o")
	case *foPath == "-" && *dvPath == "-", *attrsPath == "-" && (*foPath == "-" || *dvPath == "-"):
		return usageErr("only one input can be standard input")
	}

	type output struct {
		file    string
		src     []byte
		summary string
	}
	var outs []output
	if *foPath != "" {
		var c *compiler.FOCatalog
		err := withInput(*foPath, std, func(r io.Reader) (err error) {
			c, err = csdl.ParseFO(r)
			return err
		})
		if err != nil {
			return printImportErrors(std, *foPath, err)
		}
		src, err := csdl.EncodeFO(c)
		if err != nil {
			return fail(std, name, err)
		}
		outs = append(outs, output{"fo.cue", src, fmt.Sprintf("%d entities, %d enums", len(c.Entities), len(c.Enums))})
	}
	if *dvPath != "" {
		var c *compiler.DVCatalog
		err := withInput(*dvPath, std, func(csdlIn io.Reader) error {
			if *attrsPath == "" {
				var err error
				c, err = csdl.ParseDV(csdlIn, nil)
				return err
			}
			return withInput(*attrsPath, std, func(attrsIn io.Reader) (err error) {
				c, err = csdl.ParseDV(csdlIn, attrsIn)
				return err
			})
		})
		if err != nil {
			var ae *csdl.AttributesError
			if errors.As(err, &ae) {
				return printImportErrors(std, *attrsPath, ae.Err)
			}
			return printImportErrors(std, *dvPath, err)
		}
		src, err := csdl.EncodeDV(c)
		if err != nil {
			return fail(std, name, err)
		}
		outs = append(outs, output{"dv.cue", src, fmt.Sprintf("%d tables", len(c.Tables))})
	}

	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return fail(std, name, err)
	}
	for _, o := range outs {
		path := filepath.Join(*outDir, o.file)
		if err := writeFileAtomic(path, o.src); err != nil {
			return fail(std, name, err)
		}
		fmt.Fprintf(std.out, "wrote %s (%s)\n", path, o.summary)
	}
	return 0
}

// withInput opens path (or standard input for "-") and hands it to use.
func withInput(path string, std stdio, use func(io.Reader) error) error {
	if path == "-" {
		if std.in == nil {
			return errors.New("no standard input")
		}
		return use(std.in)
	}
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return pe.Err
		}
		return err
	}
	defer f.Close()
	return use(f)
}

// printImportErrors prints each problem of a metadata file on its own line,
// as file:line: message where the line is known, and returns exit code 1.
func printImportErrors(std stdio, path string, err error) int {
	if path == "-" {
		path = "<stdin>"
	}
	var list []error
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		list = joined.Unwrap()
	} else {
		list = []error{err}
	}
	for _, e := range list {
		var perr *csdl.Error
		if errors.As(e, &perr) && perr.Line > 0 {
			fmt.Fprintf(std.err, "dualsync import-metadata: %s:%d: %s\n", path, perr.Line, perr.Msg)
			continue
		}
		fmt.Fprintf(std.err, "dualsync import-metadata: %s: %v\n", path, e)
	}
	return 1
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory, so a reader never sees half a catalog.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strings"

	"github.com/dualsync/dualsync/compiler"
	"github.com/dualsync/dualsync/runtime/plan"
)

// displayPath joins a maps-relative position's file with the maps directory.
func displayPath(dir string, p plan.Pos) string {
	if p.File == "" || p.File == "." {
		return filepath.ToSlash(filepath.Clean(dir))
	}
	if path.IsAbs(p.File) || strings.HasPrefix(p.File, filepath.ToSlash(filepath.Clean(dir))) {
		return p.File
	}
	return path.Join(filepath.ToSlash(dir), p.File)
}

func locate(dir string, p plan.Pos) string {
	s := displayPath(dir, p)
	if p.Line > 0 {
		s += fmt.Sprintf(":%d:%d", p.Line, p.Col)
	}
	return s
}

func writeText(w io.Writer, dir string, ds compiler.Diagnostics) error {
	var b strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&b, "%s: %s %s: %s", locate(dir, d.Pos), d.Severity, d.Code, d.Message)
		if d.Path != "" {
			fmt.Fprintf(&b, " (%s)", d.Path)
		}
		b.WriteByte('\n')
	}
	errs, warns := ds.Count()
	if errs+warns > 0 {
		fmt.Fprintf(&b, "%d errors, %d warnings\n", errs, warns)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

type jsonDiag struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Col      int    `json:"col"`
	Code     string `json:"code"`
	Severity string `json:"severity"`
	Path     string `json:"path"`
	Message  string `json:"message"`
}

func writeJSON(w io.Writer, dir string, ds compiler.Diagnostics) error {
	out := struct {
		Diagnostics []jsonDiag `json:"diagnostics"`
		Errors      int        `json:"errors"`
		Warnings    int        `json:"warnings"`
	}{Diagnostics: []jsonDiag{}}
	for _, d := range ds {
		out.Diagnostics = append(out.Diagnostics, jsonDiag{
			File: displayPath(dir, d.Pos), Line: d.Pos.Line, Col: d.Pos.Col,
			Code: d.Code, Severity: string(d.Severity), Path: d.Path, Message: d.Message,
		})
	}
	out.Errors, out.Warnings = ds.Count()
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// writeGitHub prints workflow commands, which CI turns into annotations on
// the pull request's lines.
func writeGitHub(w io.Writer, dir string, ds compiler.Diagnostics) error {
	var b strings.Builder
	for _, d := range ds {
		level := "error"
		if d.Severity == compiler.Warning {
			level = "warning"
		}
		fmt.Fprintf(&b, "::%s file=%s", level, escapeProperty(displayPath(dir, d.Pos)))
		if d.Pos.Line > 0 {
			fmt.Fprintf(&b, ",line=%d,col=%d", d.Pos.Line, d.Pos.Col)
		}
		fmt.Fprintf(&b, ",title=%s::%s\n", escapeProperty(d.Code), escapeData(d.Message+" ("+d.Path+")"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

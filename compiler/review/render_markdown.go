package review

import (
	"io"
	"strings"
)

// WriteMarkdown writes the changes as a pull-request comment: a heading, the
// summary line and a table with one row per change. Cells are escaped; the
// Why column ends with the source position.
func WriteMarkdown(w io.Writer, changes []Change) error {
	var b strings.Builder
	b.WriteString("## Plan changes\n\n")
	if len(changes) == 0 {
		b.WriteString("No changes.\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	b.WriteString("**" + Summary(changes) + "**\n\n")
	b.WriteString(header("Risk", "Map", "Field", "Change", "Old", "New", "Why"))
	for _, c := range changes {
		risk := string(c.Risk)
		if c.Risk == High {
			risk = "**" + risk + "**"
		}
		why := cell(c.Reason)
		if where := c.Where(); where != "" {
			why += " (" + code(where) + ")"
		}
		b.WriteString(row(risk, cell(c.Map), cell(c.Field), code(string(c.Kind)), dash(cell(c.Old)), dash(cell(c.New)), why))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// dash stands in for an empty value.
func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

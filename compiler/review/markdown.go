package review

import "strings"

// mdEscaper makes text safe inside a Markdown table cell: it keeps pipes
// from splitting the cell, newlines from ending the row, and HTML and
// emphasis characters from being interpreted.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`,
	"|", `\|`,
	"`", "\\`",
	"*", `\*`,
	"_", `\_`,
	"[", `\[`,
	"]", `\]`,
	"<", "&lt;",
	">", "&gt;",
	"\r\n", "<br>",
	"\n", "<br>",
	"\r", "<br>",
)

// cell escapes s for a Markdown table cell.
func cell(s string) string {
	return mdEscaper.Replace(s)
}

// code renders s as inline code in a table cell; it falls back to escaped
// text when s holds characters a code span cannot carry.
func code(s string) string {
	if s == "" {
		return ""
	}
	if strings.ContainsAny(s, "`|\r\n") {
		return cell(s)
	}
	return "`" + s + "`"
}

// row renders a Markdown table row from already escaped cells.
func row(cells ...string) string {
	return "| " + strings.Join(cells, " | ") + " |\n"
}

// header renders a Markdown table header.
func header(names ...string) string {
	seps := make([]string, len(names))
	for i := range seps {
		seps[i] = "---"
	}
	return row(names...) + row(seps...)
}

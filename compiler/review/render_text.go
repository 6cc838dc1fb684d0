package review

import (
	"fmt"
	"io"
	"strings"
)

// WriteText writes one line per change,
//
//	RISK map.field kind: old → new — reason (file:line)
//
// followed by a summary line, "N changes (H high, M medium, L low)", or only
// "no changes" when there are none.
func WriteText(w io.Writer, changes []Change) error {
	var b strings.Builder
	for _, c := range changes {
		fmt.Fprintf(&b, "%-6s %s %s: %s → %s — %s", strings.ToUpper(string(c.Risk)), c.Subject(), c.Kind, orNone(c.Old), orNone(c.New), c.Reason)
		if where := c.Where(); where != "" {
			fmt.Fprintf(&b, " (%s)", where)
		}
		b.WriteByte('\n')
	}
	b.WriteString(Summary(changes))
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}

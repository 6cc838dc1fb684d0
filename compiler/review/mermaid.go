package review

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/dualsync/dualsync/runtime/plan"
)

// mermaid renders the maps' dependency graph as a fenced Mermaid flowchart:
// one node per map, one edge per lookup from the map holding the lookup to
// the map it references, labelled with the field; second-pass lookups are
// dashed and labelled "second pass".
func mermaid(p *plan.Plan) string {
	ms := slices.Clone(p.Maps)
	slices.SortFunc(ms, func(a, b plan.Map) int { return cmp.Compare(a.Name, b.Name) })
	ids := make(map[string]string, len(ms))
	var b strings.Builder
	b.WriteString("```mermaid\nflowchart LR\n")
	for i, m := range ms {
		ids[m.Name] = fmt.Sprintf("m%d", i)
		fmt.Fprintf(&b, "  %s[\"%s\"]\n", ids[m.Name], mermaidText(m.Name))
	}
	for _, m := range ms {
		fs := slices.Clone(m.Fields)
		slices.SortFunc(fs, func(a, b plan.Field) int { return cmp.Compare(a.FO, b.FO) })
		for _, f := range fs {
			if f.Lookup == nil {
				continue
			}
			to, ok := ids[f.Lookup.Map]
			if !ok {
				continue // plan.Check rejects this; draw nothing rather than a dangling edge
			}
			if f.Lookup.Pass == 2 {
				fmt.Fprintf(&b, "  %s -.->|second pass| %s\n", ids[m.Name], to)
			} else {
				fmt.Fprintf(&b, "  %s -->|%s| %s\n", ids[m.Name], mermaidText(f.FO), to)
			}
		}
	}
	b.WriteString("```\n")
	return b.String()
}

// mermaidText escapes text for a quoted Mermaid label or an edge label.
func mermaidText(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "|", "#124;", "\n", " ", "<", "#lt;", ">", "#gt;").Replace(s)
}

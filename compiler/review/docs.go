package review

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/dualsync/dualsync/runtime/plan"
)

// IndexFile is the name of the documentation index Docs writes.
const IndexFile = "README.md"

// Docs renders the plan as Markdown: IndexFile, an index of every map with
// the dependency graph, cycle breaks and exclusions, and one page per map
// named after the map. The result maps file names to their content and is
// the same for the same plan.
func Docs(p *plan.Plan) map[string][]byte {
	pages := pageNames(p)
	files := map[string][]byte{IndexFile: index(p, pages)}
	for _, m := range p.Maps {
		files[pages[m.Name]] = mapPage(&m, pages)
	}
	return files
}

// pageNames gives every map a distinct, portable file name: the map's name
// with characters outside [A-Za-z0-9_-] replaced by '_', a "-map" suffix
// where it would shadow the index, and "-2", "-3"... where two names collide.
func pageNames(p *plan.Plan) map[string]string {
	names := make([]string, 0, len(p.Maps))
	for _, m := range p.Maps {
		names = append(names, m.Name)
	}
	slices.Sort(names)
	pages := make(map[string]string, len(names))
	taken := map[string]bool{strings.ToLower(IndexFile): true}
	for _, n := range names {
		base := strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
				return r
			}
			return '_'
		}, n)
		if base == "" {
			base = "map"
		}
		if strings.EqualFold(base+".md", IndexFile) {
			base += "-map"
		}
		file := base + ".md"
		for i := 2; taken[strings.ToLower(file)]; i++ {
			file = fmt.Sprintf("%s-%d.md", base, i)
		}
		taken[strings.ToLower(file)] = true
		pages[n] = file
	}
	return pages
}

// sortedMaps returns the plan's maps ordered by stage, then name.
func sortedMaps(p *plan.Plan) []plan.Map {
	ms := slices.Clone(p.Maps)
	slices.SortFunc(ms, func(a, b plan.Map) int {
		return cmp.Or(cmp.Compare(a.Stage, b.Stage), cmp.Compare(a.Name, b.Name))
	})
	return ms
}

func index(p *plan.Plan, pages map[string]string) []byte {
	var b strings.Builder
	b.WriteString("# Table maps\n\n")
	b.WriteString("Generated from the compiled plan by `dualsync docs`: edit the maps, not these pages.\n\n")
	if p.Digest != "" {
		fmt.Fprintf(&b, "Plan digest: `%s`\n\n", p.Digest)
	}
	fmt.Fprintf(&b, "%s in %s.\n\n", plural(len(p.Maps), "map"), plural(len(p.Stages), "stage"))

	b.WriteString("## Maps\n\n")
	if len(p.Maps) == 0 {
		b.WriteString("No maps.\n\n")
	} else {
		b.WriteString(header("Map", "F&O entity", "Dataverse table", "Direction", "Master", "Stage"))
		for _, m := range sortedMaps(p) {
			b.WriteString(row(link(m.Name, pages), code(m.FO.EntitySet), code(m.DV.Table),
				directionArrow(m.Direction), sideName(m.Master), fmt.Sprint(m.Stage)))
		}
		b.WriteString("\n")
	}

	b.WriteString("## Dependencies\n\n")
	b.WriteString("An arrow points from a map to the map its lookup references, which syncs first. " +
		"A dashed arrow is a lookup written in a second pass, after both records exist.\n\n")
	b.WriteString(mermaid(p))
	b.WriteString("\n")

	b.WriteString("## Cycle breaks\n\n")
	if len(p.CycleBreaks) == 0 {
		b.WriteString("No dependency cycles.\n\n")
	} else {
		cbs := slices.Clone(p.CycleBreaks)
		slices.SortFunc(cbs, func(a, b plan.CycleBreak) int {
			return cmp.Or(cmp.Compare(a.Map, b.Map), cmp.Compare(a.Field, b.Field))
		})
		for _, cb := range cbs {
			fmt.Fprintf(&b, "- %s: %s is written in a second pass, after both records exist. %s (%s)\n",
				cell(strings.Join(cb.Cycle, " → ")), code(cb.Map+"."+cb.Field), cell(orNone(cb.Why)), code(cb.Pos.String()))
		}
		b.WriteString("\n")
	}

	b.WriteString("## Exclusions\n\n")
	if len(p.Exclusions) == 0 {
		b.WriteString("No exclusions.\n")
	} else {
		ex := slices.Clone(p.Exclusions)
		slices.SortFunc(ex, func(a, b plan.Exclusion) int { return cmp.Compare(a.Name, b.Name) })
		b.WriteString(header("Name", "F&O entity", "Dataverse table", "Owner", "Why", "Source"))
		for _, e := range ex {
			b.WriteString(row(cell(e.Name), dash(code(e.FO)), dash(code(e.DV)), sideName(e.Owner), dash(cell(e.Why)), code(e.Pos.String())))
		}
	}
	return []byte(b.String())
}

// link renders a link to the named map's page.
func link(name string, pages map[string]string) string {
	page, ok := pages[name]
	if !ok {
		return cell(name)
	}
	return "[" + cell(name) + "](" + page + ")"
}

func directionArrow(d plan.Direction) string {
	switch d {
	case plan.Bidirectional:
		return "F&O ⇄ Dataverse"
	case plan.FOToDV:
		return "F&O → Dataverse"
	case plan.DVToFO:
		return "Dataverse → F&O"
	}
	return cell(string(d))
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

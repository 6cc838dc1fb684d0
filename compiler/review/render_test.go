package review

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/dualsync/dualsync/runtime/plan"
)

// reviewedPlans returns a base plan and an edited copy whose diff holds
// changes of every risk, a removal and text that needs escaping.
func reviewedPlans(tb testing.TB) (old, new *plan.Plan) {
	old, new = testPlan(tb), testPlan(tb)
	customer := mapOf(tb, new, "customer")
	customer.Key[1].DV = "msdyn_accountnumber"
	customer.Delete.FO = plan.Propagate
	fieldOf(tb, customer, "CreditLimit").Conflict.Winner = plan.WinFO
	party := fieldOf(tb, customer, "PartyType")
	party.Values = party.Values[:1]
	customer.Fields = slices.DeleteFunc(customer.Fields, func(f plan.Field) bool { return f.FO == "Name" })
	customer.Fields = append(customer.Fields, plan.Field{FO: "Phone", DV: "telephone1", Direction: plan.Bidirectional,
		Pos: plan.Pos{File: "customer.cue", Line: 19, Col: 3}, Conflict: plan.Conflict{Winner: plan.WinFO, From: "map"}})
	contact := fieldOf(tb, mapOf(tb, new, "contact"), "CustomerAccount")
	contact.Conflict = plan.Conflict{Winner: plan.WinDV, Why: "sales | service own\nthe parent account", From: "field",
		Pos: plan.Pos{File: "contact.cue", Line: 17, Col: 14}}
	mapOf(tb, new, "customergroup").Monitor.AlertErrorsPerHour = 20
	new.Exclusions = append(new.Exclusions, plan.Exclusion{Name: "workers", FO: "Workers", Owner: plan.FO,
		Why: "<b>HR</b> data_stays in F&O", Pos: plan.Pos{File: "exclude.cue", Line: 9, Col: 2}})
	return old, new
}

func TestRenderGolden(t *testing.T) {
	changes := Diff(reviewedPlans(t))
	for _, r := range []struct {
		file  string
		write func(*bytes.Buffer, []Change) error
	}{
		{"diff.txt", func(b *bytes.Buffer, cs []Change) error { return WriteText(b, cs) }},
		{"diff.md", func(b *bytes.Buffer, cs []Change) error { return WriteMarkdown(b, cs) }},
	} {
		var b bytes.Buffer
		if err := r.write(&b, changes); err != nil {
			t.Fatal(err)
		}
		golden(t, r.file, b.Bytes())
		b.Reset()
		if err := r.write(&b, nil); err != nil {
			t.Fatal(err)
		}
		golden(t, "empty-"+r.file, b.Bytes())
	}
}

func TestWriteText(t *testing.T) {
	var b bytes.Buffer
	if err := WriteText(&b, nil); err != nil {
		t.Fatal(err)
	}
	if b.String() != "no changes\n" {
		t.Errorf("no changes: got %q", b.String())
	}
	b.Reset()
	changes := Diff(reviewedPlans(t))
	if err := WriteText(&b, changes); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != len(changes)+1 {
		t.Fatalf("got %d lines for %d changes:\n%s", len(lines), len(changes), b.String())
	}
	h, m, l := Count(changes)
	if h == 0 || m == 0 || l == 0 {
		t.Fatalf("the test diff should hold every risk, got %d high, %d medium, %d low", h, m, l)
	}
	if want := Summary(changes); lines[len(lines)-1] != want {
		t.Errorf("last line %q, want the summary %q", lines[len(lines)-1], want)
	}
	if !strings.Contains(b.String(), "HIGH   customer key-changed: ") {
		t.Errorf("no key change line:\n%s", b.String())
	}
}

func TestWriteMarkdownEscapes(t *testing.T) {
	changes := []Change{{Kind: ConflictRationaleChanged, Map: "m|x", Field: "f", Old: "a | b", New: "c\nd", Risk: Low,
		Reason: "<script>x</script> *bold*", Pos: plan.Pos{File: "m.cue", Line: 4, Col: 1}}}
	var b bytes.Buffer
	if err := WriteMarkdown(&b, changes); err != nil {
		t.Fatal(err)
	}
	var row string
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(l, "| low") {
			row = l
		}
	}
	want := "| low | m\\|x | f | `conflict-rationale-changed` | a \\| b | c<br>d | &lt;script&gt;x&lt;/script&gt; \\*bold\\* (`m.cue:4`) |"
	if row != want {
		t.Errorf("row\n got %s\nwant %s", row, want)
	}
	// An unescaped pipe would add a cell: every row has the header's 8 pipes.
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(l, "|") && strings.Count(l, "|")-strings.Count(l, `\|`) != 8 {
			t.Errorf("row with the wrong number of cells: %s", l)
		}
	}
}

func TestSummary(t *testing.T) {
	for _, tt := range []struct {
		risks []Risk
		want  string
	}{
		{nil, "no changes"},
		{[]Risk{Low}, "1 change (0 high, 0 medium, 1 low)"},
		{[]Risk{High, Medium, Low, High}, "4 changes (2 high, 1 medium, 1 low)"},
	} {
		var cs []Change
		for _, r := range tt.risks {
			cs = append(cs, Change{Risk: r})
		}
		if got := Summary(cs); got != tt.want {
			t.Errorf("Summary(%v) = %q, want %q", tt.risks, got, tt.want)
		}
	}
}

func TestDiffPositions(t *testing.T) {
	old, new := reviewedPlans(t)
	changes := Diff(old, new)
	where := map[string]string{}
	for _, c := range changes {
		where[string(c.Kind)+" "+c.Subject()] = c.Where()
	}
	for key, want := range map[string]string{
		"key-changed customer":                            "customer.cue:8",
		"conflict-winner-changed customer.CreditLimit":    "customer.cue:22",
		"conflict-winner-changed contact.CustomerAccount": "contact.cue:17",
		"field-removed customer.Name":                     "was customer.cue:19",
		"field-added customer.Phone":                      "customer.cue:19",
		"value-map-changed customer.PartyType":            "customer.cue:30",
		"delete-action-changed customer":                  "customer.cue:3",
		"exclusion-added exclude.workers":                 "exclude.cue:9",
		"monitor-changed customergroup":                   "customergroup.cue:3",
	} {
		if got, ok := where[key]; !ok {
			t.Errorf("no change %q", key)
		} else if got != want {
			t.Errorf("%s at %q, want %q", key, got, want)
		}
	}
}

func TestDiffNilAndOrder(t *testing.T) {
	if cs := Diff(nil, nil); len(cs) != 0 {
		t.Errorf("Diff(nil, nil) = %v", cs)
	}
	p := testPlan(t)
	cs := Diff(nil, p)
	var got []string
	for _, c := range cs {
		got = append(got, summarize(c))
	}
	want := []string{
		"low exclusion-added exclude.vendors: none → fo VendorsV2, dv msdyn_vendor, owner fo",
		"low map-added contact: none → ContactPersonsV2 ↔ contact",
		"low map-added customer: none → CustomersV3 ↔ account",
		"low map-added customergroup: none → CustomerGroups ↔ msdyn_customergroup",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Diff(nil, p):\ngot  %q\nwant %q", got, want)
	}
	back := Diff(p, nil)
	if len(back) != 4 || back[1].Kind != MapRemoved || back[1].Risk != High || !back[1].PosOld {
		t.Errorf("Diff(p, nil) = %+v", back)
	}

	// The same edit made to maps in another order gives the same list.
	old, new := reviewedPlans(t)
	first := Diff(old, new)
	slices.Reverse(new.Maps)
	slices.Reverse(old.Maps)
	for i := range new.Maps {
		slices.Reverse(new.Maps[i].Fields)
	}
	if second := Diff(old, new); !slices.Equal(first, second) {
		t.Errorf("order of maps and fields changed the diff:\n%v\n%v", first, second)
	}
}

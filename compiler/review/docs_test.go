package review

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dualsync/dualsync/runtime/plan"
)

func TestDocsGolden(t *testing.T) {
	p := testPlan(t)
	if _, err := plan.Encode(p); err != nil { // fills in the digest shown in the index
		t.Fatal(err)
	}
	files := Docs(p)
	names := slices.Sorted(maps.Keys(files))
	if want := []string{"README.md", "contact.md", "customer.md", "customergroup.md"}; !slices.Equal(names, want) {
		t.Fatalf("files %q, want %q", names, want)
	}
	dir := filepath.Join("testdata", "docs")
	if *update {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range names {
		golden(t, "docs/"+name, files[name])
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, ok := files[e.Name()]; !ok {
			t.Errorf("stale golden file %s: run go test -update", filepath.Join(dir, e.Name()))
		}
	}
}

func TestDocsDeterministic(t *testing.T) {
	a := Docs(testPlan(t))
	p := testPlan(t)
	slices.Reverse(p.Maps)
	for i := range p.Maps {
		slices.Reverse(p.Maps[i].Fields)
	}
	slices.Reverse(p.Exclusions)
	b := Docs(p)
	if !maps.EqualFunc(a, b, bytes.Equal) {
		t.Error("the order of maps and fields in the plan changed the docs")
	}
}

func TestDocsIndex(t *testing.T) {
	readme := string(Docs(testPlan(t))["README.md"])
	for _, want := range []string{
		"```mermaid\nflowchart LR\n",
		`  m0["contact"]`,
		"  m0 -->|CustomerAccount| m1\n", // contact looks up customer
		"  m1 -->|CustomerGroupId| m2\n", // customer looks up customergroup
		"  m1 -.->|second pass| m0\n",    // customer.PrimaryContact, second pass
		"| [customer](customer.md) | `CustomersV3` | `account` | F&O ⇄ Dataverse | F&O | 1 |",
		"`customer.PrimaryContact` is written in a second pass",
		"| vendors | `VendorsV2` | `msdyn_vendor` | F&O | vendors are maintained in F&O only | `exclude.cue:4:2` |",
	} {
		if !strings.Contains(readme, want) {
			t.Errorf("README.md lacks %q:\n%s", want, readme)
		}
	}
	if strings.Count(readme, "-->") != 2 || strings.Count(readme, "-.->") != 1 {
		t.Errorf("want one edge per lookup:\n%s", readme)
	}
}

func TestDocsMapPage(t *testing.T) {
	page := string(Docs(testPlan(t))["customer.md"])
	for _, want := range []string{
		"| `dataAreaId` | `msdyn_company` | string | yes | `customer.cue:8:3` |",
		"| map default | F&O wins | F&O is the book of record for customers | `customer.cue:13:12` |",
		"| `CreditLimit` ↔ `creditlimit` | Dataverse wins | credit control works in Dataverse | `customer.cue:22:14` |",
		"value map: Organization → 192350001, Person → 192350000; default on Dataverse: `192350001`",
		"lookup to [contact](contact.md) (second pass)",
		"Strategy `package`",
		"Expected rows: 250000.",
		"| F&O | review | the delete waits in the review queue for a person to decide |",
		"| F&O | `(Blocked == \"No\")` |",
		"5 attempts, backoff from 1s up to 5m0s.",
		"| Maximum lag | 5m0s |",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("customer.md lacks %q:\n%s", want, page)
		}
	}
	contact := string(Docs(testPlan(t))["contact.md"])
	if !strings.Contains(contact, `either side edits contacts \| both are trusted`) {
		t.Errorf("contact.md does not escape the pipe in a rationale:\n%s", contact)
	}
}

func TestPageNames(t *testing.T) {
	p := &plan.Plan{Maps: []plan.Map{{Name: "readme"}, {Name: "sales order"}, {Name: "sales_order"}, {Name: "Sales_Order"}, {Name: "../x"}, {Name: ""}}}
	got := pageNames(p)
	want := map[string]string{
		"readme":      "readme-map.md",
		"sales order": "sales_order-2.md",
		"sales_order": "sales_order-3.md",
		"Sales_Order": "Sales_Order.md",
		"../x":        "___x.md",
		"":            "map.md",
	}
	if !maps.Equal(got, want) {
		t.Errorf("pageNames:\ngot  %v\nwant %v", got, want)
	}
}

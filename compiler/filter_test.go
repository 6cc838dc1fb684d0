package compiler

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

type filterCase struct {
	in   string
	want string // canonical form when valid
	refs []string
	col  int    // error column when invalid (0: valid)
	msg  string // substring of the error message
}

func runFilterCases(t *testing.T, parse func(string) (*filterNode, []filterRef, error), cases []filterCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			n, refs, err := parse(tc.in)
			if tc.col != 0 {
				var fe *filterError
				if !errors.As(err, &fe) {
					t.Fatalf("parse(%q) = %v, %v; want an error at column %d", tc.in, n, err, tc.col)
				}
				if fe.Col != tc.col || !strings.Contains(fe.Msg, tc.msg) {
					t.Errorf("parse(%q) error = column %d: %s; want column %d containing %q", tc.in, fe.Col, fe.Msg, tc.col, tc.msg)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse(%q): %v", tc.in, err)
			}
			if got := n.String(); got != tc.want {
				t.Errorf("parse(%q) = %s, want %s", tc.in, got, tc.want)
			}
			var names []string
			for _, r := range refs {
				names = append(names, r.Name)
				if !strings.HasPrefix(tc.in[r.Col-1:], r.Name) {
					t.Errorf("ref %q at column %d, but the filter has %q there", r.Name, r.Col, tc.in[r.Col-1:])
				}
			}
			if !slices.Equal(names, tc.refs) {
				t.Errorf("parse(%q) refs = %q, want %q", tc.in, names, tc.refs)
			}
		})
	}
}

func TestFilterFO(t *testing.T) {
	runFilterCases(t, parseFOFilter, []filterCase{
		// Valid.
		{in: `(PartyType == "Organization")`, want: `(PartyType == "Organization")`, refs: []string{"PartyType"}},
		{in: `((A == "x") || (B != 1))`, want: `((A == "x") || (B != 1))`, refs: []string{"A", "B"}},
		{in: `((A == 1) && (B >= -2.5) && (C < 3))`, want: `(((A == 1) && (B >= -2.5)) && (C < 3))`, refs: []string{"A", "B", "C"}},
		{in: `(!(Blocked == CustVendorBlocked::All))`, want: `(! (Blocked == CustVendorBlocked::All))`, refs: []string{"Blocked"}},
		{in: `(((A == 1) && (B == 2)) || (C == 3))`, want: `(((A == 1) && (B == 2)) || (C == 3))`, refs: []string{"A", "B", "C"}},
		{in: `(Name like "Contoso*")`, want: `(Name like "Contoso*")`, refs: []string{"Name"}},
		{in: `(Name == "say \"hi\"")`, want: `(Name == "say \"hi\"")`, refs: []string{"Name"}},
		{in: ` ( OnHold == false ) `, want: `(OnHold == false)`, refs: []string{"OnHold"}},
		{in: `((A == 1))`, want: `(A == 1)`, refs: []string{"A"}},
		{in: "((A == 1)\n || (B == 2))", want: `((A == 1) || (B == 2))`, refs: []string{"A", "B"}},

		// Invalid, with the column of the first error.
		{in: ``, col: 1, msg: "empty"},
		{in: `   `, col: 1, msg: "empty"},
		{in: `PartyType == "Organization"`, col: 1, msg: "enclose the whole filter in parentheses"},
		{in: `(PartyType = "Organization")`, col: 12, msg: "use =="},
		{in: `(PartyType == 'Organization')`, col: 15, msg: "double quotes"},
		{in: `(PartyType == "Organization)`, col: 15, msg: "not closed"},
		{in: `(A == 1 && B == 2)`, col: 9, msg: "own parentheses"},
		{in: `((A == 1) && (B == 2) || (C == 3))`, col: 23, msg: "mixed"},
		{in: `((A == 1) & (B == 2))`, col: 11, msg: "use &&"},
		{in: `((A == 1) | (B == 2))`, col: 11, msg: "use ||"},
		{in: `((A == 1) and (B == 2))`, col: 11, msg: "&& || and !"},
		{in: `(A <> 1)`, col: 4, msg: "use !="},
		{in: `(A == 1`, col: 8, msg: "missing )"},
		{in: `(A == 1))`, col: 9, msg: "unexpected"},
		{in: `(A == 1) && (B == 2)`, col: 10, msg: "enclose the whole filter"},
		{in: `()`, col: 2, msg: "empty parentheses"},
		{in: `(A)`, col: 3, msg: "not a comparison"},
		{in: `(A == )`, col: 7, msg: "expected a field name or a value"},
		{in: `(A == 1 == 2)`, col: 9, msg: "cannot be chained"},
		{in: `((A == 1) && B)`, col: 14, msg: "parenthesised condition"},
		{in: `(Cust.Name == "x")`, col: 6, msg: "data source"},
		{in: `(A == Enum::)`, col: 13, msg: "enum member"},
		{in: `(A == 12abc)`, col: 9, msg: "after number"},
		{in: `(A == 1) #`, col: 10, msg: "unexpected character"},
		{in: `(!A == 1)`, col: 3, msg: "parenthesised condition"},
		{in: `((A == 1) &&`, col: 13, msg: "end of the filter"},
		{in: strings.Repeat("(", 100) + "A == 1" + strings.Repeat(")", 100), col: 65, msg: "nests more than"},
	})
}

func TestFilterDV(t *testing.T) {
	runFilterCases(t, parseDVFilter, []filterCase{
		// Valid.
		{in: `customertypecode eq 3`, want: `(customertypecode eq 3)`, refs: []string{"customertypecode"}},
		{in: `statecode eq 1 and name ne 'x'`, want: `((statecode eq 1) and (name ne 'x'))`, refs: []string{"statecode", "name"}},
		{in: `a eq 1 or b eq 2 and c eq 3`, want: `((a eq 1) or ((b eq 2) and (c eq 3)))`, refs: []string{"a", "b", "c"}},
		{in: `(a eq 1 or b eq 2) and c eq 3`, want: `(((a eq 1) or (b eq 2)) and (c eq 3))`, refs: []string{"a", "b", "c"}},
		{in: `not (statecode eq 1)`, want: `(not (statecode eq 1))`, refs: []string{"statecode"}},
		{in: `name eq 'O''Brien'`, want: `(name eq 'O''Brien')`, refs: []string{"name"}},
		{in: `contains(name,'Contoso') and not startswith(name, 'X')`, want: `(contains(name, 'Contoso') and (not startswith(name, 'X')))`, refs: []string{"name", "name"}},
		{in: `donotemail`, want: `donotemail`, refs: []string{"donotemail"}},
		{in: `donotemail eq true and revenue gt -1.5e3`, want: `((donotemail eq true) and (revenue gt -1.5e3))`, refs: []string{"donotemail", "revenue"}},
		{in: `_parentaccountid_value eq 8a1b2c3d-0000-4000-8000-00000000abcd`, want: `(_parentaccountid_value eq 8a1b2c3d-0000-4000-8000-00000000abcd)`, refs: []string{"_parentaccountid_value"}},
		{in: `createdon gt 2024-01-31T08:00:00Z and birthdate lt 2000-01-01`, want: `((createdon gt 2024-01-31T08:00:00Z) and (birthdate lt 2000-01-01))`, refs: []string{"createdon", "birthdate"}},
		{in: `primarycontactid/fullname ne null`, want: `(primarycontactid/fullname ne null)`, refs: []string{"primarycontactid/fullname"}},
		{in: `tolower(name) eq 'x'`, want: `(tolower(name) eq 'x')`, refs: []string{"name"}},

		// Invalid.
		{in: ``, col: 1, msg: "empty"},
		{in: `statecode == 1`, col: 11, msg: "instead of symbols"},
		{in: `statecode eq 1 AND name eq 'x'`, col: 16, msg: "lowercase"},
		{in: `name eq "x"`, col: 9, msg: "single quotes"},
		{in: `name eq 'x`, col: 9, msg: "not closed"},
		{in: `statecode eq`, col: 13, msg: "end of the filter"},
		{in: `statecode eq 1 and`, col: 19, msg: "end of the filter"},
		{in: `statecode 1`, col: 11, msg: "expected an operator"},
		{in: `(statecode eq 1`, col: 16, msg: "expected )"},
		{in: `statecode eq 1)`, col: 15, msg: "unexpected"},
		{in: `3`, col: 1, msg: "must be a condition"},
		{in: `'x' and statecode eq 1`, col: 1, msg: "is a value"},
		{in: `a eq 1 eq 2`, col: 8, msg: "cannot be chained"},
		{in: `not statecode eq 1`, col: 1, msg: "not applies to what follows"},
		{in: `(a eq 1) eq true`, col: 10, msg: "compares a condition"},
		{in: `a eq (b eq 1)`, col: 9, msg: "compares with a condition"},
		{in: `statecode in (1,2)`, col: 11, msg: "not supported"},
		{in: `substringof('x',name)`, col: 1, msg: "unknown function"},
		{in: `contains(name)`, col: 1, msg: "takes 2 argument"},
		{in: `contains (name,'x')`, col: 10, msg: "no space"},
		{in: `contains(name 'x')`, col: 15, msg: "expected , or )"},
		{in: `Microsoft.Dynamics.CRM.Today()`, col: 10, msg: "qualified names"},
		{in: `a eq 12ab`, col: 8, msg: "after number"},
		{in: `a eq 2024-13`, col: 10, msg: "after number 2024"},
		{in: `a/ eq 1`, col: 2, msg: "column name after /"},
		{in: `a eq 1 ; b`, col: 8, msg: "unexpected character"},
		{in: `()`, col: 2, msg: "empty parentheses"},
		{in: strings.Repeat("(", 100) + "a eq 1" + strings.Repeat(")", 100), col: 65, msg: "nests more than"},
		{in: strings.Repeat("not ", 100) + "a", col: 257, msg: "nests more than"},
	})
}

// TestFilterCases' invalid inputs must fail for the stated reason; this
// checks a few messages in full, as an author reads them.
func TestFilterMessages(t *testing.T) {
	_, _, err := parseFOFilter(`(A == 1 && B == 2)`)
	want := "column 9: put each comparison in its own parentheses, e.g. ((A == 1) && (B == 2))"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	_, _, err = parseDVFilter(`statecode eq 1 AND name eq 'x'`)
	want = "column 16: OData keywords are lowercase: write and, not AND"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func fuzzFilter(f *testing.F, parse func(string) (*filterNode, []filterRef, error), seeds []string) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, refs, err := parse(s)
		if err != nil {
			var fe *filterError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *filterError", err)
			}
			if fe.Col < 1 || fe.Col > len(s)+1 {
				t.Fatalf("error column %d outside 1..%d", fe.Col, len(s)+1)
			}
			return
		}
		if n == nil {
			t.Fatal("no error and no expression")
		}
		for _, r := range refs {
			if r.Col < 1 || r.Col-1+len(r.Name) > len(s) || s[r.Col-1:r.Col-1+len(r.Name)] != r.Name {
				t.Fatalf("ref %q at column %d does not match the input", r.Name, r.Col)
			}
		}
		// What parses once parses again the same from its canonical form.
		again, _, err := parse(n.String())
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", n.String(), s, err)
		}
		if again.String() != n.String() {
			t.Fatalf("canonical form changes: %q then %q", n.String(), again.String())
		}
	})
}

func FuzzFilterFO(f *testing.F) {
	fuzzFilter(f, parseFOFilter, []string{
		`(PartyType == "Organization")`,
		`((A == "x") || (B != 1))`,
		`(!(Blocked == CustVendorBlocked::All))`,
		`(((A == 1) && (B == 2)) || (C == 3))`,
		`(Name like "a\"b")`,
		`(A == 1 && B == 2)`,
		`((`,
	})
}

func FuzzFilterDV(f *testing.F) {
	fuzzFilter(f, parseDVFilter, []string{
		`customertypecode eq 3`,
		`statecode eq 1 and name ne 'x'`,
		`not contains(name,'O''Brien') or revenue ge 1e3`,
		`_parentaccountid_value eq 8a1b2c3d-0000-4000-8000-00000000abcd`,
		`createdon gt 2024-01-31T08:00:00Z`,
		`(a eq 1`,
	})
}

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"time"

	starter "github.com/dualsync/dualsync/maps"
	"github.com/dualsync/dualsync/runtime/engine"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/runtime/store"
)

// The demo's sample data and the runbook checks it walks through.

// seedRecord is one sample record: on which side it is written, its map
// and key, and its values.
type seedRecord struct {
	side plan.Side
	m    string
	key  string
	kv   []any
}

// seedData writes the sample data, varied by the seed, and returns it.
func (d *demo) seedData() ([]seedRecord, error) {
	r := mrand.New(mrand.NewPCG(d.seed, 0x6475616c73796e63))
	names := []string{"Contoso", "Fabrikam", "Northwind", "Adventure Works", "Tailspin", "Wide World Importers",
		"Litware", "Proseware", "Alpine Ski House", "Coho Winery", "Margie's Travel", "Trey Research"}
	r.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	cities := []string{"Seattle", "Oslo", "Lyon", "Porto", "Graz", "Turku"}
	methods := []string{"Email", "Phone", "Mail", "None"}
	people := [][2]string{{"Ana", "Silva"}, {"Bo", "Ek"}, {"Chen", "Li"}, {"Dara", "O'Brien"}, {"Emil", "Nørgaard"}}
	var out []seedRecord
	add := func(side plan.Side, m, key string, kv ...any) { out = append(out, seedRecord{side, m, key, kv}) }

	add(plan.FO, "paymentterm", "usmf|Net30", "Description", "Net 30 days", "NumberOfDays", 30, "PaymentMethodType", "Net")
	add(plan.FO, "paymentterm", "usmf|Net10", "Description", "Net 10 days", "NumberOfDays", 10, "PaymentMethodType", "Net")
	add(plan.FO, "paymentterm", "usmf|COD", "Description", "Cash on delivery", "NumberOfDays", 0, "PaymentMethodType", "COD")
	for i, n := range []string{"Widget", "Gadget", "Sprocket", "Installation"} {
		typ := "Item"
		if n == "Installation" {
			typ = "Service"
		}
		add(plan.FO, "product", fmt.Sprintf("P-%d", 100+i), "ProductName", n, "ProductDescription", n+", standard", "ProductType", typ)
	}
	for i := range 6 {
		acct := fmt.Sprintf("US-%03d", i+1)
		add(plan.FO, "customer", "usmf|"+acct, "OrganizationName", names[i], "CustomerGroupId", fmt.Sprint(10*(1+r.IntN(3))),
			"AddressCity", cities[r.IntN(len(cities))], "PreferredContactMethod", methods[r.IntN(len(methods))],
			"PaymentTerms", "Net30", "CreditLimit", engine.MustDecimal(fmt.Sprint(1000*(1+r.IntN(50)))))
	}
	for i := range 2 {
		acct := fmt.Sprintf("US-%03d", 101+i)
		add(plan.DV, "customer", "usmf|"+acct, "name", names[6+i], "msdyn_customergroupid", "30",
			"address1_city", cities[r.IntN(len(cities))], "preferredcontactmethodcode", 2)
	}
	for i, who := range people[:3] {
		add(plan.DV, "contact", fmt.Sprintf("usmf|P-%d", i+1), "firstname", who[0], "lastname", who[1],
			"emailaddress1", strings.ToLower(who[0])+"@example.com", "parentcustomerid", fmt.Sprintf("usmf|US-%03d", 101+i%2))
	}
	for i := range 3 {
		add(plan.FO, "invoice", fmt.Sprintf("usmf|INV-%04d", 1+i), "InvoiceCustomerAccountNumber", fmt.Sprintf("US-%03d", 1+i),
			"InvoiceDate", engine.Time(time.Date(2025, 3, 1+i, 0, 0, 0, 0, time.UTC)), "PaymentTermsName", "Net30",
			"TotalInvoiceAmount", engine.MustDecimal(fmt.Sprintf("%d.%02d", 100+r.IntN(900), r.IntN(100))),
			"SalesOrderNumber", fmt.Sprintf("SO-%04d", 1+i))
	}
	for _, s := range out {
		if err := d.put(s.side, s.m, s.key, s.kv...); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// initialSync waits for every sample record to reach the other side.
func (d *demo) initialSync(ctx context.Context, seeded []seedRecord) (string, error) {
	var missing []string
	err := d.waitFor(ctx, "the sample data on the other side", func() bool {
		missing = missing[:0]
		for _, s := range seeded {
			if _, ok := d.get(s.side.Other(), s.m, s.key); !ok {
				missing = append(missing, s.m+" "+s.key)
			}
		}
		return len(missing) == 0
	})
	if err != nil {
		return "", fmt.Errorf("%w: %d missing (%s)", err, len(missing), strings.Join(first(missing, 3), ", "))
	}
	if err := d.quiet(ctx); err != nil {
		return "", err
	}
	var fo, dv int
	for _, s := range seeded {
		if s.side == plan.FO {
			fo++
		} else {
			dv++
		}
	}
	return fmt.Sprintf("%d sample records written in F&O and %d in Dataverse reached the other side", fo, dv), nil
}

// bothDirections writes a customer in F&O and a contact in Dataverse.
func (d *demo) bothDirections(ctx context.Context) (string, error) {
	if err := d.put(plan.FO, "customer", "usmf|US-050", "OrganizationName", "Blue Yonder Airlines", "CustomerGroupId", "20",
		"PreferredContactMethod", "Phone"); err != nil {
		return "", err
	}
	if err := d.put(plan.DV, "contact", "usmf|P-50", "firstname", "Greta", "lastname", "Holm", "jobtitle", "Buyer",
		"parentcustomerid", "usmf|US-101"); err != nil {
		return "", err
	}
	err := d.waitFor(ctx, "customer US-050 in Dataverse and contact P-50 in F&O", func() bool {
		return d.has(plan.DV, "customer", "usmf|US-050", "name", "Blue Yonder Airlines", "preferredcontactmethodcode", "3") &&
			d.has(plan.FO, "contact", "usmf|P-50", "FirstName", "Greta", "JobTitle", "Buyer", "AssociatedCustomerAccount", "US-101")
	})
	if err != nil {
		return "", err
	}
	return "customer US-050 written in F&O is in Dataverse (Phone became choice 3); contact P-50 written in Dataverse is in F&O", nil
}

// concurrentEdit changes one customer on both sides between two polls.
func (d *demo) concurrentEdit(ctx context.Context) (string, error) {
	const key = "usmf|US-001"
	if err := d.quiet(ctx); err != nil {
		return "", err
	}
	// Both sides pick a contact method the record does not have yet.
	cur, _ := d.get(plan.FO, "customer", key)
	now := valueText(cur.Values["PreferredContactMethod"])
	dvPick, dvCode := "Mail", 5
	if now == "Mail" {
		dvPick, dvCode = "Fax", 4
	}
	foPick := "Phone"
	if now == "Phone" {
		foPick = "Email"
	}
	name := valueText(cur.Values["OrganizationName"])
	foName, dvName := name+" Ltd", name+" Inc"
	resume, err := d.srv.Pause(ctx)
	if err != nil {
		return "", err
	}
	err = d.put(plan.FO, "customer", key, "OrganizationName", foName, "PreferredContactMethod", foPick)
	if err == nil {
		err = d.put(plan.DV, "customer", key, "name", dvName, "preferredcontactmethodcode", dvCode)
	}
	resume()
	if err != nil {
		return "", err
	}
	err = d.waitFor(ctx, "both sides to agree on US-001", func() bool {
		return d.has(plan.FO, "customer", key, "OrganizationName", foName, "PreferredContactMethod", dvPick) &&
			d.has(plan.DV, "customer", key, "name", foName, "preferredcontactmethodcode", fmt.Sprint(dvCode))
	})
	if err != nil {
		fo, _ := d.get(plan.FO, "customer", key)
		dv, _ := d.get(plan.DV, "customer", key)
		return "", fmt.Errorf("%w: F&O has %s/%s, Dataverse %s/%s", err, valueText(fo.Values["OrganizationName"]),
			valueText(fo.Values["PreferredContactMethod"]), valueText(dv.Values["name"]), valueText(dv.Values["preferredcontactmethodcode"]))
	}
	cs, err := d.st.Conflicts(ctx, store.ConflictFilter{Map: "customer", Key: key})
	if err != nil {
		return "", err
	}
	rules := map[string]engine.Conflict{}
	for _, c := range cs {
		rules[c.Field] = c.Conflict
	}
	nameRule, pcmRule := rules["OrganizationName"], rules["PreferredContactMethod"]
	if nameRule.Rule != engine.RuleFO || pcmRule.Rule != engine.RuleDV {
		return "", fmt.Errorf("conflict log of %s: OrganizationName decided by %q, PreferredContactMethod by %q; want fo and dv", key, nameRule.Rule, pcmRule.Rule)
	}
	return fmt.Sprintf("US-001 changed on both sides between two polls: the name is F&O's (%q, rule fo at maps/%s), the contact method Dataverse's (%s, rule dv at maps/%s); both conflicts logged",
		foName, nameRule.Pos, dvPick, pcmRule.Pos), nil
}

// dependencyOrder writes a customer whose primary contact does not exist
// yet, then the contact.
func (d *demo) dependencyOrder(ctx context.Context) (string, error) {
	const cust, person = "usmf|US-060", "usmf|P-60"
	if err := d.put(plan.FO, "customer", cust, "OrganizationName", "Lamna Healthcare", "CustomerGroupId", "20",
		"PrimaryContactPersonId", "P-60"); err != nil {
		return "", err
	}
	err := d.waitFor(ctx, "US-060 in Dataverse without its contact, its lookup parked", func() bool {
		return d.has(plan.DV, "customer", cust, "name", "Lamna Healthcare", "primarycontactid", "null") &&
			d.srv.Status().Accounting.Parked > 0
	})
	if err != nil {
		return "", err
	}
	if err := d.put(plan.FO, "contact", person, "FirstName", "Ida", "LastName", "Berg", "AssociatedCustomerAccount", "US-060"); err != nil {
		return "", err
	}
	err = d.waitFor(ctx, "US-060's primary contact in Dataverse", func() bool {
		return d.has(plan.DV, "contact", person, "parentcustomerid", cust) &&
			d.has(plan.DV, "customer", cust, "primarycontactid", person)
	})
	if err != nil {
		return "", err
	}
	if err := d.quiet(ctx); err != nil {
		return "", err
	}
	return "customer US-060 reached Dataverse first and its primary-contact lookup waited (parked); when contact P-60 arrived it was released and written", nil
}

// invalidEnum writes an enum member the value map lacks, then fixes it.
func (d *demo) invalidEnum(ctx context.Context) (string, error) {
	const key = "usmf|US-070"
	if err := d.put(plan.FO, "customer", key, "OrganizationName", "Relecloud", "CustomerGroupId", "10",
		"PreferredContactMethod", "Pager"); err != nil {
		return "", err
	}
	var e store.ErrorRecord
	err := d.waitFor(ctx, "an error-queue entry for US-070", func() bool {
		es, err := d.st.ListErrors(ctx, store.ErrorFilter{Map: "customer", Key: key})
		if err != nil || len(es) == 0 {
			return false
		}
		e = es[0]
		return true
	})
	if err != nil {
		return "", err
	}
	if e.Class != engine.InvalidValue {
		return "", fmt.Errorf("US-070 queued as %s, want %s: %s", e.Class, engine.InvalidValue, e.Message)
	}
	if line, err := sourceLine(e.Pos); err != nil || !strings.Contains(strings.ToLower(line), "preferredcontactmethod") {
		return "", fmt.Errorf("the entry points at maps/%s, which is not the PreferredContactMethod field (%q, %v)", e.Pos, line, err)
	}
	if _, ok := d.get(plan.DV, "customer", key); ok {
		return "", errors.New("US-070 reached Dataverse with a value its choice does not have")
	}
	msg := fmt.Sprintf("\"Pager\" queued as %s at maps/%s", e.Class, e.Pos)

	// Fixed at the source, the record syncs and the entry resolves.
	if err := d.put(plan.FO, "customer", key, "PreferredContactMethod", "Email"); err != nil {
		return "", err
	}
	err = d.waitFor(ctx, "US-070 in Dataverse after the fix, its entry closed", func() bool {
		got, err := d.st.GetError(ctx, e.ID)
		return err == nil && !got.State.Open() && d.has(plan.DV, "customer", key, "preferredcontactmethodcode", "2")
	})
	if err != nil {
		return "", err
	}
	return msg + "; fixed to Email in F&O, the customer synced and the entry was resolved", nil
}

// sourceLine returns the starter file's line at pos.
func sourceLine(pos plan.Pos) (string, error) {
	f, err := starter.Files().Open(pos.File)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if n == pos.Line {
			return sc.Text(), nil
		}
	}
	return "", fmt.Errorf("%s has no line %d", pos.File, pos.Line)
}

// countsMatch compares the record counts of every map on both sides.
func (d *demo) countsMatch(ctx context.Context) (string, error) {
	var diff []string
	err := d.waitFor(ctx, "equal counts on both sides", func() bool {
		diff = diff[:0]
		for _, m := range d.p.Maps {
			if f, v := len(d.rows(plan.FO, m.Name)), len(d.rows(plan.DV, m.Name)); f != v {
				diff = append(diff, fmt.Sprintf("%s %d in F&O, %d in Dataverse", m.Name, f, v))
			}
		}
		return len(diff) == 0
	})
	if err != nil {
		return "", fmt.Errorf("%w: %s", err, strings.Join(diff, "; "))
	}
	if err := d.quiet(ctx); err != nil {
		return "", err
	}
	open, err := d.st.ListErrors(ctx, store.ErrorFilter{})
	if err != nil {
		return "", err
	}
	if len(open) > 0 {
		return "", fmt.Errorf("%d entries left in the error queue, first: %s %s %s", len(open), open[0].Map, open[0].Key, open[0].Class)
	}
	a := d.srv.Status().Accounting
	if err := a.Check(); err != nil {
		return "", err
	}
	var parts []string
	for _, m := range d.p.Maps {
		parts = append(parts, fmt.Sprintf("%s %d", m.Name, len(d.rows(plan.FO, m.Name))))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ") + " on each side; error queue empty; every observed change accounted for", nil
}

func first(s []string, n int) []string { return s[:min(n, len(s))] }

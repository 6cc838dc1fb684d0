package compiler

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dualsync/dualsync/runtime/plan"
)

// The integration key. Dual-write addresses a record on each side by its
// key: the F&O entity key (dataAreaId first when the entity is striped by
// company) and a Dataverse alternate key whose columns match it. The key
// pairs must therefore be exactly the entity key on F&O and exactly one
// alternate key on Dataverse, with the company carried as the pair
// dataAreaId / company lookup and never as an ordinary field.

// companyFO is the F&O field that stripes data by legal entity.
const companyFO = "dataAreaId"

// checkKeys reports DS120-DS125.
func checkKeys(c *checker) {
	for _, m := range c.src.Maps {
		unknownFO, unknownDV := checkKeyFields(c, m)
		checkKeyDuplicates(c, m)
		if fe := c.fo[m]; fe != nil && !unknownFO {
			checkFOKey(c, m, fe)
		}
		if dt := c.dv[m]; dt != nil && !unknownDV {
			checkDVKey(c, m, dt)
		}
		checkKeyDirections(c, m)
		checkCompany(c, m)
	}
}

func keyPath(m *srcMap, i int, side plan.Side) string {
	return fmt.Sprintf("%s.key[%d].%s", m.Path, i, side)
}

// checkKeyFields reports key pairs naming fields the catalog does not have
// (DS124), and whether it found any on each side.
func checkKeyFields(c *checker, m *srcMap) (unknownFO, unknownDV bool) {
	fe, dt := c.fo[m], c.dv[m]
	for i, k := range m.Key {
		if fe != nil && k.FO.Set && fe.Fields[k.FO.V] == nil {
			unknownFO = true
			c.report(k.FO.Pos, CodeKeyNotMapped, keyPath(m, i, plan.FO),
				"key pair names F&O field %q, which entity %q does not have%s", k.FO.V, m.FOEntity.V, suggest(k.FO.V, keysOf(fe.Fields)))
		}
		if dt != nil && k.DV.Set && dt.Fields[k.DV.V] == nil {
			unknownDV = true
			c.report(k.DV.Pos, CodeKeyNotMapped, keyPath(m, i, plan.DV),
				"key pair names Dataverse column %q, which table %q does not have%s", k.DV.V, m.DVTable.V, suggest(k.DV.V, keysOf(dt.Fields)))
		}
	}
	return unknownFO, unknownDV
}

// checkKeyDuplicates reports a field paired twice (DS125).
func checkKeyDuplicates(c *checker, m *srcMap) {
	seenFO, seenDV := map[string]int{}, map[string]int{}
	for i, k := range m.Key {
		if j, ok := seenFO[k.FO.V]; ok && k.FO.Set {
			c.report(k.FO.Pos, CodeKeyDuplicate, keyPath(m, i, plan.FO),
				"F&O field %q is already paired in key[%d]: remove this pair", k.FO.V, j)
		} else {
			seenFO[k.FO.V] = i
		}
		if j, ok := seenDV[k.DV.V]; ok && k.DV.Set {
			c.report(k.DV.Pos, CodeKeyDuplicate, keyPath(m, i, plan.DV),
				"Dataverse column %q is already paired in key[%d]: remove this pair", k.DV.V, j)
		} else {
			seenDV[k.DV.V] = i
		}
	}
}

// checkFOKey reports an F&O side that is not exactly the entity key (DS120).
func checkFOKey(c *checker, m *srcMap, fe *FOEntity) {
	if len(fe.Key) == 0 {
		return
	}
	paired := map[string]bool{}
	for _, k := range m.Key {
		paired[k.FO.V] = true
	}
	var missing []string
	for _, f := range fe.Key {
		if !paired[f] {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		c.report(m.KeyPos, CodeKeyIncomplete, m.Path+".key",
			"key does not pair F&O key field%s %s of entity %q (its key is %s): add a pair for each",
			plural(missing), quoteList(missing), m.FOEntity.V, quoteList(fe.Key))
	}
	for i, k := range m.Key {
		if k.FO.Set && !slices.Contains(fe.Key, k.FO.V) {
			c.report(k.FO.Pos, CodeKeyIncomplete, keyPath(m, i, plan.FO),
				"F&O field %q is not part of entity %q's key %s: the integration key must be exactly the entity key; map %q in fields instead",
				k.FO.V, m.FOEntity.V, quoteList(fe.Key), k.FO.V)
		}
	}
}

// checkDVKey reports a Dataverse side that is not exactly one alternate key
// of the table (DS120).
func checkDVKey(c *checker, m *srcMap, dt *DVTable) {
	if len(dt.AlternateKeys) == 0 {
		c.report(m.DVTable.Pos, CodeKeyIncomplete, m.Path+".dv.table",
			"Dataverse table %q has no alternate key: create one whose columns match the F&O entity key, then pair them in key", m.DVTable.V)
		return
	}
	var cols []string
	paired := map[string]int{}
	for i, k := range m.Key {
		if k.DV.Set {
			cols = append(cols, k.DV.V)
			paired[k.DV.V] = i
		}
	}
	// The closest alternate key: most columns paired, then fewest missing.
	best, bestHit := -1, -1
	for i, ak := range dt.AlternateKeys {
		hit := 0
		for _, col := range ak {
			if _, ok := paired[col]; ok {
				hit++
			}
		}
		if hit == len(ak) && hit == len(paired) {
			return // exactly this alternate key
		}
		if best < 0 || hit > bestHit || hit == bestHit && len(ak) < len(dt.AlternateKeys[best]) {
			best, bestHit = i, hit
		}
	}
	ak := dt.AlternateKeys[best]
	var missing []string
	for _, col := range ak {
		if _, ok := paired[col]; !ok {
			missing = append(missing, col)
		}
	}
	if len(missing) > 0 {
		c.report(m.KeyPos, CodeKeyIncomplete, m.Path+".key",
			"key's Dataverse columns %s cover no alternate key of table %q: the closest, %s, also needs %s; pair exactly the columns of one alternate key (%s)",
			quoteList(cols), m.DVTable.V, quoteList(ak), quoteList(missing), altKeys(dt))
		return
	}
	// Every column of ak is paired, and more: the extra ones are not key.
	for _, k := range m.Key {
		if k.DV.Set && !slices.Contains(ak, k.DV.V) {
			i := paired[k.DV.V]
			c.report(k.DV.Pos, CodeKeyIncomplete, keyPath(m, i, plan.DV),
				"Dataverse column %q is not part of alternate key %s of table %q: the key must be exactly one alternate key; map %q in fields instead",
				k.DV.V, quoteList(ak), m.DVTable.V, k.DV.V)
		}
	}
}

// checkKeyDirections reports a key field that flows one way in a
// bidirectional map (DS121).
func checkKeyDirections(c *checker, m *srcMap) {
	if plan.Direction(m.Direction.V) != plan.Bidirectional {
		return
	}
	for i, k := range m.Key {
		for _, f := range m.Fields {
			if f.FO != k.FO.V && (!f.DV.Set || f.DV.V != k.DV.V) {
				continue
			}
			d := fieldDirection(m, f)
			if d == plan.Bidirectional || !f.Direction.Set {
				continue
			}
			c.report(f.Direction.Pos, CodeKeyNotBidi, f.Path+".direction",
				"field %s is key field key[%d] but flows %s: in a bidirectional map key fields must flow both ways; remove its direction",
				f.FO, i, d)
		}
	}
}

// checkCompany reports a company-specific side mapped to a global one
// (DS122) and company striping outside the pair dataAreaId / company
// lookup (DS123).
func checkCompany(c *checker, m *srcMap) {
	fe, dt := c.fo[m], c.dv[m]
	if fe != nil && dt != nil {
		switch {
		case fe.CompanySpecific && dt.CompanyField == "":
			c.report(m.DVTable.Pos, CodeCompanyMismatch, m.Path+".dv.table",
				"F&O entity %q is company-specific but Dataverse table %q is global (it has no company lookup): map it to a table with a lookup to cdm_company",
				m.FOEntity.V, m.DVTable.V)
		case !fe.CompanySpecific && dt.CompanyField != "":
			c.report(m.DVTable.Pos, CodeCompanyMismatch, m.Path+".dv.table",
				"F&O entity %q is global but Dataverse table %q is company-specific (company lookup %q): map global data to a global table",
				m.FOEntity.V, m.DVTable.V, dt.CompanyField)
		}
	}
	companyDV := ""
	if dt != nil {
		companyDV = dt.CompanyField
	}
	for i, k := range m.Key {
		switch {
		case companyDV == "":
		case k.FO.V == companyFO && k.DV.V != companyDV:
			c.report(k.DV.Pos, CodeKeyPairCompany, keyPath(m, i, plan.DV),
				"%s is paired with %q: pair it with table %q's company lookup %q", companyFO, k.DV.V, m.DVTable.V, companyDV)
		case k.DV.V == companyDV && k.FO.V != companyFO:
			c.report(k.FO.Pos, CodeKeyPairCompany, keyPath(m, i, plan.FO),
				"company lookup %q is paired with %q: the company pairs only with %s", companyDV, k.FO.V, companyFO)
		}
	}
	for _, f := range m.Fields {
		switch {
		case f.FO == companyFO:
			c.report(f.Pos, CodeKeyPairCompany, f.Path,
				"%s is mapped as a field: the company is part of the key; remove this mapping and pair %s in key", companyFO, companyFO)
		case companyDV != "" && f.DV.V == companyDV:
			c.report(f.DV.Pos, CodeKeyPairCompany, f.Path+".dv",
				"company lookup %q is mapped as a field: the company is part of the key; remove this mapping and pair it with %s in key", companyDV, companyFO)
		}
	}
}

// quoteList renders names as ["a", "b"].
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func altKeys(dt *DVTable) string {
	s := make([]string, len(dt.AlternateKeys))
	for i, ak := range dt.AlternateKeys {
		s[i] = quoteList(ak)
	}
	return "alternate keys: " + strings.Join(s, ", ")
}

func plural[T any](xs []T) string {
	if len(xs) == 1 {
		return ""
	}
	return "s"
}

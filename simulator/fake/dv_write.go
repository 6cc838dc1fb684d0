package fake

import (
	"fmt"
	"strings"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/engine"
)

// merge validates body and writes it into vals: unknown properties, binds,
// types and choices, then business logic (normalisation), then length,
// required fields and plug-ins.
func (s *DV) merge(t *dvTable, vals, body map[string]engine.Value, create bool) *Error {
	d := t.def
	written := map[string]bool{}
	for _, n := range sortedKeys(body) {
		v := body[n]
		if field, ok := strings.CutSuffix(n, "@odata.bind"); ok {
			f := d.fields[field]
			if f == nil {
				return dvUnknownProperty(d.entity, field)
			}
			if f.target == "" {
				return dvError(400, codeBadRequest, fmt.Sprintf("'%s' is not a lookup: it cannot be bound.", field))
			}
			id, e := s.bind(f, v)
			if e != nil {
				return e
			}
			vals[field] = id
			written[field] = true
			continue
		}
		if n == d.primaryID || n == d.modified || n == "versionnumber" || n == "createdon" {
			continue // system columns are read-only
		}
		f := d.fields[n]
		if f == nil {
			return dvUnknownProperty(d.entity, n)
		}
		if f.target != "" {
			if f.key && !create {
				continue // the key's lookup came with the address
			}
			return dvError(400, codeBadRequest, fmt.Sprintf("A lookup such as '%s' is set with '%s@odata.bind'.", n, n))
		}
		cv, p := coerce(f, v)
		if p != nil {
			if p.kind == "choice" {
				return dvError(400, dsruntime.CodeChoiceOutOfRange, fmt.Sprintf(
					"A validation error occurred. The value %s of '%s' on record of type '%s' is outside the valid range. Accepted Values: %s",
					text(v), n, d.entity, p.msg))
			}
			return dvError(400, codeBadRequest, fmt.Sprintf("Error identified in Payload provided by the user for Entity :'%s': %s", d.entity, p.msg))
		}
		if s, ok := cv.AsString(); ok && s == "" {
			cv = engine.Null() // Dataverse stores an empty string as null
		}
		vals[n] = normalize(f, cv)
		written[n] = true
	}
	for _, n := range sortedKeys(body) {
		if f := d.fields[n]; f != nil && tooLong(f, vals[n]) != nil {
			return dvError(400, dsruntime.CodeMaxLengthExceeded, fmt.Sprintf(
				"A validation error occurred. The length of the '%s' attribute of the '%s' entity exceeded the maximum allowed length of '%d'.", n, d.entity, f.maxLen))
		}
	}
	for _, n := range d.sortedFields() {
		f := d.fields[n]
		if f.required && !f.key && (create || written[n]) && empty(vals[n]) {
			return dvError(400, "0x80040203", fmt.Sprintf("A validation error occurred. The '%s' attribute of the '%s' entity is required and cannot be empty.", n, d.entity))
		}
	}
	if f := s.plugin(d.name, written, vals); f != nil {
		msg := f.Message
		if msg == "" {
			msg = "The business logic refused the record."
		}
		code := f.Code
		if code == "" {
			code = dsruntime.CodePluginException
		}
		return dvError(400, code, msg)
	}
	return nil
}

// bind resolves an @odata.bind value to the referenced record's GUID.
func (s *DV) bind(f *fieldDef, v engine.Value) (engine.Value, *Error) {
	if v.IsNull() {
		return v, nil
	}
	path, ok := v.AsString()
	if !ok {
		return v, dvError(400, codeBadRequest, fmt.Sprintf("The value of '%s@odata.bind' must be a string.", f.name))
	}
	set, at, err := ParsePath(path)
	if err != nil || set != f.target {
		return v, dvError(400, codeBadRequest, fmt.Sprintf("The bind '%s' of '%s' does not address %s.", path, f.name, f.target))
	}
	if set == companySet {
		if _, ok := s.companyCode[at.ID]; !ok {
			return v, dvError(400, dsruntime.CodeRecordNotFound, fmt.Sprintf("cdm_company With Id = %s Does Not Exist", at.ID))
		}
		return engine.String(at.ID), nil
	}
	t := s.tables[set]
	if t == nil {
		return v, dvNoSet(set)
	}
	r, _, e := s.find(t, at)
	if e != nil {
		return v, e
	}
	if r == nil {
		e := s.missing(t, at)
		e.Status = 400 // a bind to a missing record is a bad request, not a missing target
		return v, e
	}
	return engine.String(r.id), nil
}

// out is a record as the service answers it.
func (s *DV) out(t *dvTable, r *dvRow) Row {
	vals := withNulls(t.def, r.vals)
	vals[t.def.modified] = engine.Time(r.mod)
	vals["versionnumber"] = engine.Int(r.ver)
	vals["createdon"] = engine.Time(r.created)
	return Row{Key: s.userKey(t, r), ID: r.id, ETag: etag(r.ver), Version: r.ver, Created: r.created, Modified: r.mod, Values: vals}
}

// userKey is a record's key text with the company's code for its GUID.
func (s *DV) userKey(t *dvTable, r *dvRow) string {
	parts := make([]engine.Value, len(t.def.keys))
	for i, n := range t.def.keys {
		v := r.vals[n]
		if n == t.def.company {
			v = engine.String(s.companyCode[text(v)])
		}
		parts[i] = v
	}
	return keyText(parts)
}

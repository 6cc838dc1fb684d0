package compiler

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/dualsync/dualsync/runtime/plan"
)

// Severity is how serious a diagnostic is.
type Severity string

// Severities.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Diagnostic is one problem found in the maps, at the author's position.
type Diagnostic struct {
	Pos      plan.Pos `json:"pos"`
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	// Path is the CUE path of the offending value, e.g. maps.customer.fields.Name.
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (d Diagnostic) String() string {
	return fmt.Sprintf("%s: %s %s: %s (%s)", d.Pos, d.Severity, d.Code, d.Message, d.Path)
}

// Diagnostics is a sortable list of diagnostics.
type Diagnostics []Diagnostic

// Sort orders diagnostics by file, line, column, code and message.
func (ds Diagnostics) Sort() {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
			cmp.Compare(a.Code, b.Code),
			cmp.Compare(a.Message, b.Message),
		)
	})
}

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Count returns the number of errors and warnings.
func (ds Diagnostics) Count() (errs, warns int) {
	for _, d := range ds {
		if d.Severity == Error {
			errs++
		} else {
			warns++
		}
	}
	return errs, warns
}

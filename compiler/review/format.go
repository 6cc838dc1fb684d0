package review

import (
	"fmt"
	"strings"
	"time"

	"github.com/dualsync/dualsync/runtime/plan"
)

// This file renders plan values as the short strings shown in Old and New.

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func prefixed(s plan.Side, v string) string {
	return string(s) + " " + orNone(v)
}

func shortDigest(d string) string {
	d = strings.TrimPrefix(d, "sha256:")
	if len(d) > 12 {
		d = d[:12]
	}
	return d
}

func striping(companySpecific bool) string {
	if companySpecific {
		return "company-specific"
	}
	return "global"
}

func directionName(d plan.Direction) string {
	switch d {
	case plan.Bidirectional:
		return "both ways"
	case plan.FOToDV:
		return "from F&O to Dataverse"
	case plan.DVToFO:
		return "from Dataverse to F&O"
	}
	return string(d)
}

func strategyText(s string) string {
	switch s {
	case "bulk":
		return "copies the rows itself (bulk)"
	case "package":
		return "imports a data package, then syncs the delta"
	case "snapshot":
		return "copies a snapshot, then reconciles"
	}
	return "uses strategy " + orNone(s)
}

func conflictWinner(c *plan.Conflict) plan.Winner {
	if c == nil {
		return ""
	}
	return c.Winner
}

func entityString(m plan.Map) string {
	return m.FO.EntitySet + " ↔ " + m.DV.Table
}

func exclusionString(e plan.Exclusion) string {
	var parts []string
	if e.FO != "" {
		parts = append(parts, "fo "+e.FO)
	}
	if e.DV != "" {
		parts = append(parts, "dv "+e.DV)
	}
	parts = append(parts, "owner "+string(e.Owner))
	return strings.Join(parts, ", ")
}

func keyString(key []plan.KeyField) string {
	parts := make([]string, len(key))
	for i, k := range key {
		parts[i] = k.FO + "=" + k.DV
		if k.Company {
			parts[i] += " (company)"
		}
	}
	return strings.Join(parts, ", ")
}

func fieldString(f plan.Field) string {
	return f.DV + ", " + string(f.Direction)
}

func typeString(f plan.Field) string {
	s := string(f.FOType) + "/" + string(f.DVType)
	if f.MaxLength > 0 {
		s += fmt.Sprintf(", max %d", f.MaxLength)
	}
	if f.Scale != nil {
		s += fmt.Sprintf(", scale %d", *f.Scale)
	}
	return s
}

func optional(v *plan.Value) string {
	if v == nil {
		return ""
	}
	return v.JSON
}

func valueString(v *plan.Value) string {
	return orNone(optional(v))
}

func retryString(r plan.Retry) string {
	if r == (plan.Retry{}) {
		return "none"
	}
	return fmt.Sprintf("%d attempts, backoff %s to %s", r.Attempts, durationString(r.InitialBackoffMS), durationString(r.MaxBackoffMS))
}

func durationString(ms int64) string {
	return (time.Duration(ms) * time.Millisecond).String()
}

func thresholdString(v int64, format func(int64) string) string {
	if v == 0 {
		return "unset"
	}
	return format(v)
}

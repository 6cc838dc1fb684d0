package compiler

import (
	"strconv"

	"github.com/dualsync/dualsync/runtime/plan"
)

// Initial sync and monitoring. The limits are the documented ones of
// dual-write's initial sync: 500,000 rows per run per legal entity, results
// from Dataverse within 24 hours (about 70,000 rows in practice), and no
// initial sync from Dataverse for maps with 10 or more lookups. The runtime
// bulk strategy copies rows through the APIs one request at a time, which is
// slow and throttled above roughly 100,000 rows.

const (
	bulkRowsWarn       = 100_000
	initialRowsLimit   = 500_000
	fromDataverseLimit = 70_000
	fromDataverseLooks = 10
)

// checkInitial reports DS190-DS193 and DS210.
func checkInitial(c *checker) {
	for _, m := range c.src.Maps {
		strategy := m.Strategy.V
		if strategy == "bulk" && m.Expected > bulkRowsWarn {
			c.report(m.Strategy.Pos, CodeBulkTooLarge, m.Path+".initial.strategy",
				"bulk initial sync of %s rows copies them through the APIs one request at a time: above %s rows use strategy \"package\" (data package import, then delta)",
				thousands(m.Expected), thousands(bulkRowsWarn))
		}
		switch {
		case (strategy == "bulk" || strategy == "snapshot") && m.Expected > initialRowsLimit:
			c.report(m.ExpectedPos, CodeInitialLimit, m.Path+".initial.expectedRows",
				"%s expected rows exceed the initial-sync limit of %s rows per run per legal entity: use strategy \"package\", or split the initial sync by legal entity",
				thousands(m.Expected), thousands(initialRowsLimit))
		case m.Master.V == string(plan.DV) && m.Expected > fromDataverseLimit:
			c.report(m.ExpectedPos, CodeInitialLimit, m.Path+".initial.expectedRows",
				"%s expected rows with master dv: an initial sync from Dataverse to F&O must finish within 24 hours, about %s rows in practice; make F&O the master or load the rows with a data package first",
				thousands(m.Expected), thousands(fromDataverseLimit))
		}
		if n := lookupCount(m); m.Master.V == string(plan.DV) && n >= fromDataverseLooks {
			c.report(m.Master.Pos, CodeManyLookups, m.Path+".master",
				"map has %d lookups and master dv: an initial sync from Dataverse supports fewer than %d; make F&O the master or split the map",
				n, fromDataverseLooks)
		}
		switch {
		case !m.Monitor.Set:
			c.report(m.Pos, CodeNoMonitor, m.Path+".monitor",
				"map %q has no monitor: add monitor: {alertErrorsPerHour: N} so failing rows raise an alert instead of piling up", m.Name)
		case m.Monitor.AlertErrorsPerHour == 0:
			c.report(m.Monitor.Pos, CodeNoMonitor, m.Path+".monitor.alertErrorsPerHour",
				"monitor has no alertErrorsPerHour: set the number of errors per hour that raises an alert")
		}
		dir := plan.Direction(m.Direction.V)
		if dir != plan.Bidirectional && m.Master.Set && !dir.Flows(plan.Side(m.Master.V)) {
			src := plan.FO
			if dir == plan.DVToFO {
				src = plan.DV
			}
			c.report(m.Master.Pos, CodeMasterOneWay, m.Path+".master",
				"master %s is not the source of this %s map: the initial sync would copy rows against the map's direction; set master: %q",
				m.Master.V, dir, src)
		}
	}
}

// thousands renders n with comma separators: 1,200,000.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	start := 0
	if n < 0 {
		start = 1
	}
	for i := len(s) - 3; i > start; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

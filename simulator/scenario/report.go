package scenario

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// WriteText prints one line per script (PASS, FAIL or SKIP), and for each
// failure its message, seed and the command that replays it; with verbose,
// every script's log.
func (r *Report) WriteText(w io.Writer, verbose bool) error {
	var b strings.Builder
	for _, x := range r.Results {
		fmt.Fprintf(&b, "%-4s %s\n", strings.ToUpper(string(x.Status)), x.Name)
		if x.Status == Fail {
			fmt.Fprintf(&b, "     %s\n", indent(x.Message, "     "))
			fmt.Fprintf(&b, "     seed %d; replay: %s\n", x.Seed, x.Replay)
		}
		if verbose || x.Status == Fail {
			if log := strings.TrimSpace(x.Log); log != "" && (verbose || !strings.Contains(x.Message, log)) {
				fmt.Fprintf(&b, "     log:\n     %s\n", indent(log, "     "))
			}
		}
	}
	failed := r.Failed()
	if failed > 0 {
		fmt.Fprintf(&b, "FAIL %d of %d scenario scripts in %s (seed %d)\n", failed, len(r.Results), r.Dir, r.Seed)
	} else {
		fmt.Fprintf(&b, "ok   %d scenario scripts in %s, each run twice with identical traces (seed %d)\n", len(r.Results), r.Dir, r.Seed)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func indent(s, prefix string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitFailure `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the report as JUnit XML: one testsuite for the
// directory, one testcase per script, a failure element with the message,
// the seed, the replay command and the log.
func (r *Report) WriteJUnit(w io.Writer) error {
	s := junitSuite{
		Name:  r.Dir,
		Tests: len(r.Results),
		Time:  seconds(r.Time.Seconds()),
		Properties: []junitProperty{
			{Name: "seed", Value: fmt.Sprint(r.Seed)},
			{Name: "plan", Value: r.PlanDigest},
		},
	}
	for _, x := range r.Results {
		c := junitCase{Name: x.Name, Classname: "scenario", File: x.File, Time: seconds(x.Time.Seconds())}
		switch x.Status {
		case Fail:
			s.Failures++
			c.Failure = &junitFailure{
				Message: firstLine(x.Message),
				Type:    "scenario",
				Text:    fmt.Sprintf("%s\n\nseed %d; replay: %s\n\n%s", x.Message, x.Seed, x.Replay, x.Log),
			}
		case Skip:
			s.Skipped++
			c.Skipped = &junitFailure{Message: firstLine(x.Message)}
		}
		s.Cases = append(s.Cases, c)
	}
	doc := junitSuites{Name: "dualsync test", Tests: s.Tests, Failures: s.Failures, Skipped: s.Skipped, Time: s.Time, Suites: []junitSuite{s}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func seconds(s float64) string { return fmt.Sprintf("%.3f", s) }

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

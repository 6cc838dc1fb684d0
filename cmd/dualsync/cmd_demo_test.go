package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dualsync/dualsync/simulator/fake"
)

func TestDemo(t *testing.T) {
	for _, transport := range []string{"memory", "http"} {
		t.Run(transport, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := cmdDemo([]string{"--transport", transport, "--seed", "3"}, stdio{out: &out, err: &errb})
			if code != 0 {
				t.Fatalf("demo exit %d\n%s\n%s", code, out.String(), errb.String())
			}
			for _, want := range []string{"✓ initial sync", "✓ both directions", "✓ concurrent edit", "✓ dependency order",
				"✓ invalid enum value", "✓ counts match", "All 6 checks passed"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("no %q in\n%s", want, out.String())
				}
			}
			if strings.Contains(out.String(), "✗") || errb.Len() > 0 {
				t.Errorf("a failure is reported:\n%s\n%s", out.String(), errb.String())
			}
		})
	}
}

func TestDemoUsage(t *testing.T) {
	var errb bytes.Buffer
	if code := cmdDemo([]string{"--transport", "carrier-pigeon"}, stdio{out: &errb, err: &errb}); code != 2 {
		t.Errorf("unknown transport: exit %d", code)
	}
	if code := cmdDemo([]string{"extra"}, stdio{out: &errb, err: &errb}); code != 2 {
		t.Errorf("an argument: exit %d", code)
	}
}

// TestDemoNamesFailedChecks breaks F&O for one field: the checks that
// need it fail and are named, the others pass.
func TestDemoNamesFailedChecks(t *testing.T) {
	broken := func(ds demoSetup) (*demoServices, error) {
		// F&O lost the job title of contacts (schema drift): no contact
		// written in Dataverse can reach it.
		ds.fo.Drop = []fake.FieldRef{{Set: "ContactPersonsV2", Field: "JobTitle"}}
		return demoInProcess(ds)
	}
	var out bytes.Buffer
	d := &demo{std: stdio{out: &out, err: &out}, dir: t.TempDir(), seed: 1, connect: broken, timeout: time.Second}
	failed, err := d.run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"initial sync", "both directions", "counts match"}; !slices.Equal(failed, want) {
		t.Errorf("failed checks %q, want %q\n%s", failed, want, out.String())
	}
	for _, want := range []string{"✗ both directions: timed out after 1s waiting for customer US-050 in Dataverse and contact P-50 in F&O",
		"✗ initial sync: timed out after 1s waiting for the sample data on the other side: 3 missing (contact usmf|P-1,",
		"✓ concurrent edit", "✓ dependency order", "✓ invalid enum value", "✗ counts match: ",
		"3 of 6 checks failed in "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in\n%s", want, out.String())
		}
	}
}

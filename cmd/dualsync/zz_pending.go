package main

import (
	"errors"

	"github.com/dualsync/dualsync/runtime/plan"
)

// Temporary until the helpers land their files.
func cmdPlanWith(args []string, std stdio, compile func(string) (*plan.Plan, error)) int {
	return fail(std, "plan", errors.New("pending"))
}
func cmdDocsWith(args []string, std stdio, compile func(string) (*plan.Plan, error)) int {
	return fail(std, "docs", errors.New("pending"))
}
func cmdImportMetadata(args []string, std stdio) int {
	return fail(std, "import-metadata", errors.New("pending"))
}

package main

func cmdPlan(args []string, std stdio) int { return cmdPlanWith(args, std, compileDir) }

func cmdDocs(args []string, std stdio) int { return cmdDocsWith(args, std, compileDir) }

package main

import (
	"errors"
	"flag"
	"io"
)

// parseArgs parses flags that may come before or after the positional
// arguments (dualsync compile maps -o plan.json) and returns the positional
// ones. A lone "--" ends flag parsing.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// setUsage makes fs print text, then its flags' defaults, to w.
func setUsage(fs *flag.FlagSet, w io.Writer, text string) {
	fs.Usage = func() {
		io.WriteString(w, text)
		fs.PrintDefaults()
	}
}

// parseCommand parses a command's arguments with parseArgs. When ok is
// false the command ends with code: 0 after -h, 2 after a bad flag (fs has
// said what was wrong).
func parseCommand(fs *flag.FlagSet, args []string) (pos []string, code int, ok bool) {
	pos, err := parseArgs(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return nil, 0, false
	case err != nil:
		return nil, 2, false
	}
	return pos, 0, true
}

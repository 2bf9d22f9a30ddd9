package main

import (
	"context"
	"fmt"

	"github.com/journeykpi/journeykpi/pipeline"
)

// validateHelp is what `journeykpi validate --help` says after the flags.
const validateHelp = `
Checks the config (unknown keys, every value) and the source's schema: that every column of the
data contract the config needs is there with a type journeykpi can read, and the same for the
spend source's date, touchpoint and cost when there is one. Reads no rows.
`

func cmdValidate(ctx context.Context, args []string, e env) error {
	f := newFlags("validate", "validate [--config F]")
	cfgPath := f.String("config", "", "config `file` (default: the built-in example)")
	if help, err := parseArgs(f, args, e.stdout, validateHelp); help || err != nil {
		return err
	}
	cfg, fsys, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	report, err := pipeline.CheckSchema(ctx, cfg, fsys)
	if err != nil {
		return &codedError{code: exitUsage, err: err}
	}
	fmt.Fprintf(e.stdout, "config %s: ok\n%s", cfg.Origin, report)
	return nil
}

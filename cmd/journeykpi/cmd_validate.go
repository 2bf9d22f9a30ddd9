package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/journeykpi/journeykpi/internal/fault"
	"github.com/journeykpi/journeykpi/pipeline/source"
	"github.com/journeykpi/journeykpi/pipeline/source/files"
)

// validateHelp is what `journeykpi validate --help` says after the flags.
const validateHelp = `
Checks the config (unknown keys, every value) and the source's schema: that every column of the
data contract the config needs is there with a type journeykpi can read, and the same for the
spend source's date, touchpoint and cost when there is one. Reads no rows.
`

func cmdValidate(ctx context.Context, args []string, e console) error {
	f := newFlags("validate", "validate [--config F]")
	cfgPath := f.String("config", "", "config `file` (default: the built-in example)")
	if help, err := parseArgs(f, args, e.stdout, validateHelp); help || err != nil {
		return err
	}
	cfg, fsys, err := loadConfig(*cfgPath, e)
	if err != nil {
		return err
	}
	report, err := source.CheckSchema(ctx, cfg, fsys)
	if err != nil {
		return sourceConfigErr(err)
	}
	fmt.Fprintf(e.stdout, "config %s: ok\n%s", cfg.Origin, report)
	return nil
}

// sourceConfigErr classifies what stops validate or inspect from opening and reading the source
// as configured (a path that matches nothing, a column missing): the config's to fix, unless the
// error knows better (a BigQuery permission, a file whose content is not its format).
func sourceConfigErr(err error) error {
	var fe *files.Error
	if fault.KindOf(err) == fault.Internal || errors.As(err, &fe) && fe.NoMatch {
		return fault.Wrap(fault.Config, err)
	}
	return err
}

package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/journeykpi/journeykpi/internal/sample"
)

// sampleHelp is what `journeykpi sample --help` says after the flags.
const sampleHelp = `
Writes deterministic synthetic touchpoint events (events.parquet, the data contract's columns) and
daily spend per paid touchpoint (spend.csv), 2026-01-01 to 2026-06-30. Customer i's journey depends
only on (seed, i), so a smaller sample is a prefix of a larger one. See docs/sample.md.
`

func cmdSample(ctx context.Context, args []string, e console) error {
	f := newFlags("sample", "sample --customers N --out DIR [--seed S]")
	customers := f.Int("customers", 0, "number of customers to simulate (required, at least 1)")
	out := f.String("out", "", "output `directory` (required); events.parquet and spend.csv are written there")
	seed := f.Int64("seed", 1, "random seed: the same seed and size give byte-identical files")
	if help, err := parseArgs(f, args, e.stdout, sampleHelp); help || err != nil {
		return err
	}
	if *customers < 1 {
		return usageErr("sample: --customers must be at least 1")
	}
	if *out == "" {
		return usageErr("sample: --out is required")
	}
	st, err := sample.Write(*out, sample.Options{Customers: *customers, Seed: *seed})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %d events of %d customers, %d orders by %d purchasers, revenue %.2f\n",
		filepath.Join(*out, "events.parquet"), st.Events, st.Customers, st.Orders, st.Purchasers, st.Revenue)
	fmt.Fprintf(e.stdout, "%s: %d rows of daily spend, cost %.2f\n", filepath.Join(*out, "spend.csv"), st.SpendRows, st.Cost)
	return nil
}

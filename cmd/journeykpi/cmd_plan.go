package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/pipeline"
	"github.com/journeykpi/journeykpi/pipeline/source"
)

// planHelp is what `journeykpi plan --help` says after the flags.
const planHelp = `
Shows what 'run' would read for the window, without reading it: for BigQuery a dry run prints
the SQL, its parameters and the bytes the query would scan (nothing is billed); for files, the
files and their sizes. The read range is wider than the window: the previous period, the repeat
history and the attribution look-back before it, the funnel horizon after it.

Refuses, with exit code 2, when a BigQuery read would scan more than its max_bytes_billed: the
run would fail the same way. Narrow the window or raise source.bigquery.max_bytes_billed.
`

func cmdPlan(ctx context.Context, args []string, e console) error {
	f := newFlags("plan", "plan [--config F] [--from D --to D | --date D]")
	cfgPath := f.String("config", "", "config `file` (default: $JOURNEYKPI_CONFIG, /etc/journeykpi/config.yaml, else the built-in example)")
	wf := addWindowFlags(f, "plan")
	if help, err := parseArgs(f, args, e.stdout, planHelp); help || err != nil {
		return err
	}
	cfg, fsys, err := loadConfig(*cfgPath, e)
	if err != nil {
		return err
	}
	win, err := wf.resolve(cfg, time.Now())
	if err != nil {
		return err
	}
	start, end := pipeline.ReadRange(&cfg, win)
	fmt.Fprintf(e.stdout, "window %s (%s); read range %s to %s\n", win, cfg.Report.Timezone,
		start.Format(time.RFC3339), end.Format(time.RFC3339))

	src, err := source.Open(ctx, &cfg, fsys, e.logger)
	if err != nil {
		return err
	}
	if c, ok := src.(source.Closer); ok {
		defer c.Close()
	}
	src = pipeline.Narrowed(&cfg, win, src)
	if err := planSource(ctx, e.stdout, "events", src, start, end, limitOf(cfg.Source.Kind, cfg.Source.BigQuery), "source.bigquery.max_bytes_billed"); err != nil {
		return err
	}
	spend, err := source.OpenSpend(ctx, &cfg, fsys, e.logger)
	if err != nil {
		return err
	}
	if spend == nil {
		return nil
	}
	if c, ok := spend.(source.Closer); ok {
		defer c.Close()
	}
	sp := cfg.Source.Spend
	return planSource(ctx, e.stdout, "spend", spend, start, end, limitOf(sp.Kind, sp.BigQuery), "source.spend.bigquery.max_bytes_billed")
}

// limitOf is the byte limit a source kind enforces (0: none).
func limitOf(kind string, b config.BigQuery) int64 {
	if kind != "bigquery" {
		return 0
	}
	return int64(b.MaxBytesBilled)
}

// planSource prints one source's plan and refuses a read above limit bytes.
func planSource(ctx context.Context, w io.Writer, what string, src source.Source, start, end time.Time, limit int64, key string) error {
	p, ok := src.(source.Planner)
	if !ok {
		fmt.Fprintf(w, "\n%s: %s cannot estimate a read\n", what, source.Describe(src))
		return nil
	}
	text, n, err := p.Plan(ctx, start, end)
	if err != nil {
		return fmt.Errorf("plan %s: %w", what, err)
	}
	fmt.Fprintf(w, "\n%s:\n%s", what, text)
	if len(text) > 0 && text[len(text)-1] != '\n' {
		fmt.Fprintln(w)
	}
	if n < 0 {
		fmt.Fprintf(w, "%s: bytes to scan unknown\n", what)
		return nil
	}
	fmt.Fprintf(w, "%s: %s to scan (%d bytes)\n", what, humanBytes(n), n)
	if limit > 0 && n > limit {
		return usageErr("%s: the %s read would scan %s, above the limit of %s; narrow --from/--to or raise it",
			key, what, humanBytes(n), humanBytes(limit))
	}
	return nil
}

// humanBytes writes n in decimal units, as BigQuery bills them.
func humanBytes(n int64) string {
	units := []string{"B", "KB", "MB", "GB", "TB", "PB"}
	f := float64(n)
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.2f %s", f, units[i])
}

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/journeykpi/journeykpi/internal/fault"
	"github.com/journeykpi/journeykpi/pipeline"
	"github.com/journeykpi/journeykpi/pipeline/schedule"
	"github.com/journeykpi/journeykpi/pipeline/window"
)

// backfillHelp is what `journeykpi backfill --help` says after the flags.
const backfillHelp = `
Writes one report per day, week or calendar month lying wholly inside --from..--to, oldest first,
into the same files the schedule writes. Resumable and data-aware: a period the ledger has written
from the same config (its report-relevant part) and the same input (files: paths, sizes, times;
BigQuery: the tables' last-modified times) is skipped unless --force. A failed period, or one
without data, is reported and the others go on (exit 5 when any was not written). Exit 4 when
another backfill, a run, or the scheduler running a report holds the output lock; an idle
scheduler does not block it.
`

func cmdBackfill(ctx context.Context, args []string, e console) error {
	f := newFlags("backfill", "backfill [--config F] --from D --to D [--every day|week|month] [--force] [--out DIR]")
	cfgPath := f.String("config", "", "config `file` (default: $JOURNEYKPI_CONFIG, /etc/journeykpi/config.yaml, else the built-in example)")
	from := f.String("from", "", "first `day` of the range, YYYY-MM-DD (report time zone)")
	to := f.String("to", "", "last `day` of the range, inclusive")
	every := f.String("every", "day", "one report per `step`: day, week (Monday to Sunday) or month")
	force := f.Bool("force", false, "recompute periods the ledger already has from the same config and input")
	out := f.String("out", "", "output `directory` (default: report.out)")
	if help, err := parseArgs(f, args, e.stdout, backfillHelp); help || err != nil {
		return err
	}
	if *from == "" || *to == "" {
		return usageErr("backfill: --from and --to are required")
	}
	cfg, fsys, err := loadConfig(*cfgPath, e)
	if err != nil {
		return err
	}
	rng, err := flagWindow(*from, *to, cfg.Location())
	if err != nil {
		return err
	}
	windows, partial, err := window.Split(rng, *every)
	if err != nil {
		return usageErr("backfill: --every: %v", err)
	}
	if len(windows) == 0 {
		return usageErr("backfill: no whole %s lies in %s", *every, rng)
	}
	st, err := openStateDir(ctx, cfg, *out, schedule.OutputLockFile, "backfill", 0, e)
	if err != nil {
		return err
	}
	defer st.lock.Release()
	st.cleanOutput()
	// Runs a killed backfill left "running" are marked abandoned; the resume rule redoes them.
	if dead, err := st.ledger.Abandon(time.Now()); err != nil {
		st.log.Error("ledger not written", "error", err.Error())
	} else if len(dead) > 0 {
		st.log.Warn("runs of a killed process marked abandoned", "runs", len(dead))
	}
	for _, p := range partial {
		st.log.Warn("partial period left out", "window", p.String())
	}
	b := &schedule.Backfill{
		Report: cfg.Report.Name, Windows: windows, Force: *force, ConfigHash: pipeline.ConfigHash(&cfg),
		Ledger: st.ledger, Run: reportRunner(cfg, st.out, fsys), Fingerprint: inputFingerprint(cfg, fsys),
		Logger: st.log, Webhook: cfg.Schedule.Webhook,
	}
	if e.terminal {
		// The bar says what the info lines would; warnings and errors still print.
		b.Progress = progressBar(e.stderr)
		b.Logger = slog.New(minLevel{Handler: st.log.Handler(), min: slog.LevelWarn})
	}
	s := b.Do(ctx)
	fmt.Fprintf(e.stdout, "backfill %s every %s: %d written (%d ok, %d incomplete), %d skipped (unchanged), %d no data, %d failed\n",
		rng, *every, s.Written(), s.OK, s.Incomplete, s.Skipped, len(s.NoData), len(s.Failed))
	for _, fl := range s.NoData {
		fmt.Fprintf(e.stdout, "  no data %s: %v\n", fl.Window, fl.Err)
	}
	for _, fl := range s.Failed {
		fmt.Fprintf(e.stdout, "  failed %s: %v\n", fl.Window, fl.Err)
	}
	switch {
	case s.Interrupted:
		return context.Canceled
	case len(s.Failed)+len(s.NoData) > 0:
		return fault.Errorf(fault.Partial, "backfill: %d of %d periods failed and %d had no data; rerun the same command to retry them",
			len(s.Failed), len(windows), len(s.NoData))
	}
	return nil
}

// progressBar draws one redrawn line on a terminal: [#####.....] 12/30 2026-03-12 ok.
func progressBar(w io.Writer) func(done, total int, win window.Window, status string) {
	const width = 30
	return func(done, total int, win window.Window, status string) {
		n := width * done / max(total, 1)
		fmt.Fprintf(w, "\r[%s%s] %d/%d %s %-11s", strings.Repeat("#", n), strings.Repeat(".", width-n), done, total, win, status)
		if done == total && status != schedule.OutcomeRunning {
			fmt.Fprintln(w)
		}
	}
}

// minLevel drops records below min.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{Handler: h.Handler.WithAttrs(as), min: h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{Handler: h.Handler.WithGroup(name), min: h.min}
}

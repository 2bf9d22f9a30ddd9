package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/pipeline"
	"github.com/journeykpi/journeykpi/pipeline/schedule"
	"github.com/journeykpi/journeykpi/pipeline/shard"
	"github.com/journeykpi/journeykpi/pipeline/window"
)

// runHelp is what `journeykpi run --help` says after the flags.
const runHelp = `
Without --from/--to/--date the report covers report.from..report.to from the config, or else the
schedule period before today (previous_day by default). Writes <out>/<name>_<from>_<to>.xlsx and
.json and the manifest naming both, together: on failure the previous report stays as it was.
Takes the output lock that backfill and schedule take (waiting up to --wait, then exit 4 naming
its holder) and records the run in the ledger. A period without events is exit 3; one the data
cover in part is written with a warning (status incomplete).

With --by week|month|quarter the workbook's Periods sheet and the JSON periods[] hold the headline
KPIs of every such period of the range, each computed with the same rules (periods cut by the
range's ends are marked partial): one file for a long range instead of one per period.

With --shard i/N the run folds only the customers of shard i of N (0 ≤ i < N ≤ 256) and writes
their accumulators to <out>/<name>_<from>_<to>.shard-i-of-N instead of a report; 'journeykpi
merge' makes the report of all N, byte for byte the report one run would write (from a BigQuery
compact table, all but the About sheet, which shows shard 0's query). A shard takes
no lock and records nothing in the ledger: the N shards of a report run at once.
`

func cmdRun(ctx context.Context, args []string, e console) error {
	f := newFlags("run", "run [--config F] [--from D --to D | --date D] [--out DIR] [--wait D] [--by week|month|quarter] [--shard i/N]")
	cfgPath := f.String("config", "", "config `file` (default: $JOURNEYKPI_CONFIG, /etc/journeykpi/config.yaml, else the built-in example)")
	wf := addWindowFlags(f, "report")
	out := f.String("out", "", "output `directory` (default: report.out)")
	wait := f.Duration("wait", 0, "how long to wait while another journeykpi holds this output's lock, e.g. 10m (0: exit 4 at once)")
	timings := f.Bool("timings", false, "add step timings to the About sheet (the file then differs between runs)")
	by := f.String("by", "", "add the headline KPIs of every `period` (week, month or quarter) of the range: the Periods sheet")
	shardFlag := f.String("shard", "", "fold only the customers of shard `i/N` and write their state for 'merge'")
	if help, err := parseArgs(f, args, e.stdout, runHelp); help || err != nil {
		return err
	}
	switch *by {
	case "", window.ByWeek, window.ByMonth, window.ByQuarter:
	default:
		return usageErr("--by: %q is not a period (week | month | quarter)", *by)
	}
	var sh *shard.Shard
	if *shardFlag != "" {
		s, err := shard.Parse(*shardFlag)
		if err != nil {
			return usageErr("--shard: %v", err)
		}
		sh = &s
	}
	cfg, fsys, err := loadConfig(*cfgPath, e)
	if err != nil {
		return err
	}
	win, err := wf.resolve(cfg, time.Now())
	if err != nil {
		return err
	}
	if sh != nil {
		return runShard(ctx, pipeline.Job{Config: cfg, Window: win, Out: *out, FS: fsys, Version: version, Timings: *timings,
			Progress: progressWriter(e), Shard: sh, By: *by}, e)
	}
	// The same output lock as backfill and schedule: a run and a backfill of one period never
	// write it at once, and the ledger records which of them wrote the files on disk.
	st, err := openStateDir(ctx, cfg, *out, schedule.OutputLockFile, "run", *wait, e)
	if err != nil {
		return err
	}
	defer st.lock.Release()
	st.cleanOutput()
	run := func(ctx context.Context, w window.Window, log *slog.Logger) (schedule.Result, error) {
		return runReport(ctx, pipeline.Job{
			Config: cfg, Window: w, Out: st.out, FS: fsys, Logger: log, Version: version, Timings: *timings,
			Progress: progressWriter(e), By: *by,
		})
	}
	single := &schedule.Single{Report: cfg.Report.Name, ConfigHash: pipeline.ConfigHash(&cfg), Ledger: st.ledger, Run: run,
		Fingerprint: inputFingerprint(cfg, fsys), Logger: st.log, Webhook: cfg.Schedule.Webhook}
	ent, err := single.Do(ctx, win)
	if err != nil {
		// The run logged its failure with its run_id and window.
		return &runError{err: err, logged: true}
	}
	for _, p := range ent.Files {
		fmt.Fprintln(e.stdout, p)
	}
	return nil
}

// runError is a failed run's error that the run already logged (with its run_id and window), so
// that exitCode only prints its plain line.
type runError struct {
	err    error
	logged bool
}

func (e *runError) Error() string { return e.err.Error() }
func (e *runError) Unwrap() error { return e.err }

// windowFlags are the --from, --to and --date flags of the commands that report one window.
type windowFlags struct{ from, to, date *string }

// addWindowFlags declares them on f; verb says what the command does with a day ("report").
func addWindowFlags(f *flag.FlagSet, verb string) windowFlags {
	return windowFlags{
		from: f.String("from", "", "first `day` of the report, YYYY-MM-DD (report time zone)"),
		to:   f.String("to", "", "last `day` of the report, inclusive"),
		date: f.String("date", "", verb+" a single `day` (instead of --from/--to): YYYY-MM-DD, yesterday or today"),
	}
}

// resolve is resolveWindow over the parsed flags.
func (w windowFlags) resolve(cfg config.Config, now time.Time) (window.Window, error) {
	return resolveWindow(cfg, *w.from, *w.to, *w.date, now)
}

// resolveWindow turns the --from/--to/--date flags into a window in the report time zone.
func resolveWindow(cfg config.Config, from, to, date string, now time.Time) (window.Window, error) {
	loc := cfg.Location()
	switch {
	case date != "" && (from != "" || to != ""):
		return window.Window{}, usageErr("--date cannot be combined with --from/--to")
	case date != "":
		// "yesterday" and "today" are resolved in the report time zone, so a scheduler without a
		// shell (a Kubernetes CronJob on a distroless image) can still ask for a given day.
		switch date {
		case "yesterday":
			date = now.In(loc).AddDate(0, 0, -1).Format(time.DateOnly)
		case "today":
			date = now.In(loc).Format(time.DateOnly)
		}
		w, err := window.Day(date, loc)
		if err != nil {
			return w, usageErr("--date: %v", err)
		}
		return w, nil
	case from != "" || to != "":
		return flagWindow(from, to, loc)
	case cfg.Report.From != "":
		return window.Parse(cfg.Report.From, cfg.Report.To, loc)
	}
	// The schedule period before now, in the report time zone.
	return window.Last(cfg.Schedule.Period, now, loc)
}

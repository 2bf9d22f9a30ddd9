package main

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"
	"time"

	"cloud.google.com/go/civil"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/pipeline"
	"github.com/journeykpi/journeykpi/pipeline/schedule"
	"github.com/journeykpi/journeykpi/pipeline/window"
)

// syncHelp is what `journeykpi sync --help` says after the flags.
const syncHelp = `
Rebuilds days of the compact touchpoint table (source.bigquery.sync.table) from the BigQuery
source: by default today (UTC) and the source.bigquery.sync.days days before it, which covers
GA4's updates of a day up to 72 hours late; --from/--to (UTC days, inclusive) backfill a range,
a month per transaction. Each transaction deletes its days and inserts them again, so a sync can
be rerun. The scheduler syncs before each night's reports by itself.
`

func cmdSync(ctx context.Context, args []string, e console) error {
	f := newFlags("sync", "sync [--config F] [--from D --to D]")
	cfgPath := f.String("config", "", "config `file`")
	from := f.String("from", "", "first UTC `day` to rebuild, YYYY-MM-DD")
	to := f.String("to", "", "last UTC `day` to rebuild, inclusive")
	if help, err := parseArgs(f, args, e.stdout, syncHelp); help || err != nil {
		return err
	}
	cfg, _, err := loadConfig(*cfgPath, e)
	if err != nil {
		return err
	}
	job := pipeline.SyncJob{Config: cfg, Now: time.Now(), Progress: progressWriter(e)}
	if *from != "" || *to != "" {
		w, err := flagWindow(*from, *to, time.UTC)
		if err != nil {
			return err
		}
		job.From, job.To = civil.DateOf(w.From), civil.DateOf(w.To)
	}
	log := e.logger.With("run_id", runID(), "trigger", "sync")
	job.Logger = log
	days, err := pipeline.Sync(ctx, job)
	for _, d := range days {
		fmt.Fprintf(e.stdout, "%s  %d rows kept of %d, %d without a client id, %d refunds\n", d.Day, d.Kept, d.Staged, d.NoClientID, d.Refunds)
	}
	return err
}

// syncEvery is how long a sync stays good for the scheduler's reports: the runs of one fire time
// (and a catch-up after it) share a sync; the next night's make their own.
const syncEvery = time.Hour

// scheduled are the scheduler's RunFunc and FingerprintFunc. When the config has a compact
// table, the first of them to be called in an hour rebuilds its recent days, so that the inputs
// are fingerprinted, and the reports read, after the night's sync; a sync the fingerprint makes
// logs to log (its job ids and counts are the night's record). The run asks the source whether
// the period's data are there (source.bigquery.freshness).
func scheduled(cfg config.Config, out string, fsys fs.FS, log *slog.Logger) (schedule.RunFunc, schedule.FingerprintFunc) {
	var mu sync.Mutex
	var synced time.Time
	syncIfDue := func(ctx context.Context, log *slog.Logger) error {
		if cfg.Source.Kind != "bigquery" || cfg.Source.BigQuery.Sync.Table == "" {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		if time.Since(synced) < syncEvery {
			return nil
		}
		if _, err := pipeline.Sync(ctx, pipeline.SyncJob{Config: cfg, Now: time.Now(), Logger: log.With("step", "sync")}); err != nil {
			return fmt.Errorf("sync before the report: %w", err)
		}
		synced = time.Now()
		return nil
	}
	run := func(ctx context.Context, w window.Window, log *slog.Logger) (schedule.Result, error) {
		if err := syncIfDue(ctx, log); err != nil {
			return schedule.Result{}, err
		}
		return runReport(ctx, pipeline.Job{Config: cfg, Window: w, Out: out, FS: fsys, Logger: log, Version: version, CheckFreshness: true})
	}
	fp := inputFingerprint(cfg, fsys)
	fingerprint := func(ctx context.Context, w window.Window) (string, error) {
		if err := syncIfDue(ctx, log.With("window", w.String())); err != nil {
			return "", err
		}
		return fp(ctx, w)
	}
	return run, fingerprint
}

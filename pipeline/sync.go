package pipeline

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"cloud.google.com/go/civil"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/internal/fault"
	"github.com/journeykpi/journeykpi/pipeline/source"
	"github.com/journeykpi/journeykpi/pipeline/source/bigquery"
)

// syncChunkDays is the most days one sync transaction rebuilds: a backfill runs month by month,
// so that each job's scan and its transaction stay bounded.
const syncChunkDays = 31

// SyncJob rebuilds days of the compact touchpoint table (source.bigquery.sync).
type SyncJob struct {
	Config config.Config
	// From and To are the UTC days to rebuild, inclusive; zero means the last sync.days days
	// before Now's day and that day so far.
	From, To civil.Date
	Now      time.Time
	Logger   *slog.Logger
	// Progress receives a line per transaction when non-nil.
	Progress io.Writer
}

// SyncRange is the days a sync without --from/--to rebuilds: today (UTC) and the days before it,
// enough of them to cover GA4's late updates (up to 72 hours) and the ad platforms' reloads.
func SyncRange(cfg *config.Config, now time.Time) (from, to civil.Date) {
	to = civil.DateOf(now.UTC())
	return to.AddDays(-cfg.Source.BigQuery.Sync.Days), to
}

// Sync rebuilds the days of job, each run of up to 31 days in one transaction (transient failures
// retried under source.bigquery.retry), and returns what BigQuery recorded for each day.
func Sync(ctx context.Context, job SyncJob) ([]bigquery.SyncDay, error) {
	cfg := &job.Config
	log := job.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	from, to := job.From, job.To
	if from.IsZero() {
		if job.Now.IsZero() {
			job.Now = time.Now()
		}
		from, to = SyncRange(cfg, job.Now)
	}
	if to.Before(from) {
		return nil, fault.Errorf(fault.Config, "sync: %s is before %s", to, from)
	}
	src, err := source.OpenSync(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	var days []bigquery.SyncDay
	for first := from; !first.After(to); first = first.AddDays(syncChunkDays) {
		last := first.AddDays(syncChunkDays - 1)
		if last.After(to) {
			last = to
		}
		start := time.Now()
		got, err := retrySync(ctx, cfg.Source.BigQuery.Retry, log, waitCtx, func() ([]bigquery.SyncDay, error) {
			return src.Sync(ctx, first, last)
		})
		if err != nil {
			// Each transaction committed or rolled back whole: say what is done and what to rerun.
			rest := fmt.Sprintf("nothing was changed; rerun journeykpi sync --from %s --to %s", from, to)
			if first != from {
				rest = fmt.Sprintf("%s..%s were synced; rerun journeykpi sync --from %s --to %s for the rest", from, first.AddDays(-1), first, to)
			}
			return days, fmt.Errorf("sync %s..%s: %w (%s)", first, last, interrupted(ctx, err), rest)
		}
		var staged, kept, left int64
		for _, d := range got {
			staged, kept, left = staged+d.Staged, kept+d.Kept, left+d.NoClientID
		}
		log.Info("synced", "from", first.String(), "to", last.String(), "rows_staged", staged, "rows_kept", kept,
			"no_client_id", left, "seconds", time.Since(start).Seconds())
		if job.Progress != nil {
			fmt.Fprintf(job.Progress, "  %s..%s  %d rows kept of %d, %d without a client id\n", first, last, kept, staged, left)
		}
		days = append(days, got...)
	}
	return days, nil
}

// retrySync calls sync until it succeeds, fails with an error that is not transient, or has made
// r.Attempts attempts, waiting r.Backoff(n) before the n-th retry (the pause a read's retries
// and a resumed stream take too).
func retrySync(ctx context.Context, r config.Retry, log *slog.Logger, wait func(context.Context, time.Duration),
	sync func() ([]bigquery.SyncDay, error)) ([]bigquery.SyncDay, error) {
	for attempt := 1; ; attempt++ {
		got, err := sync()
		if err == nil || !source.IsTransient(err) || attempt >= r.Attempts || ctx.Err() != nil {
			return got, err
		}
		pause := r.Backoff(attempt)
		log.Warn("sync failed, retrying", "attempt", attempt, "pause_seconds", pause.Seconds(), "error", err.Error())
		wait(ctx, pause)
	}
}

// waitCtx pauses for d or until ctx ends.
func waitCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

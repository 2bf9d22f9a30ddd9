package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/internal/fault"
	"github.com/journeykpi/journeykpi/kpi"
	"github.com/journeykpi/journeykpi/pipeline/source"
	"github.com/journeykpi/journeykpi/pipeline/window"
)

// ErrNotFresh is a scheduled report not run because the source has no data on the period's last
// day yet (source.bigquery.freshness: wait); a later run of the schedule makes it. Errors wrap it
// with what the source said.
var ErrNotFresh = errors.New("the source has no data through the period's end yet")

// SourceNotFresh is the warning code of a report made although the source has no data on the
// period's last day yet (source.bigquery.freshness: warn).
const SourceNotFresh = "source_not_fresh"

// checkFreshness asks src whether its data reach the last day of job's window, and acts by the
// configured policy: nothing when they do; else a warning in the report (warn), or an error that
// skips the report until a later run (wait) or fails it (fail).
func checkFreshness(ctx context.Context, job *Job, src source.Source) error {
	f, ok := src.(source.Freshener)
	if !ok || job.Config.Source.Kind != "bigquery" {
		return nil
	}
	last := lastDay(job.Window, job.Config.Location())
	fresh, detail, err := f.Fresh(ctx, last)
	if err != nil {
		return fmt.Errorf("freshness of %s: %w", source.Describe(src), err)
	}
	job.Logger.Info("source freshness", "fresh", fresh, "detail", detail, "day", last.Format(time.DateOnly))
	if fresh {
		return nil
	}
	day := last.Format(time.DateOnly)
	switch job.Config.Source.BigQuery.Freshness {
	case "warn":
		job.freshness = append(job.freshness, kpi.Warning{Code: SourceNotFresh, Message: fmt.Sprintf(
			"The source had no data on %s, the period's last day, when this report was made (%s): its numbers will change when the data arrive.", day, detail)})
		return nil
	case "wait":
		return fault.Wrap(fault.Data, fmt.Errorf("%w: no data on %s (%s); waiting for a later run (source.bigquery.freshness: wait)", ErrNotFresh, day, detail))
	}
	return fault.Wrap(fault.Data, fmt.Errorf("%w: no data on %s (%s); source.bigquery.freshness: fail", ErrNotFresh, day, detail))
}

// lastDay is the start of w's last day in loc.
func lastDay(w window.Window, loc *time.Location) time.Time {
	d := w.End().Add(-time.Nanosecond).In(loc)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
}

// Narrowed is src narrowed for a report over w as Run narrows it (the split read), when it can
// be: what plan shows is what run reads.
func Narrowed(cfg *config.Config, w window.Window, src source.Source) source.Source {
	n, ok := src.(source.Narrower)
	if !ok || cfg.Source.History != "orders" {
		return src
	}
	ns, _ := n.Narrow(source.Narrowing{FullFrom: FullFrom(cfg, w)})
	return ns
}

package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/journeykpi/journeykpi/reports"
)

// write writes the report's workbook and JSON, each atomically, and returns their paths. If the
// second file cannot be written the first is removed, so a failed run leaves no report.
func write(ctx context.Context, job *Job, in *readOutput, o *Outcome, t *stepTimer) ([]string, error) {
	out := outputDir(job)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	base := OutputBase(out, job.Config.Report.Name, job.Window)
	about, err := aboutReport(job, in, o, t)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	xlsx, js := base+".xlsx", base+".json"
	if err := reports.WriteWorkbook(xlsx, o.Result, about); err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	if err := reports.WriteJSON(js, o.Result); err != nil {
		return nil, errors.Join(fmt.Errorf("output: %w", err), os.Remove(xlsx))
	}
	return []string{xlsx, js}, nil
}

// aboutReport is what the About sheet says of the run: the source, its query or files, the
// parameters, the effective config and the version. Timings only when asked for, since they make
// the bytes differ between runs of the same report.
func aboutReport(job *Job, in *readOutput, o *Outcome, t *stepTimer) (reports.About, error) {
	cfg := &job.Config
	y, err := cfg.Marshal()
	if err != nil {
		return reports.About{}, fmt.Errorf("output: config: %w", err)
	}
	loc := cfg.Location()
	a := reports.About{
		Actions: cfg.Allocation.Actions,
		Source:  o.Source,
		Query:   o.LastRead,
		Config:  string(y),
		Version: job.Version,
		Parameters: [][2]string{
			{"config", cfg.Origin},
			{"config hash", o.ConfigHash},
			{"window", job.Window.String()},
			{"previous window", job.Window.Comparison().String()},
			{"read from", in.start.In(loc).Format(time.RFC3339)},
			{"read to (exclusive)", in.end.In(loc).Format(time.RFC3339)},
			{"data end", o.Result.Report.DataEnd},
			{"time zone", cfg.Report.Timezone},
			{"conversion window", cfg.Funnel.Window.String()},
			{"stage match", cfg.Funnel.Match},
		},
	}
	if job.Timings {
		for _, s := range t.steps {
			a.Timings = append(a.Timings, [2]string{s.Step, fmt.Sprintf("%.3f s", s.Duration.Seconds())})
		}
	}
	return a, nil
}

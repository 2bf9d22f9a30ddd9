package pipeline

import (
	"encoding/json"
	"io"

	"context"
	"fmt"
	"os"
	"time"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/internal/atomicfile"
	"github.com/journeykpi/journeykpi/pipeline/group"
	"github.com/journeykpi/journeykpi/pipeline/steps"

	"github.com/journeykpi/journeykpi/reports"
)

// write renders the report's workbook and JSON to temporary files, then commits them together
// with the manifest, which names both with their sizes and hashes and goes in place last
// (atomicfile.Set). It returns the report's paths, workbook first. When anything fails before
// the commit, the previous report, if any, stays as it was, both files and manifest.
func write(ctx context.Context, job *Job, in *readOutput, o *Outcome, t *steps.Timer) ([]string, error) {
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
	set := atomicfile.NewSet(out)
	defer set.Abort()
	dx, err := set.Add(xlsx, func(w io.Writer) error { return reports.EncodeWorkbook(w, o.Result, about) })
	if err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	dj, err := set.Add(js, func(w io.Writer) error { return reports.EncodeJSON(w, o.Result) })
	if err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	o.Files = []string{xlsx, js}
	t.Done("write", "files", len(o.Files))
	o.Timings = t.Steps
	m, err := json.MarshalIndent(newManifest(o, job.Version, []atomicfile.Digest{dx, dj}), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("output: manifest: %w", err)
	}
	if err := set.Commit(base+ManifestSuffix, append(m, '\n')); err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	return o.Files, nil
}

// aboutReport is what the About sheet says of the run: the source, its query or files, the
// parameters, the effective config and the version. Timings only when asked for, since they make
// the bytes differ between runs of the same report.
func aboutReport(job *Job, in *readOutput, o *Outcome, t *steps.Timer) (reports.About, error) {
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
		for _, s := range t.Steps {
			a.Timings = append(a.Timings, [2]string{s.Step, fmt.Sprintf("%.3f s", s.Duration.Seconds())})
		}
	}
	return a, nil
}

// RemoveStaleSpill removes the spill directories killed processes of earlier versions left in
// engine.temp_dir (group.RemoveStaleSpill); this version's spill files never outlive their
// process.
func RemoveStaleSpill(cfg *config.Config) (int, error) {
	return group.RemoveStaleSpill(cfg.Engine.TempDir, time.Now())
}

package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"time"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/kpi"
	"github.com/journeykpi/journeykpi/pipeline/group"
	"github.com/journeykpi/journeykpi/pipeline/ingest"
	"github.com/journeykpi/journeykpi/pipeline/source"
	"github.com/journeykpi/journeykpi/pipeline/window"
	"github.com/journeykpi/journeykpi/reports"
)

// ReadRange is what a report over w needs read: from the start of the earliest period it computes
// (the period compared with, the recent periods of the sparklines, the year-ago period unless
// comparison.year_ago is off) less the longest of the repeat history (returning customers), the
// attribution look-back and the conversion window (the mature cohort), through the day after w
// plus the funnel horizon (conversions are observed after `to`, SPEC §3).
func ReadRange(cfg *config.Config, w window.Window) (start, end time.Time) {
	back := max(cfg.Repeat.History.D(), cfg.Attribution.Lookback.D(), cfg.Funnel.Window.D())
	start = comparisonOf(cfg, w, "").earliest(w).Add(-back)
	end = w.End().Add(cfg.Horizon())
	return start, end
}

// Run computes one report and writes its files atomically: read, then compute, then write. On
// error no report file is left behind, complete or partial. ctx cancels the read and the
// computation.
func Run(ctx context.Context, job Job) (*Outcome, error) {
	log := job.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
		job.Logger = log
	}
	timer := &stepTimer{last: time.Now(), log: log, out: job.Progress}
	in, err := read(ctx, &job)
	if err != nil {
		return nil, err
	}
	defer in.groups.Close()
	timer.done("read", "rows", in.quality.RowsRead, "rejected", in.quality.RowsRejected, "spilled_rows", in.groups.SpilledRows())

	res, err := compute(ctx, &job, in, timer)
	if err != nil {
		return nil, err
	}

	o := &Outcome{Window: job.Window, Result: res, Source: in.source, LastRead: in.lastRead, ConfigHash: ConfigHash(&job.Config)}
	// The workbook, the JSON and the manifest beside them (hashes, rows, timings) go in place
	// together, the manifest last.
	if _, err := write(ctx, &job, in, o, timer); err != nil {
		return nil, err
	}
	return o, nil
}

// readOutput is what the read step hands on: the events grouped by customer, what the read
// counted, the spend rows, and what was read.
type readOutput struct {
	// start and end are the range read (ReadRange).
	start, end time.Time
	groups     *group.Grouper
	// dicts are the dictionaries of the grouped rows' string codes.
	dicts *kpi.Dicts
	// dataEnd is the latest event time read (micros); the range's start when nothing was read.
	dataEnd int64
	// dataStart is the start of the day of the earliest event read (micros).
	dataStart int64
	quality   kpi.DataQuality
	spend     []kpi.SpendRow
	// source describes the source; lastRead is what its read did, when it can say.
	source, lastRead string
	// warnings say how far the data cover the period.
	warnings []kpi.Warning
}

// read reads the events of the read range into a grouper, checks their quality, and reads the
// spend. The caller closes in.groups (spill files) when the output is non-nil.
func read(ctx context.Context, job *Job) (*readOutput, error) {
	cfg := &job.Config
	start, end := ReadRange(cfg, job.Window)
	src := job.Source
	if src == nil {
		s, err := source.Open(ctx, cfg, job.FS, job.Logger)
		if err != nil {
			return nil, err
		}
		if c, ok := s.(source.Closer); ok {
			defer c.Close()
		}
		src = s
	}
	// The spend input is opened, and checked where it can be without a billed query, before the
	// events are read: a spend column missing must not cost the events query first.
	spend := job.Spend
	if spend == nil {
		s, err := source.OpenSpend(ctx, cfg, job.FS, job.Logger)
		if err != nil {
			return nil, err
		}
		if c, ok := s.(source.Closer); ok {
			defer c.Close()
		}
		spend = s
	}
	if c, ok := spend.(source.Checker); ok {
		if err := c.Check(ctx, start, end); err != nil {
			return nil, fmt.Errorf("check spend %s: %w", source.Describe(spend), interrupted(ctx, err))
		}
	}
	g := group.New(int64(cfg.Engine.MemoryBudget), cfg.Engine.TempDir)
	rng := ingest.Range{Start: start, End: end, PeriodStart: job.Window.From, PeriodEnd: job.Window.End()}
	m := ingest.NewMapper(cfg, rng, g.Add)
	if err := src.Read(ctx, start, end, m.Add); err != nil {
		g.Close()
		return nil, fmt.Errorf("read %s: %w", source.Describe(src), interrupted(ctx, err))
	}
	// An expression that failed on rows says how, once each: the rows are counted under
	// where_failed or derive_failed.
	for _, e := range m.ExpressionErrors() {
		job.Logger.Warn("expression failed on rows", "error", e)
	}
	quality, err := m.Quality(cfg.Quality.MaxRejectRatio)
	if err != nil {
		g.Close()
		return nil, err
	}
	in := &readOutput{start: start, end: end, groups: g, dicts: m.Dicts(), dataEnd: m.DataEnd(), dataStart: dayStart(m.Coverage().First, cfg.Location()), quality: quality,
		// Described after the read: a source then says what it read (a files source, the files
		// it opened and pruned) without looking for its input again.
		source: source.Describe(src)}
	if rr, ok := src.(source.ReadReporter); ok {
		in.lastRead = rr.LastRead()
	}
	if in.warnings, err = checkCoverage(cfg, job.Window, comparisonOf(cfg, job.Window, job.By), m.Coverage(), quality, in.source, in.lastRead); err != nil {
		g.Close()
		return nil, err
	}
	if in.spend, err = readSpend(ctx, job, spend, start, end, &in.quality); err != nil {
		g.Close()
		return nil, interrupted(ctx, err)
	}
	return in, nil
}

// readSpend reads the optional spend input src (nil: none) within [start, end) and counts its
// rows in q.
func readSpend(ctx context.Context, job *Job, src source.Source, start, end time.Time, q *kpi.DataQuality) ([]kpi.SpendRow, error) {
	cfg := &job.Config
	if src == nil {
		return nil, nil
	}
	r := ingest.NewSpendReader(cfg.Source.Spend, cfg.Location(), start, end)
	if err := src.Read(ctx, start, end, r.Add); err != nil {
		return nil, fmt.Errorf("read spend: %w", err)
	}
	rows, read, rejected := r.Rows()
	q.SpendRows, q.SpendRejected = read, rejected
	return rows, nil
}

// compute folds the grouped journeys into the KPIs of job's window (steps group and kpi).
func compute(ctx context.Context, job *Job, in *readOutput, timer *stepTimer) (*kpi.Result, error) {
	cfg := &job.Config
	cmp := comparisonOf(cfg, job.Window, job.By)
	p := params(cfg, job.Window, cmp, in.dataStart, in.dataEnd)
	if err := p.Validate(); err != nil {
		return nil, err
	}
	dicts, remap := in.dicts.Sort()
	workers := cfg.Engine.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	acc, st, err := in.groups.Fold(ctx, workers, p, remap)
	if err != nil {
		return nil, err
	}
	quality := in.quality
	quality.Duplicates = st.Duplicates
	quality.Customers = st.Customers
	quality.RowsUsed = st.Rows - st.Duplicates
	timer.done("group", "customers", st.Customers, "duplicates", st.Duplicates)
	w := job.Window
	info := kpi.ReportInfo{
		Name: cfg.Report.Name, From: w.FromDay(), To: w.ToDay(), Timezone: cfg.Report.Timezone,
		PreviousFrom: cmp.previous.FromDay(), PreviousTo: cmp.previous.ToDay(),
		YearAgo: cmp.yearAgoStatus(cfg, in.dataStart), By: job.By,
		Currency: cfg.Report.Currency, DataEnd: time.UnixMicro(in.dataEnd).In(cfg.Location()).Format(time.RFC3339),
	}
	if cmp.yearAgo != nil {
		info.YearAgoFrom, info.YearAgoTo = cmp.yearAgo.FromDay(), cmp.yearAgo.ToDay()
	}
	res := acc.Result(dicts, kpi.Inputs{Report: info, Quality: quality, Spend: in.spend})
	res.Warnings = append(res.Warnings, in.warnings...)
	res.Warnings = append(res.Warnings, orderWarnings(cfg, &res.DataQuality)...)
	for _, w := range res.Warnings {
		job.Logger.Warn(w.Message, "code", w.Code)
	}
	timer.done("kpi")
	return res, nil
}

// params builds the engine's parameters for window w, compared as cmp says, with the data
// starting on the day of dataStart and ending at dataEnd.
func params(cfg *config.Config, w window.Window, cmp comparison, dataStart, dataEnd int64) *kpi.Params {
	prev := period(cmp.previous)
	prev.PreviousOf = w.FromDay()
	p := &kpi.Params{
		Window:       cfg.Funnel.Window.D().Microseconds(),
		Current:      period(w),
		Previous:     prev,
		DataStart:    dataStart,
		DataEnd:      dataEnd,
		MinChange:    cfg.Comparison.MinChange,
		MinMature:    cfg.Comparison.MinMature,
		Location:     cfg.Location(),
		Breakdowns:   cfg.Funnel.Breakdowns,
		Top:          cfg.Funnel.Top,
		MinCustomers: cfg.JourneyMap.MinCustomers,
		PainPoints:   cfg.JourneyMap.PainPoints,
		History:      cfg.Repeat.History.D().Microseconds(),
		Cohort:       cfg.Repeat.Cohort,
		Horizon:      cfg.Repeat.Horizon.D().Microseconds(),
		Lookback:     cfg.Attribution.Lookback.D().Microseconds(),
		HalfLife:     cfg.Attribution.HalfLife.D().Microseconds(),
		Uplift:       cfg.Allocation.Uplift,
		MaxShift:     cfg.Allocation.MaxShift,
		Actions:      cfg.Allocation.Actions,
		Currency:     cfg.Report.Currency,
		SumLines:     cfg.Source.OrderLines == "sum",
		Dimensions:   cfg.Source.Columns.Dimensions.Names(),
	}
	if cmp.yearAgoStatus(cfg, dataStart) == "compared" {
		ya := period(*cmp.yearAgo)
		p.YearAgo = &ya
	}
	for _, r := range cmp.recent {
		p.Recent = append(p.Recent, period(r))
	}
	for _, piece := range cmp.pieces {
		per := period(piece.Window)
		per.Partial = piece.Partial
		p.Periods = append(p.Periods, per)
	}
	for _, s := range cfg.Stages {
		p.Stages = append(p.Stages, kpi.StageDef{Name: s.Name, Optional: s.Optional, Within: s.Within.D().Microseconds(),
			Purchase: s.Purchase, Repeat: s.RepeatPurchase})
	}
	return p
}

// dayStart is the start of the report-time-zone day holding t (micros).
func dayStart(t int64, loc *time.Location) int64 {
	d := time.UnixMicro(t).In(loc)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc).UnixMicro()
}

// stepTimer records the duration of each step.
type stepTimer struct {
	steps []Timing
	last  time.Time
	log   *slog.Logger
	out   io.Writer
}

func (t *stepTimer) done(step string, attrs ...any) {
	now := time.Now()
	d := now.Sub(t.last)
	t.last = now
	t.steps = append(t.steps, Timing{Step: step, Duration: d})
	t.log.Info(step, append(attrs, "seconds", d.Seconds())...)
	if t.out != nil {
		fmt.Fprintf(t.out, "  %-10s %6.2fs", step, d.Seconds())
		for i := 0; i+1 < len(attrs); i += 2 {
			fmt.Fprintf(t.out, "  %v=%v", attrs[i], attrs[i+1])
		}
		fmt.Fprintln(t.out)
	}
}

// interrupted makes the error of a read that ctx cut short say so: a remote source may report
// its cancelled stream as an error of its own, and the callers tell an interrupted run (exit 130,
// ledger "interrupted") from a failed one by errors.Is(err, context.Canceled).
func interrupted(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	return err
}

// outputDir is the directory job writes into: --out, else report.out.
func outputDir(job *Job) string {
	if job.Out != "" {
		return job.Out
	}
	return job.Config.Report.Out
}

// OutputBase is the path of a report's files without extension: <out>/<name>_<from>_<to>.
func OutputBase(out, name string, w window.Window) string {
	return filepath.Join(out, reports.FileBase(name, w.FromDay(), w.ToDay()))
}

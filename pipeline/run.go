package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"runtime"
	"time"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/kpi"
	"github.com/journeykpi/journeykpi/pipeline/group"
	"github.com/journeykpi/journeykpi/pipeline/ingest"
	"github.com/journeykpi/journeykpi/pipeline/source"
	"github.com/journeykpi/journeykpi/pipeline/steps"
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

// FullFrom is where the events of every kind that a report over w needs begin: the start of the
// earliest period it computes a funnel for (the period compared with, the recent periods, the
// year-ago period) less the longer of the attribution look-back and the conversion window (a
// mature cohort's entrants start that much earlier). Before it, returning-customer rates, cohorts
// and the purchase model need only orders, so with source.history: orders nothing else is read
// there (the split read). It is never before ReadRange's start.
func FullFrom(cfg *config.Config, w window.Window) time.Time {
	start, _ := ReadRange(cfg, w)
	back := max(cfg.Attribution.Lookback.D(), cfg.Funnel.Window.D())
	full := comparisonOf(cfg, w, "").earliest(w).Add(-back)
	if full.Before(start) {
		return start
	}
	return full
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
	timer := steps.Start(ctx, "read", log, job.Progress)
	defer timer.Stop()
	in, err := read(ctx, &job)
	if err != nil {
		return nil, err
	}
	defer in.groups.Close()
	timer.Done("read", "rows", in.quality.RowsRead, "rejected", in.quality.RowsRejected, "spilled_rows", in.groups.SpilledRows())
	if job.Shard != nil {
		return writeShard(ctx, &job, in, timer)
	}

	timer.Label("group")
	res, err := compute(ctx, &job, in, timer)
	if err != nil {
		return nil, err
	}

	timer.Label("write")
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
	// start and end are the range read (ReadRange); before full only orders are needed (FullFrom).
	start, end, full time.Time
	groups           *group.Grouper
	// dicts are the dictionaries of the grouped rows' string codes.
	dicts *kpi.Dicts
	// dataEnd is the latest event time read (micros); the range's start when nothing was read.
	// For a shard that read only its customers, it is the source's latest event of the range,
	// and rowsEnd the latest the shard read.
	dataEnd, rowsEnd int64
	// dataStart is the start of the day of the earliest event read (micros).
	dataStart int64
	quality   kpi.DataQuality
	spend     []kpi.SpendRow
	// source describes the source; lastRead is what its read did, when it can say.
	source, lastRead string
	// cover is how far the events read cover the range and the period; warnings say so.
	cover    ingest.Coverage
	warnings []kpi.Warning
	// shardRead says that the source itself read only the shard's customers, so that the counts
	// above are the shard's own (a shard's read of every customer counts them all).
	shardRead bool
}

// read reads the events of the read range into a grouper, checks their quality, and reads the
// spend. The caller closes in.groups (spill files) when the output is non-nil.
func read(ctx context.Context, job *Job) (*readOutput, error) {
	cfg := &job.Config
	start, end := ReadRange(cfg, job.Window)
	full := FullFrom(cfg, job.Window)
	ordersOnly := cfg.Source.History == "orders"
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
	if job.CheckFreshness {
		if err := checkFreshness(ctx, job, src); err != nil {
			return nil, err
		}
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
	// A query's columns are known from a free dry run (a table's from its metadata, which its
	// read checks first): a column missing is found before the billed query runs.
	if c, ok := src.(source.Checker); ok && cfg.Source.Kind == "bigquery" && cfg.Source.BigQuery.Query != "" {
		if err := c.Check(ctx, start, end); err != nil {
			return nil, fmt.Errorf("check %s: %w", source.Describe(src), interrupted(ctx, err))
		}
	}
	narrowing := source.Narrowing{}
	if ordersOnly {
		narrowing.FullFrom = full
	}
	g := group.New(int64(cfg.Engine.MemoryBudget), cfg.Engine.TempDir)
	// The rows are held outside Go's heap: a read that fails, or panics (the scheduler recovers
	// and runs on), gives back their memory and spill files here; after, the caller closes them.
	handedOn := false
	defer func() {
		if !handedOn {
			g.Close()
		}
	}()
	maxReject := cfg.Quality.MaxRejectRatio
	if job.Shard != nil {
		first, last := job.Shard.Parts()
		g.Keep(first, last)
		narrowing.Shard = &source.Parts{First: first, Last: last}
		// A shard that reads only its customers sees only their rejects: the merge applies the
		// limit to the sum.
		maxReject = math.Inf(1)
	}
	var applied source.Narrowing
	if n, ok := src.(source.Narrower); ok && narrowing != (source.Narrowing{}) {
		src, applied = n.Narrow(narrowing)
	}
	rng := ingest.Range{Start: start, End: end, PeriodStart: job.Window.From, PeriodEnd: job.Window.End(),
		FullFrom: full, OrdersOnly: ordersOnly}
	m := ingest.NewMapper(cfg, rng, g.Add)
	if err := src.Read(ctx, start, end, m.Add); err != nil {
		return nil, fmt.Errorf("read %s: %w", source.Describe(src), interrupted(ctx, err))
	}
	// An expression that failed on rows says how, once each: the rows are counted under
	// where_failed or derive_failed.
	for _, e := range m.ExpressionErrors() {
		job.Logger.Warn("expression failed on rows", "error", e)
	}
	quality, err := m.Quality(maxReject)
	if err != nil {
		return nil, err
	}
	in := &readOutput{start: start, end: end, full: full, groups: g, dicts: m.Dicts(), dataEnd: m.DataEnd(), rowsEnd: m.DataEnd(),
		dataStart: dayStart(m.Coverage().First, cfg.Location()), quality: quality,
		// Described after the read: a source then says what it read (a files source, the files
		// it opened and pruned) without looking for its input again.
		source: source.Describe(src), cover: m.Coverage(), shardRead: applied.Shard != nil}
	if rr, ok := src.(source.ReadReporter); ok {
		in.lastRead = rr.LastRead()
	}
	if lo, ok := src.(source.LeftOutReporter); ok {
		in.quality.LeftOut = lo.LeftOut()
	}
	if in.shardRead {
		// The shard's rows end where its customers' do; "in progress" is judged against the end
		// of every customer's data.
		if in.dataEnd, err = latestEvent(ctx, src, start, end, in.dataEnd); err != nil {
			return nil, interrupted(ctx, err)
		}
	}
	in.warnings = append(in.warnings, job.freshness...)
	if job.Shard == nil {
		// A shard's coverage is judged by the merge, over every shard's.
		ws, err := checkCoverage(cfg, job.Window, comparisonOf(cfg, job.Window, job.By), in.cover, quality, in.source, in.lastRead)
		if err != nil {
			return nil, err
		}
		in.warnings = append(in.warnings, ws...)
	}
	var spendWarnings []kpi.Warning
	if in.spend, spendWarnings, err = readSpend(ctx, job, spend, start, end, &in.quality); err != nil {
		return nil, interrupted(ctx, err)
	}
	in.warnings = append(in.warnings, spendWarnings...)
	handedOn = true
	return in, nil
}

// readSpend reads the optional spend input src (nil: none) within [start, end) and counts its
// rows in q; a warning says what it left out.
func readSpend(ctx context.Context, job *Job, src source.Source, start, end time.Time, q *kpi.DataQuality) ([]kpi.SpendRow, []kpi.Warning, error) {
	cfg := &job.Config
	if src == nil {
		return nil, nil, nil
	}
	r := ingest.NewSpendReader(cfg.Source.Spend, cfg.Location(), start, end, cfg.Report.Currency)
	if err := src.Read(ctx, start, end, r.Add); err != nil {
		return nil, nil, fmt.Errorf("read spend: %w", err)
	}
	rows, read, rejected := r.Rows()
	q.SpendRows, q.SpendRejected = read, rejected
	if n, cur := r.OtherCurrency(); n > 0 {
		warn := kpi.Warning{Code: "spend_currency", Message: fmt.Sprintf(
			"%d spend rows are in %s, not the report's %s (report.currency): they were left out, as journeykpi does not convert currencies", n, cur, cfg.Report.Currency)}
		return rows, []kpi.Warning{warn}, nil
	}
	return rows, nil, nil
}

// compute folds the grouped journeys into the KPIs of job's window (steps group and kpi).
func compute(ctx context.Context, job *Job, in *readOutput, timer *steps.Timer) (*kpi.Result, error) {
	p, cmp, err := in.params(job)
	if err != nil {
		return nil, err
	}
	dicts, remap := in.dicts.Sort()
	acc, st, err := in.groups.Fold(ctx, workers(&job.Config), p, remap)
	if err != nil {
		return nil, err
	}
	timer.Done("group", "customers", st.Customers, "duplicates", st.Duplicates)
	timer.Label("kpi")
	res := result(job, in, cmp, acc, st, dicts)
	timer.Done("kpi")
	return res, nil
}

// workers is how many goroutines fold journeys.
func workers(cfg *config.Config) int {
	if cfg.Engine.Workers > 0 {
		return cfg.Engine.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// params are the engine's parameters for what in read, and the periods job's report compares.
func (in *readOutput) params(job *Job) (*kpi.Params, comparison, error) {
	cmp := comparisonOf(&job.Config, job.Window, job.By)
	p := params(&job.Config, job.Window, cmp, in.dataStart, in.dataEnd)
	p.FullFrom = in.full.UnixMicro()
	// Only a report with spend fits response curves, so only it keeps their daily series.
	p.ResponseSeries = job.Config.Source.Spend != nil || job.Spend != nil
	if err := p.Validate(); err != nil {
		return nil, cmp, err
	}
	return p, cmp, nil
}

// result is the Result of what was folded into acc, with the counts of the read and the fold.
func result(job *Job, in *readOutput, cmp comparison, acc *kpi.Acc, st group.Stats, dicts *kpi.Dicts) *kpi.Result {
	cfg := &job.Config
	quality := in.quality
	quality.Duplicates = st.Duplicates
	quality.Customers = st.Customers
	quality.RowsUsed = st.Rows - st.Duplicates
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
	return res
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
		CloseGap:     cfg.Allocation.CloseGap,
		MinEntrants:  cfg.Allocation.MinEntrants,
		MaxShift:     cfg.Allocation.MaxShift,
		Paid:         cfg.Allocation.Paid,
		Margin:       cfg.Allocation.Margin,
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

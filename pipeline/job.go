package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"path/filepath"
	"runtime"
	"time"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/kpi"
	"github.com/journeykpi/journeykpi/reports"
)

// ReadRange is what a report over w needs read: from the previous period's start less the
// repeat history (returning customers) and the attribution look-back, through the day after w
// plus the funnel horizon (conversions are observed after `to`, SPEC §3).
func ReadRange(cfg *config.Config, w Window) (start, end time.Time) {
	back := max(cfg.Repeat.History.D(), cfg.Attribution.Lookback.D())
	start = w.Previous().From.Add(-back)
	end = w.End().Add(cfg.Horizon())
	return start, end
}

// params builds the engine's parameters for window w.
func params(cfg *config.Config, w Window, dataEnd int64) *kpi.Params {
	prev := w.Previous()
	p := &kpi.Params{
		Window:  cfg.Funnel.Window.D().Microseconds(),
		Current: kpi.Period{From: w.From.UnixMicro(), To: w.End().UnixMicro(), FromDay: w.FromDay(), ToDay: w.ToDay()},
		Previous: kpi.Period{From: prev.From.UnixMicro(), To: prev.End().UnixMicro(), FromDay: prev.FromDay(), ToDay: prev.ToDay(),
			PreviousOf: w.FromDay()},
		DataEnd:      dataEnd,
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
	}
	for _, s := range cfg.Stages {
		p.Stages = append(p.Stages, kpi.StageDef{Name: s.Name, Optional: s.Optional, Within: s.Within.D().Microseconds(),
			Purchase: s.Purchase, Repeat: s.RepeatPurchase})
	}
	return p
}

// ConfigHash is a short stable hash of the effective configuration: the ledger uses it to tell
// whether a period was computed with the same settings.
func ConfigHash(cfg *config.Config) string {
	b, err := cfg.Marshal()
	if err != nil {
		return ""
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
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

// Run computes one report and writes its files atomically. On error no report file is left
// behind, complete or partial. ctx cancels the read and the computation.
func Run(ctx context.Context, job Job) (*Outcome, error) {
	cfg := job.Config
	log := job.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	timer := &stepTimer{last: time.Now(), log: log, out: job.Progress}
	start, end := ReadRange(&cfg, job.Window)

	src := job.Source
	if src == nil {
		s, err := OpenSource(ctx, &cfg, job.FS)
		if err != nil {
			return nil, err
		}
		if c, ok := s.(Closer); ok {
			defer c.Close()
		}
		src = s
	}

	tempDir := cfg.Engine.TempDir
	g := newGrouper(int64(cfg.Engine.MemoryBudget), tempDir)
	defer g.Close()
	norm := newNormalizer(&cfg, start, end, g.add)
	if err := src.Read(ctx, start, end, func(rec arrow.Record) error { return norm.add(rec) }); err != nil {
		return nil, fmt.Errorf("read %s: %w", Describe(src), interrupted(ctx, err))
	}
	// Described after the read: a source then says what it read (a files source, the files it
	// opened and pruned) without looking for its input again.
	desc := Describe(src)
	quality, err := norm.quality(cfg.Quality.MaxRejectRatio)
	if err != nil {
		return nil, err
	}
	timer.done("read", "rows", quality.RowsRead, "rejected", quality.RowsRejected, "spilled_rows", g.spilledRows())

	dataEnd := norm.dataEnd
	if dataEnd == math.MinInt64 { // no row in range
		dataEnd = start.UnixMicro()
	}
	p := params(&cfg, job.Window, dataEnd)
	if err := p.Validate(); err != nil {
		return nil, err
	}
	dicts, remap := norm.dicts.Sort()
	workers := cfg.Engine.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	acc, st, err := g.fold(ctx, workers, p, remap)
	if err != nil {
		return nil, err
	}
	quality.Duplicates = st.duplicates
	quality.Customers = st.customers
	quality.RowsUsed = st.rows - st.duplicates
	timer.done("group", "customers", st.customers, "duplicates", st.duplicates)

	spend, err := readSpend(ctx, &cfg, job, start, end, &quality)
	if err != nil {
		return nil, interrupted(ctx, err)
	}
	info := kpi.ReportInfo{
		Name: cfg.Report.Name, From: job.Window.FromDay(), To: job.Window.ToDay(), Timezone: cfg.Report.Timezone,
		PreviousFrom: job.Window.Previous().FromDay(), PreviousTo: job.Window.Previous().ToDay(),
		Currency: cfg.Report.Currency, DataEnd: time.UnixMicro(dataEnd).In(cfg.Location()).Format(time.RFC3339),
	}
	res := acc.Result(dicts, kpi.Inputs{Report: info, Quality: quality, Spend: spend})
	timer.done("kpi")

	o := &Outcome{Window: job.Window, Result: res, Source: desc, ConfigHash: ConfigHash(&cfg)}
	if rr, ok := src.(ReadReporter); ok {
		o.Plan = rr.LastRead()
	}
	out := job.Out
	if out == "" {
		out = cfg.Report.Out
	}
	files, err := writeOutputs(ctx, out, &cfg, job, start, end, o, timer)
	if err != nil {
		return nil, err
	}
	o.Files = files
	timer.done("write", "files", len(files))
	o.Timings = timer.steps
	// The manifest (hashes, rows, timings) sits beside the report. The report itself is complete
	// without it, so a failure to write it is logged rather than failing the run.
	if _, err := WriteManifest(OutputBase(out, cfg.Report.Name, job.Window), o, job.Version); err != nil {
		log.Warn("manifest not written", "error", err.Error())
	}
	return o, nil
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

// Describe is src's own description when it is a Describer, else its type.
func Describe(src Source) string {
	if d, ok := src.(Describer); ok {
		return d.Describe()
	}
	return fmt.Sprintf("%T", src)
}

// OutputBase is the path of a report's files without extension: <out>/<name>_<from>_<to>.
func OutputBase(out, name string, w Window) string {
	return filepath.Join(out, reports.FileBase(name, w.FromDay(), w.ToDay()))
}

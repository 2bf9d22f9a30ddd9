package source

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/internal/fault"
	"github.com/journeykpi/journeykpi/pipeline/derive"
	"github.com/journeykpi/journeykpi/pipeline/ingest"
	"github.com/journeykpi/journeykpi/pipeline/source/bigquery"
	"github.com/journeykpi/journeykpi/pipeline/source/bigquery/bqsql"
	"github.com/journeykpi/journeykpi/pipeline/source/files"
)

// Open opens the events source the config describes (cfg validated by config.Parse). fsys, when
// non-nil, is where a files source resolves its paths. log receives what a remote source has to
// say (its job ids, a fallback to the slow row path, each retry); nil discards.
func Open(ctx context.Context, cfg *config.Config, fsys fs.FS, log *slog.Logger) (Source, error) {
	return open(ctx, cfg, fsys, log, 0)
}

// OpenOrdered is Open for a source that reads its rows in order where it can: a files source
// reads one file at a time, in path order, and a file's row groups in order (journeykpi inspect
// shows the first rows). A BigQuery source reads as Open's does.
func OpenOrdered(ctx context.Context, cfg *config.Config, fsys fs.FS, log *slog.Logger) (Source, error) {
	return open(ctx, cfg, fsys, log, 1)
}

// open opens the events source with parallel reading goroutines (0: the default).
func open(ctx context.Context, cfg *config.Config, fsys fs.FS, log *slog.Logger, parallel int) (Source, error) {
	cols := cfg.SourceColumns()
	switch cfg.Source.Kind {
	case "files":
		s, err := files.New(cfg.Source.Files, files.Options{FS: fsys, Columns: cols, Parallel: parallel,
			BatchRows: BatchRows(int64(cfg.Engine.MemoryBudget))})
		if err != nil {
			return nil, fmt.Errorf("source: %w", err)
		}
		return s, nil
	case "bigquery":
		return openBigQuery(ctx, bigQueryOptions(cfg), logger(log).With("source", "events"))
	}
	return nil, fault.Errorf(fault.Config, "source.kind: source kind %q is not available", cfg.Source.Kind)
}

// Reading holds batches outside engine.memory_budget: each of the files source's readers has a
// decoded batch in flight, and the mapping makes copies of it (the rows, their codes, the rows
// bucketed by partition). BatchRows keeps them to about half the budget.
const (
	// readers is how many goroutines a files source reads with (files.Options.Parallel).
	readers = 2
	// BytesPerBatchRow is what one row of a batch in flight holds at most, measured on the
	// sample's ten columns: the decoded Arrow columns and the Parquet decoders' buffers, the
	// mapped row (72 bytes), its codes and its copy bucketed by partition (72).
	BytesPerBatchRow = 300
	minBatchRows     = 4096
	maxBatchRows     = files.DefaultBatchRows
)

// BatchRows is the rows per record batch of a files source for a memory budget: the batches in
// flight take about half the budget, from 4,096 to 65,536 rows.
func BatchRows(budget int64) int {
	return int(min(max(budget/2/readers/BytesPerBatchRow, minBatchRows), maxBatchRows))
}

// logger is log, or one that discards when log is nil.
func logger(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}

// bigQueryOptions are the events source's BigQuery options the config describes.
func bigQueryOptions(cfg *config.Config) bigquery.Options {
	c := cfg.Source.Columns
	o := bigquery.Options{Config: cfg.Source.BigQuery, Preset: cfg.Source.Preset, TimeColumn: c.EventTime, Names: c,
		Columns: cfg.SourceColumns(), TimeZone: cfg.Source.TimeZone, TimeUnit: cfg.Source.TimeUnit, TimeFormat: cfg.Source.TimeFormat,
		TimeKey: "source.columns.event_time"}
	// The columns a run cannot do without, checked against the table before a query runs.
	needs := []string{"customer_id"}
	if cfg.Funnel.Match == "stage" {
		needs = append(needs, "stage")
	} else {
		needs = append(needs, "event_name")
	}
	for _, k := range needs {
		if _, derived := cfg.Source.Derive[k]; !derived {
			o.Required = append(o.Required, bigquery.Column{Key: "source.columns." + k, Name: c.Mapped(k)})
		}
	}
	for _, d := range c.Dimensions {
		if _, derived := cfg.Source.Derive[d.Name]; !derived {
			o.Required = append(o.Required, bigquery.Column{Key: "source.columns.dimensions." + d.Name, Name: d.Column})
		}
	}
	// A stage told by a computed column cannot be filtered at the source: it is read whole.
	_, nameDerived := cfg.Source.Derive["event_name"]
	_, stageDerived := cfg.Source.Derive["stage"]
	if !nameDerived && !stageDerived {
		o.OrderColumn, o.OrderValues = orderColumn(cfg)
	}
	if o.TimeZone == "" {
		o.TimeZone = cfg.Report.Timezone
	}
	return o
}

// OpenSync opens the events source for journeykpi sync: the BigQuery source itself, whose Sync
// rebuilds days of its compact table. The config must have one (source.bigquery.sync.table).
func OpenSync(ctx context.Context, cfg *config.Config, log *slog.Logger) (*bigquery.Source, error) {
	if cfg.Source.Kind != "bigquery" || cfg.Source.BigQuery.Sync.Table == "" {
		return nil, fault.Errorf(fault.Config, "source.bigquery.sync.table: sync keeps the compact touchpoint table of a BigQuery source; the config names none")
	}
	o := bigQueryOptions(cfg)
	o.Logger = logger(log).With("source", "events")
	return bigquery.Open(ctx, o)
}

// orderColumn is the source column telling an event's stage (event_name's, or the stage
// column's with funnel.match: stage) and its values on purchase-stage events.
func orderColumn(cfg *config.Config) (string, []string) {
	for _, s := range cfg.Stages {
		if !s.Purchase {
			continue
		}
		if cfg.Funnel.Match == "stage" {
			return cfg.Source.Columns.Stage, s.StageLabels()
		}
		return cfg.Source.Columns.EventName, s.Events
	}
	return "", nil
}

// openBigQuery opens a BigQuery source wrapped in its bounded retry policy, both logging to log.
func openBigQuery(ctx context.Context, o bigquery.Options, log *slog.Logger) (Source, error) {
	o.Logger = log
	src, err := bigquery.Open(ctx, o)
	if err != nil {
		return nil, err
	}
	p := RetryPolicyFromConfig(o.Config.Retry)
	p.OnRetry = func(attempt int, pause time.Duration, err error) {
		log.Warn("read failed, retrying", "attempt", attempt, "pause_seconds", pause.Seconds(), "error", err.Error())
	}
	return WithRetry(bqSource{src, o}, p), nil
}

// bqSource is a BigQuery source seen through this package's interfaces (the source packages do
// not import it): Narrower and Checker in its terms.
type bqSource struct {
	*bigquery.Source
	o bigquery.Options
}

// Read reads the BigQuery source, its customer column marked by ingest.RawKeyMetadata when it gives
// keys BigQuery made (bigquery.Source.RawKeys).
func (b bqSource) Read(ctx context.Context, start, end time.Time, emit func(arrow.Record) error) error {
	if !b.RawKeys() {
		return b.Source.Read(ctx, start, end, emit)
	}
	return b.Source.Read(ctx, start, end, func(rec arrow.Record) error {
		fields := slices.Clone(rec.Schema().Fields())
		for i := range fields {
			if fields[i].Name == b.o.Names.CustomerID {
				fields[i].Metadata = arrow.NewMetadata([]string{ingest.RawKeyMetadata}, []string{"true"})
			}
		}
		marked := array.NewRecord(arrow.NewSchema(fields, nil), rec.Columns(), rec.NumRows())
		defer marked.Release()
		return emit(marked)
	})
}

// Check tells, without running a billed query, whether a Read of [start, end) would find the
// columns the config names: for a table, from its metadata (the statement checks it); for a
// query, from a dry run, which BigQuery does not bill. A column missing is a configuration error
// naming its key.
func (b bqSource) Check(ctx context.Context, start, end time.Time) error {
	if _, err := b.Statement(ctx, start, end); err != nil || b.o.Config.Query == "" || b.o.Preset != "" {
		return err
	}
	sc, err := b.Schema(ctx)
	if err != nil {
		return err
	}
	need := append([]bigquery.Column{{Key: b.o.TimeKey, Name: b.o.TimeColumn}}, b.o.Required...)
	for _, r := range need {
		if r.Name != "" && len(sc.FieldIndices(r.Name)) == 0 {
			return fault.Errorf(fault.Config, "%s: the query gives no column %q (its columns are %s)", r.Key, r.Name, strings.Join(ingest.SchemaColumns(sc), ", "))
		}
	}
	return nil
}

// Narrow narrows the BigQuery read (bigquery.Source.Narrow).
func (b bqSource) Narrow(n Narrowing) (Source, Narrowing) {
	bn := bigquery.Narrowing{FullFrom: n.FullFrom}
	if n.Shard != nil {
		bn.Shard = &[2]int{n.Shard.First, n.Shard.Last}
	}
	ns, applied := b.Source.Narrow(bn)
	out := Narrowing{FullFrom: applied.FullFrom}
	if applied.Shard != nil {
		out.Shard = &Parts{First: applied.Shard[0], Last: applied.Shard[1]}
	}
	return bqSource{ns, b.o}, out
}

// OpenSpend opens the spend source the config describes, or returns nil when it has none. fsys
// and log are as for Open.
func OpenSpend(ctx context.Context, cfg *config.Config, fsys fs.FS, log *slog.Logger) (Source, error) {
	if cfg.Source.Spend == nil {
		return nil, nil
	}
	sp := cfg.Source.Spend
	switch sp.Kind {
	case "files":
		s, err := files.New(sp.Files, files.Options{FS: fsys})
		if err != nil {
			return nil, fmt.Errorf("spend: %w", err)
		}
		return s, nil
	case "bigquery":
		cols := sp.Columns
		bq := sp.BigQuery
		if sp.Preset != "" {
			q, err := bqsql.SpendPreset(sp.Preset, bq.Table, cfg.Report.Timezone)
			if err != nil {
				return nil, fault.Errorf(fault.Config, "source.spend.preset: %v", err)
			}
			bq.Query, bq.Table = q, ""
		}
		read := []string{cols.Date, cols.Touchpoint, cols.Cost}
		for _, c := range []string{cols.Campaign, cols.Impressions, cols.Clicks, cols.Currency} {
			if c != "" {
				read = append(read, c)
			}
		}
		return openBigQuery(ctx, bigquery.Options{Config: bq, TimeColumn: cols.Date, TimeKey: "source.spend.columns.date",
			Columns:  read,
			Required: []bigquery.Column{{Key: "source.spend.columns.touchpoint", Name: cols.Touchpoint}, {Key: "source.spend.columns.cost", Name: cols.Cost}},
		}, logger(log).With("source", "spend"))
	}
	return nil, fault.Errorf(fault.Config, "source.spend.kind: spend source kind %q is not available", sp.Kind)
}

// CheckSchema opens the source, and the spend source when there is one, and checks that the
// columns the config needs are there with a type journeykpi reads. It returns a short
// human-readable report, or one error listing every problem.
func CheckSchema(ctx context.Context, cfg config.Config, fsys fs.FS) (string, error) {
	src, err := Open(ctx, &cfg, fsys, nil)
	if err != nil {
		return "", err
	}
	if c, ok := src.(Closer); ok {
		defer c.Close()
	}
	var b strings.Builder
	cols := cfg.Source.Columns
	derived := func(k string) bool { _, ok := cfg.Source.Derive[k]; return ok }
	needs := []colNeed{
		{"customer_id", cols.CustomerID, true}, {"event_time", cols.EventTime, true},
		{"event_name", cols.EventName, cfg.Funnel.Match == "events"}, {"stage", cols.Stage, cfg.Funnel.Match == "stage"},
		{"touchpoint", cols.Touchpoint, false}, {"campaign", cols.Campaign, false}, {"segment", cols.Segment, false},
		{"order_id", cols.OrderID, false}, {"revenue", cols.Revenue, false}, {"sentiment", cols.Sentiment, false},
		{"line_id", cols.LineID, false},
	}
	for _, d := range cols.Dimensions {
		needs = append(needs, colNeed{d.Name, d.Column, true})
	}
	var mapped []colNeed
	var computed strings.Builder
	for _, n := range needs {
		if derived(n.canonical) {
			fmt.Fprintf(&computed, "  %-12s <- %s\n", n.canonical, cfg.Source.Derive[n.canonical])
			continue
		}
		mapped = append(mapped, n)
	}
	problems, err := checkColumns(ctx, &b, "source", src, mapped, &cfg)
	if err != nil {
		return "", err
	}
	b.WriteString(computed.String())
	if cfg.Source.Where != "" {
		fmt.Fprintf(&b, "  rows where   %s\n", cfg.Source.Where)
	}
	spend, err := OpenSpend(ctx, &cfg, fsys, nil)
	if err != nil {
		return "", err
	}
	if spend != nil {
		if c, ok := spend.(Closer); ok {
			defer c.Close()
		}
		sc := cfg.Source.Spend.Columns
		sp, err := checkColumns(ctx, &b, "spend", spend, []colNeed{
			{"date", sc.Date, true}, {"touchpoint", sc.Touchpoint, true}, {"cost", sc.Cost, true},
		}, nil)
		if err != nil {
			return "", err
		}
		problems = append(problems, sp...)
	}
	if len(problems) > 0 {
		return "", fault.Errorf(fault.Config, "%s", strings.Join(problems, "; "))
	}
	return b.String(), nil
}

// colNeed is a contract column the config needs from a source: its canonical name, the
// source's name for it, and whether it must be there.
type colNeed struct {
	canonical, name string
	required        bool
}

// checkColumns writes what src has for each need to b and returns the problems: a required
// column absent, or one of a type journeykpi cannot read, and when cfg is given, an expression
// of its source that does not fit the columns. The error is the schema's own.
func checkColumns(ctx context.Context, b *strings.Builder, what string, src Source, needs []colNeed, cfg *config.Config) ([]string, error) {
	fmt.Fprintf(b, "%s: %s\n", what, Describe(src))
	s, ok := src.(Schemer)
	if !ok {
		b.WriteString("  schema not checked (the source cannot report it without reading)\n")
		return nil, nil
	}
	schema, err := s.Schema(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s schema: %w", what, err)
	}
	var problems []string
	for _, n := range needs {
		idx := schema.FieldIndices(n.name)
		switch {
		case len(idx) > 0:
			typ := schema.Field(idx[0]).Type
			if err := ingest.CheckType(n.canonical, n.name, typ); err != nil {
				if what == "spend" {
					err = fmt.Errorf("spend: %w", err)
				}
				problems = append(problems, err.Error())
				continue
			}
			fmt.Fprintf(b, "  %-12s <- %-20s %s\n", n.canonical, n.name, typ)
		case n.required && what == "spend":
			problems = append(problems, ingest.MissingSpendColumn(n.canonical, n.name).Error())
		case n.required:
			problems = append(problems, (&ingest.MissingColumnError{Canonical: n.canonical, Source: n.name, Found: ingest.SchemaColumns(schema)}).Error())
		default:
			fmt.Fprintf(b, "  %-12s    (absent: optional)\n", n.canonical)
		}
	}
	if cfg != nil {
		if progs, err := cfg.Programs(); err == nil {
			if _, err := derive.Bind(progs, schema, files.MalformedColumn); err != nil {
				problems = append(problems, err.Error())
			}
		}
	}
	return problems, nil
}

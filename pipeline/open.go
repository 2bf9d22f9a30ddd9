package pipeline

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/pipeline/bigquery"
	"github.com/journeykpi/journeykpi/pipeline/files"
)

// ConfigError is a configuration a source cannot be opened with, found only when opening it: the
// user's to fix, like a config validation error, and named by its key.
type ConfigError struct {
	Key, Msg string
}

func (e *ConfigError) Error() string { return e.Key + ": " + e.Msg }

// OpenSource opens the events source the config describes. fsys, when non-nil, is where a files
// source resolves its paths.
func OpenSource(ctx context.Context, cfg *config.Config, fsys fs.FS) (Source, error) {
	switch cfg.Source.Kind {
	case "files":
		c := resolveColumns(cfg.Source.Columns)
		s, err := files.New(cfg.Source.Files, files.Options{FS: fsys, Columns: []string{
			c.CustomerID, c.EventTime, c.EventName, c.Stage, c.Touchpoint, c.Campaign, c.Segment,
			c.OrderID, c.Revenue, c.Sentiment,
		}})
		if err != nil {
			return nil, fmt.Errorf("source: %w", err)
		}
		return s, nil
	case "bigquery":
		if cfg.Source.Preset == "ga4" && cfg.Source.Columns != (config.Columns{}) {
			return nil, &ConfigError{Key: "source.columns", Msg: fmt.Sprintf("the ga4 preset names its columns itself (%s); remove source.columns",
				strings.Join(bigquery.GA4Columns, ", "))}
		}
		cols := resolveColumns(cfg.Source.Columns)
		return openBigQuery(ctx, cfg.Source.BigQuery, cfg.Source.Preset, cols.EventTime, []string{
			cols.CustomerID, cols.EventTime, cols.EventName, cols.Stage, cols.Touchpoint, cols.Campaign,
			cols.Segment, cols.OrderID, cols.Revenue, cols.Sentiment,
		})
	}
	return nil, &ConfigError{Key: "source.kind", Msg: fmt.Sprintf("source kind %q is not available", cfg.Source.Kind)}
}

// openBigQuery opens a BigQuery source wrapped in its bounded retry policy.
func openBigQuery(ctx context.Context, c config.BigQuery, preset, timeCol string, cols []string) (Source, error) {
	// A spend section has no defaults of its own (it is optional): take the events' retry.
	def := config.Default().Source.BigQuery.Retry
	if c.Retry.Attempts == 0 {
		c.Retry.Attempts = def.Attempts
	}
	if c.Retry.InitialBackoff == 0 {
		c.Retry.InitialBackoff = def.InitialBackoff
	}
	if c.Retry.MaxBackoff == 0 {
		c.Retry.MaxBackoff = def.MaxBackoff
	}
	if c.Retry.Deadline == 0 {
		c.Retry.Deadline = def.Deadline
	}
	src, err := bigquery.Open(ctx, bigquery.Options{Config: c, Preset: preset, TimeColumn: timeCol, Columns: cols})
	if err != nil {
		return nil, err
	}
	return WithRetry(src, RetryPolicyFromConfig(c.Retry)), nil
}

// OpenSpend opens the spend source the config describes, or returns nil when it has none.
func OpenSpend(ctx context.Context, cfg *config.Config, fsys fs.FS) (Source, error) {
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
		cols := spendColumns(sp)
		return openBigQuery(ctx, sp.BigQuery, "", cols.Date, []string{cols.Date, cols.Touchpoint, cols.Cost})
	}
	return nil, &ConfigError{Key: "source.spend.kind", Msg: fmt.Sprintf("spend source kind %q is not available", sp.Kind)}
}

// CheckSchema opens the source, and the spend source when there is one, and checks that the
// columns the config needs are there with a type journeykpi reads. It returns a short
// human-readable report, or one error listing every problem.
func CheckSchema(ctx context.Context, cfg config.Config, fsys fs.FS) (string, error) {
	src, err := OpenSource(ctx, &cfg, fsys)
	if err != nil {
		return "", err
	}
	if c, ok := src.(Closer); ok {
		defer c.Close()
	}
	var b strings.Builder
	cols := resolveColumns(cfg.Source.Columns)
	problems, err := checkColumns(ctx, &b, "source", src, []colNeed{
		{"customer_id", cols.CustomerID, true}, {"event_time", cols.EventTime, true},
		{"event_name", cols.EventName, cfg.Funnel.Match == "events"}, {"stage", cols.Stage, cfg.Funnel.Match == "stage"},
		{"touchpoint", cols.Touchpoint, false}, {"campaign", cols.Campaign, false}, {"segment", cols.Segment, false},
		{"order_id", cols.OrderID, false}, {"revenue", cols.Revenue, false}, {"sentiment", cols.Sentiment, false},
	})
	if err != nil {
		return "", err
	}
	spend, err := OpenSpend(ctx, &cfg, fsys)
	if err != nil {
		return "", err
	}
	if spend != nil {
		if c, ok := spend.(Closer); ok {
			defer c.Close()
		}
		sc := spendColumns(cfg.Source.Spend)
		sp, err := checkColumns(ctx, &b, "spend", spend, []colNeed{
			{"date", sc.Date, true}, {"touchpoint", sc.Touchpoint, true}, {"cost", sc.Cost, true},
		})
		if err != nil {
			return "", err
		}
		for _, p := range sp {
			problems = append(problems, "spend: "+p)
		}
	}
	if len(problems) > 0 {
		return "", fmt.Errorf("%s", strings.Join(problems, "; "))
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
// column absent, or one of a type journeykpi cannot read. The error is the schema's own.
func checkColumns(ctx context.Context, b *strings.Builder, what string, src Source, needs []colNeed) ([]string, error) {
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
			if err := readableAs(n.canonical, n.name, typ); err != nil {
				problems = append(problems, err.Error())
				continue
			}
			fmt.Fprintf(b, "  %-12s <- %-20s %s\n", n.canonical, n.name, typ)
		case n.required && what == "spend":
			problems = append(problems, missingSpendColumn(n.canonical, n.name).Error())
		case n.required:
			problems = append(problems, (&MissingColumnError{n.canonical, n.name}).Error())
		default:
			fmt.Fprintf(b, "  %-12s    (absent: optional)\n", n.canonical)
		}
	}
	return problems, nil
}

// readableAs checks that a column of type typ can be read as contract column canonical, by
// handing an empty array of that type to the reader the run would use: validate then refuses
// exactly the types a run would fail on.
func readableAs(canonical, name string, typ arrow.DataType) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("column %q has type %s, which journeykpi cannot read", name, typ)
		}
	}()
	a := array.MakeArrayOfNull(memory.DefaultAllocator, typ, 0)
	defer a.Release()
	switch canonical {
	case "customer_id":
		_, err = keyColumn(a, name)
	case "order_id":
		_, err = optKeyColumn(a, name)
	case "event_time", "date":
		_, err = timeColumn(a, time.UTC, name)
	case "revenue", "sentiment", "cost":
		_, err = floatColumn(a, name)
	default:
		_, err = stringColumn(a, name)
	}
	return err
}

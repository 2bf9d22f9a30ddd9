package pipeline

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/pipeline/files"
)

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
	}
	return nil, fmt.Errorf("source kind %q is not available", cfg.Source.Kind)
}

// openSpend opens the spend source, or returns nil when the config has none.
func openSpend(ctx context.Context, cfg *config.Config, fsys fs.FS) (Source, error) {
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
	}
	return nil, fmt.Errorf("spend source kind %q is not available", sp.Kind)
}

// CheckSchema opens the source and checks that the columns the config needs are there with a
// type journeykpi reads. It returns a short human-readable report.
func CheckSchema(ctx context.Context, cfg config.Config, fsys fs.FS) (string, error) {
	src, err := OpenSource(ctx, &cfg, fsys)
	if err != nil {
		return "", err
	}
	if c, ok := src.(Closer); ok {
		defer c.Close()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "source: %s\n", describe(src))
	s, ok := src.(Schemer)
	if !ok {
		b.WriteString("schema: not checked (the source cannot report it without reading)\n")
		return b.String(), nil
	}
	schema, err := s.Schema(ctx)
	if err != nil {
		return "", fmt.Errorf("schema: %w", err)
	}
	cols := resolveColumns(cfg.Source.Columns)
	type need struct {
		canonical, name string
		required        bool
	}
	needs := []need{
		{"customer_id", cols.CustomerID, true}, {"event_time", cols.EventTime, true},
		{"event_name", cols.EventName, cfg.Funnel.Match == "events"}, {"stage", cols.Stage, cfg.Funnel.Match == "stage"},
		{"touchpoint", cols.Touchpoint, false}, {"campaign", cols.Campaign, false}, {"segment", cols.Segment, false},
		{"order_id", cols.OrderID, false}, {"revenue", cols.Revenue, false}, {"sentiment", cols.Sentiment, false},
	}
	var missing []string
	for _, n := range needs {
		idx := schema.FieldIndices(n.name)
		switch {
		case len(idx) > 0:
			fmt.Fprintf(&b, "  %-12s <- %-20s %s\n", n.canonical, n.name, schema.Field(idx[0]).Type)
		case n.required:
			missing = append(missing, (&MissingColumnError{n.canonical, n.name}).Error())
		default:
			fmt.Fprintf(&b, "  %-12s    (absent: optional)\n", n.canonical)
		}
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("%s", strings.Join(missing, "; "))
	}
	return b.String(), nil
}

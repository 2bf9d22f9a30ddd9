package pipeline

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/kpi"
)

// readSpend reads the optional spend input (date, touchpoint, cost per day) within [start, end).
// Rows with no date, a bad date or a cost that is not a non-negative number are rejected and
// counted in q.SpendRejected.
func readSpend(ctx context.Context, cfg *config.Config, job Job, start, end time.Time, q *kpi.DataQuality) ([]kpi.SpendRow, error) {
	src := job.Spend
	if src == nil {
		s, err := OpenSpend(ctx, cfg, job.FS)
		if err != nil || s == nil {
			return nil, err
		}
		if c, ok := s.(Closer); ok {
			defer c.Close()
		}
		src = s
	}
	cols := spendColumns(cfg.Source.Spend)
	loc := cfg.Location()
	var mu sync.Mutex
	var rows []kpi.SpendRow
	var read, rejected int64
	err := src.Read(ctx, start, end, func(rec arrow.Record) error {
		dateCol, tpCol, costCol := column(rec, cols.Date), column(rec, cols.Touchpoint), column(rec, cols.Cost)
		switch {
		case dateCol == nil:
			return fmt.Errorf("spend: %w", missingSpendColumn("date", cols.Date))
		case tpCol == nil:
			return fmt.Errorf("spend: %w", missingSpendColumn("touchpoint", cols.Touchpoint))
		case costCol == nil:
			return fmt.Errorf("spend: %w", missingSpendColumn("cost", cols.Cost))
		}
		days, err := timeColumn(dateCol, loc, cols.Date)
		if err != nil {
			return fmt.Errorf("spend: %w", err)
		}
		tps, err := stringColumn(tpCol, cols.Touchpoint)
		if err != nil {
			return fmt.Errorf("spend: %w", err)
		}
		costs, err := floatColumn(costCol, cols.Cost)
		if err != nil {
			return fmt.Errorf("spend: %w", err)
		}
		var local []kpi.SpendRow
		var bad int64
		n := int(rec.NumRows())
		for i := 0; i < n; i++ {
			t, reason := days(i)
			c, null, ok := costs(i)
			if reason != "" || !ok || null || c < 0 {
				bad++
				continue
			}
			tp, _ := tps(i)
			day := time.UnixMicro(t).In(loc)
			d := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
			if d.Before(start) || !d.Before(end) {
				continue
			}
			// Cloned: the record's memory is the source's again once emit returns.
			local = append(local, kpi.SpendRow{Day: d.UnixMicro(), Touchpoint: strings.Clone(strings.TrimSpace(tp)), Cost: c})
		}
		mu.Lock()
		rows = append(rows, local...)
		read += int64(n)
		rejected += bad
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read spend: %w", err)
	}
	q.SpendRows, q.SpendRejected = read, rejected
	sortSpend(rows)
	return rows, nil
}

// spendColumns is the spend source's column for each of date, touchpoint and cost: the
// configured name, or the canonical one. sp may be nil (spend passed in by Job.Spend).
func spendColumns(sp *config.Spend) config.SpendColumns {
	cols := config.SpendColumns{Date: "date", Touchpoint: "touchpoint", Cost: "cost"}
	if sp == nil {
		return cols
	}
	if sp.Columns.Date != "" {
		cols.Date = sp.Columns.Date
	}
	if sp.Columns.Touchpoint != "" {
		cols.Touchpoint = sp.Columns.Touchpoint
	}
	if sp.Columns.Cost != "" {
		cols.Cost = sp.Columns.Cost
	}
	return cols
}

// missingSpendColumn says that the spend source has no column name for contract column
// canonical, naming the config key that maps it.
func missingSpendColumn(canonical, name string) error {
	return fmt.Errorf("the source has no column %q (source.spend.columns.%s)", name, canonical)
}

// sortSpend orders spend rows by day and touchpoint, so sums do not depend on read order.
func sortSpend(rows []kpi.SpendRow) {
	slices.SortFunc(rows, func(a, b kpi.SpendRow) int {
		if c := cmp.Compare(a.Day, b.Day); c != 0 {
			return c
		}
		if c := strings.Compare(a.Touchpoint, b.Touchpoint); c != 0 {
			return c
		}
		return cmp.Compare(a.Cost, b.Cost)
	})
}

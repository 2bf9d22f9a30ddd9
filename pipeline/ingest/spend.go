package ingest

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/internal/fault"
	"github.com/journeykpi/journeykpi/kpi"
)

// SpendReader maps the optional spend input (date, touchpoint, cost per day) onto kpi.SpendRow.
// Rows with no date, a bad date or a cost that is not a non-negative number are rejected and
// counted; days outside [start, end) are left out. Add is safe for concurrent use.
type SpendReader struct {
	cols       config.SpendColumns
	loc        *time.Location
	start, end time.Time

	mu             sync.Mutex
	rows           []kpi.SpendRow
	read, rejected int64
}

// NewSpendReader returns a reader of spend section sp (nil: the canonical column names) whose
// dates are days in loc.
func NewSpendReader(sp *config.Spend, loc *time.Location, start, end time.Time) *SpendReader {
	return &SpendReader{cols: spendColumns(sp), loc: loc, start: start, end: end}
}

// Add maps one record batch. The record is not kept.
func (r *SpendReader) Add(rec arrow.Record) error {
	cols := r.cols
	dateCol, tpCol, costCol := column(rec, cols.Date), column(rec, cols.Touchpoint), column(rec, cols.Cost)
	switch {
	case dateCol == nil:
		return MissingSpendColumn("date", cols.Date)
	case tpCol == nil:
		return MissingSpendColumn("touchpoint", cols.Touchpoint)
	case costCol == nil:
		return MissingSpendColumn("cost", cols.Cost)
	}
	days, _, err := timeColumn(dateCol, TimeReading{Loc: r.loc}, cols.Date)
	if err != nil {
		return err
	}
	tps, err := stringColumn(tpCol, cols.Touchpoint)
	if err != nil {
		return err
	}
	costs, err := floatColumn(costCol, cols.Cost)
	if err != nil {
		return err
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
		day := time.UnixMicro(t).In(r.loc)
		d := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, r.loc)
		if d.Before(r.start) || !d.Before(r.end) {
			continue
		}
		// Cloned: the record's memory is the source's again once Add returns.
		local = append(local, kpi.SpendRow{Day: d.UnixMicro(), Touchpoint: strings.Clone(strings.TrimSpace(tp)), Cost: c})
	}
	r.mu.Lock()
	r.rows = append(r.rows, local...)
	r.read += int64(n)
	r.rejected += bad
	r.mu.Unlock()
	return nil
}

// Rows returns the spend rows in day and touchpoint order (so sums do not depend on the read
// order), with the number of rows read and rejected. Call it once every Add has returned.
func (r *SpendReader) Rows() (rows []kpi.SpendRow, read, rejected int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sortSpend(r.rows)
	return r.rows, r.read, r.rejected
}

// spendColumns is the spend section's column names; the canonical ones when there is no section
// (spend passed in directly).
func spendColumns(sp *config.Spend) config.SpendColumns {
	if sp == nil {
		return config.DefaultSpend().Columns
	}
	return sp.Columns
}

// MissingSpendColumn says that the spend source has no column name for spend column canonical
// (date, touchpoint, cost), naming the config key that maps it: a configuration error.
func MissingSpendColumn(canonical, name string) error {
	return fault.Errorf(fault.Config, "spend: the source has no column %q (source.spend.columns.%s)", name, canonical)
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

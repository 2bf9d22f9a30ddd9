package ingest

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/internal/fault"
	"github.com/journeykpi/journeykpi/kpi"
)

// SpendReader maps the optional spend input, the touchpoint metrics (date, touchpoint, cost per
// day, and optionally campaign, impressions, clicks and currency), onto kpi.SpendRow. Rows with
// no date, a bad date, a cost that is not a non-negative number, impressions or clicks that are
// not, or a currency other than the report's are rejected and counted; days outside [start, end)
// are left out. Add is safe for concurrent use.
type SpendReader struct {
	cols       config.SpendColumns
	loc        *time.Location
	start, end time.Time
	currency   string

	mu             sync.Mutex
	rows           []kpi.SpendRow
	read, rejected int64
	// otherCurrency counts the rows rejected for their currency, and names one of them.
	otherCurrency int64
	otherName     string
}

// NewSpendReader returns a reader of spend section sp (nil: the canonical column names) whose
// dates are days in loc and whose amounts must be in currency (the report's; "" accepts any).
func NewSpendReader(sp *config.Spend, loc *time.Location, start, end time.Time, currency string) *SpendReader {
	return &SpendReader{cols: spendColumns(sp), loc: loc, start: start, end: end, currency: currency}
}

// optionalColumn is the column of an optional spend field: the one its name maps it to, else one
// of its canonical name; nil when the source has neither.
func optionalColumn(rec arrow.Record, name, canonical string) arrow.Array {
	if name != "" {
		return column(rec, name)
	}
	return column(rec, canonical)
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
	campaigns, err := optionalString(optionalColumn(rec, cols.Campaign, "campaign"), "campaign")
	if err != nil {
		return err
	}
	currencies, err := optionalString(optionalColumn(rec, cols.Currency, "currency"), "currency")
	if err != nil {
		return err
	}
	impressions, err := floatColumn(optionalColumn(rec, cols.Impressions, "impressions"), "impressions")
	if err != nil {
		return err
	}
	clicks, err := floatColumn(optionalColumn(rec, cols.Clicks, "clicks"), "clicks")
	if err != nil {
		return err
	}
	count := func(f floatFunc, i int) (float64, bool) {
		v, null, ok := f(i)
		switch {
		case null:
			return math.NaN(), true
		case !ok || v < 0:
			return 0, false
		}
		return v, true
	}
	var local []kpi.SpendRow
	var bad, other int64
	var otherName string
	n := int(rec.NumRows())
	for i := 0; i < n; i++ {
		t, reason := days(i)
		c, null, ok := costs(i)
		imp, okImp := count(impressions, i)
		clk, okClk := count(clicks, i)
		if reason != "" || !ok || null || c < 0 || !okImp || !okClk {
			bad++
			continue
		}
		if cur, ok := currencies(i); ok && r.currency != "" && strings.TrimSpace(cur) != "" && !strings.EqualFold(strings.TrimSpace(cur), r.currency) {
			bad++
			other++
			otherName = strings.Clone(strings.TrimSpace(cur))
			continue
		}
		tp, _ := tps(i)
		camp, _ := campaigns(i)
		day := time.UnixMicro(t).In(r.loc)
		d := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, r.loc)
		if d.Before(r.start) || !d.Before(r.end) {
			continue
		}
		// Cloned: the record's memory is the source's again once Add returns.
		local = append(local, kpi.SpendRow{Day: d.UnixMicro(), Touchpoint: strings.Clone(strings.TrimSpace(tp)), Cost: c,
			Campaign: strings.Clone(strings.TrimSpace(camp)), Impressions: imp, Clicks: clk})
	}
	r.mu.Lock()
	r.rows = append(r.rows, local...)
	r.read += int64(n)
	r.rejected += bad
	r.otherCurrency += other
	if other > 0 && (r.otherName == "" || otherName < r.otherName) {
		r.otherName = otherName
	}
	r.mu.Unlock()
	return nil
}

// optionalString reads an optional text column; an absent one reads as null on every row.
func optionalString(a arrow.Array, name string) (func(int) (string, bool), error) {
	if a == nil {
		return func(int) (string, bool) { return "", false }, nil
	}
	return stringColumn(a, name)
}

// OtherCurrency is the number of rows rejected for a currency other than the report's, and one
// such currency (the first in byte order). Call it once every Add has returned.
func (r *SpendReader) OtherCurrency() (rows int64, currency string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.otherCurrency, r.otherName
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

// sortSpend orders spend rows by day, touchpoint, campaign and the numbers, so sums do not depend
// on read order.
func sortSpend(rows []kpi.SpendRow) {
	slices.SortFunc(rows, func(a, b kpi.SpendRow) int {
		if c := cmp.Compare(a.Day, b.Day); c != 0 {
			return c
		}
		if c := strings.Compare(a.Touchpoint, b.Touchpoint); c != 0 {
			return c
		}
		if c := strings.Compare(a.Campaign, b.Campaign); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Cost, b.Cost); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Impressions, b.Impressions); c != 0 {
			return c
		}
		return cmp.Compare(a.Clicks, b.Clicks)
	})
}

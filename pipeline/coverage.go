package pipeline

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/internal/fault"
	"github.com/journeykpi/journeykpi/kpi"
	"github.com/journeykpi/journeykpi/pipeline/ingest"
	"github.com/journeykpi/journeykpi/pipeline/window"
)

// ErrNoData is a report period with no event in it: the run fails (exit 3) rather than write a
// report of zeros. Errors wrap it with what was read.
var ErrNoData = errors.New("no data")

// Warning codes of the report's coverage (docs/json.md). A period with DataEndsEarly or
// DataStartsLate is incomplete: its own days are not all in the data.
const (
	// DataEndsEarly: the latest event read falls on a day before the period's last day.
	DataEndsEarly = "data_ends_early"
	// DataStartsLate: the earliest event read falls on a day after the period's first day.
	DataStartsLate = "data_starts_late"
	// HistoryShort: the data start after the period's first day less repeat.history, so the
	// returning customer rate and the cohorts see less history than configured.
	HistoryShort = "history_short"
	// OrdersLookLikeLines: orders whose events carry different revenue values, read under
	// source.order_lines: first, so that only the first value counts: the source looks like one
	// row per order line.
	OrdersLookLikeLines = "orders_look_like_lines"
	// ComparisonBeforeData: the period compared with starts before the data do, so its numbers are
	// partial and no change against it is called good or bad.
	ComparisonBeforeData = "comparison_before_data"
	// YearAgoBeforeData: comparison.year_ago is on, but the data start after the year-ago period's
	// first day.
	YearAgoBeforeData = "year_ago_before_data"
)

// Incomplete reports whether warnings say the data cover the report's period only in part.
func Incomplete(warnings []kpi.Warning) bool {
	for _, w := range warnings {
		if w.Code == DataEndsEarly || w.Code == DataStartsLate {
			return true
		}
	}
	return false
}

// checkCoverage fails a run whose period holds no event, and returns the warnings of a period the
// data covers only in part, or whose comparisons and history reach before the data. desc describes
// the source and lastRead lists what its read opened ("" when it cannot say); q counts the rows
// read.
func checkCoverage(cfg *config.Config, w window.Window, cmp comparison, c ingest.Coverage, q kpi.DataQuality, desc, lastRead string) ([]kpi.Warning, error) {
	loc := cfg.Location()
	day := func(t int64) string { return time.UnixMicro(t).In(loc).Format(time.DateOnly) }
	stamp := func(t int64) string { return time.UnixMicro(t).In(loc).Format(time.RFC3339) }
	if c.InPeriod == 0 {
		// The rows before and after filtering, so that a filter that leaves nothing shows.
		counts := fmt.Sprintf("%d rows read, %d filtered out by source.where, %d rejected, %d kept", q.RowsRead, q.RowsFiltered,
			q.RowsRejected, q.RowsRead-q.RowsFiltered-q.RowsRejected)
		if q.RowsRead == 0 {
			what := desc
			if lastRead != "" {
				// One line: each file read with its size, then the total.
				what = strings.ReplaceAll(strings.ReplaceAll(lastRead, "\t", " "), "\n", "; ")
			}
			return nil, fault.Errorf(fault.Data, "%w in the report period %s: the source has no rows at all (%s)", ErrNoData, w, what)
		}
		if c.First > c.Last {
			return nil, fault.Errorf(fault.Data, "%w in the report period %s: no event was read at all (%s) from %s",
				ErrNoData, w, counts, desc)
		}
		return nil, fault.Errorf(fault.Data, "%w in the report period %s: the events read run from %s to %s (%s; %d in the range the report reads, 0 in the period)",
			ErrNoData, w, stamp(c.First), stamp(c.Last), counts, c.InRange)
	}
	var ws []kpi.Warning
	first := day(c.First)
	if last := day(c.Last); last < w.ToDay() {
		ws = append(ws, kpi.Warning{Code: DataEndsEarly, Message: fmt.Sprintf(
			"The data end on %s, before the period's last day %s: the period is incomplete, and its numbers will change when the rest arrives.", last, w.ToDay())})
	}
	if first > w.FromDay() {
		ws = append(ws, kpi.Warning{Code: DataStartsLate, Message: fmt.Sprintf(
			"The data start on %s, after the period's first day %s: the period is incomplete.", first, w.FromDay())})
	}
	if first <= w.FromDay() && first > cmp.previous.FromDay() {
		ws = append(ws, kpi.Warning{Code: ComparisonBeforeData, Message: fmt.Sprintf(
			"The previous period %s to %s starts before the data do (%s): its numbers are partial, so no change against it is called good or bad.",
			cmp.previous.FromDay(), cmp.previous.ToDay(), first)})
	}
	if from := w.From.Add(-cfg.Repeat.History.D()).Format(time.DateOnly); first <= w.FromDay() && first > from {
		ws = append(ws, kpi.Warning{Code: HistoryShort, Message: fmt.Sprintf(
			"The data start on %s, but repeat.history (%s) reaches back to %s: the returning customer rate and the cohorts count only the orders since %s.",
			first, cfg.Repeat.History, from, first)})
	}
	if cmp.yearAgo != nil && cfg.Comparison.YearAgo == config.YearAgoOn && first > cmp.yearAgo.FromDay() {
		ws = append(ws, kpi.Warning{Code: YearAgoBeforeData, Message: fmt.Sprintf(
			"The year-ago period %s to %s starts before the data do (%s): its numbers are partial, so no change against it is called good or bad.",
			cmp.yearAgo.FromDay(), cmp.yearAgo.ToDay(), first)})
	}
	return ws, nil
}

// orderWarnings warns when, under the first value rule, orders' events carried different
// revenue values (q.OrdersRevenueDiffers): the sign of a line-item source whose revenue would be
// too low.
func orderWarnings(cfg *config.Config, q *kpi.DataQuality) []kpi.Warning {
	if cfg.Source.OrderLines == "sum" || q.OrdersRevenueDiffers == 0 {
		return nil
	}
	return []kpi.Warning{{Code: OrdersLookLikeLines, Message: fmt.Sprintf(
		"%d orders carry different revenue values on their events, and only the first value of each counts (source.order_lines: first). "+
			"If the source has one row per order line, set source.order_lines: sum and map the line (product, SKU) to source.columns.line_id.",
		q.OrdersRevenueDiffers)}}
}

package reports

import (
	"strings"

	"github.com/journeykpi/journeykpi/kpi"
	"github.com/xuri/excelize/v2"
)

// trendsSheet shows entrants, purchases, orders and revenue per day (or week) with line charts.
func trendsSheet(r *kpi.Result) *sheet {
	s := newSheet(sheetTrends)
	tr := r.Trends
	unit := "Day"
	if tr.Granularity == "week" {
		unit = "Week"
	}
	s.title("Trends")
	s.note(periodLine(r))
	s.note("Per " + strings.ToLower(unit) + ": entrants, entrants of that " + strings.ToLower(unit) + " who reached the purchase stage, orders and revenue.")
	s.blank()
	if len(tr.Points) == 0 {
		s.notComputed("no trend points in the result.")
		return s
	}
	rows := make([][]cell, len(tr.Points))
	for i, p := range tr.Points {
		rows[i] = []cell{txt(p.Date), cnt(p.Entrants), cnt(p.Purchases), cnt(p.Orders), num(p.Revenue, fmtMoney)}
	}
	first, last := s.table("Trends", []string{unit, "Entrants", "Purchases", "Orders", "Revenue"}, rows)
	s.freezeBelow(first)
	// Dates lie slanted, and only every skip-th one is labelled, so they stay readable.
	xAxis := axis("")
	xAxis.Alignment.TextRotation = -45
	if n := len(tr.Points); n > 16 {
		xAxis.TickLabelSkip = (n + 15) / 16
	}
	// The revenue axis has no currency symbol of its own; the title names the currency.
	revenueTitle := "Revenue per " + strings.ToLower(unit)
	if r.Report.Currency != "" {
		revenueTitle += " (" + r.Report.Currency + ")"
	}
	colors := []string{"1F4E78", "C55A11", "548235"}
	var series []excelize.ChartSeries
	for i := 0; i < 3; i++ {
		line := s.series(i+2, first, last)
		line.Line = excelize.LineOptions{Width: 2, Fill: solid(colors[i])}
		line.Marker = excelize.ChartMarker{Symbol: "none"}
		series = append(series, line)
	}
	s.chart(cellName(7, first), &excelize.Chart{
		Type:      excelize.Line,
		Series:    series,
		Title:     chartTitle("Entrants, purchases and orders per " + strings.ToLower(unit)),
		Legend:    excelize.ChartLegend{Position: "bottom"},
		XAxis:     xAxis,
		YAxis:     axis(fmtCount),
		Dimension: excelize.ChartDimension{Width: 640, Height: 300},
		Format:    excelize.GraphicOptions{AltText: "Line chart of entrants, purchases and orders over time"},
	})
	// The second chart starts below the first at the smallest common row height, so the first
	// one's legend is never covered.
	revenue := s.series(5, first, last)
	revenue.Line = excelize.LineOptions{Width: 2, Fill: solid("7030A0")}
	revenue.Marker = excelize.ChartMarker{Symbol: "none"}
	s.chart(cellName(7, first+chartRows(300)), &excelize.Chart{
		Type:      excelize.Line,
		Series:    []excelize.ChartSeries{revenue},
		Title:     chartTitle(revenueTitle),
		Legend:    excelize.ChartLegend{Position: "none"},
		XAxis:     xAxis,
		YAxis:     axis("#,##0"),
		Dimension: excelize.ChartDimension{Width: 640, Height: 300},
		Format:    excelize.GraphicOptions{AltText: "Line chart of revenue over time"},
	})
	return s
}

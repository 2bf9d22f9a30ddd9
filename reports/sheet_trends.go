package reports

import (
	"strings"

	"github.com/journeykpi/journeykpi/kpi"
	"github.com/xuri/excelize/v2"
)

// trendsSheet shows entrants, purchases, orders and revenue per day (or week) against the same
// day (week) of the previous period, with two line charts above the table. Purchases of entrants
// still in progress are drawn apart, dashed: they will still grow.
func trendsSheet(r *kpi.Result) *sheet {
	s := newSheet(sheetTrends)
	tr := r.Trends
	unit := "Day"
	if tr.Granularity == "week" {
		unit = "Week"
	}
	lower := strings.ToLower(unit)
	s.title("Trends")
	s.note(periodLine(r))
	s.note("Per " + lower + ": entrants, entrants of that " + lower + " who reached the purchase stage, orders and revenue; beside them the same " +
		lower + " of the previous period (its first " + lower + " beside this period's first). Dashed: purchases of entrants still in progress, and the previous period; dots: partial " + lower + "s.")
	s.blank()
	if len(tr.Points) == 0 {
		s.notComputed("no trend points in the result.")
		return s
	}
	prev := r.Comparison.Previous.Trends
	samePrev := prev.Granularity == tr.Granularity
	// The table sits below the two charts.
	chartsAt := s.next()
	const chartH = 300
	s.reserve(chartsAt, chartH)
	s.reserve(chartsAt+chartRows(chartH), chartH)
	s.blocks = append(s.blocks, s.next())
	rows := make([][]cell, len(tr.Points))
	firstImmature := -1
	for i, p := range tr.Points {
		if p.Immature && firstImmature < 0 {
			firstImmature = i
		}
	}
	// A partial week (cut by the period or the data) or a day past the data's end is drawn apart,
	// as a marker off the line: its counts are not comparable with whole ones.
	for i, p := range tr.Points {
		entrants, entrantsPart := cnt(p.Entrants), cell{}
		orders, ordersPart := cnt(p.Orders), cell{}
		revenue, revenuePart := num(p.Revenue, fmtMoney), cell{}
		if p.Partial {
			entrants, entrantsPart = entrantsPart, entrants
			orders, ordersPart = ordersPart, orders
			revenue, revenuePart = revenuePart, revenue
		}
		purchases, pending := cnt(p.Purchases), cell{}
		if p.Immature || p.Partial {
			purchases, pending = cell{}, cnt(p.Purchases)
		} else if firstImmature >= 0 && i == firstImmature-1 {
			pending = cnt(p.Purchases) // joins the dashed line to the solid one
		}
		var note []string
		if p.Immature {
			note = append(note, "still in progress")
		}
		if p.Partial {
			note = append(note, "partial "+lower)
		}
		prevDay, prevEntrants, prevRevenue := cell{}, cell{}, cell{}
		if samePrev && i < len(prev.Points) {
			pp := prev.Points[i]
			prevDay, prevEntrants, prevRevenue = txt(pp.Date), cnt(pp.Entrants), num(pp.Revenue, fmtMoney)
		}
		rows[i] = []cell{txt(p.Date), entrants, entrantsPart, purchases, pending, orders, ordersPart, revenue, revenuePart,
			prevEntrants, prevRevenue, prevDay, txt(strings.Join(note, ", "))}
	}
	first, last := s.table("Trends", []string{unit, "Entrants", "Entrants (partial " + lower + ")", "Purchases", "Purchases (in progress)",
		"Orders", "Orders (partial " + lower + ")", "Revenue", "Revenue (partial " + lower + ")",
		"Entrants (previous period)", "Revenue (previous period)", "Previous period " + lower, "Note"}, rows)
	s.freezeBelow(first)
	s.repeatHeader(first, first)

	xAxis := axis("")
	xAxis.Alignment.TextRotation = -45
	if n := len(tr.Points); n > 16 {
		xAxis.TickLabelSkip = (n + 15) / 16
	}
	// A few points draw markers: a line of one point is invisible.
	marker := excelize.ChartMarker{Symbol: "none"}
	if len(tr.Points) < 8 {
		marker = excelize.ChartMarker{Symbol: "circle", Size: 6}
	}
	line := func(col int, color string, dash excelize.LineDashType) excelize.ChartSeries {
		l := s.series(col, first, last)
		l.Line = excelize.LineOptions{Width: 2, Fill: solid(color), Dash: dash}
		l.Marker = marker
		return l
	}
	dots := func(col int, color string) excelize.ChartSeries {
		l := s.series(col, first, last)
		l.Line = excelize.LineOptions{Type: excelize.LineNone}
		l.Marker = excelize.ChartMarker{Symbol: "circle", Size: 6, Fill: solid(color)}
		return l
	}
	series := []excelize.ChartSeries{line(2, "1F4E78", excelize.LineDashSolid), dots(3, "1F4E78"),
		line(4, "C55A11", excelize.LineDashSolid), line(5, "C55A11", excelize.LineDashDash),
		line(6, "548235", excelize.LineDashSolid), dots(7, "548235")}
	if samePrev {
		series = append(series, line(10, "8FAADC", excelize.LineDashDash))
	}
	s.chart(cellName(1, chartsAt), &excelize.Chart{
		Type:      excelize.Line,
		Series:    series,
		Title:     chartTitle("Entrants, purchases and orders per " + lower),
		Legend:    excelize.ChartLegend{Position: "bottom"},
		XAxis:     xAxis,
		YAxis:     axis(fmtCount),
		Dimension: excelize.ChartDimension{Width: 760, Height: chartH},
		Format:    excelize.GraphicOptions{AltText: "Line chart of entrants, purchases and orders over time, with the previous period dashed"},
	})
	// The revenue axis has no currency symbol of its own; the title names the currency.
	revenueTitle := "Revenue per " + lower
	if r.Report.Currency != "" {
		revenueTitle += " (" + r.Report.Currency + ")"
	}
	revenue := []excelize.ChartSeries{line(8, "7030A0", excelize.LineDashSolid), dots(9, "7030A0")}
	if samePrev {
		revenue = append(revenue, line(11, "B4A7D6", excelize.LineDashDash))
	}
	s.chart(cellName(1, chartsAt+chartRows(chartH)), &excelize.Chart{
		Type:      excelize.Line,
		Series:    revenue,
		Title:     chartTitle(revenueTitle),
		Legend:    excelize.ChartLegend{Position: "bottom"},
		XAxis:     xAxis,
		YAxis:     axis("#,##0"),
		Dimension: excelize.ChartDimension{Width: 760, Height: chartH},
		Format:    excelize.GraphicOptions{AltText: "Line chart of revenue over time, with the previous period dashed"},
	})
	return s
}

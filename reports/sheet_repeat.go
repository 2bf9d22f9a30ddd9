package reports

import (
	"fmt"
	"strings"

	"github.com/journeykpi/journeykpi/kpi"
	"github.com/xuri/excelize/v2"
)

func repeatGroupHeader(by string) []string {
	return []string{by, "Purchasers", "Orders", "Revenue", "Average order value", "Orders per purchaser",
		"Repeat purchase rate", "Returning customer rate", "Days to 2nd order (median)",
		"Days to 2nd order (p90)", "Days to 2nd order (mean)", "Second orders"}
}

func repeatGroupCells(g kpi.RepeatGroup) []cell {
	d := g.DaysFirstToSecondOrder
	return []cell{txt(g.Value), cnt(g.Purchasers), cnt(g.Orders), num(g.Revenue, fmtMoney),
		opt(g.AverageOrderValue, fmtMoney), opt(g.OrdersPerPurchaser, fmtNumber),
		opt(g.RepeatPurchaseRate, fmtPercent), opt(g.ReturningCustomerRate, fmtPercent),
		opt(d.Median, fmtHours), opt(d.P90, fmtHours), opt(d.Mean, fmtHours), cnt(d.N)}
}

// repeatSheet shows the repeat-purchase KPIs, their split by segment and first touchpoint, the
// cohort retention heat map and the BG/NBD predictions.
func repeatSheet(r *kpi.Result) *sheet {
	s := newSheet(sheetRepeat)
	rp := r.Repeat
	s.title("Repeat purchase & cohorts")
	s.note(periodLine(r))
	s.blank()
	s.section("Repeat purchase in the period")
	d := rp.DaysFirstToSecondOrder
	returning := opt(rp.ReturningCustomerRate, fmtPercent)
	if !rp.HistoryComplete && returning.v != "n/a" {
		returning.look.font = colorNAFont
	}
	hdr, _ := s.table("", []string{"KPI", "Value"}, [][]cell{
		{bold("Purchasers"), cnt(rp.Purchasers)},
		{bold("Orders"), cnt(rp.Orders)},
		{bold("Revenue"), num(rp.Revenue, fmtMoney)},
		{bold("Average order value"), opt(rp.AverageOrderValue, fmtMoney)},
		{bold("Orders per purchaser"), opt(rp.OrdersPerPurchaser, fmtNumber)},
		{bold("Repeat purchase rate (≥2 orders in the period)"), opt(rp.RepeatPurchaseRate, fmtPercent)},
		{bold("Returning customer rate (ordered before the period)"), returning},
		{bold("Days from first to second order (median)"), opt(d.Median, fmtHours)},
		{bold("Days from first to second order (p90)"), opt(d.P90, fmtHours)},
		{bold("Days from first to second order (mean)"), opt(d.Mean, fmtHours)},
		{bold("Second orders in the period"), cnt(d.N)},
	})
	s.freezeBelow(hdr - 1)
	if !rp.HistoryComplete {
		s.add(cell{v: "Grey: the data start less than repeat.history before the period, so the returning customer rate counts only the orders the data hold " +
			"(see the warning on the Summary), and a cohort's first order may not be the customer's first.", look: look{italic: true, font: colorBadFont}, free: true})
	}
	s.blank()

	type groups struct {
		title, by, table string
		rows             []kpi.RepeatGroup
	}
	splits := []groups{
		{"By segment", "Segment", "RepeatBySegment", rp.BySegment},
		{"By first touchpoint", "First touchpoint", "RepeatByFirstTouchpoint", rp.ByFirstTouchpoint},
	}
	for i, d := range rp.ByDimension {
		splits = append(splits, groups{"By " + strings.ReplaceAll(d.Dimension, "_", " "), label(d.Dimension), fmt.Sprintf("RepeatByDimension%d", i+1), d.Groups})
	}
	for _, g := range splits {
		s.section(g.title)
		if len(g.rows) == 0 {
			s.notComputed("no " + g.title[3:] + " split in the result.")
		} else {
			rows := make([][]cell, len(g.rows))
			for i, x := range g.rows {
				rows[i] = repeatGroupCells(x)
			}
			s.table(g.table, repeatGroupHeader(g.by), rows)
		}
		s.blank()
	}

	unit := "Month"
	if rp.CohortUnit == "week" {
		unit = "Week"
	}
	s.section("Cohort retention")
	s.note(fmt.Sprintf("Customers by %s of first order; the share ordering again in each later %s. n/a: not yet observable.", strings.ToLower(unit), strings.ToLower(unit)))
	if !rp.HistoryComplete {
		s.add(cell{v: "The history is shorter than repeat.history: a customer whose first order came before the data is counted in the cohort of their first order in the data, so the early cohorts hold returning customers.",
			look: look{italic: true, font: colorBadFont}, free: true})
	}
	if len(rp.Cohorts) == 0 {
		s.notComputed("no cohorts in the result.")
	} else {
		// Later periods that no cohort can be observed in yet would be whole columns of n/a:
		// they are left out here (the JSON keeps them as null). One column always stays, so an
		// unobservable table still says so.
		full, width := 0, 0
		for _, c := range rp.Cohorts {
			full = max(full, len(c.Retention))
			for j, v := range c.Retention {
				if v != nil {
					width = max(width, j+1)
				}
			}
		}
		width = max(width, min(full, 1))
		header := []string{"Cohort", "Customers"}
		for i := 1; i <= width; i++ {
			header = append(header, fmt.Sprintf("%s %d", unit, i))
		}
		rows := make([][]cell, len(rp.Cohorts))
		for i, c := range rp.Cohorts {
			row := []cell{txt(c.Cohort), cnt(c.Size)}
			for j := 0; j < width; j++ {
				if j < len(c.Retention) {
					row = append(row, opt(c.Retention[j], fmtPercent))
				} else {
					row = append(row, na())
				}
			}
			rows[i] = row
		}
		first, last := s.table("Cohorts", header, rows)
		if width < full {
			s.note(fmt.Sprintf("%ss %d to %d after the first order are not observable for any cohort yet and are left out.", unit, width+1, full))
		}
		if width > 0 {
			// The scale starts at 0%, not at the lowest share: a lowest share left white looks
			// like an empty cell.
			s.colorScale(rangeRef(3, first+1, width+2, last), excelize.ConditionalFormatOptions{
				Type: "2_color_scale", Criteria: "=", MinType: "num", MinValue: "0", MaxType: "max", MinColor: "#FFFFFF", MaxColor: "#63BE7B",
			})
		}
	}
	s.blank()

	s.section("Predicted repeat purchases (BG/NBD)")
	bg := rp.BGNBD
	switch {
	case bg == nil:
		s.notComputed("the BG/NBD model was not fitted.")
	case !bg.Converged:
		reason := bg.Reason
		if reason == "" {
			reason = "no reason given"
		}
		s.add(cell{v: "The BG/NBD fit did not converge (" + reason + "); no predictions are reported.", look: look{bold: true, font: colorBadFont}, free: true})
		s.table("", []string{"Customers in the fit", "Horizon (days)"}, [][]cell{{cnt(bg.Customers), cnt(int64(bg.HorizonDays))}})
	default:
		s.note(fmt.Sprintf("Fitted on distinct purchase days up to %s (time in %s). Expected purchases and revenue over the next %d days.", r.Report.To, bg.TimeUnit, bg.HorizonDays))
		s.table("", []string{"Parameter", "Value"}, [][]cell{
			{bold("r"), opt(bg.R, fmtParam)},
			{bold("alpha"), opt(bg.Alpha, fmtParam)},
			{bold("a"), opt(bg.A, fmtParam)},
			{bold("b"), opt(bg.B, fmtParam)},
			{bold("Log-likelihood"), opt(bg.LogLikelihood, fmtNumber)},
			{bold("Customers"), cnt(bg.Customers)},
			{bold("Horizon (days)"), cnt(int64(bg.HorizonDays))},
			{bold("Expected purchases"), opt(bg.ExpectedPurchases, fmtNumber)},
			{bold("Expected revenue"), opt(bg.ExpectedRevenue, fmtMoney)},
			{bold("Mean P(alive)"), opt(bg.MeanPAlive, fmtPercent)},
		})
		s.blank()
		for _, g := range []struct {
			by, table string
			rows      []kpi.BGNBDGroup
		}{
			{"Segment", "BGNBDBySegment", bg.BySegment},
			{"First touchpoint", "BGNBDByFirstTouchpoint", bg.ByFirstTouchpoint},
		} {
			if len(g.rows) == 0 {
				s.notComputed("no BG/NBD predictions by " + strings.ToLower(g.by) + ".")
				continue
			}
			rows := make([][]cell, len(g.rows))
			for i, x := range g.rows {
				rows[i] = []cell{txt(x.Value), cnt(x.Customers), num(x.ExpectedPurchases, fmtNumber), num(x.ExpectedRevenue, fmtMoney), num(x.MeanPAlive, fmtPercent)}
			}
			s.table(g.table, []string{g.by, "Customers", "Expected purchases", "Expected revenue", "Mean P(alive)"}, rows)
			s.blank()
		}
	}
	return s
}

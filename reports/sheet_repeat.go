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

	s.section("Customer value ahead: BG/NBD purchases, Gamma-Gamma spend")
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
		s.add(cell{v: valueAheadSentence(bg, rp.SpendModel, moneyWords(r.Report.Currency)), look: look{bold: true}, free: true})
		s.note(fmt.Sprintf("Purchases: BG/NBD fitted on distinct purchase days up to %s (time in %s). Value per purchase: the Gamma-Gamma model fitted on the mean value of each customer's repeat purchase days, so each customer is valued from their own orders, pulled towards the average the fewer they have. Over the next %d days. At risk: customers who bought again but are now more likely to have lapsed than not.",
			r.Report.To, bg.TimeUnit, bg.HorizonDays))
		sm := rp.SpendModel
		spend := func(v func(*kpi.SpendModel) *float64) cell {
			if sm == nil {
				return na()
			}
			return opt(v(sm), fmtParam)
		}
		smCustomers := cell{}
		if sm != nil {
			smCustomers = cnt(sm.Customers)
		}
		s.table("", []string{"Purchases (BG/NBD)", "Value", "Spend per purchase (Gamma-Gamma)", "Value"}, [][]cell{
			{bold("r"), opt(bg.R, fmtParam), bold("p"), spend(func(m *kpi.SpendModel) *float64 { return m.P })},
			{bold("alpha"), opt(bg.Alpha, fmtParam), bold("q"), spend(func(m *kpi.SpendModel) *float64 { return m.Q })},
			{bold("a"), opt(bg.A, fmtParam), bold("gamma"), spend(func(m *kpi.SpendModel) *float64 { return m.Gamma })},
			{bold("b"), opt(bg.B, fmtParam), bold("Log-likelihood"), spend(func(m *kpi.SpendModel) *float64 { return m.LogLikelihood })},
			{bold("Log-likelihood"), opt(bg.LogLikelihood, fmtNumber), bold("Customers (bought again)"), smCustomers},
			{bold("Customers"), cnt(bg.Customers), bold("Horizon (days)"), cnt(int64(bg.HorizonDays))},
		})
		switch {
		case bg.RevenueBasis == kpi.RevenueBasisAverage:
			s.add(cell{v: "The spend model finds no difference between customers' spending beyond chance (" + fitReasonWords(sm.Reason, sm.Have, sm.Need, sm.Param) +
				"), so every purchase is valued at the average repeat purchase.", look: look{italic: true, font: colorNAFont}, free: true})
		case sm != nil && !sm.Converged:
			s.add(cell{v: "The spend model did not converge (" + fitReasonWords(sm.Reason, sm.Have, sm.Need, sm.Param) + "); no revenue is forecast.",
				look: look{italic: true, font: colorBadFont}, free: true})
		}
		s.blank()
		s.table("", []string{"Next " + fmt.Sprint(bg.HorizonDays) + " days", "Value"}, [][]cell{
			{bold("Expected purchases"), opt(bg.ExpectedPurchases, fmtNumber)},
			{bold("Expected revenue"), opt(bg.ExpectedRevenue, fmtMoney)},
			{bold("Value of a purchase"), averageOrModel(bg)},
			{bold("Customers expected to order again"), opt(bg.CustomersOrderingAgain, fmtNumber)},
			{bold("P(orders again), mean"), opt(bg.POrdersAgain, fmtPercent)},
			{bold("Customers at risk"), cnt(bg.AtRisk)},
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
				s.notComputed("no predictions by " + strings.ToLower(g.by) + ".")
				continue
			}
			header := []string{g.by, "Customers", "Expected purchases", "Expected revenue", "Expected to order again", "P(orders again)",
				"At risk", "New customers", "Value per new customer"}
			withCost := g.by == "First touchpoint" && r.Attribution.SpendKnown
			if withCost {
				header = append(header, "Spend per new customer", "Value / spend")
			}
			rows := make([][]cell, len(g.rows))
			for i, x := range g.rows {
				rows[i] = []cell{txt(x.Value), cnt(x.Customers), num(x.ExpectedPurchases, fmtNumber), opt(x.ExpectedRevenue, fmtMoney),
					num(x.CustomersOrderingAgain, fmtNumber), num(x.POrdersAgain, fmtPercent), cnt(x.AtRisk), cnt(x.NewCustomers),
					opt(x.ValuePerNewCustomer, fmtMoney)}
				if withCost {
					rows[i] = append(rows[i], optBlank(x.CostPerNewCustomer, fmtMoney), optBlank(x.ValueToCost, fmtRatio))
				}
			}
			s.table(g.table, header, rows)
			if withCost {
				s.note("Value per new customer: what the customers whose first order fell in the period brought in it, plus their expected revenue over the horizon. Against the touchpoint's spend in the period per new customer it first reached: below 1.00× the touchpoint does not pay back its acquisitions within the horizon.")
			}
			s.blank()
		}
	}
	return s
}

// valueAheadSentence leads the customer-value block: "Expect about 250 repeat orders worth about
// €30,000 from 379 customers in the next 90 days."
func valueAheadSentence(bg *kpi.BGNBDResult, sm *kpi.SpendModel, money func(float64) string) string {
	var orders, customers float64
	if bg.ExpectedPurchases != nil {
		orders = *bg.ExpectedPurchases
	}
	if bg.CustomersOrderingAgain != nil {
		customers = *bg.CustomersOrderingAgain
	}
	worth := ""
	if bg.ExpectedRevenue != nil {
		worth = " worth about " + money(about(*bg.ExpectedRevenue))
	}
	if bg.AveragePurchaseValue != nil {
		worth += " (at the average repeat purchase, " + money(about(*bg.AveragePurchaseValue)) + ")"
	}
	s := fmt.Sprintf("Expect about %s repeat orders%s from %s customers in the next %d days", countWords(orders), worth,
		countWords(customers), bg.HorizonDays)
	if bg.AtRisk > 0 {
		s += fmt.Sprintf("; %s customers who bought again are at risk of having lapsed", groupDigits(float64(bg.AtRisk)))
	}
	if bg.ExpectedRevenue == nil && sm != nil && !sm.Converged {
		s += " (no value: the spend model did not converge)"
	}
	return s + "."
}

// fitReasonWords says why a model was not fitted or not identified, from its reason code and the
// numbers behind it.
func fitReasonWords(reason kpi.FitReason, have, need float64, param string) string {
	n := func(x float64) string { return groupDigits(x) }
	switch reason {
	case kpi.FitTooFewCustomers:
		return fmt.Sprintf("too few customers: %s, at least %s needed", n(have), n(need))
	case kpi.FitTooFewDays:
		return fmt.Sprintf("too few days: %s, at least %s needed", n(have), n(need))
	case kpi.FitTooFewSpendLevels:
		return fmt.Sprintf("too few distinct daily spends: %s, at least %s needed", n(have), n(need))
	case kpi.FitTooFewRevenueDays:
		return fmt.Sprintf("too few days with attributed revenue: %s, at least %s needed", n(have), n(need))
	case kpi.FitNoSpread:
		return "every customer's average spend is the same"
	case kpi.FitNotConverged:
		return "the fit did not settle on an optimum"
	case kpi.FitAtBound:
		return "the best fit puts " + param + " at the edge of its range"
	case kpi.FitFlat:
		if have > 0 {
			return fmt.Sprintf("the data hardly pin down %s (standard error of its logarithm %.2f, at most %.2f allowed)", param, have, need)
		}
		return "the data do not pin down " + param
	case kpi.FitNotFinite:
		return "the fitted model gives numbers that are not finite"
	case kpi.FitOK:
		return "fitted"
	}
	return string(reason)
}

// averageOrModel is the value-of-a-purchase cell: the average repeat purchase when every purchase
// is valued at it, else the spend model's own per customer (or n/a without a forecast).
func averageOrModel(bg *kpi.BGNBDResult) cell {
	switch bg.RevenueBasis {
	case kpi.RevenueBasisAverage:
		return opt(bg.AveragePurchaseValue, fmtMoney)
	case kpi.RevenueBasisSpendModel:
		return cell{v: "each customer's own (spend model)", look: look{italic: true}}
	}
	return na()
}

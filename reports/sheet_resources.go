package reports

import (
	"strings"

	"github.com/journeykpi/journeykpi/kpi"
)

// recommendationFormat is how a recommendation's value reads. Every kind the KPI step writes is
// worth revenue: a stage opportunity, a budget shift's four-week test and a pain point, so they
// rank on one scale. The value is an estimate (its sentence says "about"), so it shows in whole
// units, not to the cent; the Resources data sheet and the JSON keep it exact.
func recommendationFormat(kind string) string {
	switch kind {
	case "stage_opportunity", "budget_shift", "pain_point":
		return fmtMoneyWhole
	}
	return fmtNumber
}

// resourcesSheet lists where resources should go: the ranked recommendations and the tables
// they come from.
func resourcesSheet(r *kpi.Result) *sheet {
	s := newSheet(sheetResources)
	al := r.Allocation
	s.width(2, 70)
	s.title("Resources: where to act")
	s.note(periodLine(r))
	s.note("Ranked actions, each one sentence with its number and the KPI it comes from, by value: a stage opportunity's and a pain point's over the report period's customers, a budget shift's over its four-week test.")
	s.blank()
	s.section("Recommendations")
	if len(al.Recommendations) == 0 {
		s.notComputed("no recommendations in the result.")
	} else {
		rows := make([][]cell, len(al.Recommendations))
		for i, rec := range al.Recommendations {
			rows[i] = []cell{{v: int64(rec.Rank), look: look{numFmt: fmtInt, valign: "top"}},
				{v: rec.Text, look: look{wrap: true, valign: "top"}, free: true},
				{v: rec.Value, look: look{numFmt: recommendationFormat(rec.Kind), valign: "top"}},
				{v: label(rec.Kind), look: look{valign: "top"}}, {v: kpiWords(rec), look: look{valign: "top", wrap: true}, free: true}}
		}
		hdr, _ := s.table("Recommendations", []string{"Rank", "Action", "Value", "Kind", "KPI"}, rows)
		s.freezeBelow(hdr)
		s.width(5, 34)
	}
	s.blank()

	s.section("How each kind of action is computed")
	for _, k := range howComputed(al.CloseGap) {
		s.add(cell{v: k[0], look: look{bold: true, valign: "top"}}, cell{v: k[1], look: look{wrap: true, valign: "top"}, free: true})
	}
	s.blank()
	s.section("Stage opportunities")
	if len(al.StageOpportunity) == 0 {
		s.notComputed("no conversion falls short of its benchmark by more than chance.")
	} else {
		rows := make([][]cell, len(al.StageOpportunity))
		for i, o := range al.StageOpportunity {
			rows[i] = []cell{txt(o.Step), {v: groupLabel(o), free: true}, num(o.Conversion, fmtPercent), num(o.Benchmark, fmtPercent),
				num(o.ExtraCustomers, fmtCount), num(o.Value, fmtMoneyWhole)}
		}
		s.table("Opportunities", []string{"Step", "Group", "Conversion", "Benchmark", "Extra customers", "Value"}, rows)
		s.note("Every gap that counts, with its interval and benchmark, is on the Resources data sheet.")
	}
	s.blank()

	s.section("Budget shifts")
	if len(al.BudgetShifts) == 0 {
		s.notComputed("no budget shifts (no spend input, or nothing to move).")
	} else {
		rows := make([][]cell, len(al.BudgetShifts))
		for i, b := range al.BudgetShifts {
			rows[i] = []cell{txt(b.From), txt(b.To), num(b.WeeklyAmount, fmtMoney), num(b.TestRevenueChange, fmtMoneyWhole), yesNo(b.Recommended),
				{v: shiftWhyNot(b.NotRecommended), free: true}}
		}
		s.table("Shifts", []string{"From", "To", "Per week", "Revenue over four weeks", "Recommended", "Why not"}, rows)
		s.note("The response curves, the marginal ROAS under each attribution model and every shift's detail are on the Resources data sheet.")
	}
	return s
}

// benchmarkWords says what a stage opportunity's benchmark is: "best quarter: email, store" or
// "best recent period: February 2026".
func benchmarkWords(o kpi.StageOpportunity) string {
	if o.BenchmarkKind == kpi.BenchmarkBestPeriod && len(o.BenchmarkOf) == 2 {
		return "best recent period: " + periodName(o.BenchmarkOf[0], o.BenchmarkOf[1])
	}
	return "best quarter: " + strings.Join(o.BenchmarkOf, ", ")
}

// howComputed explains each kind of action in two sentences, for the Resources sheet.
func howComputed(closeGap float64) [][2]string {
	return [][2]string{
		{"Stage opportunity", "A step's conversion for one breakdown value (first touchpoint, segment, your dimensions) is set against the best quarter of the values, and the whole step against its best recent period; only a gap whose 95% interval lies wholly below the benchmark counts. Its value is " + gapShareWords(closeGap) + " closed, times the group's customers at the step, times what a customer reaching the next stage is worth (their share who go on to buy, times revenue per purchaser)."},
		{"Budget shift", "For each paid touchpoint a saturating response curve of daily attributed revenue against daily spend gives what the next euro earns at today's spend (the average ROAS, labelled so, where no curve is identified). Spend moves from the lowest to the highest of these until they meet or the giver's cap binds, and only shifts every attribution model agrees on are proposed, as four-week tests."},
		{"Pain point", "A journey-map cell is a pain point when its customers' average sentiment lies below their stage's by more than chance, with enough customers answering. Its value is what closing " + shareWords(closeGap) + " of the extra drop-off after it would bring (its next-step conversion against the rest of the stage's, times its customers), times what a customer at the next stage is worth."},
	}
}

// basisWords names where a touchpoint's returns in a budget shift come from.
func basisWords(basis string) string {
	switch basis {
	case kpi.ResponseBasisCurve:
		return "curve"
	case kpi.ResponseBasisAverage:
		return "average ROAS"
	}
	return basis
}

// shiftWhyNot says why a budget shift is not an action.
func shiftWhyNot(code string) string {
	switch code {
	case "":
		return ""
	case kpi.ShiftDirectionDiffers:
		return "the attribution models disagree on its direction"
	case kpi.ShiftTooSmall:
		return "under 5% of the giver's spend"
	case kpi.ShiftBelowBreakEven:
		return "the receiver would earn less than break-even"
	}
	return code
}

func basisLabel(basis string) string {
	switch basis {
	case "roas":
		return "ROAS"
	case "revenue_per_customer":
		return "Revenue per customer reached"
	}
	return label(basis)
}

// kpiWords names the KPI a recommendation comes from in words (the JSON keeps its path in kpi):
// "Conversion interest → comparison (Funnel)".
func kpiWords(rec kpi.Recommendation) string {
	switch {
	case rec.Opportunity != nil:
		o := rec.Opportunity
		if o.By == kpi.ByPeriod {
			return "Conversion " + o.Step + " against the recent periods (Funnel, Periods)"
		}
		return "Conversion " + o.Step + " by " + strings.ReplaceAll(o.By, "_", " ") + " (Funnel data)"
	case rec.Shift != nil:
		return "Marginal ROAS of " + rec.Shift.From + " and " + rec.Shift.To + " at today's spend, all attribution models (Resources data, response curves)"
	case rec.Reach != nil:
		return "Revenue per customer reached (Resources, touchpoint efficiency)"
	case rec.PainPoint != nil:
		return "Average sentiment at " + rec.PainPoint.Stage + " through " + rec.PainPoint.Touchpoint + " (Journey map)"
	}
	return rec.KPI
}

// resourcesDataSheet holds the allocation's long tables: every stage opportunity with its
// interval and benchmark, the response curves, the budget shifts in detail and the touchpoint
// efficiency.
func resourcesDataSheet(r *kpi.Result) *sheet {
	s := newSheet(sheetResourcesData)
	al := r.Allocation
	// The group, the reason a curve is not identified and the benchmark's members are words.
	s.width(2, 26)
	s.width(7, 30)
	s.width(9, 26)
	s.title("Resources data")
	s.note(periodLine(r))
	s.note("The tables the actions on the Resources sheet come from.")
	s.blank()
	s.section("Stage opportunity")
	s.note("Each step's conversion by breakdown value against the best quarter of the values with enough customers, and the whole step against its best recent period. A gap counts when the group's 95% interval lies wholly below the benchmark. Value: " + gapShareWords(al.CloseGap) + " closed, times the group's customers at the previous stage, times what a customer reaching the stage is worth.")
	if len(al.StageOpportunity) == 0 {
		s.notComputed("no conversion falls short of its benchmark by more than chance.")
	} else {
		rows := make([][]cell, len(al.StageOpportunity))
		for i, o := range al.StageOpportunity {
			rows[i] = []cell{txt(o.Step), {v: groupLabel(o), free: true}, cnt(o.Entrants), cnt(o.Reached), num(o.Conversion, fmtPercent),
				num(o.Interval.Low, fmtPercent), num(o.Interval.High, fmtPercent), num(o.Benchmark, fmtPercent),
				{v: benchmarkWords(o), free: true, look: look{wrap: true}}, num(o.Gap, fmtPercent), num(o.ExtraCustomers, fmtNumber),
				num(o.ValuePerCustomer, fmtMoney), num(o.Value, fmtMoney)}
		}
		s.table("StageOpportunity", []string{"Step", "Group", "Customers at the previous stage", "Reached the stage", "Conversion",
			"95% low", "95% high", "Benchmark", "Benchmark of", "Gap", "Extra customers", "Value per customer", "Value"}, rows)
	}
	s.blank()

	s.section("Response curves of the paid touchpoints")
	s.note("Daily Markov-attributed revenue against daily spend over the read history: a saturating (Hill) curve with carry-over to the next days (adstock), fitted by least squares. Identified: enough days, distinct spends and days with revenue, and the curve's shape and half-saturation spend each known within a factor of about 1.65. Marginal ROAS: what the next unit of daily spend earns at today's spend, from the curve, or the period's average ROAS where none is identified.")
	if len(al.ResponseCurves) == 0 {
		s.notComputed("no spend input, or no paid touchpoint with spend (allocation.paid).")
	} else {
		models := kpi.AttributionModels()
		header := []string{"Touchpoint", "Days", "Distinct spends", "Days with revenue", "Today's daily spend", "Identified", "Why not",
			"β (revenue at saturation)", "α (shape)", "κ (half-saturation spend)", "θ (carry-over)", "R²"}
		for _, m := range models {
			header = append(header, "Marginal ROAS, "+modelLabel(m))
		}
		rows := make([][]cell, len(al.ResponseCurves))
		for i, c := range al.ResponseCurves {
			why := ""
			if !c.Identified {
				why = fitReasonWords(c.Reason, c.Have, c.Need, c.Param)
			}
			rows[i] = []cell{txt(c.Touchpoint), cnt(c.Days), cnt(c.SpendLevels), cnt(c.RevenueDays), num(c.CurrentDailySpend, fmtMoney),
				yesNo(c.Identified), {v: why, look: look{wrap: true}, free: true}, opt(c.Beta, fmtMoney), opt(c.Alpha, fmtParam),
				opt(c.Kappa, fmtMoney), opt(c.Theta, fmtParam), opt(c.RSquared, fmtPercent)}
			for _, m := range models {
				rows[i] = append(rows[i], opt(c.MarginalROAS[m], fmtRatio))
			}
		}
		s.table("ResponseCurves", header, rows)
	}
	s.blank()

	s.section("Budget shifts")
	s.note("Daily spend moves, a small step at a time, from the paid touchpoint whose next unit earns least (Markov) to the one whose next unit earns most, until the two earn the same or the giver has given allocation.max_shift of its spend. A shift is an action only when every attribution model agrees on its direction at today's spend, it moves at least 5% of the giver's spend and, with allocation.margin, the receiver still earns at least break-even after it.")
	if len(al.BudgetShifts) == 0 {
		s.notComputed("no budget shifts (no spend input, or nothing to move).")
	} else {
		rows := make([][]cell, len(al.BudgetShifts))
		for i, b := range al.BudgetShifts {
			rows[i] = []cell{txt(b.From), txt(b.To), num(b.Amount, fmtMoney), num(b.WeeklyAmount, fmtMoney), num(b.ExpectedRevenueChange, fmtMoney),
				num(b.TestRevenueChange, fmtMoney), num(b.FromMarginalROAS, fmtRatio), num(b.ToMarginalROAS, fmtRatio), num(b.ToMarginalROASAfter, fmtRatio),
				txt(basisWords(b.FromBasis) + " / " + basisWords(b.ToBasis)), optBlank(b.BreakEvenROAS, fmtRatio), yesNo(b.Recommended),
				txt(shiftWhyNot(b.NotRecommended))}
		}
		s.table("BudgetShifts", []string{"From", "To", "Per day", "Per week", "Revenue per day", "Revenue over four weeks",
			"Giver's marginal ROAS", "Receiver's marginal ROAS", "Receiver's after the shift", "Returns (giver / receiver)", "Break-even ROAS",
			"Recommended", "Why not"}, rows)
	}
	s.blank()

	s.section("Touchpoint efficiency")
	s.note("Markov-attributed revenue per unit of spend (ROAS), or per customer reached without spend, against the overall average (1.00× = average).")
	if len(al.Efficiency) == 0 {
		s.notComputed("no touchpoint efficiency in the result.")
	} else {
		rows := make([][]cell, len(al.Efficiency))
		for i, e := range al.Efficiency {
			eff := fmtRatio
			if e.Basis != "roas" {
				eff = fmtMoney
			}
			rows[i] = []cell{txt(e.Touchpoint), txt(basisLabel(e.Basis)), num(e.Revenue, fmtMoney), opt(e.Cost, fmtMoney), cnt(e.Reached),
				opt(e.Efficiency, eff), opt(e.Relative, fmtRatio)}
		}
		s.table("Efficiency", []string{"Touchpoint", "Basis", "Attributed revenue (Markov)", "Cost", "Customers reached", "Efficiency", "Relative to average"}, rows)
	}
	return s
}

// groupLabel names a stage opportunity's group in a table.
func groupLabel(o kpi.StageOpportunity) string {
	if o.By == kpi.ByPeriod {
		return "All customers of the step"
	}
	return label(o.By) + ": " + o.Group
}

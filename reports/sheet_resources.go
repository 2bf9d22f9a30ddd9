package reports

import (
	"github.com/journeykpi/journeykpi/kpi"
)

// recommendationFormat is how a recommendation's value reads. Every kind the KPI step writes is
// worth revenue: a stage uplift, a budget shift, and a pain point (its customers × uplift × the
// value of a customer at that stage), so they rank on one scale.
func recommendationFormat(kind string) string {
	switch kind {
	case "stage_opportunity", "budget_shift", "pain_point":
		return fmtMoney
	}
	return fmtNumber
}

// resourcesSheet lists where resources should go: the ranked recommendations and the tables
// they come from.
func resourcesSheet(r *kpi.Result) *sheet {
	s := newSheet(sheetResources)
	al := r.Allocation
	s.title("Resources: where to act")
	s.note(periodLine(r))
	s.note("Ranked actions, each one sentence with its number and the KPI it comes from.")
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
		s.repeatHeader(hdr, hdr)
		s.width(2, 70)
		s.width(5, 34)
	}
	s.blank()

	s.section("Stage opportunity")
	s.note("For each step, the extra customers if its conversion rose by the configured uplift, times the value of a customer reaching the stage. Value lost: what the customers who stopped before the stage would have been worth; it ranks steps of equal value.")
	if len(al.StageOpportunity) == 0 {
		s.notComputed("no stage opportunities in the result.")
	} else {
		rows := make([][]cell, len(al.StageOpportunity))
		for i, o := range al.StageOpportunity {
			rows[i] = []cell{txt(o.Stage), txt(o.Step), num(o.Conversion, fmtPercent), num(o.ExtraCustomers, fmtNumber),
				num(o.ValuePerCustomer, fmtMoney), num(o.Value, fmtMoney), num(o.LostValue, fmtMoney)}
		}
		s.table("StageOpportunity", []string{"Stage", "Step", "Conversion", "Extra customers", "Value per customer", "Value", "Value lost"}, rows)
	}
	s.blank()

	s.section("Budget shifts")
	s.note("From the least to the most efficient touchpoints, each capped at the configured share (allocation.max_shift) of the touchpoint's spend.")
	if len(al.BudgetShifts) == 0 {
		s.notComputed("no budget shifts (no spend input, or nothing to move).")
	} else {
		rows := make([][]cell, len(al.BudgetShifts))
		for i, b := range al.BudgetShifts {
			rows[i] = []cell{txt(b.From), txt(b.To), num(b.Amount, fmtMoney), num(b.ExpectedRevenueChange, fmtMoney)}
		}
		s.table("BudgetShifts", []string{"From", "To", "Amount", "Expected revenue change"}, rows)
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
		return "Conversion " + rec.Opportunity.Step + " (Funnel)"
	case rec.Shift != nil:
		return "ROAS by touchpoint, Markov model (Touchpoints & attribution)"
	case rec.Reach != nil:
		return "Revenue per customer reached (Resources, touchpoint efficiency)"
	case rec.PainPoint != nil:
		return "Average sentiment at " + rec.PainPoint.Stage + " through " + rec.PainPoint.Touchpoint + " (Journey map)"
	}
	return rec.KPI
}

package reports

import (
	"github.com/journeykpi/journeykpi/kpi"
	"github.com/xuri/excelize/v2"
)

// defaultModels are the attribution models of SPEC §3, in the order of the Result's fields.
func defaultModels() []string {
	return []string{"first_touch", "last_touch", "linear", "position_based", "time_decay", "markov"}
}

// modelConversions is a touchpoint's attributed conversions under one model.
func modelConversions(t kpi.TouchpointAttribution, model string) (float64, bool) {
	switch model {
	case "first_touch":
		return t.FirstTouch, true
	case "last_touch":
		return t.LastTouch, true
	case "linear":
		return t.Linear, true
	case "position_based":
		return t.PositionBased, true
	case "time_decay":
		return t.TimeDecay, true
	case "markov":
		return t.Markov, true
	}
	return 0, false
}

func modelLabel(model string) string {
	if model == "position_based" {
		return "Position-based"
	}
	return label(model)
}

// attributionSheet shows every touchpoint's attributed conversions per model (with the clustered
// bar chart), revenue, removal effect and, with spend, cost, CPA and ROAS.
func attributionSheet(r *kpi.Result) *sheet {
	s := newSheet(sheetAttribution)
	a := r.Attribution
	s.title("Touchpoints & attribution")
	s.note(periodLine(r))
	s.note("Each order of the period is a conversion; its credit (summing to 1) goes to the touchpoints on its path under each model.")
	s.blank()
	if a.Conversions == 0 && len(a.Touchpoints) == 0 {
		s.notComputed("no attribution in the result (no orders and no touchpoints in the period).")
		return s
	}
	spend := "no spend input"
	if a.SpendKnown {
		spend = "spend read"
	}
	hdr, _ := s.table("", []string{"Conversions (orders)", "Null paths (no order)", "Revenue", "Spend"},
		[][]cell{{cnt(a.Conversions), cnt(a.NullPaths), num(a.Revenue, fmtMoney), txt(spend)}})
	s.freezeBelow(hdr - 1)
	s.blank()

	s.section("Attributed conversions by touchpoint")
	if len(a.Touchpoints) == 0 {
		s.notComputed("no touchpoints in the attribution.")
		return s
	}
	models := a.Models
	if len(models) == 0 {
		models = defaultModels()
	}
	var convModels []string
	for _, m := range models {
		if _, ok := modelConversions(kpi.TouchpointAttribution{}, m); ok {
			convModels = append(convModels, m)
		}
	}
	modelHeader := func(first string, extra ...string) []string {
		h := []string{first}
		for _, m := range convModels {
			h = append(h, modelLabel(m))
		}
		return append(h, extra...)
	}

	rows := make([][]cell, len(a.Touchpoints))
	for i, t := range a.Touchpoints {
		row := []cell{txt(t.Touchpoint)}
		for _, m := range convModels {
			v, _ := modelConversions(t, m)
			row = append(row, qty(v))
		}
		rows[i] = append(row, num(t.RemovalEffect, fmtPercent), cnt(t.CustomersReached))
	}
	first, last := s.table("AttributedConversions", modelHeader("Touchpoint", "Removal effect (Markov)", "Customers reached"), rows)
	s.note("Removal effect: the share of conversions lost if the touchpoint were taken out of every path.")
	s.blank()
	series := make([]excelize.ChartSeries, len(convModels))
	palette := []string{"1F4E78", "2E75B6", "9DC3E6", "C55A11", "F4B183", "548235"}
	for i := range convModels {
		series[i] = s.series(i+2, first, last)
		series[i].Fill = solid(palette[i%len(palette)])
	}
	if len(series) > 0 {
		at := s.next()
		s.chart(cellName(1, at), &excelize.Chart{
			Type:      excelize.Col,
			Series:    series,
			Title:     chartTitle("Attributed conversions by touchpoint and model"),
			Legend:    excelize.ChartLegend{Position: "bottom"},
			XAxis:     axis(""),
			YAxis:     axis("#,##0"),
			Dimension: excelize.ChartDimension{Width: 820, Height: 340},
			Format:    excelize.GraphicOptions{AltText: "Clustered bar chart of attributed conversions per touchpoint and model"},
		})
		s.reserve(at, 340)
	}

	// The same layout (touchpoint, then one column per model) for revenue and, with spend, CPA
	// and ROAS, so the tables line up under each other.
	perModel := func(title, table string, extra []string, value func(t kpi.TouchpointAttribution, m string) cell, tail func(t kpi.TouchpointAttribution) []cell) {
		s.section(title)
		rows := make([][]cell, len(a.Touchpoints))
		for i, t := range a.Touchpoints {
			row := []cell{txt(t.Touchpoint)}
			for _, m := range convModels {
				row = append(row, value(t, m))
			}
			if tail != nil {
				row = append(row, tail(t)...)
			}
			rows[i] = row
		}
		s.table(table, modelHeader("Touchpoint", extra...), rows)
		s.blank()
	}
	revenue := func(t kpi.TouchpointAttribution, m string) cell {
		if v, ok := t.Revenue[m]; ok {
			return num(v, fmtMoney)
		}
		return na()
	}
	if a.SpendKnown {
		// An organic touchpoint (no spend recorded) has no cost per conversion to speak of: its CPA
		// of 0 and its undefined ROAS read "no spend".
		noSpend := func(t kpi.TouchpointAttribution, c cell) cell {
			if t.Cost != nil && *t.Cost == 0 {
				return cell{v: "no spend", look: look{italic: true, font: colorNAFont, align: "right"}}
			}
			return c
		}
		perModel("Attributed revenue and cost", "AttributedRevenue", []string{"Cost"}, revenue,
			func(t kpi.TouchpointAttribution) []cell { return []cell{opt(t.Cost, fmtMoney)} })
		perModel("Cost per attributed conversion (CPA)", "CPA", nil,
			func(t kpi.TouchpointAttribution, m string) cell { return noSpend(t, opt(t.CPA[m], fmtMoney)) }, nil)
		perModel("Return on ad spend (ROAS): attributed revenue per unit of cost", "ROAS", nil,
			func(t kpi.TouchpointAttribution, m string) cell { return noSpend(t, opt(t.ROAS[m], fmtRatio)) }, nil)
		s.note("No spend: no cost was recorded for the touchpoint (organic), so it has no CPA or ROAS. A CPA is n/a when no conversion is attributed to the touchpoint under that model.")
		s.blank()
		roasAgainstPrevious(s, r)
	} else {
		perModel("Attributed revenue", "AttributedRevenue", nil, revenue, nil)
		s.note("No spend input was read, so cost, CPA and ROAS are not computed.")
	}
	return s
}

// roasAgainstPrevious sets each paid touchpoint's cost and Markov ROAS beside the previous
// period's.
func roasAgainstPrevious(s *sheet, r *kpi.Result) {
	s.section("ROAS against the previous period (" + periodName(r.Report.PreviousFrom, r.Report.PreviousTo) + ")")
	before := map[string]kpi.TouchpointAttribution{}
	for _, t := range r.Comparison.Previous.Attribution.Touchpoints {
		before[t.Touchpoint] = t
	}
	var rows [][]cell
	for _, t := range r.Attribution.Touchpoints {
		p, seen := before[t.Touchpoint]
		if (t.Cost == nil || *t.Cost == 0) && (!seen || p.Cost == nil || *p.Cost == 0) {
			continue // organic in both periods
		}
		prevCost, prevROAS := na(), na()
		if seen {
			prevCost, prevROAS = opt(p.Cost, fmtMoney), opt(p.ROAS["markov"], fmtRatio)
		}
		rows = append(rows, []cell{txt(t.Touchpoint), opt(t.Cost, fmtMoney), opt(t.ROAS["markov"], fmtRatio), prevCost, prevROAS})
	}
	if len(rows) == 0 {
		s.notComputed("no touchpoint with spend in either period.")
		return
	}
	s.table("ROASAgainstPrevious", []string{"Touchpoint", "Cost", "ROAS (Markov)", "Cost, previous period", "ROAS (Markov), previous period"}, rows)
	s.note("Markov-attributed revenue per unit of cost, this period and the previous one; touchpoints without spend in both are left out.")
}

package kpi

import "math"

// headline sets the headline KPIs of the period beside the previous period's, in the order the
// Summary sheet lists them. A KPI that is not defined in a period (no denominator) is nil there,
// and so is its change.
func headline(p *Params, cur, prev *PeriodResult) []Headline {
	purchaseConversion := func(r *PeriodResult) *float64 {
		k := p.PurchaseStage()
		if k < 0 || k >= len(r.Funnel.Closed) {
			return nil
		}
		return r.Funnel.Closed[k].ConversionFromEntry
	}
	count := func(v int64) *float64 { return Ptr(float64(v)) }
	kpis := []struct {
		key, label, format string
		get                func(r *PeriodResult) *float64
	}{
		{"entrants", "Entrants", "count", func(r *PeriodResult) *float64 { return count(r.Funnel.Entrants) }},
		{"purchase_conversion", "Purchase conversion", "percent", purchaseConversion},
		{"completed", "Completed journeys", "count", func(r *PeriodResult) *float64 { return count(r.Funnel.Completed) }},
		{"repeat_purchase_rate", "Repeat purchase rate", "percent", func(r *PeriodResult) *float64 { return r.Repeat.RepeatPurchaseRate }},
		{"revenue", "Revenue", "money", func(r *PeriodResult) *float64 { return Ptr(r.Repeat.Revenue) }},
		{"orders", "Orders", "count", func(r *PeriodResult) *float64 { return count(r.Repeat.Orders) }},
		{"average_order_value", "Average order value", "money", func(r *PeriodResult) *float64 { return r.Repeat.AverageOrderValue }},
		{"returning_customer_rate", "Returning customer rate", "percent", func(r *PeriodResult) *float64 { return r.Repeat.ReturningCustomerRate }},
	}
	out := make([]Headline, 0, len(kpis))
	for _, k := range kpis {
		h := Headline{Key: k.key, Label: k.label, Format: k.format, Current: k.get(cur), Previous: k.get(prev), HigherIsBetter: true}
		if h.Current != nil && h.Previous != nil {
			h.Change = Ptr(*h.Current - *h.Previous)
			if *h.Previous != 0 {
				h.RelativeChange = Ptr(*h.Change / math.Abs(*h.Previous))
			}
		}
		out = append(out, h)
	}
	return out
}

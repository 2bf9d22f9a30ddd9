package kpi

import "testing"

func TestHeadline(t *testing.T) {
	p := defaultParams()
	period := func(entrants, completed, orders int64, conv, revenue float64, rpr, aov, rcr *float64) *PeriodResult {
		r := &PeriodResult{}
		r.Funnel.Entrants, r.Funnel.Completed = entrants, completed
		r.Funnel.Closed = make([]StageRow, len(p.Stages))
		r.Funnel.Closed[p.PurchaseStage()].ConversionFromEntry = Ptr(conv)
		r.Repeat.Orders, r.Repeat.Revenue = orders, revenue
		r.Repeat.RepeatPurchaseRate, r.Repeat.AverageOrderValue, r.Repeat.ReturningCustomerRate = rpr, aov, rcr
		return r
	}
	cur := period(120, 6, 30, 0.25, 3000, Ptr(0.2), Ptr(100), Ptr(0.25))
	prev := period(100, 0, 0, 0.125, 0, nil, nil, Ptr(0))
	hs := headline(p, cur, prev)
	type row struct {
		Key                string
		Cur, Prev, Ch, Rel *float64
	}
	want := []row{
		{"entrants", Ptr(120), Ptr(100), Ptr(20), Ptr(0.2)},
		{"purchase_conversion", Ptr(0.25), Ptr(0.125), Ptr(0.125), Ptr(1)},
		{"completed", Ptr(6), Ptr(0), Ptr(6), nil},
		{"repeat_purchase_rate", Ptr(0.2), nil, nil, nil},
		{"revenue", Ptr(3000), Ptr(0), Ptr(3000), nil},
		{"orders", Ptr(30), Ptr(0), Ptr(30), nil},
		{"average_order_value", Ptr(100), nil, nil, nil},
		{"returning_customer_rate", Ptr(0.25), Ptr(0), Ptr(0.25), nil},
	}
	if len(hs) != len(want) {
		t.Fatalf("%d headline KPIs, want %d", len(hs), len(want))
	}
	for i, w := range want {
		h := hs[i]
		got := row{h.Key, h.Current, h.Previous, h.Change, h.RelativeChange}
		if mustJSON(t, got) != mustJSON(t, w) {
			t.Errorf("%s: got %s, want %s", w.Key, mustJSON(t, got), mustJSON(t, w))
		}
		if !h.HigherIsBetter || h.Label == "" || h.Format == "" {
			t.Errorf("%s: %+v", w.Key, h)
		}
	}
}

package kpi

import (
	"math"
	"testing"
)

func TestTrends(t *testing.T) {
	p := defaultParams()
	js := []Journey{
		{Customer: 1, Events: []Event{ev(0, sAware), ev(1, sInterest), ev(2, sCompare),
			order(ev(3, sPurchase), 1), rev(order(ev(4, sPurchase), 1), 50), rev(order(ev(5, sPurchase), 1), 70)}},
		{Customer: 2, Events: []Event{ev(1*d, sAware), rev(ev(2*d, sPurchase), 10), order(ev(40*d, sPurchase), 9)}},
		{Customer: 3, Events: []Event{ev(1*d+5, sAware)}},
	}
	tr := engineRun(p, p.Current, testDicts(), js, 1).trends
	if tr.Granularity != "day" || len(tr.Points) != 31 || tr.Points[0].Date != "2025-01-01" || tr.Points[30].Date != "2025-01-31" {
		t.Fatalf("granularity %s, %d points", tr.Granularity, len(tr.Points))
	}
	want := []TrendPoint{
		{Date: "2025-01-01", Entrants: 1, Purchases: 1, Orders: 1, Revenue: 50, MatureEntrants: 1},
		{Date: "2025-01-02", Entrants: 2, Purchases: 0, MatureEntrants: 2},
		{Date: "2025-01-03", Orders: 1, Revenue: 10},
	}
	for i, w := range want {
		if tr.Points[i] != w {
			t.Errorf("point %d = %+v, want %+v", i, tr.Points[i], w)
		}
	}

	p.Current.To = p.Current.From + 91*Day
	tr = engineRun(p, p.Current, testDicts(), js, 1).trends
	if tr.Granularity != "week" || tr.Points[0].Date != "2024-12-30" || tr.Points[0].Entrants != 3 || tr.Points[0].Orders != 2 {
		t.Errorf("91 days: %s", mustJSON(t, tr.Points[:2]))
	}
	if n := len(tr.Points); n != 14 || tr.Points[n-1].Date != "2025-03-31" {
		t.Errorf("91 days: %d weeks, last %s", n, tr.Points[n-1].Date)
	}
	p.Current.To = p.Current.From + 90*Day
	if tr = engineRun(p, p.Current, testDicts(), js, 1).trends; tr.Granularity != "day" || len(tr.Points) != 90 {
		t.Errorf("90 days: %s with %d points", tr.Granularity, len(tr.Points))
	}
}

func TestFixedSumDoesNotOverflow(t *testing.T) {
	for _, c := range []struct {
		vals []int64
		want float64
	}{
		{[]int64{1, 2, -5}, -2},
		{[]int64{math.MaxInt64, math.MaxInt64, 2}, 2 * (1 << 63)},
		{[]int64{math.MinInt64, math.MinInt64}, -2 * (1 << 63)},
		{[]int64{math.MaxInt64, 1, -1, math.MinInt64}, -1},
	} {
		var a, b fixedSum
		for i, v := range c.vals {
			if i%2 == 0 {
				a.add(v)
			} else {
				b.add(v)
			}
		}
		a.merge(b)
		if a.value() != c.want {
			t.Errorf("%v: %v, want %v", c.vals, a.value(), c.want)
		}
	}
}

// TestTrendsFollowTheReportGranularity: the previous period is cut like the report period, so a
// 91-day quarter compared with a 90-day one is weekly in both.
func TestTrendsFollowTheReportGranularity(t *testing.T) {
	p := defaultParams()
	p.Current = Period{From: jan1, To: jan1 + 91*Day}
	p.Previous = Period{From: jan1 - 90*Day, To: jan1}
	if tr := engineRun(p, p.Previous, testDicts(), nil, 1).trends; tr.Granularity != "week" || tr.Points[0].Date != "2024-09-30" {
		t.Errorf("previous period of a 91-day report: %s from %s", tr.Granularity, tr.Points[0].Date)
	}
	// A partial first week (the period starts on a Wednesday) is marked.
	if tr := engineRun(p, p.Current, testDicts(), nil, 1).trends; !tr.Points[0].Partial || tr.Points[1].Partial {
		t.Errorf("partial weeks: %+v", tr.Points[:2])
	}
}

package reports

import (
	"fmt"

	"github.com/journeykpi/journeykpi/kpi"
)

var (
	fixtureStages      = []string{"awareness", "interest", "comparison", "purchase", "usage", "feedback", "repeat"}
	fixtureTouchpoints = []string{"social", "search_ads", "email", "website", "app", "store", "word_of_mouth", "(none)"}
)

func p(v float64) *float64 { return kpi.Ptr(v) }

// fixtureStageRows is a closed funnel for n entrants that narrows stage by stage.
func fixtureStageRows(n int64, scale float64) []kpi.StageRow {
	reached := []float64{1, 0.62, 0.41, 0.23, 0.17, 0.09, 0.061}
	rows := make([]kpi.StageRow, len(fixtureStages))
	prevReq := float64(n)
	for i, st := range fixtureStages {
		r := int64(float64(n) * reached[i] * scale)
		if i == 0 {
			r = n
		}
		row := kpi.StageRow{Stage: st, Optional: st == "usage" || st == "feedback", Reached: r}
		if i > 0 {
			row.ConversionFromPrevious = kpi.Ratio(float64(r), prevReq)
			row.ConversionFromEntry = kpi.Ratio(float64(r), float64(n))
			row.TimeToConvertHours = kpi.Stats{N: r, Median: p(11.5 * float64(i)), P90: p(70.25 * float64(i)), Mean: p(23.125 * float64(i))}
		}
		if !row.Optional {
			prevReq = float64(r)
		}
		row.Dropped = r / 3
		row.InProgress = r / 10
		rows[i] = row
	}
	return rows
}

// fullResult is a realistic, fully populated Result: every sheet has something to show.
func fullResult() *kpi.Result {
	r := &kpi.Result{
		Report: kpi.ReportInfo{Name: "journey-report", From: "2026-10-01", To: "2026-10-31", Timezone: "Europe/Berlin",
			PreviousFrom: "2026-09-01", PreviousTo: "2026-09-30", YearAgoFrom: "2025-10-01", YearAgoTo: "2025-10-31", YearAgo: "compared",
			Currency: "EUR", DataEnd: "2026-12-30T23:58:12+01:00"},
	}
	r.Funnel = kpi.FunnelResult{Entrants: 12840, Completed: 783, Dropped: 10311, InProgress: 1746, MatureShare: p(0.94), Closed: fixtureStageRows(12840, 1)}
	r.Funnel.Closed[len(fixtureStages)-1].MatureShare = p(0.12)
	r.Funnel.MatureCohort = &kpi.CohortFunnel{From: "2026-09-01", To: "2026-10-01", Entrants: 12410, Completed: 802, Dropped: 11608,
		MatureShare: p(1), Closed: fixtureStageRows(12410, 1.02)}
	r.Comparison.MinChange, r.Comparison.MinMature = 0.02, 0.8
	for i, st := range fixtureStages {
		sc := kpi.StageComparison{Stage: st, Optional: st == "usage" || st == "feedback", RateChange: kpi.RateChange{
			Value: r.Funnel.Closed[i].ConversionFromEntry, MatureShare: p(1), Mature: st != "repeat", Verdict: kpi.VerdictWithinNoise}}
		if i == 0 {
			sc.Value = p(1)
		}
		sc.Interval = &kpi.Interval{Low: *sc.Value - 0.004, High: *sc.Value + 0.004}
		sc.Previous = p(*sc.Value * 0.97)
		sc.Change = p(*sc.Value - *sc.Previous)
		sc.PValue = p(0.21)
		if st == "purchase" {
			sc.Verdict, sc.PValue, sc.Significant = kpi.VerdictWorse, p(0.0031), true
		}
		if st == "repeat" {
			sc.Verdict, sc.MatureShare = kpi.VerdictImmature, p(0.12)
		}
		r.Comparison.Funnel = append(r.Comparison.Funnel, sc)
	}
	for i, st := range fixtureStages {
		r.Funnel.Open = append(r.Funnel.Open, kpi.OpenRow{Stage: st, Customers: int64(15210 - 2011*i)})
	}
	groups := map[string][]string{
		"first_touchpoint": {"social", "search_ads", "email", "(other)"},
		"segment":          {"bargain_hunter", "loyal", "new_parent", "(other)"},
		"entry_week":       {"2026-W40", "2026-W41", "2026-W42", "2026-W43", "2026-W44"},
	}
	for _, by := range []string{"first_touchpoint", "segment", "entry_week"} {
		b := kpi.Breakdown{By: by}
		for j, v := range groups[by] {
			n := int64(3100 - 420*j)
			g := kpi.BreakdownGroup{Value: v, Entrants: n, Closed: fixtureStageRows(n, 1-0.05*float64(j))}
			conv := g.Closed[3].ConversionFromEntry
			g.Purchase = kpi.RateChange{Value: conv, Interval: &kpi.Interval{Low: *conv - 0.015, High: *conv + 0.015}, MatureShare: p(0.95), Mature: true,
				Previous: p(*conv + 0.01), Change: p(-0.01), PValue: p(0.31), Verdict: kpi.VerdictWithinNoise}
			if by == "entry_week" || v == "(other)" {
				g.Purchase.Previous, g.Purchase.Change, g.Purchase.PValue, g.Purchase.Verdict = nil, nil, nil, kpi.VerdictMissing
			}
			if j == 0 && by == "first_touchpoint" {
				g.Purchase.Verdict, g.Purchase.PValue, g.Purchase.Significant, g.Purchase.Change = kpi.VerdictBetter, p(0.001), true, p(0.04)
			}
			b.Groups = append(b.Groups, g)
		}
		r.Funnel.Breakdowns = append(r.Funnel.Breakdowns, b)
	}

	jm := &r.JourneyMap
	jm.Stages = fixtureStages
	jm.Touchpoints = fixtureTouchpoints
	for i, st := range fixtureStages {
		var sum float64
		var n int64
		for j, tp := range fixtureTouchpoints {
			if (i+j)%5 == 4 {
				continue // this stage is never reached through that touchpoint
			}
			c := kpi.MapCell{Stage: st, Touchpoint: tp, Customers: int64(900/(i+1) + 37*j), Events: int64(2400/(i+1) + 91*j)}
			if (i*3+j)%4 != 0 {
				m := 0.6 - 0.17*float64(i) + 0.05*float64(j)
				c.SentimentMean, c.SentimentN = p(m), int64(40+j*3)
				sum += m * float64(c.SentimentN)
				n += c.SentimentN
			}
			jm.Cells = append(jm.Cells, c)
		}
		mood := kpi.StageMood{Stage: st, N: n}
		if st != "usage" {
			mood.Mean = p(sum / float64(n))
		} else {
			mood.N = 0
		}
		jm.Sentiment = append(jm.Sentiment, mood)
	}
	jm.PainPoints = []kpi.MapCell{jm.Cells[len(jm.Cells)-9], jm.Cells[len(jm.Cells)-7], jm.Cells[len(jm.Cells)-12]}

	for d := 1; d <= 31; d++ {
		r.Trends.Granularity = "day"
		pt := kpi.TrendPoint{
			Date: fmt.Sprintf("2026-10-%02d", d), Entrants: int64(380 + (d*37)%90), Purchases: int64(20 + (d*13)%17),
			Orders: int64(31 + (d*7)%19), Revenue: float64(2000+(d*733)%1400) + 0.45,
		}
		pt.MatureEntrants = pt.Entrants
		if d > 27 {
			pt.MatureEntrants, pt.Immature = pt.Entrants/3, true
		}
		r.Trends.Points = append(r.Trends.Points, pt)
	}

	rp := &r.Repeat
	*rp = kpi.RepeatResult{Purchasers: 2410, Orders: 3190, Revenue: 287345.67, AverageOrderValue: p(90.0770), OrdersPerPurchaser: p(1.3236),
		RepeatPurchaseRate: p(0.1875), ReturningCustomerRate: p(0.3112),
		DaysFirstToSecondOrder: kpi.Stats{N: 412, Median: p(23.5), P90: p(71), Mean: p(31.25)}, CohortUnit: "month", HistoryComplete: true}
	for i, v := range []string{"bargain_hunter", "loyal", "new_parent", "(other)"} {
		n := int64(800 - 150*i)
		rp.BySegment = append(rp.BySegment, kpi.RepeatGroup{Value: v, Purchasers: n, Orders: n + n/(3+int64(i)), Revenue: float64(n) * 88.5,
			AverageOrderValue: p(88.5 - float64(i)), OrdersPerPurchaser: p(1.25 + 0.05*float64(i)), RepeatPurchaseRate: p(0.15 + 0.02*float64(i)),
			ReturningCustomerRate: p(0.3 - 0.03*float64(i)), DaysFirstToSecondOrder: kpi.Stats{N: n / 5, Median: p(20 + float64(i)), P90: p(60), Mean: p(27.5)}})
	}
	for i, v := range fixtureTouchpoints[:4] {
		n := int64(700 - 120*i)
		g := kpi.RepeatGroup{Value: v, Purchasers: n, Orders: n + n/4, Revenue: float64(n) * 91.25, AverageOrderValue: p(91.25),
			OrdersPerPurchaser: p(1.25), RepeatPurchaseRate: p(0.21 - 0.01*float64(i)), ReturningCustomerRate: p(0.28)}
		if i == 3 {
			g.RepeatPurchaseRate, g.DaysFirstToSecondOrder = nil, kpi.Stats{}
		}
		rp.ByFirstTouchpoint = append(rp.ByFirstTouchpoint, g)
	}
	months := []string{"2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"}
	for i, m := range months {
		c := kpi.Cohort{Cohort: m, Size: int64(640 + 25*i)}
		for k := 1; k <= len(months)-i; k++ {
			if k == len(months)-i {
				c.Retention = append(c.Retention, nil) // the month that is not yet fully observable
				continue
			}
			c.Retention = append(c.Retention, p(0.24/float64(k)+0.01*float64(i)))
		}
		rp.Cohorts = append(rp.Cohorts, c)
	}
	rp.BGNBD = &kpi.BGNBDResult{Converged: true, R: p(0.2431), Alpha: p(4.4135), A: p(0.7929), B: p(2.4261), LogLikelihood: p(-9582.429),
		TimeUnit: "weeks", Customers: 5120, HorizonDays: 90, ExpectedPurchases: p(1873.42), ExpectedRevenue: p(168734.9), MeanPAlive: p(0.6231)}
	for i, v := range []string{"bargain_hunter", "loyal", "new_parent"} {
		rp.BGNBD.BySegment = append(rp.BGNBD.BySegment, kpi.BGNBDGroup{Value: v, Customers: int64(1700 - 300*i), ExpectedPurchases: 620.5 - 100*float64(i), ExpectedRevenue: 55000.25 - 9000*float64(i), MeanPAlive: 0.61 + 0.02*float64(i)})
	}
	for i, v := range fixtureTouchpoints[:3] {
		rp.BGNBD.ByFirstTouchpoint = append(rp.BGNBD.ByFirstTouchpoint, kpi.BGNBDGroup{Value: v, Customers: int64(1500 - 200*i), ExpectedPurchases: 540.75 - 80*float64(i), ExpectedRevenue: 48000.5 - 7000*float64(i), MeanPAlive: 0.64 - 0.01*float64(i)})
	}

	a := &r.Attribution
	a.Conversions, a.NullPaths, a.Revenue, a.SpendKnown = 3190, 8742, 287345.67, true
	a.Models = []string{"first_touch", "last_touch", "linear", "position_based", "time_decay", "markov"}
	shares := []float64{0.22, 0.18, 0.15, 0.14, 0.11, 0.10, 0.06, 0.04}
	for i, tp := range fixtureTouchpoints {
		sh := shares[i]
		t := kpi.TouchpointAttribution{Touchpoint: tp, FirstTouch: 3190 * sh * 1.2, LastTouch: 3190 * sh * 0.9, Linear: 3190 * sh,
			PositionBased: 3190 * sh * 1.05, TimeDecay: 3190 * sh * 0.95, Markov: 3190 * sh * 1.01, RemovalEffect: sh * 1.4,
			CustomersReached: int64(9000 * sh), Revenue: map[string]float64{}, CPA: map[string]*float64{}, ROAS: map[string]*float64{}}
		for k, m := range a.Models {
			t.Revenue[m] = 287345.67 * sh * (0.9 + 0.04*float64(k))
		}
		if tp != "word_of_mouth" && tp != "(none)" {
			cost := 41000 * sh * (1 + 0.1*float64(i))
			t.Cost = p(cost)
			for _, m := range a.Models {
				conv, _ := modelConversions(t, m)
				t.CPA[m] = kpi.Ratio(cost, conv)
				t.ROAS[m] = kpi.Ratio(t.Revenue[m], cost)
			}
		} else {
			for _, m := range a.Models {
				t.CPA[m], t.ROAS[m] = nil, nil
			}
		}
		a.Touchpoints = append(a.Touchpoints, t)
	}

	al := &r.Allocation
	al.StageOpportunity = []kpi.StageOpportunity{
		{Step: "comparison → purchase", Stage: "purchase", Conversion: 0.561, ExtraCustomers: 295.3, ValuePerCustomer: 119.2, Value: 35199.76, LostValue: 166234.1},
		{Step: "interest → comparison", Stage: "comparison", Conversion: 0.661, ExtraCustomers: 526.4, ValuePerCustomer: 51.4, Value: 27056.96, LostValue: 145120.5},
		{Step: "awareness → interest", Stage: "interest", Conversion: 0.62, ExtraCustomers: 796.1, ValuePerCustomer: 22.7, Value: 18071.47, LostValue: 110873.2},
	}
	al.BudgetShifts = []kpi.BudgetShift{
		{From: "social", To: "email", Amount: 1804, ExpectedRevenueChange: 6120.5},
		{From: "search_ads", To: "email", Amount: 1476, ExpectedRevenueChange: 3010.25},
	}
	for i, t := range a.Touchpoints {
		e := kpi.Efficiency{Touchpoint: t.Touchpoint, Revenue: t.Revenue["markov"], Cost: t.Cost, Reached: t.CustomersReached, Basis: "roas"}
		if t.Cost != nil {
			e.Efficiency = kpi.Ratio(e.Revenue, *t.Cost)
			e.Relative = p(0.7 + 0.15*float64(i))
		}
		al.Efficiency = append(al.Efficiency, e)
	}
	al.Uplift = 0.10
	al.Recommendations = []kpi.Recommendation{
		{Rank: 1, Kind: "stage_opportunity", Value: 35199.76, KPI: "funnel.closed.purchase.conversion_from_previous",
			Opportunity: &kpi.StageOpportunity{Step: "comparison → purchase", Stage: "purchase", Conversion: 0.561, ExtraCustomers: 295, Value: 35199.76}},
		{Rank: 2, Kind: "stage_opportunity", Value: 27056.96, KPI: "funnel.closed.comparison.conversion_from_previous",
			Opportunity: &kpi.StageOpportunity{Step: "interest → comparison", Stage: "comparison", Conversion: 0.661, ExtraCustomers: 526, Value: 27056.96}},
		{Rank: 3, Kind: "budget_shift", Value: 6120.5, KPI: "attribution.touchpoints.roas.markov",
			Shift: &kpi.ShiftSubject{BudgetShift: kpi.BudgetShift{From: "social", To: "email", Amount: 1804, ExpectedRevenueChange: 6120.5}, FromROAS: 1.9, ToROAS: 4.6}},
		{Rank: 4, Kind: "pain_point", Value: 4087.3, KPI: "journey_map.pain_points.feedback.email.sentiment_mean",
			PainPoint: &kpi.PainSubject{Stage: "feedback", Touchpoint: "email", Customers: 61, Sentiment: p(-0.42), Uplift: 0.10, Value: 4087.3}},
		{Rank: 5, Kind: "budget_shift", Value: 3010.25, KPI: "attribution.touchpoints.roas.markov",
			Shift: &kpi.ShiftSubject{BudgetShift: kpi.BudgetShift{From: "search_ads", To: "email", Amount: 1476, ExpectedRevenueChange: 3010.25}, FromROAS: 2.6, ToROAS: 4.6}},
		{Rank: 6, Kind: "stage_opportunity", Value: 18071.47, KPI: "funnel.closed.interest.conversion_from_previous",
			Opportunity: &kpi.StageOpportunity{Step: "awareness → interest", Stage: "interest", Conversion: 0.62, ExtraCustomers: 796, Value: 18071.47}},
	}

	prev := kpi.PeriodResult{Funnel: kpi.FunnelResult{Entrants: 11920, Closed: fixtureStageRows(11920, 0.97)}}
	for d := 1; d <= 30; d++ {
		prev.Trends.Granularity = "day"
		prev.Trends.Points = append(prev.Trends.Points, kpi.TrendPoint{Date: fmt.Sprintf("2026-09-%02d", d), Entrants: int64(360 + (d*31)%80),
			Revenue: float64(1900+(d*611)%1300) + 0.25})
	}
	prev.Attribution.Touchpoints = []kpi.TouchpointAttribution{{Touchpoint: "search_ads", Cost: p(6400), ROAS: map[string]*float64{"markov": p(2.41)}}}
	r.Comparison.Previous = prev
	type hl struct {
		key, label, format string
		cur, prev, ya      *float64
		higher             bool
		verdict            string
	}
	for _, h := range []hl{
		{"entrants", "Entrants", "count", p(12840), p(11920), p(10410), true, kpi.VerdictBetter},
		{"purchase_conversion", "Purchase conversion", "percent", p(0.23), p(0.2431), p(0.2212), true, kpi.VerdictWorse},
		{"completed", "Completed journeys", "count", p(783), p(801), nil, true, kpi.VerdictImmature},
		{"repeat_purchase_rate", "Repeat purchase rate", "percent", p(0.1875), p(0.1702), p(0.18), true, kpi.VerdictWithinNoise},
		{"revenue", "Revenue", "money", p(287345.67), p(259870.1), p(240112.5), true, kpi.VerdictBetter},
		{"average_order_value", "Average order value", "money", p(90.077), p(90.077), p(88.1), true, kpi.VerdictWithinNoise},
		{"returning_customer_rate", "Returning customer rate", "percent", p(0.3112), p(0.2987), p(0.2901), true, kpi.VerdictSmall},
		{"spend", "Spend", "money", p(22376.5), p(21040), p(19980), false, kpi.VerdictNotTested},
		{"roas", "Blended ROAS", "ratio", p(12.84), p(12.35), p(12.02), true, kpi.VerdictWithinNoise},
		{"cost_per_purchase", "Cost per purchase", "money", p(7.01), nil, nil, false, kpi.VerdictMissing},
	} {
		x := kpi.Headline{Key: h.key, Label: h.label, Format: h.format, Current: h.cur, Previous: h.prev, HigherIsBetter: h.higher,
			Basis: kpi.BasisPeriod, Mature: h.verdict != kpi.VerdictImmature, Verdict: h.verdict}
		if h.key != "spend" {
			x.Interval = &kpi.Interval{Low: *h.cur * 0.97, High: *h.cur * 1.03}
		}
		if h.key == "completed" {
			x.MatureShare = p(0.31)
		}
		if h.cur != nil && h.prev != nil {
			x.Change = p(*h.cur - *h.prev)
			x.RelativeChange = kpi.Ratio(*x.Change, *h.prev)
			if h.verdict != kpi.VerdictNotTested {
				x.PValue = p(0.0123)
				x.Significant = h.verdict == kpi.VerdictBetter || h.verdict == kpi.VerdictWorse || h.verdict == kpi.VerdictSmall
			}
			if h.format == "count" || h.key == "revenue" {
				x.DailyRelativeChange = p(*x.RelativeChange - 0.0333)
			}
		}
		if h.ya != nil {
			ch := *h.cur - *h.ya
			x.YearAgo = &kpi.Versus{Value: h.ya, Change: &ch, RelativeChange: kpi.Ratio(ch, *h.ya), PValue: p(0.04), Significant: true, Verdict: kpi.VerdictBetter}
		}
		r.Comparison.Headline = append(r.Comparison.Headline, x)
	}
	for i, m := range []string{"2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"} {
		ph := kpi.PeriodHeadline{From: m + "-01", To: m + "-28"}
		for _, h := range r.Comparison.Headline {
			v := h
			v.Current = p(*h.Current * (0.9 + 0.02*float64(i)))
			v.YearAgo = nil
			ph.Headline = append(ph.Headline, v)
		}
		r.Comparison.Recent = append(r.Comparison.Recent, ph)
	}
	r.Comparison.WhatMoved = kpi.WhatMoved{
		Conversion: kpi.Decomposition{Basis: kpi.BasisPeriod, Current: p(0.23), Previous: p(0.2431), Change: p(-0.0131),
			By: []kpi.MixBreakdown{{By: "first_touchpoint", Groups: []kpi.MixGroup{
				{Value: "social", Weight: 0.31, WeightBefore: 0.24, Rate: p(0.12), RateBefore: p(0.125), Mix: -0.0084, RateEffect: -0.0014},
				{Value: "email", Weight: 0.12, WeightBefore: 0.13, Rate: p(0.35), RateBefore: p(0.39), Mix: -0.0037, RateEffect: -0.0050}}},
				{By: "segment", Groups: []kpi.MixGroup{
					{Value: "loyal", Weight: 0.2, WeightBefore: 0.19, Rate: p(0.3), RateBefore: p(0.3), Mix: 0.0012, RateEffect: 0}}}},
			Top: []kpi.MixEffect{
				{By: "first_touchpoint", Effect: kpi.EffectMix, Amount: -0.0084, MixGroup: kpi.MixGroup{Value: "social", Weight: 0.31, WeightBefore: 0.24, Rate: p(0.12), RateBefore: p(0.125)}},
				{By: "first_touchpoint", Effect: kpi.EffectRate, Amount: -0.0050, MixGroup: kpi.MixGroup{Value: "email", Weight: 0.12, WeightBefore: 0.13, Rate: p(0.35), RateBefore: p(0.39)}},
				{By: "segment", Effect: kpi.EffectMix, Amount: 0.0012, MixGroup: kpi.MixGroup{Value: "loyal", Weight: 0.2, WeightBefore: 0.19, Rate: p(0.3), RateBefore: p(0.3)}}}},
		Revenue: kpi.Decomposition{Basis: kpi.BasisPeriod, Current: p(287345.67), Previous: p(259870.1), Change: p(27475.57),
			By: []kpi.MixBreakdown{{By: "segment", Groups: []kpi.MixGroup{
				{Value: "loyal", Weight: 650, WeightBefore: 580, Rate: p(140.5), RateBefore: p(138), Mix: 9747.5, RateEffect: 1537.5}}}},
			Top: []kpi.MixEffect{{By: "segment", Effect: kpi.EffectMix, Amount: 9747.5, MixGroup: kpi.MixGroup{Value: "loyal", Weight: 650, WeightBefore: 580, Rate: p(140.5), RateBefore: p(138)}}}},
	}
	r.Periods = []kpi.PeriodHeadline{}

	r.DataQuality = kpi.DataQuality{RowsRead: 1843211, RowsRejected: 1204, RejectedByReason: map[string]int64{
		"no customer_id": 611, "unparseable event_time": 402, "sentiment outside [-1, 1]": 118, "revenue not a number": 73},
		Duplicates: 5120, DuplicateOrderEvents: 88, RowsOutsideRange: 402113, RowsUsed: 1434774, Customers: 151223, Unmatched: 20311,
		SpendRows: 496, SpendRejected: 2}
	return r
}

// notConvergedResult is fullResult with a BG/NBD fit that did not converge.
func notConvergedResult() *kpi.Result {
	r := fullResult()
	r.Repeat.BGNBD = &kpi.BGNBDResult{Converged: false, Reason: "no improvement after 200 iterations", TimeUnit: "weeks", Customers: 5120, HorizonDays: 90}
	return r
}

// emptyResult is a Result for a period without any data.
func emptyResult() *kpi.Result {
	return &kpi.Result{Report: kpi.ReportInfo{Name: "journey-report", From: "2026-10-01", To: "2026-10-31", Timezone: "UTC"}}
}

func fixtureAbout() About {
	return About{
		Source:     "files: testdata/sample/*.parquet",
		Query:      "SELECT user_pseudo_id, event_timestamp\nFROM `p.ds.events_*`\nWHERE _TABLE_SUFFIX BETWEEN @start AND @end",
		Parameters: [][2]string{{"@start", "20260801"}, {"@end", "20261230"}},
		Config:     "report:\n  name: journey-report\n  timezone: Europe/Berlin\nfunnel:\n  window: 30d\n",
		Version:    "v0.1.0",
	}
}

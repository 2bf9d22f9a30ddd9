package kpi

import "math"

// figures are the accumulators behind the headline KPIs of one period.
type figures struct {
	per    Period
	funnel *funnelAcc // the period's entrants
	cohort *funnelAcc // the entrants of its mature cohort; nil when not folded
	repeat *repeatAcc
	spend  *float64 // nil without a spend input
}

// measureKind says how a headline KPI's interval and test are computed.
type measureKind uint8

const (
	// kindRate: x of n; Wilson interval, two-proportion test.
	kindRate measureKind = iota
	// kindCount: x events over days; exact Poisson interval and conditional test on daily rates.
	kindCount
	// kindTotal: a money total with its variance over customers; tested as a daily rate.
	kindTotal
	// kindRatio: a ratio estimate (average order value, ROAS, cost per purchase) with its
	// delta-method variance.
	kindRatio
	// kindExact: a value known exactly (spend): no interval, no test.
	kindExact
)

// measure is one headline KPI in one period, with what its interval and test need.
type measure struct {
	kind  measureKind
	value *float64
	x, n  int64
	days  float64
	est   Estimate
	// mature says whether the value rests on mature entrants (always true outside the funnel, but
	// for a returning customer rate whose history reaches before the data).
	mature bool
}

// interval is the 95% interval of m's value; nil when undefined or exact.
func (m measure) interval() *Interval {
	if m.value == nil {
		return nil
	}
	switch m.kind {
	case kindRate:
		return definedInterval(WilsonInterval(m.x, m.n))
	case kindCount:
		return definedInterval(PoissonInterval(m.x))
	case kindTotal, kindRatio:
		return definedInterval(m.est.Interval())
	}
	return nil
}

// judged is the number the verdict compares: the rate, or for counts and totals the daily rate,
// so that periods of different length compare fairly.
func (m measure) judged() float64 {
	switch m.kind {
	case kindCount:
		return float64(m.x) / m.days
	case kindTotal:
		return m.est.Value / m.days
	}
	return *m.value
}

// pValue is the two-sided p-value of the change between a and b; NaN when it cannot be tested.
func pValue(a, b measure) float64 {
	switch a.kind {
	case kindRate:
		return TwoProportionPValue(a.x, a.n, b.x, b.n)
	case kindCount:
		return PoissonPValue(a.x, a.days, b.x, b.days)
	case kindTotal:
		return DifferencePValue(a.est.Per(a.days), b.est.Per(b.days))
	case kindRatio:
		return DifferencePValue(a.est, b.est)
	}
	return math.NaN()
}

func definedInterval(iv Interval) *Interval {
	if math.IsNaN(iv.Low) || math.IsNaN(iv.High) {
		return nil
	}
	return &iv
}

// matureEnough reports whether at least minMature of n entrants are mature (none are when n is 0).
func matureEnough(mature, n int64, minMature float64) bool {
	return n > 0 && float64(mature)/float64(n) >= minMature
}

// versus compares cur with other, a period before it; reason, when not empty, is the verdict a
// distorted comparison gets whatever the numbers say.
func versus(p *Params, cur, other measure, higherIsBetter bool, reason string) Versus {
	return versusAt(p, cur, other, higherIsBetter, reason, pValue(cur, other))
}

// versusAt is versus with the p-value pv of the change (NaN: not tested), for a change tested
// among others whose p-values are adjusted together.
func versusAt(p *Params, cur, other measure, higherIsBetter bool, reason string, pv float64) Versus {
	v := Versus{Value: other.value, Verdict: VerdictMissing}
	if cur.value == nil || other.value == nil {
		return v
	}
	v.Change = Ptr(*cur.value - *other.value)
	if *other.value != 0 {
		v.RelativeChange = Ptr(*v.Change / math.Abs(*other.value))
	}
	if (cur.kind == kindCount || cur.kind == kindTotal) && cur.days != other.days {
		if b := other.judged(); b != 0 {
			v.DailyRelativeChange = Ptr((cur.judged() - b) / math.Abs(b))
		}
	}
	if !math.IsNaN(pv) {
		v.PValue = Ptr(pv)
		v.Significant = pv < SignificanceLevel
	}
	switch {
	case reason != "":
		v.Verdict = reason
	case !cur.mature || !other.mature:
		v.Verdict = VerdictImmature
	case cur.kind == kindExact:
		v.Verdict = VerdictNotTested
	default:
		a, b := cur.judged(), other.judged()
		switch Judge(a, b, pv, SignificanceLevel, p.MinChange) {
		case VerdictCallOut:
			v.Verdict = VerdictWorse
			if (a > b) == higherIsBetter {
				v.Verdict = VerdictBetter
			}
		case VerdictBelowMinChange:
			v.Verdict = VerdictSmall
		case VerdictNotSignificant:
			v.Verdict = VerdictWithinNoise
		}
	}
	return v
}

// distortion is the verdict every comparison of cur with the earlier period other gets when the
// data cannot support it: other (or cur) starts before the data, or the data end before cur's
// last day; "" when the comparison stands.
func distortion(p *Params, cur, other Period) string {
	switch {
	case p.DataStart > other.From:
		return VerdictBeforeData
	case p.Day(p.DataEnd) < cur.ToDay:
		return VerdictIncomplete
	}
	return ""
}

// headlineKPI is one headline KPI: how to measure it in a period.
type headlineKPI struct {
	key, label, format string
	higherIsBetter     bool
	funnel             bool // a funnel KPI: its maturity is that of the period's entrants
	measure            func(f *figures, cohort bool) measure
}

// headlineKPIs are the headline KPIs in the order the Summary shows them; the spend KPIs only
// with a spend input.
func headlineKPIs(p *Params, withSpend bool) []headlineKPI {
	k, last := p.PurchaseStage(), newStagePlan(p).lastReq
	rate := func(x, n int64) measure {
		return measure{kind: kindRate, value: Ratio(float64(x), float64(n)), x: x, n: n, mature: true}
	}
	count := func(f *figures, x int64) measure {
		return measure{kind: kindCount, value: Ptr(float64(x)), x: x, days: f.per.Days(), mature: true}
	}
	tally := func(f *figures) *repeatTally { return &f.repeat.all }
	kpis := []headlineKPI{
		{"entrants", "Entrants", "count", true, false, func(f *figures, _ bool) measure { return count(f, f.funnel.all.entrants) }},
		{"purchase_conversion", "Purchase conversion", "percent", true, true, func(f *figures, cohort bool) measure {
			c := f.funnel.all
			if cohort && f.cohort != nil {
				c = f.cohort.all
			}
			m := rate(c.reached[k], c.entrants)
			m.mature = matureEnough(c.mature[k], c.entrants, p.MinMature)
			return m
		}},
		{"completed", "Completed journeys", "count", true, true, func(f *figures, _ bool) measure {
			m := count(f, f.funnel.all.completed)
			m.mature = matureEnough(f.funnel.all.mature[last], f.funnel.all.entrants, p.MinMature)
			return m
		}},
		{"repeat_purchase_rate", "Repeat purchase rate", "percent", true, false, func(f *figures, _ bool) measure {
			return rate(tally(f).repeaters, tally(f).purchasers)
		}},
		{"revenue", "Revenue", "money", true, false, func(f *figures, _ bool) measure {
			t := tally(f)
			revenue := t.revenue.value()
			return measure{kind: kindTotal, value: Ptr(revenue), days: f.per.Days(), mature: true,
				est: Estimate{Value: revenue, Variance: t.money.Total().Variance}}
		}},
		{"orders", "Orders", "count", true, false, func(f *figures, _ bool) measure { return count(f, tally(f).orders) }},
		{"average_order_value", "Average order value", "money", true, false, func(f *figures, _ bool) measure {
			t := tally(f)
			aov := Ratio(t.revenue.value(), float64(t.orders))
			m := measure{kind: kindRatio, value: aov, mature: true, est: Estimate{Value: math.NaN(), Variance: math.NaN()}}
			if aov != nil {
				m.est = Estimate{Value: *aov, Variance: t.money.Ratio().Variance}
			}
			return m
		}},
		// A returning customer rate whose repeat.history reaches before the data counts only the
		// orders the data hold: it is not a value to stand behind (grey, out of the trend line).
		{"returning_customer_rate", "Returning customer rate", "percent", true, false, func(f *figures, _ bool) measure {
			m := rate(tally(f).returning, tally(f).purchasers)
			m.mature = historyComplete(p, f.per)
			return m
		}},
	}
	if !withSpend {
		return kpis
	}
	return append(kpis,
		headlineKPI{"spend", "Spend", "money", false, false, func(f *figures, _ bool) measure {
			return measure{kind: kindExact, value: f.spend, mature: true}
		}},
		// Blended ROAS is revenue per unit of spend; its noise is the revenue's (spend is exact).
		headlineKPI{"roas", "Blended ROAS", "ratio", true, false, func(f *figures, _ bool) measure {
			t := tally(f)
			m := measure{kind: kindRatio, mature: true, est: Estimate{Value: math.NaN(), Variance: math.NaN()}}
			if f.spend != nil && *f.spend > 0 {
				s := *f.spend
				rev := t.revenue.value()
				m.value = Ptr(rev / s)
				m.est = Estimate{Value: rev / s, Variance: t.money.Total().Variance / (s * s)}
			}
			return m
		}},
		// Cost per purchase is spend per order; orders are Poisson, so by the delta method
		// Var(S/O) ≈ S²·O/O⁴ = S²/O³.
		headlineKPI{"cost_per_purchase", "Cost per purchase", "money", false, false, func(f *figures, _ bool) measure {
			o := float64(tally(f).orders)
			m := measure{kind: kindRatio, mature: true, est: Estimate{Value: math.NaN(), Variance: math.NaN()}}
			if f.spend != nil && o > 0 {
				s := *f.spend
				m.value = Ptr(s / o)
				m.est = Estimate{Value: s / o, Variance: s * s / (o * o * o)}
			}
			return m
		}},
	)
}

// headline sets the headline KPIs of cur beside prev (the period compared with; nil for none) and
// ya (the year-ago period; nil when not compared), in the order the Summary lists them. A KPI that
// is not defined in a period (no denominator) is nil there, and so is its change.
//
// When fewer than comparison.min_mature of the period's entrants have had their whole window, the
// purchase conversion shown is that of the mature cohort (entrants of [from − W, to − W]), and it
// is compared with the mature cohorts of the other periods, like with like.
func headline(p *Params, cur, prev, ya *figures) []Headline {
	k := p.PurchaseStage()
	own := cur.funnel.all
	cohort := own.entrants > 0 && !matureEnough(own.mature[k], own.entrants, p.MinMature) &&
		cur.cohort != nil && cur.cohort.all.entrants > 0
	last := newStagePlan(p).lastReq
	kpis := headlineKPIs(p, cur.spend != nil)
	out := make([]Headline, 0, len(kpis))
	for _, kp := range kpis {
		m := kp.measure(cur, cohort)
		h := Headline{
			Key: kp.key, Label: kp.label, Format: kp.format, HigherIsBetter: kp.higherIsBetter,
			Current: m.value, Interval: m.interval(), Mature: m.mature, Basis: BasisPeriod, Verdict: VerdictMissing,
		}
		switch kp.key {
		case "purchase_conversion":
			h.MatureShare = Ratio(float64(own.mature[k]), float64(own.entrants))
			if cohort {
				h.Basis = BasisMatureCohort
			}
		case "completed":
			h.MatureShare = Ratio(float64(own.mature[last]), float64(own.entrants))
		}
		reason := func(other *figures) string {
			r := distortion(p, cur.per, other.per)
			if r == "" && kp.key == "returning_customer_rate" && !historyComplete(p, other.per) {
				r = VerdictHistoryShort
			}
			return r
		}
		if prev != nil {
			v := versus(p, m, kp.measure(prev, cohort), kp.higherIsBetter, reason(prev))
			h.Previous, h.Change, h.RelativeChange, h.DailyRelativeChange = v.Value, v.Change, v.RelativeChange, v.DailyRelativeChange
			h.PValue, h.Significant, h.Verdict = v.PValue, v.Significant, v.Verdict
		}
		if ya != nil {
			v := versus(p, m, kp.measure(ya, cohort), kp.higherIsBetter, reason(ya))
			h.YearAgo = &v
		}
		out = append(out, h)
	}
	return out
}

// rateChange is a rate of the period with its interval and its comparison with the previous
// period's (prev.value nil: none).
func rateChange(p *Params, cur, prev measure, share *float64, reason string) RateChange {
	return rateChangeAt(p, cur, prev, share, reason, pValue(cur, prev))
}

// rateChangeAt is rateChange with the p-value pv of the change (versusAt).
func rateChangeAt(p *Params, cur, prev measure, share *float64, reason string, pv float64) RateChange {
	v := versusAt(p, cur, prev, true, reason, pv)
	return RateChange{
		Value: cur.value, Interval: cur.interval(), MatureShare: share, Mature: cur.mature,
		Previous: v.Value, Change: v.Change, PValue: v.PValue, Significant: v.Significant, Verdict: v.Verdict,
	}
}

// stageComparisons compares each stage's conversion from entry with the previous period's.
func stageComparisons(p *Params, cur, prev *figures) []StageComparison {
	a, b := cur.funnel.all, prev.funnel.all
	reason := distortion(p, cur.per, prev.per)
	out := make([]StageComparison, 0, len(p.Stages))
	for k, s := range p.Stages {
		m := func(c *funnelCounts) measure {
			return measure{kind: kindRate, value: Ratio(float64(c.reached[k]), float64(c.entrants)), x: c.reached[k], n: c.entrants,
				mature: matureEnough(c.mature[k], c.entrants, p.MinMature)}
		}
		out = append(out, StageComparison{Stage: s.Name, Optional: cur.funnel.sp.optional[k],
			RateChange: rateChange(p, m(a), m(b), Ratio(float64(a.mature[k]), float64(a.entrants)), reason)})
	}
	return out
}

// compareBreakdowns sets each breakdown group's conversion to purchase against the previous
// period's group of the same value. "(other)" holds different values in each period, and an entry
// week is a different week in each, so neither is compared. The groups of one breakdown are
// tested together: their p-values are adjusted for the number compared (Holm), so that ten
// unchanged touchpoints give a false call in at most 5% of reports, not in 40% (1 − 0.95¹⁰).
func compareBreakdowns(p *Params, cur, prev []Breakdown) {
	k := p.PurchaseStage()
	reason := distortion(p, p.Current, p.Previous)
	m := func(g *BreakdownGroup) measure {
		x := int64(0)
		if k < len(g.Closed) {
			x = g.Closed[k].Reached
		}
		return measure{kind: kindRate, value: Ratio(float64(x), float64(g.Entrants)), x: x, n: g.Entrants, mature: g.Purchase.Mature}
	}
	for bi := range cur {
		var before map[string]*BreakdownGroup
		for pi := range prev {
			if prev[pi].By == cur[bi].By {
				before = map[string]*BreakdownGroup{}
				for gi := range prev[pi].Groups {
					before[prev[pi].Groups[gi].Value] = &prev[pi].Groups[gi]
				}
			}
		}
		groups := cur[bi].Groups
		now, then := make([]measure, len(groups)), make([]measure, len(groups))
		pvs := make([]float64, len(groups))
		for gi := range groups {
			g := &groups[gi]
			now[gi], then[gi] = m(g), measure{kind: kindRate}
			if b, ok := before[g.Value]; ok && g.Value != OtherLabel && cur[bi].By != byEntryWeek {
				then[gi] = m(b)
			}
			pvs[gi] = pValue(now[gi], then[gi])
		}
		adj := HolmAdjust(pvs)
		for gi := range groups {
			g := &groups[gi]
			g.Purchase = rateChangeAt(p, now[gi], then[gi], g.Purchase.MatureShare, reason, adj[gi])
		}
	}
}

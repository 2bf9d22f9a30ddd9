package kpi

// Acc folds journeys into every KPI family, for the report period, the period it is compared
// with and, when asked, the year-ago period; and into the headline KPIs of the mature cohorts, the
// recent periods (sparklines) and the periods of run --by. An Acc is not safe for concurrent use:
// give each worker (or each partition) its own and Merge them in a fixed order, so floating-point
// sums come out the same on every run.
type Acc struct {
	p         *Params
	cur, prev periodAcc
	// ya is the year-ago period; nil when it is not compared.
	ya *periodAcc
	// slots are the periods whose headline KPIs only are needed, in the order NewAcc made them;
	// keys finds them.
	slots []*slotAcc
	keys  map[slotKey]int
	// orders groups each journey's purchase events into orders, once for every family.
	orders *journeyOrders
	// resent counts purchase events repeating an order_id already seen for the customer: GA4
	// exports sometimes resend them, and they count once (data_quality.duplicate_order_events).
	resent int64
	// series is the daily attributed revenue per touchpoint the response curves are fitted to.
	series *seriesAcc
	// differ counts orders whose events carry different revenue values.
	differ int64
}

// slotKey names a slot: a period, or the mature cohort of entrants of a period.
type slotKey struct {
	from, to int64
	cohort   bool
}

// slotAcc holds the light accumulators of one period: the closed funnel's overall counts and, for
// a period (not a mature cohort, whose orders are those of other days), the repeat tally.
type slotAcc struct {
	eval   *evaluator // its period is the slot's
	funnel *funnelAcc
	repeat *repeatAcc
}

// periodAcc holds one accumulator per KPI family for one period.
type periodAcc struct {
	per Period
	// eval finds each journey's counted funnel attempt once for the funnel, map and trends.
	eval   *evaluator
	funnel *funnelAcc
	jmap   *journeyMapAcc
	trends *trendsAcc
	repeat *repeatAcc
	attr   *attributionAcc
}

func newPeriodAcc(p *Params, per Period, current bool) periodAcc {
	funnel := newFunnelAcc(p, per, false)
	return periodAcc{
		per:    per,
		eval:   newEvaluator(p, newStagePlan(p), per, funnel.dimsRead()),
		funnel: funnel,
		jmap:   newJourneyMapAcc(p),
		trends: newTrendsAcc(p, per),
		repeat: newRepeatAcc(p, per, current, false),
		attr:   newAttributionAcc(p, per),
	}
}

func (pa *periodAcc) add(j *Journey, jo *journeyOrders) {
	o := pa.eval.run(j, jo)
	pa.funnel.add(j, o)
	pa.jmap.add(j, o)
	pa.trends.add(j, o)
	pa.repeat.add(j, jo)
	pa.attr.add(j, jo)
}

func (pa *periodAcc) merge(o *periodAcc) {
	pa.funnel.merge(o.funnel)
	pa.jmap.merge(o.jmap)
	pa.trends.merge(o.trends)
	pa.repeat.merge(o.repeat)
	pa.attr.merge(o.attr)
}

func (pa *periodAcc) result(d *Dicts, in *Inputs) PeriodResult {
	return PeriodResult{
		Funnel:      pa.funnel.result(d),
		JourneyMap:  pa.jmap.result(d),
		Trends:      pa.trends.result(),
		Repeat:      pa.repeat.result(d),
		Attribution: pa.attr.result(d, in.Spend),
	}
}

// NewAcc returns an empty accumulator. p must be valid (Params.Validate) and is not copied: it
// must not change while the Acc is in use.
func NewAcc(p *Params) *Acc {
	a := &Acc{p: p, cur: newPeriodAcc(p, p.Current, true), prev: newPeriodAcc(p, p.Previous, false), orders: newJourneyOrders(p),
		keys: map[slotKey]int{}, series: newSeriesAcc(p)}
	if p.YearAgo != nil {
		ya := newPeriodAcc(p, *p.YearAgo, false)
		a.ya = &ya
	}
	// The report period's mature cohort keeps its breakdowns: when the period's own entrants are
	// immature, the stage opportunities are measured on the cohort's groups.
	a.slot(p.MatureCohort(p.Current), true, true)
	for _, per := range a.headlinePeriods() {
		if a.full(per) == nil {
			a.slot(per, false, false)
		}
		a.slot(p.MatureCohort(per), true, false)
	}
	return a
}

// headlinePeriods are every period whose headline KPIs the result shows.
func (a *Acc) headlinePeriods() []Period {
	ps := []Period{a.p.Current, a.p.Previous}
	if a.p.YearAgo != nil {
		ps = append(ps, *a.p.YearAgo)
	}
	ps = append(ps, a.p.Recent...)
	return append(ps, a.p.Periods...)
}

// full returns the full accumulator of per, or nil when per is folded in a slot.
func (a *Acc) full(per Period) *periodAcc {
	for _, pa := range []*periodAcc{&a.cur, &a.prev, a.ya} {
		if pa != nil && pa.per.From == per.From && pa.per.To == per.To {
			return pa
		}
	}
	return nil
}

// slot makes the slot of per (a mature cohort when cohort) unless it exists; with breakdowns its
// funnel keeps them, without their durations.
func (a *Acc) slot(per Period, cohort, breakdowns bool) {
	k := slotKey{per.From, per.To, cohort}
	if _, ok := a.keys[k]; ok {
		return
	}
	f := newFunnelAcc(a.p, per, !breakdowns)
	s := &slotAcc{eval: newEvaluator(a.p, newStagePlan(a.p), per, f.dimsRead()), funnel: f}
	s.funnel.groupsNoDur = true
	if !cohort {
		s.repeat = newRepeatAcc(a.p, per, false, true)
	}
	a.keys[k] = len(a.slots)
	a.slots = append(a.slots, s)
}

// Add folds one journey in. j.Events must be ordered by Compare without exact duplicates
// (Normalize), and j must hold every event of the customer that was read. Add does not keep j.
func (a *Acc) Add(j *Journey) {
	a.orders.scan(j.Events)
	a.cur.add(j, a.orders)
	a.prev.add(j, a.orders)
	if a.ya != nil {
		a.ya.add(j, a.orders)
	}
	// Most slots are periods a journey has no event in: checked here, they cost no evaluation.
	for _, s := range a.slots {
		if !s.eval.outside(j) {
			s.funnel.add(j, s.eval.run(j, a.orders))
		}
		if s.repeat != nil {
			s.repeat.add(j, a.orders)
		}
	}
	if a.series != nil {
		a.series.add(j, a.orders)
	}
	a.resent += a.orders.resent
	a.differ += a.orders.differ
}

// Merge folds b into a. b must not be used afterwards.
func (a *Acc) Merge(b *Acc) {
	a.cur.merge(&b.cur)
	a.prev.merge(&b.prev)
	if a.ya != nil {
		a.ya.merge(b.ya)
	}
	for i, s := range a.slots {
		s.funnel.merge(b.slots[i].funnel)
		if s.repeat != nil {
			s.repeat.merge(b.slots[i].repeat)
		}
	}
	if a.series != nil {
		a.series.merge(b.series)
	}
	a.resent += b.resent
	a.differ += b.differ
}

// Inputs are what a Result needs besides the journeys.
type Inputs struct {
	Report  ReportInfo
	Quality DataQuality
	// Spend is the optional spend input; nil when there is none.
	Spend []SpendRow
}

// SpendRow is the cost of one touchpoint (and campaign) on one day, with its impressions and
// clicks when the input has them.
type SpendRow struct {
	// Day is the start of the day in Unix micros (report time zone).
	Day        int64
	Touchpoint string
	// Campaign is "" when the input has none.
	Campaign string
	Cost     float64
	// Impressions and Clicks are NaN when the input does not give them.
	Impressions, Clicks float64
}

// figures returns the sums behind the headline KPIs of per.
func (a *Acc) figures(per Period, spend []SpendRow) *figures {
	f := &figures{per: per}
	if pa := a.full(per); pa != nil {
		f.funnel, f.repeat = pa.funnel, pa.repeat
	} else {
		s := a.slots[a.keys[slotKey{per.From, per.To, false}]]
		f.funnel, f.repeat = s.funnel, s.repeat
	}
	c := a.p.MatureCohort(per)
	if i, ok := a.keys[slotKey{c.From, c.To, true}]; ok {
		f.cohort = a.slots[i].funnel
	}
	if spend != nil {
		var sum exactSum
		for _, r := range spend {
			if per.Contains(r.Day) {
				sum.add(r.Cost)
			}
		}
		f.spend = Ptr(sum.value())
	}
	return f
}

// Result computes every KPI from what was folded in. d must be the Dicts the events were coded
// with.
func (a *Acc) Result(d *Dicts, in Inputs) *Result {
	p := a.p
	r := &Result{Report: in.Report, Warnings: []Warning{}, DataQuality: in.Quality, Periods: []PeriodHeadline{}}
	r.DataQuality.DuplicateOrderEvents = a.resent
	r.DataQuality.OrdersRevenueDiffers = a.differ
	r.PeriodResult = a.cur.result(d, &in)
	r.Attribution.Metrics, r.Funnel.PaidEntry = touchpointMetrics(p, a.cur.funnel, in.Spend, d)
	r.Funnel.MatureCohort = a.cohortFunnel(p.Current)
	r.Comparison.Previous = a.prev.result(d, &in)
	r.Comparison.Previous.Funnel.MatureCohort = a.cohortFunnel(p.Previous)
	cur, prev := a.figures(p.Current, in.Spend), a.figures(p.Previous, in.Spend)
	var ya *figures
	if a.ya != nil {
		res := a.ya.result(d, &in)
		res.Funnel.MatureCohort = a.cohortFunnel(*p.YearAgo)
		r.Comparison.YearAgo = &res
		ya = a.figures(*p.YearAgo, in.Spend)
	}
	r.Comparison.MinChange, r.Comparison.MinMature = p.MinChange, p.MinMature
	r.Comparison.Headline = headline(p, cur, prev, ya)
	r.Comparison.Funnel = stageComparisons(p, cur, prev)
	r.Comparison.WhatMoved = whatMoved(p, d, cur, prev, r.Comparison.Headline)
	compareBreakdowns(p, r.Funnel.Breakdowns, r.Comparison.Previous.Funnel.Breakdowns)
	r.Comparison.Recent = a.periodHeadlines(p.Recent, in.Spend, true)
	r.Periods = a.periodHeadlines(p.Periods, in.Spend, false)
	valueAgainstCost(&r.PeriodResult)
	r.Allocation = allocate(p, r, allocInput{spend: in.Spend, recent: a.recentRows(), cohortGroups: a.cohortGroups(d),
		series: a.series, dicts: d})
	return r
}

// recentRows are the closed funnels of the recent periods before the report period that the
// data wholly cover: the step benchmarks' past.
func (a *Acc) recentRows() []recentRows {
	var out []recentRows
	for _, per := range a.p.Recent {
		if per.From == a.p.Current.From && per.To == a.p.Current.To || a.p.DataStart > per.From {
			continue
		}
		f := a.figures(per, nil)
		out = append(out, recentRows{from: per.FromDay, to: per.ToDay, rows: f.funnel.all.rows(a.p, f.funnel.sp)})
	}
	return out
}

// cohortGroups are the breakdowns of the report period's mature cohort.
func (a *Acc) cohortGroups(d *Dicts) []Breakdown {
	c := a.p.MatureCohort(a.p.Current)
	i, ok := a.keys[slotKey{c.From, c.To, true}]
	if !ok {
		return nil
	}
	return a.slots[i].funnel.result(d).Breakdowns
}

// cohortFunnel is the closed funnel of the mature cohort of per.
func (a *Acc) cohortFunnel(per Period) *CohortFunnel {
	c := a.p.MatureCohort(per)
	i, ok := a.keys[slotKey{c.From, c.To, true}]
	if !ok {
		return nil
	}
	fa := a.slots[i].funnel
	n := fa.all
	return &CohortFunnel{
		From: c.FromDay, To: c.ToDay, Entrants: n.entrants, Completed: n.completed, Dropped: n.dropped, InProgress: n.inProgress,
		MatureShare: Ratio(float64(n.mature[fa.sp.purchase]), float64(n.entrants)),
		Closed:      n.rows(a.p, fa.sp),
	}
}

// periodHeadlines are the headline KPIs of each period of ps against the one before it. Recent
// periods that start before the data are left out (a sparkline of partial periods would show a
// climb that is only the data starting); the last, the report period, always stays.
func (a *Acc) periodHeadlines(ps []Period, spend []SpendRow, recent bool) []PeriodHeadline {
	out := []PeriodHeadline{}
	var prev *figures
	for i, per := range ps {
		before := a.p.DataStart > per.From
		if recent && before && i < len(ps)-1 {
			continue
		}
		f := a.figures(per, spend)
		out = append(out, PeriodHeadline{
			From: per.FromDay, To: per.ToDay,
			Partial:  per.Partial || before || a.p.Day(a.p.DataEnd) < per.ToDay,
			Headline: headline(a.p, f, prev, nil),
		})
		prev = f
	}
	return out
}

// valueAgainstCost sets, for each first touchpoint of the purchase model's groups that has spend,
// its spend per new customer and the new customers' value against it.
func valueAgainstCost(r *PeriodResult) {
	bg := r.Repeat.BGNBD
	if bg == nil || !r.Attribution.SpendKnown {
		return
	}
	cost := map[string]float64{}
	for _, t := range r.Attribution.Touchpoints {
		if t.Cost != nil {
			cost[t.Touchpoint] = *t.Cost
		}
	}
	for i := range bg.ByFirstTouchpoint {
		g := &bg.ByFirstTouchpoint[i]
		c, ok := cost[g.Value]
		if !ok || c <= 0 || g.NewCustomers == 0 {
			continue
		}
		g.CostPerNewCustomer = Ptr(c / float64(g.NewCustomers))
		if g.ValuePerNewCustomer != nil {
			g.ValueToCost = Ptr(*g.ValuePerNewCustomer / *g.CostPerNewCustomer)
		}
	}
}

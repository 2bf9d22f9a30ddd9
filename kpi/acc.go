package kpi

// Acc folds journeys into every KPI family, for the report period and the previous period. An
// Acc is not safe for concurrent use: give each worker (or each partition) its own and Merge them
// in a fixed order, so floating-point sums come out the same on every run.
type Acc struct {
	p         *Params
	cur, prev periodAcc
	// orders groups each journey's purchase events into orders, once for every family.
	orders *journeyOrders
	// resent counts purchase events repeating an order_id already seen for the customer: GA4
	// exports sometimes resend them, and they count once (data_quality.duplicate_order_events).
	resent int64
	// differ counts orders whose events carry different revenue values.
	differ int64
}

// periodAcc holds one accumulator per KPI family for one period.
type periodAcc struct {
	// eval finds each journey's counted funnel attempt once for the funnel, map and trends.
	eval   *evaluator
	funnel *funnelAcc
	jmap   *journeyMapAcc
	trends *trendsAcc
	repeat *repeatAcc
	attr   *attributionAcc
}

func newPeriodAcc(p *Params, per Period, current bool) periodAcc {
	return periodAcc{
		eval:   newEvaluator(p, newStagePlan(p), per),
		funnel: newFunnelAcc(p, per),
		jmap:   newJourneyMapAcc(p),
		trends: newTrendsAcc(p, per),
		repeat: newRepeatAcc(p, per, current),
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
	return &Acc{p: p, cur: newPeriodAcc(p, p.Current, true), prev: newPeriodAcc(p, p.Previous, false), orders: newJourneyOrders(p)}
}

// Add folds one journey in. j.Events must be ordered by Compare without exact duplicates
// (Normalize), and j must hold every event of the customer that was read. Add does not keep j.
func (a *Acc) Add(j *Journey) {
	a.orders.scan(j.Events)
	a.cur.add(j, a.orders)
	a.prev.add(j, a.orders)
	a.resent += a.orders.resent
	a.differ += a.orders.differ
}

// Merge folds b into a. b must not be used afterwards.
func (a *Acc) Merge(b *Acc) {
	a.cur.merge(&b.cur)
	a.prev.merge(&b.prev)
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

// SpendRow is the cost of one touchpoint on one day.
type SpendRow struct {
	// Day is the start of the day in Unix micros (report time zone).
	Day        int64
	Touchpoint string
	Cost       float64
}

// Result computes every KPI from what was folded in. d must be the Dicts the events were coded
// with.
func (a *Acc) Result(d *Dicts, in Inputs) *Result {
	r := &Result{Report: in.Report, Warnings: []Warning{}, DataQuality: in.Quality}
	r.DataQuality.DuplicateOrderEvents = a.resent
	r.DataQuality.OrdersRevenueDiffers = a.differ
	r.PeriodResult = a.cur.result(d, &in)
	r.Comparison.Previous = a.prev.result(d, &in)
	r.Comparison.Headline = headline(a.p, &r.PeriodResult, &r.Comparison.Previous)
	r.Allocation = allocate(a.p, r, in.Spend)
	return r
}

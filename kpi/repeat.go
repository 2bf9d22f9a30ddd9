package kpi

import (
	"cmp"
	"math"
	"slices"
)

// repeatTally holds the running sums of the period KPIs, for every purchaser or for one group.
type repeatTally struct {
	purchasers int64
	orders     int64
	repeaters  int64 // purchasers with two or more orders in the period
	returning  int64 // purchasers with an order in the history window before the period
	// revenue is summed exactly, so it does not depend on how journeys were split between
	// accumulators (and equals attribution.revenue, the same orders' sum).
	revenue exactSum
	// days are the days from first to second order of customers whose second order is in the
	// period; sorted only when the result is made.
	days []float64
	// money holds each purchaser's revenue and orders in the period, for the intervals and tests
	// of revenue and average order value (kept for the whole period only, not per group).
	money MoneySums
}

func (t *repeatTally) merge(o *repeatTally) {
	t.purchasers += o.purchasers
	t.orders += o.orders
	t.repeaters += o.repeaters
	t.returning += o.returning
	t.revenue.merge(&o.revenue)
	t.days = append(t.days, o.days...)
	t.money.Merge(&o.money)
}

// repeatAcc accumulates the repeat-purchase KPIs of one period; for the report period (current)
// also the cohorts and the BG/NBD inputs.
type repeatAcc struct {
	p        *Params
	per      Period
	current  bool
	purchase int8
	// light accumulators keep the whole period's tally only (no groups, no durations): they feed
	// the headline KPIs of the recent periods and of run --by.
	light bool

	all   repeatTally
	bySeg map[uint32]*repeatTally
	byTP  map[uint32]*repeatTally
	// byDim holds the groups of each of Params.Dimensions.
	byDim []map[uint32]*repeatTally

	// cohorts and fit are nil unless current.
	cohorts *cohortAcc
	fit     *bgnbdAcc
}

func newRepeatAcc(p *Params, per Period, current, light bool) *repeatAcc {
	r := &repeatAcc{
		p: p, per: per, current: current && !light, light: light, purchase: int8(p.PurchaseStage()),
		bySeg: map[uint32]*repeatTally{}, byTP: map[uint32]*repeatTally{},
	}
	if !r.light {
		for range p.Dimensions {
			r.byDim = append(r.byDim, map[uint32]*repeatTally{})
		}
	}
	if r.current {
		r.cohorts = newCohortAcc(p)
		r.fit = newBGNBDAcc(p)
	}
	return r
}

// historyComplete reports whether the data reach back repeat.history before per's start, so that
// a purchaser's earlier order within the history is seen.
func historyComplete(p *Params, per Period) bool { return p.DataStart <= per.From-p.History }

// customerAttr is the value of attribute a (Event.attr: the segment or a dimension) of the
// customer's latest event with one before end, or 0. Only events that may give attributes count
// (Params.attribute).
func (r *repeatAcc) customerAttr(j *Journey, end int64, a int) uint32 {
	var v uint32
	for i := range j.Events {
		e := &j.Events[i]
		if e.Time >= end {
			break
		}
		if x := e.attr(a); x != 0 && r.p.attribute(e, r.purchase) {
			v = x
		}
	}
	return v
}

// firstTouchpoint is the touchpoint of the customer's first event read that carries one, before
// end (like the segment, so a later contact does not move a past period's purchaser), or 0. Only
// events that may give attributes count (Params.attribute).
func (r *repeatAcc) firstTouchpoint(j *Journey, end int64) uint32 {
	for i := range j.Events {
		e := &j.Events[i]
		if e.Time >= end {
			break
		}
		if e.Touchpoint != 0 && r.p.attribute(e, r.purchase) {
			return e.Touchpoint
		}
	}
	return 0
}

// add folds in one journey, whose orders jo holds. Refunds of orders not read reduce the revenue
// of the period they fall in (and of the customer's groups), without counting as orders.
func (r *repeatAcc) add(j *Journey, jo *journeyOrders) {
	orders := jo.orders
	var refunded float64
	refunds := false
	for _, rf := range jo.loose {
		if r.per.Contains(rf.t) {
			refunded += rf.amount
			refunds = true
		}
	}
	if len(orders) == 0 && !refunds {
		return
	}
	var seg, tp uint32
	if !r.light {
		seg, tp = r.customerAttr(j, r.per.To, attrSegment), r.firstTouchpoint(j, r.per.To)
	}
	if r.current && len(orders) > 0 {
		r.cohorts.add(orders)
		r.fit.add(orders, seg, tp)
	}

	var c repeatTally
	returning := false
	for _, o := range orders {
		switch {
		case r.per.Contains(o.t):
			c.orders++
		case o.t < r.per.From && o.t >= r.per.From-r.p.History:
			returning = true
		}
	}
	if c.orders == 0 && !refunds {
		return
	}
	if c.orders > 0 {
		c.purchasers = 1
	}
	if c.orders >= 2 {
		c.repeaters = 1
	}
	if returning && c.orders > 0 {
		c.returning = 1
	}
	var days float64
	second := len(orders) >= 2 && r.per.Contains(orders[1].t)
	if second {
		days = float64(orders[1].t-orders[0].t) / float64(Day)
	}
	revenue := refunded
	for _, o := range orders {
		if r.per.Contains(o.t) && !math.IsNaN(o.rev) {
			revenue += o.rev
		}
	}
	r.all.money.Add(revenue, c.orders)
	// A light accumulator keeps the whole period's tally only: it neither looks up nor makes the
	// groups.
	tallies := []*repeatTally{&r.all}
	if r.light {
		second = false
	} else {
		tallies = append(tallies, repeatGroup(r.bySeg, seg), repeatGroup(r.byTP, tp))
		for k, m := range r.byDim {
			tallies = append(tallies, repeatGroup(m, r.customerAttr(j, r.per.To, k)))
		}
	}
	for _, t := range tallies {
		t.purchasers += c.purchasers
		t.orders += c.orders
		t.repeaters += c.repeaters
		t.returning += c.returning
		for _, o := range orders {
			if r.per.Contains(o.t) && !math.IsNaN(o.rev) {
				t.revenue.add(o.rev)
			}
		}
		for _, rf := range jo.loose {
			if r.per.Contains(rf.t) {
				t.revenue.add(rf.amount)
			}
		}
		if second {
			t.days = append(t.days, days)
		}
	}
}

func repeatGroup(m map[uint32]*repeatTally, code uint32) *repeatTally {
	t := m[code]
	if t == nil {
		t = &repeatTally{}
		m[code] = t
	}
	return t
}

func (r *repeatAcc) merge(o *repeatAcc) {
	r.all.merge(&o.all)
	mergeRepeatGroups(r.bySeg, o.bySeg)
	mergeRepeatGroups(r.byTP, o.byTP)
	for k := range r.byDim {
		mergeRepeatGroups(r.byDim[k], o.byDim[k])
	}
	if r.current {
		r.cohorts.merge(o.cohorts)
		r.fit.merge(o.fit)
	}
}

func mergeRepeatGroups(dst, src map[uint32]*repeatTally) {
	for code, t := range src {
		repeatGroup(dst, code).merge(t)
	}
}

func (r *repeatAcc) result(d *Dicts) RepeatResult {
	all := r.all.row("")
	res := RepeatResult{
		Purchasers:             all.Purchasers,
		Orders:                 all.Orders,
		Revenue:                all.Revenue,
		AverageOrderValue:      all.AverageOrderValue,
		OrdersPerPurchaser:     all.OrdersPerPurchaser,
		RepeatPurchaseRate:     all.RepeatPurchaseRate,
		ReturningCustomerRate:  all.ReturningCustomerRate,
		DaysFirstToSecondOrder: all.DaysFirstToSecondOrder,
		BySegment:              repeatGroups(r.bySeg, d.SegmentName, r.p.Top),
		ByFirstTouchpoint:      repeatGroups(r.byTP, d.TouchpointName, r.p.Top),
		ByDimension:            []RepeatDimension{},
		CohortUnit:             "month",
		HistoryComplete:        historyComplete(r.p, r.per),
	}
	for k, m := range r.byDim {
		res.ByDimension = append(res.ByDimension, RepeatDimension{Dimension: r.p.Dimensions[k],
			Groups: repeatGroups(m, func(c uint32) string { return d.DimName(k, c) }, r.p.Top)})
	}
	if r.p.Cohort == "week" {
		res.CohortUnit = "week"
	}
	if r.current {
		res.Cohorts = r.cohorts.result()
		res.BGNBD, res.SpendModel = r.fit.result(d)
	}
	return res
}

// row turns the sums into the KPIs of one group named value.
func (t *repeatTally) row(value string) RepeatGroup {
	revenue := t.revenue.value()
	return RepeatGroup{
		Value:                  value,
		Purchasers:             t.purchasers,
		Orders:                 t.orders,
		Revenue:                revenue,
		AverageOrderValue:      Ratio(revenue, float64(t.orders)),
		OrdersPerPurchaser:     Ratio(float64(t.orders), float64(t.purchasers)),
		RepeatPurchaseRate:     Ratio(float64(t.repeaters), float64(t.purchasers)),
		ReturningCustomerRate:  Ratio(float64(t.returning), float64(t.purchasers)),
		DaysFirstToSecondOrder: repeatStats(t.days),
	}
}

// repeatGroups lists the groups by purchasers (most first, then by name); beyond the top N
// (top ≤ 0: no limit) they are summed into one "(other)" row, last.
func repeatGroups(m map[uint32]*repeatTally, name func(uint32) string, top int) []RepeatGroup {
	kept, other := topGroups(m, name, top, func(t *repeatTally) int64 { return t.purchasers }, (*repeatTally).merge)
	out := make([]RepeatGroup, 0, len(kept)+1)
	for _, g := range kept {
		out = append(out, g.g.row(g.name))
	}
	if other != nil {
		out = append(out, other.row(OtherLabel))
	}
	return out
}

// namedGroup is one group of a breakdown by segment or first touchpoint, with its name.
type namedGroup[T any] struct {
	name string
	g    *T
}

// topGroups names the groups of m (by code) and orders them by size, largest first, then by
// name. Beyond the top N (top ≤ 0: no limit) they are merged into other, nil when none is.
func topGroups[T any](m map[uint32]*T, name func(uint32) string, top int, size func(*T) int64, merge func(into, g *T)) (kept []namedGroup[T], other *T) {
	gs := make([]namedGroup[T], 0, len(m))
	for code, g := range m {
		gs = append(gs, namedGroup[T]{name(code), g})
	}
	slices.SortFunc(gs, func(a, b namedGroup[T]) int {
		if c := cmp.Compare(size(b.g), size(a.g)); c != 0 {
			return c
		}
		return cmp.Compare(a.name, b.name)
	})
	if top <= 0 || len(gs) <= top {
		return gs, nil
	}
	other = new(T)
	for _, g := range gs[top:] {
		merge(other, g.g)
	}
	return gs[:top], other
}

// repeatStats summarises values: n, median and 90th percentile (linear interpolation between
// order statistics, as numpy's default and Excel's PERCENTILE.INC), mean. values is sorted in
// place, so the mean sums in the same order however the values were merged.
func repeatStats(values []float64) Stats {
	s := Stats{N: int64(len(values))}
	if len(values) == 0 {
		return s
	}
	slices.Sort(values)
	var sum float64
	for _, v := range values {
		sum += v
	}
	s.Median = Ptr(quantileSorted(values, 0.5))
	s.P90 = Ptr(quantileSorted(values, 0.9))
	s.Mean = Ptr(sum / float64(len(values)))
	return s
}

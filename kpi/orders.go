package kpi

import (
	"cmp"
	"math"
	"slices"
)

// Event flags derived per journey from the purchase-stage events.
const (
	// flagNewOrder marks the first event of an order: the only purchase-stage event the KPIs
	// count (a resent purchase event of an order seen before counts once, SPEC §1).
	flagNewOrder uint8 = 1 << iota
	// flagRepeatOrder marks the first event of an order that is not the journey's first order.
	flagRepeatOrder
)

// journeyOrder is one distinct order of a journey.
type journeyOrder struct {
	at int32 // index of its first event
	t  int64 // its first event's time
	// rev is the order's revenue: the first revenue value among its events, or with
	// Params.SumLines the sum over its lines; NaN when no event carries one.
	rev float64
}

// journeyOrders groups one journey's purchase-stage events into orders. It is found once per
// journey and read by both periods' funnel, journey map, trends, repeat and attribution, and by
// the data-quality count of resent order events. An event without order_id is its own order. It
// keeps its scratch between journeys; it is not safe for concurrent use.
type journeyOrders struct {
	purchase int8
	sumLines bool
	// flags and rev are per event and set only on purchase-stage events (the others' are stale and
	// never read): flagNewOrder and flagRepeatOrder; on an order's first event, its revenue.
	flags []uint8
	rev   []float64
	// orders are the distinct orders in journey (time) order.
	orders []journeyOrder
	// resent counts the purchase events repeating an order_id the journey already had (not with
	// SumLines, where they are the order's lines).
	resent int64
	// differ counts the orders whose events carry two or more revenue values: under the first
	// value rule, the sign of a line-item source read without SumLines.
	differ int64
	// loose are the refunds of no order of the journey (its order_id was not read, or it has
	// none): they reduce the revenue of the period they fall in.
	loose []refund
	// Scratch: the purchase-stage events, those with an order_id, and the refunds.
	pidx    []int32
	refs    []orderRef
	refunds []int32
}

// refund is a refund of no order of the journey: its time and its (negative) amount.
type refund struct {
	t      int64
	amount float64
}

func newJourneyOrders(p *Params) *journeyOrders {
	return &journeyOrders{purchase: int8(p.PurchaseStage()), sumLines: p.SumLines}
}

// orderRef is one purchase-stage event with an order_id, for grouping events by order.
type orderRef struct {
	order uint64
	idx   int32
}

func compareOrderRef(a, b orderRef) int {
	if c := cmp.Compare(a.order, b.order); c != 0 {
		return c
	}
	return cmp.Compare(a.idx, b.idx)
}

// scan groups events (one journey's, in Compare order) into orders. The order ids are sorted
// rather than searched, so a customer with very many orders (a shared walk-in or guest id) costs
// O(n log n), not O(n²).
func (s *journeyOrders) scan(events []Event) {
	n := len(events)
	if cap(s.flags) < n {
		s.flags = make([]uint8, n, n+n/4)
		s.rev = make([]float64, n, n+n/4)
	}
	s.flags, s.rev = s.flags[:n], s.rev[:n]
	s.pidx, s.refs, s.orders, s.resent, s.differ = s.pidx[:0], s.refs[:0], s.orders[:0], 0, 0
	s.refunds, s.loose = s.refunds[:0], s.loose[:0]
	for i := range events {
		e := &events[i]
		if e.Stage != s.purchase {
			continue
		}
		if e.HasRevenue() && e.Revenue < 0 {
			// A refund (the source allows them: source.allow_refunds): no order, no stage.
			s.flags[i] = 0
			s.refunds = append(s.refunds, int32(i))
			continue
		}
		s.pidx = append(s.pidx, int32(i))
		if e.Order == 0 {
			s.flags[i], s.rev[i] = flagNewOrder, e.Revenue
			continue
		}
		s.flags[i] = 0
		s.refs = append(s.refs, orderRef{e.Order, int32(i)})
	}
	if len(s.pidx) == 0 {
		s.settleRefunds(events)
		return
	}
	if len(s.refs) > 1 {
		slices.SortFunc(s.refs, compareOrderRef)
	}
	for g := 0; g < len(s.refs); {
		h := g
		for h < len(s.refs) && s.refs[h].order == s.refs[g].order {
			h++
		}
		var rev float64
		if s.sumLines {
			rev = sumOfLines(events, s.refs[g:h])
		} else {
			rev = s.firstRevenue(events, s.refs[g:h])
			s.resent += int64(h - g - 1)
		}
		first := s.refs[g].idx
		s.flags[first], s.rev[first] = flagNewOrder, rev
		g = h
	}
	for _, i := range s.pidx {
		if s.flags[i]&flagNewOrder == 0 {
			continue
		}
		if len(s.orders) > 0 {
			s.flags[i] |= flagRepeatOrder
		}
		s.orders = append(s.orders, journeyOrder{at: i, t: events[i].Time, rev: s.rev[i]})
	}
	s.settleRefunds(events)
}

// settleRefunds nets each refund into the revenue of its order (same order_id) when the journey
// has it, and keeps the others as loose refunds.
func (s *journeyOrders) settleRefunds(events []Event) {
	for _, i := range s.refunds {
		e := &events[i]
		k := -1
		if e.Order != 0 {
			k = s.orderOf(e.Order)
		}
		if k < 0 {
			s.loose = append(s.loose, refund{t: e.Time, amount: e.Revenue})
			continue
		}
		o := &s.orders[k]
		if math.IsNaN(o.rev) {
			o.rev = 0
		}
		o.rev += e.Revenue
		s.rev[o.at] = o.rev
	}
}

// orderOf returns the index in s.orders of the order with id, or -1.
func (s *journeyOrders) orderOf(id uint64) int {
	g, found := slices.BinarySearchFunc(s.refs, orderRef{id, -1}, compareOrderRef)
	if !found && (g == len(s.refs) || s.refs[g].order != id) {
		return -1
	}
	at := s.refs[g].idx
	k, found := slices.BinarySearchFunc(s.orders, at, func(o journeyOrder, at int32) int { return cmp.Compare(o.at, at) })
	if !found {
		return -1
	}
	return k
}

// firstRevenue is an order's revenue under the first value rule: the first revenue value among
// its events (refs, in event order). It counts the order in differ when another event carries a
// different value.
func (s *journeyOrders) firstRevenue(events []Event, refs []orderRef) float64 {
	rev := math.NaN()
	differs := false
	for _, r := range refs {
		e := &events[r.idx]
		switch {
		case !e.HasRevenue():
		case math.IsNaN(rev):
			rev = e.Revenue
		case e.Revenue != rev:
			differs = true
		}
	}
	if differs {
		s.differ++
	}
	return rev
}

// sumOfLines is an order's revenue as the sum of its lines: every event of the order carrying a
// value (they are distinct: exact duplicates, line_id included, were removed), summed in event
// order so that the sum does not depend on how the input was read. NaN when none carries one.
func sumOfLines(events []Event, refs []orderRef) float64 {
	sum, any := 0.0, false
	for _, r := range refs {
		if e := &events[r.idx]; e.HasRevenue() {
			sum += e.Revenue
			any = true
		}
	}
	if !any {
		return math.NaN()
	}
	return sum
}

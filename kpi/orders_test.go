package kpi

import (
	"math"
	"testing"
	"time"
)

// TestOrderLines: an order's revenue under the first value rule (GA4 resends) and as the sum of
// its lines (line-item sources: its distinct events), with the counts of resent events and of
// orders whose events disagree.
func TestOrderLines(t *testing.T) {
	nan := math.NaN()
	type line struct {
		order uint64
		line  string
		rev   float64
	}
	for _, c := range []struct {
		name   string
		lines  []line
		sum    bool
		want   []float64 // revenue per order, in time (here: order id) order
		resent int64
		differ int64
	}{
		{"first: resent event adds nothing", []line{{1, "", 10}, {1, "", 10}}, false, []float64{10}, 1, 0},
		{"first: lines of one order, only the first counts", []line{{1, "A", 10}, {1, "B", 5}, {2, "A", 3}}, false, []float64{10, 3}, 1, 1},
		{"first: a later value after a missing one", []line{{1, "A", nan}, {1, "B", 5}}, false, []float64{5}, 1, 0},
		{"sum: lines add up", []line{{1, "A", 10}, {1, "B", 5}, {2, "A", 3}}, true, []float64{15, 3}, 0, 0},
		{"sum: a product on two lines counts twice", []line{{1, "A", 10}, {1, "A", 12}, {1, "B", 5}}, true, []float64{27}, 0, 0},
		{"sum: events without line_id are lines of their own", []line{{1, "", 10}, {1, "", 4}}, true, []float64{14}, 0, 0},
		{"sum: refunds are lines too", []line{{1, "A", 10}, {1, "B", -4}}, true, []float64{6}, 0, 0},
		{"sum: no value on any line", []line{{1, "A", nan}, {1, "B", nan}}, true, []float64{nan}, 0, 0},
		{"sum: a line without value adds nothing", []line{{1, "A", nan}, {1, "A", 7}}, true, []float64{7}, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := NewDicts()
			var evs []Event
			for i, l := range c.lines {
				// Every line at its own second, so that the events are not exact duplicates.
				evs = append(evs, Event{Time: int64(l.order)*Day + int64(i)*1e6, Order: l.order, Revenue: l.rev, Stage: 1,
					Line: d.Line.Code(l.line), Sentiment: float32(nan)})
			}
			evs, _ = SortJourney(evs)
			p := &Params{Stages: []StageDef{{Name: "visit"}, {Name: "purchase", Purchase: true}}, SumLines: c.sum}
			jo := scanOrders(p, &Journey{Customer: 1, Events: evs})
			if len(jo.orders) != len(c.want) {
				t.Fatalf("%d orders, want %d", len(jo.orders), len(c.want))
			}
			for i, o := range jo.orders {
				if !(o.rev == c.want[i] || math.IsNaN(o.rev) && math.IsNaN(c.want[i])) {
					t.Errorf("order %d revenue %v, want %v", i, o.rev, c.want[i])
				}
			}
			if jo.resent != c.resent || jo.differ != c.differ {
				t.Errorf("resent %d differ %d, want %d %d", jo.resent, jo.differ, c.resent, c.differ)
			}
		})
	}
}

// Two lines of one order with the same values but different products are two events, not one
// exact duplicate: line_id is part of an event's identity.
func TestLineIsPartOfIdentity(t *testing.T) {
	d := NewDicts()
	a := Event{Time: 1, Order: 1, Revenue: 5, Stage: 1, Line: d.Line.Code("A"), Sentiment: float32(math.NaN())}
	b := a
	b.Line = d.Line.Code("B")
	evs, dup := SortJourney([]Event{a, b, a})
	if len(evs) != 2 || dup != 1 {
		t.Errorf("kept %d, duplicates %d; want 2, 1", len(evs), dup)
	}
}

// TestRefunds: a purchase-stage event with negative revenue (the source allows refunds) is no
// order; it nets into its order's revenue when the journey has that order, and otherwise
// reduces the revenue of the period it falls in, without a purchaser or an order.
func TestRefunds(t *testing.T) {
	nan := math.NaN()
	day := func(d int) int64 { return time.Date(2026, 3, d, 10, 0, 0, 0, time.UTC).UnixMicro() }
	ev := func(d int, order uint64, rev float64) Event {
		return Event{Time: day(d), Order: order, Revenue: rev, Stage: 1, Sentiment: float32(nan)}
	}
	p := repeatParams(t, "2026-03-01", "2026-03-31")
	for _, c := range []struct {
		name       string
		journeys   [][]Event
		orders     int64
		purchasers int64
		revenue    float64
		loose      int
		resent     int64
	}{
		{"a refund of an order read nets into it", [][]Event{{ev(2, 1, 100), ev(5, 1, -30)}}, 1, 1, 70, 0, 0},
		// The order's event resent a day later (not an exact duplicate, which SortJourney drops):
		// one order of the first value, the refund netting into it.
		{"a refund under the first-value rule nets too", [][]Event{{ev(2, 1, 100), ev(3, 1, 100), ev(9, 1, -100)}}, 1, 1, 0, 0, 1},
		{"a refund without order_id reduces the period", [][]Event{{ev(2, 1, 100), ev(5, 0, -30)}}, 1, 1, 70, 1, 0},
		{"a refund of an order not read", [][]Event{{ev(2, 1, 100)}, {ev(6, 7, -40)}}, 1, 1, 60, 1, 0},
		{"a refund in the month before counts there", [][]Event{{ev(2, 1, 100)}, {Event{Time: day(2) - 10*Day, Order: 9, Revenue: -40, Stage: 1, Sentiment: float32(nan)}}}, 1, 1, 100, 1, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			var js []Journey
			loose, resent := 0, int64(0)
			for i, evs := range c.journeys {
				evs, _ = SortJourney(evs)
				j := Journey{Customer: uint64(i + 1), Events: evs}
				jo := scanOrders(p, &j)
				loose += len(jo.loose)
				resent += jo.resent
				js = append(js, j)
			}
			cur, _ := repeatRun(p, NewDicts(), js)
			if cur.Orders != c.orders || cur.Purchasers != c.purchasers || math.Abs(cur.Revenue-c.revenue) > 1e-9 || loose != c.loose ||
				resent != c.resent {
				t.Errorf("orders %d purchasers %d revenue %v loose %d resent %d; want %d %d %v %d %d",
					cur.Orders, cur.Purchasers, cur.Revenue, loose, resent, c.orders, c.purchasers, c.revenue, c.loose, c.resent)
			}
		})
	}
}

package kpi

import (
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"
)

// repeatFixture codes touchpoints and segments and builds events for the repeat tests.
type repeatFixture struct {
	t testing.TB
	d *Dicts
}

func newRepeatFixture(t testing.TB) *repeatFixture { return &repeatFixture{t: t, d: NewDicts()} }

// at parses "YYYY-MM-DD" or "YYYY-MM-DD HH:MM" (UTC) into micros.
func (f *repeatFixture) at(s string) int64 {
	layout := time.DateOnly
	if len(s) > len(layout) {
		layout = "2006-01-02 15:04"
	}
	tt, err := time.Parse(layout, s)
	if err != nil {
		f.t.Fatal(err)
	}
	return tt.UnixMicro()
}

// order is a purchase event; id 0 means no order_id, rev NaN no revenue.
func (f *repeatFixture) order(when string, id uint64, rev float64, tp, seg string) Event {
	return Event{Time: f.at(when), Order: id, Revenue: rev, Stage: 1, Touchpoint: f.d.Touchpoint.Code(tp),
		Segment: f.d.Segment.Code(seg), Sentiment: float32(math.NaN())}
}

// browse is a non-purchase event.
func (f *repeatFixture) browse(when, tp, seg string) Event {
	return Event{Time: f.at(when), Revenue: math.NaN(), Stage: 0, Touchpoint: f.d.Touchpoint.Code(tp),
		Segment: f.d.Segment.Code(seg), Sentiment: float32(math.NaN())}
}

func (f *repeatFixture) journey(id uint64, evs ...Event) Journey {
	evs, _ = SortJourney(evs)
	return Journey{Customer: id, Events: evs}
}

// repeatRun folds the journeys into the report period's and the previous period's accs.
func repeatRun(p *Params, d *Dicts, js []Journey) (cur, prev RepeatResult) {
	c, pr := newRepeatAcc(p, p.Current, true, false), newRepeatAcc(p, p.Previous, false, false)
	for i := range js {
		jo := scanOrders(p, &js[i])
		c.add(&js[i], jo)
		pr.add(&js[i], jo)
	}
	return c.result(d), pr.result(d)
}

func repeatPtrEq(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return math.Abs(*a-*b) <= 1e-9*math.Max(1, math.Abs(*b))
}

func repeatFmtPtr(v *float64) any {
	if v == nil {
		return "null"
	}
	return *v
}

// checkRepeatRow compares the KPIs of a period or group with want.
func checkRepeatRow(t *testing.T, what string, got, want RepeatGroup) {
	t.Helper()
	if got.Value != want.Value || got.Purchasers != want.Purchasers || got.Orders != want.Orders ||
		math.Abs(got.Revenue-want.Revenue) > 1e-9 {
		t.Errorf("%s: value/purchasers/orders/revenue = %q/%d/%d/%g, want %q/%d/%d/%g", what,
			got.Value, got.Purchasers, got.Orders, got.Revenue, want.Value, want.Purchasers, want.Orders, want.Revenue)
	}
	for _, c := range []struct {
		name      string
		got, want *float64
	}{
		{"average_order_value", got.AverageOrderValue, want.AverageOrderValue},
		{"orders_per_purchaser", got.OrdersPerPurchaser, want.OrdersPerPurchaser},
		{"repeat_purchase_rate", got.RepeatPurchaseRate, want.RepeatPurchaseRate},
		{"returning_customer_rate", got.ReturningCustomerRate, want.ReturningCustomerRate},
		{"days median", got.DaysFirstToSecondOrder.Median, want.DaysFirstToSecondOrder.Median},
		{"days p90", got.DaysFirstToSecondOrder.P90, want.DaysFirstToSecondOrder.P90},
		{"days mean", got.DaysFirstToSecondOrder.Mean, want.DaysFirstToSecondOrder.Mean},
	} {
		if !repeatPtrEq(c.got, c.want) {
			t.Errorf("%s: %s = %v, want %v", what, c.name, repeatFmtPtr(c.got), repeatFmtPtr(c.want))
		}
	}
	if got.DaysFirstToSecondOrder.N != want.DaysFirstToSecondOrder.N {
		t.Errorf("%s: days n = %d, want %d", what, got.DaysFirstToSecondOrder.N, want.DaysFirstToSecondOrder.N)
	}
}

func repeatResultRow(r RepeatResult) RepeatGroup {
	return RepeatGroup{Purchasers: r.Purchasers, Orders: r.Orders, Revenue: r.Revenue,
		AverageOrderValue: r.AverageOrderValue, OrdersPerPurchaser: r.OrdersPerPurchaser,
		RepeatPurchaseRate: r.RepeatPurchaseRate, ReturningCustomerRate: r.ReturningCustomerRate,
		DaysFirstToSecondOrder: r.DaysFirstToSecondOrder}
}

func repeatDays(n int64, median, p90, mean float64) Stats {
	return Stats{N: n, Median: Ptr(median), P90: Ptr(p90), Mean: Ptr(mean)}
}

// TestRepeatPeriodKPIs checks every period KPI on hand-made orders. The report period is
// 2024-03-01..2024-03-31, the previous one 2024-01-30..2024-02-29, history 365 days.
func TestRepeatPeriodKPIs(t *testing.T) {
	f := newRepeatFixture(t)
	nan := math.NaN()
	cases := []struct {
		name       string
		journeys   []Journey
		want, prev RepeatGroup
	}{
		{
			name:     "no purchasers: every ratio is null",
			journeys: []Journey{f.journey(1, f.browse("2024-03-03", "social", ""))},
		},
		{
			name: "a resent purchase event adds nothing",
			journeys: []Journey{f.journey(1,
				f.order("2024-03-05 10:00", 7, 20, "web", ""),
				f.order("2024-03-05 10:05", 7, 20, "web", ""),
				f.order("2024-03-07", 7, 25, "web", ""))},
			want: RepeatGroup{Purchasers: 1, Orders: 1, Revenue: 20, AverageOrderValue: Ptr(20),
				OrdersPerPurchaser: Ptr(1), RepeatPurchaseRate: Ptr(0), ReturningCustomerRate: Ptr(0)},
		},
		{
			name: "an order's revenue is the first value among its events",
			journeys: []Journey{f.journey(1,
				f.order("2024-03-05 10:00", 7, nan, "web", ""),
				f.order("2024-03-05 10:05", 7, 30, "web", ""),
				f.order("2024-03-05 10:06", 7, 31, "web", ""))},
			want: RepeatGroup{Purchasers: 1, Orders: 1, Revenue: 30, AverageOrderValue: Ptr(30),
				OrdersPerPurchaser: Ptr(1), RepeatPurchaseRate: Ptr(0), ReturningCustomerRate: Ptr(0)},
		},
		{
			name: "a purchase without order_id is its own order",
			journeys: []Journey{f.journey(1,
				f.order("2024-03-05 10:00", 0, 10, "web", ""),
				f.order("2024-03-05 10:00", 0, 12, "web", ""),
				f.order("2024-03-07 12:00", 0, 10, "web", ""))},
			want: RepeatGroup{Purchasers: 1, Orders: 3, Revenue: 32, AverageOrderValue: Ptr(32.0 / 3),
				OrdersPerPurchaser: Ptr(3), RepeatPurchaseRate: Ptr(1), ReturningCustomerRate: Ptr(0),
				DaysFirstToSecondOrder: repeatDays(1, 0, 0, 0)},
		},
		{
			name: "an order's time is its first event's: a resend in the period does not make an order in it",
			journeys: []Journey{f.journey(1,
				f.order("2024-02-28", 7, 20, "web", ""),
				f.order("2024-03-02", 7, 20, "web", ""))},
			prev: RepeatGroup{Purchasers: 1, Orders: 1, Revenue: 20, AverageOrderValue: Ptr(20),
				OrdersPerPurchaser: Ptr(1), RepeatPurchaseRate: Ptr(0), ReturningCustomerRate: Ptr(0)},
		},
		{
			name: "returning: an order within the history before from; orders after to do not count",
			journeys: []Journey{
				f.journey(1, f.order("2023-03-02", 1, 50, "web", ""), f.order("2024-03-10", 2, 10, "web", "")),
				f.journey(2, f.order("2023-02-28", 1, 50, "web", ""), f.order("2024-03-10", 2, 10, "web", "")),
				f.journey(3, f.order("2024-03-31 23:59", 1, 10, "web", ""), f.order("2024-04-01", 2, 10, "web", "")),
				f.journey(4, f.order("2024-02-15", 1, 10, "web", ""), f.order("2024-03-15", 2, 10, "web", "")),
			},
			want: RepeatGroup{Purchasers: 4, Orders: 4, Revenue: 40, AverageOrderValue: Ptr(10),
				OrdersPerPurchaser: Ptr(1), RepeatPurchaseRate: Ptr(0), ReturningCustomerRate: Ptr(0.5),
				// second orders in March: customers 1 (374 days), 2 (376) and 4 (29)
				DaysFirstToSecondOrder: repeatDays(3, 374, 375.6, (374+376+29)/3.0)},
			// February: customer 4, returning? no earlier order within a year of 2024-01-30 but
			// customer 1's 2023-03-02 order is outside the previous period and its history is
			// not a purchase in it.
			prev: RepeatGroup{Purchasers: 1, Orders: 1, Revenue: 10, AverageOrderValue: Ptr(10),
				OrdersPerPurchaser: Ptr(1), RepeatPurchaseRate: Ptr(0), ReturningCustomerRate: Ptr(0)},
		},
		{
			name: "repeat purchase rate and days from first to second order",
			journeys: []Journey{
				f.journey(1, f.order("2024-03-05", 1, 10, "web", ""), f.order("2024-03-10", 2, 30, "web", "")),
				f.journey(2, f.order("2023-06-01", 1, 50, "web", ""), f.order("2024-03-15", 0, 20, "web", ""), f.order("2024-03-20", 0, 20, "web", "")),
				f.journey(3, f.order("2022-12-01", 1, 50, "web", ""), f.order("2024-03-02", 2, 100, "web", "")),
				f.journey(4, f.browse("2024-03-01", "social", "")),
			},
			want: RepeatGroup{Purchasers: 3, Orders: 5, Revenue: 180, AverageOrderValue: Ptr(36),
				OrdersPerPurchaser: Ptr(5.0 / 3), RepeatPurchaseRate: Ptr(2.0 / 3), ReturningCustomerRate: Ptr(1.0 / 3),
				DaysFirstToSecondOrder: repeatDays(3, 288, 288+0.8*(457-288), (5+288+457)/3.0)},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := repeatParams(t, "2024-03-01", "2024-03-31")
			cur, prev := repeatRun(p, f.d, c.journeys)
			checkRepeatRow(t, "current", repeatResultRow(cur), c.want)
			checkRepeatRow(t, "previous", repeatResultRow(prev), c.prev)
			if prev.BGNBD != nil || prev.Cohorts != nil {
				t.Errorf("previous period has cohorts or BG/NBD")
			}
		})
	}
}

func TestRepeatQuantile(t *testing.T) {
	for _, c := range []struct {
		values            []float64
		median, p90, mean float64
	}{
		{[]float64{4}, 4, 4, 4},
		{[]float64{1, 3}, 2, 2.8, 2},
		{[]float64{10, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 5.5, 9.1, 5.5},
		{[]float64{0, 0, 0, 100}, 0, 70, 25},
	} {
		s := repeatStats(append([]float64(nil), c.values...))
		if s.N != int64(len(c.values)) || !repeatPtrEq(s.Median, Ptr(c.median)) || !repeatPtrEq(s.P90, Ptr(c.p90)) || !repeatPtrEq(s.Mean, Ptr(c.mean)) {
			t.Errorf("repeatStats(%v) = n %d median %v p90 %v mean %v, want %v %v %v", c.values, s.N,
				repeatFmtPtr(s.Median), repeatFmtPtr(s.P90), repeatFmtPtr(s.Mean), c.median, c.p90, c.mean)
		}
	}
	if s := repeatStats(nil); s.N != 0 || s.Median != nil || s.P90 != nil || s.Mean != nil {
		t.Errorf("repeatStats(nil) = %+v, want n 0 and nulls", s)
	}
}

// TestRepeatGroups checks the segment and first-touchpoint rows: the segment is the latest one
// known by the period's end, the first touchpoint the first one read before it; beyond the top N
// the rows are summed into "(other)".
func TestRepeatGroups(t *testing.T) {
	f := newRepeatFixture(t)
	js := []Journey{
		// Segment "b" at the order, "a" only after the period: counted in "b". First touchpoint:
		// the first event with one (the purchase has its own touchpoint, "web").
		f.journey(1, f.browse("2024-02-01", "", "b"), f.browse("2024-02-02", "social", ""),
			f.order("2024-03-05", 1, 10, "web", ""), f.order("2024-03-06", 2, 30, "web", ""),
			f.browse("2024-04-02", "email", "a")),
		// No touchpoint until after the period: (none).
		f.journey(2, f.order("2024-03-05", 1, 20, "", "a"), f.browse("2024-04-03", "email", "")),
		f.journey(3, f.order("2024-03-05", 1, 40, "email", "b")),
		f.journey(4, f.order("2024-03-05", 1, 5, "search", "c")),
		f.journey(5, f.order("2024-03-05", 1, 7, "display", "c"), f.order("2024-03-08", 2, 7, "display", "c")),
	}
	p := repeatParams(t, "2024-03-01", "2024-03-31")
	p.Top = 2
	cur, _ := repeatRun(p, f.d, js)

	seg := []RepeatGroup{
		{Value: "b", Purchasers: 2, Orders: 3, Revenue: 80, AverageOrderValue: Ptr(80.0 / 3), OrdersPerPurchaser: Ptr(1.5),
			RepeatPurchaseRate: Ptr(0.5), ReturningCustomerRate: Ptr(0), DaysFirstToSecondOrder: repeatDays(1, 1, 1, 1)},
		{Value: "c", Purchasers: 2, Orders: 3, Revenue: 19, AverageOrderValue: Ptr(19.0 / 3), OrdersPerPurchaser: Ptr(1.5),
			RepeatPurchaseRate: Ptr(0.5), ReturningCustomerRate: Ptr(0), DaysFirstToSecondOrder: repeatDays(1, 3, 3, 3)},
		{Value: OtherLabel, Purchasers: 1, Orders: 1, Revenue: 20, AverageOrderValue: Ptr(20), OrdersPerPurchaser: Ptr(1),
			RepeatPurchaseRate: Ptr(0), ReturningCustomerRate: Ptr(0)},
	}
	// Touchpoints: social 1, (none) 1, email 1, search 1, display 1: ties ordered by name.
	tp := []RepeatGroup{
		{Value: NoneLabel, Purchasers: 1, Orders: 1, Revenue: 20, AverageOrderValue: Ptr(20), OrdersPerPurchaser: Ptr(1),
			RepeatPurchaseRate: Ptr(0), ReturningCustomerRate: Ptr(0)},
		{Value: "display", Purchasers: 1, Orders: 2, Revenue: 14, AverageOrderValue: Ptr(7), OrdersPerPurchaser: Ptr(2),
			RepeatPurchaseRate: Ptr(1), ReturningCustomerRate: Ptr(0), DaysFirstToSecondOrder: repeatDays(1, 3, 3, 3)},
		{Value: OtherLabel, Purchasers: 3, Orders: 4, Revenue: 85, AverageOrderValue: Ptr(85.0 / 4), OrdersPerPurchaser: Ptr(4.0 / 3),
			RepeatPurchaseRate: Ptr(1.0 / 3), ReturningCustomerRate: Ptr(0), DaysFirstToSecondOrder: repeatDays(1, 1, 1, 1)},
	}
	for _, c := range []struct {
		by        string
		got, want []RepeatGroup
	}{{"segment", cur.BySegment, seg}, {"first touchpoint", cur.ByFirstTouchpoint, tp}} {
		if len(c.got) != len(c.want) {
			t.Fatalf("by %s: %d rows %+v, want %d", c.by, len(c.got), c.got, len(c.want))
		}
		for i := range c.want {
			checkRepeatRow(t, "by "+c.by+" "+c.want[i].Value, c.got[i], c.want[i])
		}
	}

	p.Top = 0
	cur, _ = repeatRun(p, f.d, js)
	var names []string
	for _, g := range cur.ByFirstTouchpoint {
		names = append(names, g.Value)
	}
	if want := []string{NoneLabel, "display", "email", "search", "social"}; !reflect.DeepEqual(names, want) {
		t.Errorf("first touchpoints without a top = %v, want %v", names, want)
	}
}

// TestDuplicateOrderEvents checks data_quality.duplicate_order_events: every purchase event of an
// order_id the customer already had counts, purchase events without order_id never do, and a
// customer with many orders is counted in one pass.
func TestDuplicateOrderEvents(t *testing.T) {
	f := newRepeatFixture(t)
	p := repeatParams(t, "2024-03-01", "2024-03-31")
	nan := math.NaN()
	var evs []Event
	for i := range 20000 {
		at := fmt.Sprintf("2024-03-%02d %02d:%02d", 1+i%28, (i/60)%24, i%60)
		evs = append(evs, f.order(at, uint64(1+i), 1, "store", ""))
	}
	evs = append(evs,
		f.order("2024-03-29", 7, nan, "web", ""), f.order("2024-03-30", 7, nan, "web", ""), // order 7 sent twice more
		f.order("2024-03-29", 0, 5, "web", ""), f.order("2024-03-30", 0, 5, "web", ""), // no order_id: own orders
		f.browse("2024-03-29", "web", ""))
	js := []Journey{f.journey(1, evs...), f.journey(2, f.order("2024-03-05", 3, 1, "", ""), f.order("2024-03-05 01:00", 3, 1, "", ""))}
	a := NewAcc(p)
	for i := range js {
		a.Add(&js[i])
	}
	if got := a.Result(f.d, Inputs{}).DataQuality.DuplicateOrderEvents; got != 3 {
		t.Errorf("duplicate order events = %d, want 3", got)
	}
}

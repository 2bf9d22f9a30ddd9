package kpi

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// repeatRandomJourneys draws n customers between 2023-03-01 and 2024-04-30 whose orders follow
// the BG/NBD process (rates ~ Gamma(0.8, 6 a week), drop-out ~ Beta(0.7, 2.5)), with browsing
// before orders, resent purchase events, orders without order_id and orders without revenue.
// Revenues are whole numbers, so sums are exact in any order.
func repeatRandomJourneys(f *repeatFixture, n int, seed uint64) []Journey {
	src := rand.NewPCG(seed, 2)
	rng := rand.New(src)
	rate := distuv.Gamma{Alpha: 0.8, Beta: 6, Src: src}
	drop := distuv.Beta{Alpha: 0.7, Beta: 2.5, Src: src}
	start, end := f.at("2023-03-01"), f.at("2024-04-30")
	tps := []string{"", "social", "email", "search", "store"}
	segs := []string{"", "new", "loyal", "vip"}
	js := make([]Journey, n)
	for i := range js {
		var evs []Event
		seg := f.d.Segment.Code(segs[rng.IntN(len(segs))])
		tp := func() uint32 { return f.d.Touchpoint.Code(tps[rng.IntN(len(tps))]) }
		gap, p := float64(Week)/rate.Rand(), drop.Rand()
		orders := 0
		for t := start + rng.Int64N(end-start); t < end; t += int64(rng.ExpFloat64() * gap) {
			for range rng.IntN(3) {
				evs = append(evs, Event{Time: t - rng.Int64N(3*Day), Revenue: math.NaN(), Sentiment: float32(math.NaN()),
					Touchpoint: tp(), Segment: seg})
			}
			e := Event{Time: t, Order: uint64(1 + rng.Int64N(1<<40)), Revenue: math.NaN(), Stage: 1,
				Sentiment: float32(math.NaN()), Touchpoint: tp(), Segment: seg}
			if rng.IntN(8) == 0 {
				e.Order = 0
			}
			if rng.IntN(5) > 0 {
				e.Revenue = float64(1 + rng.IntN(200))
			}
			evs = append(evs, e)
			if e.Order != 0 && rng.IntN(4) == 0 {
				e.Time += int64(1+rng.IntN(3)) * Hour // a resent purchase event
				evs = append(evs, e)
			}
			if orders++; orders > 1 && rng.Float64() < p { // drop-out follows repeat purchases only
				break
			}
		}
		js[i] = f.journey(uint64(i+1), evs...)
	}
	return js
}

// TestRepeatMerge checks that journeys split over several accumulators and merged give the same
// result as one accumulator, whatever the split: with whole revenues, and with cents, whose float
// sums would depend on the order of the additions.
func TestRepeatMerge(t *testing.T) {
	f := newRepeatFixture(t)
	whole := repeatRandomJourneys(f, 800, 11)
	cents := repeatRandomJourneys(f, 800, 11)
	for k := range cents {
		for i := range cents[k].Events {
			cents[k].Events[i].Revenue += 0.01 * float64(1+i%97) // NaN stays NaN
		}
	}
	t.Run("whole", func(t *testing.T) { testRepeatMerge(t, f, whole) })
	t.Run("cents", func(t *testing.T) { testRepeatMerge(t, f, cents) })
}

func testRepeatMerge(t *testing.T, f *repeatFixture, js []Journey) {
	p := repeatParams(t, "2024-03-01", "2024-03-31")
	one := func(per Period, current bool) RepeatResult {
		a := newRepeatAcc(p, per, current, false)
		for i := range js {
			a.add(&js[i], scanOrders(p, &js[i]))
		}
		return a.result(f.d)
	}
	split := func(per Period, current bool, parts int, reverse bool) RepeatResult {
		accs := make([]*repeatAcc, parts)
		for k := range accs {
			accs[k] = newRepeatAcc(p, per, current, false)
		}
		for i := range js {
			accs[int(js[i].Customer*2654435761)%parts].add(&js[i], scanOrders(p, &js[i]))
		}
		if reverse {
			for l, r := 0, len(accs)-1; l < r; l, r = l+1, r-1 {
				accs[l], accs[r] = accs[r], accs[l]
			}
		}
		for _, a := range accs[1:] {
			accs[0].merge(a)
		}
		return accs[0].result(f.d)
	}
	want := one(p.Current, true)
	if want.Purchasers == 0 || len(want.Cohorts) == 0 || want.BGNBD == nil || !want.BGNBD.Converged ||
		want.DaysFirstToSecondOrder.N == 0 {
		t.Fatalf("the random journeys do not exercise every KPI: %+v", want)
	}
	wantPrev := one(p.Previous, false)
	for _, parts := range []int{2, 3, 7} {
		for _, reverse := range []bool{false, true} {
			if got := split(p.Current, true, parts, reverse); !reflect.DeepEqual(got, want) {
				t.Errorf("%d parts (reverse %v): merged result differs\n got %+v\nwant %+v", parts, reverse, got, want)
			}
			if got := split(p.Previous, false, parts, reverse); !reflect.DeepEqual(got, wantPrev) {
				t.Errorf("%d parts (reverse %v): merged previous period differs", parts, reverse)
			}
		}
	}
}

// BenchmarkRepeatAdd folds journeys of about eight events into the report period's accumulator.
func BenchmarkRepeatAdd(b *testing.B) {
	f := newRepeatFixture(b)
	js := repeatRandomJourneys(f, 10_000, 3)
	p := repeatParams(b, "2024-03-01", "2024-03-31")
	events := 0
	for _, j := range js {
		events += len(j.Events)
	}
	jo := newJourneyOrders(p)
	b.ResetTimer()
	for b.Loop() {
		a := newRepeatAcc(p, p.Current, true, false)
		for i := range js {
			jo.scan(js[i].Events)
			a.add(&js[i], jo)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*events), "ns/event")
}

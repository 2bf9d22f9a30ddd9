package kpi

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// benchJourneys makes n journeys shaped like the benchmark data (/work/shared/bench): 1–6
// awareness events, then interest, comparison and orders at falling rates, over 90 days.
func benchJourneys(p *Params, n int, seed uint64) []Journey {
	r := rand.New(rand.NewPCG(seed, 1))
	js := make([]Journey, n)
	for i := range js {
		var ev []Event
		at := p.Current.From + r.Int64N(90*Day)
		add := func(stage int8, order uint64) {
			e := Event{Time: at, Stage: stage, Order: order, Touchpoint: uint32(1 + r.IntN(12)), Segment: uint32(1 + i%5),
				Revenue: math.NaN(), Sentiment: float32(math.NaN())}
			if stage == 3 {
				e.Revenue = float64(10 + r.IntN(200))
			}
			if stage == 5 {
				e.Sentiment = float32(r.IntN(17)-8) / 8
			}
			ev = append(ev, e)
			at += 1 + r.Int64N(3*Day)
		}
		if r.IntN(25) == 0 {
			add(1, 0)
		}
		for range 1 + r.IntN(6) {
			add(0, 0)
		}
		if r.Float64() < 0.4 {
			add(1, 0)
			if r.Float64() < 0.5 {
				add(2, 0)
				if r.Float64() < 0.4 {
					add(3, uint64(i)<<8|1)
					if r.Float64() < 0.8 {
						add(4, 0)
					}
					if r.Float64() < 0.4 {
						add(5, 0)
					}
					if r.Float64() < 0.3 {
						at += r.Int64N(30 * Day)
						add(3, uint64(i)<<8|2)
					}
				}
			}
		}
		ev, _ = SortJourney(ev)
		js[i] = Journey{Customer: uint64(i), Events: ev}
	}
	return js
}

func benchParams() *Params {
	p := defaultParams()
	p.Current = Period{From: jan1, To: jan1 + 90*Day}
	p.Previous = Period{From: jan1 - 90*Day, To: jan1}
	p.DataEnd = jan1 + 90*Day
	return p
}

// BenchmarkFunnelAdd folds benchmark-shaped journeys into the funnel, journey map and trends of
// both periods, as Acc.Add does, and reports the cost per journey.
func BenchmarkFunnelAdd(b *testing.B) {
	p := benchParams()
	js := benchJourneys(p, 1<<16, 42)
	events := 0
	for _, j := range js {
		events += len(j.Events)
	}
	type period struct {
		ev *evaluator
		f  *funnelAcc
		m  *journeyMapAcc
		t  *trendsAcc
	}
	mk := func(per Period) period {
		f := newFunnelAcc(p, per, false)
		return period{newEvaluator(p, newStagePlan(p), per, f.dimsRead()), f, newJourneyMapAcc(p), newTrendsAcc(p, per)}
	}
	pers := []period{mk(p.Current), mk(p.Previous)}
	jo := newJourneyOrders(p)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := &js[i&(len(js)-1)]
		jo.scan(j.Events)
		for _, pa := range pers {
			o := pa.ev.run(j, jo)
			pa.f.add(j, o)
			pa.m.add(j, o)
			pa.t.add(j, o)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/journey")
	b.ReportMetric(float64(events)/float64(len(js)), "events/journey")
}

// TestAccMerge splits journeys over several Accs, merges them in order and expects the Result
// of one Acc that saw them all.
func TestAccMerge(t *testing.T) {
	p := benchParams()
	p.DataEnd = jan1 + 60*Day
	js := benchJourneys(p, 3000, 7)
	d := testDicts()
	for i := 1; i <= 12; i++ {
		d.Touchpoint.Code(string(rune('a' + i)))
	}
	in := Inputs{Report: ReportInfo{Name: "merge"}}
	one := NewAcc(p)
	for i := range js {
		one.Add(&js[i])
	}
	want := mustJSON(t, one.Result(d, in))

	parts := []*Acc{NewAcc(p), NewAcc(p), NewAcc(p), NewAcc(p)}
	perm := slices.Clone(js)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(perm), func(a, b int) { perm[a], perm[b] = perm[b], perm[a] })
	for i := range perm {
		parts[i%len(parts)].Add(&perm[i])
	}
	for _, b := range parts[1:] {
		parts[0].Merge(b)
	}
	if got := mustJSON(t, parts[0].Result(d, in)); got != want {
		t.Errorf("merged result differs from one accumulator:\n got %.2000s\nwant %.2000s", got, want)
	}
	r := one.Result(d, in)
	if r.Funnel.Entrants == 0 || r.Funnel.InProgress == 0 || r.Funnel.Completed == 0 || len(r.Comparison.Headline) == 0 {
		t.Errorf("degenerate data: %+v", r.Funnel)
	}
	checkInvariants(t, &r.Funnel)
}

// BenchmarkFunnelLongJourney is the hard case for the attempt search: one customer with 2,000
// events of random stages over the 90 days, so that many attempts restart and progress.
func BenchmarkFunnelLongJourney(b *testing.B) {
	p := benchParams()
	r := rand.New(rand.NewPCG(3, 4))
	ev := make([]Event, 2000)
	for i := range ev {
		ev[i] = Event{Time: p.Current.From + r.Int64N(90*Day), Stage: int8(r.IntN(4)), Order: uint64(r.IntN(50)),
			Revenue: math.NaN(), Sentiment: float32(math.NaN())}
	}
	ev, _ = SortJourney(ev)
	j := &Journey{Customer: 1, Events: ev}
	e := newEvaluator(p, newStagePlan(p), p.Current, nil)
	jo := newJourneyOrders(p)
	b.ReportAllocs()
	for b.Loop() {
		jo.scan(j.Events)
		e.run(j, jo)
	}
}

// BenchmarkAccFold folds a partition's worth of benchmark-shaped journeys into a fresh Acc, as
// a grouping worker does, and reports the cost per journey: every KPI family of both periods,
// the breakdowns, the recent periods and the mature cohorts.
//
//	go test ./kpi -run x -bench AccFold -count 6 | tee new.txt; benchstat old.txt new.txt
func BenchmarkAccFold(b *testing.B) {
	p := benchParams()
	p.DataEnd = jan1 + 60*Day
	for k := range 4 {
		p.Recent = append(p.Recent, Period{From: jan1 - int64(4-k)*90*Day, To: jan1 - int64(3-k)*90*Day})
	}
	p.Recent = append(p.Recent, p.Current)
	js := benchJourneys(p, 1<<16, 42)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a := NewAcc(p)
		for k := range js {
			a.Add(&js[k])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(js)), "ns/journey")
}

package kpi

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// engineRun folds journeys into one period's funnel, map and trends accumulators, split over
// parts accumulators merged in order, and returns their results.
func engineRun(p *Params, per Period, d *Dicts, journeys []Journey, parts int) refPeriod {
	type accs struct {
		ev *evaluator
		f  *funnelAcc
		m  *journeyMapAcc
		t  *trendsAcc
	}
	newAccs := func() accs {
		f := newFunnelAcc(p, per, false)
		return accs{newEvaluator(p, newStagePlan(p), per, f.dimsRead()), f, newJourneyMapAcc(p), newTrendsAcc(p, per)}
	}
	as := make([]accs, parts)
	for i := range as {
		as[i] = newAccs()
	}
	for i := range journeys {
		a := as[i*parts/len(journeys)]
		o := a.ev.run(&journeys[i], scanOrders(p, &journeys[i]))
		a.f.add(&journeys[i], o)
		a.m.add(&journeys[i], o)
		a.t.add(&journeys[i], o)
	}
	for _, b := range as[1:] {
		as[0].f.merge(b.f)
		as[0].m.merge(b.m)
		as[0].t.merge(b.t)
	}
	return refPeriod{as[0].f.result(d), as[0].m.result(d), as[0].t.result()}
}

// scanOrders groups j's orders as Acc.Add does, for tests that call a KPI family directly.
func scanOrders(p *Params, j *Journey) *journeyOrders {
	jo := newJourneyOrders(p)
	jo.scan(j.Events)
	return jo
}

// diffParams are stage configurations the random tests run under, with windows in hours so that
// small random journeys hit every boundary.
func diffParams() map[string]*Params {
	from := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC).UnixMicro()
	per := Period{From: from, To: from + 10*Day}
	mk := func(stages []StageDef) *Params {
		return &Params{
			Stages: stages, Window: 48 * Hour, Current: per,
			Previous: Period{From: per.From - 10*Day, To: per.From},
			Location: time.UTC, Breakdowns: []string{"first_touchpoint", "segment", "entry_week"}, Top: 2,
			MinCustomers: 2, PainPoints: 3,
		}
	}
	return map[string]*Params{
		"default": mk([]StageDef{
			{Name: "awareness"}, {Name: "interest"}, {Name: "comparison"}, {Name: "purchase", Purchase: true},
			{Name: "usage", Optional: true}, {Name: "feedback", Optional: true}, {Name: "repeat", Repeat: true, Within: 72 * Hour},
		}),
		"within": mk([]StageDef{
			{Name: "awareness"}, {Name: "interest", Within: 12 * Hour}, {Name: "usage", Optional: true, Within: 6 * Hour},
			{Name: "comparison"}, {Name: "purchase", Purchase: true, Within: 24 * Hour},
			{Name: "feedback"}, {Name: "repeat", Repeat: true},
		}),
		"purchase-first": mk([]StageDef{
			{Name: "purchase", Purchase: true}, {Name: "review", Optional: true}, {Name: "repeat", Repeat: true, Within: 72 * Hour},
		}),
		"no-repeat": mk([]StageDef{
			{Name: "awareness"}, {Name: "interest", Optional: true}, {Name: "purchase", Purchase: true},
			{Name: "usage", Optional: true, Within: 30 * Hour},
		}),
	}
}

func testDicts() *Dicts {
	d := NewDicts()
	for _, s := range []string{"email", "search", "social", "store"} {
		d.Touchpoint.Code(s)
	}
	for _, s := range []string{"new", "vip"} {
		d.Segment.Code(s)
	}
	return d
}

// randomJourney makes a small journey around the period's edges. Sentiment and revenue are
// multiples of 1/8 and 1/4, so every float sum is exact in any order.
func randomJourney(r *rand.Rand, p *Params, cust uint64) Journey {
	n := 1 + r.IntN(10)
	base := p.Current.From - 3*Day + r.Int64N(14*Day)
	base -= base % Hour
	ev := make([]Event, n)
	seg := uint32(r.IntN(3))
	nst := len(p.Stages)
	walk := r.IntN(2) == 0 // half the journeys mostly walk the stages in order
	at, stage := base, 0
	for i := range ev {
		e := Event{Time: base + r.Int64N(96)*Hour, Revenue: math.NaN(), Sentiment: float32(math.NaN())}
		if r.IntN(3) == 0 {
			e.Time = base + r.Int64N(8)*Hour // crowd a few events at the same times
		}
		switch x := r.IntN(nst + 2); {
		case walk:
			at += r.Int64N(4) * r.Int64N(12) * Hour
			e.Time = at
			if r.IntN(4) != 0 {
				stage = min(stage+r.IntN(2), nst-1)
			} else {
				stage = r.IntN(nst)
			}
			e.Stage = int8(stage)
			if p.Stages[stage].Repeat {
				e.Stage = int8(p.PurchaseStage())
			}
		case x >= nst:
			e.Stage = int8(r.IntN(2)) // more first-stage events
		default:
			e.Stage = int8(x)
			if p.Stages[x].Repeat {
				e.Stage = NoStage
			}
		}
		if int(e.Stage) == p.PurchaseStage() {
			e.Order = uint64(r.IntN(4))
			if r.IntN(2) == 0 {
				e.Revenue = float64(r.IntN(400)) / 4
			}
		}
		e.Touchpoint = uint32(r.IntN(5))
		e.Segment = seg
		if r.IntN(5) == 0 {
			e.Segment = 0
		}
		e.Name = uint32(r.IntN(2))
		if r.IntN(3) == 0 {
			e.Sentiment = float32(r.IntN(17)-8) / 8
		}
		ev[i] = e
	}
	ev, _ = SortJourney(ev)
	return Journey{Customer: cust, Events: ev}
}

func dataEnd(journeys []Journey) int64 {
	end := int64(math.MinInt64)
	for _, j := range journeys {
		for _, e := range j.Events {
			end = max(end, e.Time)
		}
	}
	return end
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestFunnelDifferential runs the engine against the reference on thousands of random journeys
// under several stage configurations, for both periods, as one accumulator and as merged parts.
func TestFunnelDifferential(t *testing.T) {
	d := testDicts()
	for name, p := range diffParams() {
		t.Run(name, func(t *testing.T) {
			for seed := range uint64(12) {
				r := rand.New(rand.NewPCG(seed, 7))
				journeys := make([]Journey, 500)
				for i := range journeys {
					journeys[i] = randomJourney(r, p, uint64(i))
				}
				pp := *p
				pp.DataEnd = dataEnd(journeys)
				// As if later events had not been read: entrants move between dropped and in progress.
				pp.DataEnd -= int64(seed%4)*2*Day + int64(seed)*7*Hour
				for _, per := range []Period{pp.Current, pp.Previous} {
					want := refCompute(&pp, per, d, journeys)
					for _, parts := range []int{1, 3} {
						got := engineRun(&pp, per, d, journeys, parts)
						checkInvariants(t, &got.funnel)
						for _, c := range []struct {
							what      string
							got, want any
						}{
							{"funnel", got.funnel, want.funnel}, {"map", got.jmap, want.jmap}, {"trends", got.trends, want.trends},
						} {
							if g, w := mustJSON(t, c.got), mustJSON(t, c.want); g != w {
								t.Fatalf("seed %d period %d parts %d: %s differs from the reference:\n got %s\nwant %s", seed, per.From, parts, c.what, g, w)
							}
						}
					}
				}
			}
		})
	}
}

// FuzzFunnel decodes the input into one small journey (4 bytes an event: hour, stage, order and
// touchpoint, sentiment) and compares the engine with the reference under every configuration.
func FuzzFunnel(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 1, 1, 0, 0, 2, 2, 1, 8, 3, 3, 1, 0})
	f.Add([]byte{10, 0, 0, 0, 10, 0, 1, 1, 40, 1, 2, 0, 41, 3, 17, 3, 90, 3, 33, 9})
	f.Add([]byte{200, 0, 0, 0, 250, 1, 0, 0, 255, 2, 0, 0})
	d := testDicts()
	params := diffParams()
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4*24 {
			data = data[:4*24]
		}
		for _, name := range []string{"default", "within", "no-repeat", "purchase-first"} {
			p := *params[name]
			var ev []Event
			for i := 0; i+4 <= len(data); i += 4 {
				e := Event{
					Time:  p.Current.From - 2*Day + int64(data[i])*4*Hour/2,
					Stage: int8(int(data[i+1])%(len(p.Stages)+1)) - 1, Revenue: math.NaN(), Sentiment: float32(math.NaN()),
					Touchpoint: uint32(data[i+2] >> 4 % 5), Segment: uint32(data[i+3] % 3),
				}
				if p.Stages[max(e.Stage, 0)].Repeat {
					e.Stage = NoStage
				}
				if int(e.Stage) == p.PurchaseStage() {
					e.Order = uint64(data[i+2] % 4)
					e.Revenue = float64(data[i+3])
				}
				if s := data[i+3] >> 3; s < 17 {
					e.Sentiment = float32(int(s)-8) / 8
				}
				ev = append(ev, e)
			}
			ev, _ = SortJourney(ev)
			journeys := []Journey{{Customer: 1, Events: ev}}
			p.DataEnd = dataEnd(journeys) - int64(len(data)%3)*Day
			for _, per := range []Period{p.Current, p.Previous} {
				want := refCompute(&p, per, d, journeys)
				got := engineRun(&p, per, d, journeys, 1)
				checkInvariants(t, &got.funnel)
				if g, w := mustJSON(t, got.funnel), mustJSON(t, want.funnel); g != w {
					t.Fatalf("%s: funnel differs:\n got %s\nwant %s", name, g, w)
				}
				if g, w := mustJSON(t, got.jmap), mustJSON(t, want.jmap); g != w {
					t.Fatalf("%s: map differs:\n got %s\nwant %s", name, g, w)
				}
				if g, w := mustJSON(t, got.trends), mustJSON(t, want.trends); g != w {
					t.Fatalf("%s: trends differ:\n got %s\nwant %s", name, g, w)
				}
			}
		}
	})
}

// checkInvariants asserts that every entrant ends in exactly one of completed, dropped and in
// progress, and that the per-stage dropped and in-progress rows add up to the totals.
func checkInvariants(t testing.TB, f *FunnelResult) {
	t.Helper()
	if f.Completed+f.Dropped+f.InProgress != f.Entrants {
		t.Fatalf("completed %d + dropped %d + in progress %d != entrants %d", f.Completed, f.Dropped, f.InProgress, f.Entrants)
	}
	var dropped, inProgress int64
	for _, r := range f.Closed {
		dropped += r.Dropped
		inProgress += r.InProgress
	}
	if dropped != f.Dropped || inProgress != f.InProgress {
		t.Fatalf("stage rows: dropped %d in progress %d, totals %d %d", dropped, inProgress, f.Dropped, f.InProgress)
	}
	if len(f.Closed) > 0 && f.Closed[0].Reached != f.Entrants {
		t.Fatalf("first stage reached %d, entrants %d", f.Closed[0].Reached, f.Entrants)
	}
	for _, b := range f.Breakdowns {
		var n int64
		for _, g := range b.Groups {
			n += g.Entrants
		}
		if n != f.Entrants {
			t.Fatalf("breakdown %s: groups hold %d entrants, want %d", b.By, n, f.Entrants)
		}
	}
}

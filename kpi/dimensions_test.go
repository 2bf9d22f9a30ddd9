package kpi

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestDimensions: a dimension of the user's own (country) breaks down the funnel, the repeat
// KPIs and the journey map, each with the top-N and (other) rule.
func TestDimensions(t *testing.T) {
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	p := &Params{
		Stages:   []StageDef{{Name: "visit"}, {Name: "purchase", Purchase: true}},
		Window:   7 * Day,
		Current:  Period{From: from, To: from + 10*Day, FromDay: "2026-03-01", ToDay: "2026-03-10"},
		Previous: Period{From: from - 10*Day, To: from, FromDay: "2026-02-19", ToDay: "2026-02-28"},
		DataEnd:  from + 30*Day, Location: time.UTC,
		Breakdowns: []string{"country"}, Dimensions: []string{"country"}, Top: 2,
		MinCustomers: 1, PainPoints: 1, History: 365 * Day, Cohort: "month", Horizon: 90 * Day,
		Lookback: 30 * Day, HalfLife: 7 * Day, CloseGap: 0.5, MinEntrants: 30, MaxShift: 0.2, Actions: 1, Currency: "EUR",
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	d := NewDicts()
	ev := func(day int, stage int8, country string, order uint64, rev float64) Event {
		return Event{Time: from + int64(day)*Day, Stage: stage, Order: order, Revenue: rev,
			Dims: [MaxDims]uint32{d.Dims[0].Code(country)}, Sentiment: float32(math.NaN())}
	}
	nan := math.NaN()
	journeys := [][]Event{
		{ev(1, 0, "DE", 0, nan), ev(2, 1, "DE", 1, 10)},
		{ev(1, 0, "DE", 0, nan)},
		{ev(1, 0, "FR", 0, nan), ev(3, 1, "FR", 2, 5)},
		{ev(2, 0, "IT", 0, nan)},
		{ev(2, 0, "", 0, nan)},
	}
	acc := NewAcc(p)
	for i, evs := range journeys {
		evs, _ = SortJourney(evs)
		acc.Add(&Journey{Customer: uint64(i + 1), Events: evs})
	}
	r := acc.Result(d, Inputs{})

	var funnel []string
	for _, g := range r.Funnel.Breakdowns[0].Groups {
		funnel = append(funnel, fmt.Sprintf("%s:%d/%d", g.Value, g.Entrants, g.Closed[1].Reached))
	}
	if got := strings.Join(funnel, " "); r.Funnel.Breakdowns[0].By != "country" || got != "DE:2/1 (none):1/0 (other):2/1" {
		t.Errorf("funnel by country %q: %s", r.Funnel.Breakdowns[0].By, got)
	}

	if len(r.Repeat.ByDimension) != 1 || r.Repeat.ByDimension[0].Dimension != "country" {
		t.Fatalf("repeat by dimension: %+v", r.Repeat.ByDimension)
	}
	var repeat []string
	for _, g := range r.Repeat.ByDimension[0].Groups {
		repeat = append(repeat, fmt.Sprintf("%s:%d/%g", g.Value, g.Purchasers, g.Revenue))
	}
	if got := strings.Join(repeat, " "); got != "DE:1/10 FR:1/5" {
		t.Errorf("repeat by country: %s", got)
	}

	if len(r.JourneyMap.ByDimension) != 1 {
		t.Fatalf("journey map by dimension: %+v", r.JourneyMap.ByDimension)
	}
	dm := r.JourneyMap.ByDimension[0]
	var cells []string
	for _, c := range dm.Cells {
		cells = append(cells, fmt.Sprintf("%s/%s:%d", c.Stage, c.Value, c.Customers))
	}
	if got, want := strings.Join(dm.Values, ",")+" "+strings.Join(cells, " "),
		"DE,(none),(other) visit/DE:2 visit/(none):1 visit/(other):2 purchase/DE:1 purchase/(other):1"; got != want {
		t.Errorf("journey map by country\n got %s\nwant %s", got, want)
	}
}

// TestEvaluatorDims: an evaluator finds the values of only the dimensions its funnel breaks down
// by, and none for a light funnel (recent periods, mature cohorts without breakdowns).
func TestEvaluatorDims(t *testing.T) {
	p := defaultParams()
	p.Dimensions = []string{"country", "device"}
	p.Breakdowns = []string{"first_touchpoint", "device"}
	a := NewAcc(p)
	if got := a.cur.eval.dims; !slices.Equal(got, []int{1}) {
		t.Errorf("period evaluator finds dimensions %v, want [1]", got)
	}
	for _, s := range a.slots {
		if want := s.funnel.dimsRead(); !slices.Equal(s.eval.dims, want) || s.funnel.light && len(want) > 0 {
			t.Errorf("slot evaluator finds dimensions %v, its funnel (light %v) reads %v", s.eval.dims, s.funnel.light, want)
		}
	}
	p.Breakdowns = []string{"first_touchpoint"}
	if got := NewAcc(p).cur.eval.dims; len(got) != 0 {
		t.Errorf("without a dimension breakdown the evaluator finds %v", got)
	}
}

// TestDimensionsSplitRead: under the split read (source.history: orders: before Params.FullFrom
// only purchase-stage events are read) a customer's segment and dimension values come from the
// same events as when every event is read, so the report is the same.
func TestDimensionsSplitRead(t *testing.T) {
	f := newRepeatFixture(t)
	full := repeatRandomJourneys(f, 600, 21)
	p := repeatParams(t, "2024-03-01", "2024-03-31")
	p.Dimensions = []string{"country", "device"}
	p.Breakdowns = []string{byFirstTouchpoint, bySegment, "country", "device"}
	p.FullFrom = p.Previous.From - p.Window
	r := rand.New(rand.NewPCG(8, 9))
	var split []Journey
	for k := range full {
		var kept []Event
		for i := range full[k].Events {
			e := &full[k].Events[i]
			e.Dims[0] = f.d.Dims[0].Code([]string{"", "DE", "FR"}[r.IntN(3)])
			e.Dims[1] = f.d.Dims[1].Code([]string{"", "app", "web"}[r.IntN(3)])
			if e.Time >= p.FullFrom || e.Stage == int8(p.PurchaseStage()) {
				kept = append(kept, *e)
			}
		}
		split = append(split, Journey{Customer: full[k].Customer, Events: kept})
	}
	result := func(js []Journey) string {
		a := NewAcc(p)
		for i := range js {
			a.Add(&js[i])
		}
		return mustJSON(t, a.Result(f.d, Inputs{}))
	}
	if a, b := result(full), result(split); a != b {
		t.Error("the report of the split read differs from the one of every event")
	}

	// A country on a visit before FullFrom only is no country, for the funnel and for repeat.
	nan := math.NaN()
	j := Journey{Customer: 1, Events: []Event{
		{Time: p.FullFrom - Day, Stage: 0, Revenue: nan, Sentiment: float32(nan), Dims: [MaxDims]uint32{f.d.Dims[0].Code("DE")}},
		{Time: p.Current.From + Day, Stage: 0, Revenue: nan, Sentiment: float32(nan)},
		{Time: p.Current.From + 2*Day, Stage: 1, Order: 1, Revenue: 10, Sentiment: float32(nan)},
	}}
	a := NewAcc(p)
	a.Add(&j)
	res := a.Result(f.d, Inputs{})
	if g := res.Funnel.Breakdowns[2].Groups; len(g) != 1 || g[0].Value != NoneLabel {
		t.Errorf("funnel by country %+v, want (none) only", g)
	}
	if g := res.Repeat.ByDimension[0].Groups; len(g) != 1 || g[0].Value != NoneLabel {
		t.Errorf("repeat by country %+v, want (none) only", g)
	}
}

package kpi

import (
	"cmp"
	"math"
	"reflect"
	"slices"
	"testing"
)

// allocFunnel is a closed funnel awareness 1000 → interest 900 → comparison 100 → purchase 90 →
// repeat 9, with an optional usage stage: interest → comparison leaks by far the most.
func allocFunnel() *Result {
	row := func(stage string, reached int64, prev int64, optional bool) StageRow {
		r := StageRow{Stage: stage, Reached: reached, Optional: optional}
		if prev > 0 {
			r.ConversionFromPrevious = Ptr(float64(reached) / float64(prev))
		}
		return r
	}
	r := &Result{}
	r.Funnel.Closed = []StageRow{
		row("awareness", 1000, 0, false),
		row("interest", 900, 1000, false),
		row("comparison", 100, 900, false),
		row("purchase", 90, 100, false),
		row("usage", 40, 90, true),
		row("repeat", 9, 90, false),
	}
	r.Repeat = RepeatResult{Purchasers: 90, Orders: 100, Revenue: 9000, AverageOrderValue: Ptr(80)}
	return r
}

func allocParams() *Params {
	p := attrParams()
	p.Stages = []StageDef{
		{Name: "awareness"}, {Name: "interest"}, {Name: "comparison"}, {Name: "purchase", Purchase: true},
		{Name: "usage", Optional: true}, {Name: "repeat", Repeat: true},
	}
	p.MinCustomers = 30
	return p
}

func TestStageValue(t *testing.T) {
	p := allocParams()
	v := newStageValues(p, allocFunnel())
	cases := []struct {
		stage string
		want  float64
	}{
		{"awareness", 90.0 / 1000 * 100}, // purchase rate × revenue per purchaser
		{"interest", 90.0 / 900 * 100},
		{"comparison", 90.0 / 100 * 100},
		{"purchase", 100},
		{"usage", 9.0 / 90 * 80}, // after the purchase: repeat rate × average order value
		{"repeat", 80},           // one more order
		{"unknown", 0},
	}
	for _, c := range cases {
		if got := v.value(v.row(c.stage)); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("value(%s) = %v, want %v", c.stage, got, c.want)
		}
	}
	// Without repeat KPIs the attribution's revenue per order stands in.
	r := allocFunnel()
	r.Repeat = RepeatResult{}
	r.Attribution = AttributionResult{Conversions: 50, Revenue: 2500}
	v = newStageValues(p, r)
	if got := v.value(v.row("purchase")); got != 50 {
		t.Errorf("value(purchase) from attribution = %v, want 50", got)
	}
}

// wilsonRef is the 95% Wilson score interval computed plainly, for the tests of what uses it.
func wilsonRef(x, n float64) (lo, hi float64) {
	z := 1.959963984540054
	p := x / n
	c := (p + z*z/(2*n)) / (1 + z*z/n)
	h := z / (1 + z*z/n) * math.Sqrt(p*(1-p)/n+z*z/(4*n*n))
	return c - h, c + h
}

// breakdownOf builds a first_touchpoint breakdown whose groups have the given customers at
// interest and comparison (awareness and later stages are not read by the interest → comparison
// step).
func breakdownOf(by string, groups map[string][2]int64) Breakdown {
	b := Breakdown{By: by}
	for _, name := range []string{"a", "b", "c", "d", "e", "f", "g", "h", NoneLabel, OtherLabel} {
		n, ok := groups[name]
		if !ok {
			continue
		}
		rows := make([]StageRow, 6)
		rows[0] = StageRow{Stage: "awareness", Reached: 2 * n[0]}
		rows[1] = StageRow{Stage: "interest", Reached: n[0], ConversionFromPrevious: Ptr(0.5)}
		rows[2] = StageRow{Stage: "comparison", Reached: n[1], ConversionFromPrevious: Ptr(float64(n[1]) / float64(n[0]))}
		rows[3] = StageRow{Stage: "purchase"}
		rows[4] = StageRow{Stage: "usage", Optional: true}
		rows[5] = StageRow{Stage: "repeat"}
		b.Groups = append(b.Groups, BreakdownGroup{Value: name, Entrants: 2 * n[0], Closed: rows})
	}
	return b
}

func TestStageOpportunities(t *testing.T) {
	p := allocParams()
	p.CloseGap, p.MinEntrants, p.MinMature = 0.5, 30, 0.8
	r := allocFunnel()
	v := newStageValues(p, r)
	// interest → comparison: eight touchpoints with enough customers, the best quarter (two) are
	// a and b: (90 + 80) / (100 + 100) = 0.85. Below it, c's 60/100 has a Wilson interval of
	// [0.502, 0.691]: a gap; d's 78/100 reaches 0.857: chance. h has too few customers to count
	// either way, (none) and (other) are never groups.
	groups := []Breakdown{breakdownOf("first_touchpoint", map[string][2]int64{
		"a": {100, 90}, "b": {100, 80}, "c": {100, 60}, "d": {100, 79}, "e": {200, 100}, "f": {50, 20}, "g": {40, 30}, "h": {20, 1},
		NoneLabel: {500, 10}, OtherLabel: {500, 10},
	})}
	// Recent periods: the best mature one converted 0.3 at comparison (the report's 100/900 = 0.111,
	// Wilson high 0.133); an immature period's 0.9 does not count.
	recentRow := func(conv float64, mature float64) []StageRow {
		rows := make([]StageRow, 6)
		for i := range rows {
			rows[i] = r.Funnel.Closed[i]
			rows[i].MatureShare = Ptr(mature)
		}
		rows[2].ConversionFromPrevious = Ptr(conv)
		return rows
	}
	recent := []recentRows{{"2026-01-01", "2026-01-31", recentRow(0.2, 1)}, {"2026-02-01", "2026-02-28", recentRow(0.3, 1)},
		{"2026-03-01", "2026-03-31", recentRow(0.9, 0.5)}}
	got := stageOpportunities(p, v, groups, recent)

	per := v.value(v.row("comparison")) // 90/100 × 100
	type opp struct {
		by, group         string
		reached, entrants float64
		bench             float64
	}
	want := []opp{
		// Whole step: 0.5 × (0.3 − 100/900) × 900 customers = 85 more, × 90.
		{ByPeriod, "", 100, 900, 0.3},
		{"first_touchpoint", "e", 100, 200, 0.85},
		{"first_touchpoint", "c", 60, 100, 0.85},
		{"first_touchpoint", "f", 20, 50, 0.85},
	}
	if len(got) != len(want) {
		t.Fatalf("%d opportunities, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		conv := w.reached / w.entrants
		lo, hi := wilsonRef(w.reached, w.entrants)
		extra := 0.5 * (w.bench - conv) * w.entrants
		if g.By != w.by || g.Group != w.group || g.Step != "interest → comparison" || g.Stage != "comparison" || g.From != "interest" ||
			math.Abs(g.Benchmark-w.bench) > 1e-12 || math.Abs(g.Conversion-conv) > 1e-12 ||
			math.Abs(g.Interval.Low-lo) > 1e-12 || math.Abs(g.Interval.High-hi) > 1e-12 || !(hi < w.bench) ||
			math.Abs(g.ExtraCustomers-extra) > 1e-9 || math.Abs(g.Value-extra*per) > 1e-9 || g.ValuePerCustomer != per {
			t.Errorf("#%d: %+v, want %+v (conversion %v, interval %v–%v, extra %v, value %v)", i, g, w, conv, lo, hi, extra, extra*per)
		}
	}
	if b := got[1].BenchmarkOf; got[1].BenchmarkKind != BenchmarkBestQuartile || len(b) != 2 || b[0] != "a" || b[1] != "b" {
		t.Errorf("quartile benchmark %s of %v, want a and b", got[1].BenchmarkKind, b)
	}
	if b := got[0].BenchmarkOf; got[0].BenchmarkKind != BenchmarkBestPeriod || len(b) != 2 || b[0] != "2026-02-01" {
		t.Errorf("period benchmark %s of %v, want February", got[0].BenchmarkKind, b)
	}

	// A dimension of the user's is a breakdown like the others.
	dim := breakdownOf("country", map[string][2]int64{"a": {100, 90}, "b": {100, 80}, "c": {100, 60}, "d": {100, 79}, "e": {200, 100}})
	if got := stageOpportunities(p, v, []Breakdown{dim}, nil); len(got) != 2 || got[0].By != "country" || got[0].Group != "e" {
		t.Errorf("by country: %+v, want e and c", got)
	}
	// Fewer than four values with enough customers: no quartile to speak of.
	few := []Breakdown{breakdownOf("segment", map[string][2]int64{"a": {100, 90}, "b": {100, 10}, "c": {100, 50}})}
	if got := stageOpportunities(p, v, few, nil); len(got) != 0 {
		t.Errorf("three values give %+v, want none", got)
	}
	// A group immature at the step counts neither way: without e, four values remain and the best
	// quarter is a alone (0.9), which b, c and d all fall short of.
	imm := breakdownOf("segment", map[string][2]int64{"a": {100, 90}, "b": {100, 80}, "c": {100, 60}, "d": {100, 79}, "e": {200, 100}})
	imm.Groups[4].Closed[2].MatureShare = Ptr(0.1)
	if got := stageOpportunities(p, v, []Breakdown{imm}, nil); len(got) != 3 || got[0].Group != "c" || got[1].Group != "d" ||
		got[2].Group != "b" || got[0].Benchmark != 0.9 {
		t.Errorf("with e immature: %+v, want c, d, b against 0.9", got)
	}

	// The recommendation keeps the best of the step.
	r.Funnel.Breakdowns = groups
	a := allocate(p, r, allocInput{recent: recent})
	if len(a.Recommendations) == 0 {
		t.Fatal("no recommendations")
	}
	first := a.Recommendations[0]
	if o := first.Opportunity; first.Kind != KindStageOpportunity || first.Rank != 1 || o == nil || o.By != ByPeriod ||
		first.KPI != "funnel.closed.comparison.conversion_from_previous" {
		t.Errorf("first recommendation %+v (%+v), want the whole step against February", first, o)
	}
	for _, rec := range a.Recommendations[1:] {
		if rec.Opportunity != nil && rec.Opportunity.Step == "interest → comparison" {
			t.Errorf("a second action for the step: %+v", rec.Opportunity)
		}
	}
}

// TestAllocationSmallAmounts checks that an opportunity worth less than a cent, or less than one
// customer, is not an action.
func TestAllocationSmallAmounts(t *testing.T) {
	p := allocParams()
	// A gap worth less than a cent, or less than one whole customer, is not an action.
	r := allocFunnel()
	r.Funnel.Breakdowns = []Breakdown{breakdownOf("first_touchpoint", map[string][2]int64{
		"a": {100, 90}, "b": {100, 80}, "c": {100, 60}, "d": {100, 79}, "e": {200, 100}})}
	r.Repeat.Revenue = 0.009 // revenue per purchaser 0.0001: c's 12.5 customers worth less than a cent
	if a := allocate(p, r, allocInput{}); len(a.Recommendations) != 0 || len(a.StageOpportunity) != 2 {
		t.Errorf("recommendations %+v, opportunities %+v; want none and 2", a.Recommendations, a.StageOpportunity)
	}
}

func TestReachShiftWithoutSpend(t *testing.T) {
	p := allocParams()
	r := &Result{}
	for _, tp := range []struct {
		name    string
		reached int64
		rev     float64
	}{{"social", 600, 5400}, {"email", 100, 5000}, {NoneLabel, 1000, 100}, {"web", 10, 1000}} {
		r.Attribution.Touchpoints = append(r.Attribution.Touchpoints, TouchpointAttribution{
			Touchpoint: tp.name, CustomersReached: tp.reached, Revenue: map[string]float64{ModelMarkov: tp.rev},
		})
	}
	a := allocate(p, r, allocInput{})
	want := ReachSubject{Best: "email", Worst: "social", BestPerCustomer: 50, WorstPerCustomer: 9, Share: 0.2, WorstReached: 600, Moved: 120, Gain: 4920}
	if len(a.Recommendations) != 1 || a.Recommendations[0].Reach == nil || math.Abs(a.Recommendations[0].Value-4920) > 1e-9 {
		t.Fatalf("recommendations %+v, want a reach shift worth 4920", a.Recommendations)
	}
	if got := *a.Recommendations[0].Reach; got.Best != want.Best || got.Worst != want.Worst || math.Abs(got.Moved-want.Moved) > 1e-9 ||
		math.Abs(got.Gain-want.Gain) > 1e-9 || got.WorstReached != want.WorstReached || got.Share != want.Share {
		t.Errorf("reach %+v, want %+v", got, want)
	}
	if len(a.BudgetShifts) != 0 {
		t.Errorf("budget shifts without spend: %+v", a.BudgetShifts)
	}
	if e := a.Efficiency[0]; e.Touchpoint != "web" || e.Basis != BasisRevenuePerCustomer || *e.Efficiency != 100 {
		t.Errorf("most efficient %+v", e)
	}
}

// TestReachShiftWorthNothing: between touchpoints as efficient as each other, or less than half
// a cent apart over the customers moved, a reach shift gains nothing and is no action.
func TestReachShiftWorthNothing(t *testing.T) {
	p := allocParams()
	for _, rev := range []float64{1000, 1000.02} {
		r := &Result{}
		for _, tp := range []struct {
			name string
			rev  float64
		}{{"social", 1000}, {"email", rev}} {
			r.Attribution.Touchpoints = append(r.Attribution.Touchpoints, TouchpointAttribution{
				Touchpoint: tp.name, CustomersReached: 100, Revenue: map[string]float64{ModelMarkov: tp.rev},
			})
		}
		if a := allocate(p, r, allocInput{}); len(a.Recommendations) != 0 {
			t.Errorf("email's revenue %v: recommendations %+v, want none", rev, a.Recommendations)
		}
	}
}

func TestPainPointsAndRanking(t *testing.T) {
	p := allocParams()
	p.CloseGap, p.PainPoints = 0.5, 5
	r := allocFunnel()
	r.JourneyMap.PainPoints = []PainPoint{
		{MapCell: MapCell{Stage: "comparison", Touchpoint: "social", Customers: 230, SentimentMean: Ptr(-0.42), SentimentN: 230},
			NextStage: "purchase", ExtraDropOff: 0.2},
		{MapCell: MapCell{Stage: "usage", Touchpoint: "store", Customers: 40, SentimentMean: Ptr(-0.8), SentimentN: 40}, NextStage: "repeat"},
	}
	a := allocate(p, r, allocInput{})
	byCell := map[string]Recommendation{}
	for i, rec := range a.Recommendations {
		if rec.Rank != i+1 {
			t.Errorf("rank %d at position %d", rec.Rank, i)
		}
		if i > 0 && cents(rec.Value) > cents(a.Recommendations[i-1].Value) {
			t.Errorf("rank %d worth more than rank %d", rec.Rank, rec.Rank-1)
		}
		if rec.PainPoint != nil {
			byCell[rec.PainPoint.Stage+"/"+rec.PainPoint.Touchpoint] = rec
		}
	}
	// 0.5 × 0.2 × 230 customers × 100 (a purchaser's revenue).
	if rec, ok := byCell["comparison/social"]; !ok || rec.Rank != 1 || math.Abs(rec.Value-2300) > 1e-9 || rec.PainPoint.Customers != 230 {
		t.Errorf("pain point %+v (found %v), want rank 1, value 2300", rec, ok)
	}
	if rec, ok := byCell["usage/store"]; ok {
		t.Errorf("pain point without extra drop-off recommended at rank %d, worth %v", rec.Rank, rec.Value)
	}
	if len(r.JourneyMap.PainPoints) != 2 || r.JourneyMap.PainPoints[0].Value != 2300 {
		t.Errorf("the journey map's pain points are not valued: %+v", r.JourneyMap.PainPoints)
	}
}

func TestAllocationFromJourneys(t *testing.T) {
	p := allocParams()
	p.ResponseSeries, p.MaxShift, p.DataStart = true, 0.2, attrT0-30*Day
	d := NewDicts()
	js := attrJourneys(d, []attrPath{{"email", 20, 20, 100}, {"search", 20, 20, 100}, {"social", 20, 20, 100}})
	for k := range js {
		for i := range js[k].Events {
			if js[k].Events[i].Stage == 1 {
				js[k].Events[i].Stage = 0
			}
			if js[k].Events[i].Stage == attrPurchase {
				js[k].Events[i].Stage = 3
			}
		}
	}
	var spend []SpendRow
	for day := range 31 {
		for tp, cost := range map[string]float64{"email": 500, "search": 1000, "social": 1000} {
			spend = append(spend, SpendRow{Day: attrT0 + int64(day)*Day, Touchpoint: tp, Cost: cost / 31})
		}
	}
	sortSpendRows(spend)
	run := func(parts int) *Result {
		accs := make([]*Acc, parts)
		for i := range accs {
			accs[i] = NewAcc(p)
		}
		for i, j := range js {
			accs[i%parts].Add(j)
		}
		for _, a := range accs[1:] {
			accs[0].Merge(a)
		}
		return accs[0].Result(d, Inputs{Spend: spend})
	}
	r := run(1)
	if r.Attribution.Conversions != 60 {
		t.Fatalf("%d conversions, want 60", r.Attribution.Conversions)
	}
	if len(r.Allocation.Recommendations) == 0 {
		t.Fatal("no recommendations")
	}
	first := r.Allocation.Recommendations[0]
	if first.Kind != KindBudgetShift || r.Allocation.BudgetShifts[0].To != "email" {
		t.Errorf("first recommendation %+v, shifts %+v", first, r.Allocation.BudgetShifts)
	}
	if o := run(4); !reflect.DeepEqual(o.Allocation, r.Allocation) || !reflect.DeepEqual(o.Attribution, r.Attribution) {
		t.Error("result depends on how journeys were split between accumulators")
	}
}

// sortSpendRows orders spend rows by day and touchpoint, as the spend reader hands them over.
func sortSpendRows(rows []SpendRow) {
	slices.SortFunc(rows, func(a, b SpendRow) int {
		if c := cmp.Compare(a.Day, b.Day); c != 0 {
			return c
		}
		return cmp.Compare(a.Touchpoint, b.Touchpoint)
	})
}

// TestPainPointNamedByAnOpportunity: a pain point at the first stage is its touchpoint's entrants,
// so when the stage opportunity of those entrants at the same step is an action, the pain point is
// not a second one (it stays on the journey map); a pain point at a later stage still is.
func TestPainPointNamedByAnOpportunity(t *testing.T) {
	p := allocParams()
	p.CloseGap, p.PainPoints, p.MinEntrants = 0.5, 5, 30
	r := allocFunnel()
	b := Breakdown{By: byFirstTouchpoint}
	for _, g := range []struct {
		name              string
		entrants, reached int64
	}{{"a", 100, 90}, {"b", 100, 85}, {"c", 100, 40}, {"d", 100, 80}, {"e", 100, 82}} {
		rows := []StageRow{{Stage: "awareness", Reached: g.entrants}, {Stage: "interest", Reached: g.reached},
			{Stage: "comparison"}, {Stage: "purchase"}, {Stage: "usage", Optional: true}, {Stage: "repeat"}}
		b.Groups = append(b.Groups, BreakdownGroup{Value: g.name, Entrants: g.entrants, Closed: rows})
	}
	r.Funnel.Breakdowns = []Breakdown{b}
	r.JourneyMap.PainPoints = []PainPoint{
		{MapCell: MapCell{Stage: "awareness", Touchpoint: "c", Customers: 100, SentimentMean: Ptr(-0.3)}, NextStage: "interest", ExtraDropOff: 0.3},
		{MapCell: MapCell{Stage: "interest", Touchpoint: "c", Customers: 40, SentimentMean: Ptr(-0.3)}, NextStage: "comparison", ExtraDropOff: 0.1},
	}
	a := allocate(p, r, allocInput{})
	var acts []string
	for _, rec := range a.Recommendations {
		switch {
		case rec.Opportunity != nil:
			acts = append(acts, "opportunity "+rec.Opportunity.Step+" "+rec.Opportunity.Group)
		case rec.PainPoint != nil:
			acts = append(acts, "pain "+rec.PainPoint.Stage+" "+rec.PainPoint.Touchpoint)
		}
	}
	want := []string{"opportunity awareness → interest c", "pain interest c"}
	if !slices.Equal(acts, want) {
		t.Errorf("actions %q, want %q", acts, want)
	}
	if len(r.JourneyMap.PainPoints) != 2 {
		t.Errorf("the journey map lost a pain point: %+v", r.JourneyMap.PainPoints)
	}
}

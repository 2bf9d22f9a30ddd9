package kpi

import (
	"math"
	"reflect"
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

func TestStageOpportunities(t *testing.T) {
	p := allocParams()
	r := allocFunnel()
	got := stageOpportunities(p, r, newStageValues(p, r))
	type opp struct {
		step         string
		extra, value float64
	}
	want := []opp{
		// Every step before the purchase is worth 10% of the purchasers' revenue (900); the one
		// losing most (800 customers worth 90 each) comes first.
		{"interest → comparison", 10, 900},
		{"awareness → interest", 90, 900}, // lost 100 × 10 = 1000; capped at 100%: 1000 × (0.99 − 0.9)
		{"comparison → purchase", 9, 900}, // lost 10 × 100 = 1000: an equal tie keeps funnel order
		{"purchase → repeat", 0.9, 72},
	}
	if len(got) != len(want) {
		t.Fatalf("%d opportunities, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Step != w.step || math.Abs(g.ExtraCustomers-w.extra) > 1e-9 || math.Abs(g.Value-w.value) > 1e-9 {
			t.Errorf("#%d: %s extra %v value %v, want %s %v %v", i, g.Step, g.ExtraCustomers, g.Value, w.step, w.extra, w.value)
		}
	}
	// The uplift cannot push a conversion past 100%.
	r.Funnel.Closed[1].Reached = 960
	r.Funnel.Closed[1].ConversionFromPrevious = Ptr(0.96)
	got = stageOpportunities(p, r, newStageValues(p, r))
	for _, o := range got {
		if o.Step == "awareness → interest" && math.Abs(o.ExtraCustomers-40) > 1e-9 {
			t.Errorf("capped extra customers %v, want 40", o.ExtraCustomers)
		}
	}

	a := allocate(p, allocFunnel(), nil)
	if len(a.Recommendations) == 0 {
		t.Fatal("no recommendations")
	}
	first := a.Recommendations[0]
	if o := first.Opportunity; first.Kind != KindStageOpportunity || first.Rank != 1 || o == nil ||
		o.Step != "interest → comparison" || math.Abs(o.ExtraCustomers-10) > 1e-9 || math.Abs(first.Value-900) > 1e-9 {
		t.Errorf("first recommendation %+v (%+v), want interest → comparison, 10 customers, 900", first, o)
	}
}

// allocSpendResult is an attribution with spend: Markov revenue and cost per touchpoint.
func allocSpendResult(rows map[string][2]float64) *Result {
	r := &Result{}
	r.Attribution.SpendKnown = true
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		v, ok := rows[name]
		if !ok {
			continue
		}
		r.Attribution.Touchpoints = append(r.Attribution.Touchpoints, TouchpointAttribution{
			Touchpoint: name, Revenue: map[string]float64{ModelMarkov: v[0]}, Cost: Ptr(v[1]), CustomersReached: 100,
		})
	}
	return r
}

func TestBudgetShifts(t *testing.T) {
	p := allocParams()
	cases := []struct {
		name string
		rows map[string][2]float64 // revenue, cost
		want []BudgetShift
	}{
		{"one touchpoint twice as good", map[string][2]float64{"a": {2000, 1000}, "b": {2000, 1000}, "c": {4000, 1000}, "d": {2000, 1000}},
			[]BudgetShift{{From: "d", To: "c", Amount: 200, ExpectedRevenueChange: 400}}},
		{"caps on both sides", map[string][2]float64{"a": {5000, 1000}, "b": {500, 500}, "c": {1000, 2000}, "d": {300, 100}},
			[]BudgetShift{{From: "c", To: "a", Amount: 200, ExpectedRevenueChange: 900}, {From: "c", To: "d", Amount: 20, ExpectedRevenueChange: 50}}},
		{"spend with no return gives first", map[string][2]float64{"a": {0, 300}, "b": {3000, 1000}, "c": {1000, 1000}},
			[]BudgetShift{{From: "a", To: "b", Amount: 60, ExpectedRevenueChange: 180}, {From: "c", To: "b", Amount: 140, ExpectedRevenueChange: 280}}},
		{"all equal: nothing to move", map[string][2]float64{"a": {100, 50}, "b": {200, 100}}, []BudgetShift{}},
		{"organic touchpoints are not shifted", map[string][2]float64{"a": {100, 0}, "b": {200, 100}}, []BudgetShift{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := allocSpendResult(c.rows)
			got := budgetShifts(p, efficiency(r, true))
			if len(got) != len(c.want) {
				t.Fatalf("shifts %+v, want %+v", got, c.want)
			}
			for i := range got {
				g, w := got[i], c.want[i]
				if g.From != w.From || g.To != w.To || math.Abs(g.Amount-w.Amount) > 1e-9 ||
					math.Abs(g.ExpectedRevenueChange-w.ExpectedRevenueChange) > 1e-9 {
					t.Errorf("shift %d: %+v, want %+v", i, g, w)
				}
			}
		})
	}
	a := allocate(p, allocSpendResult(cases[0].rows), []SpendRow{})
	want := ShiftSubject{BudgetShift: BudgetShift{From: "d", To: "c", Amount: 200, ExpectedRevenueChange: 400}, FromROAS: 2, ToROAS: 4}
	if len(a.Recommendations) != 1 || a.Recommendations[0].Shift == nil || *a.Recommendations[0].Shift != want ||
		a.Recommendations[0].Kind != KindBudgetShift {
		t.Errorf("recommendations %+v, want the shift %+v", a.Recommendations, want)
	}
	if e := a.Efficiency[0]; e.Touchpoint != "c" || e.Basis != BasisROAS || *e.Efficiency != 4 || math.Abs(*e.Relative-1.6) > 1e-12 {
		t.Errorf("most efficient %+v", e)
	}
}

// TestAllocationSmallAmounts checks that a small budget is still recommended, and that a shift or
// opportunity worth less than a cent is not (no sentence could name it).
func TestAllocationSmallAmounts(t *testing.T) {
	p := allocParams()
	small := map[string][2]float64{"a": {4, 2}, "b": {4, 2}, "c": {8, 2}, "d": {4, 2}}
	a := allocate(p, allocSpendResult(small), []SpendRow{})
	if len(a.Recommendations) != 1 || a.Recommendations[0].Shift == nil || math.Abs(a.Recommendations[0].Shift.Amount-0.4) > 1e-12 {
		t.Errorf("recommendations %+v, want a shift of 0.40", a.Recommendations)
	}
	tiny := map[string][2]float64{"a": {0.04, 0.02}, "b": {0.04, 0.02}, "c": {0.08, 0.02}, "d": {0.04, 0.02}}
	a = allocate(p, allocSpendResult(tiny), []SpendRow{})
	if len(a.Recommendations) != 0 || len(a.BudgetShifts) != 0 {
		t.Errorf("a shift of less than a cent: recommendations %+v, shifts %+v", a.Recommendations, a.BudgetShifts)
	}

	// Revenue per purchaser $0.01: each step before the purchase is worth $0.09, the repeat step
	// (0.9 customers × $0.004) less than a cent.
	r := allocFunnel()
	r.Repeat.Revenue, r.Repeat.AverageOrderValue = 0.9, Ptr(0.004)
	a = allocate(p, r, nil)
	if len(a.Recommendations) != 3 {
		t.Fatalf("%d recommendations, want the 3 steps before the purchase: %+v", len(a.Recommendations), a.Recommendations)
	}
	for _, rec := range a.Recommendations {
		if math.Abs(rec.Value-0.09) > 1e-9 {
			t.Errorf("%+v, want worth 0.09", rec)
		}
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
	a := allocate(p, r, nil)
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

func TestPainPointsAndRanking(t *testing.T) {
	p := allocParams()
	r := allocFunnel()
	r.JourneyMap.PainPoints = []MapCell{
		{Stage: "comparison", Touchpoint: "social", Customers: 230, SentimentMean: Ptr(-0.42), SentimentN: 230},
		{Stage: "feedback", Touchpoint: "store", Customers: 40, SentimentMean: Ptr(-0.8), SentimentN: 40},
	}
	a := allocate(p, r, nil)
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
	if rec, ok := byCell["comparison/social"]; !ok || rec.Rank != 1 || math.Abs(rec.Value-2070) > 1e-9 || rec.PainPoint.Customers != 230 {
		t.Errorf("pain point %+v (found %v), want rank 1, value 2070", rec, ok)
	}
	if rec, ok := byCell["feedback/store"]; !ok || rec.Rank != len(a.Recommendations) || rec.Value != 0 {
		t.Errorf("pain point of unknown value %+v (found %v), want last", rec, ok)
	}
}

func TestAllocationFromJourneys(t *testing.T) {
	p := allocParams()
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
	spend := []SpendRow{
		{Day: attrT0, Touchpoint: "email", Cost: 500},
		{Day: attrT0, Touchpoint: "search", Cost: 1000},
		{Day: attrT0, Touchpoint: "social", Cost: 1000},
	}
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

package kpi

import (
	"math"
	"reflect"
	"strings"
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
	want0 := "Raising interest → comparison conversion by 10% (now 11.1%) would bring about 10 more customers to comparison, worth about $900 in revenue."
	if first.Kind != KindStageOpportunity || first.Text != want0 || first.Rank != 1 {
		t.Errorf("first recommendation %+v\nwant %q", first, want0)
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
	want := "Moving about $200 of spend from d ($2 revenue per $1 spent) to c ($4 per $1) would bring about $400 more revenue."
	if len(a.Recommendations) != 1 || a.Recommendations[0].Text != want || a.Recommendations[0].Kind != KindBudgetShift {
		t.Errorf("recommendations %+v\nwant %q", a.Recommendations, want)
	}
	if e := a.Efficiency[0]; e.Touchpoint != "c" || e.Basis != BasisROAS || *e.Efficiency != 4 || math.Abs(*e.Relative-1.6) > 1e-12 {
		t.Errorf("most efficient %+v", e)
	}
}

// TestAllocationSmallAmounts checks that a small budget never reads "about $0": amounts below 10
// are worded in cents, and a shift or opportunity worth less than a cent is not recommended.
func TestAllocationSmallAmounts(t *testing.T) {
	p := allocParams()
	small := map[string][2]float64{"a": {4, 2}, "b": {4, 2}, "c": {8, 2}, "d": {4, 2}}
	a := allocate(p, allocSpendResult(small), []SpendRow{})
	want := "Moving about $0.40 of spend from d ($2 revenue per $1 spent) to c ($4 per $1) would bring about $0.80 more revenue."
	if len(a.Recommendations) != 1 || a.Recommendations[0].Text != want {
		t.Errorf("recommendations %+v\nwant %q", a.Recommendations, want)
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
		if !strings.HasSuffix(rec.Text, "worth about $0.09 in revenue.") {
			t.Errorf("%q, want worth about $0.09", rec.Text)
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
	want := "Email earns about $50 per customer reached and social about $9: reaching 20% of social's 600 customers (about 120) through email instead would bring about $4,900 more revenue."
	if len(a.Recommendations) != 1 || a.Recommendations[0].Text != want || math.Abs(a.Recommendations[0].Value-4920) > 1e-9 {
		t.Errorf("recommendations %+v\nwant %q", a.Recommendations, want)
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
	byText := map[string]Recommendation{}
	for i, rec := range a.Recommendations {
		if rec.Rank != i+1 {
			t.Errorf("rank %d at position %d", rec.Rank, i)
		}
		if i > 0 && cents(rec.Value) > cents(a.Recommendations[i-1].Value) {
			t.Errorf("rank %d worth more than rank %d", rec.Rank, rec.Rank-1)
		}
		byText[rec.Text] = rec
	}
	pp := "Customers at comparison through social feel bad (average sentiment -0.42 from 230 customers): fixing it so 10% more of them move on is worth about $2,100."
	if rec, ok := byText[pp]; !ok || rec.Rank != 1 || math.Abs(rec.Value-2070) > 1e-9 {
		t.Errorf("pain point %+v (found %v), want rank 1, value 2070", rec, ok)
	}
	unknown := "Customers at feedback through store feel bad (average sentiment -0.80 from 40 customers): find out what goes wrong there."
	if rec, ok := byText[unknown]; !ok || rec.Rank != len(a.Recommendations) {
		t.Errorf("pain point of unknown value %+v (found %v), want last", rec, ok)
	}
}

func TestAllocationWording(t *testing.T) {
	money := []struct {
		cur  string
		x    float64
		want string
	}{
		{"EUR", 5300, "€5,300"}, {"USD", 1234567, "$1,234,567"}, {"CHF", 1234.5, "CHF 1,234.50"},
		{"GBP", -42, "-£42"}, {"USD", 0.8, "$0.80"}, {"usd", 999.999, "$1,000"},
	}
	for _, c := range money {
		if got := allocMoney(c.cur)(c.x); got != c.want {
			t.Errorf("money(%s, %v) = %q, want %q", c.cur, c.x, got, c.want)
		}
	}
	for _, c := range []struct{ x, want float64 }{
		{5312, 5300}, {41.4, 41}, {99.6, 100}, {123456, 120000}, {-5312, -5300}, {155, 160}, {0, 0},
		{9.994, 9.99}, {0.4, 0.4}, {0.004, 0}, {-0.256, -0.26},
	} {
		if got := allocAbout(c.x); got != c.want {
			t.Errorf("about(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	for _, c := range []struct {
		f    float64
		want string
	}{{0.382, "38.2%"}, {0.1, "10%"}, {1, "100%"}, {0.12345, "12.3%"}} {
		if got := allocPercent(c.f); got != c.want {
			t.Errorf("percent(%v) = %q, want %q", c.f, got, c.want)
		}
	}
	for _, c := range []struct {
		x    float64
		want string
	}{{9.94, "9.9"}, {41.4, "41"}, {1234.4, "1,234"}, {0.04, "0"}} {
		if got := allocCount(c.x); got != c.want {
			t.Errorf("count(%v) = %q, want %q", c.x, got, c.want)
		}
	}
}

// TestAllocationFromJourneys runs journeys through the whole accumulator: email's orders are
// worth twice as much per unit of spend as search's and social's, so moving budget to email is
// the first recommendation.
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

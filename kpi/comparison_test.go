package kpi

import (
	"math"
	"testing"
)

// The reference values in these tests are computed in the test itself, plainly from the textbook
// definitions (Wilson's score interval, the pooled two-proportion z-test, the exact conditional
// Poisson test as a binomial sum, the compound-Poisson and delta-method variances over customers),
// not through the functions of stats.go.

// refWilson is Wilson's score interval from its textbook form.
func refWilson(x, n float64) (lo, hi float64) {
	z := 1.959963984540054
	p := x / n
	c := p + z*z/(2*n)
	h := z * math.Sqrt(p*(1-p)/n+z*z/(4*n*n))
	d := 1 + z*z/n
	return (c - h) / d, (c + h) / d
}

// refTwoProportion is the pooled two-proportion z-test's two-sided p-value.
func refTwoProportion(x1, n1, x2, n2 float64) float64 {
	p := (x1 + x2) / (n1 + n2)
	z := (x1/n1 - x2/n2) / math.Sqrt(p*(1-p)*(1/n1+1/n2))
	return math.Erfc(math.Abs(z) / math.Sqrt2)
}

// refPoisson is the exact conditional test of two Poisson counts over exposures t1 and t2: the sum
// of every Binomial(k1+k2, t1/(t1+t2)) probability no larger than that of k1 (R's relative
// tolerance 1e-7), summed over every outcome.
func refPoisson(k1, k2 int, t1, t2 float64) float64 {
	n := k1 + k2
	p := t1 / (t1 + t2)
	d := func(i int) float64 {
		a, _ := math.Lgamma(float64(n + 1))
		b, _ := math.Lgamma(float64(i + 1))
		c, _ := math.Lgamma(float64(n - i + 1))
		return math.Exp(a - b - c + float64(i)*math.Log(p) + float64(n-i)*math.Log(1-p))
	}
	dx := d(k1) * (1 + 1e-7)
	s := 0.0
	for i := 0; i <= n; i++ {
		if v := d(i); v <= dx {
			s += v
		}
	}
	return math.Min(1, s)
}

// buyer is a customer who enters (awareness) at hour h and, when rev > 0, orders at h+1 for rev;
// when rev2 > 0 a second order follows a day later.
func buyer(id uint64, h, r1, r2 float64) Journey {
	es := []Event{ev(h, sAware)}
	if r1 > 0 {
		es = append(es, ev(h+0.25, sInterest), ev(h+0.5, sCompare))
		es = append(es, rev(order(ev(h+1, sPurchase), id*10+1), r1))
	}
	if r2 > 0 {
		es = append(es, rev(order(ev(h+25, sPurchase), id*10+2), r2))
	}
	return Journey{Customer: id, Events: es}
}

// comparisonJourneys: January 2025 has 120 entrants of whom 30 buy (revenue 100 + i, every third
// twice); December 2024 has 100 entrants of whom 10 buy (80 each).
func comparisonJourneys() (js []Journey, cur, prev []struct{ r, o float64 }) {
	id := uint64(1)
	for i := 0; i < 120; i++ {
		var r1, r2 float64
		if i < 30 {
			r1 = float64(100 + i)
			if i%3 == 0 {
				r2 = 50
			}
			cur = append(cur, struct{ r, o float64 }{r1 + r2, map[bool]float64{true: 2, false: 1}[r2 > 0]})
		}
		js = append(js, buyer(id, float64(i%28)*d+2, r1, r2))
		id++
	}
	for i := 0; i < 100; i++ {
		var r1 float64
		if i < 10 {
			r1 = 80
			prev = append(prev, struct{ r, o float64 }{80, 1})
		}
		js = append(js, buyer(id, -float64(1+i%28)*d, r1, 0))
		id++
	}
	return js, cur, prev
}

func runAccParts(p *Params, js []Journey, parts int, in Inputs) *Result {
	accs := make([]*Acc, parts)
	for i := range accs {
		accs[i] = NewAcc(p)
	}
	for i := range js {
		accs[i%parts].Add(&js[i])
	}
	for i := 1; i < parts; i++ {
		accs[0].Merge(accs[i])
	}
	return accs[0].Result(testDicts(), in)
}

func headlineByKey(hs []Headline) map[string]Headline {
	m := map[string]Headline{}
	for _, h := range hs {
		m[h.Key] = h
	}
	return m
}

func TestHeadlineAgainstReference(t *testing.T) {
	p := defaultParams()
	p.History = 365 * Day
	p.DataStart = jan1 - 800*Day
	p.MinChange, p.MinMature = 0.02, 0.8
	js, cur, prev := comparisonJourneys()
	r := runAccParts(p, js, 1, Inputs{})
	h := headlineByKey(r.Comparison.Headline)

	// Purchase conversion: 30 of 120 against 10 of 100.
	c := h["purchase_conversion"]
	lo, hi := refWilson(30, 120)
	if *c.Current != 0.25 || !near(c.Interval.Low, lo, 1e-12) || !near(c.Interval.High, hi, 1e-12) {
		t.Errorf("conversion %v [%v, %v], want 0.25 [%v, %v]", *c.Current, c.Interval.Low, c.Interval.High, lo, hi)
	}
	if want := refTwoProportion(30, 120, 10, 100); !near(*c.PValue, want, 1e-9) || !c.Significant || c.Verdict != VerdictBetter {
		t.Errorf("conversion p %v (want %v), verdict %s", *c.PValue, want, c.Verdict)
	}
	if *c.Change != 0.15 || c.Basis != BasisPeriod || !c.Mature || *c.MatureShare != 1 {
		t.Errorf("conversion change %v basis %s mature %v share %v", *c.Change, c.Basis, c.Mature, *c.MatureShare)
	}

	// Entrants: 120 against 100 over 31 days each: not significant.
	e := h["entrants"]
	if want := refPoisson(120, 100, 31, 31); !near(*e.PValue, want, 1e-9) || e.Significant || e.Verdict != VerdictWithinNoise {
		t.Errorf("entrants p %v (want %v), verdict %s", *e.PValue, want, e.Verdict)
	}
	if e.DailyRelativeChange != nil || *e.RelativeChange != 0.2 {
		t.Errorf("entrants relative %v daily %v", *e.RelativeChange, e.DailyRelativeChange)
	}
	// The exact Poisson interval of 120 (Garwood): the λ with P(X ≥ 120) = 0.025 and with
	// P(X ≤ 120) = 0.025, found by bisection over the Poisson sums in plain Python (math.lgamma).
	if !near(e.Interval.Low, 99.4919256259416, 1e-9) || !near(e.Interval.High, 143.49058536935223, 1e-9) {
		t.Errorf("entrants interval %+v", *e.Interval)
	}

	// Revenue: Σr ± z√Σr² over customers; tested as daily rates.
	var s1, q1, o1, s2, q2 float64
	for _, c := range cur {
		s1, q1, o1 = s1+c.r, q1+c.r*c.r, o1+c.o
	}
	for _, c := range prev {
		s2, q2 = s2+c.r, q2+c.r*c.r
	}
	rv := h["revenue"]
	z := 1.959963984540054
	if *rv.Current != s1 || !near(rv.Interval.Low, s1-z*math.Sqrt(q1), 1e-12) || !near(rv.Interval.High, s1+z*math.Sqrt(q1), 1e-12) {
		t.Errorf("revenue %v %+v, want %v ± %v", *rv.Current, *rv.Interval, s1, z*math.Sqrt(q1))
	}
	zr := (s1/31 - s2/31) / math.Sqrt(q1/(31*31)+q2/(31*31))
	if want := math.Erfc(math.Abs(zr) / math.Sqrt2); !near(*rv.PValue, want, 1e-9) || rv.Verdict != VerdictBetter {
		t.Errorf("revenue p %v (want %v) verdict %s", *rv.PValue, want, rv.Verdict)
	}

	// Average order value: R = Σr/Σo, Var = Σ(r − R·o)²/(Σo)².
	aov := h["average_order_value"]
	R := s1 / o1
	var v float64
	for _, c := range cur {
		v += (c.r - R*c.o) * (c.r - R*c.o)
	}
	v /= o1 * o1
	if !near(*aov.Current, R, 1e-15) || !near(aov.Interval.High-aov.Interval.Low, 2*z*math.Sqrt(v), 1e-9) {
		t.Errorf("aov %v %+v, want %v ± %v", *aov.Current, *aov.Interval, R, z*math.Sqrt(v))
	}
	// December's orders are all 80: no variance there; the test is on January's alone.
	zr = (R - 80) / math.Sqrt(v)
	if want := math.Erfc(math.Abs(zr) / math.Sqrt2); !near(*aov.PValue, want, 1e-9) {
		t.Errorf("aov p %v, want %v", *aov.PValue, want)
	}

	// Repeat purchase rate: 10 of 30 buyers ordered twice, none in December.
	rp := h["repeat_purchase_rate"]
	if want := refTwoProportion(10, 30, 0, 10); *rp.Current != 1.0/3 || !near(*rp.PValue, want, 1e-9) {
		t.Errorf("repeat rate %v p %v (want %v)", *rp.Current, *rp.PValue, want)
	}
	// Orders 40 against 10: Poisson.
	if o := h["orders"]; !near(*o.PValue, refPoisson(40, 10, 31, 31), 1e-9) || o.Verdict != VerdictBetter {
		t.Errorf("orders p %v verdict %s", *o.PValue, o.Verdict)
	}

	// The same numbers however the journeys are split.
	if a, b := mustJSON(t, r), mustJSON(t, runAccParts(p, js, 3, Inputs{})); a != b {
		t.Error("result differs when folded in 3 parts")
	}
}

func TestHeadlineVerdicts(t *testing.T) {
	js, _, _ := comparisonJourneys()
	for _, tc := range []struct {
		name   string
		change func(p *Params)
		want   map[string]string
	}{
		// 25% against 10% is a 150% change: it stays called out up to a minimum of 1.5.
		{"min change", func(p *Params) { p.MinChange = 1.6 }, map[string]string{"purchase_conversion": VerdictSmall, "entrants": VerdictWithinNoise}},
		{"previous before data", func(p *Params) { p.DataStart = jan1 - 10*Day },
			map[string]string{"purchase_conversion": VerdictBeforeData, "entrants": VerdictBeforeData, "returning_customer_rate": VerdictBeforeData}},
		// The data start before December but not a year before it: only the returning rate is distorted.
		{"history short", func(p *Params) { p.DataStart = jan1 - 40*Day },
			map[string]string{"purchase_conversion": VerdictBetter, "returning_customer_rate": VerdictHistoryShort}},
		{"data end early", func(p *Params) { p.DataEnd = jan1 + 20*Day },
			map[string]string{"purchase_conversion": VerdictIncomplete, "revenue": VerdictIncomplete}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := defaultParams()
			p.History, p.DataStart, p.MinChange = 365*Day, jan1-800*Day, 0.02
			tc.change(p)
			h := headlineByKey(runAccParts(p, js, 2, Inputs{}).Comparison.Headline)
			for k, v := range tc.want {
				if h[k].Verdict != v {
					t.Errorf("%s: verdict %s, want %s", k, h[k].Verdict, v)
				}
			}
		})
	}
}

// TestHeadlineMatureCohort: on a report whose entrants have not had their window, the headline
// conversion is the mature cohort's, compared with the previous period's mature cohort.
func TestHeadlineMatureCohort(t *testing.T) {
	p := defaultParams()
	p.History, p.DataStart, p.MinChange, p.MinMature = 365*Day, jan1-800*Day, 0.02, 0.8
	// The report is 31 January; the data end that day. Its cohort is 1 January; the previous
	// day's (30 January) is 31 December.
	day := func(from int64) Period {
		return Period{From: from, To: from + Day, FromDay: p.Day(from), ToDay: p.Day(from)}
	}
	p.Current, p.Previous = day(jan1+30*Day), day(jan1+29*Day)
	p.DataEnd = jan1 + 31*Day - 1
	var js []Journey
	id := uint64(1)
	add := func(startH float64, n, buyers int) {
		for i := 0; i < n; i++ {
			r := 0.0
			if i < buyers {
				r = 10
			}
			js = append(js, buyer(id, startH, r, 0))
			id++
		}
	}
	add(30*d+1, 50, 1)  // the report day: 50 entrants, 1 bought so far
	add(29*d+1, 40, 1)  // the previous day
	add(0*d+1, 80, 20)  // 1 January: the report's mature cohort
	add(-1*d+1, 60, 12) // 31 December: the previous day's mature cohort
	r := runAccParts(p, js, 2, Inputs{})
	c := headlineByKey(r.Comparison.Headline)["purchase_conversion"]
	if c.Basis != BasisMatureCohort || *c.Current != 0.25 || *c.Previous != 0.2 || !c.Mature || *c.MatureShare != 0 {
		t.Errorf("conversion basis %s %v vs %v mature %v share %v", c.Basis, *c.Current, *c.Previous, c.Mature, *c.MatureShare)
	}
	if want := refTwoProportion(20, 80, 12, 60); !near(*c.PValue, want, 1e-9) {
		t.Errorf("p %v, want %v", *c.PValue, want)
	}
	if cp := headlineByKey(r.Comparison.Headline)["completed"]; cp.Mature || cp.Verdict != VerdictImmature {
		t.Errorf("completed mature %v verdict %s", cp.Mature, cp.Verdict)
	}
	mc := r.Funnel.MatureCohort
	if mc == nil || mc.From != "2025-01-01" || mc.To != "2025-01-01" || mc.Entrants != 80 || *mc.MatureShare != 1 {
		t.Fatalf("mature cohort %s", mustJSON(t, mc))
	}
	if *r.Funnel.MatureShare != 0 || *r.Funnel.Closed[sPurchase].MatureShare != 0 || *r.Funnel.Closed[sAware].MatureShare != 1 {
		t.Errorf("mature shares: funnel %v, purchase %v", *r.Funnel.MatureShare, *r.Funnel.Closed[sPurchase].MatureShare)
	}
	// Recommendations never rest on the immature period: the stage values are the cohort's.
	for _, o := range r.Allocation.StageOpportunity {
		if o.Stage == "interest" && o.Conversion != 0.25 {
			t.Errorf("stage opportunity on interest uses conversion %v, not the mature cohort's 0.25", o.Conversion)
		}
	}
	// The trend point of the report day is immature.
	if pt := r.Trends.Points[0]; !pt.Immature || pt.MatureEntrants != 0 || pt.Entrants != 50 {
		t.Errorf("trend point %+v", pt)
	}
}

func TestHeadlineDailyRates(t *testing.T) {
	// January (31 days) with 310 entrants against a February-length previous period (28 days)
	// with 280: the same daily rate, so no change is called out although the count rose 10.7%.
	p := defaultParams()
	p.DataStart, p.MinChange = jan1-800*Day, 0.02
	p.Previous = Period{From: jan1 - 28*Day, To: jan1, FromDay: p.Day(jan1 - 28*Day), ToDay: p.Day(jan1 - Day)}
	var js []Journey
	for i := 0; i < 310; i++ {
		js = append(js, buyer(uint64(i+1), float64(i%31)*d+1, 0, 0))
	}
	for i := 0; i < 280; i++ {
		js = append(js, buyer(uint64(1000+i), -float64(1+i%28)*d+1, 0, 0))
	}
	e := headlineByKey(runAccParts(p, js, 1, Inputs{}).Comparison.Headline)["entrants"]
	if *e.DailyRelativeChange != 0 || *e.PValue != 1 || e.Verdict != VerdictWithinNoise || !near(*e.RelativeChange, 30.0/280, 1e-15) {
		t.Errorf("entrants daily %v p %v verdict %s rel %v", *e.DailyRelativeChange, *e.PValue, e.Verdict, *e.RelativeChange)
	}
	if want := refPoisson(310, 280, 31, 28); !near(*e.PValue, want, 1e-9) {
		t.Errorf("p %v, want %v", *e.PValue, want)
	}
}

func TestHeadlineSpend(t *testing.T) {
	p := defaultParams()
	p.History, p.DataStart, p.MinChange = 365*Day, jan1-800*Day, 0.02
	js, cur, _ := comparisonJourneys()
	spend := []SpendRow{{Day: jan1, Touchpoint: "search", Cost: 1000}, {Day: jan1 + 3*Day, Touchpoint: "email", Cost: 500},
		{Day: jan1 - 3*Day, Touchpoint: "search", Cost: 400}}
	h := headlineByKey(runAccParts(p, js, 1, Inputs{Spend: spend}).Comparison.Headline)
	var s1, q1 float64
	for _, c := range cur {
		s1, q1 = s1+c.r, q1+c.r*c.r
	}
	if sp := h["spend"]; *sp.Current != 1500 || *sp.Previous != 400 || sp.Interval != nil || sp.Verdict != VerdictNotTested {
		t.Errorf("spend %s", mustJSON(t, sp))
	}
	roas := h["roas"]
	if !near(*roas.Current, s1/1500, 1e-15) || !near(roas.Interval.High-*roas.Current, 1.959963984540054*math.Sqrt(q1)/1500, 1e-9) {
		t.Errorf("roas %v %+v", *roas.Current, *roas.Interval)
	}
	// Cost per purchase: 1500 over 40 orders, Var ≈ S²/O³.
	cpp := h["cost_per_purchase"]
	if *cpp.Current != 37.5 || !near(cpp.Interval.High-37.5, 1.959963984540054*math.Sqrt(1500*1500/(40.0*40*40)), 1e-9) || cpp.HigherIsBetter {
		t.Errorf("cost per purchase %s", mustJSON(t, cpp))
	}
	if _, ok := headlineByKey(runAccParts(p, js, 1, Inputs{}).Comparison.Headline)["spend"]; ok {
		t.Error("spend KPIs without a spend input")
	}
}

func TestYearAgoAndRecent(t *testing.T) {
	p := defaultParams()
	p.History, p.DataStart, p.MinChange = 365*Day, jan1-800*Day, 0.02
	ya := Period{From: jan1 - 365*Day, To: jan1 - 334*Day, FromDay: "2024-01-02", ToDay: "2024-02-01"}
	p.YearAgo = &ya
	nov := Period{From: jan1 - 61*Day, To: jan1 - 31*Day, FromDay: "2024-11-01", ToDay: "2024-11-30"}
	p.Recent = []Period{nov, p.Previous, p.Current}
	js, _, _ := comparisonJourneys()
	for i := 0; i < 7; i++ {
		js = append(js, buyer(uint64(5000+i), -365*d+float64(i)*d+2, 0, 0))
	}
	r := runAccParts(p, js, 2, Inputs{})
	e := headlineByKey(r.Comparison.Headline)["entrants"]
	if e.YearAgo == nil || *e.YearAgo.Value != 7 || *e.YearAgo.Change != 113 || r.Comparison.YearAgo == nil || r.Comparison.YearAgo.Funnel.Entrants != 7 {
		t.Fatalf("year ago %s", mustJSON(t, e.YearAgo))
	}
	if len(r.Comparison.Recent) != 3 || r.Comparison.Recent[0].From != "2024-11-01" || r.Comparison.Recent[2].From != "2025-01-01" {
		t.Fatalf("recent %s", mustJSON(t, r.Comparison.Recent))
	}
	rc := headlineByKey(r.Comparison.Recent[2].Headline)["entrants"]
	if *rc.Current != 120 || *rc.Previous != 100 {
		t.Errorf("recent current %v previous %v", *rc.Current, *rc.Previous)
	}
	// November starts before data starting on 1 December: left out of the sparkline.
	p.DataStart = jan1 - 31*Day
	p.YearAgo = nil
	r = runAccParts(p, js, 1, Inputs{})
	if len(r.Comparison.Recent) != 2 || r.Comparison.Recent[0].From != "2024-12-01" || r.Comparison.Recent[0].Headline[0].Previous != nil {
		t.Errorf("recent without November: %s", mustJSON(t, r.Comparison.Recent))
	}
	// The data start a month before December, not a year: every returning customer rate counts
	// only the orders the data hold, so none is a value for the trend line or the card.
	for _, per := range r.Comparison.Recent {
		if h := headlineByKey(per.Headline)["returning_customer_rate"]; h.Mature {
			t.Errorf("%s: returning customer rate with a short history is mature", per.From)
		}
	}
	if h := headlineByKey(r.Comparison.Headline)["returning_customer_rate"]; h.Mature || h.Verdict != VerdictHistoryShort {
		t.Errorf("headline returning customer rate: mature %v verdict %s", h.Mature, h.Verdict)
	}
	p.DataStart = jan1 - 800*Day
	r = runAccParts(p, js, 1, Inputs{})
	if h := headlineByKey(r.Comparison.Recent[0].Headline)["returning_customer_rate"]; !h.Mature {
		t.Errorf("returning customer rate with its whole history is not mature")
	}
}

func TestDecompose(t *testing.T) {
	// Hand-checked: two groups, a and b.
	//   before: a has weight 0.5 at rate 0.10, b weight 0.5 at rate 0.30: overall 0.20
	//   now:    a has weight 0.8 at rate 0.10, b weight 0.2 at rate 0.40: overall 0.16
	// a: mix (0.8−0.5)·(0.10+0.10)/2 = +0.03, rate 0
	// b: mix (0.2−0.5)·(0.40+0.30)/2 = −0.105, rate (0.40−0.30)·(0.2+0.5)/2 = +0.035
	// total −0.04 = 0.16 − 0.20. c exists only now (weight 0 before): all mix.
	names := map[uint32]string{1: "a", 2: "b", 3: "c"}
	name := func(c uint32) string { return names[c] }
	cur := map[uint32]mixPoint{1: {0.8, Ptr(0.10)}, 2: {0.2, Ptr(0.40)}}
	prev := map[uint32]mixPoint{1: {0.5, Ptr(0.10)}, 2: {0.5, Ptr(0.30)}}
	b := decompose("segment", cur, prev, name, 10)
	want := []struct {
		value     string
		mix, rate float64
	}{{"b", -0.105, 0.035}, {"a", 0.03, 0}}
	if len(b.Groups) != len(want) {
		t.Fatalf("groups %s", mustJSON(t, b))
	}
	sum := 0.0
	for i, w := range want {
		g := b.Groups[i]
		if g.Value != w.value || !near(g.Mix, w.mix, 1e-12) || !near(g.RateEffect, w.rate, 1e-12) {
			t.Errorf("group %d: %s mix %v rate %v, want %s %v %v", i, g.Value, g.Mix, g.RateEffect, w.value, w.mix, w.rate)
		}
		sum += g.Mix + g.RateEffect
	}
	if !near(sum, 0.16-0.20, 1e-12) {
		t.Errorf("effects sum to %v, want −0.04", sum)
	}
	top := topMixEffects([]MixBreakdown{b})
	if len(top) != 3 || top[0].Value != "b" || top[0].Effect != EffectMix || top[1].Value != "b" || top[1].Effect != EffectRate || top[2].Value != "a" {
		t.Errorf("top %s", mustJSON(t, top))
	}

	// A new group c carries its whole contribution as mix; with top 1 the rest is "(other)".
	cur[3] = mixPoint{0.1, Ptr(0.5)}
	b = decompose("segment", cur, prev, name, 1)
	if len(b.Groups) != 2 || b.Groups[1].Value != OtherLabel || b.Groups[1].Rate != nil {
		t.Fatalf("top 1: %s", mustJSON(t, b))
	}
	var c MixGroup
	for _, g := range decompose("segment", cur, prev, name, 0).Groups {
		if g.Value == "c" {
			c = g
		}
	}
	if !near(c.Mix, 0.05, 1e-12) || c.RateEffect != 0 || c.RateBefore != nil {
		t.Errorf("new group: %s", mustJSON(t, c))
	}
}

// TestWhatMoved checks the decomposition on folded journeys: by first touchpoint the effects add
// up to the change in conversion, and by segment for revenue.
func TestWhatMoved(t *testing.T) {
	p := defaultParams()
	p.DataStart = jan1 - 800*Day
	var js []Journey
	id := uint64(1)
	add := func(h float64, touch uint32, n, buyers int, revenue float64) {
		for i := 0; i < n; i++ {
			r := 0.0
			if i < buyers {
				r = revenue
			}
			j := buyer(id, h, r, 0)
			for k := range j.Events {
				j.Events[k].Touchpoint = touch
			}
			js = append(js, j)
			id++
		}
	}
	// Touchpoint codes of testDicts: 1 email, 2 search.
	add(2*d, 1, 80, 8, 50)   // now: email 80 entrants, 10%
	add(2*d, 2, 20, 8, 100)  // now: search 20 entrants, 40%
	add(-5*d, 1, 50, 5, 50)  // before: email 50, 10%
	add(-5*d, 2, 50, 15, 80) // before: search 50, 30%
	w := runAccParts(p, js, 2, Inputs{}).Comparison.WhatMoved
	conv := w.Conversion
	if !near(*conv.Change, 0.16-0.20, 1e-12) {
		t.Fatalf("conversion change %v", *conv.Change)
	}
	byTP := conv.By[0]
	if byTP.By != "first_touchpoint" || len(byTP.Groups) != 2 || byTP.Groups[0].Value != "search" ||
		!near(byTP.Groups[0].Mix, -0.105, 1e-12) || !near(byTP.Groups[0].RateEffect, 0.035, 1e-12) || !near(byTP.Groups[1].Mix, 0.03, 1e-12) {
		t.Errorf("by touchpoint %s", mustJSON(t, byTP))
	}
	// Revenue: now 8·50 + 8·100 = 1200, before 5·50 + 15·80 = 1450. By touchpoint: email mix
	// (8−5)·50 = 150; search mix (8−15)·(100+80)/2 = −630, rate (100−80)·(8+15)/2 = 230.
	rev := w.Revenue
	if *rev.Change != -250 || len(rev.By) != 2 {
		t.Fatalf("revenue %s", mustJSON(t, rev))
	}
	g := rev.By[0].Groups
	if g[0].Value != "search" || g[0].Mix != -630 || g[0].RateEffect != 230 || g[1].Value != "email" || g[1].Mix != 150 {
		t.Errorf("revenue by touchpoint %s", mustJSON(t, g))
	}
	if top := rev.Top[0]; top.Value != "search" || top.Effect != EffectMix || top.Amount != -630 {
		t.Errorf("top revenue effect %s", mustJSON(t, top))
	}
	// No journey has a segment: the segment breakdown's one group, (none), holds the whole change
	// and explains none of it, so it is not named (its revenue mix, (16−20)·73.75 = −295, would
	// otherwise be the second largest effect).
	for _, d := range []Decomposition{conv, rev} {
		if len(d.By[1].Groups) != 1 || len(d.Top) != 3 {
			t.Fatalf("segment groups %d, top %d", len(d.By[1].Groups), len(d.Top))
		}
		for _, e := range d.Top {
			if e.By != "first_touchpoint" {
				t.Errorf("top effect of a single-group breakdown: %s", mustJSON(t, e))
			}
		}
	}
}

func TestBreakdownPurchasePivot(t *testing.T) {
	p := defaultParams()
	p.DataStart, p.MinChange = jan1-800*Day, 0.02
	js, _, _ := comparisonJourneys()
	r := runAccParts(p, js, 1, Inputs{})
	for _, b := range r.Funnel.Breakdowns {
		if b.By != "segment" {
			continue
		}
		g := b.Groups[0]
		lo, hi := refWilson(30, 120)
		if g.Value != "(none)" || *g.Purchase.Value != 0.25 || !near(g.Purchase.Interval.Low, lo, 1e-12) || !near(g.Purchase.Interval.High, hi, 1e-12) ||
			*g.Purchase.Previous != 0.1 || !near(*g.Purchase.PValue, refTwoProportion(30, 120, 10, 100), 1e-9) || g.Purchase.Verdict != VerdictBetter {
			t.Errorf("segment pivot %s", mustJSON(t, g.Purchase))
		}
	}
	sc := r.Comparison.Funnel[sPurchase]
	if sc.Stage != "purchase" || *sc.Value != 0.25 || *sc.Previous != 0.1 || sc.Verdict != VerdictBetter {
		t.Errorf("stage comparison %s", mustJSON(t, sc))
	}
}

// HolmAdjust against values worked by hand (as R's p.adjust(method = "holm")): sorted 0.005,
// 0.01, 0.03, 0.04 become 4×0.005, 3×0.01, 2×0.03 and max(0.06, 1×0.04); NaN is no test.
func TestHolmAdjust(t *testing.T) {
	got := HolmAdjust([]float64{0.01, 0.04, math.NaN(), 0.03, 0.005})
	want := []float64{0.03, 0.06, math.NaN(), 0.06, 0.02}
	for i := range want {
		if math.IsNaN(want[i]) != math.IsNaN(got[i]) || !math.IsNaN(want[i]) && !near(got[i], want[i], 1e-15) {
			t.Fatalf("HolmAdjust = %v, want %v", got, want)
		}
	}
	if got := HolmAdjust([]float64{0.6, 0.5}); got[0] != 1 || got[1] != 1 {
		t.Errorf("adjusted p-values above 1: %v", got)
	}
	if got := HolmAdjust([]float64{0.02}); got[0] != 0.02 {
		t.Errorf("one test adjusted: %v", got)
	}
}

// The groups of a breakdown are tested together: a change significant alone (p ≈ 0.03) among
// three groups compared is within noise once adjusted, and its p-value is the adjusted one;
// "(other)" is not compared and does not count.
func TestBreakdownGroupsAdjustedTogether(t *testing.T) {
	p := defaultParams()
	p.DataStart, p.MinChange, p.MinMature = p.Previous.From, 0.02, 0.5
	k := p.PurchaseStage()
	group := func(value string, x, n int64) BreakdownGroup {
		closed := make([]StageRow, len(p.Stages))
		closed[k].Reached = x
		return BreakdownGroup{Value: value, Entrants: n, Closed: closed, Purchase: RateChange{Mature: true}}
	}
	cur := []Breakdown{{By: "first_touchpoint", Groups: []BreakdownGroup{
		group("email", 66, 200), group("search", 50, 200), group("social", 52, 200), group(OtherLabel, 90, 200)}}}
	prev := []Breakdown{{By: "first_touchpoint", Groups: []BreakdownGroup{
		group("email", 45, 200), group("search", 50, 200), group("social", 50, 200), group(OtherLabel, 10, 200)}}}
	raw := TwoProportionPValue(66, 200, 45, 200)
	if raw >= SignificanceLevel || 3*raw < SignificanceLevel {
		t.Fatalf("fixture: raw p %v should be significant alone and not among three", raw)
	}
	compareBreakdowns(p, cur, prev)
	email := cur[0].Groups[0].Purchase
	if email.PValue == nil || !near(*email.PValue, 3*raw, 1e-12) || email.Significant || email.Verdict != VerdictWithinNoise {
		t.Errorf("email: %s, want p %v within noise", mustJSON(t, email), 3*raw)
	}
	if o := cur[0].Groups[3].Purchase; o.PValue != nil || o.Verdict != VerdictMissing {
		t.Errorf("(other) compared: %s", mustJSON(t, o))
	}
}

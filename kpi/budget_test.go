package kpi

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestSeriesCredits checks the daily series against a hand computation: an order's revenue is
// shared over its path as each heuristic model does and summed on the order's day, orders before
// the series' first day (the data's first day plus the look-back) are left out, and the sums do
// not depend on how the journeys were split.
func TestSeriesCredits(t *testing.T) {
	p := attrParams()
	p.ResponseSeries = true
	p.Lookback, p.HalfLife = 10*Day, 7*Day
	p.DataStart = attrT0 - 40*Day
	d := NewDicts()
	email, search := d.Touchpoint.Code("email"), d.Touchpoint.Code("search")
	day := func(n int) int64 { return attrT0 + int64(n)*Day }
	touch := func(t int64, c uint32) Event {
		return Event{Time: t, Touchpoint: c, Stage: 0, Revenue: math.NaN(), Sentiment: float32(math.NaN())}
	}
	buy := func(t int64, order uint64, rev float64) Event {
		return Event{Time: t, Touchpoint: email, Stage: 2, Order: order, Revenue: rev, Sentiment: float32(math.NaN())}
	}
	js := []Journey{
		// Day 3: search two days before, email the day before: 120 shared.
		{Customer: 1, Events: []Event{touch(day(1), search), touch(day(2), email), buy(day(3), 1, 120)}},
		// Day 3 again: email alone, 30.
		{Customer: 2, Events: []Event{touch(day(3)-Hour, email), buy(day(3), 1, 30)}},
		// Before the series (it starts 30 days before the period): not counted.
		{Customer: 3, Events: []Event{touch(day(-35), search), buy(day(-34), 1, 500)}},
	}
	for k := range js {
		js[k].Events, _ = SortJourney(js[k].Events)
	}
	run := func(parts int) *seriesAcc {
		accs := make([]*seriesAcc, parts)
		for i := range accs {
			accs[i] = newSeriesAcc(p)
		}
		jo := newJourneyOrders(p)
		for i := range js {
			jo.scan(js[i].Events)
			accs[i%parts].add(&js[i], jo)
		}
		for _, a := range accs[1:] {
			accs[0].merge(a)
		}
		return accs[0]
	}
	s := run(1)
	first := dayNumber(seriesPeriod(p).From, time.UTC)
	if want := dayNumber(p.DataStart+p.Lookback, time.UTC); first != want {
		t.Fatalf("series starts on day %d, want %d", first, want)
	}
	d3 := int(dayNumber(day(3), time.UTC) - first)
	n := d3 + 1
	// Time decay: email's touch is 1 day old, search's 2: weights 2^(-1/7), 2^(-2/7), normalised.
	we, ws := math.Exp2(-1.0/7), math.Exp2(-2.0/7)
	want := map[int][2]float64{ // model → (email, search) on day 3
		mFirst:    {30, 120},
		mLast:     {150, 0},
		mLinear:   {60 + 30, 60},
		mPosition: {60 + 30, 60},
		mDecay:    {120*we/(we+ws) + 30, 120 * ws / (we + ws)},
	}
	for m, w := range want {
		e, se := s.series(email, m, n), s.series(search, m, n)
		if math.Abs(e[d3]-w[0]) > 1e-9 || math.Abs(se[d3]-w[1]) > 1e-9 {
			t.Errorf("model %d: email %v search %v on day 3, want %v", m, e[d3], se[d3], w)
		}
		var other float64
		for i := range n {
			if i != d3 {
				other += e[i] + se[i]
			}
		}
		if other != 0 {
			t.Errorf("model %d: %v credited on other days", m, other)
		}
	}
	again := run(3)
	for m := range numHeuristic {
		for _, c := range []uint32{email, search} {
			a, b := s.series(c, m, n), again.series(c, m, n)
			for i := range a {
				if a[i] != b[i] {
					t.Fatalf("model %d code %d day %d: %v split in three, %v whole", m, c, i, b[i], a[i])
				}
			}
		}
	}
}

// hillRef is a steady-state Hill curve written plainly, for the tests' own computations.
func hillRef(beta, alpha, kappa, s float64) float64 {
	return beta * math.Pow(s, alpha) / (math.Pow(s, alpha) + math.Pow(kappa, alpha))
}

// budgetFixture builds 120 days of spend and credited revenue for two paid touchpoints whose
// revenue follows known Hill curves: a saturates early (κ 12, β 300), b late (κ 80, β 500). Its
// spend swings widely so the curves are identified. mutate may change a model's revenue.
func budgetFixture(t *testing.T, mutate func(m int, name string, s, rev float64) float64) (*Params, budgetInput) {
	t.Helper()
	p := attrParams()
	p.ResponseSeries = true
	p.Lookback = 0
	p.DataStart = attrT0 - 92*Day // with the period's 28 days: 120 days of series
	p.Current = Period{From: attrT0, To: attrT0 + 28*Day, FromDay: "2024-03-01", ToDay: "2024-03-28"}
	p.MaxShift = 0.2
	d := NewDicts()
	codes := map[string]uint32{"a": d.Touchpoint.Code("a"), "b": d.Touchpoint.Code("b")}
	curve := map[string][3]float64{"a": {300, 1.2, 12}, "b": {500, 1.5, 80}}
	s := newSeriesAcc(p)
	var spend []SpendRow
	rev := map[string][]float64{}
	for day := range 120 {
		t0 := p.DataStart + int64(day)*Day
		for _, name := range []string{"a", "b"} {
			// Spend swings over a 17-day cycle from a fifth to twice its level, with a small
			// deterministic wobble in revenue.
			level := map[string]float64{"a": 40, "b": 40}[name]
			sp := level * (0.2 + 1.8*float64((day*7)%17)/16)
			c := curve[name]
			base := hillRef(c[0], c[1], c[2], sp) * (1 + 0.02*math.Sin(float64(day)))
			spend = append(spend, SpendRow{Day: t0, Touchpoint: name, Cost: sp})
			for len(s.days) <= day {
				s.days = append(s.days, nil)
			}
			s.days[day] = growCodes(s.days[day], int(codes[name])+1)
			for m := range numHeuristic {
				v := base
				if mutate != nil {
					v = mutate(m, name, sp, v)
				}
				s.days[day][codes[name]].rev[m].add(v)
			}
			rev[name] = append(rev[name], base)
		}
	}
	// The span's attribution: single-touch paths, so Markov credits what linear does.
	for _, name := range []string{"a", "b"} {
		var sum float64
		for _, v := range rev[name] {
			sum += v
		}
		s.attr.conversions++
		s.attr.revenue.add(sum)
		for m := range numHeuristic {
			s.attr.give(m, codes[name], 1, sum)
		}
		s.attr.markov.addPath([]uint32{codes[name]}, true, sum)
	}
	return p, budgetInput{spend: spend, series: s, dicts: d}
}

// TestResponseBudget checks the curves and the shift against the generating curves: each
// identified, the marginal ROAS at today's spend that of the true curve (its derivative taken
// numerically here), and the shift from the touchpoint whose next unit earns less to the other,
// as much as a plain search on the true curves finds (where the two marginals meet, or the
// giver's cap).
func TestResponseBudget(t *testing.T) {
	p, in := budgetFixture(t, nil)
	curves, _ := responseBudget(p, in)
	if len(curves) != 2 {
		t.Fatalf("curves %+v", curves)
	}
	truth := map[string][3]float64{"a": {300, 1.2, 12}, "b": {500, 1.5, 80}}
	marg := func(name string, s float64) float64 {
		c := truth[name]
		h := 1e-4 * s
		return (hillRef(c[0], c[1], c[2], s+h) - hillRef(c[0], c[1], c[2], s-h)) / (2 * h)
	}
	current := map[string]float64{}
	for _, c := range curves {
		current[c.Touchpoint] = c.CurrentDailySpend
		if !c.Identified || c.Alpha == nil {
			t.Fatalf("%s not identified: %s %s (%v/%v)", c.Touchpoint, c.Reason, c.Param, c.Have, c.Need)
		}
		tr := truth[c.Touchpoint]
		if math.Abs(*c.Alpha-tr[1]) > 0.1*tr[1] || math.Abs(*c.Kappa-tr[2]) > 0.1*tr[2] || math.Abs(*c.Beta-tr[0]) > 0.1*tr[0] {
			t.Errorf("%s: β %.1f α %.2f κ %.1f θ %.3f, generated with %v", c.Touchpoint, *c.Beta, *c.Alpha, *c.Kappa, *c.Theta, tr)
		}
		want := marg(c.Touchpoint, c.CurrentDailySpend)
		for _, m := range AttributionModels() {
			if got := c.MarginalROAS[m]; got == nil || math.Abs(*got-want) > 0.05*want {
				t.Errorf("%s %s: marginal ROAS %v at %.2f, true %.4f", c.Touchpoint, m, got, c.CurrentDailySpend, want)
			}
		}
	}
	// The plain search: move x from the lower to the higher marginal until they meet or x reaches
	// the giver's cap; at 20% the cap binds, at 90% the marginals meet first.
	var sh BudgetShift
	for _, maxShift := range []float64{0.9, 0.2} {
		p.MaxShift = maxShift
		_, shifts := responseBudget(p, in)
		giver, taker := "a", "b"
		if marg("a", current["a"]) > marg("b", current["b"]) {
			giver, taker = "b", "a"
		}
		cap := p.MaxShift * current[giver]
		x, met := cap, false
		if marg(taker, current[taker]+cap) < marg(giver, current[giver]-cap) {
			lo, hi := 0.0, cap
			for range 100 {
				mid := (lo + hi) / 2
				if marg(taker, current[taker]+mid) > marg(giver, current[giver]-mid) {
					lo = mid
				} else {
					hi = mid
				}
			}
			x, met = (lo+hi)/2, true
		}
		if met != (maxShift == 0.9) {
			t.Fatalf("max shift %v: the true curves meet %v", maxShift, met)
		}
		if len(shifts) != 1 {
			t.Fatalf("shifts %+v, want one from %s to %s", shifts, giver, taker)
		}
		sh = shifts[0]
		if sh.From != giver || sh.To != taker || math.Abs(sh.Amount-x) > 0.1*x || !sh.Recommended || sh.FromBasis != ResponseBasisCurve ||
			math.Abs(sh.WeeklyAmount-7*sh.Amount) > 1e-9 || math.Abs(sh.TestRevenueChange-28*sh.ExpectedRevenueChange) > 1e-9 || !(sh.ExpectedRevenueChange > 0) {
			t.Errorf("max shift %v: shift %+v; want %.2f a day from %s to %s", maxShift, sh, x, giver, taker)
		}
		c := truth
		gain := hillRef(c[taker][0], c[taker][1], c[taker][2], current[taker]+sh.Amount) - hillRef(c[taker][0], c[taker][1], c[taker][2], current[taker]) +
			hillRef(c[giver][0], c[giver][1], c[giver][2], current[giver]-sh.Amount) - hillRef(c[giver][0], c[giver][1], c[giver][2], current[giver])
		if math.Abs(sh.ExpectedRevenueChange-gain) > 0.15*gain {
			t.Errorf("max shift %v: daily gain %.3f, the true curves give %.3f for the same move", maxShift, sh.ExpectedRevenueChange, gain)
		}
	}

	// A margin whose break-even lies above what the receiver earns after the move: no action.
	p.Margin = 1 / (sh.ToMarginalROASAfter * 1.5)
	if _, shifts := responseBudget(p, in); len(shifts) != 1 || shifts[0].Recommended || shifts[0].NotRecommended != ShiftBelowBreakEven ||
		shifts[0].BreakEvenROAS == nil || math.Abs(*shifts[0].BreakEvenROAS-1/p.Margin) > 1e-12 {
		t.Errorf("below break-even: %+v", shifts)
	}
	p.Margin = 0

	// A cap under 5% of the giver's spend moves too little to be worth a sentence.
	p.MaxShift = 0.04
	if _, shifts := responseBudget(p, in); len(shifts) != 1 || shifts[0].Recommended || shifts[0].NotRecommended != ShiftTooSmall {
		t.Errorf("too small: %+v", shifts)
	}
}

// TestResponseBudgetModelsDisagree: when one attribution model credits the receiver nothing, the
// direction does not hold under every model and the shift is not an action.
func TestResponseBudgetModelsDisagree(t *testing.T) {
	p, in := budgetFixture(t, nil)
	_, shifts := responseBudget(p, in)
	taker := shifts[0].To
	p, in = budgetFixture(t, func(m int, name string, s, rev float64) float64 {
		if m == mFirst && name == taker {
			return 0.001 * s // first touch gives the receiver almost nothing
		}
		return rev
	})
	_, shifts = responseBudget(p, in)
	if len(shifts) != 1 || shifts[0].Recommended || shifts[0].NotRecommended != ShiftDirectionDiffers {
		t.Errorf("shifts %+v, want one not recommended: direction differs", shifts)
	}
}

// TestResponseBudgetFallsBackToAverageROAS: revenue unrelated to spend identifies no curve; each
// touchpoint's marginal ROAS is then its average over today's spend window (the report period's 28
// days here: revenue over spend, computed plainly), and the shift says so.
func TestResponseBudgetFallsBackToAverageROAS(t *testing.T) {
	p, in := budgetFixture(t, func(m int, name string, s, rev float64) float64 {
		return map[string]float64{"a": 50, "b": 90}[name]
	})
	avg := map[string]float64{}
	for _, name := range []string{"a", "b"} {
		var spent float64
		for _, row := range in.spend {
			if row.Touchpoint == name && p.Current.Contains(row.Day) {
				spent += row.Cost
			}
		}
		avg[name] = map[string]float64{"a": 50, "b": 90}[name] * 28 / spent
	}
	curves, shifts := responseBudget(p, in)
	for _, c := range curves {
		for _, m := range AttributionModels() {
			if got := c.MarginalROAS[m]; c.Identified || c.Reason == FitOK || got == nil || math.Abs(*got-avg[c.Touchpoint]) > 1e-9*avg[c.Touchpoint] {
				t.Errorf("curve %+v, want not identified, %s marginal = average ROAS %v", c, m, avg[c.Touchpoint])
			}
		}
	}
	if !(avg["a"] < avg["b"]) {
		t.Fatalf("average ROAS %v: the fixture should have b earn more", avg)
	}
	// Constant returns never meet: a gives to b until a has given 20% of its spend or b taken 20%
	// of its own, gaining the difference of the two averages on each unit.
	move := 0.2 * min(curves[0].CurrentDailySpend, curves[1].CurrentDailySpend)
	if len(shifts) != 1 || shifts[0].From != "a" || shifts[0].To != "b" || shifts[0].FromBasis != ResponseBasisAverage ||
		math.Abs(shifts[0].Amount-move) > 1e-9 || math.Abs(shifts[0].ExpectedRevenueChange-(avg["b"]-avg["a"])*shifts[0].Amount) > 1e-9 {
		t.Errorf("shifts %+v, want %v from a to b", shifts, move)
	}
}

// TestAllocateByResponseTakeLimit: a touchpoint with a limit takes no more than it, and the rest
// goes to the next best.
func TestAllocateByResponseTakeLimit(t *testing.T) {
	moves := allocateByResponse([]responseTouchpoint{
		{name: "a", spend: 100, roas: 1},
		{name: "b", spend: 10, roas: 3, maxTake: 2},
		{name: "c", spend: 50, roas: 2, maxTake: 100},
	}, 0.2)
	// a gives 20 in all: 2 to b (its limit), the other 18 to c.
	if len(moves) != 2 || moves[0].to != "b" || math.Abs(moves[0].amount-2) > 1e-9 || moves[1].to != "c" || math.Abs(moves[1].amount-18) > 1e-9 ||
		math.Abs(moves[0].revenueChange-2*2) > 1e-9 || math.Abs(moves[1].revenueChange-18) > 1e-9 {
		t.Errorf("moves %+v, want 2 to b and 18 to c", moves)
	}
}

// TestResponseNotIdentifiedWithoutRelation: revenue that does not depend on spend identifies no
// curve, whatever the days and the spread of spend. (Measured on 40 series of each of six shapes:
// none identified at the standard-error limit of 0.5; 2 at 0.75 and 4 at 1.0, which is why the
// limit stays at 0.5: docs/attribution.md.)
func TestResponseNotIdentifiedWithoutRelation(t *testing.T) {
	for _, days := range []int{90, 365} {
		for _, cv := range []float64{0.15, 0.5} {
			for seed := range 10 {
				r := rand.New(rand.NewPCG(uint64(seed), 3))
				spend := make([]float64, days)
				rev := make([]float64, days)
				for d := range spend {
					spend[d] = 80 * math.Exp(cv*r.NormFloat64())
					rev[d] = 500 * (1 + 0.3*r.NormFloat64())
				}
				if f := fitResponse(spend, rev, true); f.identified {
					t.Errorf("%d days, spend spread %.2f, seed %d: a curve is identified where revenue ignores spend", days, cv, seed)
				}
			}
		}
	}
}

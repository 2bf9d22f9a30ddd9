package kpi

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// responseSimulate draws days of spend, uniform on [lo, hi] with one day in ten without spend,
// and revenue from curve c on the adstocked spend with multiplicative noise of relative size
// noise.
func responseSimulate(c responseCurve, days int, lo, hi, noise float64, seed uint64) (spend, revenue []float64) {
	rng := rand.New(rand.NewPCG(seed, 42))
	var x float64
	for d := range days {
		s := lo + (hi-lo)*rng.Float64()
		if rng.IntN(10) == 0 {
			s = 0
		}
		if d == 0 {
			x = s
		} else {
			x = s + c.theta*x
		}
		var r float64
		if x > 0 {
			r = c.beta * math.Pow(x, c.alpha) / (math.Pow(x, c.alpha) + math.Pow(c.kappa, c.alpha))
		}
		r *= max(0, 1+noise*rng.NormFloat64())
		spend = append(spend, s)
		revenue = append(revenue, r)
	}
	return spend, revenue
}

// TestHillRecovers fits curves to simulated noisy series and finds the parameters they were drawn
// from.
func TestHillRecovers(t *testing.T) {
	for _, c := range []struct {
		name    string
		truth   responseCurve
		adstock bool
		lo, hi  float64
		tol     float64 // relative, for β, α and κ(1−θ); absolute for θ
	}{
		{"bends down", responseCurve{beta: 1000, alpha: 1, kappa: 100}, false, 10, 300, 0.1},
		{"S-shaped", responseCurve{beta: 5000, alpha: 2.5, kappa: 150}, false, 20, 400, 0.1},
		{"carryover", responseCurve{beta: 800, alpha: 1.2, kappa: 300, theta: 0.5}, true, 10, 300, 0.1},
		{"long carryover, S", responseCurve{beta: 2000, alpha: 2, kappa: 900, theta: 0.7}, true, 50, 500, 0.1},
		{"no carryover, fitted with it", responseCurve{beta: 1000, alpha: 1.5, kappa: 120}, true, 10, 300, 0.1},
	} {
		spend, revenue := responseSimulate(c.truth, 365, c.lo, c.hi, 0.1, 3)
		fit := fitResponse(spend, revenue, c.adstock)
		if !fit.identified {
			t.Errorf("%s: not identified: %+v", c.name, fit)
			continue
		}
		got := fit.curve
		t.Logf("%s: fitted %+v, R² %.4f", c.name, got, fit.rSquared)
		rel := func(a, b float64) float64 { return math.Abs(a/b - 1) }
		if rel(got.beta, c.truth.beta) > c.tol || rel(got.alpha, c.truth.alpha) > c.tol ||
			rel(got.kappa*(1-got.theta), c.truth.kappa*(1-c.truth.theta)) > c.tol ||
			math.Abs(got.theta-c.truth.theta) > c.tol {
			t.Errorf("%s: fitted %+v, want %+v within %g", c.name, got, c.truth, c.tol)
		}
		if fit.days != 365 || fit.reason != FitOK {
			t.Errorf("%s: %+v", c.name, fit)
		}
		if again := fitResponse(spend, revenue, c.adstock); again != fit {
			t.Errorf("%s: refitted %+v, first %+v", c.name, again, fit)
		}
	}
}

// TestResponseNotIdentified checks the identification rules on series that cannot show a curve.
func TestResponseNotIdentified(t *testing.T) {
	truth := responseCurve{beta: 1000, alpha: 1, kappa: 100}
	spend, revenue := responseSimulate(truth, 120, 10, 300, 0.1, 5)
	constant := slices.Repeat([]float64{100}, 120)
	nearlyConstant := make([]float64, 120)
	for i := range nearlyConstant {
		nearlyConstant[i] = 100 + float64(i%4)*0.3 // within 1% of the median: one level
	}
	zero := make([]float64, 120)
	fewRevenueDays := make([]float64, 120)
	for i := 0; i < 120; i += 14 {
		fewRevenueDays[i] = 50
	}
	// Revenue that grows with spend in a straight line all the way: no bend to see, κ runs off.
	linear := make([]float64, 120)
	for i, s := range spend {
		linear[i] = 3 * s
	}
	// Revenue that is the same whatever the spend: saturated before the smallest spend.
	flat := make([]float64, 120)
	for i, s := range spend {
		if s > 0 {
			flat[i] = 500
		}
	}
	for _, c := range []struct {
		name           string
		spend, revenue []float64
		adstock        bool
		reason         FitReason
		have, need     float64
	}{
		{"too few days", spend[:27], revenue[:27], false, FitTooFewDays, 27, responseMinDays},
		{"constant spend", constant, revenue, true, FitTooFewSpendLevels, 1, responseMinSpendLevels},
		{"spend within 1%", nearlyConstant, revenue, false, FitTooFewSpendLevels, 1, responseMinSpendLevels},
		{"no spend", zero, revenue, false, FitTooFewSpendLevels, 1, responseMinSpendLevels},
		{"no revenue", spend, zero, true, FitTooFewRevenueDays, 0, responseMinRevenueDays},
		{"revenue on 9 days", spend, fewRevenueDays, false, FitTooFewRevenueDays, 9, responseMinRevenueDays},
		{"straight line", spend, linear, false, FitAtBound, 0, 0},
		{"saturated", spend, flat, false, FitAtBound, 0, 0},
	} {
		fit := fitResponse(c.spend, c.revenue, c.adstock)
		if fit.identified || fit.reason != c.reason || fit.have != c.have || fit.need != c.need ||
			fit.curve != (responseCurve{}) {
			t.Errorf("%s: %+v, want not identified for %q (%g, %g)", c.name, fit, c.reason, c.have, c.need)
		}
	}
	// A month of noisy days: a curve is fitted, but the data leave κ uncertain by more than a
	// factor 1.65.
	sp, rv := responseSimulate(truth, 30, 10, 300, 0.6, 11)
	fit := fitResponse(sp, rv, false)
	if fit.identified || fit.reason != FitFlat || fit.param != "kappa" || !(fit.have > fit.need) || fit.need != responseMaxSE {
		t.Errorf("noisy month: %+v, want flat along kappa", fit)
	}
	// Pure noise around a constant: no curve at all.
	rng := rand.New(rand.NewPCG(9, 9))
	noise := make([]float64, 120)
	for i := range noise {
		noise[i] = max(0, 100*(1+0.8*rng.NormFloat64()))
	}
	fit = fitResponse(spend, noise, true)
	if fit.identified || (fit.reason != FitFlat && fit.reason != FitAtBound) {
		t.Errorf("noise: %+v, want flat or at a bound", fit)
	}
	// Input that is not a series of spends.
	for _, bad := range [][]float64{{-1}, {math.NaN()}, {math.Inf(1)}} {
		s := slices.Clone(spend)
		s[7] = bad[0]
		if fit := fitResponse(s, revenue, false); fit.identified || fit.reason != FitNotFinite {
			t.Errorf("spend %g: %+v, want not finite", bad[0], fit)
		}
	}
}

// TestResponseMarginalROAS compares the marginal ROAS with a numerical derivative of the revenue,
// and checks the limits at no spend.
func TestResponseMarginalROAS(t *testing.T) {
	for _, c := range []responseCurve{
		{beta: 1000, alpha: 1, kappa: 100},
		{beta: 1000, alpha: 0.6, kappa: 100, theta: 0.3},
		{beta: 5000, alpha: 2.5, kappa: 150, theta: 0.7},
		{beta: 3, alpha: 4, kappa: 1e6, theta: 0.9},
	} {
		for _, s := range []float64{0.01, 1, 30, 100, 250, 1000, 1e5} {
			// The revenue, β x^α/(x^α + κ^α) with x = s/(1−θ), and its shortfall from β,
			// β κ^α/(x^α + κ^α), written apart from the code: the derivative is taken of whichever
			// is smaller, so that it keeps its digits at both ends of the curve.
			f := func(s float64) float64 {
				x := s / (1 - c.theta)
				return c.beta * math.Pow(x, c.alpha) / (math.Pow(x, c.alpha) + math.Pow(c.kappa, c.alpha))
			}
			if f(s) > c.beta/2 {
				f = func(s float64) float64 {
					x := s / (1 - c.theta)
					return -c.beta * math.Pow(c.kappa, c.alpha) / (math.Pow(x, c.alpha) + math.Pow(c.kappa, c.alpha))
				}
			}
			h := 1e-5 * s
			num := (f(s+h) - f(s-h)) / (2 * h)
			got := c.marginalROAS(s)
			if math.Abs(got-num) > 1e-6*math.Abs(num) {
				t.Errorf("%+v at %g: marginal ROAS %.10g, numerically %.10g", c, s, got, num)
			}
			if avg := c.averageROAS(s); math.Abs(avg-c.revenue(s)/s) > 1e-12*avg {
				t.Errorf("%+v at %g: average ROAS %g, want %g", c, s, avg, c.revenue(s)/s)
			}
		}
	}
	// In steady state the adstocked spend is s/(1−θ).
	c := responseCurve{beta: 1000, alpha: 1, kappa: 100, theta: 0.5}
	if got, want := c.revenue(50), 1000*100/(100+100.0); math.Abs(got-want) > 1e-9 {
		t.Errorf("revenue at 50 with θ 0.5 = %g, want %g", got, want)
	}
	for _, z := range []struct {
		c    responseCurve
		want float64
	}{
		{responseCurve{beta: 1000, alpha: 1, kappa: 100, theta: 0.5}, 20},
		{responseCurve{beta: 1000, alpha: 2, kappa: 100}, 0},
		{responseCurve{beta: 1000, alpha: 0.5, kappa: 100}, math.Inf(1)},
	} {
		if got := z.c.marginalROAS(0); got != z.want || z.c.averageROAS(0) != z.want || z.c.revenue(0) != 0 {
			t.Errorf("%+v at 0: marginal %g, average %g, revenue %g; want %g, %g, 0", z.c, got, z.c.averageROAS(0),
				z.c.revenue(0), z.want, z.want)
		}
	}
}

// allocHill2 is the optimum split of S between two α = 1 curves: with k_i = κ_i(1−θ_i) the
// steady-state half-saturation spend, R_i'(s) = β_i k_i / (s + k_i)², and equal marginal ROAS
// solve to s_1 = (a_1 (S + k_2) − a_2 k_1) / (a_1 + a_2), a_i = √(β_i k_i).
func allocHill2(c1, c2 responseCurve, total float64) float64 {
	k1, k2 := c1.kappa*(1-c1.theta), c2.kappa*(1-c2.theta)
	a1, a2 := math.Sqrt(c1.beta*k1), math.Sqrt(c2.beta*k2)
	return (a1*(total+k2) - a2*k1) / (a1 + a2)
}

// TestAllocOptimum moves spend between two curves whose best split is known in closed form.
func TestAllocOptimum(t *testing.T) {
	c1 := &responseCurve{beta: 1000, alpha: 1, kappa: 100}
	c2 := &responseCurve{beta: 3000, alpha: 1, kappa: 400, theta: 0.5}
	for _, c := range []struct{ s1, s2 float64 }{{300, 100}, {50, 500}, {200, 200}} {
		total := c.s1 + c.s2
		want := allocHill2(*c1, *c2, total)
		tps := []responseTouchpoint{{name: "search", spend: c.s1, curve: c1}, {name: "social", spend: c.s2, curve: c2}}
		moves := allocateByResponse(tps, 0.9)
		s1 := c.s1
		for _, m := range moves {
			switch m.from {
			case "search":
				s1 -= m.amount
			default:
				s1 += m.amount
			}
		}
		if math.Abs(s1-want) > 1e-6*total {
			t.Errorf("from (%g, %g): search ends at %.6f, optimum %.6f; moves %+v", c.s1, c.s2, s1, want, moves)
		}
		if m1, m2 := c1.marginalROAS(s1), c2.marginalROAS(total-s1); math.Abs(m1-m2) > 1e-6*m1 {
			t.Errorf("from (%g, %g): marginal ROAS %g and %g do not meet", c.s1, c.s2, m1, m2)
		}
		gain := c1.revenue(s1) + c2.revenue(total-s1) - c1.revenue(c.s1) - c2.revenue(c.s2)
		var sum float64
		for _, m := range moves {
			sum += m.revenueChange
			if m.fromAverage || m.toAverage {
				t.Errorf("move %+v flagged as resting on an average ROAS", m)
			}
		}
		if math.Abs(sum-gain) > 1e-9*math.Max(gain, 1) || (len(moves) > 0 && !(gain > 0)) {
			t.Errorf("from (%g, %g): revenue change %g, want %g", c.s1, c.s2, sum, gain)
		}
		t.Logf("from (%g, %g): %+v", c.s1, c.s2, moves)
	}
}

// TestAllocCap checks that no touchpoint gives more than maxShift of its spend, that a constant
// average ROAS never meets a curve's, and that total spend is unchanged.
func TestAllocCap(t *testing.T) {
	c1 := &responseCurve{beta: 1000, alpha: 1, kappa: 100}
	c2 := &responseCurve{beta: 3000, alpha: 1, kappa: 400, theta: 0.5}
	// Unconstrained, search would drop from 300 to about 103: a 20% cap stops it at 240.
	moves := allocateByResponse([]responseTouchpoint{
		{name: "search", spend: 300, curve: c1}, {name: "social", spend: 100, curve: c2},
	}, 0.2)
	if len(moves) != 1 || moves[0].from != "search" || moves[0].to != "social" || math.Abs(moves[0].amount-60) > 1e-9 {
		t.Errorf("moves %+v, want 60 from search to social", moves)
	}
	want := c1.revenue(240) + c2.revenue(160) - c1.revenue(300) - c2.revenue(100)
	if math.Abs(moves[0].revenueChange-want) > 1e-9*want {
		t.Errorf("revenue change %g, want %g", moves[0].revenueChange, want)
	}

	// Four touchpoints, two without a curve: every giver within its cap, spend conserved, the
	// revenue changes adding up to the change in total revenue.
	tps := []responseTouchpoint{
		{name: "display", spend: 120, roas: 0.8},
		{name: "email", spend: 10, roas: 9},
		{name: "search", spend: 300, curve: c1},
		{name: "social", spend: 100, curve: c2},
	}
	moves = allocateByResponse(tps, 0.25)
	final := map[string]float64{}
	for _, tp := range tps {
		final[tp.name] = tp.spend
	}
	out := map[string]float64{}
	var change float64
	for _, m := range moves {
		final[m.from] -= m.amount
		final[m.to] += m.amount
		out[m.from] += m.amount
		change += m.revenueChange
		if !(m.amount > 0) {
			t.Errorf("move %+v of nothing", m)
		}
		if m.fromAverage != (m.from == "display" || m.from == "email") || m.toAverage != (m.to == "display" || m.to == "email") {
			t.Errorf("move %+v flags", m)
		}
	}
	var before, after, wantChange float64
	for _, tp := range tps {
		before += tp.spend
		after += final[tp.name]
		if out[tp.name] > 0.25*tp.spend*(1+1e-12) {
			t.Errorf("%s gives %g of %g", tp.name, out[tp.name], tp.spend)
		}
		wantChange += tp.revenue(final[tp.name]) - tp.revenue(tp.spend)
	}
	if math.Abs(after-before) > 1e-9*before {
		t.Errorf("total spend %g, was %g", after, before)
	}
	if math.Abs(change-wantChange) > 1e-9*math.Abs(wantChange) || !(change > 0) {
		t.Errorf("revenue change %g, want %g", change, wantChange)
	}
	// email (ROAS 9, constant) outearns everything, display (0.8) nothing: display gives all it
	// may, email takes.
	if math.Abs(out["display"]-30) > 1e-9 || final["email"] <= 10 {
		t.Errorf("display gave %g (want 30), email ends at %g; moves %+v", out["display"], final["email"], moves)
	}
	t.Logf("moves %+v", moves)

	for _, c := range []struct {
		name     string
		maxShift float64
	}{{"no cap", 0}, {"NaN cap", math.NaN()}} {
		if m := allocateByResponse(tps, c.maxShift); len(m) != 0 {
			t.Errorf("%s: moves %+v", c.name, m)
		}
	}
}

// TestAllocDeterministic checks that the same touchpoints, in any order, give the same moves to
// the bit, ties going to the first name.
func TestAllocDeterministic(t *testing.T) {
	c := &responseCurve{beta: 1000, alpha: 1, kappa: 100}
	tps := []responseTouchpoint{
		{name: "a", spend: 100, curve: c},
		{name: "b", spend: 100, curve: c},
		{name: "c", spend: 300, curve: c},
		{name: "d", spend: 300, curve: c},
		{name: "e", spend: 50, roas: 2},
	}
	first := allocateByResponse(tps, 0.3)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		shuffled := slices.Clone(tps)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if got := allocateByResponse(shuffled, 0.3); !reflect.DeepEqual(got, first) {
			t.Fatalf("order %v: %+v, want %+v", shuffled, got, first)
		}
	}
	// c and d are alike and give first to the first name; a and b likewise take.
	if len(first) == 0 || first[0].from != "c" {
		t.Errorf("moves %+v, want c to give first", first)
	}
	t.Logf("moves %+v", first)

	// Equal marginal ROAS everywhere: nothing moves.
	if m := allocateByResponse(tps[:2], 0.3); len(m) != 0 {
		t.Errorf("equal touchpoints: moves %+v", m)
	}
}

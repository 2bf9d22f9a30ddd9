package kpi

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The reference numbers below come from sources independent of this code: published tables, and a
// plain Python 3 computation with the standard library only (math.erfc, math.lgamma, math.comb,
// fractions.Fraction), written from the textbook definitions. The Python expressions are quoted
// beside the numbers so they can be rerun.

func near(got, want, rel float64) bool {
	if got == want {
		return true
	}
	return math.Abs(got-want) <= rel*math.Max(math.Abs(want), 1e-300)
}

func TestStatNormal(t *testing.T) {
	if got := NormalQuantile(0.975); !near(got, Z95, 1e-15) {
		t.Errorf("NormalQuantile(0.975) = %.17g, want Z95 %.17g", got, Z95)
	}
	if got := NormalCDF(Z95); !near(got, 0.975, 1e-15) {
		t.Errorf("NormalCDF(Z95) = %.17g, want 0.975", got)
	}
	// Python: 0.5*math.erfc(10/math.sqrt(2)) = 7.6198530241604696e-24 (the lower tail keeps its digits).
	if got := NormalCDF(-10); !near(got, 7.6198530241604696e-24, 1e-13) {
		t.Errorf("NormalCDF(-10) = %.17g", got)
	}
	if !math.IsNaN(NormalQuantile(1.5)) || !math.IsNaN(NormalQuantile(math.NaN())) {
		t.Error("NormalQuantile outside [0, 1] is not NaN")
	}
	if !math.IsInf(NormalQuantile(0), -1) || !math.IsInf(NormalQuantile(1), 1) {
		t.Error("NormalQuantile(0), NormalQuantile(1) are not −Inf, +Inf")
	}
}

func TestWilsonInterval(t *testing.T) {
	// table: Newcombe R. G. (1998), Two-sided confidence intervals for the single proportion,
	// Statistics in Medicine 17:857–872, Table I, the score method without continuity correction, to 4
	// decimals. py: the same interval from the textbook form in Python,
	//   p=x/n; c=p+z*z/(2*n); h=z*math.sqrt(p*(1-p)/n+z*z/(4*n*n)); d=1+z*z/n; ((c-h)/d, (c+h)/d)
	// with z = 1.959963984540054.
	for _, c := range []struct {
		x, n          int64
		table         [2]float64
		pyLow, pyHigh float64
		fromTable     bool
	}{
		{81, 263, [2]float64{0.2553, 0.3662}, 0.25528851987827422, 0.36620957698280004, true},
		{15, 148, [2]float64{0.0624, 0.1605}, 0.062386399530736283, 0.16048724172330803, true},
		{0, 20, [2]float64{0, 0.1611}, 0, 0.16112515805281938, true},
		{1, 29, [2]float64{0.0061, 0.1718}, 0.0061132142927626488, 0.17175521879320288, true},
		{29, 29, [2]float64{}, 0.88303020150025935, 1, false},
		{0, 1, [2]float64{}, 0, 0.79345068562276255, false},
		{1, 1, [2]float64{}, 0.20654931437723742, 1, false},
		{5, 10, [2]float64{}, 0.236593090512564, 0.76340690948743595, false},
		{500, 1000, [2]float64{}, 0.46906960036810419, 0.53093039963189581, false},
	} {
		got := WilsonInterval(c.x, c.n)
		if c.fromTable && (math.Round(got.Low*1e4) != math.Round(c.table[0]*1e4) || math.Round(got.High*1e4) != math.Round(c.table[1]*1e4)) {
			t.Errorf("WilsonInterval(%d, %d) = [%.4f, %.4f], Newcombe Table I [%.4f, %.4f]", c.x, c.n, got.Low, got.High, c.table[0], c.table[1])
		}
		if !near(got.Low, c.pyLow, 1e-12) || !near(got.High, c.pyHigh, 1e-12) {
			t.Errorf("WilsonInterval(%d, %d) = [%.17g, %.17g], Python [%.17g, %.17g]", c.x, c.n, got.Low, got.High, c.pyLow, c.pyHigh)
		}
	}
	// Decided edges: no trials is the whole of [0, 1]; the ends are exact at x = 0 and x = n.
	if got := WilsonInterval(0, 0); got != (Interval{0, 1}) {
		t.Errorf("WilsonInterval(0, 0) = %v, want [0, 1]", got)
	}
	if got := WilsonInterval(0, 7); got.Low != 0 {
		t.Errorf("WilsonInterval(0, 7).Low = %g, want exactly 0", got.Low)
	}
	if got := WilsonInterval(7, 7); got.High != 1 {
		t.Errorf("WilsonInterval(7, 7).High = %g, want exactly 1", got.High)
	}
	for _, c := range [][2]int64{{-1, 5}, {6, 5}, {0, -1}} {
		if got := WilsonInterval(c[0], c[1]); !math.IsNaN(got.Low) || !math.IsNaN(got.High) {
			t.Errorf("WilsonInterval(%d, %d) = %v, want NaN", c[0], c[1], got)
		}
	}
}

func TestStatTwoProportionPValue(t *testing.T) {
	// want: R's prop.test(c(x1,x2), c(n1,n2), correct=FALSE)$p.value, computed in Python as
	//   p=(x1+x2)/(n1+n2); z=(x1/n1-x2/n2)/math.sqrt(p*(1-p)*(1/n1+1/n2)); math.erfc(abs(z)/math.sqrt(2))
	for _, c := range []struct {
		x1, n1, x2, n2 int64
		want           float64
	}{
		// The product's own case: 12.7% against 14.0%, about −1.3 points over ~760 entrants each —
		// not significant.
		{97, 766, 105, 752, 0.45606169884411207},
		{81, 263, 15, 148, 2.0072944202557069e-06},
		{30, 100, 45, 100, 0.028459736916310568},
		{1, 29, 0, 20, 0.40143520460586751},
		{500, 10000, 560, 10000, 0.058257806033516255},
		{12, 40, 3, 41, 0.0086009942307777691},
		{200, 1000, 100, 1000, 3.7947918831449892e-10},
		{1, 2, 1, 3, 0.70938811501422627},
	} {
		got := TwoProportionPValue(c.x1, c.n1, c.x2, c.n2)
		if !near(got, c.want, 1e-9) {
			t.Errorf("TwoProportionPValue(%d, %d, %d, %d) = %.17g, Python %.17g", c.x1, c.n1, c.x2, c.n2, got, c.want)
		}
	}
	if p := TwoProportionPValue(97, 766, 105, 752); !(p >= SignificanceLevel) {
		t.Errorf("97/766 vs 105/752: p = %g, significant; want not", p)
	}
	// Decided edges.
	for _, c := range []struct {
		x1, n1, x2, n2 int64
		want           float64
	}{
		{0, 10, 0, 20, 1},   // all failures in both
		{10, 10, 20, 20, 1}, // all successes in both
		{3, 9, 5, 15, 1},    // the same proportion
		{0, 0, 1, 5, math.NaN()},
		{1, 5, 0, 0, math.NaN()},
		{6, 5, 1, 5, math.NaN()},
		{-1, 5, 1, 5, math.NaN()},
	} {
		got := TwoProportionPValue(c.x1, c.n1, c.x2, c.n2)
		if got != c.want && !(math.IsNaN(got) && math.IsNaN(c.want)) {
			t.Errorf("TwoProportionPValue(%d, %d, %d, %d) = %g, want %g", c.x1, c.n1, c.x2, c.n2, got, c.want)
		}
	}
}

func TestPoissonInterval(t *testing.T) {
	// table: the exact (Garwood 1936) limits as usually tabulated, to the digits given (k = 0, 1, 10).
	// py: Python bisection on the Poisson CDF itself (200 halvings of [0, 10k+20]), with
	//   cdf = lambda k, l: math.fsum(math.exp(-l + i*math.log(l) - math.lgamma(i+1)) for i in range(k+1))
	//   low: 1 - cdf(k-1, l) = 0.025 (0 at k = 0); high: cdf(k, l) = 0.025.
	// At k = 137 the figures [114.99, 162.01] sometimes quoted are not the Garwood limits: the CDF
	// bisection gives [115.0205, 161.9564], and the Wilson–Hilferty approximation agrees
	// (137·(1 − 1/1233 − Z95/(3√137))³ = 115.02, 138·(1 − 1/1242 + Z95/(3√138))³ = 161.96).
	for _, c := range []struct {
		k          int64
		table      *[2]float64
		unit       float64 // the table's rounding unit
		pyLo, pyHi float64
	}{
		{0, &[2]float64{0, 3.689}, 1e-3, 0, 3.6888794541139358},
		{1, &[2]float64{0.0253, 5.572}, 1e-3, 0.025317807984289842, 5.5716433909388989},
		{2, nil, 0, 0.24220927854396473, 7.2246876677239609},
		{10, &[2]float64{4.795, 18.39}, 1e-2, 4.795388696132429, 18.390356042017778},
		{137, nil, 0, 115.02053443380609, 161.95640468807329},
		{1000, nil, 0, 938.97301840761384, 1063.9521360162985},
	} {
		got := PoissonInterval(c.k)
		if c.table != nil && (math.Abs(got.Low-c.table[0]) > c.unit/2 || math.Abs(got.High-c.table[1]) > c.unit/2) {
			t.Errorf("PoissonInterval(%d) = [%.6g, %.6g], table %v", c.k, got.Low, got.High, *c.table)
		}
		if !near(got.Low, c.pyLo, 1e-9) || !near(got.High, c.pyHi, 1e-9) {
			t.Errorf("PoissonInterval(%d) = [%.17g, %.17g], Python [%.17g, %.17g]", c.k, got.Low, got.High, c.pyLo, c.pyHi)
		}
	}
	if got := PoissonInterval(-1); !math.IsNaN(got.Low) || !math.IsNaN(got.High) {
		t.Errorf("PoissonInterval(-1) = %v, want NaN", got)
	}
}

func TestPoissonPValue(t *testing.T) {
	// want: R's poisson.test(c(k1,k2), c(t1,t2))$p.value, i.e. binom.test(k1, k1+k2, t1/(t1+t2)),
	// computed in Python by R's own rule with exact rationals:
	//   from fractions import Fraction as F
	//   def binom(x, n, p):  # p = F(t1, t1+t2)
	//       d = lambda i: math.comb(n, i) * p**i * (1-p)**(n-i); m = n*p
	//       if x == m: return 1.0
	//       dx = d(x); rel = 1 + F(1, 10**7)
	//       if x < m:
	//           y = sum(1 for i in range(math.ceil(m), n+1) if d(i) <= dx*rel)
	//           pv = sum(d(i) for i in range(0, x+1)) + sum(d(i) for i in range(n-y+1, n+1))
	//       else:
	//           y = sum(1 for i in range(0, math.floor(m)+1) if d(i) <= dx*rel)
	//           pv = sum(d(i) for i in range(0, y)) + sum(d(i) for i in range(x, n+1))
	//       return float(min(1, pv))
	// and, for the larger counts (marked lgamma), the same rule in floats with every term
	// math.exp(lgamma(n+1)-lgamma(i+1)-lgamma(n-i+1)+i*log(p)+(n-i)*log1p(-p)) summed by math.fsum
	// over all i (agrees with the rational version to 1e-12 at n = 1880).
	for _, c := range []struct {
		k1     int64
		t1     float64
		k2     int64
		t2     float64
		want   float64
		relTol float64
	}{
		{10, 1, 2, 1, 0.03857421875, 1e-12},
		{0, 31, 5, 30, 0.028771141871245302, 1e-12},
		{25, 31, 40, 30, 0.0478389405418344, 1e-12},
		{137, 31, 120, 30, 0.45418415779084792, 1e-11},
		{60, 1, 20, 3, 9.4601829298718346e-21, 1e-10},
		{12, 30, 1, 31, 0.0015720041222426337, 1e-12},
		{3, 1, 4, 1, 1, 0},
		{7, 1, 7, 1, 1, 0},
		{31, 31, 30, 30, 1, 0},
		{1, 1, 0, 1, 1, 0},
		{0, 1, 1, 1, 1, 0},
		{1000, 31, 880, 30, 0.040088150191492179, 1e-10},     // lgamma
		{5000, 31, 4700, 30, 0.15511680675274539, 1e-10},     // lgamma
		{20000, 31, 20500, 30, 7.4633206539104873e-09, 1e-8}, // lgamma
		// At the exact limit, still exact (lgamma reference over all 10⁶+1 terms).
		{509177, 31, 1_000_000 - 509177, 30, 0.04996497650969, 1e-7},
	} {
		got := PoissonPValue(c.k1, c.t1, c.k2, c.t2)
		if !near(got, c.want, c.relTol) {
			t.Errorf("PoissonPValue(%d, %g, %d, %g) = %.17g, Python %.17g", c.k1, c.t1, c.k2, c.t2, got, c.want)
		}
	}
	// Above PoissonExactLimit the normal approximation takes over; against the exact values
	// (lgamma reference) it is off by a few 1e-4 at most, shrinking as 1/√n.
	for _, c := range []struct {
		k1, n int64
		exact float64
	}{
		{509178, 1_000_001, 0.049848369628767181},
		{514283, 1_010_000, 0.045683758692864625},
	} {
		got := PoissonPValue(c.k1, 31, c.n-c.k1, 30)
		if math.Abs(got-c.exact) > 5e-4 {
			t.Errorf("PoissonPValue(%d, 31, %d, 30) = %.6g, exact %.6g: normal approximation off by more than 5e-4", c.k1, c.n-c.k1, got, c.exact)
		}
	}
	for _, c := range []struct {
		k1   int64
		t1   float64
		k2   int64
		t2   float64
		want float64
	}{
		{0, 31, 0, 30, 1},
		{-1, 1, 2, 1, math.NaN()},
		{1, 0, 2, 1, math.NaN()},
		{1, 1, 2, math.Inf(1), math.NaN()},
		{1, math.NaN(), 2, 1, math.NaN()},
	} {
		got := PoissonPValue(c.k1, c.t1, c.k2, c.t2)
		if got != c.want && !(math.IsNaN(got) && math.IsNaN(c.want)) {
			t.Errorf("PoissonPValue(%d, %g, %d, %g) = %g, want %g", c.k1, c.t1, c.k2, c.t2, got, c.want)
		}
	}
}

// statCustomer is one simulated customer: revenue r over o orders.
type statCustomer struct {
	r float64
	o int64
}

// poissonDraw draws from Poisson(mean) by Knuth's product of uniforms (small means only).
func poissonDraw(rng *rand.Rand, mean float64) int64 {
	l, p, k := math.Exp(-mean), 1.0, int64(0)
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// statCustomers simulates n purchasers: 1 + Poisson(0.6) orders each, order values log-normal
// around 33 (a long right tail, as order values have).
func statCustomers(n int, seed uint64) []statCustomer {
	rng := rand.New(rand.NewPCG(seed, 7))
	cs := make([]statCustomer, n)
	for i := range cs {
		o := 1 + poissonDraw(rng, 0.6)
		r := 0.0
		for range o {
			r += math.Round(math.Exp(3.5+0.8*rng.NormFloat64())*100) / 100
		}
		cs[i] = statCustomer{r, o}
	}
	return cs
}

func sumsOf(cs []statCustomer) *MoneySums {
	var s MoneySums
	for _, c := range cs {
		s.Add(c.r, c.o)
	}
	return &s
}

func TestDeltaRatioMatchesDirectSum(t *testing.T) {
	// Brute force: the cluster-robust delta variance written directly over customers,
	// Σ(r − R·o)² / (Σo)², in plain float arithmetic.
	cs := statCustomers(1000, 1)
	var sr, so float64
	for _, c := range cs {
		sr += c.r
		so += float64(c.o)
	}
	ratio := sr / so
	var ss float64
	for _, c := range cs {
		e := c.r - ratio*float64(c.o)
		ss += e * e
	}
	got := sumsOf(cs).Ratio()
	if !near(got.Value, ratio, 1e-13) || !near(got.Variance, ss/(so*so), 1e-10) {
		t.Errorf("Ratio() = %+v, direct %g, %g", got, ratio, ss/(so*so))
	}
	var r2 float64
	for _, c := range cs {
		r2 += c.r * c.r
	}
	if tot := sumsOf(cs).Total(); !near(tot.Value, sr, 1e-13) || !near(tot.Variance, r2, 1e-13) {
		t.Errorf("Total() = %+v, direct %g, %g", tot, sr, r2)
	}
}

func TestDeltaMethodAgainstResampling(t *testing.T) {
	// Brute force: resample the customers 2,000 times with Poisson(1) weights (a fixed-seed PCG, so
	// the test is deterministic) and take the SD of the total revenue and of the ratio Σwr/Σwo.
	// Poisson weights are exactly the compound-Poisson model of the total (Var Σwr = Σr²), and to
	// first order the delta method's model of the ratio. The SDs carry about 1/√(2·2000) ≈ 1.6%
	// resampling error; the tolerance is 6%.
	cs := statCustomers(2000, 2)
	s := sumsOf(cs)
	total, ratio := s.Total(), s.Ratio()
	rng := rand.New(rand.NewPCG(3, 4))
	const resamples = 2000
	var tot, rat, tot2, rat2 float64
	for range resamples {
		var wr, wo float64
		for _, c := range cs {
			w := float64(poissonDraw(rng, 1))
			wr += w * c.r
			wo += w * float64(c.o)
		}
		tot += wr
		tot2 += wr * wr
		rat += wr / wo
		rat2 += (wr / wo) * (wr / wo)
	}
	sd := func(s, s2 float64) float64 {
		m := s / resamples
		return math.Sqrt((s2 - resamples*m*m) / (resamples - 1))
	}
	for _, c := range []struct {
		name            string
		delta, resample float64
	}{
		{"total", math.Sqrt(total.Variance), sd(tot, tot2)},
		{"ratio", math.Sqrt(ratio.Variance), sd(rat, rat2)},
	} {
		if math.Abs(c.delta/c.resample-1) > 0.06 {
			t.Errorf("%s: standard error %.6g, resampled SD %.6g", c.name, c.delta, c.resample)
		}
	}
}

func TestDeltaRatioCancellation(t *testing.T) {
	// Every order at the same price: the residuals r − R·o are (almost) zero and the three terms
	// Σr² − 2RΣro + R²Σo² cancel to the last digit; the variance must still be a tiny non-negative
	// number. With a price that is exact in binary, it is exactly 0.
	for _, price := range []float64{49.99, 50, 0.1, 1234.57} {
		var s MoneySums
		for i := range 1000 {
			o := int64(1 + i%4)
			s.Add(float64(o)*price, o)
		}
		got := s.Ratio()
		if got.Variance < 0 || got.Variance > 1e-20*price*price {
			t.Errorf("price %g: variance %g, want tiny and ≥ 0", price, got.Variance)
		}
		if price == 50 && got.Variance != 0 {
			t.Errorf("price 50: variance %g, want exactly 0", got.Variance)
		}
	}
	// Two periods of constant but different prices differ with certainty.
	var a, b MoneySums
	a.Add(100, 2)
	b.Add(90, 2)
	if p := DifferencePValue(a.Ratio(), b.Ratio()); p != 0 {
		t.Errorf("constant prices 50 vs 45: p = %g, want 0", p)
	}
}

func TestDeltaEdges(t *testing.T) {
	var empty MoneySums
	if got := empty.Total(); got != (Estimate{}) {
		t.Errorf("empty Total() = %+v, want zeros", got)
	}
	if got := empty.Ratio(); !math.IsNaN(got.Value) || !math.IsNaN(got.Variance) {
		t.Errorf("empty Ratio() = %+v, want NaN", got)
	}
	if p := DifferencePValue(empty.Total(), empty.Total()); p != 1 {
		t.Errorf("no revenue in either period: p = %g, want 1", p)
	}
	if p := DifferencePValue(empty.Ratio(), empty.Ratio()); !math.IsNaN(p) {
		t.Errorf("undefined ratios: p = %g, want NaN", p)
	}
	var bad MoneySums
	bad.Add(10, 1)
	bad.Add(math.Inf(1), 1)
	if got := bad.Total(); !math.IsNaN(got.Value) {
		t.Errorf("infinite revenue: Total() = %+v, want NaN", got)
	}
	var merged MoneySums
	merged.Add(5, 1)
	merged.Merge(&bad)
	if got := merged.Ratio(); !math.IsNaN(got.Value) {
		t.Errorf("merged with infinite revenue: Ratio() = %+v, want NaN", got)
	}
	// Per: revenue per day over 31 and 30 days.
	e := Estimate{Value: 3100, Variance: 961}.Per(31)
	if e != (Estimate{100, 1}) {
		t.Errorf("Per(31) = %+v, want {100 1}", e)
	}
	if got := (Estimate{1, 1}).Per(0); !math.IsNaN(got.Value) {
		t.Errorf("Per(0) = %+v, want NaN", got)
	}
	// Python: math.erfc(abs(110-100)/math.sqrt(25+16)/math.sqrt(2)) = 0.11834981273562832
	if p := DifferencePValue(Estimate{110, 25}, Estimate{100, 16}); !near(p, 0.11834981273562832, 1e-12) {
		t.Errorf("DifferencePValue = %.17g, Python 0.11834981273562832", p)
	}
	// The interval: 100 ± 1.959963984540054*3.
	if iv := (Estimate{100, 9}).Interval(); !near(iv.Low, 100-3*Z95, 1e-15) || !near(iv.High, 100+3*Z95, 1e-15) {
		t.Errorf("Interval() = %+v", iv)
	}
}

func TestStatMoneySumsMergeInvariance(t *testing.T) {
	// Revenue spanning cents to millions so that plain float sums do depend on the order.
	rng := rand.New(rand.NewPCG(11, 13))
	cs := make([]statCustomer, 1000)
	for i := range cs {
		o := 1 + rng.Int64N(5)
		cs[i] = statCustomer{math.Round(math.Exp(rng.Float64()*16-2)*100) / 100, o}
	}
	one := sumsOf(cs)
	want := [4]float64{one.Total().Value, one.Total().Variance, one.Ratio().Value, one.Ratio().Variance}

	// The data must actually exercise rounding: plain summation forwards and backwards differs.
	var fwd, bwd float64
	for i := range cs {
		fwd += cs[i].r * cs[i].r
		bwd += cs[len(cs)-1-i].r * cs[len(cs)-1-i].r
	}
	if fwd == bwd {
		t.Fatal("test data do not exercise rounding: plain Σr² is the same in both orders")
	}

	for _, parts := range []int{1, 3, 7} {
		for _, order := range []string{"forward", "reverse", "shuffled"} {
			acc := make([]MoneySums, parts)
			for i, c := range cs {
				// Uneven split: customer i goes to part (i*i) mod parts.
				acc[(i*i)%parts].Add(c.r, c.o)
			}
			idx := make([]int, parts)
			for i := range idx {
				idx[i] = i
			}
			switch order {
			case "reverse":
				for i, j := 0, len(idx)-1; i < j; i, j = i+1, j-1 {
					idx[i], idx[j] = idx[j], idx[i]
				}
			case "shuffled":
				rand.New(rand.NewPCG(uint64(parts), 1)).Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
			}
			var m MoneySums
			for _, i := range idx {
				m.Merge(&acc[i])
			}
			got := [4]float64{m.Total().Value, m.Total().Variance, m.Ratio().Value, m.Ratio().Variance}
			for k := range got {
				if math.Float64bits(got[k]) != math.Float64bits(want[k]) {
					t.Errorf("%d parts, %s merge: result %d = %.17g, one accumulator %.17g", parts, order, k, got[k], want[k])
				}
			}
			for k, pair := range [][2]*exactSum{{&m.r, &one.r}, {&m.r2, &one.r2}, {&m.o, &one.o}, {&m.o2, &one.o2}, {&m.ro, &one.ro}} {
				if math.Float64bits(pair[0].value()) != math.Float64bits(pair[1].value()) {
					t.Errorf("%d parts, %s merge: sum %d = %.17g, one accumulator %.17g", parts, order, k, pair[0].value(), pair[1].value())
				}
			}
		}
	}
}

func TestStatProperties(t *testing.T) {
	// Deterministic random inputs: intervals are ordered and contain the estimate, p-values lie in
	// [0, 1], swapping the samples leaves the p-value unchanged, identical samples give exactly 1.
	rng := rand.New(rand.NewPCG(5, 6))
	in01 := func(p float64) bool { return p >= 0 && p <= 1 }
	for range 2000 {
		n1, n2 := 1+rng.Int64N(3000), 1+rng.Int64N(3000)
		x1, x2 := rng.Int64N(n1+1), rng.Int64N(n2+1)
		iv := WilsonInterval(x1, n1)
		if est := float64(x1) / float64(n1); !(0 <= iv.Low && iv.Low <= est && est <= iv.High && iv.High <= 1) {
			t.Fatalf("WilsonInterval(%d, %d) = %v does not hold %g inside [0, 1]", x1, n1, iv, est)
		}
		p := TwoProportionPValue(x1, n1, x2, n2)
		if !in01(p) || p != TwoProportionPValue(x2, n2, x1, n1) {
			t.Fatalf("TwoProportionPValue(%d, %d, %d, %d) = %g, swapped %g", x1, n1, x2, n2, p, TwoProportionPValue(x2, n2, x1, n1))
		}
		if q := TwoProportionPValue(x1, n1, x1, n1); q != 1 {
			t.Fatalf("TwoProportionPValue of identical samples %d/%d = %g", x1, n1, q)
		}

		k1, k2 := rng.Int64N(5000), rng.Int64N(5000)
		t1, t2 := float64(28+rng.IntN(4)), float64(28+rng.IntN(4))
		pi := PoissonInterval(k1)
		if !(0 <= pi.Low && pi.Low <= float64(k1) && float64(k1) <= pi.High) {
			t.Fatalf("PoissonInterval(%d) = %v does not hold %d", k1, pi, k1)
		}
		pp := PoissonPValue(k1, t1, k2, t2)
		if sw := PoissonPValue(k2, t2, k1, t1); !in01(pp) || !near(sw, pp, 1e-9) {
			t.Fatalf("PoissonPValue(%d, %g, %d, %g) = %g, swapped %g", k1, t1, k2, t2, pp, sw)
		}
		if q := PoissonPValue(k1, t1, k1, t1); q != 1 {
			t.Fatalf("PoissonPValue of identical samples %d = %g", k1, q)
		}
	}
	cs := statCustomers(300, 9)
	s := sumsOf(cs)
	for _, e := range []Estimate{s.Total(), s.Ratio()} {
		iv := e.Interval()
		if !(iv.Low <= e.Value && e.Value <= iv.High) || DifferencePValue(e, e) != 1 {
			t.Errorf("estimate %+v: interval %v, self p %g", e, iv, DifferencePValue(e, e))
		}
	}
}

func TestVerdict(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		name            string
		cur, prev, p    float64
		minChange       float64
		want            Verdict
		wantSignificant bool
	}{
		{"significant and large", 110, 100, 0.01, 0.02, VerdictCallOut, true},
		{"significant decrease", 90, 100, 0.01, 0.02, VerdictCallOut, true},
		{"exactly the minimum change", 102, 100, 0.01, 0.02, VerdictCallOut, true},
		{"significant but small", 101, 100, 0.001, 0.02, VerdictBelowMinChange, true},
		{"large but not significant", 150, 100, 0.2, 0.02, VerdictNotSignificant, false},
		{"p at alpha is not below it", 150, 100, 0.05, 0.02, VerdictNotSignificant, false},
		// A rate's relative change is that of the rate: 10% → 11% is +10%, called out.
		{"rate, relative to the rate", 0.11, 0.10, 0.001, 0.02, VerdictCallOut, true},
		// 50% → 50.5% is one half point but only a 1% relative change.
		{"rate, small relative change", 0.505, 0.5, 0.001, 0.02, VerdictBelowMinChange, true},
		{"from zero", 5, 0, 0.01, 0.02, VerdictCallOut, true},
		{"same value, different exposure", 100, 100, 0.01, 0.02, VerdictBelowMinChange, true},
		{"no minimum", 100.5, 100, 0.01, 0, VerdictCallOut, true},
		{"missing previous", 100, nan, 0.01, 0.02, VerdictUndetermined, false},
		{"missing p-value", 100, 90, nan, 0.02, VerdictUndetermined, false},
	} {
		got := Judge(c.cur, c.prev, c.p, SignificanceLevel, c.minChange)
		if got != c.want || got.Significant() != c.wantSignificant {
			t.Errorf("%s: Judge = %d (significant %v), want %d (%v)", c.name, got, got.Significant(), c.want, c.wantSignificant)
		}
	}
	// The product's own case: conversion 97/766 against 105/752 is not news.
	if v := Judge(97.0/766, 105.0/752, TwoProportionPValue(97, 766, 105, 752), SignificanceLevel, 0.02); v != VerdictNotSignificant {
		t.Errorf("97/766 vs 105/752: verdict %d, want not significant", v)
	}
}

package kpi

import (
	"cmp"
	"math"
	"slices"

	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"
)

// The statistics behind the comparison of headline KPIs between periods: a 95% interval for each
// KPI and a two-sided p-value for its change, by the kind of KPI (spec §3 "Comparison"):
//
//   - rates (conversion, repeat purchase rate): Wilson interval, two-proportion z-test;
//   - counts (entrants, orders, purchasers): exact Poisson interval, exact conditional test;
//   - money (revenue, average order value): normal approximations over customers, the total under
//     a compound-Poisson model and the ratio of sums by the delta method.
//
// Everything here is a pure function of its arguments (no randomness, so no seed), and every sum is
// exact, so the same data gives the same bits however it was split between workers.

// Z95 is the standard normal quantile at 0.975: a 95% two-sided interval is the estimate ± Z95
// standard errors.
const Z95 = 1.959963984540054

// SignificanceLevel is the level at which a change counts as significant (spec: 95% intervals, so 5%).
const SignificanceLevel = 0.05

// Interval is a two-sided 95% confidence interval. Low ≤ High when both are numbers; both are NaN
// when the interval is undefined (invalid input).
type Interval struct {
	Low  float64 `json:"low"`
	High float64 `json:"high"`
}

var nanInterval = Interval{math.NaN(), math.NaN()}

// NormalCDF returns P(Z ≤ x) for a standard normal Z. It is accurate in both tails (erfc, not
// 1 − erf).
func NormalCDF(x float64) float64 {
	return 0.5 * math.Erfc(-x/math.Sqrt2)
}

// NormalQuantile returns the x with NormalCDF(x) = p: −Inf at 0, +Inf at 1, NaN outside [0, 1].
func NormalQuantile(p float64) float64 {
	if !(p >= 0 && p <= 1) {
		return math.NaN()
	}
	return distuv.UnitNormal.Quantile(p)
}

// normalTwoSided is the two-sided p-value of a standard normal statistic, P(|Z| ≥ |z|), computed as
// erfc(|z|/√2) so that small p-values keep their digits.
func normalTwoSided(z float64) float64 {
	return math.Erfc(math.Abs(z) / math.Sqrt2)
}

// WilsonInterval returns the 95% Wilson score interval for a proportion of x successes in n trials.
//
// It stays inside [0, 1], is exactly [0, …] at x = 0 and [… , 1] at x = n, and at n = 0 it is
// [0, 1]: that is the formula's own limit (no trials say nothing about the rate), and it lets a
// caller show an undefined rate with its honest interval. Invalid counts (n < 0, x < 0, x > n)
// give a NaN interval.
func WilsonInterval(x, n int64) Interval {
	if n < 0 || x < 0 || x > n {
		return nanInterval
	}
	if n == 0 {
		return Interval{0, 1}
	}
	const z2 = Z95 * Z95
	xf, nf := float64(x), float64(n)
	den := nf + z2
	center := (xf + z2/2) / den
	half := Z95 / den * math.Sqrt(xf*(nf-xf)/nf+z2/4)
	lo, hi := max(center-half, 0), min(center+half, 1)
	if x == 0 {
		lo = 0
	}
	if x == n {
		hi = 1
	}
	return Interval{lo, hi}
}

// TwoProportionPValue returns the two-sided p-value of the z-test that x1/n1 and x2/n2 estimate the
// same proportion: pooled variance, no continuity correction, the same number as R's
// prop.test(c(x1, x2), c(n1, n2), correct = FALSE).
//
// When both samples are all failures or all successes there is no evidence of a difference and the
// p-value is 1 (the statistic itself would be 0/0). Invalid counts, or a sample with no trials,
// give NaN: a rate without trials cannot be compared.
func TwoProportionPValue(x1, n1, x2, n2 int64) float64 {
	if n1 <= 0 || n2 <= 0 || x1 < 0 || x2 < 0 || x1 > n1 || x2 > n2 {
		return math.NaN()
	}
	if x1+x2 == 0 || x1+x2 == n1+n2 {
		return 1
	}
	a, b := float64(n1), float64(n2)
	pooled := float64(x1+x2) / (a + b)
	se := math.Sqrt(pooled * (1 - pooled) * (1/a + 1/b))
	return normalTwoSided((float64(x1)/a - float64(x2)/b) / se)
}

// PoissonInterval returns the exact (Garwood) 95% interval for the mean of a Poisson count k:
// [χ²(0.025; 2k)/2, χ²(0.975; 2k+2)/2], computed as gamma quantiles. At k = 0 the lower end is 0.
// A negative k gives a NaN interval. Divide both ends by the exposure for a rate.
func PoissonInterval(k int64) Interval {
	if k < 0 {
		return nanInterval
	}
	const a = 1 - 0.95
	lo := 0.0
	if k > 0 {
		lo = mathext.GammaIncRegInv(float64(k), a/2)
	}
	return Interval{lo, mathext.GammaIncRegInv(float64(k)+1, 1-a/2)}
}

// PoissonExactLimit is the largest k1 + k2 for which PoissonPValue computes the exact conditional
// test. Speed does not set it (the exact test sums only the terms that count, about a millisecond at
// 10⁶); precision and need do: above it the binomial probabilities come from lgamma of numbers
// beyond 10⁶, whose rounding (relative 1e-9 there, and growing with n) approaches the 1e-7
// tolerance by which the exact test decides ties, while the normal approximation is by then within
// 5e-4 of the exact p-value (measured at 10⁶ for periods of 31 and 30 days; 7e-5 near p = 0.05),
// an error that shrinks as 1/√(k1+k2).
const PoissonExactLimit = 1_000_000

// PoissonPValue returns the two-sided p-value of the test that a count k1 over exposure t1 and a
// count k2 over exposure t2 come from the same Poisson rate (the exposures are, for instance, the
// periods' lengths in days: 31 against 30).
//
// Up to PoissonExactLimit it is the exact conditional test, as R's poisson.test(c(k1, k2),
// c(t1, t2)) computes it: given k1 + k2 = n, k1 is Binomial(n, t1/(t1+t2)), and the p-value sums the
// probabilities of every outcome no more likely than k1 (R's binom.test, with its 1e-7 relative
// tolerance for ties). Above the limit it is the normal approximation to that binomial, without
// continuity correction. k1 = k2 = 0 gives 1 (nothing observed, nothing changed). Negative counts or
// exposures that are not positive and finite give NaN.
func PoissonPValue(k1 int64, t1 float64, k2 int64, t2 float64) float64 {
	if k1 < 0 || k2 < 0 || !(t1 > 0) || !(t2 > 0) || math.IsInf(t1, 0) || math.IsInf(t2, 0) {
		return math.NaN()
	}
	n := k1 + k2
	if n == 0 {
		return 1
	}
	p := t1 / (t1 + t2)
	if n > PoissonExactLimit {
		nf := float64(n)
		return normalTwoSided((float64(k1) - nf*p) / math.Sqrt(nf*p*(1-p)))
	}
	return binomTwoSided(k1, n, p)
}

// binomTwoSided is R's binom.test(x, n, p)$p.value (two-sided, 0 < p < 1): the probability of every
// outcome whose probability is at most d(x)·(1 + 1e-7). The tail beyond x is summed outward from x;
// the other tail starts where the (monotone) probabilities fall to d(x), found by bisection, and is
// summed outward from there. Summation stops once the terms no longer change the sum, so the cost
// is a few standard deviations of terms, not n.
func binomTwoSided(x, n int64, p float64) float64 {
	m := float64(n) * p
	if float64(x) == m {
		return 1
	}
	lp, lq := math.Log(p), math.Log1p(-p)
	ln1, _ := math.Lgamma(float64(n) + 1)
	logd := func(i int64) float64 {
		a, _ := math.Lgamma(float64(i) + 1)
		b, _ := math.Lgamma(float64(n-i) + 1)
		return ln1 - a - b + float64(i)*lp + float64(n-i)*lq
	}
	ldx := logd(x)
	limit := ldx + math.Log1p(1e-7)
	// sum adds exp(logd(i) − ldx) for i = from, from+step, … while i stays in [0, n], until the
	// terms stop counting. Terms are relative to d(x) so that they neither underflow nor overflow.
	sum := func(from, step int64) float64 {
		s := 0.0
		for i := from; i >= 0 && i <= n; i += step {
			t := math.Exp(logd(i) - ldx)
			if s+t == s {
				break
			}
			s += t
		}
		return s
	}
	var s float64
	if float64(x) < m {
		// This tail: i ≤ x. Other tail: the first i ≥ ⌈m⌉ with d(i) ≤ d(x)(1+1e-7); the probabilities
		// do not increase from ⌈m⌉ on (the mode is at most ⌈m⌉).
		lo, hi := int64(math.Ceil(m)), n+1 // logd(hi) counts as −∞
		for lo < hi {
			mid := lo + (hi-lo)/2
			if logd(mid) <= limit {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		if lo == x+1 {
			return 1 // every outcome is as unlikely as x: nothing is left out
		}
		s = sum(x, -1) + sum(lo, 1)
	} else {
		// This tail: i ≥ x. Other tail: the last i ≤ ⌊m⌋ with d(i) ≤ d(x)(1+1e-7).
		lo, hi := int64(-1), int64(math.Floor(m)) // logd(lo) counts as −∞
		for lo < hi {
			mid := hi - (hi-lo)/2
			if logd(mid) <= limit {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		if lo == x-1 {
			return 1
		}
		s = sum(x, 1) + sum(lo, -1)
	}
	return min(1, s*math.Exp(ldx))
}

// Estimate is a statistic with the variance of its approximately normal sampling distribution. A
// Value of NaN means the statistic is undefined (a ratio with nothing below the line).
type Estimate struct {
	Value    float64
	Variance float64
}

// Interval returns the 95% normal interval Value ± Z95·√Variance. It is not clipped: a total of a
// few customers can reach below zero, and a caller that shows it decides how.
func (e Estimate) Interval() Interval {
	if math.IsNaN(e.Value) || math.IsNaN(e.Variance) {
		return nanInterval
	}
	h := Z95 * math.Sqrt(e.Variance)
	return Interval{e.Value - h, e.Value + h}
}

// Per returns the estimate divided by the exposure t (value / t, variance / t²): revenue per day,
// so that periods of different length compare as rates. t must be positive; otherwise NaN.
func (e Estimate) Per(t float64) Estimate {
	if !(t > 0) || math.IsInf(t, 0) {
		return Estimate{math.NaN(), math.NaN()}
	}
	return Estimate{e.Value / t, e.Variance / (t * t)}
}

// DifferencePValue returns the two-sided p-value of the Wald test that two independent estimates
// have the same mean: z = (a − b)/√(Var a + Var b). Equal values give 1; different values with no
// variance at all give 0; an undefined estimate gives NaN.
//
// The periods compared share some customers, so they are not quite independent; the test ignores
// that, as the comparison of rates and counts does.
func DifferencePValue(a, b Estimate) float64 {
	if math.IsNaN(a.Value) || math.IsNaN(b.Value) || math.IsNaN(a.Variance) || math.IsNaN(b.Variance) {
		return math.NaN()
	}
	if a.Value == b.Value {
		return 1
	}
	v := a.Variance + b.Variance
	if v == 0 {
		return 0
	}
	return normalTwoSided((a.Value - b.Value) / math.Sqrt(v))
}

// MoneySums folds one customer at a time — the customer's revenue r and orders o in the period —
// into the sums Σr, Σr², Σo, Σo², Σro that the money statistics need. The zero value is empty and
// ready. Every sum, squares and products included, is kept exactly (exactSum over the exact
// two-float products), so Add and Merge in any order and split give bit-identical results.
//
// A MoneySums must not be copied after its first Add (it holds slices), nor used concurrently.
type MoneySums struct {
	r, r2, o, o2, ro exactSum
	// invalid is set by a revenue that is not finite, or whose square is not: every estimate is
	// then NaN rather than silently wrong.
	invalid bool
}

// Add folds one customer with revenue r (0 for a customer without revenue) and o orders. A revenue
// that is not finite, or whose square is not, spoils the sums: every estimate is then NaN.
func (s *MoneySums) Add(r float64, o int64) {
	of := float64(o)
	rr, rrLo := twoProduct(r, r)
	if math.IsNaN(rr) || math.IsInf(rr, 0) {
		s.invalid = true
		return
	}
	oo, ooLo := twoProduct(of, of)
	ro, roLo := twoProduct(r, of)
	s.r.add(r)
	s.r2.add(rr)
	s.r2.add(rrLo)
	s.o.add(of)
	s.o2.add(oo)
	s.o2.add(ooLo)
	s.ro.add(ro)
	s.ro.add(roLo)
}

// Merge adds the customers of o into s; o is left unchanged.
func (s *MoneySums) Merge(o *MoneySums) {
	s.r.merge(&o.r)
	s.r2.merge(&o.r2)
	s.o.merge(&o.o)
	s.o2.merge(&o.o2)
	s.ro.merge(&o.ro)
	s.invalid = s.invalid || o.invalid
}

// Total returns the total revenue Σr with its variance under the compound-Poisson approximation,
// Var(Σr) ≈ Σr² (customers arrive as a Poisson process, each bringing their revenue). For periods of
// different length compare Total().Per(days).
func (s *MoneySums) Total() Estimate {
	if s.invalid {
		return Estimate{math.NaN(), math.NaN()}
	}
	return Estimate{s.r.value(), s.r2.value()}
}

// Ratio returns R = Σr/Σo — the average order value when o counts orders — with its delta-method
// variance, cluster-robust over customers: Var(R) ≈ Σ(r − R·o)² / (Σo)²
// = (Σr² − 2RΣro + R²Σo²) / (Σo)². The numerator is evaluated exactly from the exact sums (for the
// rounded R), so it is a true sum of squares and never negative, however much the three terms
// cancel. With Σo = 0 the ratio is undefined: NaN.
func (s *MoneySums) Ratio() Estimate {
	so := s.o.value()
	if s.invalid || so == 0 {
		return Estimate{math.NaN(), math.NaN()}
	}
	ratio := s.r.value() / so
	// Σr² − 2R·Σro + R²·Σo², every product split exactly into two floats: −2R is exact, R² is
	// r2 + r2Lo, and the sums are lists of partials.
	var num exactSum
	num.merge(&s.r2)
	r2, r2Lo := twoProduct(ratio, ratio)
	for _, t := range [...]struct {
		f   float64
		sum *exactSum
	}{{-2 * ratio, &s.ro}, {r2, &s.o2}, {r2Lo, &s.o2}} {
		for _, p := range t.sum.partials {
			hi, lo := twoProduct(t.f, p)
			num.add(hi)
			num.add(lo)
		}
	}
	return Estimate{ratio, num.value() / (so * so)}
}

// twoProduct returns a·b as hi + lo exactly (hi the rounded product), barring overflow and underflow.
func twoProduct(a, b float64) (hi, lo float64) {
	hi = a * b
	return hi, math.FMA(a, b, -hi)
}

// Verdict says what a change between two periods amounts to.
type Verdict uint8

const (
	// VerdictUndetermined: a value or the p-value is missing (NaN), so nothing can be said.
	VerdictUndetermined Verdict = iota
	// VerdictNotSignificant: the change could be chance (p ≥ alpha).
	VerdictNotSignificant
	// VerdictBelowMinChange: significant, but smaller in relative size than the minimum change.
	VerdictBelowMinChange
	// VerdictCallOut: significant and at least the minimum change; the change is coloured.
	VerdictCallOut
)

// Significant reports whether the change was significant, whatever its size.
func (v Verdict) Significant() bool { return v == VerdictBelowMinChange || v == VerdictCallOut }

// Judge returns the verdict on the change from prev to cur given its p-value: called out when
// p < alpha and |cur − prev| / |prev| ≥ minChange. For a rate, cur and prev are the rates and the
// relative change is that of the rate itself (0.10 → 0.11 is 10%, not one point). A change from 0 to
// anything else is infinitely large in relative terms. alpha is SignificanceLevel in the product;
// minChange is the configured comparison.min_change.
func Judge(cur, prev, p, alpha, minChange float64) Verdict {
	if math.IsNaN(cur) || math.IsNaN(prev) || math.IsNaN(p) {
		return VerdictUndetermined
	}
	if !(p < alpha) {
		return VerdictNotSignificant
	}
	rel := math.Inf(1)
	switch {
	case cur == prev:
		rel = 0
	case prev != 0:
		rel = math.Abs(cur-prev) / math.Abs(prev)
	}
	if rel >= minChange {
		return VerdictCallOut
	}
	return VerdictBelowMinChange
}

// HolmAdjust returns the Holm–Bonferroni adjusted p-values of a family of tests, in the order
// given: with the m defined p-values sorted ascending, the i-th (from 1) becomes
// max over j ≤ i of min(1, (m − j + 1)·p₍ⱼ₎). Rejecting where the adjusted value is below α keeps
// the chance of any false rejection in the family at most α, whatever the tests' dependence.
// NaN (not tested) stays NaN and does not count in m.
func HolmAdjust(ps []float64) []float64 {
	out := make([]float64, len(ps))
	idx := make([]int, 0, len(ps))
	for i, p := range ps {
		out[i] = math.NaN()
		if !math.IsNaN(p) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(ps[a], ps[b]) })
	m := len(idx)
	running := 0.0
	for rank, i := range idx {
		running = max(running, min(1, float64(m-rank)*ps[i]))
		out[i] = running
	}
	return out
}

package kpi

import (
	"math"

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

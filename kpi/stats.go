package kpi

import (
	"math"

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

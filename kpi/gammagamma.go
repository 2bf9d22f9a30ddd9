package kpi

import (
	"cmp"
	"math"
	"slices"

	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/optimize"
)

// The Gamma-Gamma model of monetary value (Fader, Hardie & Lee 2005, "RFM and CLV: Using
// Iso-Value Curves for Customer Base Analysis", JMR 42(4); Fader & Hardie 2013, "The Gamma-Gamma
// Model of Monetary Value"): a customer's transaction values are Gamma(p, ν) around their mean
// p/ν, and ν varies across customers as Gamma(q, γ). A customer is summarised by x, the number of
// repeat transactions, and m̄, their mean value; the model assumes spend does not depend on how
// often the customer buys, which is why it is paired with BG/NBD rather than folded into it.

// gammaGammaCustomer is one repeat customer's input to the fit.
type gammaGammaCustomer struct {
	x    int32   // repeat transactions, at least 1
	mean float64 // their mean value, positive
}

// gammaGammaParams are the model's parameters; γ is in money.
type gammaGammaParams struct{ p, q, gamma float64 }

// populationMean is the expected mean spend of a customer about whom nothing is known, pγ/(q−1).
// For q ≤ 1 the heterogeneity in ν leaves so much weight near ν = 0 that it is infinite, and ok
// is false.
func (g gammaGammaParams) populationMean() (v float64, ok bool) {
	if g.q <= 1 {
		return 0, false
	}
	return g.p * g.gamma / (g.q - 1), true
}

// conditionalMean is the expected mean spend of a customer with x repeat transactions of mean value
// mean (Fader, Hardie & Lee 2005, eq. 3): (γ + m̄x)·p / (px + q − 1), a weighted average of the
// population mean and the customer's own mean, the weight on their own mean, px/(px+q−1),
// growing with x. It is p times the posterior mean of 1/ν, finite when px + q > 1: always when
// q > 1, and for q ≤ 1 only once px > 1 − q. Where it is infinite ok is false. With x = 0 it is the
// population mean.
func (g gammaGammaParams) conditionalMean(x int, mean float64) (v float64, ok bool) {
	if x <= 0 {
		return g.populationMean()
	}
	fx := float64(x)
	den := g.p*fx + g.q - 1
	if den <= 0 {
		return 0, false
	}
	return (g.gamma + mean*fx) * g.p / den, true
}

// gammaGammaFit is the outcome of a fit: the parameters and log-likelihood when converged,
// otherwise the reason with the numbers behind it.
type gammaGammaFit struct {
	converged bool
	reason    FitReason
	// For FitTooFewCustomers: the customers used and the least needed. For FitFlat: the least
	// curvature found and the least required.
	have, need float64
	// param names the parameter at a bound, or the one moving most along a flat direction.
	param  string
	params gammaGammaParams
	ll     float64
	// customers were used by the fit; skipped were left out for having x < 1 or a mean value
	// that is not a positive number (a free order makes the second).
	customers, skipped int
}

// Thin data: below this many repeat customers the fit is not attempted.
const gammaGammaMinCustomers = 20

// Limits of the fit, as for BG/NBD: at an optimum the gradient of the mean log-likelihood with
// respect to the log-parameters is below gammaGammaGradTol and its curvature in every direction at
// least gammaGammaMinCurvature (the CDNOW fit has 1e-2, simulated ones more; where spend varies
// within customers but hardly between them, q and γ run off together along a ridge where it is
// 1e-5 or less, even negative). Log-parameters (of the data in units of its average) beyond
// ±gammaGammaMaxLog mean the parameter runs off to 0 or ∞: there ln Γ(q) is so large that the
// likelihood's differences have lost half their digits, and the optimiser stalls on noise.
const (
	gammaGammaMaxLog       = 12
	gammaGammaGradTol      = 1e-7
	gammaGammaMinCurvature = 1e-5
)

// gammaGammaData is the fit's input in units of the customers' average mean value, so that γ
// starts and ends near 1 whatever the currency.
type gammaGammaData struct {
	x, m, lnm []float64
}

// logLik returns the log-likelihood of the data at g and, when grad is not nil, stores its
// gradient with respect to (ln p, ln q, ln γ). Each customer adds the log density of m̄
// (Fader & Hardie 2013, eq. 5),
//
//	ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ + (px−1) ln m̄ + px ln x − (px+q) ln(γ+m̄x),
//
// written as ln Γ(px+q) − ln Γ(px) − ln Γ(q) − ln m̄ − q ln(1 + m̄x/γ) − px ln(1 + γ/(m̄x)), where
// no two large terms cancel.
func (d *gammaGammaData) logLik(g gammaGammaParams, grad []float64) float64 {
	p, q, gm := g.p, g.q, g.gamma
	lgq, _ := math.Lgamma(q)
	var dgq float64
	if grad != nil {
		dgq = mathext.Digamma(q)
	}
	var ll, gp, gq, gg float64
	for i, x := range d.x {
		px := p * x
		mx := d.m[i] * x
		a, _ := math.Lgamma(px + q)
		b, _ := math.Lgamma(px)
		l1, l2 := math.Log1p(mx/gm), math.Log1p(gm/mx)
		ll += a - b - lgq - d.lnm[i] - q*l1 - px*l2
		if grad != nil {
			dpq := mathext.Digamma(px + q)
			gp += px * (dpq - mathext.Digamma(px) - l2)
			gq += q * (dpq - dgq - l1)
			gg += (q*mx - gm*px) / (gm + mx)
		}
	}
	if grad != nil {
		grad[0], grad[1], grad[2] = gp, gq, gg
	}
	return ll
}

// fitGammaGamma fits the model by maximum likelihood: it minimises the negative mean
// log-likelihood over the log-parameters with BFGS from several starts and keeps the best start
// that converged, then checks that the optimum is a strict one. The same customers in any order
// give the same fit.
func fitGammaGamma(cs []gammaGammaCustomer) gammaGammaFit {
	var used []gammaGammaCustomer
	for _, c := range cs {
		if c.x >= 1 && c.mean > 0 && !math.IsInf(c.mean, 0) {
			used = append(used, c)
		}
	}
	fit := gammaGammaFit{customers: len(used), skipped: len(cs) - len(used)}
	if len(used) < gammaGammaMinCustomers {
		fit.reason, fit.have, fit.need = FitTooFewCustomers, float64(len(used)), gammaGammaMinCustomers
		return fit
	}
	// Sorted, the customers give the same sums in whatever order they came.
	slices.SortFunc(used, func(a, b gammaGammaCustomer) int {
		if c := cmp.Compare(a.x, b.x); c != 0 {
			return c
		}
		return cmp.Compare(a.mean, b.mean)
	})
	if !slices.ContainsFunc(used, func(c gammaGammaCustomer) bool { return c.mean != used[0].mean }) {
		fit.reason = FitNoSpread
		return fit
	}
	var sum exactSum
	for _, c := range used {
		sum.add(c.mean)
	}
	scale := sum.value() / float64(len(used))
	d := &gammaGammaData{}
	for _, c := range used {
		m := c.mean / scale
		d.x = append(d.x, float64(c.x))
		d.m = append(d.m, m)
		d.lnm = append(d.lnm, math.Log(m))
	}
	n := float64(len(used))
	names := [3]string{"p", "q", "gamma"}

	toParams := func(th []float64) gammaGammaParams {
		return gammaGammaParams{math.Exp(th[0]), math.Exp(th[1]), math.Exp(th[2])}
	}
	objective := func(th []float64, grad []float64) float64 {
		for _, v := range th {
			if math.Abs(v) > 2*gammaGammaMaxLog || math.IsNaN(v) {
				for i := range grad {
					grad[i] = math.NaN()
				}
				return math.Inf(1)
			}
		}
		ll := d.logLik(toParams(th), grad)
		for i := range grad {
			grad[i] = -grad[i] / n
		}
		if math.IsNaN(ll) {
			return math.Inf(1)
		}
		return -ll / n
	}
	problem := optimize.Problem{
		Func: func(th []float64) float64 { return objective(th, nil) },
		Grad: func(grad, th []float64) { objective(th, grad) },
	}
	// Starts in (p, q); γ = (q−1)/p puts the population mean at the data's average, except for the
	// last, whose q = 1 starts from an infinite one.
	starts := [][3]float64{{1, 2, 1}, {4, 3, 0.5}, {10, 6, 0.5}, {0.5, 1.5, 1}, {1, 1, 1}}
	// The best start that converged; failing that, the best at a bound, then the best that did
	// not converge.
	type end struct {
		f float64
		x []float64
	}
	conv, bound, stalled := end{f: math.Inf(1)}, end{f: math.Inf(1)}, end{f: math.Inf(1)}
	curvature := func(x []float64) (float64, []float64, bool) {
		return minCurvature(hessian(x, func(grad, th []float64) { objective(th, grad) }, 1e-4))
	}
	for _, s := range starts {
		th := []float64{math.Log(s[0]), math.Log(s[1]), math.Log(s[2])}
		settings := &optimize.Settings{
			GradientThreshold: gammaGammaGradTol / 100,
			MajorIterations:   500,
			Converger:         &optimize.FunctionConverge{Absolute: 1e-14, Iterations: 20},
		}
		// An error (a line search that can make no progress) is judged by where it stopped, like
		// any other end.
		res, _ := optimize.Minimize(problem, th, settings, &optimize.BFGS{})
		if res == nil {
			continue
		}
		var grad [3]float64
		f := objective(res.X, grad[:])
		if math.IsInf(f, 0) || math.IsNaN(f) {
			continue
		}
		e := &conv
		switch {
		case slices.ContainsFunc(res.X, func(v float64) bool { return math.Abs(v) > gammaGammaMaxLog }):
			e = &bound
		case slices.ContainsFunc(grad[:], func(v float64) bool { return !(math.Abs(v) <= gammaGammaGradTol) }):
			e = &stalled
		}
		if f < e.f {
			e.f, e.x = f, slices.Clone(res.X)
		}
	}
	switch {
	case conv.x != nil:
	case bound.x != nil:
		fit.reason, fit.param = FitAtBound, names[argMaxAbs(bound.x)]
		return fit
	case stalled.x != nil:
		// Stalled on a ridge, or merely slow: the curvature where it stopped tells which.
		fit.reason = FitNotConverged
		if curv, vec, ok := curvature(stalled.x); ok && curv < gammaGammaMinCurvature {
			fit.reason, fit.param = FitFlat, names[argMaxAbs(vec)]
			fit.have, fit.need = curv, gammaGammaMinCurvature
		}
		return fit
	default:
		fit.reason = FitNotConverged
		return fit
	}
	bestX := conv.x
	curv, vec, ok := curvature(bestX)
	switch {
	case !ok:
		fit.reason = FitNotFinite
		return fit
	case curv < gammaGammaMinCurvature:
		fit.reason, fit.have, fit.need = FitFlat, curv, gammaGammaMinCurvature
		fit.param = names[argMaxAbs(vec)]
		return fit
	}
	g := toParams(bestX)
	g.gamma *= scale
	// The log-likelihood of the data as given, in money, not of the rescaled data.
	orig := &gammaGammaData{}
	for _, c := range used {
		orig.x = append(orig.x, float64(c.x))
		orig.m = append(orig.m, c.mean)
		orig.lnm = append(orig.lnm, math.Log(c.mean))
	}
	ll := orig.logLik(g, nil)
	if math.IsNaN(ll) || math.IsInf(ll, 0) {
		fit.reason = FitNotFinite
		return fit
	}
	fit.converged, fit.reason, fit.params, fit.ll = true, FitOK, g, ll
	return fit
}

// argMaxAbs is the index of the element of v largest in size, the first of equals.
func argMaxAbs(v []float64) int {
	k := 0
	for i, x := range v {
		if math.Abs(x) > math.Abs(v[k]) {
			k = i
		}
	}
	return k
}

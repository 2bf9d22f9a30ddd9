package kpi

import (
	"cmp"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// Response curves: how a paid touchpoint's daily attributed revenue answers its daily spend. The
// curve is a Hill function of the adstocked spend,
//
//	revenue_d = β · x_d^α / (x_d^α + κ^α),   x_d = s_d + θ·x_{d−1},  x_0 = s_0,
//
// where β is the revenue the touchpoint tends to at unlimited spend, κ the adstocked spend that
// earns half of it, α the shape (α ≤ 1 bends down from the start, α > 1 is an S) and θ in [0, 0.9]
// the share of a day's spend still at work the next day (geometric adstock). Held at a daily
// spend s, the adstocked spend settles at s/(1−θ), so the steady-state curve is
// R(s) = β·h(s/(1−θ)). The fit is least squares, deterministic, from several starts; the
// parameters the data decide are α and κ(1−θ), the half-saturation spend in steady state, so the
// fit measures κ in those terms and judges identification by how well it knows them.

// responseCurve is a fitted curve. κ is in adstocked spend per day, β in revenue per day.
type responseCurve struct {
	beta, alpha, kappa, theta float64
}

// hill is the share of β earned at steady daily spend s, and the logistic's slope factor
// h(1−h), computed as a logistic in ln s so that neither under- nor overflows.
func (c responseCurve) hill(s float64) (h, slope float64) {
	if s <= 0 {
		return 0, 0
	}
	z := c.alpha * (math.Log(s/(1-c.theta)) - math.Log(c.kappa))
	return logistic(z), logistic(z) * logistic(-z)
}

// revenue is the expected daily revenue at a steady daily spend s ≥ 0.
func (c responseCurve) revenue(s float64) float64 {
	h, _ := c.hill(s)
	return c.beta * h
}

// marginalROAS is dR/ds, the revenue the next unit of daily spend earns in steady state. At s = 0
// it is the curve's limit there: 0 for α > 1, β/(κ(1−θ)) for α = 1 and +Inf for α < 1.
func (c responseCurve) marginalROAS(s float64) float64 {
	if s <= 0 {
		switch {
		case c.alpha > 1:
			return 0
		case c.alpha == 1:
			return c.beta / (c.kappa * (1 - c.theta))
		}
		return math.Inf(1)
	}
	_, slope := c.hill(s)
	return c.beta * c.alpha * slope / s
}

// averageROAS is R(s)/s, the revenue per unit of daily spend; at s = 0 it is the marginal ROAS.
func (c responseCurve) averageROAS(s float64) float64 {
	if s <= 0 {
		return c.marginalROAS(0)
	}
	return c.revenue(s) / s
}

// logistic is 1/(1+e^−z) without overflow.
func logistic(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// responseFit is the outcome of fitting a curve: the curve and whether the data identify it,
// otherwise the reason with the numbers behind it. The data's counts are given either way.
type responseFit struct {
	identified bool
	reason     FitReason
	// For the too-few reasons: what the data had and what the rule needs. For FitFlat: the
	// standard error of ln α or ln κ(1−θ), whichever is worse (−1 when the optimum is not a strict
	// one, so has none), and the most allowed.
	have, need float64
	// param names the parameter at a bound ("alpha", "kappa", "theta"), or the one the data know
	// least ("alpha", "kappa") for FitFlat.
	param string
	// curve is the best fit found; it is set only when identified.
	curve responseCurve
	// days, spendLevels and revenueDays are the series' counts the identification rules read.
	days, spendLevels, revenueDays int
	// rSquared is 1 − SSE/Σ revenue², the share of the revenue's sum of squares the curve explains
	// (the curve has no intercept, so it is measured from 0, not from the mean).
	rSquared float64
}

// Identification rules. A curve needs responseMinDays days; responseMinSpendLevels distinct daily
// spends once rounded to responseLevelUnit of the median positive spend, or there is no curve to
// see, only a point; and responseMinRevenueDays days with attributed revenue. The last stands for
// "about ten conversions' worth of revenue": the series carries revenue, not conversions, and a
// day with revenue has at least one conversion, so it counts days with revenue > 0, a lower bound
// on the conversions.
const (
	responseMinDays        = 28
	responseMinSpendLevels = 5
	responseMinRevenueDays = 10
	responseLevelUnit      = 0.01
)

// Ranges of the parameters, each reached through a logistic (bounded) of an unconstrained
// coordinate. κ is measured as c = κ(1−θ)/m, the steady-state half-saturation spend in units of
// m, the median positive daily spend; a c at the low end means the curve is flat over every spend
// seen, at the high end that it has not begun to bend. A coordinate beyond ±responseEdge (the
// parameter within 0.1% of its range's end) is at a bound; a θ below responseMinTheta is taken
// as no carryover and the curve is refitted without it.
const (
	responseAlphaMin, responseAlphaMax = 0.3, 5
	responseCMin, responseCMax         = 0.01, 100
	responseThetaMax                   = 0.9
	responseEdge                       = 6.9 // ln(999)
	responseMinTheta                   = 0.01
)

// responseMaxSE is the most standard error that ln α and ln κ(1−θ) may have for the curve to
// count as identified: each known within a factor of about 1.65 either way. The standard errors
// are those of nonlinear least squares, σ̂²(JᵀJ)⁻¹, from the curvature of the fit's objective.
const responseMaxSE = 0.5

// responseGradTol is the gradient of the objective (the share of Σ revenue² left unexplained)
// with respect to the unconstrained coordinates below which a start has converged.
const responseGradTol = 1e-8

// fitResponse fits a curve to a touchpoint's daily spend and attributed revenue, oldest day
// first, one entry a day (a day without spend is a 0). With adstock false θ is 0. Spend must be
// finite and not negative and revenue finite; otherwise the reason is FitNotFinite. The two
// series must be as long as each other.
func fitResponse(spend, revenue []float64, adstock bool) responseFit {
	if len(spend) != len(revenue) {
		panic("kpi: fitResponse: spend and revenue of different lengths")
	}
	fit := responseFit{days: len(spend)}
	for i, s := range spend {
		if !(s >= 0) || math.IsInf(s, 0) || math.IsNaN(revenue[i]) || math.IsInf(revenue[i], 0) {
			fit.reason = FitNotFinite
			return fit
		}
		if revenue[i] > 0 {
			fit.revenueDays++
		}
	}
	var pos []float64
	for _, s := range spend {
		if s > 0 {
			pos = append(pos, s)
		}
	}
	med := 0.0
	if len(pos) > 0 {
		slices.Sort(pos)
		med = quantileSorted(pos, 0.5)
		levels := map[float64]bool{}
		for _, s := range spend {
			levels[math.Round(s/(responseLevelUnit*med))] = true
		}
		fit.spendLevels = len(levels)
	} else if len(spend) > 0 {
		fit.spendLevels = 1
	}
	switch {
	case fit.days < responseMinDays:
		fit.reason, fit.have, fit.need = FitTooFewDays, float64(fit.days), responseMinDays
		return fit
	case fit.spendLevels < responseMinSpendLevels:
		fit.reason, fit.have, fit.need = FitTooFewSpendLevels, float64(fit.spendLevels), responseMinSpendLevels
		return fit
	case fit.revenueDays < responseMinRevenueDays:
		fit.reason, fit.have, fit.need = FitTooFewRevenueDays, float64(fit.revenueDays), responseMinRevenueDays
		return fit
	}

	// In units of the median positive spend and of the revenue's root mean square, every fit
	// starts from the same places whatever the currency and the touchpoint's size.
	var rr exactSum
	for _, r := range revenue {
		rr.add(r * r)
	}
	rms := math.Sqrt(rr.value() / float64(len(revenue)))
	d := &responseData{s: make([]float64, len(spend)), r: make([]float64, len(revenue))}
	for i := range spend {
		d.s[i] = spend[i] / med
		d.r[i] = revenue[i] / rms
	}
	d.init()

	best := d.fit(adstock)
	if adstock && best.reason == FitOK && best.theta < responseMinTheta {
		best = d.fit(false)
	}
	fit.reason, fit.param, fit.have, fit.need = best.reason, best.param, best.have, best.need
	if best.reason != FitOK {
		return fit
	}
	fit.identified = true
	fit.rSquared = 1 - best.f
	fit.curve = responseCurve{
		beta:  best.beta * rms,
		alpha: best.alpha,
		kappa: best.c * med / (1 - best.theta),
		theta: best.theta,
	}
	return fit
}

// responseData is a series in fitting units, with scratch space for the adstocked spend x and
// its derivative in θ.
type responseData struct {
	s, r  []float64
	rr    float64 // Σ r²
	x, dx []float64
}

func (d *responseData) init() {
	for _, r := range d.r {
		d.rr += r * r
	}
	d.x = make([]float64, len(d.s))
	d.dx = make([]float64, len(d.s))
}

// responseParams are a point of the fit in fitting units, with β profiled out.
type responseParams struct {
	alpha, c, theta float64
}

// responseFromCoords maps unconstrained coordinates u (α, c and, with adstock, θ) to parameters, and
// gives the derivatives of α, ln c and θ with respect to them.
func responseFromCoords(u []float64) (p responseParams, dAlpha, dLnC, dTheta float64) {
	sa := logistic(u[0])
	p.alpha = responseAlphaMin + (responseAlphaMax-responseAlphaMin)*sa
	dAlpha = (responseAlphaMax - responseAlphaMin) * sa * (1 - sa)
	lo, hi := math.Log(responseCMin), math.Log(responseCMax)
	sc := logistic(u[1])
	p.c = math.Exp(lo + (hi-lo)*sc)
	dLnC = (hi - lo) * sc * (1 - sc)
	if len(u) > 2 {
		st := logistic(u[2])
		p.theta = responseThetaMax * st
		dTheta = responseThetaMax * st * (1 - st)
	}
	return p, dAlpha, dLnC, dTheta
}

// objective returns the share of Σ r² that the best curve with shape p leaves unexplained,
// 1 − (Σ r·h)²/(Σ h²·Σ r²), with β = Σ r·h / Σ h² profiled out, and β; with grad not nil it stores
// the gradient with respect to u. Since β is optimal for every shape, the gradient is that of
// the sum of squares at fixed β (the envelope theorem): −2β Σ (r − βh) ∂h/∂u / Σ r².
func (d *responseData) objective(u, grad []float64) (f, beta float64) {
	p, dAlpha, dLnC, dTheta := responseFromCoords(u)
	lnKappa := math.Log(p.c) - math.Log1p(-p.theta)
	// The adstocked spend and its derivative in θ.
	for i, s := range d.s {
		if i == 0 {
			d.x[0], d.dx[0] = s, 0
			continue
		}
		d.x[i] = s + p.theta*d.x[i-1]
		d.dx[i] = d.x[i-1] + p.theta*d.dx[i-1]
	}
	var rh, hh float64
	for i, x := range d.x {
		if x <= 0 {
			continue
		}
		h := logistic(p.alpha * (math.Log(x) - lnKappa))
		rh += d.r[i] * h
		hh += h * h
	}
	if hh == 0 || !(rh > 0) {
		// No spend, or revenue only on days the curve gives none: nothing to fit.
		for i := range grad {
			grad[i] = 0
		}
		return 1, 0
	}
	beta = rh / hh
	f = 1 - rh*rh/(hh*d.rr)
	if grad == nil {
		return f, beta
	}
	var g0, g1, g2 float64
	for i, x := range d.x {
		if x <= 0 {
			continue
		}
		lx := math.Log(x) - lnKappa
		z := p.alpha * lx
		slope := logistic(z) * logistic(-z)
		w := (d.r[i] - beta*logistic(z)) * slope // residual × ∂h/∂z
		g0 += w * lx
		g1 -= w * p.alpha
		g2 += w * p.alpha * (d.dx[i]/x - 1/(1-p.theta))
	}
	k := -2 * beta / d.rr
	grad[0] = k * g0 * dAlpha
	grad[1] = k * g1 * dLnC
	if len(grad) > 2 {
		grad[2] = k * g2 * dTheta
	}
	return f, beta
}

// responseBest is the outcome of one fit in fitting units.
type responseBest struct {
	reason                FitReason
	param                 string
	have, need            float64
	alpha, c, theta, beta float64
	f                     float64
}

// fit minimises the objective with BFGS from a grid of starts and judges the best.
func (d *responseData) fit(adstock bool) responseBest {
	k := 2
	if adstock {
		k = 3
	}
	obj := func(u []float64) float64 {
		f, _ := d.objective(u, nil)
		return f
	}
	problem := optimize.Problem{Func: obj, Grad: func(g, u []float64) { d.objective(u, g) }}
	logit := func(v, lo, hi float64) float64 {
		q := (v - lo) / (hi - lo)
		return math.Log(q / (1 - q))
	}
	var starts [][]float64
	for _, a := range []float64{0.8, 2} {
		for _, c := range []float64{0.3, 1, 3} {
			u := []float64{
				logit(a, responseAlphaMin, responseAlphaMax),
				logit(math.Log(c), math.Log(responseCMin), math.Log(responseCMax)),
			}
			if !adstock {
				starts = append(starts, u)
				continue
			}
			for _, th := range []float64{0.2, 0.6} {
				starts = append(starts, append(slices.Clone(u), logit(th, 0, responseThetaMax)))
			}
		}
	}
	// The best end of all, converged or not: if it lies at a bound, the data prefer the bound.
	var bestU []float64
	bestF := math.Inf(1)
	for _, u0 := range starts {
		settings := &optimize.Settings{
			GradientThreshold: responseGradTol / 100,
			MajorIterations:   500,
			Converger:         &optimize.FunctionConverge{Absolute: 1e-15, Iterations: 20},
		}
		// An error (a line search that can make no progress) is judged by where it stopped.
		res, _ := optimize.Minimize(problem, u0, settings, &optimize.BFGS{})
		if res == nil {
			continue
		}
		if f := obj(res.X); f < bestF {
			bestF, bestU = f, slices.Clone(res.X)
		}
	}
	out := responseBest{reason: FitNotConverged}
	if bestU == nil {
		return out
	}
	p, _, _, _ := responseFromCoords(bestU)
	_, beta := d.objective(bestU, nil)
	out.alpha, out.c, out.theta, out.beta, out.f = p.alpha, p.c, p.theta, beta, bestF
	names := []string{"alpha", "kappa", "theta"}
	g := make([]float64, k)
	d.objective(bestU, g)
	for i, v := range bestU {
		// θ at its low end is no carryover, a value like any other; the caller refits without it.
		if i == 2 && v < -responseEdge {
			continue
		}
		if math.Abs(v) > responseEdge {
			out.reason, out.param = FitAtBound, names[i]
			return out
		}
	}
	if slices.ContainsFunc(g, func(v float64) bool { return !(math.Abs(v) <= responseGradTol) }) {
		return out
	}
	if !(beta > 0) {
		out.reason = FitFlat
		return out
	}
	if adstock && p.theta < responseMinTheta {
		// The caller refits without adstock and judges identification on that fit.
		out.reason = FitOK
		return out
	}
	out.reason, out.param, out.have, out.need = d.identified(bestU, bestF)
	return out
}

// identified judges the optimum u: the standard errors of ln α and ln κ(1−θ), from
// Cov(u) = 2F/(n−k) H⁻¹ with H the Hessian of the objective F (which is Σ(r−βh)²/Σr²), must be at
// most responseMaxSE. It returns FitOK, or FitFlat with the parameter the data know least, its
// standard error and the limit.
func (d *responseData) identified(u []float64, f float64) (FitReason, string, float64, float64) {
	n := len(u)
	hess := hessian(u, func(g, x []float64) { d.objective(x, g) }, 1e-4)
	curv, vec, ok := minCurvature(hess)
	var inv mat.SymDense
	var chol mat.Cholesky
	if !ok || curv <= 0 || !chol.Factorize(hess) || chol.InverseTo(&inv) != nil {
		// Not a strict minimum: a ridge, or a saddle. Name the parameter moving most along the
		// flattest direction.
		param := "kappa"
		if ok && math.Abs(vec[0]) > math.Abs(vec[1]) {
			param = "alpha"
		}
		return FitFlat, param, -1, responseMaxSE
	}
	// n−k degrees of freedom, k counting β too.
	dof := float64(len(d.r) - n - 1)
	scale := 2 * f / dof
	p, dAlpha, dLnC, _ := responseFromCoords(u)
	seAlpha := dAlpha / p.alpha * math.Sqrt(scale*inv.At(0, 0))
	seKappa := dLnC * math.Sqrt(scale*inv.At(1, 1))
	switch {
	case seAlpha > responseMaxSE && seAlpha >= seKappa:
		return FitFlat, "alpha", seAlpha, responseMaxSE
	case seKappa > responseMaxSE:
		return FitFlat, "kappa", seKappa, responseMaxSE
	}
	return FitOK, "", 0, 0
}

// responseTouchpoint is one paid touchpoint's input to the allocation: its current daily spend and
// either its curve or, when the curve is not identified, its average ROAS, taken as constant.
type responseTouchpoint struct {
	name  string
	spend float64
	curve *responseCurve // nil: use roas
	roas  float64
	// maxTake is the most this touchpoint may receive; 0 means no limit but its curve's.
	maxTake float64
}

func (t *responseTouchpoint) revenue(s float64) float64 {
	if t.curve == nil {
		return t.roas * s
	}
	return t.curve.revenue(s)
}

func (t *responseTouchpoint) marginal(s float64) float64 {
	if t.curve == nil {
		return t.roas
	}
	return t.curve.marginalROAS(s)
}

// responseMove is spend moved per day from one touchpoint to another, and the daily revenue it is
// expected to add under the curves (or the average ROAS of a touchpoint without one: fromAverage,
// toAverage).
type responseMove struct {
	from, to               string
	amount                 float64
	revenueChange          float64
	fromAverage, toAverage bool
}

// responseAllocSteps is how many steps the moveable spend (Σ maxShift × spend over the
// touchpoints) is cut into. A step that would carry the two marginal ROAS past each other is cut
// short where they meet.
const responseAllocSteps = 1000

// allocateByResponse moves daily spend, one small step at a time, from the touchpoint whose next
// unit of spend earns least (the lowest marginal ROAS) to the one whose next unit earns most, until
// the two meet or no touchpoint may give more: a touchpoint gives at most maxShift (0..1) of its
// current spend and takes at most its maxTake (when set), and one that has received does not
// give, nor one that has given receive. Total
// spend is unchanged. On S-shaped curves (α > 1) the marginal ROAS rises before it falls, so the
// steps find a local, not necessarily the best, split. Touchpoints with a spend that is negative
// or not finite, or without a curve and with a ROAS that is not finite, take no part. Ties go to
// the name first in order; names must differ. The moves come sorted by from, then to; the same
// input in any order gives the same moves, to the bit.
func allocateByResponse(tps []responseTouchpoint, maxShift float64) []responseMove {
	var ts []responseTouchpoint
	for _, t := range tps {
		if t.spend >= 0 && !math.IsInf(t.spend, 0) && (t.curve != nil || (!math.IsNaN(t.roas) && !math.IsInf(t.roas, 0))) {
			ts = append(ts, t)
		}
	}
	slices.SortFunc(ts, func(a, b responseTouchpoint) int { return cmp.Compare(a.name, b.name) })
	for i := 1; i < len(ts); i++ {
		if ts[i].name == ts[i-1].name {
			panic("kpi: allocateByResponse: two touchpoints named " + ts[i].name)
		}
	}
	if !(maxShift > 0) {
		return []responseMove{}
	}
	maxShift = min(maxShift, 1)
	const (
		none = iota
		giver
		taker
	)
	n := len(ts)
	spend := make([]float64, n)
	left := make([]float64, n) // what each may still give
	room := make([]float64, n) // what each may still take
	role := make([]int, n)
	var total float64
	for i, t := range ts {
		spend[i] = t.spend
		left[i] = maxShift * t.spend
		total += left[i]
		room[i] = math.Inf(1)
		if t.maxTake > 0 {
			room[i] = t.maxTake
		}
	}
	step := total / responseAllocSteps
	type pair struct{ from, to int }
	moved := map[pair]*responseMove{}
	if step == 0 {
		return []responseMove{}
	}
	for range 100 * responseAllocSteps {
		g, t := -1, -1
		var mg, mt float64
		for i := range ts {
			if role[i] != taker && left[i] > 0 {
				if m := ts[i].marginal(spend[i]); g < 0 || m < mg {
					g, mg = i, m
				}
			}
		}
		for i := range ts {
			if role[i] != giver && i != g && room[i] > 0 {
				if m := ts[i].marginal(spend[i]); t < 0 || m > mt {
					t, mt = i, m
				}
			}
		}
		if g < 0 || t < 0 || !(mt > mg) || mt-mg <= 1e-12*math.Abs(mt) {
			break
		}
		a := min(step, left[g])
		if left[g]-a < step*1e-9 {
			a = left[g] // no crumbs left behind
		}
		if room[t] < a {
			a = room[t]
		}
		meet := func(a float64) bool { return ts[t].marginal(spend[t]+a) <= ts[g].marginal(spend[g]-a) }
		if meet(a) {
			// They cross within this step: move just to where they meet.
			lo, hi := 0.0, a
			for range 100 {
				mid := (lo + hi) / 2
				if mid == lo || mid == hi {
					break
				}
				if meet(mid) {
					hi = mid
				} else {
					lo = mid
				}
			}
			a = lo
			if a == 0 {
				// Met to the last bit: no step is small enough to move, and the pair would
				// be picked again.
				break
			}
		}
		gain := ts[t].revenue(spend[t]+a) - ts[t].revenue(spend[t]) + ts[g].revenue(spend[g]-a) - ts[g].revenue(spend[g])
		spend[g] -= a
		spend[t] += a
		left[g] -= a
		room[t] -= a
		role[g], role[t] = giver, taker
		m := moved[pair{g, t}]
		if m == nil {
			m = &responseMove{from: ts[g].name, to: ts[t].name, fromAverage: ts[g].curve == nil, toAverage: ts[t].curve == nil}
			moved[pair{g, t}] = m
		}
		m.amount += a
		m.revenueChange += gain
	}
	out := make([]responseMove, 0, len(moved))
	for _, m := range moved {
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b responseMove) int {
		if c := cmp.Compare(a.from, b.from); c != 0 {
			return c
		}
		return cmp.Compare(a.to, b.to)
	})
	return out
}

package kpi

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// FitReason says, as a code, why a model was not fitted or its fit does not identify it; ""
// when it does. reports words it: kpi returns numbers.
type FitReason string

// Fit reasons. The fit that gives one also gives the numbers behind it (what the data had and what
// the rule needs, or the parameter concerned).
const (
	FitOK FitReason = ""
	// Too little data to try: too few customers, days, distinct spend levels or days with revenue.
	FitTooFewCustomers   FitReason = "too_few_customers"
	FitTooFewDays        FitReason = "too_few_days"
	FitTooFewSpendLevels FitReason = "too_few_spend_levels"
	FitTooFewRevenueDays FitReason = "too_few_revenue_days"
	// FitNoSpread: every customer's mean spend is the same, so nothing tells the spread of spends
	// between customers from the spread within them.
	FitNoSpread FitReason = "no_spread"
	// FitNotConverged: no start reached a point where the objective's gradient vanishes.
	FitNotConverged FitReason = "not_converged"
	// FitAtBound: the best fit puts a parameter at (or runs it off to) the edge of its range.
	FitAtBound FitReason = "at_bound"
	// FitFlat: the optimum lies on a ridge (the objective hardly curves along some direction), so the
	// data do not pin the parameters down.
	FitFlat FitReason = "flat"
	// FitNotFinite: the fitted model gives numbers that are not finite.
	FitNotFinite FitReason = "not_finite"
)

// hessian is the Hessian at th of the function whose gradient grad computes, from central
// differences of width h, made symmetric.
func hessian(th []float64, grad func(grad, th []float64), h float64) *mat.SymDense {
	n := len(th)
	rows := mat.NewDense(n, n, nil)
	gp, gm := make([]float64, n), make([]float64, n)
	x := make([]float64, n)
	for j := range n {
		copy(x, th)
		x[j] = th[j] + h
		grad(gp, x)
		x[j] = th[j] - h
		grad(gm, x)
		for i := range n {
			rows.Set(i, j, (gp[i]-gm[i])/(2*h))
		}
	}
	hess := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			hess.SetSym(i, j, (rows.At(i, j)+rows.At(j, i))/2)
		}
	}
	return hess
}

// minCurvature returns the smallest eigenvalue of the symmetric matrix hess and its eigenvector;
// ok is false when the eigenvalues cannot be computed.
func minCurvature(hess *mat.SymDense) (value float64, vector []float64, ok bool) {
	var eig mat.EigenSym
	if !eig.Factorize(hess, true) {
		return 0, nil, false
	}
	values := eig.Values(nil)
	if math.IsNaN(values[0]) {
		return 0, nil, false
	}
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	return values[0], mat.Col(nil, 0, &vecs), true
}

package kpi

import (
	"cmp"
	"math"
	"slices"
)

// Budget shifts with diminishing returns. Each paid touchpoint's daily attributed revenue is set
// against its daily spend over the read history, a saturating response curve is fitted to it
// (response.go), and spend moves from the touchpoint whose next unit earns least to the one whose
// next unit earns most until the two meet or the giver's allocation.max_shift binds. A shift is
// recommended only when every attribution model agrees on its direction at today's spend.

// seriesAcc sums, per day and touchpoint, the revenue each heuristic attribution model credits to
// the touchpoint for the orders of that day, over the days whose orders have complete paths (from
// the read's full part plus the look-back) up to the report period's end. Memory grows with days
// × touchpoints, not with events or orders; sums are exact, so they do not depend on how the
// journeys were split.
type seriesAcc struct {
	p *Params
	// attr is the attribution of the series' whole span: it finds the orders' paths, and its
	// Markov chain says how Markov shares revenue between touchpoints over the span.
	attr *attributionAcc
	// first is the day number of the series' first day; days holds, per day since it, the credits
	// by touchpoint code.
	first int64
	days  [][]dayCredit
}

// dayCredit is one touchpoint's credited revenue on one day, per heuristic model.
type dayCredit struct {
	rev [numHeuristic]exactSum
}

func (c *dayCredit) empty() bool {
	for m := range c.rev {
		if len(c.rev[m].partials) > 0 {
			return false
		}
	}
	return true
}

// seriesPeriod is the span of the daily series: from the first day whose orders' look-back lies
// wholly in the full part of the read (FullFrom, else the data's first day) to the report
// period's end.
func seriesPeriod(p *Params) Period {
	from := max(p.DataStart, p.FullFrom) + p.Lookback
	start := p.DayStart(from)
	if start.UnixMicro() < from {
		start = start.AddDate(0, 0, 1)
	}
	per := Period{From: start.UnixMicro(), To: p.Current.To}
	if per.To < per.From {
		per.To = per.From
	}
	return per
}

// newSeriesAcc returns the series accumulator, or nil when the report reads no spend
// (Params.ResponseSeries): without spend there is no curve to fit.
func newSeriesAcc(p *Params) *seriesAcc {
	if !p.ResponseSeries {
		return nil
	}
	per := seriesPeriod(p)
	return &seriesAcc{p: p, attr: newAttributionAcc(p, per), first: dayNumber(per.From, p.Location)}
}

func (s *seriesAcc) add(j *Journey, jo *journeyOrders) {
	s.attr.paths(j, jo, func(converted bool, rev float64, t int64) {
		s.attr.emit(converted, rev, t)
		if !converted || rev == 0 {
			return
		}
		d := dayNumber(t, s.p.Location) - s.first
		for int64(len(s.days)) <= d {
			s.days = append(s.days, nil)
		}
		s.attr.share(func(m int, c uint32, w float64) {
			row := growCodes(s.days[d], int(c)+1)
			s.days[d] = row
			row[c].rev[m].add(w * rev)
		})
	})
}

func (s *seriesAcc) merge(o *seriesAcc) {
	s.attr.merge(o.attr)
	for d, row := range o.days {
		for int64(len(s.days)) <= int64(d) {
			s.days = append(s.days, nil)
		}
		if len(row) > 0 {
			s.days[d] = growCodes(s.days[d], len(row))
		}
		for c := range row {
			for m := range numHeuristic {
				s.days[d][c].rev[m].merge(&row[c].rev[m])
			}
		}
	}
}

// series returns touchpoint code c's credited revenue under heuristic model m for each of n days
// from the series' first.
func (s *seriesAcc) series(c uint32, m, n int) []float64 {
	out := make([]float64, n)
	for d := 0; d < n && d < len(s.days); d++ {
		if int(c) < len(s.days[d]) {
			out[d] = s.days[d][c].rev[m].value()
		}
	}
	return out
}

// Why a budget shift found by the curves is not recommended (BudgetShift.NotRecommended).
const (
	// ShiftDirectionDiffers: under some attribution model the giving touchpoint's next unit of
	// spend earns at least as much as the receiving one's.
	ShiftDirectionDiffers = "direction_differs"
	// ShiftTooSmall: the move is under minShiftShare of the giver's spend.
	ShiftTooSmall = "too_small"
	// ShiftBelowBreakEven: after the move the receiving touchpoint's next unit of spend earns
	// less than the break-even ROAS (1/allocation.margin).
	ShiftBelowBreakEven = "below_break_even"
)

// minShiftShare is the smallest move worth a sentence, as a share of the giver's daily spend.
const minShiftShare = 0.05

// currentSpendDays is how many days up to the report's end today's spend is the mean of when the
// report period is shorter: a day's spend alone is too noisy to allocate from.
const currentSpendDays = 28

// testDays is how long a recommended shift runs as a test: four weeks.
const testDays = 28

// budgetInput is what the shifts need besides the result: the spend rows, the daily series and
// the dictionaries its codes are in.
type budgetInput struct {
	spend  []SpendRow
	series *seriesAcc
	dicts  *Dicts
}

// responseBudget fits the paid touchpoints' response curves and finds the shifts.
func responseBudget(p *Params, in budgetInput) ([]ResponseCurve, []BudgetShift) {
	curves, shifts := []ResponseCurve{}, []BudgetShift{}
	if in.spend == nil || in.series == nil {
		return curves, shifts
	}
	per := seriesPeriod(p)
	loc := p.Location
	firstDay := dayNumber(per.From, loc)
	days := int(dayNumber(per.To-1, loc) - firstDay + 1)
	if per.To <= per.From {
		days = 0
	}
	// The spend input's own span bounds the series: before its first day and after its last a
	// touchpoint's spend is not known to be 0.
	spendFirst, spendLast := int64(math.MaxInt64), int64(math.MinInt64)
	daily := map[string][]exactSum{}
	for _, row := range in.spend {
		if math.IsNaN(row.Cost) || math.IsInf(row.Cost, 0) {
			continue
		}
		d := dayNumber(row.Day, loc)
		spendFirst, spendLast = min(spendFirst, d), max(spendLast, d)
		name := row.Touchpoint
		if name == "" {
			name = NoneLabel
		}
		sums := daily[name]
		if sums == nil {
			sums = make([]exactSum, days)
			daily[name] = sums
		}
		if i := d - firstDay; i >= 0 && i < int64(days) {
			sums[i].add(row.Cost)
		}
	}
	lo, hi := max(int64(0), spendFirst-firstDay), min(int64(days), spendLast-firstDay+1)
	if hi < lo {
		lo, hi = 0, 0
	}

	paid := p.Paid
	if len(paid) == 0 {
		for name := range daily {
			paid = append(paid, name)
		}
	}
	paid = slices.Clone(paid)
	slices.Sort(paid)
	// The attribution over the series' span, for the Markov series' scale.
	hist := map[string]*TouchpointAttribution{}
	histAttr := in.series.attr.result(in.dicts, nil)
	for i := range histAttr.Touchpoints {
		hist[histAttr.Touchpoints[i].Touchpoint] = &histAttr.Touchpoints[i]
	}
	models := AttributionModels()
	// Today's spend: the mean daily spend of the report period, or of the last currentSpendDays
	// days up to its end when the period is shorter.
	nowDays := max(int(p.Current.Days()), currentSpendDays)
	type tpFits struct {
		name    string
		current float64
		fits    [numHeuristic + 1]responseFit // by model, Markov last
		scale   float64                       // Markov revenue per linear revenue over the span
		// roas is the average ROAS per model over today's spend window.
		roas map[string]*float64
	}
	var tps []tpFits
	for _, name := range paid {
		sums, ok := daily[name]
		if !ok {
			continue
		}
		spend := make([]float64, hi-lo)
		for i := range spend {
			spend[i] = sums[lo+int64(i)].value()
		}
		var now exactSum
		from := max(lo, int64(days-nowDays))
		for i := from; i < hi; i++ {
			now.add(sums[i].value())
		}
		if hi <= from || !(now.value() > 0) {
			continue
		}
		f := tpFits{name: name, current: now.value() / float64(hi-from), roas: map[string]*float64{}}
		code, known := in.dicts.Touchpoint.Lookup(name)
		if name == NoneLabel {
			code, known = 0, true
		}
		// Markov credits each conversion as a whole, not path by path, so it has no daily series of
		// its own: its series is the linear one scaled by the two models' revenue over the span.
		if h := hist[name]; h != nil && h.Revenue[ModelLinear] > 0 {
			f.scale = h.Revenue[ModelMarkov] / h.Revenue[ModelLinear]
		}
		var recent exactSum // today's spend window's spend, for the average ROAS
		for i := from; i < hi; i++ {
			recent.add(sums[i].value())
		}
		for m := range numHeuristic + 1 {
			series := make([]float64, hi-lo)
			if known {
				src := m
				if m == numHeuristic {
					src = mLinear
				}
				all := in.series.series(code, src, days)
				copy(series, all[lo:hi])
				if m == numHeuristic {
					for i := range series {
						series[i] *= f.scale
					}
				}
			}
			// The average return at today's spend: the window's revenue over its spend.
			var got exactSum
			for i := from - lo; i < hi-lo; i++ {
				got.add(series[i])
			}
			f.roas[models[m]] = Ratio(got.value(), recent.value())
			if m < numHeuristic {
				f.fits[m] = fitResponse(spend, series, true)
			}
		}
		// The Markov curve is the linear one scaled: the fit is the same up to β.
		f.fits[numHeuristic] = f.fits[mLinear]
		f.fits[numHeuristic].curve.beta *= f.scale
		if f.scale == 0 && f.fits[numHeuristic].identified {
			f.fits[numHeuristic].identified, f.fits[numHeuristic].reason = false, FitTooFewRevenueDays
		}
		tps = append(tps, f)
	}

	// The touchpoints under each model: a curve where identified, else the period's average ROAS.
	// A return seen only as an average at today's spend says nothing of more spend, so such a
	// touchpoint takes at most max_shift of its own spend, as it gives at most that.
	under := func(m int) []responseTouchpoint {
		var out []responseTouchpoint
		for _, t := range tps {
			rt := responseTouchpoint{name: t.name, spend: t.current}
			if fit := t.fits[m]; fit.identified {
				c := fit.curve
				rt.curve = &c
			} else if roas := t.roas[models[m]]; roas != nil {
				rt.roas = *roas
				rt.maxTake = p.MaxShift * t.current
			} else {
				continue
			}
			out = append(out, rt)
		}
		return out
	}
	byModel := make([][]responseTouchpoint, len(models))
	for m := range models {
		byModel[m] = under(m)
	}
	markov := len(models) - 1
	marginal := func(m int, name string) (float64, bool) {
		for i := range byModel[m] {
			if byModel[m][i].name == name {
				return byModel[m][i].marginal(byModel[m][i].spend), true
			}
		}
		return 0, false
	}

	for _, t := range tps {
		fit := t.fits[markov]
		c := ResponseCurve{Touchpoint: t.name, Days: int64(fit.days), SpendLevels: int64(fit.spendLevels), RevenueDays: int64(fit.revenueDays),
			CurrentDailySpend: t.current, Identified: fit.identified, Reason: fit.reason, Have: fit.have, Need: fit.need, Param: fit.param,
			MarginalROAS: map[string]*float64{}}
		if fit.identified {
			c.Beta, c.Alpha, c.Kappa, c.Theta = Ptr(fit.curve.beta), Ptr(fit.curve.alpha), Ptr(fit.curve.kappa), Ptr(fit.curve.theta)
			c.RSquared = Ptr(fit.rSquared)
		}
		for m, key := range models {
			if v, ok := marginal(m, t.name); ok && !math.IsInf(v, 0) && !math.IsNaN(v) {
				c.MarginalROAS[key] = Ptr(v)
			} else {
				c.MarginalROAS[key] = nil
			}
		}
		curves = append(curves, c)
	}

	moves := allocateByResponse(byModel[markov], p.MaxShift)
	breakEven := 0.0
	if p.Margin > 0 {
		breakEven = 1 / p.Margin
	}
	current := map[string]responseTouchpoint{}
	for _, t := range byModel[markov] {
		current[t.name] = t
	}
	for _, mv := range moves {
		giver, taker := current[mv.from], current[mv.to]
		s := BudgetShift{From: mv.from, To: mv.to, Amount: mv.amount, WeeklyAmount: 7 * mv.amount,
			ExpectedRevenueChange: mv.revenueChange, TestRevenueChange: testDays * mv.revenueChange,
			FromMarginalROAS: giver.marginal(giver.spend), ToMarginalROAS: taker.marginal(taker.spend),
			ToMarginalROASAfter: taker.marginal(taker.spend + mv.amount),
			FromBasis:           ResponseBasisCurve, ToBasis: ResponseBasisCurve, Recommended: true}
		if breakEven > 0 {
			s.BreakEvenROAS = Ptr(breakEven)
		}
		if mv.fromAverage {
			s.FromBasis = ResponseBasisAverage
		}
		if mv.toAverage {
			s.ToBasis = ResponseBasisAverage
		}
		for m := range models {
			gm, ok1 := marginal(m, mv.from)
			tm, ok2 := marginal(m, mv.to)
			if !ok1 || !ok2 || !(tm > gm) {
				s.Recommended, s.NotRecommended = false, ShiftDirectionDiffers
				break
			}
		}
		switch {
		case !s.Recommended:
		case mv.amount < minShiftShare*giver.spend:
			s.Recommended, s.NotRecommended = false, ShiftTooSmall
		case breakEven > 0 && s.ToMarginalROASAfter < breakEven:
			s.Recommended, s.NotRecommended = false, ShiftBelowBreakEven
		}
		shifts = append(shifts, s)
	}
	slices.SortStableFunc(shifts, func(a, b BudgetShift) int {
		if c := cmp.Compare(b.ExpectedRevenueChange, a.ExpectedRevenueChange); c != 0 {
			return c
		}
		if c := cmp.Compare(a.From, b.From); c != 0 {
			return c
		}
		return cmp.Compare(a.To, b.To)
	})
	return curves, shifts
}

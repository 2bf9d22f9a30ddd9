package kpi

import (
	"cmp"
	"math"
	"slices"
)

// Recommendation kinds.
const (
	KindStageOpportunity = "stage_opportunity"
	KindBudgetShift      = "budget_shift"
	KindPainPoint        = "pain_point"
)

// Efficiency bases.
const (
	BasisROAS               = "roas"
	BasisRevenuePerCustomer = "revenue_per_customer"
)

// allocInput is what the allocation reads besides the report's Result: the spend input (nil:
// none), the closed funnels of the recent periods and the breakdowns of the mature cohort.
type allocInput struct {
	spend        []SpendRow
	recent       []recentRows
	cohortGroups []Breakdown
	// series is the daily attributed revenue per touchpoint; dicts the codes it is kept under.
	series *seriesAcc
	dicts  *Dicts
}

// allocate turns the computed KPIs into ranked recommendations: where resources should go. It
// reads r (the funnel, repeat, attribution and journey map of the report period) and in; spend
// amounts are already in r.Attribution.
func allocate(p *Params, r *Result, in allocInput) AllocationResult {
	v := newStageValues(p, r)
	groups := r.Funnel.Breakdowns
	if v.cohort {
		groups = in.cohortGroups
	}
	out := AllocationResult{
		CloseGap:         p.CloseGap,
		Recommendations:  []Recommendation{},
		StageOpportunity: stageOpportunities(p, v, groups, in.recent),
		ResponseCurves:   []ResponseCurve{},
		BudgetShifts:     []BudgetShift{},
	}
	out.Efficiency = efficiency(r, in.spend != nil)
	var recs []Recommendation
	for _, o := range bestPerStep(out.StageOpportunity) {
		kpi := "funnel.closed." + o.Stage + ".conversion_from_previous"
		if o.By != ByPeriod {
			kpi = "funnel.breakdowns." + o.By + "." + o.Group + "." + o.Stage + ".conversion_from_previous"
		}
		recs = append(recs, Recommendation{Kind: KindStageOpportunity, Value: o.Value, KPI: kpi, Opportunity: &o})
	}
	if in.spend != nil {
		out.ResponseCurves, out.BudgetShifts = responseBudget(p, budgetInput{spend: in.spend, series: in.series, dicts: in.dicts})
		for _, s := range out.BudgetShifts {
			if !s.Recommended {
				continue
			}
			recs = append(recs, Recommendation{
				Kind:  KindBudgetShift,
				Value: s.TestRevenueChange,
				KPI:   "allocation.response_curves." + s.To + ".marginal_roas.markov",
				Shift: &s,
			})
		}
	} else if rec, ok := reachShift(p, out.Efficiency); ok {
		recs = append(recs, rec)
	}
	r.JourneyMap.PainPoints = valuePainPoints(p, r.JourneyMap.PainPoints, v)
	for i := range r.JourneyMap.PainPoints {
		c := r.JourneyMap.PainPoints[i]
		recs = append(recs, Recommendation{Kind: KindPainPoint, Value: c.Value,
			KPI: "journey_map.pain_points." + c.Stage + "." + c.Touchpoint + ".sentiment_mean", PainPoint: &c})
	}
	// An action worth nothing (not a cent: no extra drop-off after a pain point, a shift that
	// gains nothing) is not one, whatever its kind; the pain point stays on the journey map.
	recs = slices.DeleteFunc(recs, func(r Recommendation) bool { return cents(r.Value) <= 0 })
	// A pain point at the first stage is the entrants of its touchpoint: when a stage opportunity
	// already names them at the same step, it would count the same lost customers twice.
	type firstStep struct{ tp, next string }
	named := map[firstStep]bool{}
	for _, rec := range recs {
		if o := rec.Opportunity; o != nil && o.By == byFirstTouchpoint && o.From == p.Stages[0].Name {
			named[firstStep{o.Group, o.Stage}] = true
		}
	}
	recs = slices.DeleteFunc(recs, func(r Recommendation) bool {
		c := r.PainPoint
		return c != nil && c.Stage == p.Stages[0].Name && named[firstStep{c.Touchpoint, c.NextStage}]
	})
	order := make([]int, len(recs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		a, b := &recs[i], &recs[j]
		if c := cmp.Compare(cents(b.Value), cents(a.Value)); c != 0 {
			return c
		}
		if c := cmp.Compare(kindOrder(a.Kind), kindOrder(b.Kind)); c != 0 {
			return c
		}
		return cmp.Compare(a.subject(), b.subject())
	})
	for rank, i := range order {
		rec := recs[i]
		rec.Rank = rank + 1
		out.Recommendations = append(out.Recommendations, rec)
	}
	return out
}

// subject names what a recommendation is about, the last tie-break of the ranking: the step, the
// two touchpoints, or the journey-map cell.
func (r *Recommendation) subject() string {
	switch {
	case r.Opportunity != nil:
		return r.Opportunity.Step + "\x00" + r.Opportunity.By + "\x00" + r.Opportunity.Group
	case r.Shift != nil:
		return r.Shift.From + "\x00" + r.Shift.To
	case r.Reach != nil:
		return r.Reach.Worst + "\x00" + r.Reach.Best
	case r.PainPoint != nil:
		return r.PainPoint.Stage + "\x00" + r.PainPoint.Touchpoint
	}
	return ""
}

func kindOrder(k string) int {
	switch k {
	case KindStageOpportunity:
		return 0
	case KindBudgetShift:
		return 1
	}
	return 2
}

// stageValues knows what a customer who reaches each stage of the closed funnel is worth.
type stageValues struct {
	rows     []StageRow
	purchase int // row of the purchase stage, -1 when absent
	repeat   int // row of the repeat stage, -1 when absent
	// perPurchaser is the period's revenue per purchaser; perOrder its average order value.
	perPurchaser, perOrder float64
	// cohort says that rows are the mature cohort's, the period's own entrants being immature.
	cohort bool
}

func newStageValues(p *Params, r *Result) *stageValues {
	rows, cohort := matureRows(p, &r.Funnel)
	v := &stageValues{rows: rows, purchase: -1, repeat: -1, cohort: cohort}
	for i, row := range v.rows {
		for _, s := range p.Stages {
			if s.Name != row.Stage {
				continue
			}
			if s.Purchase {
				v.purchase = i
			}
			if s.Repeat {
				v.repeat = i
			}
		}
	}
	rep, at := &r.Repeat, &r.Attribution
	var perOrder float64
	if at.Conversions > 0 {
		perOrder = at.Revenue / float64(at.Conversions)
	}
	v.perPurchaser, v.perOrder = perOrder, perOrder
	if rep.Purchasers > 0 {
		v.perPurchaser = rep.Revenue / float64(rep.Purchasers)
	}
	if rep.AverageOrderValue != nil {
		v.perOrder = *rep.AverageOrderValue
	}
	return v
}

// matureRows are the closed-funnel rows recommendations may rest on: the period's own when its
// entrants are mature (comparison.min_mature), else the mature cohort's; in either, a stage that
// is still immature is left out (no rows from it on), so that no action is based on journeys that
// have not had their window. cohort says whether they are the cohort's.
func matureRows(p *Params, f *FunnelResult) (rows []StageRow, cohort bool) {
	rows = f.Closed
	if f.MatureShare != nil && *f.MatureShare < p.MinMature && f.MatureCohort != nil && f.MatureCohort.Entrants > 0 {
		rows, cohort = f.MatureCohort.Closed, true
	}
	for i, row := range rows {
		if row.MatureShare != nil && *row.MatureShare < p.MinMature {
			return rows[:i], cohort
		}
	}
	return rows, cohort
}

// previousRequired returns the row of the required stage before row k, or -1.
func (v *stageValues) previousRequired(k int) int {
	for i := k - 1; i >= 0; i-- {
		if !v.rows[i].Optional {
			return i
		}
	}
	return -1
}

// value is what one more customer reaching the stage of row k is worth. Up to the purchase
// stage: the share of customers at that stage who go on to purchase (closed funnel; an optional
// stage uses the required stage before it) times the revenue per purchaser. The repeat stage: one
// more order, the average order value. Other stages after the purchase: the share of purchasers
// who order again times the average order value. 0 when not defined.
func (v *stageValues) value(k int) float64 {
	switch {
	case k < 0 || v.purchase < 0:
		return 0
	case k <= v.purchase:
		base := k
		if v.rows[k].Optional {
			if base = v.previousRequired(k); base < 0 {
				return 0
			}
		}
		if v.rows[base].Reached == 0 {
			return 0
		}
		return float64(v.rows[v.purchase].Reached) / float64(v.rows[base].Reached) * v.perPurchaser
	case k == v.repeat:
		return v.perOrder
	case v.repeat >= 0 && v.rows[v.purchase].Reached > 0:
		return float64(v.rows[v.repeat].Reached) / float64(v.rows[v.purchase].Reached) * v.perOrder
	}
	return 0
}

// row returns the row of the named stage, or -1.
func (v *stageValues) row(stage string) int {
	for i, r := range v.rows {
		if r.Stage == stage {
			return i
		}
	}
	return -1
}

// efficiency rates each touchpoint's Markov-attributed revenue per unit of spend (with spend) or
// per customer reached (without), against the overall average of the touchpoints it is defined
// for. Sorted by efficiency, highest first; undefined ones last.
func efficiency(r *Result, withSpend bool) []Efficiency {
	out := []Efficiency{}
	var totalRev, totalBase float64
	for _, t := range r.Attribution.Touchpoints {
		e := Efficiency{Touchpoint: t.Touchpoint, Revenue: t.Revenue[ModelMarkov], Reached: t.CustomersReached,
			Basis: BasisRevenuePerCustomer}
		base := float64(t.CustomersReached)
		if withSpend {
			e.Basis = BasisROAS
			base = 0
			if t.Cost != nil {
				e.Cost = Ptr(*t.Cost)
				base = *t.Cost
			}
		}
		if base > 0 {
			e.Efficiency = Ptr(e.Revenue / base)
			totalRev += e.Revenue
			totalBase += base
		}
		out = append(out, e)
	}
	avg := Ratio(totalRev, totalBase)
	for i := range out {
		if out[i].Efficiency != nil && avg != nil && *avg > 0 {
			out[i].Relative = Ptr(*out[i].Efficiency / *avg)
		}
	}
	slices.SortStableFunc(out, func(a, b Efficiency) int {
		switch {
		case a.Efficiency == nil && b.Efficiency == nil:
			return cmp.Compare(a.Touchpoint, b.Touchpoint)
		case a.Efficiency == nil:
			return 1
		case b.Efficiency == nil:
			return -1
		}
		if c := cmp.Compare(*b.Efficiency, *a.Efficiency); c != 0 {
			return c
		}
		return cmp.Compare(a.Touchpoint, b.Touchpoint)
	})
	return out
}

// reachShift is the recommendation without spend: reach MaxShift of the least efficient
// touchpoint's customers through the most efficient one instead. Touchpoints with fewer than
// MinCustomers customers reached, and the unknown touchpoint, are left out: they are noise, or
// nothing a manager can act on. A shift that gains nothing is left out by allocate.
func reachShift(p *Params, eff []Efficiency) (Recommendation, bool) {
	var cands []Efficiency
	for _, e := range eff {
		if e.Efficiency != nil && e.Touchpoint != NoneLabel && e.Reached >= int64(max(p.MinCustomers, 1)) {
			cands = append(cands, e)
		}
	}
	if len(cands) < 2 {
		return Recommendation{}, false
	}
	best, worst := cands[0], cands[len(cands)-1]
	moved := p.MaxShift * float64(worst.Reached)
	gain := moved * (*best.Efficiency - *worst.Efficiency)
	return Recommendation{
		Kind:  KindBudgetShift,
		Value: gain,
		KPI:   "allocation.efficiency.revenue_per_customer",
		Reach: &ReachSubject{Best: best.Touchpoint, Worst: worst.Touchpoint, BestPerCustomer: *best.Efficiency,
			WorstPerCustomer: *worst.Efficiency, Share: p.MaxShift, WorstReached: worst.Reached, Moved: moved, Gain: gain},
	}, true
}

// valuePainPoints values each pain point: closing CloseGap of the extra drop-off after it, times
// its customers, times what a customer reaching the next stage is worth (0 when that stage is not
// among the mature rows). It keeps the PainPoints costliest, sorted by value, then by how far
// their sentiment lies below the stage's (the order they come in).
func valuePainPoints(p *Params, pains []PainPoint, v *stageValues) []PainPoint {
	out := make([]PainPoint, len(pains))
	copy(out, pains)
	for i := range out {
		c := &out[i]
		c.ValuePerCustomer = 0
		if c.NextStage != "" {
			c.ValuePerCustomer = v.value(v.row(c.NextStage))
		}
		c.ExtraCustomers = p.CloseGap * c.ExtraDropOff * float64(c.Customers)
		c.Value = c.ExtraCustomers * c.ValuePerCustomer
	}
	slices.SortStableFunc(out, func(a, b PainPoint) int { return cmp.Compare(cents(b.Value), cents(a.Value)) })
	return out[:min(len(out), max(p.PainPoints, 0))]
}

// cents rounds an amount to cents for ranking, so that equal values computed along different
// paths (and differing in the last bits) tie.
func cents(x float64) float64 { return math.Round(x * 100) }

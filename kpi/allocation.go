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

// allocate turns the computed KPIs into ranked recommendations: where resources should go. It
// reads only r (the funnel, repeat, attribution and journey map of the report period); spend says
// whether a spend input was read (nil: none), its amounts are already in r.Attribution.
func allocate(p *Params, r *Result, spend []SpendRow) AllocationResult {
	v := newStageValues(p, r)
	out := AllocationResult{
		Recommendations:  []Recommendation{},
		StageOpportunity: stageOpportunities(p, r, v),
		BudgetShifts:     []BudgetShift{},
	}
	out.Efficiency = efficiency(r, spend != nil)
	out.Uplift = p.Uplift
	var recs []Recommendation
	var ties []float64 // tie-break per recommendation: the value lost at a stage step
	for _, o := range out.StageOpportunity {
		if cents(o.Value) <= 0 { // nothing a sentence could name
			continue
		}
		recs = append(recs, Recommendation{
			Kind:        KindStageOpportunity,
			Value:       o.Value,
			KPI:         "funnel.closed." + o.Stage + ".conversion_from_previous",
			Opportunity: &o,
		})
		ties = append(ties, o.LostValue)
	}
	if spend != nil {
		out.BudgetShifts = budgetShifts(p, out.Efficiency)
		eff := map[string]float64{}
		for _, e := range out.Efficiency {
			if e.Efficiency != nil {
				eff[e.Touchpoint] = *e.Efficiency
			}
		}
		for _, s := range out.BudgetShifts {
			if cents(s.ExpectedRevenueChange) <= 0 {
				continue
			}
			recs = append(recs, Recommendation{
				Kind:  KindBudgetShift,
				Value: s.ExpectedRevenueChange,
				KPI:   "attribution.touchpoints.roas.markov",
				Shift: &ShiftSubject{BudgetShift: s, FromROAS: eff[s.From], ToROAS: eff[s.To]},
			})
		}
	} else if rec, ok := reachShift(p, out.Efficiency); ok {
		recs = append(recs, rec)
	}
	for _, c := range r.JourneyMap.PainPoints {
		recs = append(recs, painPoint(p, c, v))
	}
	ties = append(ties, make([]float64, len(recs)-len(ties))...)
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
		if c := cmp.Compare(cents(ties[j]), cents(ties[i])); c != 0 {
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
		return r.Opportunity.Step
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
}

func newStageValues(p *Params, r *Result) *stageValues {
	v := &stageValues{rows: matureRows(p, &r.Funnel), purchase: -1, repeat: -1}
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
// have not had their window.
func matureRows(p *Params, f *FunnelResult) []StageRow {
	rows := f.Closed
	if f.MatureShare != nil && *f.MatureShare < p.MinMature && f.MatureCohort != nil && f.MatureCohort.Entrants > 0 {
		rows = f.MatureCohort.Closed
	}
	for i, row := range rows {
		if row.MatureShare != nil && *row.MatureShare < p.MinMature {
			return rows[:i]
		}
	}
	return rows
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

// stageOpportunities values a relative uplift of each step into a required stage: the extra
// customers reaching the stage (customers at the previous required stage × the conversion
// gained, at most to 100%) times what such a customer is worth. Sorted by value, highest first,
// then by the value lost at the step: in a multiplicative funnel a relative uplift of any step
// before the purchase is worth the same (Uplift × the purchasers' revenue, unless capped at
// 100%), and the step that leaks most is the one to work on.
func stageOpportunities(p *Params, r *Result, v *stageValues) []StageOpportunity {
	out := []StageOpportunity{}
	for k, row := range v.rows {
		prev := v.previousRequired(k)
		if row.Optional || prev < 0 || row.ConversionFromPrevious == nil {
			continue
		}
		c := *row.ConversionFromPrevious
		extra := float64(v.rows[prev].Reached) * (min(1, c*(1+p.Uplift)) - c)
		per := v.value(k)
		lost := max(0, float64(v.rows[prev].Reached-row.Reached))
		out = append(out, StageOpportunity{
			Step:             v.rows[prev].Stage + " → " + row.Stage,
			Stage:            row.Stage,
			Conversion:       c,
			ExtraCustomers:   extra,
			ValuePerCustomer: per,
			Value:            extra * per,
			LostValue:        lost * per,
		})
	}
	slices.SortStableFunc(out, func(a, b StageOpportunity) int {
		if c := cmp.Compare(cents(b.Value), cents(a.Value)); c != 0 {
			return c
		}
		return cmp.Compare(cents(b.LostValue), cents(a.LostValue))
	})
	return out
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

// budgetShifts moves spend from touchpoints below the average ROAS (least efficient first) to
// those above it (most efficient first). No touchpoint gives or takes more than MaxShift of its
// own spend. The expected revenue change assumes each euro earns its touchpoint's average
// Markov ROAS.
func budgetShifts(p *Params, eff []Efficiency) []BudgetShift {
	type side struct {
		name     string
		roas     float64
		capacity float64
	}
	var givers, takers []side
	for _, e := range eff {
		if e.Efficiency == nil || e.Relative == nil || e.Cost == nil || *e.Cost <= 0 {
			continue
		}
		s := side{e.Touchpoint, *e.Efficiency, p.MaxShift * *e.Cost}
		switch {
		case *e.Relative < 1:
			givers = append(givers, s)
		case *e.Relative > 1:
			takers = append(takers, s)
		}
	}
	// eff is sorted by efficiency, highest first: givers come least efficient last.
	slices.Reverse(givers)
	out := []BudgetShift{}
	for g, t := 0, 0; g < len(givers) && t < len(takers); {
		amount := min(givers[g].capacity, takers[t].capacity)
		if cents(amount) > 0 { // less than a cent is nothing to move
			out = append(out, BudgetShift{
				From: givers[g].name, To: takers[t].name, Amount: amount,
				ExpectedRevenueChange: amount * (takers[t].roas - givers[g].roas),
			})
		}
		givers[g].capacity -= amount
		takers[t].capacity -= amount
		if givers[g].capacity <= 0 {
			g++
		}
		if takers[t].capacity <= 0 {
			t++
		}
	}
	return out
}

// reachShift is the recommendation without spend: reach MaxShift of the least efficient
// touchpoint's customers through the most efficient one instead. Touchpoints with fewer than
// MinCustomers customers reached, and the unknown touchpoint, are left out: they are noise, or
// nothing a manager can act on.
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
	if cents(gain) <= 0 {
		return Recommendation{}, false
	}
	return Recommendation{
		Kind:  KindBudgetShift,
		Value: gain,
		KPI:   "allocation.efficiency.revenue_per_customer",
		Reach: &ReachSubject{Best: best.Touchpoint, Worst: worst.Touchpoint, BestPerCustomer: *best.Efficiency,
			WorstPerCustomer: *worst.Efficiency, Share: p.MaxShift, WorstReached: worst.Reached, Moved: moved, Gain: gain},
	}, true
}

// painPoint values one journey-map pain point: what keeping Uplift more of its customers moving
// is worth, customers × uplift × the value of a customer at that stage.
func painPoint(p *Params, c MapCell, v *stageValues) Recommendation {
	value := float64(c.Customers) * p.Uplift * v.value(v.row(c.Stage))
	return Recommendation{Kind: KindPainPoint, Value: value,
		KPI: "journey_map.pain_points." + c.Stage + "." + c.Touchpoint + ".sentiment_mean",
		PainPoint: &PainSubject{Stage: c.Stage, Touchpoint: c.Touchpoint, Customers: c.Customers, Sentiment: c.SentimentMean,
			Uplift: p.Uplift, Value: value}}
}

// cents rounds an amount to cents for ranking, so that equal values computed along different
// paths (and differing in the last bits) tie.
func cents(x float64) float64 { return math.Round(x * 100) }

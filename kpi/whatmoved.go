package kpi

import (
	"cmp"
	"math"
	"slices"
)

// Breakdowns of the decomposition and its effects.
const (
	EffectMix  = "mix"
	EffectRate = "rate"
	// topEffects is how many of the largest single effects WhatMoved names.
	topEffects = 3
)

// mixPoint is one group in one period: its weight and its rate (nil when the group has no weight).
type mixPoint struct {
	weight float64
	rate   *float64
}

// whatMoved splits the change in purchase conversion (on the basis the headline shows) and in
// revenue into mix and rate effects by first touchpoint and by segment.
func whatMoved(p *Params, d *Dicts, cur, prev *figures, hs []Headline) WhatMoved {
	names := [2]func(uint32) string{d.TouchpointName, d.SegmentName}
	bys := [2]string{byFirstTouchpoint, bySegment}

	// Conversion: weight = share of the period's entrants, rate = conversion to purchase.
	basis := BasisPeriod
	for _, h := range hs {
		if h.Key == "purchase_conversion" {
			basis = h.Basis
		}
	}
	fa, fb := cur.funnel, prev.funnel
	if basis == BasisMatureCohort && cur.cohort != nil && prev.cohort != nil {
		fa, fb = cur.cohort, prev.cohort
	}
	conv := Decomposition{Basis: basis, By: []MixBreakdown{}, Top: []MixEffect{}}
	k := p.PurchaseStage()
	conv.Current = Ratio(float64(fa.all.reached[k]), float64(fa.all.entrants))
	conv.Previous = Ratio(float64(fb.all.reached[k]), float64(fb.all.entrants))
	if conv.Current != nil && conv.Previous != nil {
		conv.Change = Ptr(*conv.Current - *conv.Previous)
		for i := range bys {
			points := func(fa *funnelAcc) map[uint32]mixPoint {
				m := map[uint32]mixPoint{}
				for code, c := range fa.mix[i] {
					if c.entrants == 0 {
						continue
					}
					m[uint32(code)] = mixPoint{float64(c.entrants) / float64(fa.all.entrants), Ratio(float64(c.purchases), float64(c.entrants))}
				}
				return m
			}
			conv.By = append(conv.By, decompose(bys[i], points(fa), points(fb), names[i], p.Top))
		}
		conv.Top = topMixEffects(conv.By)
	}

	// Revenue: weight = purchasers of the group, rate = revenue per purchaser.
	rev := Decomposition{Basis: BasisPeriod, By: []MixBreakdown{}, Top: []MixEffect{}}
	ra, rb := cur.repeat, prev.repeat
	rev.Current, rev.Previous = Ptr(ra.all.revenue.value()), Ptr(rb.all.revenue.value())
	rev.Change = Ptr(*rev.Current - *rev.Previous)
	for i, groups := range [2][2]map[uint32]*repeatTally{{ra.byTP, rb.byTP}, {ra.bySeg, rb.bySeg}} {
		points := func(m map[uint32]*repeatTally) map[uint32]mixPoint {
			out := map[uint32]mixPoint{}
			for code, t := range m {
				if t.purchasers > 0 {
					out[code] = mixPoint{float64(t.purchasers), Ratio(t.revenue.value(), float64(t.purchasers))}
				}
			}
			return out
		}
		rev.By = append(rev.By, decompose(bys[i], points(groups[0]), points(groups[1]), names[i], p.Top))
	}
	rev.Top = topMixEffects(rev.By)
	return WhatMoved{Conversion: conv, Revenue: rev}
}

// decompose splits Σ w·r between two periods into each group's mix effect (w₁ − w₀)·(r₁ + r₀)/2
// and rate effect (r₁ − r₀)·(w₁ + w₀)/2, which add up exactly to w₁r₁ − w₀r₀. A group absent from
// one period takes the other period's rate there, so its whole contribution is mix. Groups come
// largest total effect first (ties by name); beyond the top N they are summed as "(other)".
func decompose(by string, cur, prev map[uint32]mixPoint, name func(uint32) string, top int) MixBreakdown {
	codes := make([]uint32, 0, len(cur)+len(prev))
	for c := range cur {
		codes = append(codes, c)
	}
	for c := range prev {
		if _, ok := cur[c]; !ok {
			codes = append(codes, c)
		}
	}
	groups := make([]MixGroup, 0, len(codes))
	for _, c := range codes {
		a, b := cur[c], prev[c]
		ra, rb := a.rate, b.rate
		if ra == nil {
			ra = rb
		}
		if rb == nil {
			rb = ra
		}
		if ra == nil { // no weight in either period
			continue
		}
		groups = append(groups, MixGroup{
			Value: name(c), Weight: a.weight, WeightBefore: b.weight, Rate: a.rate, RateBefore: b.rate,
			Mix:        (a.weight - b.weight) * (*ra + *rb) / 2,
			RateEffect: (*ra - *rb) * (a.weight + b.weight) / 2,
		})
	}
	slices.SortFunc(groups, func(x, y MixGroup) int {
		if c := cmp.Compare(math.Abs(y.Mix)+math.Abs(y.RateEffect), math.Abs(x.Mix)+math.Abs(x.RateEffect)); c != 0 {
			return c
		}
		return cmp.Compare(x.Value, y.Value)
	})
	if top > 0 && len(groups) > top {
		other := MixGroup{Value: OtherLabel}
		for _, g := range groups[top:] {
			other.Weight += g.Weight
			other.WeightBefore += g.WeightBefore
			other.Mix += g.Mix
			other.RateEffect += g.RateEffect
		}
		groups = append(groups[:top], other)
	}
	return MixBreakdown{By: by, Groups: groups}
}

// topMixEffects are the largest single effects (a group's mix or rate effect) over every
// breakdown, by absolute size; "(other)" and effects of exactly 0 are not named, nor the one group
// of a breakdown that has a single group in both periods (every customer has the same value, so
// its "effect" is the whole change, which it does not explain).
func topMixEffects(bs []MixBreakdown) []MixEffect {
	var all []MixEffect
	for _, b := range bs {
		if len(b.Groups) < 2 {
			continue
		}
		for _, g := range b.Groups {
			if g.Value == OtherLabel {
				continue
			}
			for _, e := range []struct {
				effect string
				amount float64
			}{{EffectMix, g.Mix}, {EffectRate, g.RateEffect}} {
				if e.amount != 0 {
					all = append(all, MixEffect{By: b.By, Effect: e.effect, Amount: e.amount, MixGroup: g})
				}
			}
		}
	}
	slices.SortStableFunc(all, func(x, y MixEffect) int {
		if c := cmp.Compare(math.Abs(y.Amount), math.Abs(x.Amount)); c != 0 {
			return c
		}
		if c := cmp.Compare(x.By, y.By); c != 0 {
			return c
		}
		if c := cmp.Compare(x.Value, y.Value); c != 0 {
			return c
		}
		return cmp.Compare(x.Effect, y.Effect)
	})
	if len(all) > topEffects {
		all = all[:topEffects]
	}
	if all == nil {
		all = []MixEffect{}
	}
	return all
}

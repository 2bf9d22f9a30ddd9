package kpi

import (
	"cmp"
	"math"
	"slices"
	"sort"
)

// Attribution model keys, as in AttributionResult.Models and the Revenue, CPA and ROAS maps.
const (
	ModelFirstTouch    = "first_touch"
	ModelLastTouch     = "last_touch"
	ModelLinear        = "linear"
	ModelPositionBased = "position_based"
	ModelTimeDecay     = "time_decay"
	ModelMarkov        = "markov"
)

// AttributionModels returns the model keys in report order.
func AttributionModels() []string {
	return []string{ModelFirstTouch, ModelLastTouch, ModelLinear, ModelPositionBased, ModelTimeDecay, ModelMarkov}
}

// Indexes of the heuristic models in touchCredit; Markov is solved from the transition counts.
const (
	mFirst = iota
	mLast
	mLinear
	mPosition
	mDecay
	numHeuristic
)

// touchCredit is what one touchpoint has been credited with so far.
type touchCredit struct {
	conv    [numHeuristic]exactSum
	rev     [numHeuristic]exactSum
	reached int64
}

// attributionAcc accumulates the attribution of the orders in one period. It keeps no path: the
// heuristic credits are summed as each order is seen and the Markov chain needs only transition
// counts. Sums are exact (exactSum), so results do not depend on how journeys were split between
// accumulators.
type attributionAcc struct {
	p        *Params
	per      Period
	purchase int8

	conversions int64
	nullPaths   int64
	revenue     exactSum
	credits     []touchCredit // by touchpoint code
	markov      markovCounts

	// Scratch space reused between journeys.
	serial   uint64
	lastSeen []uint64 // by touchpoint code: the serial of the last journey reaching it
	path     []uint32
	times    []int64
	weights  []float64
}

func newAttributionAcc(p *Params, per Period) *attributionAcc {
	return &attributionAcc{p: p, per: per, purchase: int8(p.PurchaseStage())}
}

// credit returns the credit slot of touchpoint c.
func (a *attributionAcc) credit(c uint32) *touchCredit {
	a.credits = growCodes(a.credits, int(c)+1)
	return &a.credits[c]
}

// give credits touchpoint c with share w of one conversion of revenue rev under model m.
func (a *attributionAcc) give(m int, c uint32, w, rev float64) {
	tc := a.credit(c)
	tc.conv[m].add(w)
	tc.rev[m].add(w * rev)
}

// reach counts the journey's customer as reached by touchpoint c (once per journey).
func (a *attributionAcc) reach(c uint32) {
	a.lastSeen = growCodes(a.lastSeen, int(c)+1)
	if a.lastSeen[c] != a.serial {
		a.lastSeen[c] = a.serial
		a.credit(c).reached++
	}
}

// appendTouch adds touchpoint c at time t to the path, collapsing a repeat of the last touch (the
// collapsed run takes the time of its latest event).
func (a *attributionAcc) appendTouch(c uint32, t int64) {
	if n := len(a.path); n > 0 && a.path[n-1] == c {
		a.times[n-1] = t
		return
	}
	a.path = append(a.path, c)
	a.times = append(a.times, t)
}

// add folds in one journey, whose orders jo holds.
func (a *attributionAcc) add(j *Journey, jo *journeyOrders) { a.paths(j, jo, a.emit) }

// emit folds the path in a.path: a conversion of revenue rev, or a null path.
func (a *attributionAcc) emit(converted bool, rev float64, _ int64) {
	if !converted {
		a.nullPaths++
		a.markov.addPath(a.path, false, 0)
		return
	}
	a.conversions++
	a.revenue.add(rev)
	a.creditPath(rev)
	a.markov.addPath(a.path, true, rev)
}

// paths counts the customers j reaches per touchpoint and calls emit once per path of j (whose
// orders jo holds), with
// the path in a.path and a.times: for each order in the period, its touchpoints in the look-back
// strictly before it and after the previous order (the order's own touchpoint when there is
// none), with its revenue (0 when unknown) and time; when there is no order in the period but a
// non-purchase event in it, one null path of the touchpoints in the period. Consecutive repeats
// are collapsed.
func (a *attributionAcc) paths(j *Journey, jo *journeyOrders, emit func(converted bool, rev float64, t int64)) {
	ev := j.Events
	if len(ev) == 0 {
		return
	}
	a.serial++
	touched := false // a non-purchase event in the period
	for i := range ev {
		e := &ev[i]
		in := a.per.Contains(e.Time)
		if in {
			a.reach(e.Touchpoint)
		}
		if e.Stage != a.purchase {
			touched = touched || in
		}
	}
	converted := false
	for i := range jo.orders {
		o := &jo.orders[i]
		if !a.per.Contains(o.t) {
			continue
		}
		converted = true
		from := 0
		if a.p.Lookback > 0 {
			lo := o.t - a.p.Lookback
			from = sort.Search(len(ev), func(k int) bool { return ev[k].Time >= lo })
		}
		if i > 0 {
			prev := jo.orders[i-1].t
			from = max(from, sort.Search(len(ev), func(k int) bool { return ev[k].Time > prev }))
		}
		a.path, a.times = a.path[:0], a.times[:0]
		for k := from; k < len(ev) && ev[k].Time < o.t; k++ {
			if ev[k].Stage != a.purchase {
				a.appendTouch(ev[k].Touchpoint, ev[k].Time)
			}
		}
		if len(a.path) == 0 {
			a.appendTouch(ev[o.at].Touchpoint, o.t)
		}
		rev := o.rev
		if math.IsNaN(rev) || math.IsInf(rev, 0) {
			rev = 0 // unknown; the data contract rejects non-numbers, so only NaN (absent) gets here
		}
		emit(true, rev, o.t)
	}
	if converted || !touched {
		return
	}
	a.path, a.times = a.path[:0], a.times[:0]
	for k := range ev {
		if ev[k].Stage != a.purchase && a.per.Contains(ev[k].Time) {
			a.appendTouch(ev[k].Touchpoint, ev[k].Time)
		}
	}
	emit(false, 0, 0)
}

// creditPath shares one conversion of revenue rev over a.path under every heuristic model.
func (a *attributionAcc) creditPath(rev float64) {
	a.share(func(m int, c uint32, w float64) { a.give(m, c, w, rev) })
}

// share calls give with each heuristic model's share of one conversion for each touch of a.path.
func (a *attributionAcc) share(give func(m int, c uint32, w float64)) {
	path, n := a.path, len(a.path)
	give(mFirst, path[0], 1)
	give(mLast, path[n-1], 1)
	for i, c := range path {
		give(mLinear, c, 1/float64(n))
		give(mPosition, c, positionWeight(i, n))
	}
	a.weights = timeDecayWeights(a.weights[:0], a.times, a.p.HalfLife)
	for i, c := range path {
		give(mDecay, c, a.weights[i])
	}
}

// positionWeight is the position-based (40/20/40) credit of touch i of an n-touch path: 1 for a
// single touch, 0.5 each for two, else 0.4 to the first and last and 0.2 shared by the middle.
func positionWeight(i, n int) float64 {
	switch {
	case n == 1:
		return 1
	case n == 2:
		return 0.5
	case i == 0 || i == n-1:
		return 0.4
	}
	return 0.2 / float64(n-2)
}

// timeDecayWeights appends the normalised time-decay credits of touches at times before a
// conversion: 2^(−age/halfLife), age = conversion time − touch time. Ages are taken relative to
// the youngest touch instead: the common factor cancels out in the normalisation, and old paths
// cannot underflow to 0/0. A halfLife ≤ 0 gives equal weights.
func timeDecayWeights(dst []float64, times []int64, halfLife int64) []float64 {
	youngest := slices.Max(times)
	var sum float64
	for _, t := range times {
		w := 1.0
		if halfLife > 0 {
			w = math.Exp2(-float64(youngest-t) / float64(halfLife))
		}
		dst = append(dst, w)
		sum += w
	}
	for i := range dst {
		dst[i] /= sum
	}
	return dst
}

func (a *attributionAcc) merge(o *attributionAcc) {
	a.conversions += o.conversions
	a.nullPaths += o.nullPaths
	a.revenue.merge(&o.revenue)
	if len(o.credits) > 0 {
		a.credit(uint32(len(o.credits) - 1))
	}
	for c := range o.credits {
		for m := range numHeuristic {
			a.credits[c].conv[m].merge(&o.credits[c].conv[m])
			a.credits[c].rev[m].merge(&o.credits[c].rev[m])
		}
		a.credits[c].reached += o.credits[c].reached
	}
	a.markov.merge(&o.markov)
}

// periodSpend sums the spend rows falling in the period by touchpoint name (the empty name is
// NoneLabel).
func periodSpend(per Period, spend []SpendRow) map[string]float64 {
	sums := map[string]*exactSum{}
	for _, r := range spend {
		if !per.Contains(r.Day) || math.IsNaN(r.Cost) || math.IsInf(r.Cost, 0) {
			continue
		}
		name := r.Touchpoint
		if name == "" {
			name = NoneLabel
		}
		s := sums[name]
		if s == nil {
			s = &exactSum{}
			sums[name] = s
		}
		s.add(r.Cost)
	}
	out := make(map[string]float64, len(sums))
	for k, s := range sums {
		out[k] = s.value()
	}
	return out
}

func (a *attributionAcc) result(d *Dicts, spend []SpendRow) AttributionResult {
	res := AttributionResult{
		Conversions: a.conversions,
		NullPaths:   a.nullPaths,
		Revenue:     a.revenue.value(),
		Models:      AttributionModels(),
		SpendKnown:  spend != nil,
		Touchpoints: []TouchpointAttribution{},
	}
	sol, err := a.markov.solve()
	if err != nil {
		// The chain built from complete paths is never singular; should rounding make it so,
		// Markov credits stay 0 rather than failing the report.
		sol = markovSolution{}
	}
	var sumRE, sumValueRE float64
	for i := range sol.codes {
		sumRE += sol.removal[i]
		sumValueRE += sol.valueRemoval[i]
	}
	byName := map[string]int{}
	entry := func(name string) *TouchpointAttribution {
		if i, ok := byName[name]; ok {
			return &res.Touchpoints[i]
		}
		byName[name] = len(res.Touchpoints)
		res.Touchpoints = append(res.Touchpoints, TouchpointAttribution{Touchpoint: name, Revenue: map[string]float64{}})
		return &res.Touchpoints[len(res.Touchpoints)-1]
	}
	for c := range a.credits {
		tc := &a.credits[c]
		if tc.reached == 0 && tc.conv[mLinear].value() == 0 {
			continue
		}
		t := entry(d.TouchpointName(uint32(c)))
		t.CustomersReached += tc.reached
		for m, key := range AttributionModels()[:numHeuristic] {
			v := tc.conv[m].value()
			switch m {
			case mFirst:
				t.FirstTouch += v
			case mLast:
				t.LastTouch += v
			case mLinear:
				t.Linear += v
			case mPosition:
				t.PositionBased += v
			case mDecay:
				t.TimeDecay += v
			}
			t.Revenue[key] += tc.rev[m].value()
		}
	}
	for i, c := range sol.codes {
		t := entry(d.TouchpointName(c))
		t.RemovalEffect += sol.removal[i]
		if sumRE > 0 {
			t.Markov += float64(a.conversions) * sol.removal[i] / sumRE
		}
		if sumValueRE > 0 {
			t.Revenue[ModelMarkov] += res.Revenue * sol.valueRemoval[i] / sumValueRE
		}
	}
	if spend != nil {
		costs := periodSpend(a.per, spend)
		names := make([]string, 0, len(costs))
		for name := range costs {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			entry(name)
		}
		for i := range res.Touchpoints {
			t := &res.Touchpoints[i]
			cost := costs[t.Touchpoint]
			t.Cost = Ptr(cost)
			t.CPA = map[string]*float64{}
			t.ROAS = map[string]*float64{}
			for _, m := range res.Models {
				t.CPA[m] = Ratio(cost, t.conversions(m))
				t.ROAS[m] = Ratio(t.Revenue[m], cost)
			}
		}
	}
	for i := range res.Touchpoints {
		t := &res.Touchpoints[i]
		for _, m := range res.Models {
			if _, ok := t.Revenue[m]; !ok {
				t.Revenue[m] = 0
			}
		}
	}
	slices.SortFunc(res.Touchpoints, func(x, y TouchpointAttribution) int {
		if c := cmp.Compare(y.Markov, x.Markov); c != 0 {
			return c
		}
		if c := cmp.Compare(y.LastTouch, x.LastTouch); c != 0 {
			return c
		}
		return cmp.Compare(x.Touchpoint, y.Touchpoint)
	})
	return res
}

// conversions returns the conversions attributed to t under model m.
func (t *TouchpointAttribution) conversions(m string) float64 {
	switch m {
	case ModelFirstTouch:
		return t.FirstTouch
	case ModelLastTouch:
		return t.LastTouch
	case ModelLinear:
		return t.Linear
	case ModelPositionBased:
		return t.PositionBased
	case ModelTimeDecay:
		return t.TimeDecay
	case ModelMarkov:
		return t.Markov
	}
	return 0
}

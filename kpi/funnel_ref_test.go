package kpi

import (
	"math"
	"sort"
	"time"
)

// This file is a deliberately simple reference implementation of the funnel rules (SPEC §2, §3
// and docs/funnel.md), written for clarity rather than speed: per customer, brute force over
// every attempt, with explicit sets of qualifying events per stage. The differential tests run
// it against the engine.

// refAttempt is one attempt as the reference sees it.
type refAttempt struct {
	start    int
	furthest int
	// qual[k] are the indices of the events that qualify for stage k in this attempt.
	qual [][]int
}

// refPrevRequired is the previous required stage of k (-1 for the first stage).
func refPrevRequired(p *Params, k int) int {
	for i := k - 1; i >= 0; i-- {
		if !p.Stages[i].Optional || p.Stages[i].Repeat || p.Stages[i].Purchase {
			return i
		}
	}
	return -1
}

// refBound is the furthest after an attempt's start that stage k can be reached: W, or for a stage
// with its own window the bound of the required stage before it plus that window.
func refBound(p *Params, k int) int64 {
	switch {
	case k == 0:
		return 0
	case p.Stages[k].Within > 0:
		return refBound(p, refPrevRequired(p, k)) + p.Stages[k].Within
	}
	return p.Window
}

// refMatured reports whether an entrant starting at start has had the whole window of stage k.
func refMatured(p *Params, start int64, k int) bool { return start+refBound(p, k) <= p.DataEnd }

func refRequired(p *Params, k int) bool {
	return k == 0 || !p.Stages[k].Optional || p.Stages[k].Repeat || p.Stages[k].Purchase
}

// refNewOrder reports whether event i is the first event of its order in the journey.
func refNewOrder(p *Params, ev []Event, i int) bool {
	if int(ev[i].Stage) != p.PurchaseStage() {
		return false
	}
	if ev[i].Order == 0 {
		return true
	}
	for j := 0; j < i; j++ {
		if int(ev[j].Stage) == p.PurchaseStage() && ev[j].Order == ev[i].Order {
			return false
		}
	}
	return true
}

// refRepeatOrder reports whether event i starts an order and an earlier order exists.
func refRepeatOrder(p *Params, ev []Event, i int) bool {
	if !refNewOrder(p, ev, i) {
		return false
	}
	for j := 0; j < i; j++ {
		if refNewOrder(p, ev, j) {
			return true
		}
	}
	return false
}

// refStageEvent reports whether event i is an event of stage k for the closed funnel: any new
// order for the purchase and repeat stages (which order is a repeat depends on the attempt).
func refStageEvent(p *Params, ev []Event, i, k int) bool {
	if p.Stages[k].Repeat || k == p.PurchaseStage() {
		return refNewOrder(p, ev, i)
	}
	return int(ev[i].Stage) == k
}

// refPeriodEvent reports whether event i is an event of stage k for the open funnel and the
// journey map: for the repeat stage, a new order after an earlier one.
func refPeriodEvent(p *Params, ev []Event, i, k int) bool {
	if p.Stages[k].Repeat {
		return refRepeatOrder(p, ev, i)
	}
	return int(ev[i].Stage) == k && (k != p.PurchaseStage() || refNewOrder(p, ev, i))
}

func refWalk(p *Params, ev []Event, si int) refAttempt {
	n := len(p.Stages)
	a := refAttempt{start: si, qual: make([][]int, n)}
	s := ev[si].Time
	a.qual[0] = []int{si}
	for k := 1; k < n; k++ {
		pk := refPrevRequired(p, k)
		for i := si + 1; i < len(ev); i++ {
			if !refStageEvent(p, ev, i, k) {
				continue
			}
			ok := false
			for _, i2 := range a.qual[pk] {
				if i2 >= i {
					continue
				}
				if w := p.Stages[k].Within; w > 0 {
					ok = ok || ev[i].Time-ev[i2].Time <= w
				} else {
					ok = ok || ev[i].Time <= s+p.Window
				}
			}
			if ok {
				a.qual[k] = append(a.qual[k], i)
			}
		}
	}
	for k := 1; k < n; k++ {
		if !refRequired(p, k) {
			continue
		}
		if len(a.qual[k]) == 0 {
			break
		}
		a.furthest = k
	}
	return a
}

type refOutcome struct {
	entrant  bool
	a        refAttempt
	status   int8
	segment  uint32
	reachIdx []int // per stage, -1 when not reached
}

func refEvaluate(p *Params, per Period, ev []Event) refOutcome {
	var o refOutcome
	for i := range ev {
		if !refStageEvent(p, ev, i, 0) || !per.Contains(ev[i].Time) {
			continue
		}
		a := refWalk(p, ev, i)
		if !o.entrant || a.furthest > o.a.furthest {
			o.entrant, o.a = true, a
		}
	}
	if !o.entrant {
		return o
	}
	last := 0
	for k := range p.Stages {
		if refRequired(p, k) {
			last = k
		}
	}
	if o.a.furthest == last {
		o.status = statusCompleted
	} else {
		g := o.a.furthest + 1
		for !refRequired(p, g) {
			g++
		}
		deadline := ev[o.a.start].Time + p.Window
		if w := p.Stages[g].Within; w > 0 {
			latest := int64(math.MinInt64)
			for _, i := range o.a.qual[o.a.furthest] {
				latest = max(latest, ev[i].Time)
			}
			deadline = latest + w
		}
		o.status = statusDropped
		if deadline > p.DataEnd {
			o.status = statusInProgress
		}
	}
	o.segment = ev[o.a.start].Segment
	for i := range ev {
		if o.segment == 0 {
			o.segment = ev[i].Segment
		}
	}
	o.reachIdx = make([]int, len(p.Stages))
	for k := range p.Stages {
		o.reachIdx[k] = -1
		if len(o.a.qual[k]) > 0 {
			o.reachIdx[k] = o.a.qual[k][0]
		}
	}
	return o
}

// refCounts is a closed funnel the reference way: a list of outcomes.
type refCounts struct {
	outs []refOutcome
	evs  [][]Event
}

func (c *refCounts) rows(p *Params) []StageRow {
	n := len(p.Stages)
	rows := make([]StageRow, n)
	entrants := int64(len(c.outs))
	reached := make([]int64, n)
	for k := range n {
		var durs []int64
		var mature int64
		for oi, o := range c.outs {
			if refMatured(p, c.evs[oi][o.a.start].Time, k) {
				mature++
			}
			if o.reachIdx[k] < 0 {
				continue
			}
			reached[k]++
			if k > 0 {
				ev := c.evs[oi]
				durs = append(durs, ev[o.reachIdx[k]].Time-ev[o.reachIdx[refPrevRequired(p, k)]].Time)
			}
			if o.a.furthest == k && o.status == statusDropped {
				rows[k].Dropped++
			}
			if o.a.furthest == k && o.status == statusInProgress {
				rows[k].InProgress++
			}
		}
		rows[k].Stage = p.Stages[k].Name
		rows[k].Optional = !refRequired(p, k)
		rows[k].Reached = reached[k]
		rows[k].ConversionFromEntry = Ratio(float64(reached[k]), float64(entrants))
		if k > 0 {
			rows[k].ConversionFromPrevious = Ratio(float64(reached[k]), float64(reached[refPrevRequired(p, k)]))
		}
		rows[k].TimeToConvertHours = hoursStats(durs)
		rows[k].MatureShare = Ratio(float64(mature), float64(entrants))
	}
	return rows
}

// purchase is the group's conversion to purchase as a breakdown shows it (not yet compared).
func (c *refCounts) purchase(p *Params) RateChange {
	k := p.PurchaseStage()
	rows := c.rows(p)
	n := int64(len(c.outs))
	return RateChange{Value: rows[k].ConversionFromEntry, Interval: definedInterval(WilsonInterval(rows[k].Reached, n)),
		MatureShare: rows[k].MatureShare, Mature: rows[k].MatureShare != nil && *rows[k].MatureShare >= p.MinMature, Verdict: VerdictMissing}
}

type refPeriod struct {
	funnel FunnelResult
	jmap   JourneyMapResult
	trends TrendsResult
}

// refCompute computes the funnel, journey map and trends of per for every journey.
func refCompute(p *Params, per Period, d *Dicts, journeys []Journey) refPeriod {
	n := len(p.Stages)
	var all refCounts
	groups := make([]map[string]*refCounts, len(p.Breakdowns))
	for i := range groups {
		groups[i] = map[string]*refCounts{}
	}
	open := make([]int64, n)
	type cellKey struct {
		stage int
		tp    string
	}
	type cell struct {
		customers, events, sentN int64
		sum, sq                  float64
		sentCustomers            map[uint64]bool
		nextMature, nextReached  int64
	}
	nextReq := func(k int) int {
		for j := k + 1; j < n; j++ {
			if !p.Stages[j].Optional {
				return j
			}
		}
		return -1
	}
	cells := map[cellKey]*cell{}
	getCell := func(k int, tp uint32) *cell {
		key := cellKey{k, d.TouchpointName(tp)}
		if cells[key] == nil {
			cells[key] = &cell{sentCustomers: map[uint64]bool{}}
		}
		return cells[key]
	}
	// trends
	days := (per.To - per.From + Day/2) / Day
	gran := "day"
	label := func(t int64) string { return p.Day(t) }
	if days > maxDailyTrendDays {
		gran = "week"
		label = p.WeekStart
	}
	points := map[string]*TrendPoint{}
	revenue := map[string]int64{}
	var dates []string
	for t := per.From; t < per.To; t += Hour {
		if l := label(t); points[l] == nil {
			points[l] = &TrendPoint{Date: l}
			dates = append(dates, l)
		}
	}

	for ji := range journeys {
		ev := journeys[ji].Events
		o := refEvaluate(p, per, ev)
		if o.entrant {
			all.outs = append(all.outs, o)
			all.evs = append(all.evs, ev)
			for bi, by := range p.Breakdowns {
				var v string
				switch by {
				case "first_touchpoint":
					v = d.TouchpointName(ev[o.a.start].Touchpoint)
				case "segment":
					v = d.SegmentName(o.segment)
				case "entry_week":
					v = p.WeekStart(ev[o.a.start].Time)
				}
				if groups[bi][v] == nil {
					groups[bi][v] = &refCounts{}
				}
				groups[bi][v].outs = append(groups[bi][v].outs, o)
				groups[bi][v].evs = append(groups[bi][v].evs, ev)
			}
			for k := range n {
				if o.reachIdx[k] >= 0 {
					c := getCell(k, ev[o.reachIdx[k]].Touchpoint)
					c.customers++
					if nk := nextReq(k); nk >= 0 && refMatured(p, ev[o.a.start].Time, nk) {
						c.nextMature++
						if o.reachIdx[nk] >= 0 {
							c.nextReached++
						}
					}
				}
			}
			pt := points[label(ev[o.a.start].Time)]
			pt.Entrants++
			if o.reachIdx[p.PurchaseStage()] >= 0 {
				pt.Purchases++
			}
			if refMatured(p, ev[o.a.start].Time, p.PurchaseStage()) {
				pt.MatureEntrants++
			}
		}
		for k := range n {
			seen := false
			for i := range ev {
				if !per.Contains(ev[i].Time) || !refPeriodEvent(p, ev, i, k) {
					continue
				}
				seen = true
				c := getCell(k, ev[i].Touchpoint)
				c.events++
				if ev[i].HasSentiment() {
					c.sentN++
					c.sum += float64(ev[i].Sentiment)
					c.sq += float64(ev[i].Sentiment) * float64(ev[i].Sentiment)
					c.sentCustomers[journeys[ji].Customer] = true
				}
			}
			if seen {
				open[k]++
			}
		}
		for i := range ev {
			if !per.Contains(ev[i].Time) || !refNewOrder(p, ev, i) {
				continue
			}
			pt := points[label(ev[i].Time)]
			pt.Orders++
			for j := i; j < len(ev); j++ {
				if int(ev[j].Stage) == p.PurchaseStage() && (j == i || (ev[i].Order != 0 && ev[j].Order == ev[i].Order)) && ev[j].HasRevenue() {
					revenue[pt.Date] += toMicroUnits(ev[j].Revenue) // revenue sums are exact in micro-units
					break
				}
			}
		}
	}

	var r refPeriod
	f := &r.funnel
	f.Entrants = int64(len(all.outs))
	for _, o := range all.outs {
		switch o.status {
		case statusCompleted:
			f.Completed++
		case statusDropped:
			f.Dropped++
		case statusInProgress:
			f.InProgress++
		}
	}
	f.Closed = all.rows(p)
	f.MatureShare = f.Closed[p.PurchaseStage()].MatureShare
	f.Breakdowns = []Breakdown{}
	for k := range n {
		f.Open = append(f.Open, OpenRow{Stage: p.Stages[k].Name, Customers: open[k]})
	}
	for bi, by := range p.Breakdowns {
		var values []string
		for v := range groups[bi] {
			values = append(values, v)
		}
		sort.Slice(values, func(a, b int) bool {
			na, nb := len(groups[bi][values[a]].outs), len(groups[bi][values[b]].outs)
			if na != nb {
				return na > nb
			}
			return values[a] < values[b]
		})
		var other *refCounts
		if len(values) > p.Top {
			other = &refCounts{}
			for _, v := range values[p.Top:] {
				other.outs = append(other.outs, groups[bi][v].outs...)
				other.evs = append(other.evs, groups[bi][v].evs...)
			}
			values = values[:p.Top]
		}
		if by == "entry_week" {
			sort.Strings(values)
		}
		b := Breakdown{By: by, Groups: []BreakdownGroup{}}
		for _, v := range values {
			g := groups[bi][v]
			b.Groups = append(b.Groups, BreakdownGroup{Value: v, Entrants: int64(len(g.outs)), Closed: g.rows(p), Purchase: g.purchase(p)})
		}
		if other != nil {
			b.Groups = append(b.Groups, BreakdownGroup{Value: OtherLabel, Entrants: int64(len(other.outs)), Closed: other.rows(p), Purchase: other.purchase(p)})
		}
		f.Breakdowns = append(f.Breakdowns, b)
	}

	// journey map
	m := &r.jmap
	m.Cells, m.PainPoints, m.Touchpoints, m.Sentiment, m.ByDimension = []MapCell{}, []PainPoint{}, []string{}, []StageMood{}, []DimensionMap{}
	tpSet := map[string]bool{}
	for key, c := range cells {
		if c.customers > 0 || c.events > 0 {
			tpSet[key.tp] = true
		}
	}
	for tp := range tpSet {
		m.Touchpoints = append(m.Touchpoints, tp)
	}
	sort.Strings(m.Touchpoints)
	var pains []PainPoint
	for k := range n {
		m.Stages = append(m.Stages, p.Stages[k].Name)
		var sum float64
		var sn, nextMature, nextReached int64
		for _, tp := range m.Touchpoints {
			if c := cells[cellKey{k, tp}]; c != nil {
				sum += c.sum
				sn += c.sentN
				nextMature += c.nextMature
				nextReached += c.nextReached
			}
		}
		stageMean := Ratio(sum, float64(sn))
		for _, tp := range m.Touchpoints {
			c := cells[cellKey{k, tp}]
			if c == nil || (c.customers == 0 && c.events == 0) {
				continue
			}
			mc := MapCell{Stage: p.Stages[k].Name, Touchpoint: tp, Customers: c.customers, Events: c.events,
				SentimentMean: Ratio(c.sum, float64(c.sentN)), SentimentN: c.sentN, SentimentCustomers: int64(len(c.sentCustomers)),
				Measured: len(c.sentCustomers) >= max(p.MinCustomers, 1)}
			m.Cells = append(m.Cells, mc)
			if !mc.Measured || tp == NoneLabel || stageMean == nil || c.sentN < 2 {
				continue
			}
			// The sample variance as Σx² − n·mean², the engine's algebra, so that the bits agree;
			// TestPainPoints checks the formula against Σ(x − mean)².
			nf := float64(c.sentN)
			mean := c.sum / nf
			half := NormalQuantile(0.975) * math.Sqrt(max(0, (c.sq-nf*mean*mean)/(nf-1))) / math.Sqrt(nf)
			if !(mean+half < *stageMean) {
				continue
			}
			pp := PainPoint{MapCell: mc, StageMean: *stageMean, Interval: Interval{mean - half, mean + half}}
			if nk := nextReq(k); nk >= 0 {
				pp.NextStage = p.Stages[nk].Name
				pp.NextConversion = Ratio(float64(c.nextReached), float64(c.nextMature))
				pp.RestConversion = Ratio(float64(nextReached-c.nextReached), float64(nextMature-c.nextMature))
				if pp.NextConversion != nil && pp.RestConversion != nil {
					pp.ExtraDropOff = max(0, *pp.RestConversion-*pp.NextConversion)
				}
			}
			pains = append(pains, pp)
		}
		m.Sentiment = append(m.Sentiment, StageMood{Stage: p.Stages[k].Name, Mean: stageMean, N: sn})
	}
	sort.SliceStable(pains, func(a, b int) bool {
		return *pains[a].SentimentMean-pains[a].StageMean < *pains[b].SentimentMean-pains[b].StageMean
	})
	m.PainPoints = append(m.PainPoints, pains...)

	r.trends.Granularity = gran
	step := 1
	if gran == "week" {
		step = 7
	}
	dataDays := p.DayStart(p.DataEnd).AddDate(0, 0, 1).UnixMicro()
	for _, dt := range dates {
		pt := points[dt]
		pt.Revenue = float64(revenue[dt]) / moneyScale
		pt.Immature = pt.Entrants > 0 && float64(pt.MatureEntrants)/float64(pt.Entrants) < p.MinMature
		start, _ := time.ParseInLocation(time.DateOnly, dt, p.Location)
		end := start.AddDate(0, 0, step).UnixMicro()
		pt.Partial = start.UnixMicro() < per.From || end > per.To || end > dataDays
		r.trends.Points = append(r.trends.Points, *pt)
	}
	return r
}

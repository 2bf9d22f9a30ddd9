package kpi

import (
	"math"
	"math/bits"
	"slices"
	"sort"
)

// stagePlan is the stage list as the funnel walks it: for every stage the previous and next
// required stage and its window. It is derived once from Params.
type stagePlan struct {
	n        int
	purchase int // index of the purchase stage
	repeat   int // index of the repeat stage, or -1
	lastReq  int // index of the last required stage
	prevReq  []int
	nextReq  []int // -1 after the last required stage
	within   []int64
	optional []bool
	window   int64
	// horizon is the furthest after an attempt's start that any stage can still be reached.
	horizon int64
	// bound is, per stage, the furthest after an attempt's start that the stage can be reached
	// (W, or the previous required stage's bound plus the stage's own window): an entrant whose
	// start + bound[k] is at or before dataEnd has had its whole window for stage k.
	bound   []int64
	dataEnd int64
}

func newStagePlan(p *Params) *stagePlan {
	n := len(p.Stages)
	sp := &stagePlan{
		n: n, purchase: p.PurchaseStage(), repeat: p.RepeatStage(), window: p.Window,
		prevReq: make([]int, n), nextReq: make([]int, n), within: make([]int64, n), optional: make([]bool, n),
		bound: make([]int64, n), dataEnd: p.DataEnd,
	}
	prev := -1
	var bound int64
	sp.horizon = p.Window
	for k, s := range p.Stages {
		sp.prevReq[k] = prev
		sp.within[k] = s.Within
		sp.optional[k] = s.Optional && k > 0 && !s.Repeat && !s.Purchase // purchase and repeat are always required
		if k > 0 {
			b := p.Window
			if s.Within > 0 {
				b = bound + s.Within
			}
			sp.horizon = max(sp.horizon, b)
			sp.bound[k] = b
			if !sp.optional[k] {
				bound = b
			}
		}
		if !sp.optional[k] {
			prev = k
		}
	}
	sp.lastReq = prev
	next := -1
	for k := n - 1; k >= 0; k-- {
		sp.nextReq[k] = next
		if !sp.optional[k] {
			next = k
		}
	}
	return sp
}

// counted returns the stage that event e, with its order flags, counts for in a period's stage
// events (-1: none) and whether it also reaches the repeat stage. For the purchase stage only an
// order's first event counts, and a later order's first event is also a repeat; the repeat stage
// is derived and never an event's own. flags is read only for purchase-stage events.
func (sp *stagePlan) counted(e *Event, flags uint8) (k int, repeat bool) {
	k = int(e.Stage)
	if k < 0 || k >= sp.n || k == sp.repeat {
		return -1, false
	}
	if k == sp.purchase {
		if flags&flagNewOrder == 0 {
			return -1, false
		}
		return k, sp.repeat >= 0 && flags&flagRepeatOrder != 0
	}
	return k, false
}

// Outcome of an entrant's counted attempt.
const (
	statusCompleted int8 = iota
	statusDropped
	statusInProgress
)

// attemptState is what one attempt reached: per stage the first qualifying event (index, time)
// and the time of the last qualifying event, which later stages with a `within` measure from.
type attemptState struct {
	firstIdx []int32 // -1: not reached
	firstT   []int64
	lastT    []int64
}

func newAttemptState(n int) attemptState {
	return attemptState{firstIdx: make([]int32, n), firstT: make([]int64, n), lastT: make([]int64, n)}
}

// outcome is the closed-funnel verdict on one journey for one period. Its slices are the
// evaluator's scratch: valid until the next run.
type outcome struct {
	entrant  bool
	start    int  // index of the counted attempt's first event
	furthest int  // furthest required stage the counted attempt reached
	status   int8 // statusCompleted, statusDropped or statusInProgress
	st       *attemptState
	segment  uint32
	dims     [MaxDims]uint32 // like segment, for the dimensions of evaluator.dims (0 for the others)
	flags    []uint8         // per purchase-stage event: flagNewOrder, flagRepeatOrder
	orderRev []float64       // per new-order event: the order's revenue (NaN when none)
	loose    []refund        // the journey's refunds of no order read (journeyOrders.loose)
	// lo and hi delimit the events in the period.
	lo, hi int
}

// reached reports whether the counted attempt reached stage k.
func (o *outcome) reached(k int) bool { return o.entrant && o.st.firstIdx[k] >= 0 }

// matured reports whether the entrant's whole window for stage k had closed by the data's end:
// its outcome there can no longer change.
func (sp *stagePlan) matured(o *outcome, k int) bool {
	return o.entrant && o.st.firstT[0]+sp.bound[k] <= sp.dataEnd
}

// evaluator finds the attempt that counts for a journey in one period. It keeps its scratch
// between journeys so that run does not allocate in steady state; it is not safe for concurrent
// use.
type evaluator struct {
	p       *Params
	sp      *stagePlan
	per     Period
	dataEnd int64
	// dims are the indices of the dimensions whose value run finds (outcome.dims): those its
	// funnel breaks down by, none for a light funnel.
	dims []int

	flags    []uint8 // the journey's order flags (journeyOrders.flags)
	lastAt   []int64 // per stage: time of the journey's last event that can reach it
	cur, bst attemptState
	out      outcome
}

// newEvaluator returns the evaluator of per, finding the values of the dimensions dims (for the
// funnel's breakdowns: funnelAcc.dimsRead).
func newEvaluator(p *Params, sp *stagePlan, per Period, dims []int) *evaluator {
	return &evaluator{
		p: p, sp: sp, per: per, dataEnd: p.DataEnd, dims: dims,
		lastAt: make([]int64, sp.n),
		cur:    newAttemptState(sp.n), bst: newAttemptState(sp.n),
	}
}

// outside reports whether j has no event in the evaluator's period, so that run finds nothing.
func (ev *evaluator) outside(j *Journey) bool { return outside(j.Events, ev.per) }

// outside reports whether none of events (in time order) falls in per.
func outside(events []Event, per Period) bool {
	n := len(events)
	return n == 0 || events[0].Time >= per.To || events[n-1].Time < per.From
}

// periodRange returns the indices [lo, hi) of the events that fall in per (empty: [0, 0)).
func periodRange(events []Event, per Period) (lo, hi int) {
	// Most journeys lie wholly inside, before or after a period: each evaluator of Acc.Add asks.
	n := len(events)
	switch {
	case outside(events, per):
		return 0, 0
	case events[0].Time >= per.From && events[n-1].Time < per.To:
		return 0, n
	}
	search := func(t int64) int {
		a, b := 0, len(events)
		for a < b {
			m := int(uint(a+b) >> 1)
			if events[m].Time < t {
				a = m + 1
			} else {
				b = m
			}
		}
		return a
	}
	return search(per.From), search(per.To)
}

// run evaluates one journey, whose orders jo holds: every attempt that starts in the period,
// keeping the furthest (ties to the earliest).
func (ev *evaluator) run(j *Journey, jo *journeyOrders) *outcome {
	sp := ev.sp
	events := j.Events
	o := &ev.out
	*o = outcome{st: &ev.bst}
	o.lo, o.hi = periodRange(events, ev.per)
	if o.lo == o.hi {
		return o // nothing in the period: every family skips the journey
	}
	ev.flags = jo.flags
	o.flags, o.orderRev, o.loose = jo.flags, jo.rev, jo.loose
	first := o.lo
	for first < o.hi && !ev.starts(events, first) {
		first++
	}
	if first == o.hi {
		return o // no first-stage event in the period: not an entrant
	}
	lastAtKnown := false

	best := -1
	prevStart := int64(math.MinInt64)
	for i := first; i < o.hi; i++ {
		e := &events[i]
		if e.Time == prevStart || !ev.starts(events, i) {
			continue
		}
		prevStart = e.Time
		if best >= 0 {
			if best == sp.lastReq {
				break
			}
			if !lastAtKnown {
				ev.findLastAt(events, first)
				lastAtKnown = true
			}
			if ev.lastAt[sp.nextReq[best]] < e.Time {
				break
			}
		}
		if f := ev.attempt(events, i); f > best {
			best = f
			o.start = i
			ev.cur, ev.bst = ev.bst, ev.cur
		}
	}
	if best < 0 {
		return o
	}
	o.entrant = true
	o.furthest = best
	st := &ev.bst
	switch {
	case best == sp.lastReq:
		o.status = statusCompleted
	default:
		g := sp.nextReq[best]
		deadline := events[o.start].Time + sp.window
		if w := sp.within[g]; w > 0 {
			deadline = st.lastT[best] + w
		}
		o.status = statusDropped
		if deadline > ev.dataEnd {
			o.status = statusInProgress
		}
	}
	o.segment = ev.attrOf(events, o.start, attrSegment)
	for _, k := range ev.dims {
		o.dims[k] = ev.attrOf(events, o.start, k)
	}
	return o
}

// attrOf is the value of attribute a (Event.attr) of the attempt starting at event start: the
// start event's, or when it has none, that of the journey's first event with one that may give
// attributes (Params.attribute), or 0.
func (ev *evaluator) attrOf(events []Event, start, a int) uint32 {
	if v := events[start].attr(a); v != 0 {
		return v
	}
	for i := range events {
		if v := events[i].attr(a); v != 0 && ev.p.attribute(&events[i], int8(ev.sp.purchase)) {
			return v
		}
	}
	return 0
}

// findLastAt sets lastAt, which bounds the attempts worth trying: a later attempt can only beat
// the best one by reaching its next required stage, which needs an event of it at or after the
// attempt's start.
func (ev *evaluator) findLastAt(events []Event, from int) {
	sp := ev.sp
	for k := range ev.lastAt {
		ev.lastAt[k] = math.MinInt64
	}
	for i := from; i < len(events); i++ {
		k, repeat := sp.counted(&events[i], ev.flags[i])
		if k < 0 {
			continue
		}
		if repeat {
			ev.lastAt[sp.repeat] = events[i].Time
		}
		ev.lastAt[k] = events[i].Time
	}
}

// starts reports whether event i can start an attempt: a first-stage event (when the first
// stage is the purchase stage, an order's first event).
func (ev *evaluator) starts(events []Event, i int) bool {
	return events[i].Stage == 0 && (ev.sp.purchase != 0 || ev.flags[i]&flagNewOrder != 0)
}

// attempt walks one attempt from the first-stage event at si and returns the furthest required
// stage it reached. A stage is reached by an event of it that comes after a qualifying event of
// the previous required stage (in Compare order: same-time events in stage order), within W of
// the attempt's start, or within the stage's own window of that event (boundaries inclusive).
func (ev *evaluator) attempt(events []Event, si int) int {
	sp := ev.sp
	st := &ev.cur
	for k := range st.firstIdx {
		st.firstIdx[k] = -1
	}
	s := events[si].Time
	st.firstIdx[0], st.firstT[0], st.lastT[0] = int32(si), s, s
	end, deadline := s+sp.horizon, s+sp.window
	for i := si + 1; i < len(events); i++ {
		e := &events[i]
		if e.Time > end {
			break
		}
		k := int(e.Stage)
		if k < 0 || k >= sp.n || k == sp.repeat {
			continue
		}
		if k == sp.purchase {
			if ev.flags[i]&flagNewOrder == 0 {
				continue
			}
			// A new order after a qualifying purchase is a different order: the repeat stage.
			if sp.repeat >= 0 {
				ev.try(st, sp.repeat, i, e.Time, deadline)
			}
		}
		if k > 0 { // the first stage qualifies only at the attempt's start
			ev.try(st, k, i, e.Time, deadline)
		}
	}
	furthest := 0
	for k := sp.nextReq[0]; k >= 0 && st.firstIdx[k] >= 0; k = sp.nextReq[k] {
		furthest = k
	}
	return furthest
}

func (ev *evaluator) try(st *attemptState, k, i int, t, deadline int64) {
	pk := ev.sp.prevReq[k]
	if st.firstIdx[pk] < 0 {
		return
	}
	if w := ev.sp.within[k]; w > 0 {
		if t-st.lastT[pk] > w {
			return
		}
	} else if t > deadline {
		return
	}
	if st.firstIdx[k] < 0 {
		st.firstIdx[k], st.firstT[k] = int32(i), t
	}
	st.lastT[k] = t
}

// funnelCounts is the closed funnel of a group of entrants.
type funnelCounts struct {
	entrants, completed, dropped, inProgress int64
	reached, drop, prog                      []int64 // per stage
	// mature counts, per stage, the entrants whose window for the stage had closed by the data's
	// end (stagePlan.matured).
	mature []int64
	// dur are, per stage, the times from the previous required stage (micros), in the order the
	// entrants were added and merged.
	dur []int64s
	// noDur leaves the durations out, for counts that only feed the headline KPIs.
	noDur bool
}

func newFunnelCounts(n int) *funnelCounts {
	return &funnelCounts{reached: make([]int64, n), drop: make([]int64, n), prog: make([]int64, n), mature: make([]int64, n), dur: make([]int64s, n)}
}

func (c *funnelCounts) add(sp *stagePlan, o *outcome) {
	c.entrants++
	switch o.status {
	case statusCompleted:
		c.completed++
	case statusDropped:
		c.dropped++
		c.drop[o.furthest]++
	case statusInProgress:
		c.inProgress++
		c.prog[o.furthest]++
	}
	st := o.st
	for k := range c.reached {
		if sp.matured(o, k) {
			c.mature[k]++
		}
		if st.firstIdx[k] < 0 {
			continue
		}
		c.reached[k]++
		if k > 0 && !c.noDur {
			c.dur[k].add(st.firstT[k] - st.firstT[sp.prevReq[k]])
		}
	}
}

func (c *funnelCounts) merge(o *funnelCounts) {
	c.entrants += o.entrants
	c.completed += o.completed
	c.dropped += o.dropped
	c.inProgress += o.inProgress
	for k := range c.reached {
		c.reached[k] += o.reached[k]
		c.drop[k] += o.drop[k]
		c.prog[k] += o.prog[k]
		c.mature[k] += o.mature[k]
		c.dur[k].merge(&o.dur[k].blockList)
	}
}

func (c *funnelCounts) rows(p *Params, sp *stagePlan) []StageRow {
	rows := make([]StageRow, sp.n)
	for k := range rows {
		r := StageRow{
			Stage: p.Stages[k].Name, Optional: sp.optional[k], Reached: c.reached[k],
			ConversionFromEntry: Ratio(float64(c.reached[k]), float64(c.entrants)),
			Dropped:             c.drop[k], InProgress: c.prog[k],
			TimeToConvertHours: c.dur[k].stats(),
			MatureShare:        Ratio(float64(c.mature[k]), float64(c.entrants)),
		}
		if k > 0 {
			r.ConversionFromPrevious = Ratio(float64(c.reached[k]), float64(c.reached[sp.prevReq[k]]))
		}
		rows[k] = r
	}
	return rows
}

// hoursStats summarises durations in micros as hours. It reorders d. Quantiles interpolate
// linearly between order statistics (type 7, as DuckDB's quantile_cont), found by selection in
// linear time rather than by sorting; the mean comes from an exact 128-bit integer sum (fixedSum), so neither
// depends on how journeys were split.
func hoursStats(d []int64) Stats {
	s := Stats{N: int64(len(d))}
	if len(d) == 0 {
		return s
	}
	h := float64(Hour)
	s.Median = Ptr(quantileSelect(d, 0.5) / h)
	s.P90 = Ptr(quantileSelect(d, 0.9) / h)
	var sum fixedSum
	for _, v := range d {
		sum.add(v)
	}
	s.Mean = Ptr(sum.value() / float64(len(d)) / h)
	return s
}

// quantileSelect is the q-quantile of x, interpolated linearly (Hyndman & Fan type 7). It
// reorders x.
func quantileSelect(x []int64, q float64) float64 {
	r, frac, last := type7(len(x), q)
	if last {
		return float64(slices.Max(x))
	}
	selectNth(x, r)
	return type7Between(x[r], slices.Min(x[r+1:]), frac)
}

// quantileSorted is the q-quantile of sorted (non-empty) x, interpolated linearly (Hyndman &
// Fan type 7).
func quantileSorted[T int64 | float64](x []T, q float64) float64 {
	r, frac, last := type7(len(x), q)
	if last {
		return float64(x[len(x)-1])
	}
	return type7Between(x[r], x[r+1], frac)
}

// type7 places the q-quantile of n values (Hyndman & Fan type 7): at fraction frac of the way
// from the value of rank r (0-based, ascending) to that of rank r+1, or, when last, at the
// largest value.
func type7(n int, q float64) (r int, frac float64, last bool) {
	pos := q * float64(n-1)
	r = int(math.Floor(pos))
	return r, pos - float64(r), r >= n-1
}

// type7Between is the value at fraction frac of the way from a (rank r) to b (rank r+1).
func type7Between[T int64 | float64](a, b T, frac float64) float64 {
	return float64(a) + frac*float64(b-a)
}

// selectNth reorders x so that x[k] is the value a sort would put there, everything before it
// no larger and everything after it no smaller (introselect: quickselect with a median-of-three
// pivot, falling back to sorting a range that does not shrink fast enough).
func selectNth(x []int64, k int) {
	lo, hi := 0, len(x)-1
	budget := 2 * bits.Len(uint(len(x)))
	for hi > lo {
		if budget == 0 || hi-lo < 16 {
			slices.Sort(x[lo : hi+1])
			return
		}
		budget--
		mid := lo + (hi-lo)/2
		if x[mid] < x[lo] {
			x[mid], x[lo] = x[lo], x[mid]
		}
		if x[hi] < x[lo] {
			x[hi], x[lo] = x[lo], x[hi]
		}
		if x[hi] < x[mid] {
			x[hi], x[mid] = x[mid], x[hi]
		}
		pivot := x[mid]
		i, j := lo, hi
		for i <= j {
			for x[i] < pivot {
				i++
			}
			for x[j] > pivot {
				j--
			}
			if i <= j {
				x[i], x[j] = x[j], x[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return
		}
	}
}

// Breakdown dimensions (SPEC §3, config funnel.breakdowns).
const (
	byFirstTouchpoint = "first_touchpoint"
	bySegment         = "segment"
	byEntryWeek       = "entry_week"
)

// funnelAcc accumulates the closed and open funnel of one period.
type funnelAcc struct {
	p     *Params
	sp    *stagePlan
	weeks buckets
	all   *funnelCounts
	// dims holds one closed funnel per breakdown value, indexed by the value's code (touchpoint,
	// segment or dimension code, entry-week bucket).
	dims [][]*funnelCounts
	// dimOf is, per breakdown, the index of the dimension it is, or -1.
	dimOf []int
	open  []int64
	seen  []bool
	// mix counts entrants and purchases by first touchpoint ([0]) and by segment ([1]), every
	// value, not only the top ones: what the decomposition of a change in conversion needs. It is
	// indexed by the code; a code without entrants did not occur.
	mix [2][]mixCount
	// light accumulators keep only the overall counts and mix: no breakdowns, open funnel or
	// durations. They feed the headline KPIs of the mature cohorts and the recent periods.
	light bool
	// groupsNoDur leaves the durations out of the breakdowns' counts: the mature cohort's groups
	// only feed the stage opportunities, which read how many reached each stage.
	groupsNoDur bool
	// entries counts the entrants by the touchpoint and campaign of their attempt's first event,
	// with those who reached the purchase stage and that order's revenue: the funnel side of the
	// touchpoint metrics.
	entries map[entryKey]*entryCount
}

// entryKey is a touchpoint and campaign code.
type entryKey struct{ tp, campaign uint32 }

// entryCount is the entrants of one touchpoint and campaign, those who reached the purchase stage
// and the revenue of the orders that reached it.
type entryCount struct {
	entrants, purchasers int64
	revenue              exactSum
}

// mixCount is the entrants of one first touchpoint or segment and how many of them purchased.
type mixCount struct{ entrants, purchases int64 }

func newFunnelAcc(p *Params, per Period, light bool) *funnelAcc {
	sp := newStagePlan(p)
	f := &funnelAcc{
		p: p, sp: sp, weeks: weekBuckets(p, per),
		all: newFunnelCounts(sp.n), dims: make([][]*funnelCounts, len(p.Breakdowns)),
		open: make([]int64, sp.n), seen: make([]bool, sp.n),
		light:   light,
		entries: map[entryKey]*entryCount{},
	}
	for _, by := range p.Breakdowns {
		f.dimOf = append(f.dimOf, p.dimension(by))
	}
	f.all.noDur = light
	return f
}

// dimsRead are the indices of the dimensions whose value add reads from an outcome: those of the
// breakdowns, none when light.
func (f *funnelAcc) dimsRead() []int {
	if f.light {
		return nil
	}
	var ks []int
	for _, k := range f.dimOf {
		if k >= 0 {
			ks = append(ks, k)
		}
	}
	return ks
}

// newGroup returns the empty counts of a breakdown group.
func (f *funnelAcc) newGroup() *funnelCounts {
	c := newFunnelCounts(f.sp.n)
	c.noDur = f.groupsNoDur
	return c
}

func (f *funnelAcc) add(j *Journey, o *outcome) {
	sp := f.sp
	if o.entrant {
		f.all.add(sp, o)
		for i, code := range [2]uint32{j.Events[o.start].Touchpoint, o.segment} {
			f.mix[i] = growCodes(f.mix[i], int(code)+1)
			m := &f.mix[i][code]
			m.entrants++
			if o.reached(sp.purchase) {
				m.purchases++
			}
		}
	}
	if f.light {
		return
	}
	if o.entrant {
		first := &j.Events[o.start]
		k := entryKey{first.Touchpoint, first.Campaign}
		ec := f.entries[k]
		if ec == nil {
			ec = &entryCount{}
			f.entries[k] = ec
		}
		ec.entrants++
		if i := o.st.firstIdx[sp.purchase]; i >= 0 {
			ec.purchasers++
			if r := o.orderRev[i]; !math.IsNaN(r) {
				ec.revenue.add(r)
			}
		}
		for d, by := range f.p.Breakdowns {
			var code int
			switch by {
			case byFirstTouchpoint:
				code = int(j.Events[o.start].Touchpoint)
			case bySegment:
				code = int(o.segment)
			case byEntryWeek:
				code = f.weeks.find(j.Events[o.start].Time)
			default:
				k := f.dimOf[d]
				if k < 0 {
					continue
				}
				code = int(o.dims[k])
			}
			for len(f.dims[d]) <= code {
				f.dims[d] = append(f.dims[d], nil)
			}
			if f.dims[d][code] == nil {
				f.dims[d][code] = f.newGroup()
			}
			f.dims[d][code].add(sp, o)
		}
	}
	if o.lo == o.hi {
		return
	}
	clear(f.seen)
	for i := o.lo; i < o.hi; i++ {
		k, repeat := sp.counted(&j.Events[i], o.flags[i])
		if k < 0 {
			continue
		}
		if repeat {
			f.seen[sp.repeat] = true
		}
		f.seen[k] = true
	}
	for k, s := range f.seen {
		if s {
			f.open[k]++
		}
	}
}

func (f *funnelAcc) merge(o *funnelAcc) {
	f.all.merge(o.all)
	for k, c := range o.entries {
		ec := f.entries[k]
		if ec == nil {
			ec = &entryCount{}
			f.entries[k] = ec
		}
		ec.entrants += c.entrants
		ec.purchasers += c.purchasers
		ec.revenue.merge(&c.revenue)
	}
	for i := range f.mix {
		f.mix[i] = growCodes(f.mix[i], len(o.mix[i]))
		for code, c := range o.mix[i] {
			m := &f.mix[i][code]
			m.entrants += c.entrants
			m.purchases += c.purchases
		}
	}
	for d := range f.dims {
		for code, c := range o.dims[d] {
			if c == nil {
				continue
			}
			for len(f.dims[d]) <= code {
				f.dims[d] = append(f.dims[d], nil)
			}
			if f.dims[d][code] == nil {
				f.dims[d][code] = f.newGroup()
			}
			f.dims[d][code].merge(c)
		}
	}
	for k := range f.open {
		f.open[k] += o.open[k]
	}
}

func (f *funnelAcc) result(d *Dicts) FunnelResult {
	sp := f.sp
	r := FunnelResult{
		Entrants: f.all.entrants, Completed: f.all.completed, Dropped: f.all.dropped, InProgress: f.all.inProgress,
		MatureShare: Ratio(float64(f.all.mature[sp.purchase]), float64(f.all.entrants)),
		Closed:      f.all.rows(f.p, sp), Breakdowns: []Breakdown{},
	}
	for k := range f.open {
		r.Open = append(r.Open, OpenRow{Stage: f.p.Stages[k].Name, Customers: f.open[k]})
	}
	for di, by := range f.p.Breakdowns {
		var label func(code int) string
		switch by {
		case byFirstTouchpoint:
			label = func(code int) string { return d.TouchpointName(uint32(code)) }
		case bySegment:
			label = func(code int) string { return d.SegmentName(uint32(code)) }
		case byEntryWeek:
			label = func(code int) string { return f.weeks.labels[code] }
		default:
			k := f.dimOf[di]
			if k < 0 {
				continue
			}
			label = func(code int) string { return d.DimName(k, uint32(code)) }
		}
		r.Breakdowns = append(r.Breakdowns, f.breakdown(by, f.dims[di], label))
	}
	return r
}

// breakdown keeps the top N values by entrants (ties by value) and folds the rest into
// "(other)". Entry weeks are listed in time order, the other dimensions by entrants.
func (f *funnelAcc) breakdown(by string, groups []*funnelCounts, label func(int) string) Breakdown {
	type group struct {
		code  int
		value string
		c     *funnelCounts
	}
	var gs []group
	for code, c := range groups {
		if c != nil && c.entrants > 0 {
			gs = append(gs, group{code, label(code), c})
		}
	}
	sort.Slice(gs, func(a, b int) bool {
		if gs[a].c.entrants != gs[b].c.entrants {
			return gs[a].c.entrants > gs[b].c.entrants
		}
		return gs[a].value < gs[b].value
	})
	var other *funnelCounts
	if top := f.p.Top; top > 0 && len(gs) > top {
		other = newFunnelCounts(f.sp.n)
		for _, g := range gs[top:] {
			other.merge(g.c)
		}
		gs = gs[:top]
	}
	if by == byEntryWeek {
		sort.Slice(gs, func(a, b int) bool { return gs[a].code < gs[b].code })
	}
	b := Breakdown{By: by, Groups: []BreakdownGroup{}}
	newGroup := func(value string, c *funnelCounts) BreakdownGroup {
		k := f.sp.purchase
		share := Ratio(float64(c.mature[k]), float64(c.entrants))
		return BreakdownGroup{Value: value, Entrants: c.entrants, Closed: c.rows(f.p, f.sp), Purchase: RateChange{
			Value:       Ratio(float64(c.reached[k]), float64(c.entrants)),
			Interval:    definedInterval(WilsonInterval(c.reached[k], c.entrants)),
			MatureShare: share,
			Mature:      share != nil && *share >= f.p.MinMature,
			Verdict:     VerdictMissing,
		}}
	}
	for _, g := range gs {
		b.Groups = append(b.Groups, newGroup(g.value, g.c))
	}
	if other != nil {
		b.Groups = append(b.Groups, newGroup(OtherLabel, other))
	}
	return b
}

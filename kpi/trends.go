package kpi

import (
	"math"
	"math/bits"
	"time"
)

// buckets cut a period into consecutive days or weeks of the report time zone.
type buckets struct {
	starts []int64 // start of each bucket; the first may fall before the period's start
	ends   []int64 // end of each bucket (the next one's start); the last may fall after the period's end
	labels []string
}

// find returns the index of the bucket holding t, clamped to the first and last bucket.
func (b *buckets) find(t int64) int {
	lo, hi := 0, len(b.starts)
	for hi-lo > 1 {
		m := int(uint(lo+hi) >> 1)
		if b.starts[m] <= t {
			lo = m
		} else {
			hi = m
		}
	}
	return lo
}

// dayBuckets are the report-time-zone days of per.
func dayBuckets(p *Params, per Period) buckets {
	return calendarBuckets(p.DayStart(per.From), per.To, 1)
}

// weekBuckets are the ISO weeks (Monday to Sunday, report time zone) that meet per, labelled by
// their Monday.
func weekBuckets(p *Params, per Period) buckets {
	return calendarBuckets(p.mondayStart(per.From), per.To, 7)
}

// calendarBuckets are the spans of days calendar days from first, labelled by their first day,
// until one reaches to (at least one).
func calendarBuckets(first time.Time, to int64, days int) buckets {
	var b buckets
	for d := first; d.UnixMicro() < to || len(b.starts) == 0; d = d.AddDate(0, 0, days) {
		b.starts = append(b.starts, d.UnixMicro())
		b.ends = append(b.ends, d.AddDate(0, 0, days).UnixMicro())
		b.labels = append(b.labels, d.Format(time.DateOnly))
	}
	return b
}

// maxDailyTrendDays is the longest period whose trends are daily; longer ones are weekly.
const maxDailyTrendDays = 90

// trendsAcc accumulates daily (or weekly, when the report period is longer than 90 days) entrants
// and conversions of one period.
type trendsAcc struct {
	p           *Params
	per         Period
	sp          *stagePlan
	granularity string
	b           buckets
	points      []TrendPoint // Revenue is filled in at result, from revenue
	revenue     []fixedSum   // per point, in micro-units: sums that do not depend on the merge order
}

// moneyScale is the fixed-point scale of revenue sums: micro-units of the currency, exact for any
// cent amount and good for totals up to 9 trillion.
const moneyScale = 1e6

func toMicroUnits(v float64) int64 { return int64(math.Round(v * moneyScale)) }

// fixedSum is a 128-bit sum of micro-units: an int64 holds 9 trillion currency units, which a
// day of large (accepted, if implausible) orders could pass; 128 bits cannot overflow.
type fixedSum struct {
	hi int64
	lo uint64
}

func (s *fixedSum) add(v int64) {
	var carry uint64
	s.lo, carry = bits.Add64(s.lo, uint64(v), 0)
	s.hi += v>>63 + int64(carry)
}

func (s *fixedSum) merge(o fixedSum) {
	var carry uint64
	s.lo, carry = bits.Add64(s.lo, o.lo, 0)
	s.hi += o.hi + int64(carry)
}

// value is the sum as a float64 (exact while below 2^53 micro-units).
func (s fixedSum) value() float64 {
	if s.hi == 0 && s.lo < 1<<63 || s.hi == -1 && s.lo >= 1<<63 {
		return float64(int64(s.lo))
	}
	return float64(s.hi)*(1<<64) + float64(s.lo)
}

func newTrendsAcc(p *Params, per Period) *trendsAcc {
	// Every period is cut like the report period, so that the previous period's days (weeks) lie
	// beside the report's. A report period clearly longer than maxDailyTrendDays is weekly without
	// listing its days first.
	t := &trendsAcc{p: p, per: per, sp: newStagePlan(p), granularity: "week"}
	cur := p.Current
	if cur.To-cur.From <= (maxDailyTrendDays+1)*Day && len(dayBuckets(p, cur).starts) <= maxDailyTrendDays {
		t.granularity, t.b = "day", dayBuckets(p, per)
	} else {
		t.b = weekBuckets(p, per)
	}
	t.points = make([]TrendPoint, len(t.b.starts))
	t.revenue = make([]fixedSum, len(t.b.starts))
	for i := range t.points {
		t.points[i].Date = t.b.labels[i]
	}
	return t
}

func (t *trendsAcc) add(j *Journey, o *outcome) {
	if o.entrant {
		pt := &t.points[t.b.find(j.Events[o.start].Time)]
		pt.Entrants++
		if o.reached(t.sp.purchase) {
			pt.Purchases++
		}
		if t.sp.matured(o, t.sp.purchase) {
			pt.MatureEntrants++
		}
	}
	for i := o.lo; i < o.hi; i++ {
		e := &j.Events[i]
		if int(e.Stage) != t.sp.purchase || o.flags[i]&flagNewOrder == 0 {
			continue
		}
		b := t.b.find(e.Time)
		t.points[b].Orders++
		if r := o.orderRev[i]; !math.IsNaN(r) {
			t.revenue[b].add(toMicroUnits(r))
		}
	}
	// Refunds of orders not read reduce the revenue of the day they fall on.
	for _, r := range o.loose {
		if t.per.Contains(r.t) {
			t.revenue[t.b.find(r.t)].add(toMicroUnits(r.amount))
		}
	}
}

func (t *trendsAcc) merge(o *trendsAcc) {
	for i := range t.points {
		t.points[i].Entrants += o.points[i].Entrants
		t.points[i].Purchases += o.points[i].Purchases
		t.points[i].Orders += o.points[i].Orders
		t.points[i].MatureEntrants += o.points[i].MatureEntrants
		t.revenue[i].merge(o.revenue[i])
	}
}

func (t *trendsAcc) result() TrendsResult {
	points := append([]TrendPoint(nil), t.points...)
	// The data cover whole days up to the end of the day of the latest event.
	dataDays := t.p.DayStart(t.p.DataEnd).AddDate(0, 0, 1).UnixMicro()
	for i := range points {
		pt := &points[i]
		pt.Revenue = t.revenue[i].value() / moneyScale
		pt.Immature = pt.Entrants > 0 && !matureEnough(pt.MatureEntrants, pt.Entrants, t.p.MinMature)
		pt.Partial = t.b.starts[i] < t.per.From || t.b.ends[i] > t.per.To || t.b.ends[i] > dataDays
	}
	return TrendsResult{Granularity: t.granularity, Points: points}
}

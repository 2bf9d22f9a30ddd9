package sample

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// event is one generated row; absent numbers are NaN, absent strings "".
type event struct {
	time      int64 // Unix micros
	name      string
	tp        string
	campaign  string
	orderID   string
	revenue   float64
	sentiment float64
}

const (
	microsPerHour = int64(3600e6)
	microsPerDay  = 24 * microsPerHour
)

// journey simulates one customer.
type journey struct {
	r          *rand.Rand
	id         int // 1-based customer number
	seg        *segment
	start, end int64 // the data's span [start, end) in micros
	events     []event
	orders     int
}

// newJourney returns the simulation of customer id. Its random stream depends only on the seed
// and id, so customer i is the same whatever the number of customers.
func newJourney(seed int64, id int, start, end int64) *journey {
	return &journey{
		r:     rand.New(rand.NewPCG(uint64(seed), uint64(id)*0x9E3779B97F4A7C15+1)),
		id:    id,
		start: start,
		end:   end,
	}
}

// pick draws an index with probability proportional to w.
func pick(r *rand.Rand, w []float64) int {
	var sum float64
	for _, x := range w {
		sum += x
	}
	u := r.Float64() * sum
	for i, x := range w {
		if u < x {
			return i
		}
		u -= x
	}
	return len(w) - 1
}

// add appends an event at t and returns it for more fields.
func (j *journey) add(t int64, name string, tp int) *event {
	e := event{time: t, name: name, revenue: math.NaN(), sentiment: math.NaN()}
	if tp >= 0 {
		e.tp = touchpoints[tp].name
		if c := touchpoints[tp].campaigns; len(c) > 0 {
			e.campaign = c[j.r.IntN(len(c))]
		}
	}
	j.events = append(j.events, e)
	return &j.events[len(j.events)-1]
}

// sentiment draws a value around mean, clipped to [-1, 1] and rounded to 0.05.
func (j *journey) sentiment(mean float64) float64 {
	v := mean + sentimentSD*j.r.NormFloat64()
	v = math.Max(-1, math.Min(1, v))
	return math.Round(v*20) / 20
}

// hours draws an exponential delay with the given mean, at least a minute, in micros.
func (j *journey) hours(mean float64) int64 {
	return max(int64(j.r.ExpFloat64()*mean*float64(microsPerHour)), 60e6)
}

// jitter is a few seconds to minutes, so that events of one visit are apart.
func (j *journey) jitter() int64 { return int64(5e6 + j.r.Float64()*600e6) }

// simulate generates the customer's whole history.
func (j *journey) simulate() []event {
	r := j.r
	shares := make([]float64, len(segments))
	for i, s := range segments {
		shares[i] = s.share
	}
	j.seg = &segments[pick(r, shares)]
	entry := make([]float64, len(touchpoints))
	for i, t := range touchpoints {
		entry[i] = t.entry
	}
	tp := pick(r, entry)
	t0 := j.start + int64(r.Float64()*float64(j.end-j.start))

	if r.Float64() < pStrayInterest {
		// Browsing a product page from a search before the first tracked visit.
		st := steps[stepInterest]
		j.add(t0-j.hours(72)-microsPerHour, st.events[r.IntN(len(st.events))], pick(r, st.where))
	}
	purchased, t := j.attempt(t0, tp, evFirstVisit, 1)
	if !purchased && r.Float64() < pSecondAttempt {
		// Back weeks later through another channel, and a bit more decided.
		t2 := t + microsPerDay*int64(20+r.IntN(40))
		again := pick(r, []float64{1, 3, 1, 2, 3, 0.5, 1, 1})
		purchased, t = j.attempt(t2, again, awarenessEvents[r.IntN(2)], 1.15)
	}
	if purchased {
		j.afterPurchase(t)
	}
	return j.finish()
}

// attempt plays one pass through the funnel from an awareness event at t through touchpoint tp.
// It returns whether it ended in a purchase and the time of the last stage reached.
func (j *journey) attempt(t int64, tp int, firstEvent string, boost float64) (bool, int64) {
	r := j.r
	e := j.add(t, firstEvent, tp)
	j.stageSentiment(e, 0.2-0.3*b2f(touchpoints[tp].name == "display_ads"), tp, -1)
	for range r.IntN(4) {
		t += j.jitter()
		e := j.add(t, awarenessEvents[r.IntN(2)], tp)
		j.stageSentiment(e, 0.2, tp, -1)
		if r.Float64() < 0.3 {
			t += j.jitter()
			j.add(t, evScroll, tp)
		}
	}
	entryConv := touchpoints[tp].conv
	cur := tp
	for k := range numSteps {
		st := &steps[k]
		p := math.Min(0.93, st.base*entryConv*j.seg.conv*boost)
		if r.Float64() >= p {
			j.dropOff(t)
			return false, t
		}
		delay := j.hours(st.delayHours)
		if r.Float64() < pLongDelay {
			delay = microsPerDay * int64(25+r.IntN(21))
		}
		if r.Float64() < pExtraTouch {
			x := t + delay/2
			switch r.IntN(3) {
			case 0:
				j.add(x, evScroll, cur)
			case 1:
				j.add(x, evNewsletter, tpIndex("email"))
			default:
				j.add(x, evVideo, tpIndex("social"))
			}
		}
		t += delay
		if r.Float64() < pSwitchChannel {
			cur = pick(r, st.where)
		}
		if k == stepPurchase {
			j.purchase(t, cur)
			return true, t
		}
		n := 1 + r.IntN(3)
		for i := range n {
			e := j.add(t, st.events[r.IntN(len(st.events))], cur)
			j.stageSentiment(e, st.sentiment, cur, k)
			if i < n-1 {
				t += j.jitter()
			}
		}
	}
	return true, t
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// stageSentiment gives e a sentiment now and then; comparison on the app is the pain point.
func (j *journey) stageSentiment(e *event, mean float64, tp, step int) {
	p := pStageSentiment
	if step == stepComparison && touchpoints[tp].name == "app" {
		p, mean = pAppComparisonSn, appComparisonSn
	}
	if j.r.Float64() < p {
		e.sentiment = j.sentiment(mean)
	}
}

// dropOff adds what a customer who stops may still do: open a newsletter now and then.
func (j *journey) dropOff(t int64) {
	if j.r.Float64() < 0.15 {
		j.add(t+microsPerDay*int64(3+j.r.IntN(20)), evNewsletter, tpIndex("email"))
	}
}

// purchase adds one order at t through tp, sometimes sent twice (as GA4 exports resend them).
func (j *journey) purchase(t int64, tp int) {
	j.orders++
	id := fmt.Sprintf("O%06d-%d", j.id, j.orders)
	v := j.seg.revenueMedian * math.Exp(revenueSigma*j.r.NormFloat64())
	v = math.Max(5, math.Round(v*100)/100)
	e := j.add(t, evPurchase, tp)
	e.orderID, e.revenue = id, v
	if j.r.Float64() < pStageSentiment {
		e.sentiment = j.sentiment(steps[stepPurchase].sentiment)
	}
	if j.r.Float64() < pResend {
		dup := *e
		dup.time += int64(1e6 + j.r.IntN(120e6))
		dup.sentiment = math.NaN()
		j.events = append(j.events, dup)
	}
}

// afterPurchase adds app usage, reviews and repeat orders after the first order at t.
func (j *journey) afterPurchase(t int64) {
	r := j.r
	app := tpIndex("app")
	if r.Float64() < pUsage {
		for range 1 + r.IntN(6) {
			j.add(t+microsPerHour*int64(6+r.IntN(60*24)), evAppOpen, app)
		}
	}
	if r.Float64() < pReview {
		where := pick(r, []float64{0, 0, 0, 3, 0, 1, 0, 2})
		e := j.add(t+microsPerHour*int64(24+r.IntN(14*24)), evReview, where)
		mean := j.seg.review
		if touchpoints[where].name == "store" {
			mean += 0.1
		}
		e.sentiment = j.sentiment(mean)
	}
	// Repeat orders, as BG/NBD models them: this customer's own order rate and churn.
	rate := gamma(r, rateShape) / rateShape / j.seg.gapDays // orders per day while active
	churn := beta(r, j.seg.churn*churnConcentrat, (1-j.seg.churn)*churnConcentrat)
	for range maxOrders - 1 {
		if r.Float64() < churn {
			return
		}
		t += int64(r.ExpFloat64() / rate * float64(microsPerDay))
		if t >= j.end {
			return
		}
		// A short path back: a newsletter, the app, or a product page.
		for range r.IntN(3) {
			x := t - j.hours(48)
			switch r.IntN(3) {
			case 0:
				j.add(x, evNewsletter, tpIndex("email"))
			case 1:
				j.add(x, evAppOpen, app)
			default:
				j.add(x, "view_item", tpIndex("website"))
			}
		}
		j.purchase(t, pick(r, []float64{0, 1, 0, 4, 2, 2, 0, 3}))
	}
}

// gamma draws from Gamma(shape, 1) (Marsaglia and Tsang 2000; shapes below 1 boosted).
func gamma(r *rand.Rand, shape float64) float64 {
	if shape < 1 {
		return gamma(r, shape+1) * math.Pow(r.Float64(), 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// beta draws from Beta(a, b).
func beta(r *rand.Rand, a, b float64) float64 {
	x := gamma(r, a)
	return x / (x + gamma(r, b))
}

// finish orders the events, adds the data flaws (missing touchpoints, exact duplicates) and
// keeps what falls in the span, as an extract would.
func (j *journey) finish() []event {
	slices.SortStableFunc(j.events, func(a, b event) int { return cmp.Compare(a.time, b.time) })
	out := make([]event, 0, len(j.events)+1)
	for _, e := range j.events {
		if e.time < j.start || e.time >= j.end {
			continue
		}
		if j.r.Float64() < pNullTouchpoint {
			e.tp, e.campaign = "", ""
		}
		out = append(out, e)
		if j.r.Float64() < pDuplicate {
			out = append(out, e)
		}
	}
	return out
}

package kpi

import (
	"sort"
	"time"
)

// cohortAcc counts cohort retention: customers by the month (or week) of their first order, and
// how many of them ordered again in each later month (week). Cohorts run from the period holding
// Current.From − History through the period holding the to day; orders after the to day are not
// counted, so a past report never changes when newer data arrive.
type cohortAcc struct {
	p *Params
	// bounds[k] is the start of cohort period k; bounds[n] the end of the last one, which holds
	// the to day (so bounds[n] ≥ Current.To).
	bounds []int64
	size   []int64
	// again[k][i] counts members of cohort k ordering in period k+i+1.
	again [][]int64
}

func newCohortAcc(p *Params) *cohortAcc {
	start := p.Current.From - p.History
	var b time.Time
	step := func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }
	if p.Cohort == "week" {
		b = p.mondayStart(start)
		step = func(t time.Time) time.Time { return t.AddDate(0, 0, 7) }
	} else {
		t := time.UnixMicro(start).In(p.Location)
		b = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, p.Location)
	}
	c := &cohortAcc{p: p}
	for {
		c.bounds = append(c.bounds, b.UnixMicro())
		if b.UnixMicro() >= p.Current.To {
			break
		}
		b = step(b)
	}
	n := len(c.bounds) - 1
	c.size = make([]int64, n)
	// A cohort's row is made when it gets its first customer: a long window of weekly cohorts
	// holds n²/2 cells per accumulator, most of them for cohorts no customer of it is in.
	c.again = make([][]int64, n)
	return c
}

// row returns cohort k's row of later periods, making it on first use.
func (c *cohortAcc) row(k int) []int64 {
	if c.again[k] == nil {
		c.again[k] = make([]int64, len(c.size)-1-k)
	}
	return c.again[k]
}

// index returns the cohort period holding t; t must lie in [bounds[0], bounds[n]).
func (c *cohortAcc) index(t int64) int {
	return sort.Search(len(c.bounds)-1, func(i int) bool { return c.bounds[i+1] > t })
}

// add counts one customer's orders (in time order).
func (c *cohortAcc) add(orders []journeyOrder) {
	to := c.p.Current.To
	first := orders[0].t
	if first < c.bounds[0] || first >= to {
		return
	}
	k := c.index(first)
	c.size[k]++
	again := c.row(k)
	last := 0
	for _, o := range orders[1:] {
		if o.t >= to {
			break
		}
		i := c.index(o.t) - k
		if i == last {
			continue
		}
		again[i-1]++
		last = i
	}
}

func (c *cohortAcc) merge(o *cohortAcc) {
	for k := range c.size {
		c.size[k] += o.size[k]
		if o.again[k] == nil {
			continue
		}
		row := c.row(k)
		for i := range o.again[k] {
			row[i] += o.again[k][i]
		}
	}
}

// result lists the non-empty cohorts, oldest first. Every row has the same number of retention
// cells (one per later period up to the to day's); a cell is null unless its whole period ends
// by the end of the to day.
func (c *cohortAcc) result() []Cohort {
	n := len(c.size)
	out := []Cohort{}
	for k := range n {
		if c.size[k] == 0 {
			continue
		}
		row := Cohort{Cohort: c.label(k), Size: c.size[k], Retention: make([]*float64, n-1)}
		for i := range c.row(k) {
			if end := c.bounds[k+i+2]; end <= c.p.Current.To {
				row.Retention[i] = Ptr(float64(c.again[k][i]) / float64(c.size[k]))
			}
		}
		out = append(out, row)
	}
	return out
}

// label names cohort period k: YYYY-MM for months, the Monday's YYYY-MM-DD for weeks.
func (c *cohortAcc) label(k int) string {
	if c.p.Cohort == "week" {
		return c.p.Day(c.bounds[k])
	}
	return c.p.Month(c.bounds[k])
}

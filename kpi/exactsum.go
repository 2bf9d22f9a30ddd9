package kpi

import "math"

// exactSum adds floats without rounding error (Shewchuk's algorithm, as Python's math.fsum): it
// keeps the running total as non-overlapping partials and rounds once, in value. The result is
// the correctly rounded exact sum, so it does not depend on the order of the additions, nor on
// how the values were split between accumulators before merge. That keeps attribution numbers
// identical whatever the number of workers.
type exactSum struct {
	partials []float64
}

// add adds x, which must be finite.
func (s *exactSum) add(x float64) {
	if x == 0 {
		return
	}
	i := 0
	for _, y := range s.partials {
		if math.Abs(x) < math.Abs(y) {
			x, y = y, x
		}
		hi := x + y
		lo := y - (hi - x)
		if lo != 0 {
			s.partials[i] = lo
			i++
		}
		x = hi
	}
	s.partials = append(s.partials[:i], x)
}

// merge adds every partial of o.
func (s *exactSum) merge(o *exactSum) {
	for _, p := range o.partials {
		s.add(p)
	}
}

// value returns the sum, correctly rounded (ties to even).
func (s *exactSum) value() float64 {
	p := s.partials
	n := len(p)
	if n == 0 {
		return 0
	}
	n--
	hi := p[n]
	lo := 0.0
	for n > 0 {
		x := hi
		y := p[n-1]
		n--
		hi = x + y
		yr := hi - x
		lo = y - yr
		if lo != 0 {
			break
		}
	}
	// Round half to even correctly when the remaining partials push past the halfway point.
	if n > 0 && ((lo < 0 && p[n-1] < 0) || (lo > 0 && p[n-1] > 0)) {
		y := lo * 2
		x := hi + y
		yr := x - hi
		if y == yr {
			hi = x
		}
	}
	return hi
}

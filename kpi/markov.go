package kpi

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// denseMax bounds the touchpoint codes whose touch → touch counts live in a dense matrix; the
// counts of larger codes (rare: a run with more than 128 touchpoints) go to a map.
const denseMax = 128

// markovCounts are the transition counts of the order-1 Markov chain over touchpoint codes: all
// the chain needs, so no path is kept. Counts are integers and conversion revenue is summed
// exactly, so merging in any order gives the same chain.
type markovCounts struct {
	start   []int64    // start → code
	conv    []int64    // code → conversion
	null    []int64    // code → null
	convRev []exactSum // revenue of the conversions whose last touch is code
	side    int        // dense is side × side
	dense   []int64    // code → code, row-major, for codes < side
	sparse  map[uint64]int64
}

func growCodes[T any](s []T, n int) []T {
	if n <= len(s) {
		return s
	}
	return append(s, make([]T, n-len(s))...)
}

// grow makes room for code c in the per-code slices.
func (m *markovCounts) grow(c uint32) {
	n := int(c) + 1
	m.start = growCodes(m.start, n)
	m.conv = growCodes(m.conv, n)
	m.null = growCodes(m.null, n)
	m.convRev = growCodes(m.convRev, n)
}

// growDense makes the dense matrix at least side n (n ≤ denseMax).
func (m *markovCounts) growDense(n int) {
	if n <= m.side {
		return
	}
	side := max(m.side, 8)
	for side < n {
		side *= 2
	}
	side = min(side, denseMax)
	d := make([]int64, side*side)
	for i := range m.side {
		copy(d[i*side:i*side+m.side], m.dense[i*m.side:(i+1)*m.side])
	}
	m.side, m.dense = side, d
}

// addTransition counts from → to, n times.
func (m *markovCounts) addTransition(from, to uint32, n int64) {
	if from < denseMax && to < denseMax {
		m.growDense(int(max(from, to)) + 1)
		m.dense[int(from)*m.side+int(to)] += n
		return
	}
	if m.sparse == nil {
		m.sparse = make(map[uint64]int64)
	}
	m.sparse[uint64(from)<<32|uint64(to)] += n
}

// addPath counts one collapsed path (at least one touch). A converted path ends in the
// conversion state and carries its revenue (0 when unknown); any other path ends in null.
func (m *markovCounts) addPath(path []uint32, converted bool, revenue float64) {
	last := path[len(path)-1]
	m.grow(slices.Max(path))
	m.start[path[0]]++
	for i := 1; i < len(path); i++ {
		m.addTransition(path[i-1], path[i], 1)
	}
	if converted {
		m.conv[last]++
		m.convRev[last].add(revenue)
	} else {
		m.null[last]++
	}
}

// merge adds o's counts.
func (m *markovCounts) merge(o *markovCounts) {
	if n := len(o.start); n > 0 {
		m.grow(uint32(n - 1))
	}
	for c := range o.start {
		m.start[c] += o.start[c]
		m.conv[c] += o.conv[c]
		m.null[c] += o.null[c]
		m.convRev[c].merge(&o.convRev[c])
	}
	if o.side > 0 {
		m.growDense(o.side)
		for i := range o.side {
			for j := range o.side {
				if n := o.dense[i*o.side+j]; n != 0 {
					m.dense[i*m.side+j] += n
				}
			}
		}
	}
	for k, n := range o.sparse {
		m.addTransition(uint32(k>>32), uint32(k), n)
	}
}

// markovSolution is the solved chain: per touchpoint code (those with any transition, in code
// order), the removal effect on conversions and on revenue.
type markovSolution struct {
	codes []uint32
	// removal[i] is 1 − P(conversion with codes[i] removed) / P(conversion).
	removal []float64
	// valueRemoval[i] is the same for the expected conversion revenue.
	valueRemoval []float64
	// pConv is the probability that a path from start ends in conversion.
	pConv float64
}

// solve solves the absorbing chain exactly. With Q the touch → touch transition probabilities, r
// and r_v the per-touch probability (and expected revenue) of converting next, and s the start
// distribution, N = (I − Q)⁻¹ is the fundamental matrix: P(conversion) = s·N·r. Removing touch k
// (sending every transition into it to null) loses exactly the paths that visit k, whose
// conversion probability from k on is x_k = (N·r)_k; the probability of ever visiting k is
// h_k = (s·N)_k / N_kk. So P(conversion without k) = P(conversion) − h_k·x_k, and one inverse
// gives every removal effect.
func (m *markovCounts) solve() (markovSolution, error) {
	var sol markovSolution
	out := make([]int64, len(m.start))
	var total int64
	for c := range m.start {
		out[c] = m.conv[c] + m.null[c]
		total += m.start[c]
	}
	// Every code of a transition is below len(m.start) (addPath grows it first).
	lim := min(m.side, len(m.start))
	for i := range lim {
		for j := range lim {
			out[i] += m.dense[i*m.side+j]
		}
	}
	for k, n := range m.sparse {
		out[k>>32] += n
	}
	idx := make([]int, len(m.start))
	for c := range m.start {
		idx[c] = -1
		if out[c] > 0 || m.start[c] > 0 {
			idx[c] = len(sol.codes)
			sol.codes = append(sol.codes, uint32(c))
		}
	}
	n := len(sol.codes)
	sol.removal = make([]float64, n)
	sol.valueRemoval = make([]float64, n)
	if n == 0 || total == 0 {
		return sol, nil
	}
	a := mat.NewDense(n, n, nil)
	for i := range n {
		a.Set(i, i, 1)
	}
	sub := func(from, to int, cnt int64) {
		i, j := idx[from], idx[to]
		a.Set(i, j, a.At(i, j)-float64(cnt)/float64(out[from]))
	}
	for i := range lim {
		for j := range lim {
			if cnt := m.dense[i*m.side+j]; cnt != 0 {
				sub(i, j, cnt)
			}
		}
	}
	for k, cnt := range m.sparse {
		sub(int(k>>32), int(uint32(k)), cnt)
	}
	r := make([]float64, n)
	rv := make([]float64, n)
	s := make([]float64, n)
	for i, c := range sol.codes {
		if out[c] > 0 {
			r[i] = float64(m.conv[c]) / float64(out[c])
			rv[i] = m.convRev[c].value() / float64(out[c])
		}
		s[i] = float64(m.start[c]) / float64(total)
	}
	var nInv mat.Dense
	if err := nInv.Inverse(a); err != nil {
		var cond mat.Condition
		if !errors.As(err, &cond) || math.IsInf(float64(cond), 1) {
			return sol, fmt.Errorf("kpi: markov chain: %w", err)
		}
	}
	x := mat.NewVecDense(n, nil)
	x.MulVec(&nInv, mat.NewVecDense(n, r))
	xv := mat.NewVecDense(n, nil)
	xv.MulVec(&nInv, mat.NewVecDense(n, rv))
	v := mat.NewVecDense(n, nil)
	v.MulVec(nInv.T(), mat.NewVecDense(n, s))
	var pConv, eValue float64
	for i := range n {
		pConv += s[i] * x.AtVec(i)
		eValue += s[i] * xv.AtVec(i)
	}
	sol.pConv = pConv
	for i := range n {
		h := v.AtVec(i) / nInv.At(i, i)
		if pConv > 0 {
			sol.removal[i] = markovClamp(h * x.AtVec(i) / pConv)
		}
		if eValue > 0 {
			sol.valueRemoval[i] = markovClamp(h * xv.AtVec(i) / eValue)
		}
	}
	return sol, nil
}

// markovClamp trims rounding noise outside [0, 1].
func markovClamp(v float64) float64 {
	if math.IsNaN(v) || v < 0 {
		return 0
	}
	return min(v, 1)
}

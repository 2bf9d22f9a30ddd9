package kpi

import (
	"math"
	"math/bits"
	"slices"
)

// Sizes of the blocks of a blockList, in values: the first block of a list holds blockMin, each
// new one as many as the list already has, up to blockMax (64 KiB of int64).
const (
	blockMin = 16
	blockMax = 8192
)

// blockList is a list of values kept in blocks that are never copied while it grows: a full last
// block is followed by a new one rather than moved into a larger array, and merging another list
// takes its blocks over. Folding the journeys appends millions of durations to many lists, and
// every customer to the BG/NBD inputs; as slices they were copied and cleared again at every
// doubling, and appending the merged accumulators' customers re-grew the slice of all of them
// once a merge (0.8 s at 50M events on one core). flat joins the blocks once, when the values are
// read.
type blockList[T any] struct {
	blocks [][]T
	n      int
}

func (l *blockList[T]) add(v T) {
	k := len(l.blocks) - 1
	if k < 0 || len(l.blocks[k]) == cap(l.blocks[k]) {
		l.blocks = append(l.blocks, make([]T, 0, min(max(l.n, blockMin), blockMax)))
		k++
	}
	l.blocks[k] = append(l.blocks[k], v)
	l.n++
}

// merge appends o's values after l's. o must not be used afterwards.
func (l *blockList[T]) merge(o *blockList[T]) {
	if o.n == 0 {
		return
	}
	l.blocks = append(l.blocks, o.blocks...)
	l.n += o.n
}

// flat returns the values in order, in one slice that l keeps (as its one block): the caller may
// reorder it, not grow it.
func (l *blockList[T]) flat() []T {
	switch {
	case l.n == 0:
		return nil
	case len(l.blocks) == 1:
		return l.blocks[0]
	}
	d := make([]T, 0, l.n)
	for _, b := range l.blocks {
		d = append(d, b...)
	}
	l.blocks = [][]T{d}
	return d
}

// set replaces l's values with v, which l keeps.
func (l *blockList[T]) set(v []T) {
	l.blocks, l.n = nil, len(v)
	if len(v) > 0 {
		l.blocks = [][]T{v}
	}
}

// int64s is a block list of integers (durations), with their Stats.
type int64s struct{ blockList[int64] }

// Exact quantiles of a list too long to join: below statsJoin values the blocks are joined and
// selected in (hoursStats); above, order statistics are found by counting values into at most
// 2^statsBits ranges of equal width, over the blocks as they are, and narrowing to the range that
// holds the wanted rank until it has at most statsCollect values, which are then copied out and
// selected in. Joining the lists of the whole period (hundreds of MB at 50M events) doubled the
// memory they take, for a copy that is read once.
const (
	statsJoin    = 1 << 16
	statsBits    = 16
	statsCollect = 1 << 16
)

// stats is hoursStats of the values, in the same order; the blocks are left as they are when the
// list is long.
func (l *int64s) stats() Stats {
	if l.n <= statsJoin || len(l.blocks) == 1 {
		return hoursStats(l.flat())
	}
	return l.statsBy(statsCollect)
}

// statsBy is stats without joining, collecting at most collect values for a final selection.
func (l *int64s) statsBy(collect int) Stats {
	n := l.n
	s := Stats{N: int64(n)}
	mn, mx := int64(math.MaxInt64), int64(math.MinInt64)
	var sum fixedSum
	for _, b := range l.blocks {
		for _, v := range b {
			mn, mx = min(mn, v), max(mx, v)
			sum.add(v)
		}
	}
	h := float64(Hour)
	s.Mean = Ptr(sum.value() / float64(n) / h)
	// The ranks either side of each quantile's position (type 7, as quantileSelect).
	qs := [2]float64{0.5, 0.9}
	var ranks []int
	for _, q := range qs {
		if r, _, last := type7(n, q); !last {
			ranks = append(ranks, r, r+1)
		}
	}
	slices.Sort(ranks)
	ranks = slices.Compact(ranks)
	at := make(map[int]int64, len(ranks))
	l.orderStats(mn, mx, 0, ranks, collect, at)
	var out [2]float64
	for i, q := range qs {
		r, frac, last := type7(n, q)
		if last {
			out[i] = float64(mx)
			continue
		}
		out[i] = type7Between(at[r], at[r+1], frac)
	}
	s.Median, s.P90 = Ptr(out[0]/h), Ptr(out[1]/h)
	return s
}

// orderStats sets at[r] to the r-th smallest value for each rank r of ranks (ascending), all of
// which lie among the values in [lo, hi], of which there are below smaller than lo.
func (l *int64s) orderStats(lo, hi int64, below int, ranks []int, collect int, at map[int]int64) {
	span := uint64(hi) - uint64(lo)
	if span == 0 {
		for _, r := range ranks {
			at[r] = lo
		}
		return
	}
	shift := max(0, bits.Len64(span)-statsBits)
	counts := make([]int, span>>shift+1)
	for _, b := range l.blocks {
		for _, v := range b {
			if d := uint64(v) - uint64(lo); d <= span {
				counts[d>>shift]++
			}
		}
	}
	cum := below
	for i, c := range counts {
		var in []int
		for len(ranks) > 0 && ranks[0] < cum+c {
			in, ranks = append(in, ranks[0]), ranks[1:]
		}
		if len(in) > 0 {
			off := uint64(i) << shift
			blo, bhi := int64(uint64(lo)+off), int64(uint64(lo)+min(off+(1<<shift-1), span))
			switch {
			case blo == bhi:
				for _, r := range in {
					at[r] = blo
				}
			case c <= collect:
				l.collectRanks(blo, bhi, cum, in, c, at)
			default:
				l.orderStats(blo, bhi, cum, in, collect, at)
			}
		}
		if len(ranks) == 0 {
			return
		}
		cum += c
	}
}

// collectRanks copies out the c values in [lo, hi] (below of the list's values are smaller) and
// selects the ranks in them.
func (l *int64s) collectRanks(lo, hi int64, below int, ranks []int, c int, at map[int]int64) {
	span := uint64(hi) - uint64(lo)
	x := make([]int64, 0, c)
	for _, b := range l.blocks {
		for _, v := range b {
			if uint64(v)-uint64(lo) <= span {
				x = append(x, v)
			}
		}
	}
	done := 0 // x[:done] holds the values below the last rank selected
	for _, r := range ranks {
		k := r - below
		selectNth(x[done:], k-done)
		at[r] = x[k]
		done = k + 1
	}
}

package kpi

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// The quantiles and mean of a list too long to join come out exactly as hoursStats of the joined
// values, whatever their spread: wide, many ties, one outlier, all equal, negative.
func TestBlockStatsMatchJoined(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	shapes := map[string]func(i int) int64{
		"wide":     func(int) int64 { return r.Int64N(30 * Day) },
		"ties":     func(int) int64 { return r.Int64N(5) * Hour },
		"outlier":  func(i int) int64 { return map[bool]int64{true: math.MaxInt64 / 2, false: r.Int64N(3)}[i == 7] },
		"equal":    func(int) int64 { return 42 },
		"skewed":   func(int) int64 { return int64(r.ExpFloat64() * float64(Hour)) },
		"negative": func(int) int64 { return r.Int64N(2000) - 1000 },
		"extremes": func(i int) int64 { return []int64{math.MinInt64 / 4, math.MaxInt64 / 4, 0}[i%3] },
		"range":    func(i int) int64 { return []int64{math.MinInt64, math.MaxInt64, 1, -1}[i%4] },
		"sorted":   func(i int) int64 { return int64(i) },
	}
	for name, gen := range shapes {
		for _, n := range []int{2, 3, 10, 1000, 25_000} {
			for _, collect := range []int{1, 7, 1000} {
				var l int64s
				for i := range n {
					l.add(gen(i))
				}
				other := int64s{}
				for i := range n / 3 {
					other.add(gen(i))
				}
				l.merge(&other.blockList)
				want := hoursStats(slices.Concat(l.blocks...))
				got := l.statsBy(collect)
				if got.N != want.N || *got.Median != *want.Median || *got.P90 != *want.P90 || *got.Mean != *want.Mean {
					t.Errorf("%s n=%d collect=%d: got median %v p90 %v mean %v n %d, joined %v %v %v %d", name, n, collect,
						*got.Median, *got.P90, *got.Mean, got.N, *want.Median, *want.P90, *want.Mean, want.N)
				}
			}
		}
	}
}

// stats itself takes the long-list branch above statsJoin values in several blocks, leaving the
// blocks unjoined, and comes out exactly as hoursStats of the joined values.
func TestBlockStatsLongList(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for name, gen := range map[string]func() int64{
		"wide": func() int64 { return r.Int64N(30 * Day) },
		"ties": func() int64 { return r.Int64N(5) * Hour },
	} {
		var l, other int64s
		for range statsJoin + 1000 {
			l.add(gen())
		}
		for range 5000 {
			other.add(gen())
		}
		l.merge(&other.blockList)
		blocks := len(l.blocks)
		want := hoursStats(slices.Concat(l.blocks...))
		got := l.stats()
		if blocks < 2 || len(l.blocks) != blocks || l.n <= statsJoin {
			t.Fatalf("%s: %d values in %d blocks, %d after stats: not the long-list branch", name, l.n, blocks, len(l.blocks))
		}
		if got.N != want.N || *got.Median != *want.Median || *got.P90 != *want.P90 || *got.Mean != *want.Mean {
			t.Errorf("%s: got median %v p90 %v mean %v n %d, joined %v %v %v %d", name,
				*got.Median, *got.P90, *got.Mean, got.N, *want.Median, *want.P90, *want.Mean, want.N)
		}
	}
}

// Blocks grow without copying and merge by taking the other list's blocks, keeping the order.
func TestBlocksKeepOrder(t *testing.T) {
	var a, b int64s
	var want []int64
	for i := range 5000 {
		a.add(int64(i))
		want = append(want, int64(i))
	}
	for i := range 300 {
		b.add(int64(-i))
	}
	for i := range 300 {
		want = append(want, int64(-i))
	}
	a.merge(&b.blockList)
	a.add(7)
	want = append(want, 7)
	if got := a.flat(); !slices.Equal(got, want) || a.n != len(want) {
		t.Fatalf("flat has %d values, want %d in order", len(got), len(want))
	}
	if len(a.blocks) != 1 {
		t.Errorf("flat left %d blocks", len(a.blocks))
	}
}

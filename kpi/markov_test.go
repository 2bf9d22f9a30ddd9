package kpi

import (
	"bufio"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/journeykpi/journeykpi/internal/shareddata"
)

// directRemoval computes removal effects the slow, obvious way: for each touchpoint, rebuild the
// chain without it (transitions into it go to null) and solve for P(conversion) again.
func directRemoval(t *testing.T, m *markovCounts) (codes []uint32, removal []float64) {
	t.Helper()
	n := len(m.start)
	trans := func(i, j int) int64 {
		if i < m.side && j < m.side {
			return m.dense[i*m.side+j]
		}
		return m.sparse[uint64(i)<<32|uint64(j)]
	}
	out := make([]float64, n)
	var total float64
	for i := range n {
		out[i] = float64(m.conv[i] + m.null[i])
		for j := range n {
			out[i] += float64(trans(i, j))
		}
		total += float64(m.start[i])
		if out[i] > 0 {
			codes = append(codes, uint32(i))
		}
	}
	pConv := func(skip int) float64 {
		var keep []int
		for _, c := range codes {
			if int(c) != skip {
				keep = append(keep, int(c))
			}
		}
		k := len(keep)
		a := mat.NewDense(k, k, nil)
		r := mat.NewVecDense(k, nil)
		for x, i := range keep {
			for y, j := range keep {
				v := -float64(trans(i, j)) / out[i]
				if x == y {
					v++
				}
				a.Set(x, y, v)
			}
			r.SetVec(x, float64(m.conv[i])/out[i])
		}
		var sol mat.VecDense
		if err := sol.SolveVec(a, r); err != nil {
			t.Fatal(err)
		}
		p := 0.0
		for x, i := range keep {
			p += float64(m.start[i]) / total * sol.AtVec(x)
		}
		return p
	}
	p := pConv(-1)
	for _, c := range codes {
		removal = append(removal, 1-pConv(int(c))/p)
	}
	return codes, removal
}

// randomMarkovPaths draws n collapsed paths over touchpoint codes 1..k, converting with a probability
// that grows with the codes seen, so touchpoints differ.
func randomMarkovPaths(rng *rand.Rand, n, k int, f func(path []uint32, converted bool, revenue float64)) {
	path := make([]uint32, 0, 16)
	for range n {
		path = path[:0]
		length := 1 + rng.IntN(6)
		for len(path) < length {
			c := uint32(1 + rng.IntN(k))
			if len(path) > 0 && path[len(path)-1] == c {
				continue
			}
			path = append(path, c)
		}
		conv := rng.Float64() < 0.1+0.6*float64(path[len(path)-1])/float64(k)
		f(path, conv, float64(1+rng.IntN(100)))
	}
}

func TestMarkovSolveMatchesDirectRemoval(t *testing.T) {
	for _, k := range []int{2, 5, 20, 150} { // 150 puts codes beyond the dense matrix
		rng := rand.New(rand.NewPCG(uint64(k), 7))
		var m markovCounts
		randomMarkovPaths(rng, 5000, k, func(p []uint32, c bool, r float64) { m.addPath(p, c, r) })
		sol, err := m.solve()
		if err != nil {
			t.Fatal(err)
		}
		codes, removal := directRemoval(t, &m)
		if !reflect.DeepEqual(codes, sol.codes) {
			t.Fatalf("k=%d: codes %v, want %v", k, sol.codes, codes)
		}
		for i := range codes {
			if math.Abs(sol.removal[i]-removal[i]) > 1e-9 {
				t.Errorf("k=%d: removal effect of %d = %v, direct %v", k, codes[i], sol.removal[i], removal[i])
			}
		}
	}
}

func TestMarkovMergeMatchesOneAcc(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var whole markovCounts
	parts := make([]markovCounts, 3)
	i := 0
	randomMarkovPaths(rng, 3000, 200, func(p []uint32, c bool, r float64) {
		whole.addPath(p, c, r)
		parts[i%3].addPath(p, c, r)
		i++
	})
	var merged markovCounts
	for k := range parts {
		merged.merge(&parts[k])
	}
	a, _ := whole.solve()
	b, _ := merged.solve()
	if !reflect.DeepEqual(a, b) {
		t.Error("merged chain differs from the chain built in one accumulator")
	}
}

func TestExactSum(t *testing.T) {
	cases := []struct {
		name string
		xs   []float64
		want float64
	}{
		{"empty", nil, 0},
		{"tenths", []float64{0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}, 1},
		{"cancellation", []float64{1e16, 1, -1e16}, 1},
		{"tiny beside huge", []float64{1e100, 1, -1e100, 1e-100}, 1},
		{"halfway rounds to even", []float64{1, 1e-16, 1e-16, 1e-22}, 1.0000000000000002},
	}
	for _, c := range cases {
		var s exactSum
		for _, x := range c.xs {
			s.add(x)
		}
		if got := s.value(); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	// The same values in any order and any split give the same bits.
	rng := rand.New(rand.NewPCG(3, 4))
	xs := make([]float64, 1000)
	for i := range xs {
		xs[i] = (rng.Float64() - 0.3) * math.Pow(10, float64(rng.IntN(12)))
	}
	var ref exactSum
	for _, x := range xs {
		ref.add(x)
	}
	for range 5 {
		rng.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
		var a, b exactSum
		cut := rng.IntN(len(xs))
		for _, x := range xs[:cut] {
			a.add(x)
		}
		for _, x := range xs[cut:] {
			b.add(x)
		}
		b.merge(&a)
		if b.value() != ref.value() {
			t.Fatalf("order-dependent sum: %v vs %v", b.value(), ref.value())
		}
	}
}

// channelRow is one row of ChannelAttribution's Data.csv.
type channelRow struct {
	path        []string
	conv, nulls int
	value       float64
}

func readChannelData(t *testing.T) []channelRow {
	f, err := os.Open(shareddata.Path(t, "channel-attribution/Data.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []channelRow
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	sc.Scan() // header
	for sc.Scan() {
		fs := strings.Split(sc.Text(), ";")
		if len(fs) != 4 {
			t.Fatalf("bad row %q", sc.Text())
		}
		conv, err1 := strconv.Atoi(fs[1])
		value, err2 := strconv.ParseFloat(fs[2], 64)
		nulls, err3 := strconv.Atoi(fs[3])
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatalf("bad row %q", sc.Text())
		}
		rows = append(rows, channelRow{strings.Split(fs[0], " > "), conv, nulls, value})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// channelJourneys turns every conversion and null of the rows into one customer: touches a
// minute apart, then (for a conversion) a purchase carrying the row's value per conversion.
func channelJourneys(d *Dicts, rows []channelRow) []*Journey {
	var js []*Journey
	id := uint64(0)
	for _, r := range rows {
		for k := range r.conv + r.nulls {
			id++
			ev := make([]Event, 0, len(r.path)+1)
			for i, c := range r.path {
				ev = append(ev, attrTouch(d, Day+int64(i)*60e6, c))
			}
			if k < r.conv {
				ev = append(ev, attrBuy(d, Day+int64(len(r.path))*60e6, "web", 0, r.value/float64(r.conv)))
			}
			js = append(js, &Journey{Customer: id, Events: ev})
		}
	}
	return js
}

func TestChannelAttributionData(t *testing.T) {
	rows := readChannelData(t)
	if len(rows) != 10000 {
		t.Fatalf("%d rows, want 10000", len(rows))
	}
	p := attrParams()
	d := NewDicts()
	js := channelJourneys(d, rows)

	// Plain counts over the paths.
	first, last := map[string]float64{}, map[string]float64{}
	var conversions int64
	var value float64
	for _, r := range rows {
		value += r.value
		first[r.path[0]] += float64(r.conv)
		last[r.path[len(r.path)-1]] += float64(r.conv)
		conversions += int64(r.conv)
	}
	if conversions != 19785 {
		t.Fatalf("%d conversions in the file, want 19785", conversions)
	}

	split := func(parts int, roundRobin bool) AttributionResult {
		accs := make([]*attributionAcc, parts)
		for i := range accs {
			accs[i] = newAttributionAcc(p, p.Current)
		}
		for i, j := range js {
			k := i * parts / len(js)
			if roundRobin {
				k = i % parts
			}
			accs[k].add(j, scanOrders(p, j))
		}
		for _, a := range accs[1:] {
			accs[0].merge(a)
		}
		return accs[0].result(d, nil)
	}
	r := split(1, false)
	if r.Conversions != conversions || r.NullPaths != 68602 {
		t.Fatalf("conversions %d, null paths %d", r.Conversions, r.NullPaths)
	}
	if math.Abs(r.Revenue-value) > 1e-6 || math.Abs(r.Revenue-74802.972) > 1e-3 { // SOURCE.md rounds to 74,802.972
		t.Errorf("revenue %v, want %v", r.Revenue, value)
	}
	var markov, markovRev float64
	for _, tp := range r.Touchpoints {
		if tp.Touchpoint == "web" {
			continue // the purchase events' own touchpoint: never on a path here
		}
		if tp.FirstTouch != first[tp.Touchpoint] || tp.LastTouch != last[tp.Touchpoint] {
			t.Errorf("%s: first %v last %v, plain counts %v %v", tp.Touchpoint, tp.FirstTouch, tp.LastTouch,
				first[tp.Touchpoint], last[tp.Touchpoint])
		}
		markov += tp.Markov
		markovRev += tp.Revenue[ModelMarkov]
	}
	if len(r.Touchpoints) != 13 {
		t.Errorf("%d touchpoints, want the 12 channels and web", len(r.Touchpoints))
	}
	if math.Abs(markov-float64(conversions)) > 1e-6 || math.Abs(markovRev-r.Revenue) > 1e-6 {
		t.Errorf("markov hands out %v conversions and %v revenue, want %d and %v", markov, markovRev, conversions, r.Revenue)
	}

	// The removal effects agree with solving the chain again without each channel, the chain
	// counted straight from the text paths (consecutive repeats collapsed).
	var ref markovCounts
	var path []uint32
	for _, row := range rows {
		path = path[:0]
		for _, c := range row.path {
			code := d.Touchpoint.Code(c)
			if len(path) == 0 || path[len(path)-1] != code {
				path = append(path, code)
			}
		}
		for k := range row.conv + row.nulls {
			ref.addPath(path, k < row.conv, 0)
		}
	}
	codes, removal := directRemoval(t, &ref)
	got := attrByTouchpoint(r)
	for i, c := range codes {
		if g := got[d.TouchpointName(c)].RemovalEffect; math.Abs(g-removal[i]) > 1e-9 {
			t.Errorf("%s: removal effect %v, direct %v", d.TouchpointName(c), g, removal[i])
		}
	}

	// Identical, to the bit, across runs and splits between accumulators.
	for _, s := range []struct {
		parts      int
		roundRobin bool
	}{{1, false}, {3, false}, {7, true}, {16, true}} {
		if o := split(s.parts, s.roundRobin); !reflect.DeepEqual(o, r) {
			t.Errorf("%d accumulators (round robin %v): result differs", s.parts, s.roundRobin)
		}
	}
}

// BenchmarkMarkovSolve counts 1M paths over 50 touchpoints into a chain and solves it for every
// removal effect.
func BenchmarkMarkovSolve(b *testing.B) {
	rng := rand.New(rand.NewPCG(50, 1))
	var flat []uint32
	var ends []int
	var convs []bool
	var revs []float64
	randomMarkovPaths(rng, 1_000_000, 50, func(p []uint32, c bool, r float64) {
		flat = append(flat, p...)
		ends = append(ends, len(flat))
		convs = append(convs, c)
		revs = append(revs, r)
	})
	b.ResetTimer()
	for b.Loop() {
		var m markovCounts
		start := 0
		for i, end := range ends {
			m.addPath(flat[start:end], convs[i], revs[i])
			start = end
		}
		if _, err := m.solve(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMarkovSolveOnly solves a chain of 50 touchpoints already counted.
func BenchmarkMarkovSolveOnly(b *testing.B) {
	rng := rand.New(rand.NewPCG(50, 1))
	var m markovCounts
	randomMarkovPaths(rng, 100_000, 50, func(p []uint32, c bool, r float64) { m.addPath(p, c, r) })
	for b.Loop() {
		if _, err := m.solve(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAttributionAdd folds journeys of three touches and an order into the accumulator: the
// per-journey cost of every model together.
func BenchmarkAttributionAdd(b *testing.B) {
	p := attrParams()
	d := NewDicts()
	rng := rand.New(rand.NewPCG(9, 9))
	js := make([]*Journey, 10_000)
	for i := range js {
		ev := []Event{
			attrTouch(d, Day, strconv.Itoa(rng.IntN(50))),
			attrTouch(d, 2*Day, strconv.Itoa(rng.IntN(50))),
			attrTouch(d, 3*Day, strconv.Itoa(rng.IntN(50))),
			attrBuy(d, 4*Day, "web", uint64(i+1), 20),
		}
		js[i] = &Journey{Customer: uint64(i), Events: ev}
	}
	a := newAttributionAcc(p, p.Current)
	jo := newJourneyOrders(p)
	i := 0
	for b.Loop() {
		j := js[i%len(js)]
		jo.scan(j.Events)
		a.add(j, jo)
		i++
	}
}

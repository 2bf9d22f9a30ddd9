package kpi

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// The binary form of an accumulator, for shards: a shard folds its partitions and writes each
// partition's Acc; the merge decodes them, with the codes translated to the merged dictionaries,
// and merges them in partition order, exactly as one run would. Only what Merge and Result read
// is written (no scratch space), integers as varints and floats as their bits, so decoding gives
// back the same sums and lists in the same order. The form is versioned; it is written and read
// by the same version of journeykpi.

// accMagic starts every encoded accumulator; the digit is the version of the form.
const accMagic = "jkacc4"

// AppendBinary appends a's state to b and returns the extended slice. a must not be in use.
func (a *Acc) AppendBinary(b []byte) []byte {
	e := &encoder{b: append(b, accMagic...)}
	e.int(a.resent)
	e.int(a.differ)
	for _, pa := range a.periods() {
		e.funnel(pa.funnel)
		e.journeyMap(pa.jmap)
		e.trends(pa.trends)
		e.repeat(pa.repeat)
		e.attribution(pa.attr)
	}
	for _, s := range a.slots {
		e.funnel(s.funnel)
		if s.repeat != nil {
			e.repeat(s.repeat)
		}
	}
	if a.series != nil {
		e.series(a.series)
	}
	return e.b
}

// DecodeAcc returns the accumulator that AppendBinary wrote in data, for Params p (those it was
// folded with). tr translates the string codes it was folded with into the codes of the
// dictionaries it will be merged and reported under; it must keep their order (both sorted, as
// Dicts.Sort leaves them). nil keeps the codes.
func DecodeAcc(p *Params, data []byte, tr *Remap) (*Acc, error) {
	if len(data) < len(accMagic) || string(data[:len(accMagic)]) != accMagic {
		return nil, errors.New("kpi: not an accumulator of this version")
	}
	d := &decoder{b: data[len(accMagic):], tr: tr}
	a := NewAcc(p)
	a.resent = d.int()
	a.differ = d.int()
	for _, pa := range a.periods() {
		d.funnel(pa.funnel)
		d.journeyMap(pa.jmap)
		d.trends(pa.trends)
		d.repeat(pa.repeat)
		d.attribution(pa.attr)
	}
	for _, s := range a.slots {
		d.funnel(s.funnel)
		if s.repeat != nil {
			d.repeat(s.repeat)
		}
	}
	if a.series != nil {
		d.series(a.series)
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%d bytes left over", len(d.b))
	}
	if d.err != nil {
		return nil, fmt.Errorf("kpi: decode accumulator: %w", d.err)
	}
	return a, nil
}

// periods are a's full period accumulators in a fixed order: the report period, the one compared
// with, the year-ago one when there is one. (Params fix which there are, so the decoder's match.)
func (a *Acc) periods() []*periodAcc {
	ps := []*periodAcc{&a.cur, &a.prev}
	if a.ya != nil {
		ps = append(ps, a.ya)
	}
	return ps
}

type encoder struct{ b []byte }

func (e *encoder) uint(v uint64)   { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) int(v int64)     { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) float(v float64) { e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v)) }
func (e *encoder) sum(s *exactSum) { e.floats(s.partials) }
func (e *encoder) length(n int)    { e.uint(uint64(n)) }
func (e *encoder) code(c uint32)   { e.uint(uint64(c)) }
func (e *encoder) ints(v []int64) {
	e.length(len(v))
	for _, x := range v {
		e.int(x)
	}
}
func (e *encoder) floats(v []float64) {
	e.length(len(v))
	for _, x := range v {
		e.float(x)
	}
}

type decoder struct {
	b   []byte
	tr  *Remap
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, args...)
	}
}

func (d *decoder) uint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("truncated")
		d.b = nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) int() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("truncated")
		d.b = nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) float() float64 {
	if len(d.b) < 8 {
		d.fail("truncated")
		d.b = nil
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
	d.b = d.b[8:]
	return v
}

// length reads a count, refusing one larger than the bytes left could hold.
func (d *decoder) length() int {
	n := d.uint()
	if n > uint64(len(d.b)) {
		d.fail("bad length %d", n)
		d.b = nil
		return 0
	}
	return int(n)
}

// fixed reads a count that must be want (a slice sized by the Params).
func (d *decoder) fixed(want int, what string) bool {
	if n := d.length(); n != want && d.err == nil {
		d.fail("%s: %d entries, want %d (folded with other parameters?)", what, n, want)
	}
	return d.err == nil
}

func (d *decoder) ints() []int64 {
	n := d.length()
	v := make([]int64, n)
	for i := range v {
		v[i] = d.int()
	}
	return v
}

func (d *decoder) intsInto(dst []int64, what string) {
	if !d.fixed(len(dst), what) {
		return
	}
	for i := range dst {
		dst[i] = d.int()
	}
}

func (d *decoder) floats() []float64 {
	n := d.length()
	if n == 0 {
		return nil
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = d.float()
	}
	return v
}

func (d *decoder) sum(s *exactSum) { s.partials = d.floats() }

// translate maps a code through m (a Remap column); nil keeps it.
func (d *decoder) translate(m []uint32, c uint64) uint32 {
	if m == nil {
		return uint32(c)
	}
	if c >= uint64(len(m)) {
		d.fail("code %d outside the dictionary of %d", c, len(m))
		return 0
	}
	return m[c]
}

func (d *decoder) touchpoint() uint32 {
	var m []uint32
	if d.tr != nil {
		m = d.tr.Touchpoint
	}
	return d.translate(m, d.uint())
}

func (d *decoder) campaign() uint32 {
	var m []uint32
	if d.tr != nil {
		m = d.tr.Campaign
	}
	return d.translate(m, d.uint())
}

// dim reads a code of dimension k.
func (d *decoder) dim(k int) uint32 {
	var m []uint32
	if d.tr != nil {
		m = d.tr.Dims[k]
	}
	return d.translate(m, d.uint())
}

func (d *decoder) segment() uint32 {
	var m []uint32
	if d.tr != nil {
		m = d.tr.Segment
	}
	return d.translate(m, d.uint())
}

// Funnel.

func (e *encoder) funnelCounts(c *funnelCounts) {
	e.int(c.entrants)
	e.int(c.completed)
	e.int(c.dropped)
	e.int(c.inProgress)
	e.ints(c.reached)
	e.ints(c.drop)
	e.ints(c.prog)
	e.ints(c.mature)
	e.length(len(c.dur))
	for k := range c.dur {
		e.length(c.dur[k].n)
		for _, b := range c.dur[k].blocks {
			for _, v := range b {
				e.int(v)
			}
		}
	}
}

func (d *decoder) funnelCounts(c *funnelCounts) {
	c.entrants, c.completed, c.dropped, c.inProgress = d.int(), d.int(), d.int(), d.int()
	d.intsInto(c.reached, "funnel stages")
	d.intsInto(c.drop, "funnel stages")
	d.intsInto(c.prog, "funnel stages")
	d.intsInto(c.mature, "funnel stages")
	if !d.fixed(len(c.dur), "funnel stages") {
		return
	}
	for k := range c.dur {
		c.dur[k].set(d.ints())
	}
}

func (e *encoder) funnel(f *funnelAcc) {
	e.funnelCounts(f.all)
	e.length(len(f.dims))
	for _, dim := range f.dims {
		n := 0
		for _, c := range dim {
			if c != nil {
				n++
			}
		}
		e.length(n)
		for code, c := range dim {
			if c != nil {
				e.code(uint32(code))
				e.funnelCounts(c)
			}
		}
	}
	e.ints(f.open)
	for _, m := range f.mix {
		n := 0
		for _, c := range m {
			if c.entrants > 0 {
				n++
			}
		}
		e.length(n)
		for code, c := range m {
			if c.entrants > 0 {
				e.code(uint32(code))
				e.int(c.entrants)
				e.int(c.purchases)
			}
		}
	}
	keys := make([]entryKey, 0, len(f.entries))
	for k := range f.entries {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b entryKey) int {
		if a.tp != b.tp {
			return int(int64(a.tp) - int64(b.tp))
		}
		return int(int64(a.campaign) - int64(b.campaign))
	})
	e.length(len(keys))
	for _, k := range keys {
		c := f.entries[k]
		e.code(k.tp)
		e.code(k.campaign)
		e.int(c.entrants)
		e.int(c.purchasers)
		e.sum(&c.revenue)
	}
}

func (d *decoder) funnel(f *funnelAcc) {
	d.funnelCounts(f.all)
	if !d.fixed(len(f.dims), "funnel breakdowns") {
		return
	}
	for di, by := range f.p.Breakdowns {
		n := d.length()
		for range n {
			var code uint32
			switch by {
			case byFirstTouchpoint:
				code = d.touchpoint()
			case bySegment:
				code = d.segment()
			default:
				if k := f.dimOf[di]; k >= 0 {
					code = d.dim(k)
				} else {
					code = uint32(d.uint())
				}
			}
			if d.err != nil {
				return
			}
			f.dims[di] = growCodes(f.dims[di], int(code)+1)
			c := f.newGroup()
			d.funnelCounts(c)
			f.dims[di][code] = c
		}
	}
	d.intsInto(f.open, "open funnel stages")
	for i := range f.mix {
		n := d.length()
		for range n {
			var c uint32
			if i == 0 {
				c = d.touchpoint()
			} else {
				c = d.segment()
			}
			m := mixCount{entrants: d.int(), purchases: d.int()}
			if d.err != nil {
				return
			}
			f.mix[i] = growCodes(f.mix[i], int(c)+1)
			f.mix[i][c] = m
		}
	}
	n := d.length()
	for range n {
		k := entryKey{tp: d.touchpoint(), campaign: d.campaign()}
		c := &entryCount{entrants: d.int(), purchasers: d.int()}
		d.sum(&c.revenue)
		if d.err != nil {
			return
		}
		f.entries[k] = c
	}
}

// Journey map.

func (e *encoder) journeyMap(m *journeyMapAcc) {
	e.mapCells(m.cells)
	for _, cells := range m.dims {
		e.mapCells(cells)
	}
}

// mapCells writes the rows of a stage × value map ([value code][stage]) that exist.
func (e *encoder) mapCells(cells [][]mapCell) {
	n := 0
	for _, row := range cells {
		if row != nil {
			n++
		}
	}
	e.length(n)
	for tp, row := range cells {
		if row == nil {
			continue
		}
		e.code(uint32(tp))
		e.length(len(row))
		for k := range row {
			c := &row[k]
			e.int(c.customers)
			e.int(c.events)
			e.int(c.sentN)
			e.int(c.sentSum)
			e.int(c.sentSq)
			e.int(c.sentCustomers)
			e.int(c.nextMature)
			e.int(c.nextReached)
		}
	}
}

func (d *decoder) journeyMap(m *journeyMapAcc) {
	d.mapCells(&m.cells, m.sp.n, d.touchpoint)
	for k := range m.dims {
		d.mapCells(&m.dims[k], m.sp.n, func() uint32 { return d.dim(k) })
	}
}

// mapCells reads the rows mapCells wrote into cells, their value codes read by code.
func (d *decoder) mapCells(cells *[][]mapCell, stages int, code func() uint32) {
	n := d.length()
	for range n {
		tp := code()
		if !d.fixed(stages, "journey map stages") {
			return
		}
		cellOf(cells, tp, 0, stages) // makes the row
		row := (*cells)[tp]
		for k := range row {
			c := &row[k]
			c.customers, c.events, c.sentN, c.sentSum, c.sentSq, c.sentCustomers = d.int(), d.int(), d.int(), d.int(), d.int(), d.int()
			c.nextMature, c.nextReached = d.int(), d.int()
		}
	}
}

// Trends.

func (e *encoder) trends(t *trendsAcc) {
	e.length(len(t.points))
	for i := range t.points {
		p := &t.points[i]
		e.int(p.Entrants)
		e.int(p.Purchases)
		e.int(p.Orders)
		e.int(p.MatureEntrants)
		e.int(t.revenue[i].hi)
		e.uint(t.revenue[i].lo)
	}
}

func (d *decoder) trends(t *trendsAcc) {
	if !d.fixed(len(t.points), "trend points") {
		return
	}
	for i := range t.points {
		p := &t.points[i]
		p.Entrants, p.Purchases, p.Orders, p.MatureEntrants = d.int(), d.int(), d.int(), d.int()
		t.revenue[i] = fixedSum{hi: d.int(), lo: d.uint()}
	}
}

// Repeat purchase.

func (e *encoder) tally(t *repeatTally) {
	e.int(t.purchasers)
	e.int(t.orders)
	e.int(t.repeaters)
	e.int(t.returning)
	e.sum(&t.revenue)
	e.floats(t.days)
	m := &t.money
	for _, x := range []*exactSum{&m.r, &m.r2, &m.o, &m.o2, &m.ro} {
		e.sum(x)
	}
	if m.invalid {
		e.uint(1)
	} else {
		e.uint(0)
	}
}

func (d *decoder) tally(t *repeatTally) {
	t.purchasers, t.orders, t.repeaters, t.returning = d.int(), d.int(), d.int(), d.int()
	d.sum(&t.revenue)
	t.days = d.floats()
	m := &t.money
	for _, x := range []*exactSum{&m.r, &m.r2, &m.o, &m.o2, &m.ro} {
		d.sum(x)
	}
	m.invalid = d.uint() == 1
}

func (e *encoder) groups(m map[uint32]*repeatTally) {
	codes := make([]uint32, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	e.length(len(codes))
	for _, c := range codes {
		e.code(c)
		e.tally(m[c])
	}
}

func (d *decoder) groups(m map[uint32]*repeatTally, code func() uint32) {
	n := d.length()
	for range n {
		c := code()
		t := &repeatTally{}
		d.tally(t)
		if d.err != nil {
			return
		}
		m[c] = t
	}
}

func (e *encoder) repeat(r *repeatAcc) {
	e.tally(&r.all)
	e.groups(r.bySeg)
	e.groups(r.byTP)
	for _, m := range r.byDim {
		e.groups(m)
	}
	if !r.current {
		return
	}
	e.ints(r.cohorts.size)
	for _, again := range r.cohorts.again {
		e.ints(again) // nil, a cohort without a customer, is written empty
	}
	f := r.fit
	cs := f.customers.flat()
	e.length(len(cs))
	for _, c := range cs {
		e.int(int64(c.x))
		e.int(int64(c.tx))
		e.int(int64(c.T))
		e.code(c.seg)
		e.code(c.tp)
		e.uint(uint64(b2i(c.acquired)))
		e.float(c.revenue)
		e.float(c.mean)
	}
	e.sum(&f.revenue)
	e.int(f.orders)
}

func (d *decoder) repeat(r *repeatAcc) {
	d.tally(&r.all)
	d.groups(r.bySeg, d.segment)
	d.groups(r.byTP, d.touchpoint)
	for k, m := range r.byDim {
		d.groups(m, func() uint32 { return d.dim(k) })
	}
	if !r.current {
		return
	}
	d.intsInto(r.cohorts.size, "cohorts")
	for k := range r.cohorts.again {
		if v := d.ints(); len(v) > 0 {
			if len(v) != len(r.cohorts.size)-1-k {
				d.fail("cohort %d has %d later periods, want %d", k, len(v), len(r.cohorts.size)-1-k)
				return
			}
			r.cohorts.again[k] = v
		}
	}
	f := r.fit
	n := d.length()
	cs := make([]bgnbdCustomer, 0, n)
	for range n {
		c := bgnbdCustomer{x: int32(d.int()), tx: int32(d.int()), T: int32(d.int())}
		c.seg = d.segment()
		c.tp = d.touchpoint()
		c.acquired = d.uint() != 0
		c.revenue = d.float()
		c.mean = d.float()
		cs = append(cs, c)
	}
	f.customers.set(cs)
	d.sum(&f.revenue)
	f.orders = d.int()
}

// Attribution.

func (e *encoder) attribution(a *attributionAcc) {
	e.int(a.conversions)
	e.int(a.nullPaths)
	e.sum(&a.revenue)
	e.length(len(a.credits))
	for i := range a.credits {
		tc := &a.credits[i]
		for m := range numHeuristic {
			e.sum(&tc.conv[m])
			e.sum(&tc.rev[m])
		}
		e.int(tc.reached)
	}
	m := &a.markov
	e.length(len(m.start))
	for c := range m.start {
		e.int(m.start[c])
		e.int(m.conv[c])
		e.int(m.null[c])
		e.sum(&m.convRev[c])
	}
	type move struct {
		from, to uint32
		n        int64
	}
	var moves []move
	for i := range m.side {
		for j := range m.side {
			if n := m.dense[i*m.side+j]; n != 0 {
				moves = append(moves, move{uint32(i), uint32(j), n})
			}
		}
	}
	for k, n := range m.sparse {
		moves = append(moves, move{uint32(k >> 32), uint32(k), n})
	}
	slices.SortFunc(moves, func(a, b move) int {
		if a.from != b.from {
			return int(int64(a.from) - int64(b.from))
		}
		return int(int64(a.to) - int64(b.to))
	})
	e.length(len(moves))
	for _, mv := range moves {
		e.code(mv.from)
		e.code(mv.to)
		e.int(mv.n)
	}
}

func (d *decoder) attribution(a *attributionAcc) {
	a.conversions, a.nullPaths = d.int(), d.int()
	d.sum(&a.revenue)
	n := d.length()
	for i := range n {
		c := d.translate(d.touchpointMap(), uint64(i))
		if d.err != nil {
			return
		}
		tc := a.credit(c)
		for m := range numHeuristic {
			d.sum(&tc.conv[m])
			d.sum(&tc.rev[m])
		}
		tc.reached = d.int()
	}
	m := &a.markov
	n = d.length()
	for i := range n {
		c := d.translate(d.touchpointMap(), uint64(i))
		if d.err != nil {
			return
		}
		m.grow(c)
		m.start[c], m.conv[c], m.null[c] = d.int(), d.int(), d.int()
		d.sum(&m.convRev[c])
	}
	n = d.length()
	for range n {
		from, to := d.touchpoint(), d.touchpoint()
		cnt := d.int()
		if d.err != nil {
			return
		}
		m.addTransition(from, to, cnt)
	}
}

// Daily attributed revenue (the response curves' series): per day, the touchpoints credited.

func (e *encoder) series(s *seriesAcc) {
	e.attribution(s.attr)
	e.length(len(s.days))
	for _, row := range s.days {
		n := 0
		for c := range row {
			if !row[c].empty() {
				n++
			}
		}
		e.length(n)
		for c := range row {
			if row[c].empty() {
				continue
			}
			e.code(uint32(c))
			for m := range numHeuristic {
				e.sum(&row[c].rev[m])
			}
		}
	}
}

func (d *decoder) series(s *seriesAcc) {
	d.attribution(s.attr)
	days := d.length()
	for len(s.days) < days {
		s.days = append(s.days, nil)
	}
	for day := range days {
		n := d.length()
		for range n {
			c := d.touchpoint()
			if d.err != nil {
				return
			}
			s.days[day] = growCodes(s.days[day], int(c)+1)
			for m := range numHeuristic {
				d.sum(&s.days[day][c].rev[m])
			}
		}
	}
}

func (d *decoder) touchpointMap() []uint32 {
	if d.tr == nil {
		return nil
	}
	return d.tr.Touchpoint
}

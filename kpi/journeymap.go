package kpi

import (
	"cmp"
	"math"
	"slices"
)

// sentimentScale is the fixed-point scale of sentiment sums: a resolution of 1e-6 (a float32
// sentiment holds about 7 significant digits, so this keeps what the data said: -0.9 sums as
// -0.9, not as its float32 neighbour -0.89999998) and room for 9 trillion values.
const sentimentScale = 1e6

// mapCell accumulates one stage × touchpoint cell.
type mapCell struct {
	customers int64 // entrants whose counted attempt reached the stage at this touchpoint
	events    int64 // the stage's events at this touchpoint in the period
	sentN     int64 // of those, events with a sentiment
	sentSum   int64 // fixed point (sentimentScale): sums that do not depend on the merge order
	// sentSq is the squares' sum, fixed point (sentimentScale), for the mean's interval: touchpoint
	// cells only, as only they can be pain points.
	sentSq int64
	// sentCustomers are distinct customers with a sentiment event in the cell: a cell's mean is
	// read (Measured), and a pain point found, only with Params.MinCustomers of them.
	sentCustomers int64
	stamp         uint64 // the last journey that counted in sentCustomers
	// nextMature are the cell's customers whose window for the next required stage had closed by
	// the data's end, nextReached those of them who reached it: the drop-off after the cell.
	nextMature, nextReached int64
}

// journeyMapAcc accumulates the stage × touchpoint map of one period.
type journeyMapAcc struct {
	p       *Params
	sp      *stagePlan
	cells   [][]mapCell // [touchpoint code][stage]
	journey uint64
	// dims are the stage × value maps of each of Params.Dimensions: [dimension][value code][stage].
	dims [][][]mapCell
}

func newJourneyMapAcc(p *Params) *journeyMapAcc {
	return &journeyMapAcc{p: p, sp: newStagePlan(p), dims: make([][][]mapCell, len(p.Dimensions))}
}

func (m *journeyMapAcc) cell(tp uint32, k int) *mapCell { return cellOf(&m.cells, tp, k, m.sp.n) }

// cellOf returns the cell of value code c at stage k in cells, growing it as needed.
func cellOf(cells *[][]mapCell, c uint32, k, stages int) *mapCell {
	*cells = growCodes(*cells, int(c)+1)
	if (*cells)[c] == nil {
		(*cells)[c] = make([]mapCell, stages)
	}
	return &(*cells)[c][k]
}

func (m *journeyMapAcc) add(j *Journey, o *outcome) {
	m.journey++
	sp := m.sp
	if o.entrant {
		for k := 0; k < sp.n; k++ {
			i := o.st.firstIdx[k]
			if i < 0 {
				continue
			}
			c := m.cell(j.Events[i].Touchpoint, k)
			c.customers++
			if nk := sp.nextReq[k]; nk >= 0 && sp.matured(o, nk) {
				c.nextMature++
				if o.reached(nk) {
					c.nextReached++
				}
			}
			for d := range m.dims {
				cellOf(&m.dims[d], j.Events[i].Dims[d], k, sp.n).customers++
			}
		}
	}
	for i := o.lo; i < o.hi; i++ {
		e := &j.Events[i]
		k, repeat := sp.counted(e, o.flags[i])
		if k < 0 {
			continue
		}
		if repeat {
			m.count(e, sp.repeat)
		}
		m.count(e, k)
	}
}

func (m *journeyMapAcc) count(e *Event, k int) {
	c := m.cell(e.Touchpoint, k)
	m.countIn(c, e)
	if e.HasSentiment() {
		c.sentSq += int64(math.Round(float64(e.Sentiment) * float64(e.Sentiment) * sentimentScale))
	}
	for d := range m.dims {
		m.countIn(cellOf(&m.dims[d], e.Dims[d], k, m.sp.n), e)
	}
}

// countIn counts event e in cell c: its events, sentiments and the customers who gave one.
func (m *journeyMapAcc) countIn(c *mapCell, e *Event) {
	c.events++
	if e.HasSentiment() {
		c.sentN++
		c.sentSum += int64(math.Round(float64(e.Sentiment) * sentimentScale))
		if c.stamp != m.journey {
			c.stamp = m.journey
			c.sentCustomers++
		}
	}
}

func (m *journeyMapAcc) merge(o *journeyMapAcc) {
	mergeCells(&m.cells, o.cells, m.sp.n)
	for d := range m.dims {
		mergeCells(&m.dims[d], o.dims[d], m.sp.n)
	}
}

// mergeCells adds the cells of src into dst.
func mergeCells(dst *[][]mapCell, src [][]mapCell, stages int) {
	for code, row := range src {
		for k := range row {
			if row[k] == (mapCell{stamp: row[k].stamp}) {
				continue
			}
			cellOf(dst, uint32(code), k, stages).add(&row[k])
		}
	}
}

// add adds o's counts to c.
func (c *mapCell) add(o *mapCell) {
	c.customers += o.customers
	c.events += o.events
	c.sentN += o.sentN
	c.sentSum += o.sentSum
	c.sentSq += o.sentSq
	c.sentCustomers += o.sentCustomers
	c.nextMature += o.nextMature
	c.nextReached += o.nextReached
}

func (m *journeyMapAcc) result(d *Dicts) JourneyMapResult {
	sp := m.sp
	r := JourneyMapResult{Cells: []MapCell{}, Sentiment: []StageMood{}, PainPoints: []PainPoint{}, Touchpoints: []string{}}
	for k := range sp.n {
		r.Stages = append(r.Stages, m.p.Stages[k].Name)
	}
	type tpName struct {
		code uint32
		name string
	}
	var tps []tpName
	for tp, row := range m.cells {
		for k := range row {
			if row[k].customers > 0 || row[k].events > 0 {
				tps = append(tps, tpName{uint32(tp), d.TouchpointName(uint32(tp))})
				break
			}
		}
	}
	slices.SortFunc(tps, func(a, b tpName) int { return cmp.Compare(a.name, b.name) })
	for _, tp := range tps {
		r.Touchpoints = append(r.Touchpoints, tp.name)
	}
	minResponses := int64(max(m.p.MinCustomers, 1))
	var pains []PainPoint
	for k := range sp.n {
		// The stage's totals first: its mean sentiment and its customers' next-step counts.
		var stage mapCell
		for _, tp := range tps {
			c := m.cells[tp.code][k]
			stage.sentSum += c.sentSum
			stage.sentN += c.sentN
			stage.nextMature += c.nextMature
			stage.nextReached += c.nextReached
		}
		mood := StageMood{Stage: m.p.Stages[k].Name, Mean: Ratio(float64(stage.sentSum)/sentimentScale, float64(stage.sentN)), N: stage.sentN}
		r.Sentiment = append(r.Sentiment, mood)
		for _, tp := range tps {
			c := m.cells[tp.code][k]
			if c.customers == 0 && c.events == 0 {
				continue
			}
			mc := MapCell{
				Stage: m.p.Stages[k].Name, Touchpoint: tp.name, Customers: c.customers, Events: c.events,
				SentimentMean: Ratio(float64(c.sentSum)/sentimentScale, float64(c.sentN)), SentimentN: c.sentN,
				SentimentCustomers: c.sentCustomers, Measured: c.sentCustomers >= minResponses,
			}
			r.Cells = append(r.Cells, mc)
			if !mc.Measured || tp.name == NoneLabel || mood.Mean == nil || c.sentN < 2 {
				continue
			}
			iv := meanInterval(c)
			if !(iv.High < *mood.Mean) {
				continue
			}
			pp := PainPoint{MapCell: mc, StageMean: *mood.Mean, Interval: iv}
			if nk := sp.nextReq[k]; nk >= 0 {
				pp.NextStage = m.p.Stages[nk].Name
				pp.NextConversion = Ratio(float64(c.nextReached), float64(c.nextMature))
				pp.RestConversion = Ratio(float64(stage.nextReached-c.nextReached), float64(stage.nextMature-c.nextMature))
				if pp.NextConversion != nil && pp.RestConversion != nil {
					pp.ExtraDropOff = max(0, *pp.RestConversion-*pp.NextConversion)
				}
			}
			pains = append(pains, pp)
		}
	}
	// Furthest below the stage's mean first; the allocation ranks them by what they cost.
	slices.SortStableFunc(pains, func(a, b PainPoint) int {
		return cmp.Compare(*a.SentimentMean-a.StageMean, *b.SentimentMean-b.StageMean)
	})
	r.PainPoints = append(r.PainPoints, pains...)
	r.ByDimension = []DimensionMap{}
	for k := range m.dims {
		r.ByDimension = append(r.ByDimension, m.dimensionMap(d, k))
	}
	return r
}

// meanInterval is the 95% interval of a cell's mean sentiment, mean ± 1.96·s/√n with s the
// sample standard deviation of its sentiments (normal approximation: the mean of n ≥ 2 values
// bounded in [−1, 1]).
func meanInterval(c mapCell) Interval {
	n := float64(c.sentN)
	mean := float64(c.sentSum) / sentimentScale / n
	ss := float64(c.sentSq)/sentimentScale - n*mean*mean
	sd := math.Sqrt(max(0, ss/(n-1)))
	h := NormalQuantile(0.975) * sd / math.Sqrt(n)
	return Interval{mean - h, mean + h}
}

// dimensionMap is the stage × value map of dimension k: the values with the most customers at
// the first stage (top N, ties by value), then "(other)" holding the rest. A cell's mean sentiment
// is read by the touchpoint map's rule (Measured); "(other)" counts a customer who answered with
// two of its values twice.
func (m *journeyMapAcc) dimensionMap(d *Dicts, k int) DimensionMap {
	sp := m.sp
	type value struct {
		name  string
		cells []mapCell
	}
	var vals []value
	for code, row := range m.dims[k] {
		if row == nil {
			continue
		}
		for st := range row {
			if row[st].customers > 0 || row[st].events > 0 {
				vals = append(vals, value{d.DimName(k, uint32(code)), row})
				break
			}
		}
	}
	slices.SortFunc(vals, func(a, b value) int {
		if c := cmp.Compare(b.cells[0].customers, a.cells[0].customers); c != 0 {
			return c
		}
		return cmp.Compare(a.name, b.name)
	})
	if top := m.p.Top; top > 0 && len(vals) > top {
		other := value{OtherLabel, make([]mapCell, sp.n)}
		for _, v := range vals[top:] {
			for st := range v.cells {
				other.cells[st].add(&v.cells[st])
			}
		}
		vals = append(vals[:top], other)
	}
	minResponses := int64(max(m.p.MinCustomers, 1))
	dm := DimensionMap{Dimension: m.p.Dimensions[k], Values: []string{}, Cells: []DimensionCell{}}
	for _, v := range vals {
		dm.Values = append(dm.Values, v.name)
	}
	for st := range sp.n {
		for _, v := range vals {
			c := v.cells[st]
			if c.customers == 0 && c.events == 0 {
				continue
			}
			dm.Cells = append(dm.Cells, DimensionCell{
				Stage: m.p.Stages[st].Name, Value: v.name, Customers: c.customers, Events: c.events,
				SentimentMean: Ratio(float64(c.sentSum)/sentimentScale, float64(c.sentN)), SentimentN: c.sentN,
				SentimentCustomers: c.sentCustomers, Measured: c.sentCustomers >= minResponses,
			})
		}
	}
	return dm
}

package ingest

import (
	"math"
	"sync"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/kpi"
)

// Mapper maps source record batches onto the data contract (config source.columns), rejecting
// and counting the rows that break it, and passes the accepted rows to its sink. Its Add method
// is safe for concurrent use.
type Mapper struct {
	cols         config.Columns
	matchByStage bool
	stageOfName  map[string]int8 // event_name → stage (match: events)
	stageOfLabel map[string]int8 // stage column value → stage (match: stage)
	srcLoc       *time.Location
	start, end   int64
	period       [2]int64 // the report period [from, to) within the range, for Coverage
	full         int64    // before it only purchase-stage events are needed (Range.FullFrom)
	ordersOnly   bool     // leave the others out (Range.OrdersOnly)
	purchase     int8     // the purchase stage
	sink         func([]Row) error

	mu        sync.Mutex
	dicts     *kpi.Dicts
	nameStage []int8 // stage by EventName code, filled as names are seen
	read      int64
	rejected  map[string]int64
	outside   int64
	cover     Coverage
	unmatched int64
	dataEnd   int64
}

// NewMapper returns a mapper for cfg's columns and stages that keeps rows with a time in
// r.Start..r.End and passes them to sink, which may be called from several goroutines at once and
// must not keep the slice.
func NewMapper(cfg *config.Config, r Range, sink func([]Row) error) *Mapper {
	n := &Mapper{
		cols:         cfg.Source.Columns,
		matchByStage: cfg.Funnel.Match == "stage",
		stageOfName:  map[string]int8{},
		stageOfLabel: map[string]int8{},
		srcLoc:       cfg.SourceLocation(),
		start:        r.Start.UnixMicro(),
		end:          r.End.UnixMicro(),
		period:       [2]int64{r.PeriodStart.UnixMicro(), r.PeriodEnd.UnixMicro()},
		full:         math.MinInt64,
		ordersOnly:   r.OrdersOnly,
		purchase:     kpi.NoStage,
		sink:         sink,
		dicts:        kpi.NewDicts(),
		nameStage:    []int8{kpi.NoStage},
		rejected:     map[string]int64{},
		dataEnd:      math.MinInt64,
		cover:        Coverage{First: math.MaxInt64, Last: math.MinInt64},
	}
	if !r.FullFrom.IsZero() {
		n.full = r.FullFrom.UnixMicro()
	}
	for i, s := range cfg.Stages {
		if s.Purchase {
			n.purchase = int8(i)
		}
		if s.RepeatPurchase {
			continue
		}
		for _, e := range s.Events {
			n.stageOfName[e] = int8(i)
		}
		for _, l := range s.StageLabels() {
			n.stageOfLabel[l] = int8(i)
		}
	}
	return n
}

// Add maps one record batch and passes its accepted rows to the sink. The record is not kept.
func (n *Mapper) Add(rec arrow.Record) error {
	nrows := int(rec.NumRows())
	if nrows == 0 {
		return nil
	}
	custCol := column(rec, n.cols.CustomerID)
	if custCol == nil {
		return &MissingColumnError{"customer_id", n.cols.CustomerID}
	}
	timeCol := column(rec, n.cols.EventTime)
	if timeCol == nil {
		return &MissingColumnError{"event_time", n.cols.EventTime}
	}
	nameCol := column(rec, n.cols.EventName)
	stageCol := column(rec, n.cols.Stage)
	if n.matchByStage && stageCol == nil {
		return &MissingColumnError{"stage", n.cols.Stage}
	}
	if !n.matchByStage && nameCol == nil {
		return &MissingColumnError{"event_name", n.cols.EventName}
	}

	cust, err := keyColumn(custCol, n.cols.CustomerID)
	if err != nil {
		return err
	}
	times, err := timeColumn(timeCol, n.srcLoc, n.cols.EventTime)
	if err != nil {
		return err
	}
	order, err := optKeyColumn(column(rec, n.cols.OrderID), n.cols.OrderID)
	if err != nil {
		return err
	}
	revenue, err := floatColumn(column(rec, n.cols.Revenue), n.cols.Revenue)
	if err != nil {
		return err
	}
	sentiment, err := floatColumn(column(rec, n.cols.Sentiment), n.cols.Sentiment)
	if err != nil {
		return err
	}
	var malformed *array.Boolean
	if c := column(rec, malformedColumn); c != nil {
		malformed, _ = c.(*array.Boolean)
	}

	// Codes for the string columns, under the lock because the dictionaries are shared.
	n.mu.Lock()
	in, err := n.codeColumns(rec, nameCol)
	n.mu.Unlock()
	if err != nil {
		return err
	}
	in.cust, in.times, in.order, in.revenue, in.sentiment = cust, times, order, revenue, sentiment
	in.stageCol, in.malformed = stageCol, malformed
	return n.rows(nrows, in)
}

// codeColumns interns the string columns of rec. n.mu must be held.
func (n *Mapper) codeColumns(rec arrow.Record, nameCol arrow.Array) (rowInputs, error) {
	var in rowInputs
	var err error
	if in.names, err = codes(nameCol, n.dicts.EventName, n.cols.EventName); err != nil {
		return in, err
	}
	if in.tps, err = codes(column(rec, n.cols.Touchpoint), n.dicts.Touchpoint, n.cols.Touchpoint); err != nil {
		return in, err
	}
	if in.camps, err = codes(column(rec, n.cols.Campaign), n.dicts.Campaign, n.cols.Campaign); err != nil {
		return in, err
	}
	if in.segs, err = codes(column(rec, n.cols.Segment), n.dicts.Segment, n.cols.Segment); err != nil {
		return in, err
	}
	for len(n.nameStage) < n.dicts.EventName.Len() {
		s, ok := n.stageOfName[n.dicts.EventName.Name(uint32(len(n.nameStage)))]
		if !ok {
			s = kpi.NoStage
		}
		n.nameStage = append(n.nameStage, s)
	}
	in.nameStage = n.nameStage
	return in, nil
}

type rowInputs struct {
	cust               keyFunc
	times              timeFunc
	names, tps, camps  []uint32
	segs               []uint32
	order              keyFunc
	revenue, sentiment floatFunc
	stageCol           arrow.Array
	malformed          *array.Boolean
	nameStage          []int8
}

func (n *Mapper) rows(nrows int, in rowInputs) error {
	out := make([]Row, 0, nrows)
	rejected := map[string]int64{}
	var outside, unmatched int64
	dataEnd := int64(math.MinInt64)
	cover := Coverage{First: math.MaxInt64, Last: math.MinInt64}
	var stageLabel func(int) (string, bool)
	if n.matchByStage {
		var err error
		stageLabel, err = stringColumn(in.stageCol, n.cols.Stage)
		if err != nil {
			return err
		}
	}
	for i := 0; i < nrows; i++ {
		if in.malformed != nil && in.malformed.IsValid(i) && in.malformed.Value(i) {
			rejected[RejectMalformedRow]++
			continue
		}
		cust, ok := in.cust(i)
		if !ok {
			rejected[RejectCustomerMissing]++
			continue
		}
		t, reason := in.times(i)
		if reason != "" {
			rejected[reason]++
			continue
		}
		ev := kpi.Event{Time: t, Revenue: math.NaN(), Sentiment: float32(math.NaN())}
		if in.names != nil {
			ev.Name = in.names[i]
		}
		if n.matchByStage {
			l, ok := stageLabel(i)
			if !ok || l == "" {
				rejected[RejectStageMissing]++
				continue
			}
			s, known := n.stageOfLabel[l]
			if !known {
				rejected[RejectStageUnknown]++
				continue
			}
			ev.Stage = s
		} else {
			if ev.Name == 0 {
				rejected[RejectEventNameMissing]++
				continue
			}
			ev.Stage = in.nameStage[ev.Name]
		}
		if v, null, ok := in.revenue(i); !ok {
			rejected[RejectRevenueNotNumber]++
			continue
		} else if !null {
			ev.Revenue = v
		}
		if v, null, ok := in.sentiment(i); !ok {
			rejected[RejectSentimentNaN]++
			continue
		} else if !null {
			if v < -1 || v > 1 {
				rejected[RejectSentimentRange]++
				continue
			}
			ev.Sentiment = float32(v)
		}
		if in.tps != nil {
			ev.Touchpoint = in.tps[i]
		}
		if in.camps != nil {
			ev.Campaign = in.camps[i]
		}
		if in.segs != nil {
			ev.Segment = in.segs[i]
		}
		ev.Order, _ = in.order(i)
		// Coverage counts the events the report needs, whichever history is read, so that its
		// warnings do not depend on source.history.
		needed := t >= n.full || ev.Stage == n.purchase
		if needed {
			cover.First, cover.Last = min(cover.First, t), max(cover.Last, t)
		}
		if t < n.start || t >= n.end || (!needed && n.ordersOnly) {
			outside++
			continue
		}
		if ev.Stage == kpi.NoStage {
			unmatched++
		}
		if t > dataEnd {
			dataEnd = t
		}
		cover.InRange++
		if t >= n.period[0] && t < n.period[1] {
			cover.InPeriod++
		}
		out = append(out, Row{Cust: cust, Ev: ev})
	}
	n.mu.Lock()
	n.read += int64(nrows)
	for k, v := range rejected {
		n.rejected[k] += v
	}
	n.outside += outside
	n.unmatched += unmatched
	if dataEnd > n.dataEnd {
		n.dataEnd = dataEnd
	}
	n.cover.First, n.cover.Last = min(n.cover.First, cover.First), max(n.cover.Last, cover.Last)
	n.cover.InRange += cover.InRange
	n.cover.InPeriod += cover.InPeriod
	n.mu.Unlock()
	if len(out) == 0 {
		return nil
	}
	return n.sink(out)
}

// DataEnd is the latest event time accepted so far (Unix micros), math.MinInt64 before any.
func (n *Mapper) DataEnd() int64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.dataEnd
}

// Coverage is what the read saw of time: the earliest and latest accepted event time (Unix micros,
// inside the range read or not; First > Last when there was none) and how many accepted events fall
// in the range read and in the report period.
type Coverage struct {
	First, Last       int64
	InRange, InPeriod int64
}

// Coverage returns what the rows added so far cover.
func (n *Mapper) Coverage() Coverage {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cover
}

// Dicts are the dictionaries the emitted rows' string codes refer to. They grow while rows are
// added; read them once the read is over.
func (n *Mapper) Dicts() *kpi.Dicts { return n.dicts }

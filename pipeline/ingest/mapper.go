package ingest

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/kpi"
	"github.com/journeykpi/journeykpi/pipeline/derive"
	"github.com/journeykpi/journeykpi/pipeline/source/files/textformat"
)

// Mapper maps source record batches onto the data contract (config source.columns), rejecting
// and counting the rows that break it, and passes the accepted rows to its sink. Its Add method
// is safe for concurrent use.
type Mapper struct {
	cols         config.Columns
	dims         config.Dimensions
	allowRefunds bool
	matchByStage bool
	stageOfName  map[string]int8 // event_name → stage (match: events)
	stageOfLabel map[string]int8 // stage column value → stage (match: stage)
	srcLoc       *time.Location
	timeReading  TimeReading
	start, end   int64
	period       [2]int64 // the report period [from, to) within the range, for Coverage
	full         int64    // before it only purchase-stage events are needed (Range.FullFrom)
	ordersOnly   bool     // leave the others out (Range.OrdersOnly)
	purchase     int8     // the purchase stage
	sink         func([]Row) error
	// progs are the source's expressions; nil when it has none.
	progs *config.Programs
	// cfgErr is why the source's expressions or time format do not compile; Add fails with it
	// rather than map the rows without them.
	cfgErr error
	// trace receives every row as mapped (Trace); nil when not tracing.
	trace func([]Traced)

	// batches are the scratch of Add calls, reused.
	batches sync.Pool

	mu        sync.Mutex
	exprSets  map[string]*derive.Set // by schema fingerprint
	exprErrs  map[string]string      // the first evaluation error of each expression
	filtered  int64
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
		dims:         cfg.Source.Columns.Dimensions,
		allowRefunds: cfg.Source.AllowRefunds,
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
		exprSets:     map[string]*derive.Set{},
		exprErrs:     map[string]string{},
	}
	n.batches.New = func() any { return new(batch) }
	n.timeReading.Loc = n.srcLoc
	if n.timeReading.Layout, n.cfgErr = cfg.Source.TimeLayout(); n.cfgErr != nil {
		n.cfgErr = fmt.Errorf("source.time_format: %w", n.cfgErr)
	}
	n.timeReading.UnitNanos = cfg.Source.TimeUnitNanos()
	if p, err := cfg.Programs(); err != nil {
		n.cfgErr = errors.Join(n.cfgErr, err)
	} else if p.Where != nil || len(p.Derive) > 0 {
		n.progs = p
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
	if n.cfgErr != nil {
		return n.cfgErr
	}
	nrows := int(rec.NumRows())
	if nrows == 0 {
		return nil
	}
	// The rows a text reader could not split into columns; nil for other sources.
	malformed, _ := column(rec, malformedColumn).(*array.Boolean)
	var verdict []derive.Verdict
	var derived map[string]arrow.Array
	if n.progs != nil {
		set, err := n.exprSet(rec.Schema())
		if err != nil {
			return err
		}
		skip := func(i int) bool { return malformed != nil && malformed.IsValid(i) && malformed.Value(i) }
		verdict, derived = set.Apply(rec, skip, n.srcLoc, n.noteExprErr)
		defer func() {
			for _, a := range derived {
				a.Release()
			}
		}()
	}
	// col is the array of a contract column: derived, or the source's mapped column (nil when
	// the source lacks it).
	col := func(canonical, name string) arrow.Array {
		if a, ok := derived[canonical]; ok {
			return a
		}
		return column(rec, name)
	}
	missing := func(canonical, name string) error {
		return &MissingColumnError{Canonical: canonical, Source: name, Found: SchemaColumns(rec.Schema())}
	}
	custCol := col("customer_id", n.cols.CustomerID)
	if custCol == nil {
		return missing("customer_id", n.cols.CustomerID)
	}
	timeCol := col("event_time", n.cols.EventTime)
	if timeCol == nil {
		return missing("event_time", n.cols.EventTime)
	}
	nameCol := col("event_name", n.cols.EventName)
	stageCol := col("stage", n.cols.Stage)
	if n.matchByStage && stageCol == nil {
		return missing("stage", n.cols.Stage)
	}
	if !n.matchByStage && nameCol == nil {
		return missing("event_name", n.cols.EventName)
	}

	// The columns are checked in a fixed order, so that a batch with several unreadable
	// columns always fails on the same one.
	cust, err := newKeyReader(custCol, n.cols.CustomerID)
	if err != nil {
		return err
	}
	if idx := rec.Schema().FieldIndices(n.cols.CustomerID); len(idx) > 0 && rawKey(rec.Schema().Field(idx[0])) {
		if c, ok := custCol.(*array.Int64); ok {
			// Keys a source stores already made (its shards select by them): taken as they are.
			cust = &keyReader{a: c, ints: c, raw: true}
		}
	}
	times, err := newTimeReader(timeCol, n.timeReading, n.cols.EventTime)
	if err != nil {
		return err
	}
	order, err := newKeyReader(col("order_id", n.cols.OrderID), n.cols.OrderID)
	if err != nil {
		return err
	}
	revCheck := checkRevenue
	if n.allowRefunds {
		revCheck = checkRevenueRefunds
	}
	revenue, err := newNumberReader(col("revenue", n.cols.Revenue), n.cols.Revenue, revCheck)
	if err != nil {
		return err
	}
	sentiment, err := newNumberReader(col("sentiment", n.cols.Sentiment), n.cols.Sentiment, checkSentiment)
	if err != nil {
		return err
	}
	b := n.batches.Get().(*batch)
	defer n.batches.Put(b)
	// Codes for the string columns, under the lock because the dictionaries are shared.
	n.mu.Lock()
	in, err := n.codeColumns(col, nameCol, b)
	n.mu.Unlock()
	if err != nil {
		return err
	}
	in.cust, in.times, in.order, in.revenue, in.sentiment = cust, times, order, revenue, sentiment
	in.malformed, in.verdict = malformed, verdict
	if n.matchByStage {
		if in.labels, err = newLabelReader(stageCol, n.cols.Stage, n.stageOfLabel); err != nil {
			return err
		}
	}
	none := func(int) (string, bool) { return "", false }
	in.custText, in.orderText = none, none
	if n.trace != nil {
		if in.custText, err = stringColumn(custCol, n.cols.CustomerID); err != nil {
			in.custText = none
		}
		if oc := col("order_id", n.cols.OrderID); oc != nil {
			if in.orderText, err = stringColumn(oc, n.cols.OrderID); err != nil {
				in.orderText = none
			}
		}
	}
	return n.rows(nrows, &in, b)
}

// exprSet returns the expressions bound to schema, binding them on first sight of it.
func (n *Mapper) exprSet(schema *arrow.Schema) (*derive.Set, error) {
	fp := schema.String()
	n.mu.Lock()
	defer n.mu.Unlock()
	if s, ok := n.exprSets[fp]; ok {
		return s, nil
	}
	s, err := derive.Bind(n.progs, schema, malformedColumn)
	if err != nil {
		return nil, err
	}
	n.exprSets[fp] = s
	return s, nil
}

// noteExprErr keeps the first evaluation error of each expression, for the log.
func (n *Mapper) noteExprErr(key string, _ int, err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.exprErrs[key]; !ok {
		n.exprErrs[key] = err.Error()
	}
}

// ExpressionErrors returns the first evaluation error of each expression that failed on a row,
// sorted by key, as "key: error".
func (n *Mapper) ExpressionErrors() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]string, 0, len(n.exprErrs))
	for k, e := range n.exprErrs {
		out = append(out, fmt.Sprintf("%s: %s", k, e))
	}
	slices.Sort(out)
	return out
}

// SchemaColumns lists the columns a source has, for a message about a missing one: those its
// file lists in the schema metadata, else the schema's own.
func SchemaColumns(s *arrow.Schema) []string {
	// A files source lists every column of a file whose records carry only some.
	if all, ok := textformat.ListedColumns(s.Metadata()); ok {
		return all
	}
	names := []string{}
	for _, f := range s.Fields() {
		if f.Name != malformedColumn {
			names = append(names, f.Name)
		}
	}
	return names
}

// codeColumns interns the string columns of rec, their codes in b's buffers. n.mu must be held.
func (n *Mapper) codeColumns(col func(canonical, name string) arrow.Array, nameCol arrow.Array, b *batch) (rowInputs, error) {
	var in rowInputs
	var err error
	code := func(k int, a arrow.Array, dict *kpi.Dict, name string) []uint32 {
		if err != nil {
			return nil
		}
		var out []uint32
		out, err = codes(a, dict, name, b.codes[k])
		if out != nil {
			b.codes[k] = out
		}
		return out
	}
	in.names = code(0, nameCol, n.dicts.EventName, n.cols.EventName)
	in.tps = code(1, col("touchpoint", n.cols.Touchpoint), n.dicts.Touchpoint, n.cols.Touchpoint)
	in.camps = code(2, col("campaign", n.cols.Campaign), n.dicts.Campaign, n.cols.Campaign)
	in.segs = code(3, col("segment", n.cols.Segment), n.dicts.Segment, n.cols.Segment)
	in.lines = code(4, col("line_id", n.cols.LineID), n.dicts.Line, n.cols.LineID)
	for k, d := range n.dims {
		in.dims[k] = code(5+k, col(d.Name, d.Column), n.dicts.Dims[k], d.Column)
	}
	if err != nil {
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
	cust, order        *keyReader
	times              *timeReader
	names, tps, camps  []uint32
	segs, lines        []uint32
	dims               [kpi.MaxDims][]uint32
	revenue, sentiment *numberReader
	labels             *labelReader // match: stage
	malformed          *array.Boolean
	verdict            []derive.Verdict         // the expressions' verdict per row; nil without expressions
	custText           func(int) (string, bool) // when tracing
	orderText          func(int) (string, bool) // when tracing
	nameStage          []int8
}

// rows maps the batch's nrows rows column by column into b, in the order of the checks a row
// goes through (the first that fails is its verdict), and passes the accepted ones in the range
// to the sink.
func (n *Mapper) rows(nrows int, in *rowInputs, b *batch) error {
	b.reset(nrows)
	rows, verdict, keys := b.rows, b.verdict, b.keys
	if m := in.malformed; m != nil {
		for i := range verdict {
			if m.IsValid(i) && m.Value(i) {
				verdict[i] = vMalformed
			}
		}
	}
	if in.verdict != nil {
		for i, v := range in.verdict {
			if verdict[i] != 0 {
				continue
			}
			switch v {
			case derive.Filtered:
				verdict[i] = vFiltered
			case derive.WhereFailed:
				verdict[i] = vWhereFailed
			case derive.DeriveFailed:
				verdict[i] = vDeriveFailed
			}
		}
	}
	in.cust.read(keys, verdict, vCustomerMissing)
	for i := range rows {
		rows[i].Cust = keys[i]
	}
	in.times.read(rows, verdict)
	if in.names != nil {
		for i, c := range in.names {
			rows[i].Ev.Name = c
		}
	}
	if n.matchByStage {
		in.labels.read(rows, verdict)
	} else {
		for i := range rows {
			if verdict[i] != 0 {
				continue
			}
			if rows[i].Ev.Name == 0 {
				verdict[i] = vEventNameMissing
				continue
			}
			rows[i].Ev.Stage = in.nameStage[rows[i].Ev.Name]
		}
	}
	in.revenue.read(rows, verdict)
	in.sentiment.read(rows, verdict)
	setCodes := func(codes []uint32, field func(*kpi.Event) *uint32) {
		if codes == nil {
			return
		}
		for i, c := range codes {
			*field(&rows[i].Ev) = c
		}
	}
	setCodes(in.tps, func(e *kpi.Event) *uint32 { return &e.Touchpoint })
	setCodes(in.camps, func(e *kpi.Event) *uint32 { return &e.Campaign })
	setCodes(in.segs, func(e *kpi.Event) *uint32 { return &e.Segment })
	setCodes(in.lines, func(e *kpi.Event) *uint32 { return &e.Line })
	for k, codes := range in.dims {
		setCodes(codes, func(e *kpi.Event) *uint32 { return &e.Dims[k] })
	}
	in.order.read(keys, verdict, 0)
	for i := range rows {
		if verdict[i] == 0 {
			rows[i].Ev.Order = keys[i]
		}
	}

	var rejected [numVerdicts]int64
	var outside, unmatched int64
	dataEnd := int64(math.MinInt64)
	cover := Coverage{First: math.MaxInt64, Last: math.MinInt64}
	var traced []Traced
	if n.trace != nil {
		traced = make([]Traced, nrows)
	}
	kept := 0
	for i := range rows {
		v := verdict[i]
		if traced != nil {
			traced[i] = Traced{Verdict: verdicts[v]}
			if v == 0 {
				traced[i].Row = rows[i]
			}
			// Cloned: the record's memory is the source's again once Add returns.
			if s, ok := in.custText(i); ok {
				traced[i].Customer = strings.Clone(s)
			}
			if s, ok := in.orderText(i); ok {
				traced[i].Order = strings.Clone(s)
			}
		}
		if v != 0 {
			rejected[v]++
			continue
		}
		row := &rows[i]
		t := row.Ev.Time
		// Coverage counts the events the report needs, whichever history is read, so that its
		// warnings do not depend on source.history.
		needed := t >= n.full || row.Ev.Stage == n.purchase
		if needed {
			cover.First, cover.Last = min(cover.First, t), max(cover.Last, t)
		}
		if t < n.start || t >= n.end || (!needed && n.ordersOnly) {
			outside++
			continue
		}
		if row.Ev.Stage == kpi.NoStage {
			unmatched++
		}
		if t > dataEnd {
			dataEnd = t
		}
		cover.InRange++
		if t >= n.period[0] && t < n.period[1] {
			cover.InPeriod++
		}
		rows[kept] = *row
		kept++
	}
	if traced != nil {
		n.trace(traced)
	}
	if err := in.times.ints.Err(n.cols.EventTime); err != nil {
		return err
	}
	n.mu.Lock()
	n.read += int64(nrows)
	for v, c := range rejected {
		if c > 0 && v != int(vFiltered) {
			n.rejected[verdicts[v]] += c
		}
	}
	n.outside += outside
	n.unmatched += unmatched
	n.filtered += rejected[vFiltered]
	if dataEnd > n.dataEnd {
		n.dataEnd = dataEnd
	}
	n.cover.First, n.cover.Last = min(n.cover.First, cover.First), max(n.cover.Last, cover.Last)
	n.cover.InRange += cover.InRange
	n.cover.InPeriod += cover.InPeriod
	n.mu.Unlock()
	if kept == 0 {
		return nil
	}
	return n.sink(rows[:kept])
}

// RawKeyMetadata is the field metadata key that marks a customer column of keys a source made
// itself, to take as they are (the BigQuery compact read's: pipeline/source marks them).
const RawKeyMetadata = "journeykpi.raw_key"

// rawKey reports whether f is a customer column of ready-made keys.
func rawKey(f arrow.Field) bool { return f.HasMetadata() && f.Metadata.FindKey(RawKeyMetadata) >= 0 }

// Filtered is the verdict of a row that source.where left out.
const Filtered = "filtered"

// Traced is one source row as the mapping saw it, for journeykpi inspect.
type Traced struct {
	// Customer and Order are the customer_id and order_id as text ("" when there is none).
	Customer, Order string
	// Verdict is "" for an accepted row, Filtered, or the reason it was rejected.
	Verdict string
	// Row is the event the row became; valid when Verdict is "". Its codes are in Dicts.
	Row Row
}

// Trace makes the mapper pass every row of each batch, accepted or not, to f, in the batch's
// order, before the accepted ones go to the sink. f is called from the goroutines that call Add,
// under no lock; set it before the first Add.
func (n *Mapper) Trace(f func([]Traced)) { n.trace = f }

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

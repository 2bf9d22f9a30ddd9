package pipeline

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/kpi"
)

// Reasons a row is rejected (SPEC §1). They are the keys of data_quality.rejected_by_reason.
const (
	RejectCustomerMissing  = "customer_id_missing"
	RejectTimeMissing      = "event_time_missing"
	RejectTimeUnparseable  = "event_time_unparseable"
	RejectTimeOutOfRange   = "event_time_out_of_range"
	RejectEventNameMissing = "event_name_missing"
	RejectStageMissing     = "stage_missing"
	RejectStageUnknown     = "stage_unknown"
	RejectRevenueNotNumber = "revenue_not_a_number"
	RejectSentimentNaN     = "sentiment_not_a_number"
	RejectSentimentRange   = "sentiment_out_of_range"
	RejectMalformedRow     = "malformed_row"
	malformedColumn        = "__malformed"
	minPlausibleMicros     = int64(0)                // 1970-01-01
	maxPlausibleMicros     = int64(7258118400000000) // 2200-01-01
)

// row is one event with its customer key, the unit the grouper stores.
type row struct {
	cust uint64
	ev   kpi.Event
}

// normalizer turns source record batches into rows on the data contract, rejecting and counting
// rows that break it. Its add method is safe for concurrent use.
type normalizer struct {
	cols         config.Columns
	matchByStage bool
	stageOfName  map[string]int8 // event_name → stage (match: events)
	stageOfLabel map[string]int8 // stage column value → stage (match: stage)
	srcLoc       *time.Location
	start, end   int64
	sink         func([]row) error

	mu        sync.Mutex
	dicts     *kpi.Dicts
	nameStage []int8 // stage by EventName code, filled as names are seen
	read      int64
	rejected  map[string]int64
	outside   int64
	unmatched int64
	dataEnd   int64
}

func newNormalizer(cfg *config.Config, start, end time.Time, sink func([]row) error) *normalizer {
	n := &normalizer{
		cols:         resolveColumns(cfg.Source.Columns),
		matchByStage: cfg.Funnel.Match == "stage",
		stageOfName:  map[string]int8{},
		stageOfLabel: map[string]int8{},
		srcLoc:       cfg.SourceLocation(),
		start:        start.UnixMicro(),
		end:          end.UnixMicro(),
		sink:         sink,
		dicts:        kpi.NewDicts(),
		nameStage:    []int8{kpi.NoStage},
		rejected:     map[string]int64{},
		dataEnd:      math.MinInt64,
	}
	for i, s := range cfg.Stages {
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

// resolveColumns fills empty mappings with the canonical names.
func resolveColumns(c config.Columns) config.Columns {
	def := func(v, d string) string {
		if v == "" {
			return d
		}
		return v
	}
	return config.Columns{
		CustomerID: def(c.CustomerID, "customer_id"),
		EventTime:  def(c.EventTime, "event_time"),
		EventName:  def(c.EventName, "event_name"),
		Stage:      def(c.Stage, "stage"),
		Touchpoint: def(c.Touchpoint, "touchpoint"),
		Campaign:   def(c.Campaign, "campaign"),
		Segment:    def(c.Segment, "segment"),
		OrderID:    def(c.OrderID, "order_id"),
		Revenue:    def(c.Revenue, "revenue"),
		Sentiment:  def(c.Sentiment, "sentiment"),
	}
}

// column returns the array named name in rec, or nil.
func column(rec arrow.Record, name string) arrow.Array {
	idx := rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		return nil
	}
	return rec.Column(idx[0])
}

// MissingColumnError says that a required column is not in the source.
type MissingColumnError struct {
	Canonical, Source string
}

func (e *MissingColumnError) Error() string {
	if e.Canonical == e.Source {
		return fmt.Sprintf("the source has no column %q (required; map it with source.columns.%s)", e.Source, e.Canonical)
	}
	return fmt.Sprintf("the source has no column %q (source.columns.%s)", e.Source, e.Canonical)
}

// add normalizes one record batch and passes the accepted rows to the sink.
func (n *normalizer) add(rec arrow.Record) error {
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
func (n *normalizer) codeColumns(rec arrow.Record, nameCol arrow.Array) (rowInputs, error) {
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

func (n *normalizer) rows(nrows int, in rowInputs) error {
	out := make([]row, 0, nrows)
	rejected := map[string]int64{}
	var outside, unmatched int64
	dataEnd := int64(math.MinInt64)
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
		if t < n.start || t >= n.end {
			outside++
			continue
		}
		if ev.Stage == kpi.NoStage {
			unmatched++
		}
		if t > dataEnd {
			dataEnd = t
		}
		out = append(out, row{cust: cust, ev: ev})
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
	n.mu.Unlock()
	if len(out) == 0 {
		return nil
	}
	return n.sink(out)
}

// QualityError is a run stopped because too many rows broke the data contract.
type QualityError struct {
	Read, Rejected int64
	MaxRatio       float64
	ByReason       map[string]int64
}

func (e *QualityError) Error() string {
	reasons := make([]string, 0, len(e.ByReason))
	for k := range e.ByReason {
		reasons = append(reasons, k)
	}
	sort.Slice(reasons, func(i, j int) bool {
		if e.ByReason[reasons[i]] != e.ByReason[reasons[j]] {
			return e.ByReason[reasons[i]] > e.ByReason[reasons[j]]
		}
		return reasons[i] < reasons[j]
	})
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = fmt.Sprintf("%s %d", r, e.ByReason[r])
	}
	return fmt.Sprintf("%d of %d rows (%.2f%%) rejected, above quality.max_reject_ratio %.2f%%: %s",
		e.Rejected, e.Read, 100*float64(e.Rejected)/float64(e.Read), 100*e.MaxRatio, strings.Join(parts, ", "))
}

// quality returns the counts so far and the error when the reject ratio is over the limit.
func (n *normalizer) quality(maxRatio float64) (kpi.DataQuality, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	q := kpi.DataQuality{RowsRead: n.read, RejectedByReason: map[string]int64{}, RowsOutsideRange: n.outside, Unmatched: n.unmatched}
	for k, v := range n.rejected {
		q.RejectedByReason[k] = v
		q.RowsRejected += v
	}
	if q.RowsRead > 0 && float64(q.RowsRejected)/float64(q.RowsRead) > maxRatio {
		return q, &QualityError{Read: q.RowsRead, Rejected: q.RowsRejected, MaxRatio: maxRatio, ByReason: q.RejectedByReason}
	}
	return q, nil
}

// keyFunc returns row i's key and whether it has one.
type keyFunc func(i int) (uint64, bool)

// timeFunc returns row i's time in Unix micros, or the reason it has none.
type timeFunc func(i int) (int64, string)

// floatFunc returns row i's value; null means absent; !ok means present but not a number.
type floatFunc func(i int) (v float64, null, ok bool)

// hashString is FNV-1a 64: stable across runs and machines, so partitions are too. 0 is kept
// for "no key".
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	if h == 0 {
		h = 1
	}
	return h
}

// keyColumn reads a customer key: integers as themselves, strings hashed. Null or empty is no key.
func keyColumn(a arrow.Array, name string) (keyFunc, error) {
	switch c := a.(type) {
	case *array.Int64:
		return func(i int) (uint64, bool) { return uint64(c.Value(i)), c.IsValid(i) }, nil
	case *array.Int32:
		return func(i int) (uint64, bool) { return uint64(c.Value(i)), c.IsValid(i) }, nil
	case *array.Uint64:
		return func(i int) (uint64, bool) { return c.Value(i), c.IsValid(i) }, nil
	}
	if d, ok := a.(*array.Dictionary); ok {
		// Hash each dictionary value once.
		dict, err := stringColumn(d.Dictionary(), name)
		if err != nil {
			return nil, err
		}
		hs := make([]uint64, d.Dictionary().Len())
		for j := range hs {
			if s, ok := dict(j); ok && strings.TrimSpace(s) != "" {
				hs[j] = hashString(s)
			}
		}
		return func(i int) (uint64, bool) {
			if d.IsNull(i) {
				return 0, false
			}
			h := hs[d.GetValueIndex(i)]
			return h, h != 0
		}, nil
	}
	str, err := stringColumn(a, name)
	if err != nil {
		return nil, err
	}
	return func(i int) (uint64, bool) {
		s, ok := str(i)
		if !ok || strings.TrimSpace(s) == "" {
			return 0, false
		}
		return hashString(s), true
	}, nil
}

// optKeyColumn is keyColumn for an optional column (order_id): absent means no key. Integer ids
// are hashed through their decimal text so that 7 and "7" are the same order.
func optKeyColumn(a arrow.Array, name string) (keyFunc, error) {
	if a == nil {
		return func(int) (uint64, bool) { return 0, false }, nil
	}
	switch c := a.(type) {
	case *array.Int64:
		return decimalKey(c, func(i int) string { return strconv.FormatInt(c.Value(i), 10) }), nil
	case *array.Int32:
		return decimalKey(c, func(i int) string { return strconv.FormatInt(int64(c.Value(i)), 10) }), nil
	case *array.Uint64:
		return decimalKey(c, func(i int) string { return strconv.FormatUint(c.Value(i), 10) }), nil
	case *array.Null:
		return func(int) (uint64, bool) { return 0, false }, nil
	}
	return keyColumn(a, name)
}

// decimalKey hashes an integer column's row through its decimal text; null is no key.
func decimalKey(a arrow.Array, text func(i int) string) keyFunc {
	return func(i int) (uint64, bool) {
		if a.IsNull(i) {
			return 0, false
		}
		return hashString(text(i)), true
	}
}

// stringColumn reads string-like arrays: string, large string, dictionary of strings.
func stringColumn(a arrow.Array, name string) (func(int) (string, bool), error) {
	switch c := a.(type) {
	case *array.String:
		return func(i int) (string, bool) { return c.Value(i), c.IsValid(i) }, nil
	case *array.LargeString:
		return func(i int) (string, bool) { return c.Value(i), c.IsValid(i) }, nil
	case *array.Binary:
		return func(i int) (string, bool) { return string(c.Value(i)), c.IsValid(i) }, nil
	case *array.Dictionary:
		vals, err := stringColumn(c.Dictionary(), name)
		if err != nil {
			return nil, err
		}
		return func(i int) (string, bool) {
			if c.IsNull(i) {
				return "", false
			}
			return vals(c.GetValueIndex(i))
		}, nil
	case *array.Null:
		return func(int) (string, bool) { return "", false }, nil
	case *array.Int64:
		return func(i int) (string, bool) { return strconv.FormatInt(c.Value(i), 10), c.IsValid(i) }, nil
	}
	return nil, fmt.Errorf("column %q has type %s; journeykpi reads it as text (string)", name, a.DataType())
}

// codes interns a string column into dict; nil when the column is absent. Null → code 0.
func codes(a arrow.Array, dict *kpi.Dict, name string) ([]uint32, error) {
	if a == nil {
		return nil, nil
	}
	out := make([]uint32, a.Len())
	if d, ok := a.(*array.Dictionary); ok {
		vals, err := stringColumn(d.Dictionary(), name)
		if err != nil {
			return nil, err
		}
		m := make([]uint32, d.Dictionary().Len())
		for j := range m {
			if s, ok := vals(j); ok {
				m[j] = intern(dict, strings.TrimSpace(s))
			}
		}
		for i := range out {
			if d.IsValid(i) {
				out[i] = m[d.GetValueIndex(i)]
			}
		}
		return out, nil
	}
	str, err := stringColumn(a, name)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if s, ok := str(i); ok {
			out[i] = intern(dict, strings.TrimSpace(s))
		}
	}
	return out, nil
}

// intern returns s's code in dict. A new value is copied first: Arrow strings point into the
// record's buffers, which a source may reuse after emit returns, and which a string kept in the
// dictionary would otherwise hold in memory for the whole run.
func intern(dict *kpi.Dict, s string) uint32 {
	if c, ok := dict.Lookup(s); ok {
		return c
	}
	return dict.Code(strings.Clone(s))
}

// floatColumn reads a number column; an absent column is all null.
func floatColumn(a arrow.Array, name string) (floatFunc, error) {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch c := a.(type) {
	case nil, *array.Null:
		return func(int) (float64, bool, bool) { return 0, true, true }, nil
	case *array.Float64:
		return func(i int) (float64, bool, bool) {
			if c.IsNull(i) {
				return 0, true, true
			}
			v := c.Value(i)
			return v, false, finite(v)
		}, nil
	case *array.Float32:
		return func(i int) (float64, bool, bool) {
			if c.IsNull(i) {
				return 0, true, true
			}
			v := float64(c.Value(i))
			return v, false, finite(v)
		}, nil
	case *array.Int64:
		return func(i int) (float64, bool, bool) { return float64(c.Value(i)), c.IsNull(i), true }, nil
	case *array.Int32:
		return func(i int) (float64, bool, bool) { return float64(c.Value(i)), c.IsNull(i), true }, nil
	case *array.Decimal128:
		scale := c.DataType().(*arrow.Decimal128Type).Scale
		return func(i int) (float64, bool, bool) {
			if c.IsNull(i) {
				return 0, true, true
			}
			return c.Value(i).ToFloat64(scale), false, true
		}, nil
	}
	str, err := stringColumn(a, name)
	if err != nil {
		return nil, fmt.Errorf("column %q has type %s; journeykpi reads it as a number", name, a.DataType())
	}
	return func(i int) (float64, bool, bool) {
		s, ok := str(i)
		s = strings.TrimSpace(s)
		if !ok || s == "" {
			return 0, true, true
		}
		v, err := strconv.ParseFloat(s, 64)
		return v, false, err == nil && finite(v)
	}, nil
}

// timeLayouts are the text forms of event_time accepted, tried in order. Layouts without an
// offset are read in the source time zone.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999 -0700 MST",
	"2006-01-02 15:04:05.999999999 MST",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	time.DateOnly,
}

// ParseTime parses a text event_time: RFC 3339, "YYYY-MM-DD hh:mm:ss[.frac][zone]", a date, or
// integer epoch microseconds. Times without an offset are in loc.
func ParseTime(s string, loc *time.Location) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	if c := s[0]; c >= '0' && c <= '9' && !strings.ContainsAny(s, "-:T ") {
		v, err := strconv.ParseInt(s, 10, 64)
		return v, err == nil
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t.UnixMicro(), true
		}
	}
	return 0, false
}

func plausible(t int64) string {
	if t < minPlausibleMicros || t >= maxPlausibleMicros {
		return RejectTimeOutOfRange
	}
	return ""
}

// timeColumn reads event_time: Arrow timestamps (naive ones in loc), dates, integer epoch
// micros, or text.
func timeColumn(a arrow.Array, loc *time.Location, name string) (timeFunc, error) {
	switch c := a.(type) {
	case *array.Timestamp:
		tt := c.DataType().(*arrow.TimestampType)
		unit := tt.Unit
		naive := tt.TimeZone == ""
		return func(i int) (int64, string) {
			if c.IsNull(i) {
				return 0, RejectTimeMissing
			}
			var us int64
			v := int64(c.Value(i))
			switch unit {
			case arrow.Second:
				us = v * 1e6
			case arrow.Millisecond:
				us = v * 1e3
			case arrow.Microsecond:
				us = v
			case arrow.Nanosecond:
				us = v / 1e3
			}
			if naive && loc != time.UTC {
				w := time.UnixMicro(us).UTC()
				us = time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), loc).UnixMicro()
			}
			return us, plausible(us)
		}, nil
	case *array.Date32:
		return func(i int) (int64, string) {
			if c.IsNull(i) {
				return 0, RejectTimeMissing
			}
			d := c.Value(i).ToTime()
			us := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc).UnixMicro()
			return us, plausible(us)
		}, nil
	case *array.Int64:
		return func(i int) (int64, string) {
			if c.IsNull(i) {
				return 0, RejectTimeMissing
			}
			return c.Value(i), plausible(c.Value(i))
		}, nil
	}
	str, err := stringColumn(a, name)
	if err != nil {
		return nil, fmt.Errorf("column %q has type %s; event_time must be a timestamp, date, integer epoch micros or text", name, a.DataType())
	}
	return func(i int) (int64, string) {
		s, ok := str(i)
		if !ok || strings.TrimSpace(s) == "" {
			return 0, RejectTimeMissing
		}
		us, ok := ParseTime(s, loc)
		if !ok {
			return 0, RejectTimeUnparseable
		}
		return us, plausible(us)
	}, nil
}

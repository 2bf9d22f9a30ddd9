package ingest

import (
	"math"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/journeykpi/journeykpi/kpi"
	"github.com/journeykpi/journeykpi/pipeline/ingest/arrowcol"
)

// A batch is mapped column by column: each column is read into the batch's rows in one loop over
// its typed values, for the rows not rejected yet, in the order the checks take for one row, so
// that a row gets the verdict of its first failing check as if it had been mapped alone. The
// common column types (integer and dictionary keys, timestamps, dictionary labels, float numbers)
// have loops of their own; the others go through the per-value functions of decode.go.

// verdict codes: 0 is an accepted row.
const (
	vOK uint8 = iota
	vMalformed
	vFiltered
	vWhereFailed
	vDeriveFailed
	vCustomerMissing
	vTimeMissing
	vTimeUnparseable
	vTimeOutOfRange
	vStageMissing
	vStageUnknown
	vEventNameMissing
	vRevenueNotNumber
	vRevenueOutOfRange
	vRevenueNegative
	vSentimentNaN
	vSentimentRange
	numVerdicts
)

// verdicts are the verdict codes' names: "" (accepted), Filtered, or the reason of the rejection.
var verdicts = [numVerdicts]string{
	vOK: "", vMalformed: RejectMalformedRow, vFiltered: Filtered, vWhereFailed: RejectWhereFailed,
	vDeriveFailed: RejectDeriveFailed, vCustomerMissing: RejectCustomerMissing, vTimeMissing: RejectTimeMissing,
	vTimeUnparseable: RejectTimeUnparseable, vTimeOutOfRange: RejectTimeOutOfRange, vStageMissing: RejectStageMissing,
	vStageUnknown: RejectStageUnknown, vEventNameMissing: RejectEventNameMissing, vRevenueNotNumber: RejectRevenueNotNumber,
	vRevenueOutOfRange: RejectRevenueOutOfRange, vRevenueNegative: RejectRevenueNegative, vSentimentNaN: RejectSentimentNaN,
	vSentimentRange: RejectSentimentRange,
}

// verdictOf is the code of a verdict name.
func verdictOf(s string) uint8 {
	for c, v := range verdicts {
		if v == s {
			return uint8(c)
		}
	}
	panic("ingest: unknown verdict " + s)
}

// batch is the scratch of one Add: the rows being mapped and each row's verdict. Batches are
// reused (Mapper.batches), so mapping allocates nothing in steady state.
type batch struct {
	rows    []Row
	verdict []uint8
	keys    []uint64
	// codes are the string columns' codes: event name, touchpoint, campaign, segment, line, the
	// dimensions.
	codes [5 + kpi.MaxDims][]uint32
}

// reset sizes b for n rows, every row accepted and empty (absent numbers NaN).
func (b *batch) reset(n int) {
	if cap(b.rows) < n {
		b.rows = make([]Row, n)
		b.verdict = make([]uint8, n)
		b.keys = make([]uint64, n)
	}
	b.rows, b.verdict, b.keys = b.rows[:n], b.verdict[:n], b.keys[:n]
	empty := Row{Ev: kpi.Event{Revenue: math.NaN(), Sentiment: float32(math.NaN())}}
	for i := range b.rows {
		b.rows[i] = empty
	}
	clear(b.verdict)
}

// dictIndices returns the indices of a dictionary array as int32 values when they are stored so
// (as the Parquet reader makes them), else nil.
func dictIndices(d *array.Dictionary) []int32 {
	if ix, ok := d.Indices().(*array.Int32); ok {
		return ix.Int32Values()
	}
	return nil
}

// keyReader reads a key column (customer_id, order_id) as keyColumn does: its own loop for
// integer, dictionary and text columns, keyColumn's function for the others.
type keyReader struct {
	a      arrow.Array
	ints   *array.Int64
	strs   *array.String
	dict   *array.Dictionary
	ix     []int32  // dict's indices
	hashes []uint64 // per dictionary value: its key, 0 for none
	raw    bool     // ints are keys the source made (rawKey): taken as they are
	fn     keyFunc
}

// newKeyReader prepares to read key column a (nil: absent, no keys), failing as keyColumn does
// on a type it cannot read.
func newKeyReader(a arrow.Array, name string) (*keyReader, error) {
	k := &keyReader{a: a}
	switch c := a.(type) {
	case nil:
		return k, nil
	case *array.Int64:
		k.ints = c
		return k, nil
	case *array.String:
		k.strs = c
		return k, nil
	case *array.Dictionary:
		if k.ix = dictIndices(c); k.ix != nil {
			k.dict = c
			var err error
			k.hashes, err = arrowcol.DictionaryKeys(c, name)
			return k, err
		}
	}
	var err error
	k.fn, err = keyColumn(a, name)
	return k, err
}

// read sets keys[i] to row i's key for the rows whose verdict is still 0; a row without a key
// gets missing as its verdict, or key 0 when missing is 0.
func (k *keyReader) read(keys []uint64, verdict []uint8, missing uint8) {
	put := func(i int, key uint64, ok bool) {
		keys[i] = key
		if !ok && missing != 0 {
			verdict[i] = missing
		}
	}
	switch {
	case k.a == nil:
		for i := range verdict {
			if verdict[i] == 0 {
				put(i, 0, false)
			}
		}
	case k.ints != nil:
		c := k.ints
		nulls := c.NullN() > 0
		for i, v := range c.Int64Values() {
			if verdict[i] != 0 {
				continue
			}
			switch {
			case nulls && c.IsNull(i):
				put(i, 0, false)
			case k.raw:
				keys[i] = uint64(v)
			default:
				keys[i] = hashInt(v)
			}
		}
	case k.strs != nil:
		c := k.strs
		for i := range verdict {
			if verdict[i] != 0 {
				continue
			}
			var h uint64
			if c.IsValid(i) {
				if s := strings.TrimSpace(c.Value(i)); s != "" {
					h = hashString(s)
				}
			}
			put(i, h, h != 0)
		}
	case k.dict != nil:
		c := k.dict
		nulls := c.NullN() > 0
		for i, j := range k.ix {
			if verdict[i] != 0 {
				continue
			}
			var h uint64
			if !nulls || c.IsValid(i) {
				h = k.hashes[j]
			}
			put(i, h, h != 0)
		}
	default:
		for i := range verdict {
			if verdict[i] == 0 {
				h, ok := k.fn(i)
				put(i, h, ok)
			}
		}
	}
}

// timeReader reads event_time as timeColumn does, with a loop of its own for timestamps that need
// no time zone.
type timeReader struct {
	ts   *array.Timestamp
	unit arrow.TimeUnit
	fn   timeFunc
	// ints are the integer times read when they may have to be refused (timeColumn).
	ints *epochInts
}

func newTimeReader(a arrow.Array, r TimeReading, name string) (*timeReader, error) {
	if c, ok := a.(*array.Timestamp); ok {
		tt := c.DataType().(*arrow.TimestampType)
		if tt.TimeZone != "" || r.Loc == time.UTC {
			return &timeReader{ts: c, unit: tt.Unit}, nil
		}
	}
	fn, ints, err := timeColumn(a, r, name)
	return &timeReader{fn: fn, ints: ints}, err
}

// read sets the time of the rows whose verdict is still 0, or rejects them.
func (t *timeReader) read(rows []Row, verdict []uint8) {
	if c := t.ts; c != nil {
		nulls := c.NullN() > 0
		for i, v := range c.TimestampValues() {
			if verdict[i] != 0 {
				continue
			}
			if nulls && c.IsNull(i) {
				verdict[i] = vTimeMissing
				continue
			}
			us, reason := arrowcol.TimestampMicros(int64(v), t.unit)
			if reason != "" || us < minPlausibleMicros || us >= maxPlausibleMicros {
				verdict[i] = vTimeOutOfRange
				continue
			}
			rows[i].Ev.Time = us
		}
		return
	}
	for i := range verdict {
		if verdict[i] != 0 {
			continue
		}
		us, reason := t.fn(i)
		if reason != "" {
			verdict[i] = verdictOf(reason)
			continue
		}
		rows[i].Ev.Time = us
	}
}

// labelReader reads the stage column's labels into stages (match: stage): once per dictionary
// value for a dictionary column.
type labelReader struct {
	dict  *array.Dictionary
	ix    []int32
	stage []int8 // per dictionary value: its stage, or -1 - the verdict code of a label without one
	fn    func(int) (string, bool)
	of    map[string]int8
}

func newLabelReader(a arrow.Array, name string, stageOf map[string]int8) (*labelReader, error) {
	l := &labelReader{of: stageOf}
	if d, ok := a.(*array.Dictionary); ok {
		if l.ix = dictIndices(d); l.ix != nil {
			vals, err := stringColumn(d.Dictionary(), name)
			if err != nil {
				return nil, err
			}
			l.dict = d
			l.stage = make([]int8, d.Dictionary().Len())
			for j := range l.stage {
				l.stage[j] = l.stageOf(vals(j))
			}
			return l, nil
		}
	}
	var err error
	l.fn, err = stringColumn(a, name)
	return l, err
}

// stageOf is a label's stage, or -1 - the verdict code of a label that has none: no label, or
// one no stage has.
func (l *labelReader) stageOf(s string, ok bool) int8 {
	if !ok || s == "" {
		return -1 - int8(vStageMissing)
	}
	st, known := l.of[s]
	if !known {
		return -1 - int8(vStageUnknown)
	}
	return st
}

// read sets the stage of the rows whose verdict is still 0, or rejects them.
func (l *labelReader) read(rows []Row, verdict []uint8) {
	set := func(i int, s int8) {
		if s < kpi.NoStage {
			verdict[i] = uint8(-1 - s)
			return
		}
		rows[i].Ev.Stage = s
	}
	if d := l.dict; d != nil {
		nulls := d.NullN() > 0
		for i, j := range l.ix {
			if verdict[i] != 0 {
				continue
			}
			if nulls && d.IsNull(i) {
				verdict[i] = vStageMissing
				continue
			}
			set(i, l.stage[j])
		}
		return
	}
	for i := range verdict {
		if verdict[i] == 0 {
			set(i, l.stageOf(l.fn(i)))
		}
	}
}

// numberCheck is what a number column's value may be: revenue or sentiment.
type numberCheck int

const (
	checkRevenue numberCheck = iota
	checkRevenueRefunds
	checkSentiment
)

// numberReader reads a number column (floatColumn) into the revenue or the sentiment.
type numberReader struct {
	absent bool
	f64    *array.Float64
	fn     floatFunc
	check  numberCheck
}

func newNumberReader(a arrow.Array, name string, check numberCheck) (*numberReader, error) {
	nr := &numberReader{check: check}
	switch c := a.(type) {
	case nil:
		nr.absent = true
		return nr, nil
	case *array.Float64:
		nr.f64 = c
		return nr, nil
	}
	var err error
	nr.fn, err = floatColumn(a, name)
	return nr, err
}

// read sets the value of the rows whose verdict is still 0, or rejects them; a null leaves the
// value absent.
func (nr *numberReader) read(rows []Row, verdict []uint8) {
	if nr.absent {
		return
	}
	notNumber := vRevenueNotNumber
	if nr.check == checkSentiment {
		notNumber = vSentimentNaN
	}
	set := func(i int, v float64) {
		switch nr.check {
		case checkRevenue, checkRevenueRefunds:
			switch {
			case math.Abs(v) >= MaxRevenue:
				verdict[i] = vRevenueOutOfRange
			case v < 0 && nr.check == checkRevenue:
				verdict[i] = vRevenueNegative
			default:
				rows[i].Ev.Revenue = v
			}
		case checkSentiment:
			if v < -1 || v > 1 {
				verdict[i] = vSentimentRange
				return
			}
			rows[i].Ev.Sentiment = float32(v)
		}
	}
	if c := nr.f64; c != nil {
		nulls := c.NullN() > 0
		for i, v := range c.Float64Values() {
			if verdict[i] != 0 || (nulls && c.IsNull(i)) {
				continue
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				verdict[i] = notNumber
				continue
			}
			set(i, v)
		}
		return
	}
	for i := range verdict {
		if verdict[i] != 0 {
			continue
		}
		v, null, ok := nr.fn(i)
		switch {
		case !ok:
			verdict[i] = notNumber
		case !null:
			set(i, v)
		}
	}
}

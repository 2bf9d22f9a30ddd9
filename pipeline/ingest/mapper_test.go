package ingest

import (
	"context"
	"errors"
	"hash/fnv"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/internal/memsource"
	"github.com/journeykpi/journeykpi/kpi"
	"github.com/journeykpi/journeykpi/pipeline/source/files/textformat"
)

func testConfig(t *testing.T) config.Config {
	t.Helper()
	c := config.Default()
	c.Source.Files.Paths = []string{"unused"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}

// mapAll runs src through a Mapper over a wide range and returns the accepted rows.
func mapAll(t *testing.T, cfg config.Config, src *memsource.Source) ([]Row, *Mapper) {
	t.Helper()
	rows, n, err := mapAllErr(cfg, src)
	if err != nil {
		t.Fatal(err)
	}
	return rows, n
}

// wideRange is a read range holding every plausible time of the tests.
func wideRange() Range {
	return Range{Start: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// mapAllErr is mapAll returning the read's error.
func mapAllErr(cfg config.Config, src *memsource.Source) ([]Row, *Mapper, error) {
	var mu sync.Mutex
	var rows []Row
	r := wideRange()
	n := NewMapper(&cfg, r, func(r []Row) error {
		mu.Lock()
		rows = append(rows, r...)
		mu.Unlock()
		return nil
	})
	err := src.Read(context.Background(), r.Start, r.End, func(rec arrow.Record) error { return n.Add(rec) })
	return rows, n, err
}

func TestMapperRejectsByReason(t *testing.T) {
	src := memsource.CSV(`
customer_id,event_time,event_name,touchpoint,order_id,revenue,sentiment
c1,2026-03-01T10:00:00Z,page_view,social,<null>,<null>,<null>
c1,2026-03-01 11:00:00,purchase,website,o1,19.90,0.5
<null>,2026-03-01T10:00:00Z,page_view,social,<null>,<null>,<null>
c2,yesterday,page_view,social,<null>,<null>,<null>
c2,1850-01-01,page_view,social,<null>,<null>,<null>
c2,2026-03-01T10:00:00Z,<null>,social,<null>,<null>,<null>
c2,2026-03-01T10:00:00Z,purchase,social,o2,abc,<null>
c2,2026-03-01T10:00:00Z,review,app,<null>,<null>,1.5
c2,2026-03-01T10:00:00Z,review,app,<null>,<null>,good
c3,<null>,page_view,social,<null>,<null>,<null>
c3,2026-03-02T00:00:00+02:00,scroll,<null>,<null>,<null>,<null>
`, 4)
	rows, n := mapAll(t, testConfig(t), src)
	q, _ := n.Quality(1)
	want := map[string]int64{
		RejectCustomerMissing: 1, RejectTimeUnparseable: 1, RejectTimeOutOfRange: 1, RejectEventNameMissing: 1,
		RejectRevenueNotNumber: 1, RejectSentimentRange: 1, RejectSentimentNaN: 1, RejectTimeMissing: 1,
	}
	for k, v := range want {
		if q.RejectedByReason[k] != v {
			t.Errorf("%s = %d, want %d", k, q.RejectedByReason[k], v)
		}
	}
	if q.RowsRead != 11 || q.RowsRejected != 8 || len(rows) != 3 || q.Unmatched != 1 {
		t.Errorf("read %d rejected %d kept %d unmatched %d; want 11, 8, 3, 1", q.RowsRead, q.RowsRejected, len(rows), q.Unmatched)
	}
	// The kept purchase carries its stage, order and revenue; the naive time is read as UTC.
	var buy *Row
	for i := range rows {
		if rows[i].Ev.Stage == 3 {
			buy = &rows[i]
		}
	}
	if buy == nil || buy.Ev.Revenue != 19.90 || buy.Ev.Order == 0 || !math.IsNaN(float64(buy.Ev.Sentiment)) && buy.Ev.Sentiment != 0.5 {
		t.Fatalf("purchase row = %+v", buy)
	}
	if got := time.UnixMicro(buy.Ev.Time).UTC(); !got.Equal(time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)) {
		t.Errorf("naive time read as %v", got)
	}
}

// A zoned timestamp in seconds too far out for microseconds is rejected as out of range by the
// mapper's own timestamp loop, not multiplied into a time wrapped around into a plausible year:
// the huge value here would wrap to February 2026.
func TestMapperRejectsTimestampBeyondMicros(t *testing.T) {
	const huge = 18_448_516_073_710 // × 1e6 wraps past 2^64 to 2026-02-25
	mem := memory.DefaultAllocator
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "customer_id", Type: arrow.BinaryTypes.String},
		{Name: "event_time", Type: &arrow.TimestampType{Unit: arrow.Second, TimeZone: "UTC"}},
		{Name: "event_name", Type: arrow.BinaryTypes.String},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"c1", "c2"}, nil)
	b.Field(1).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{huge, 1_772_000_000}, nil)
	b.Field(2).(*array.StringBuilder).AppendValues([]string{"page_view", "page_view"}, nil)
	rec := b.NewRecord()
	defer rec.Release()
	for _, zone := range []string{"UTC", "Europe/Berlin"} {
		cfg := testConfig(t)
		cfg.Source.TimeZone = zone
		var rows []Row
		n := NewMapper(&cfg, wideRange(), func(r []Row) error { rows = append(rows, r...); return nil })
		if err := n.Add(rec); err != nil {
			t.Fatal(err)
		}
		q, _ := n.Quality(1)
		if len(rows) != 1 || q.RowsRejected != 1 || q.RejectedByReason[RejectTimeOutOfRange] != 1 {
			t.Errorf("source zone %s: kept %d, rejected %v", zone, len(rows), q.RejectedByReason)
		}
		if len(rows) == 1 && rows[0].Ev.Time != 1_772_000_000*1e6 {
			t.Errorf("source zone %s: kept time %v", zone, time.UnixMicro(rows[0].Ev.Time).UTC())
		}
	}
}

func TestMapperSourceTimeZone(t *testing.T) {
	cfg := testConfig(t)
	cfg.Source.TimeZone = "Europe/Berlin"
	rows, _ := mapAll(t, cfg, memsource.CSV("customer_id,event_time,event_name\nc1,2026-07-01 12:00:00,page_view\nc1,2026-07-01T12:00:00Z,page_view\nc1,1782907200000000,page_view", 0))
	if len(rows) != 3 {
		t.Fatalf("kept %d rows", len(rows))
	}
	if got := time.UnixMicro(rows[0].Ev.Time).UTC().Hour(); got != 10 {
		t.Errorf("naive Berlin noon = %d:00 UTC, want 10:00", got)
	}
	if got := time.UnixMicro(rows[1].Ev.Time).UTC().Hour(); got != 12 {
		t.Errorf("explicit UTC noon = %d:00 UTC, want 12:00", got)
	}
	if got := time.UnixMicro(rows[2].Ev.Time).UTC(); got.Year() != 2026 {
		t.Errorf("epoch micros read as %v", got)
	}
}

func TestMapperColumnMappingAndStageMatch(t *testing.T) {
	cfg := testConfig(t)
	cfg.Source.Columns.CustomerID, cfg.Source.Columns.EventTime, cfg.Source.Columns.Stage = "user", "ts", "step"
	cfg.Funnel.Match = "stage"
	cfg.Stages = []config.Stage{
		{Name: "awareness"},
		{Name: "purchase", Purchase: true, Labels: []string{"purchase", "repeat"}},
		{Name: "repeat", RepeatPurchase: true},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	rows, n := mapAll(t, cfg, memsource.CSV(`
user,ts,step,order_id
u1,2026-03-01T10:00:00Z,awareness,<null>
u1,2026-03-02T10:00:00Z,repeat,o9
u1,2026-03-02T10:00:00Z,checkout,o9
u1,2026-03-02T10:00:00Z,<null>,o9
`, 0))
	q, _ := n.Quality(1)
	if len(rows) != 2 || q.RejectedByReason[RejectStageUnknown] != 1 || q.RejectedByReason[RejectStageMissing] != 1 {
		t.Fatalf("kept %d, rejected %v", len(rows), q.RejectedByReason)
	}
	if rows[1].Ev.Stage != 1 {
		t.Errorf("a 'repeat' label is an order of the purchase stage, got stage %d", rows[1].Ev.Stage)
	}
}

func TestMissingRequiredColumnNamesIt(t *testing.T) {
	cfg := testConfig(t)
	cfg.Source.Columns.CustomerID = "user_pseudo_id"
	n := NewMapper(&cfg, Range{End: time.Now()}, func([]Row) error { return nil })
	src := memsource.CSV("customer_id,event_time,event_name\nc1,2026-03-01,page_view", 0)
	err := src.Read(context.Background(), time.Time{}, time.Now(), func(rec arrow.Record) error { return n.Add(rec) })
	var mc *MissingColumnError
	if !errors.As(err, &mc) || !strings.Contains(err.Error(), `"user_pseudo_id"`) || !strings.Contains(err.Error(), "source.columns.customer_id") {
		t.Fatalf("got %v", err)
	}
}

func TestQualityThreshold(t *testing.T) {
	_, n := mapAll(t, testConfig(t), memsource.CSV(`
customer_id,event_time,event_name
c1,2026-03-01,page_view
c2,2026-03-01,page_view
<null>,2026-03-01,page_view
c3,not a time,page_view
`, 0))
	if _, err := n.Quality(0.5); err != nil {
		t.Fatalf("2 of 4 rejected is within 50%%: %v", err)
	}
	_, err := n.Quality(0.01)
	var qe *QualityError
	if !errors.As(err, &qe) {
		t.Fatalf("want a QualityError, got %v", err)
	}
	for _, want := range []string{"2 of 4 rows (50.00%) rejected", "quality.max_reject_ratio 1.00%", "customer_id_missing 1", "event_time_unparseable 1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
}

func TestRowsOutsideRangeAreCountedNotRejected(t *testing.T) {
	cfg := testConfig(t)
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	n := NewMapper(&cfg, Range{Start: start, End: start.AddDate(0, 1, 0)}, func([]Row) error { return nil })
	src := memsource.CSV("customer_id,event_time,event_name\nc1,2026-02-28T23:59:59Z,page_view\nc1,2026-03-01,page_view\nc1,2026-04-01,page_view", 0)
	if err := src.Read(context.Background(), start, start, func(rec arrow.Record) error { return n.Add(rec) }); err != nil {
		t.Fatal(err)
	}
	q, err := n.Quality(0)
	if err != nil || q.RowsOutsideRange != 2 || q.RowsRejected != 0 {
		t.Fatalf("quality %+v, %v", q, err)
	}
	if got := time.UnixMicro(n.DataEnd()).UTC(); !got.Equal(start) {
		t.Errorf("data end %v", got)
	}
}

func TestHashStringIsStable(t *testing.T) {
	// The partition of a customer must never change between versions: reports would reorder.
	for _, s := range []string{"C000123", "", "user-ä"} {
		h := fnv.New64a()
		h.Write([]byte(s))
		want := h.Sum64()
		if want == 0 {
			want = 1
		}
		if got := hashString(s); got != want {
			t.Errorf("hashString(%q) = %#x, want FNV-1a %#x", s, got, want)
		}
	}
}

// TestBlankCustomerIDIsMissingWhateverTheEncoding: a customer_id of only spaces is no key both in
// a plain string column and in a dictionary-encoded one (Parquet's usual encoding), so whether
// the row is rejected does not depend on how the file was written.
func TestBlankCustomerIDIsMissingWhateverTheEncoding(t *testing.T) {
	vals := []string{"c1", "  ", ""}
	sb := array.NewStringBuilder(memory.DefaultAllocator)
	defer sb.Release()
	db := array.NewDictionaryBuilder(memory.DefaultAllocator, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}).(*array.BinaryDictionaryBuilder)
	defer db.Release()
	for _, v := range vals {
		sb.Append(v)
		if err := db.AppendString(v); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []arrow.Array{sb.NewArray(), db.NewArray()} {
		key, err := keyColumn(a, "customer_id")
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if _, ok := key(i); ok != (v == "c1") {
				t.Errorf("%s: %q has a key: %v", a.DataType(), v, ok)
			}
		}
		a.Release()
	}
}

// TestIntegerOrderIDsAreTheirDecimalText: an order_id is the same order whatever integer type,
// text or dictionary of text carries it, and order 0 is an order, not "no order_id" (which would
// make each of its events an order of its own); null, like an absent column, is no order_id. The
// ids are read as the mapper reads them (keyReader), each type by its own loop.
func TestIntegerOrderIDsAreTheirDecimalText(t *testing.T) {
	mem := memory.DefaultAllocator
	i32 := array.NewInt32Builder(mem)
	i64 := array.NewInt64Builder(mem)
	u64 := array.NewUint64Builder(mem)
	str := array.NewStringBuilder(mem)
	dict := array.NewDictionaryBuilder(mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}).(*array.BinaryDictionaryBuilder)
	for _, v := range []int{0, 7} {
		i32.Append(int32(v))
		i64.Append(int64(v))
		u64.Append(uint64(v))
		str.Append(strconv.Itoa(v))
		if err := dict.AppendString(strconv.Itoa(v)); err != nil {
			t.Fatal(err)
		}
	}
	builders := []array.Builder{i32, i64, u64, str, dict}
	for _, b := range builders {
		b.AppendNull()
	}
	var keys [][3]uint64
	for _, b := range builders {
		a := b.NewArray()
		r, err := newKeyReader(a, "order_id")
		if err != nil {
			t.Fatal(err)
		}
		var k [3]uint64
		verdict := make([]uint8, 3)
		r.read(k[:], verdict, 0)
		for i := range 2 {
			if k[i] == 0 {
				t.Errorf("%s row %d: no key", a.DataType(), i)
			}
		}
		if k[2] != 0 || verdict[2] != 0 {
			t.Errorf("%s: a null order_id has key %d, verdict %d", a.DataType(), k[2], verdict[2])
		}
		// As a required key (customer_id), the null row is rejected and the others are not.
		r.read(k[:], verdict, vCustomerMissing)
		if verdict[0] != 0 || verdict[1] != 0 || verdict[2] != vCustomerMissing {
			t.Errorf("%s as a required key: verdicts %v", a.DataType(), verdict)
		}
		keys = append(keys, k)
		a.Release()
		b.Release()
	}
	for i := 1; i < len(keys); i++ {
		if keys[i] != keys[0] {
			t.Errorf("keys differ by type: %v", keys)
		}
	}
	absent, err := newKeyReader(nil, "order_id")
	if err != nil {
		t.Fatal(err)
	}
	k := []uint64{9, 9}
	absent.read(k, make([]uint8, 2), 0)
	if k[0] != 0 || k[1] != 0 {
		t.Errorf("an absent order_id gives keys %v", k)
	}
}

// TestDictionaryOwnsItsStrings: the codes of a string column do not keep pointing into the
// record's memory, which the source may reuse (or the run would keep alive) after the batch.
func TestDictionaryOwnsItsStrings(t *testing.T) {
	b := array.NewStringBuilder(memory.DefaultAllocator)
	b.AppendValues([]string{"email", "store"}, nil)
	a := b.NewStringArray()
	defer a.Release()
	dict := kpi.NewDicts().Touchpoint
	if _, err := codes(a, dict, "touchpoint", nil); err != nil {
		t.Fatal(err)
	}
	buf := a.ValueBytes()
	for i := range buf {
		buf[i] = 'x' // the source reuses the buffer for its next batch
	}
	if got := []string{dict.Name(1), dict.Name(2)}; got[0] != "email" || got[1] != "store" {
		t.Errorf("dictionary holds %q after the batch's memory was reused", got)
	}
}

// Negative revenue is rejected unless the source allows refunds; revenue of a trillion or more
// is rejected either way.
func TestRevenueRules(t *testing.T) {
	csv := `
customer_id,event_time,event_name,order_id,revenue
c1,2026-03-01T10:00:00Z,purchase,o1,100
c1,2026-03-02T10:00:00Z,purchase,o1,-30
c2,2026-03-01T10:00:00Z,purchase,o2,1e12
c3,2026-03-01T10:00:00Z,purchase,o3,-1e308
`
	for _, c := range []struct {
		refunds bool
		kept    int
		reasons map[string]int64
	}{
		{false, 1, map[string]int64{RejectRevenueNegative: 1, RejectRevenueOutOfRange: 2}},
		{true, 2, map[string]int64{RejectRevenueOutOfRange: 2}},
	} {
		cfg := testConfig(t)
		cfg.Source.AllowRefunds = c.refunds
		rows, n := mapAll(t, cfg, memsource.CSV(csv, 0))
		q, _ := n.Quality(1)
		if len(rows) != c.kept || len(q.RejectedByReason) != len(c.reasons) {
			t.Errorf("allow_refunds %v: kept %d, rejected %v", c.refunds, len(rows), q.RejectedByReason)
		}
		for k, v := range c.reasons {
			if q.RejectedByReason[k] != v {
				t.Errorf("allow_refunds %v: %s %d, want %d", c.refunds, k, q.RejectedByReason[k], v)
			}
		}
	}
}

// SchemaColumns lists a file's own columns when its reader lists them (a projection left some
// out), else the schema's, without the malformed-row marker.
func TestSchemaColumns(t *testing.T) {
	fields := []arrow.Field{{Name: "customer_id", Type: arrow.BinaryTypes.String}, {Name: malformedColumn, Type: arrow.FixedWidthTypes.Boolean}}
	if got := SchemaColumns(arrow.NewSchema(fields, nil)); !slices.Equal(got, []string{"customer_id"}) {
		t.Errorf("without a list: %q, want [customer_id]", got)
	}
	listed := arrow.NewSchema(fields, textformat.FileColumns([]string{"customer_id", "ts", "Event Name"}))
	if got := SchemaColumns(listed); !slices.Equal(got, []string{"customer_id", "ts", "Event Name"}) {
		t.Errorf("with the file's list: %q, want [customer_id ts \"Event Name\"]", got)
	}
}

package sample

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
	"github.com/journeykpi/journeykpi/internal/atomicfile"
)

// File names Write creates in its directory.
const (
	EventsFile = "events.parquet"
	SpendFile  = "spend.csv"
)

// Defaults for zero Options fields: the bundled sample's.
const (
	DefaultCustomers = 4000
	DefaultDays      = 181
)

// DefaultStart is the first day of the bundled sample, 2026-01-01 UTC.
func DefaultStart() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// rowGroupRows is the rows per Parquet row group: small enough that the bundled sample has
// several, so that parallel reading is exercised on it.
const rowGroupRows = 16384

// Options say what to generate. Zero fields take the bundled sample's values.
type Options struct {
	// Customers is how many customers enter over the span.
	Customers int
	// Seed fixes every random draw: the same Options give byte-identical files.
	Seed int64
	// Start is the first day of the span (its date is taken in UTC).
	Start time.Time
	// Days is the length of the span; events after it are cut off, as in a real extract.
	Days int
}

// Stats summarise what Write generated.
type Stats struct {
	Customers  int     // customers with at least one event in the span
	Events     int     // rows of events.parquet
	Orders     int     // distinct order_ids
	Purchasers int     // customers with at least one order
	Revenue    float64 // sum over distinct orders
	SpendRows  int     // rows of spend.csv
	Cost       float64 // sum of spend.csv's cost
}

// Schema is the Arrow schema of events.parquet: the data contract's canonical columns.
func Schema() *arrow.Schema {
	str := arrow.BinaryTypes.String
	f64 := arrow.PrimitiveTypes.Float64
	return arrow.NewSchema([]arrow.Field{
		{Name: "customer_id", Type: str},
		{Name: "event_time", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: "event_name", Type: str},
		{Name: "touchpoint", Type: str, Nullable: true},
		{Name: "campaign", Type: str, Nullable: true},
		{Name: "segment", Type: str, Nullable: true},
		{Name: "order_id", Type: str, Nullable: true},
		{Name: "revenue", Type: f64, Nullable: true},
		{Name: "sentiment", Type: f64, Nullable: true},
	}, nil)
}

// Write generates o's customers into dir (created if missing) as events.parquet (zstd, data page
// V2, dictionary-encoded strings, rows in customer order) and spend.csv
// (date,touchpoint,campaign,impressions,clicks,cost per day, paid touchpoint and campaign). Each
// file is written with atomicfile.Write, so a reader never sees half a file.
func Write(dir string, o Options) (Stats, error) {
	if o.Customers == 0 {
		o.Customers = DefaultCustomers
	}
	if o.Days == 0 {
		o.Days = DefaultDays
	}
	if o.Start.IsZero() {
		o.Start = DefaultStart()
	}
	if o.Customers < 0 || o.Days < 0 {
		return Stats{}, errors.New("sample: customers and days must be positive")
	}
	y, m, d := o.Start.UTC().Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Stats{}, fmt.Errorf("sample: %w", err)
	}
	var st Stats
	err := atomicfile.Write(filepath.Join(dir, EventsFile), func(w io.Writer) error {
		return writeEvents(w, o, start, &st)
	})
	if err != nil {
		return Stats{}, err
	}
	err = atomicfile.Write(filepath.Join(dir, SpendFile), func(w io.Writer) error {
		return writeSpend(w, o, start, &st)
	})
	if err != nil {
		return Stats{}, err
	}
	return st, nil
}

// writeEvents simulates the customers one after another and writes them in row groups.
func writeEvents(w io.Writer, o Options, start time.Time, st *Stats) error {
	sc := Schema()
	props := parquet.NewWriterProperties(
		parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithDataPageVersion(parquet.DataPageV2), // V1 pages are quadratic in pqarrow v15
		// Strings are dictionary-encoded (a row group's ids fit the 1 MiB dictionary page, so the
		// writer never falls back to plain pages); times and amounts are not.
		parquet.WithDictionaryDefault(false),
		parquet.WithDictionaryFor("customer_id", true),
		parquet.WithDictionaryFor("event_name", true),
		parquet.WithDictionaryFor("touchpoint", true),
		parquet.WithDictionaryFor("campaign", true),
		parquet.WithDictionaryFor("segment", true),
		parquet.WithDictionaryFor("order_id", true),
		parquet.WithMaxRowGroupLength(rowGroupRows),
		parquet.WithCreatedBy("journeykpi sample"),
	)
	fw, err := pqarrow.NewFileWriter(sc, nopWriteCloser{w}, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		return err
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	var (
		cust   = b.Field(0).(*array.StringBuilder)
		ts     = b.Field(1).(*array.TimestampBuilder)
		name   = b.Field(2).(*array.StringBuilder)
		tp     = b.Field(3).(*array.StringBuilder)
		camp   = b.Field(4).(*array.StringBuilder)
		seg    = b.Field(5).(*array.StringBuilder)
		order  = b.Field(6).(*array.StringBuilder)
		rev    = b.Field(7).(*array.Float64Builder)
		sent   = b.Field(8).(*array.Float64Builder)
		rows   int
		s0, s1 = start.UnixMicro(), start.AddDate(0, 0, o.Days).UnixMicro()
	)
	flush := func() error {
		rec := b.NewRecord()
		defer rec.Release()
		rows = 0
		return fw.Write(rec)
	}
	optStr := func(sb *array.StringBuilder, v string) {
		if v == "" {
			sb.AppendNull()
		} else {
			sb.Append(v)
		}
	}
	optF64 := func(fb *array.Float64Builder, v float64) {
		if math.IsNaN(v) {
			fb.AppendNull()
		} else {
			fb.Append(v)
		}
	}
	for id := 1; id <= o.Customers; id++ {
		j := newJourney(o.Seed, id, s0, s1)
		events := j.simulate()
		if len(events) == 0 {
			continue
		}
		st.Customers++
		cid := fmt.Sprintf("C%06d", id)
		// A resent purchase repeats its order_id; ids are compared as a set, since "O…-10"
		// sorts before "O…-9".
		seen := map[string]bool{}
		for _, e := range events {
			cust.Append(cid)
			ts.Append(arrow.Timestamp(e.time))
			name.Append(e.name)
			optStr(tp, e.tp)
			optStr(camp, e.campaign)
			optStr(seg, j.seg.name)
			optStr(order, e.orderID)
			optF64(rev, e.revenue)
			optF64(sent, e.sentiment)
			st.Events++
			if e.orderID != "" && !seen[e.orderID] {
				seen[e.orderID] = true
				st.Revenue += e.revenue
			}
			if rows++; rows == rowGroupRows {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if len(seen) > 0 {
			st.Orders += len(seen)
			st.Purchasers++
		}
	}
	if rows > 0 {
		if err := flush(); err != nil {
			return err
		}
	}
	st.Revenue = math.Round(st.Revenue*100) / 100
	return fw.Close()
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// paidTouchpoints are the touchpoints with spend rows, in name order.
func paidTouchpoints() []int {
	var out []int
	for _, name := range []string{"display_ads", "email", "search_ads", "social"} {
		out = append(out, tpIndex(name))
	}
	return out
}

// writeSpend writes the touchpoint metrics: per day, paid touchpoint and campaign, the cost
// (the touchpoint's: the expected entrants that day times its cost per entrant, with a weekly
// rhythm and day-to-day noise, shared between its campaigns), impressions (cost over the media's
// CPM) and clicks (impressions times its CTR). Organic touchpoints (website, app, store,
// word_of_mouth) have no rows. The campaigns' shares, impressions and clicks come from a random
// stream of their own, so the touchpoints' daily costs are those of a sample without them.
func writeSpend(w io.Writer, o Options, start time.Time, st *Stats) error {
	r := rand.New(rand.NewPCG(uint64(o.Seed), 0x5DEECE66D))
	media := rand.New(rand.NewPCG(uint64(o.Seed), 0x2545F4914F6CDD1D))
	perDay := float64(o.Customers) / float64(o.Days)
	if _, err := io.WriteString(w, "date,touchpoint,campaign,impressions,clicks,cost\n"); err != nil {
		return err
	}
	var total float64
	paid := paidTouchpoints()
	for d := range o.Days {
		day := start.AddDate(0, 0, d)
		week := 1.0
		switch day.Weekday() {
		case time.Saturday, time.Sunday:
			week = 0.8
		case time.Monday:
			week = 1.1
		}
		for _, i := range paid {
			t := touchpoints[i]
			c := perDay * t.entry * t.costPerEntrant * week * math.Exp(0.15*r.NormFloat64())
			cents := int64(math.Round(c * 100))
			total += float64(cents) / 100
			// The campaigns share the cost in whole cents, the first ones by weight, the last the rest.
			weights := make([]float64, len(t.campaigns))
			var sum float64
			for k := range weights {
				weights[k] = math.Exp(0.3*media.NormFloat64()) / float64(k+1)
				sum += weights[k]
			}
			left := cents
			for k, camp := range t.campaigns {
				part := left
				if k < len(t.campaigns)-1 {
					part = min(left, int64(math.Round(float64(cents)*weights[k]/sum)))
				}
				left -= part
				cost := float64(part) / 100
				imps := math.Round(cost / t.cpm * 1000 * math.Exp(0.1*media.NormFloat64()))
				clicks := math.Round(imps * t.ctr * math.Exp(0.1*media.NormFloat64()))
				line := day.Format(time.DateOnly) + "," + t.name + "," + camp + "," + strconv.FormatFloat(imps, 'f', 0, 64) + "," +
					strconv.FormatFloat(clicks, 'f', 0, 64) + "," + strconv.FormatFloat(cost, 'f', 2, 64) + "\n"
				if _, err := io.WriteString(w, line); err != nil {
					return err
				}
				st.SpendRows++
			}
		}
	}
	st.Cost = math.Round(total*100) / 100
	return nil
}

package bigquery_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/journeykpi/journeykpi"
	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/internal/bqfake"
	"github.com/journeykpi/journeykpi/pipeline"
	"github.com/journeykpi/journeykpi/pipeline/source/files"
	"github.com/journeykpi/journeykpi/pipeline/window"
)

// sampleEvent is one event of the bundled sample, as the estimates need it.
type sampleEvent struct {
	cust, name, tp, camp, seg, order string
	t                                time.Time
	rev                              float64
	purchase                         bool
}

func sampleEvents(t *testing.T) []sampleEvent {
	t.Helper()
	src, err := files.New(config.Files{Paths: []string{"testdata/sample/events.parquet"}, Format: "auto"}, files.Options{FS: journeykpi.Sample()})
	if err != nil {
		t.Fatal(err)
	}
	var out []sampleEvent
	var mu sync.Mutex
	str := func(rec arrow.Record, name string, i int) string {
		idx := rec.Schema().FieldIndices(name)
		if len(idx) == 0 || rec.Column(idx[0]).IsNull(i) {
			return ""
		}
		return rec.Column(idx[0]).ValueStr(i)
	}
	err = src.Read(context.Background(), time.Unix(0, 0), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), func(rec arrow.Record) error {
		mu.Lock() // emit runs on several goroutines at once
		defer mu.Unlock()
		ts := rec.Column(rec.Schema().FieldIndices("event_time")[0]).(*array.Timestamp)
		unit := ts.DataType().(*arrow.TimestampType).Unit
		for i := 0; i < int(rec.NumRows()); i++ {
			e := sampleEvent{cust: str(rec, "customer_id", i), name: str(rec, "event_name", i), tp: str(rec, "touchpoint", i),
				camp: str(rec, "campaign", i), seg: str(rec, "segment", i), order: str(rec, "order_id", i), t: ts.Value(i).ToTime(unit)}
			e.purchase = e.name == "purchase"
			fmt.Sscan(str(rec, "revenue", i), &e.rev)
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// logicalBytes is what BigQuery bills a STRING value: 2 bytes plus its UTF-8 length; NULL is 0.
func logicalBytes(s string) float64 {
	if s == "" {
		return 0
	}
	return float64(2 + len(s))
}

// readBytesPerRow serves the events as a read result (old: the former GA4 preset's columns, a
// string user_pseudo_id for a customer; new: the compact read's, the customer as an integer)
// through the fake server and reads it with the real client, and returns the bytes of Arrow
// batches that went over the wire per row.
func readBytesPerRow(t *testing.T, evs []sampleEvent, old bool, compression string) float64 {
	t.Helper()
	fields := []arrow.Field{{Name: "customer_id", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}
	if old {
		fields[0].Type = arrow.BinaryTypes.String
	}
	for _, n := range []string{"event_name", "touchpoint", "campaign", "segment", "order_id"} {
		fields = append(fields, arrow.Field{Name: n, Type: arrow.BinaryTypes.String, Nullable: true})
	}
	fields = append(fields, arrow.Field{Name: "event_time", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
		arrow.Field{Name: "revenue", Type: arrow.PrimitiveTypes.Float64, Nullable: true})
	schema := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	var recs []arrow.Record
	for i, e := range evs {
		if old {
			// A user_pseudo_id as GA4 writes it: two ten-digit numbers.
			b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("%010d.%010d", 1700000000+i%4000*7919, 1600000000+i%4000))
		} else {
			b.Field(0).(*array.Int64Builder).Append(int64(uint64(i%4000+1) * 0x9E3779B97F4A7C15))
		}
		for k, v := range []string{e.name, e.tp, e.camp, e.seg, e.order} {
			if v == "" {
				b.Field(1 + k).AppendNull()
			} else {
				b.Field(1 + k).(*array.StringBuilder).Append(v)
			}
		}
		b.Field(6).(*array.TimestampBuilder).Append(arrow.Timestamp(e.t.UnixMicro()))
		if e.purchase {
			b.Field(7).(*array.Float64Builder).Append(e.rev)
		} else {
			b.Field(7).AppendNull()
		}
		if b.Field(0).Len() == 8192 {
			recs = append(recs, b.NewRecord())
		}
	}
	recs = append(recs, b.NewRecord())
	srv := newServer(t)
	srv.SetTable("proj.marketing.events", &bqfake.Table{Records: recs})
	srv.SetResult(&bqfake.Table{Records: recs})
	o := tableOptions()
	o.Config.Compression = compression
	var c collector
	defer c.release()
	if err := open(t, srv, o).Read(context.Background(), rangeStart, rangeEnd, c.emit); err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		r.Release()
	}
	return float64(srv.SentBytes()) / float64(len(evs))
}

// TestReportBytes estimates the bytes a monthly report scans and transfers, before (the raw GA4
// export through the former preset, the whole read range) and after (the compact table's split
// read), for properties of 1M, 30M and 1B events a month. What is measured here: the bundled
// sample's events per customer mix (purchase share, value lengths), the compact row's billed size
// by BigQuery's size rules, the read range and its full part (pipeline.ReadRange, FullFrom), and
// the Arrow bytes per row that went over the wire through the real client and the local server,
// with and without LZ4. What is not: the raw export's billed bytes per event, an estimate (see
// docs/bigquery.md); cluster pruning, assumed ideal for the older part (an upper bound without
// it is printed too). Run with -v to see the table docs/bigquery.md quotes.
func TestReportBytes(t *testing.T) {
	evs := sampleEvents(t)
	var purchases int
	var compactFull, compactPurchase float64
	for _, e := range evs {
		// The compact read's columns: customer_key, event_time, event_name, touchpoint, campaign,
		// segment, order_id, revenue (stage and sentiment NULL for GA4).
		b := 8 + 8 + logicalBytes(e.name) + logicalBytes(e.tp) + logicalBytes(e.camp) + logicalBytes(e.seg) + logicalBytes(e.order)
		if e.purchase {
			b += 8
			purchases++
			compactPurchase += b
		}
		compactFull += b
	}
	n := float64(len(evs))
	perEvent := compactFull / n
	p := float64(purchases) / n
	purchaseRow := compactPurchase / float64(purchases)

	before := readBytesPerRow(t, evs, true, "none")
	afterLZ4 := readBytesPerRow(t, evs, false, "lz4")
	afterRaw := readBytesPerRow(t, evs, false, "none")
	if afterLZ4 >= afterRaw || afterRaw >= before {
		t.Errorf("wire bytes per row: before %.1f, after %.1f uncompressed, %.1f with LZ4; want each smaller", before, afterRaw, afterLZ4)
	}

	var tbl strings.Builder
	fmt.Fprintf(&tbl, "sample: %d events, purchase share %.4f; compact row %.1f B billed (purchase rows %.1f B)\n", len(evs), p, perEvent, purchaseRow)
	fmt.Fprintf(&tbl, "wire per row: before %.1f B (string ids, no LZ4); after %.1f B uncompressed, %.1f B LZ4\n", before, afterRaw, afterLZ4)
	for _, yearAgo := range []string{config.Default().Comparison.YearAgo, config.YearAgoOff} {
		cfg := config.Default()
		cfg.Comparison.YearAgo = yearAgo
		w, _ := window.Parse("2026-04-01", "2026-04-30", time.UTC)
		start, end := pipeline.ReadRange(&cfg, w)
		full := pipeline.FullFrom(&cfg, w)
		readDays, fullDays := end.Sub(start).Hours()/24, end.Sub(full).Hours()/24
		oldDays := readDays - fullDays
		const rawPerEvent = 650.0 // the raw export's billed bytes per event the preset reads: an estimate
		const tib = 1 << 40
		// With user_id stitching the read scans customer_id (stream_id:user_pseudo_id, about 32
		// characters) instead of the 8-byte key.
		const stitch = 2 + 32 - 8
		fmt.Fprintf(&tbl, "\ncomparison.year_ago %s: read range %.0f days, full part %.0f days, orders only %.0f days\n", yearAgo, readDays, fullDays, oldDays)
		fmt.Fprintf(&tbl, "| events/month | before: scanned | before: transferred | after: scanned (no pruning bound) | after, with user_id stitching | after: transferred | sync per night |\n")
		for _, m := range []float64{1e6, 30e6, 1e9} {
			day := m / 30.4
			bScan := rawPerEvent * day * readDays
			bWire := before * day * readDays
			aScan := math.Max(10e6, perEvent*day*fullDays+purchaseRow*p*day*oldDays)
			aBound := perEvent * day * readDays
			aWire := afterLZ4 * (day*fullDays + p*day*oldDays)
			sync := rawPerEvent * day * float64(cfg.Source.BigQuery.Sync.Days+2)
			aStitch := math.Max(10e6, (perEvent+stitch)*day*fullDays+(purchaseRow+stitch)*p*day*oldDays)
			fmt.Fprintf(&tbl, "| %s | %s ($%.2f) | %s | %s ($%.2f; %s) | %s ($%.2f) | %s | %s ($%.3f) |\n", count(m), size(bScan), bScan/tib*6.25, size(bWire),
				size(aScan), aScan/tib*6.25, size(aBound), size(aStitch), aStitch/tib*6.25, size(aWire), size(sync), sync/tib*6.25)
		}
	}
	t.Log("\n" + tbl.String())
}

func count(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.0fB", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.0fM", v/1e6)
	}
	return fmt.Sprintf("%.0f", v)
}

func size(v float64) string {
	units := []string{"B", "KB", "MB", "GB", "TB", "PB"}
	i := 0
	for v >= 1000 && i < len(units)-1 {
		v /= 1000
		i++
	}
	return fmt.Sprintf("%.3g %s", v, units[i])
}

package pipeline

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/internal/bqfake"
	"github.com/journeykpi/journeykpi/pipeline/group"
	"github.com/journeykpi/journeykpi/pipeline/shard"
	"github.com/journeykpi/journeykpi/pipeline/source/bigquery"
	"github.com/journeykpi/journeykpi/pipeline/window"
)

// compactRow is a row of the compact table as the fake serves it: the customer the read gives the
// engine (unmix of its stored key), so its stored key is customer × group.Mix.
type compactRow struct {
	cust          int64
	t             time.Time
	name, tp, oid string
	rev           float64
	hasOrder      bool
}

// compactFake answers the compact table's reads as BigQuery would: the split read's two parts,
// a shard's key ranges, the latest event of a range.
func compactFake(t *testing.T, srv *bqfake.Server, rows []compactRow) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "customer_id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "event_time", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
		{Name: "event_name", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "touchpoint", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "order_id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "revenue", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	param := func(j bqfake.Job, name string) string {
		_, v, _ := strings.Cut(j.Params[name], " ")
		return v
	}
	when := func(j bqfake.Job, name string) time.Time {
		v, err := time.Parse("2006-01-02 15:04:05.999999-07:00", param(j, name))
		if err != nil {
			t.Fatalf("param %s = %q: %v", name, j.Params[name], err)
		}
		return v
	}
	srv.SetResultFunc(func(j bqfake.Job) (*bqfake.Table, error) {
		if strings.Contains(j.SQL, "no_client_id") {
			b := array.NewInt64Builder(memory.DefaultAllocator)
			defer b.Release()
			b.Append(0)
			col := b.NewArray()
			defer col.Release()
			rec := array.NewRecord(arrow.NewSchema([]arrow.Field{{Name: "no_client_id", Type: col.DataType(), Nullable: true}}, nil), []arrow.Array{col}, 1)
			return &bqfake.Table{Records: []arrow.Record{rec}}, nil
		}
		start, end := when(j, "start"), when(j, "end")
		in := func(r compactRow) bool { return !r.t.Before(start) && r.t.Before(end) }
		if strings.Contains(j.SQL, "MAX(event_time)") {
			b := array.NewTimestampBuilder(memory.DefaultAllocator, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"})
			defer b.Release()
			var latest time.Time
			for _, r := range rows {
				if in(r) && r.t.After(latest) {
					latest = r.t
				}
			}
			if latest.IsZero() {
				b.AppendNull()
			} else {
				b.Append(arrow.Timestamp(latest.UnixMicro()))
			}
			col := b.NewArray()
			defer col.Release()
			rec := array.NewRecord(arrow.NewSchema([]arrow.Field{{Name: "latest", Type: col.DataType(), Nullable: true}}, nil), []arrow.Array{col}, 1)
			return &bqfake.Table{Records: []arrow.Record{rec}}, nil
		}
		var full time.Time
		if _, ok := j.Params["full"]; ok {
			full = when(j, "full")
		}
		var ranges [][2]int64
		for _, k := range []string{"1", "2"} {
			if _, ok := j.Params["key_lo"+k]; ok {
				lo, _ := strconv.ParseInt(param(j, "key_lo"+k), 10, 64)
				hi, _ := strconv.ParseInt(param(j, "key_hi"+k), 10, 64)
				ranges = append(ranges, [2]int64{lo, hi})
			}
		}
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer b.Release()
		for _, r := range rows {
			if !in(r) || (!full.IsZero() && r.t.Before(full) && r.name != "purchase") {
				continue
			}
			key := int64(uint64(r.cust) * group.Mix)
			if ranges != nil && !slices.ContainsFunc(ranges, func(g [2]int64) bool { return key >= g[0] && key <= g[1] }) {
				continue
			}
			b.Field(0).(*array.Int64Builder).Append(r.cust)
			b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(r.t.UnixMicro()))
			b.Field(2).(*array.StringBuilder).Append(r.name)
			b.Field(3).(*array.StringBuilder).Append(r.tp)
			if r.hasOrder {
				b.Field(4).(*array.StringBuilder).Append(r.oid)
				b.Field(5).(*array.Float64Builder).Append(r.rev)
			} else {
				b.Field(4).AppendNull()
				b.Field(5).AppendNull()
			}
		}
		rec := b.NewRecord()
		return &bqfake.Table{Records: []arrow.Record{rec}, Streams: 2}, nil
	})
}

// TestBigQueryShardsMergeToTheSameReport: shards that read only their customers from the compact
// table (a range of its keys) and judge "in progress" by the whole range's latest event merge into
// the numbers of one read, read counts summed; only the About sheet differs (it shows shard 0's
// query). So do those of a compact table synced from GA4, whose keys are stitched to user_id.
func TestBigQueryShardsMergeToTheSameReport(t *testing.T) {
	for _, preset := range []string{"", "ga4"} {
		t.Run("preset="+preset, func(t *testing.T) { testBigQueryShards(t, preset) })
	}
}

func testBigQueryShards(t *testing.T, preset string) {
	srv, err := bqfake.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.SetDataset("proj.jkpi")
	t.Setenv(bigquery.EnvEmulatorREST, srv.RESTEndpoint())
	t.Setenv(bigquery.EnvEmulatorGRPC, srv.GRPCAddr())
	rng := rand.New(rand.NewPCG(4, 5))
	var rows []compactRow
	names := []string{"page_view", "view_item", "add_to_cart", "purchase"}
	tps := []string{"Paid Search", "Email", "Organic Social", "Direct"}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for c := 0; c < 400; c++ {
		cust := int64(rng.Uint64())
		at := base.Add(time.Duration(rng.IntN(120*24)) * time.Hour)
		for s := 0; s < 1+rng.IntN(6); s++ {
			at = at.Add(time.Duration(1+rng.IntN(72)) * time.Hour)
			r := compactRow{cust: cust, t: at, name: names[min(s, 3)], tp: tps[rng.IntN(len(tps))]}
			if r.name == "purchase" {
				r.hasOrder, r.oid, r.rev = true, strconv.Itoa(c*10+s), float64(5+rng.IntN(200))+0.25
			}
			rows = append(rows, r)
		}
	}
	compactFake(t, srv, rows)
	cfg := config.Default()
	cfg.Source.Kind = "bigquery"
	cfg.Source.BigQuery.Project = "proj"
	cfg.Source.BigQuery.Table = "proj.marketing.events"
	if preset == "ga4" {
		cfg.Source.Preset = "ga4"
		cfg.Source.BigQuery.Table = "proj.analytics_1.events_*"
		cfg.Source.BigQuery.GA4.Identity = "user_id"
	}
	cfg.Source.BigQuery.Sync.Table = "proj.jkpi.touchpoints"
	cfg.Source.BigQuery.Retry.Attempts = 1
	cfg.Engine.Workers = 2
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	w, _ := window.Parse("2026-03-01", "2026-03-31", time.UTC)

	one, err := Run(context.Background(), Job{Config: cfg, Window: w, Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(one.Files[1])
	dir := t.TempDir()
	for i := range 3 {
		s := shard.Shard{Index: i, Count: 3}
		if _, err := Run(context.Background(), Job{Config: cfg, Window: w, Out: dir, Shard: &s}); err != nil {
			t.Fatalf("shard %s: %v", s, err)
		}
	}
	outs, err := Merge(context.Background(), MergeJob{Job: Job{Config: cfg, Out: t.TempDir()}, Paths: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(outs[0].Files[1])
	if !bytes.Equal(got, want) {
		t.Errorf("the merged report's JSON differs from one read's")
	}
	latest := 0
	for _, j := range srv.Jobs() {
		if strings.Contains(j.SQL, "MAX(event_time)") {
			latest++
		}
	}
	// Each shard asks: the last 8 days of the range hold no event here, so twice (then the range).
	if latest != 6 {
		t.Errorf("%d latest-event queries, want two per shard", latest)
	}
	if !strings.Contains(outs[0].LastRead, "@key_lo1") {
		t.Errorf("the merged report's read does not show a shard's query: %q", outs[0].LastRead)
	}
}

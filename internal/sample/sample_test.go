package sample

import (
	"bytes"
	"context"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/compress"
	pqfile "github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
)

// row is one event read back from events.parquet.
type row struct {
	customer, name, tp, campaign, segment, order string
	time                                         int64
	revenue, sentiment                           float64 // NaN when null
}

// readBack reads events.parquet with pqarrow into rows, in file order.
func readBack(t *testing.T, path string) ([]row, *arrow.Schema) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tbl, err := pqarrow.ReadTable(context.Background(), f, nil, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	tr := array.NewTableReader(tbl, 1<<20)
	defer tr.Release()
	var rows []row
	str := func(a arrow.Array, i int) string {
		if a.IsNull(i) {
			return ""
		}
		return a.(*array.String).Value(i)
	}
	num := func(a arrow.Array, i int) float64 {
		if a.IsNull(i) {
			return math.NaN()
		}
		return a.(*array.Float64).Value(i)
	}
	for tr.Next() {
		rec := tr.Record()
		for i := range int(rec.NumRows()) {
			rows = append(rows, row{
				customer:  str(rec.Column(0), i),
				time:      int64(rec.Column(1).(*array.Timestamp).Value(i)),
				name:      str(rec.Column(2), i),
				tp:        str(rec.Column(3), i),
				campaign:  str(rec.Column(4), i),
				segment:   str(rec.Column(5), i),
				order:     str(rec.Column(6), i),
				revenue:   num(rec.Column(7), i),
				sentiment: num(rec.Column(8), i),
			})
		}
	}
	return rows, tbl.Schema()
}

func TestWriteIsDeterministic(t *testing.T) {
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	o := Options{Customers: 500, Seed: 7}
	if _, err := Write(a, o); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(b, o); err != nil {
		t.Fatal(err)
	}
	o.Seed = 8
	if _, err := Write(c, o); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{EventsFile, SpendFile} {
		x, _ := os.ReadFile(filepath.Join(a, name))
		y, _ := os.ReadFile(filepath.Join(b, name))
		z, _ := os.ReadFile(filepath.Join(c, name))
		if len(x) == 0 || !bytes.Equal(x, y) {
			t.Errorf("%s: two writes with the same options differ", name)
		}
		if bytes.Equal(x, z) {
			t.Errorf("%s: another seed gives the same file", name)
		}
	}
	entries, _ := os.ReadDir(a)
	if len(entries) != 2 {
		t.Errorf("directory holds %d entries, want only the two files (no temporary left)", len(entries))
	}
}

func TestCustomerDependsOnlyOnSeedAndNumber(t *testing.T) {
	small, large := t.TempDir(), t.TempDir()
	if _, err := Write(small, Options{Customers: 100, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(large, Options{Customers: 250, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	a, _ := readBack(t, filepath.Join(small, EventsFile))
	b, _ := readBack(t, filepath.Join(large, EventsFile))
	if len(b) <= len(a) {
		t.Fatalf("%d rows for 250 customers, %d for 100", len(b), len(a))
	}
	for i := range a {
		if a[i].customer != b[i].customer || a[i].time != b[i].time || a[i].name != b[i].name || a[i].order != b[i].order {
			t.Fatalf("row %d: customer 1-100 differ between a 100- and a 250-customer sample", i)
		}
	}
	if b[len(a)].customer != "C000101" {
		t.Errorf("row after the first 100 customers belongs to %s", b[len(a)].customer)
	}
}

func TestEventsShape(t *testing.T) {
	dir := t.TempDir()
	st, err := Write(dir, Options{Customers: 300, Seed: 2, Start: time.Date(2025, 5, 1, 13, 0, 0, 0, time.UTC), Days: 60})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, EventsFile)
	rows, sc := readBack(t, path)
	want := "customer_id:utf8 event_time:timestamp[us, tz=UTC] event_name:utf8 touchpoint:utf8 campaign:utf8 segment:utf8 order_id:utf8 revenue:float64 sentiment:float64"
	var got []string
	for _, f := range sc.Fields() {
		got = append(got, f.Name+":"+f.Type.String())
	}
	if g := strings.Join(got, " "); g != want {
		t.Errorf("schema\n%s\nwant\n%s", g, want)
	}
	if len(rows) != st.Events || st.Customers == 0 || st.Customers > 300 {
		t.Errorf("read %d rows; stats %+v", len(rows), st)
	}
	lo := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	hi := time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC).UnixMicro()
	known := map[string]bool{}
	for _, n := range []string{"first_visit", "session_start", "page_view", "view_item", "search", "view_cart",
		"add_to_cart", "purchase", "app_open", "review", "scroll", "newsletter_open", "video_play"} {
		known[n] = true
	}
	for _, r := range rows {
		if r.time < lo || r.time >= hi {
			t.Fatalf("event at %v outside the span", time.UnixMicro(r.time).UTC())
		}
		if !known[r.name] {
			t.Fatalf("event name %q", r.name)
		}
		if (r.name == "purchase") != (r.order != "") || (r.name == "purchase") != !math.IsNaN(r.revenue) {
			t.Fatalf("order_id and revenue only and always on purchases: %+v", r)
		}
		if !math.IsNaN(r.sentiment) && (r.sentiment < -1 || r.sentiment > 1) {
			t.Fatalf("sentiment %v", r.sentiment)
		}
	}

	// The file is what the house style asks: zstd, data page V2, dictionary strings.
	pf, err := pqfile.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	cc, err := pf.MetaData().RowGroup(0).ColumnChunk(2) // event_name
	if err != nil {
		t.Fatal(err)
	}
	if cc.Compression() != compress.Codecs.Zstd || !cc.HasDictionaryPage() {
		t.Errorf("event_name: compression %v, dictionary %v", cc.Compression(), cc.HasDictionaryPage())
	}
	for _, s := range cc.EncodingStats() {
		if s.PageType.String() != "DICTIONARY_PAGE" && s.Encoding != parquet.Encodings.RLEDict {
			t.Errorf("event_name data page encoded %v", s.Encoding)
		}
	}
	// The writer's encoding stats call every data page DATA_PAGE; the page headers tell.
	for col := range pf.MetaData().Schema.NumColumns() {
		pr, err := pf.RowGroup(0).GetColumnPageReader(col)
		if err != nil {
			t.Fatal(err)
		}
		for pr.Next() {
			if typ := pr.Page().Type().String(); typ == "DATA_PAGE" {
				t.Errorf("column %d has a V1 data page", col)
			}
		}
		if err := pr.Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// customer is one customer's history, for the rate checks.
type customer struct {
	segment, entry string // entry: touchpoint of the first awareness event
	reached        [4]bool
	orders         []string
	revenue        float64
	awareness      []int64
	strayInterest  bool
}

var stageOf = map[string]int{
	"first_visit": 0, "session_start": 0, "page_view": 0,
	"view_item": 1, "search": 1, "view_cart": 2, "add_to_cart": 2, "purchase": 3,
}

// customers folds rows (in customer order) into histories: stages reached in order, ignoring
// windows; orders are distinct order_ids; revenue counts each order once.
func customers(rows []row) map[string]*customer {
	out := map[string]*customer{}
	var cur *customer
	for _, r := range rows {
		c, ok := out[r.customer]
		if !ok {
			c = &customer{segment: r.segment}
			out[r.customer] = c
		}
		cur = c
		st, isStage := stageOf[r.name]
		switch {
		case !isStage:
		case st == 0:
			if len(cur.awareness) == 0 {
				cur.entry = r.tp
			}
			cur.awareness = append(cur.awareness, r.time)
			cur.reached[0] = true
		case len(cur.awareness) == 0:
			cur.strayInterest = true
		case cur.reached[st-1]:
			cur.reached[st] = true
		}
		if r.order != "" && !slices.Contains(cur.orders, r.order) {
			cur.orders = append(cur.orders, r.order)
			cur.revenue += r.revenue
		}
	}
	return out
}

func TestSampleIsWorthSteeringBy(t *testing.T) {
	dir := t.TempDir()
	st, err := Write(dir, Options{Customers: 4000, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := readBack(t, filepath.Join(dir, EventsFile))
	cs := customers(rows)

	// Purchase rate by entry touchpoint and by segment differ clearly.
	type rate struct{ n, bought int }
	byEntry, bySegment := map[string]*rate{}, map[string]*rate{}
	purchasers, repeaters, secondAttempts, strays := 0, 0, 0, 0
	revenueByEntry := map[string]float64{}
	for _, c := range cs {
		if c.strayInterest {
			strays++
		}
		if len(c.awareness) > 1 && c.awareness[len(c.awareness)-1]-c.awareness[0] > 15*24*3600e6 {
			secondAttempts++
		}
		if len(c.awareness) == 0 {
			continue
		}
		for key, m := range map[string]map[string]*rate{c.entry: byEntry, c.segment: bySegment} {
			if m[key] == nil {
				m[key] = &rate{}
			}
			m[key].n++
			if c.reached[3] {
				m[key].bought++
			}
		}
		revenueByEntry[c.entry] += c.revenue
		if len(c.orders) > 0 {
			purchasers++
			if len(c.orders) > 1 {
				repeaters++
			}
		}
	}
	r := func(m map[string]*rate, k string) float64 { return float64(m[k].bought) / float64(m[k].n) }
	t.Logf("purchase rate by entry: email %.3f word_of_mouth %.3f search_ads %.3f social %.3f display_ads %.3f",
		r(byEntry, "email"), r(byEntry, "word_of_mouth"), r(byEntry, "search_ads"), r(byEntry, "social"), r(byEntry, "display_ads"))
	t.Logf("purchase rate by segment: loyal %.3f professional %.3f bargain_hunter %.3f student %.3f (none) %.3f",
		r(bySegment, "loyal"), r(bySegment, "professional"), r(bySegment, "bargain_hunter"), r(bySegment, "student"), r(bySegment, ""))
	if r(byEntry, "email") < 2.5*r(byEntry, "display_ads") || r(byEntry, "word_of_mouth") < 2.5*r(byEntry, "display_ads") {
		t.Error("email and word_of_mouth should convert far better than display_ads")
	}
	if r(bySegment, "loyal") < 2*r(bySegment, "student") {
		t.Error("loyal customers should convert far better than students")
	}
	if bySegment[""] == nil || bySegment[""].n < 100 {
		t.Error("some customers should lack a segment")
	}
	share := float64(repeaters) / float64(purchasers)
	t.Logf("purchasers %d, repeat share %.3f, second attempts %d, stray interest %d", purchasers, share, secondAttempts, strays)
	if share < 0.2 || share > 0.4 {
		t.Errorf("repeat share %.3f, want about 0.25-0.35", share)
	}
	if secondAttempts < 50 || strays < 50 {
		t.Error("too few second attempts or stray interest events")
	}
	if purchasers != st.Purchasers {
		t.Errorf("purchasers %d, stats %d", purchasers, st.Purchasers)
	}
	// Some customers have ten orders or more, whose ids ("O…-10") sort before "O…-9".
	orders, revenue := 0, 0.0
	for _, c := range cs {
		orders += len(c.orders)
		revenue += c.revenue
	}
	if orders != st.Orders || math.Abs(revenue-st.Revenue) > 0.005 {
		t.Errorf("orders %d and revenue %.2f, stats %d and %.2f", orders, revenue, st.Orders, st.Revenue)
	}

	// Data flaws the pipeline must cope with.
	var dups, nullTP, resent int
	for i := 1; i < len(rows); i++ {
		if rows[i] == rows[i-1] || (rows[i].customer == rows[i-1].customer && rows[i].time == rows[i-1].time &&
			rows[i].name == rows[i-1].name && rows[i].tp == rows[i-1].tp && rows[i].order == rows[i-1].order &&
			sameNum(rows[i].revenue, rows[i-1].revenue) && sameNum(rows[i].sentiment, rows[i-1].sentiment) &&
			rows[i].campaign == rows[i-1].campaign) {
			dups++
		}
		if rows[i].order != "" && rows[i].order == rows[i-1].order && rows[i].time != rows[i-1].time {
			resent++
		}
	}
	for _, r := range rows {
		if r.tp == "" {
			nullTP++
		}
	}
	t.Logf("rows %d, exact duplicates %d, null touchpoints %d, resent purchases %d", len(rows), dups, nullTP, resent)
	if dups == 0 || nullTP == 0 || resent == 0 {
		t.Error("want a few exact duplicates, null touchpoints and resent purchases")
	}

	// The pain point: comparison on the app is negative, the other stages are not.
	var appCmp, other, nApp, nOther float64
	for _, r := range rows {
		if math.IsNaN(r.sentiment) || r.name == "review" {
			continue
		}
		if (r.name == "view_cart" || r.name == "add_to_cart") && r.tp == "app" {
			appCmp += r.sentiment
			nApp++
		} else {
			other += r.sentiment
			nOther++
		}
	}
	t.Logf("sentiment: comparison on app %.2f (n %.0f), elsewhere %.2f (n %.0f)", appCmp/nApp, nApp, other/nOther, nOther)
	if nApp < 20 || appCmp/nApp > -0.2 || other/nOther < 0.05 {
		t.Error("comparison on the app should be the clear pain point")
	}

	// Spend: a row per day, paid touchpoint and campaign; ROAS differs clearly between
	// touchpoints; impressions and clicks follow each medium's CPM and CTR.
	f, err := os.Open(filepath.Join(dir, SpendFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	const campaigns = 2 + 2 + 3 + 3 // display_ads, search_ads, email, social
	if strings.Join(recs[0], " ") != "date touchpoint campaign impressions clicks cost" || len(recs)-1 != DefaultDays*campaigns ||
		st.SpendRows != DefaultDays*campaigns {
		t.Fatalf("spend: header %v, %d rows", recs[0], len(recs)-1)
	}
	cost := map[string]float64{}
	imps, clicks := map[string]float64{}, map[string]float64{}
	days := map[string]int{}
	for _, rec := range recs[1:] {
		v, err := strconv.ParseFloat(rec[5], 64)
		if err != nil || v < 0 {
			t.Fatalf("cost %q", rec[5])
		}
		im, err1 := strconv.ParseFloat(rec[3], 64)
		cl, err2 := strconv.ParseFloat(rec[4], 64)
		if err1 != nil || err2 != nil || cl > im {
			t.Fatalf("impressions %q, clicks %q", rec[3], rec[4])
		}
		cost[rec[1]] += v
		imps[rec[1]] += im
		clicks[rec[1]] += cl
		days[rec[0]]++
	}
	if len(days) != DefaultDays || days["2026-01-01"] != campaigns || days["2026-06-30"] != campaigns {
		t.Errorf("spend covers %d days", len(days))
	}
	for _, tp := range touchpoints {
		if tp.cpm == 0 {
			continue
		}
		if cpm, ctr := 1000*cost[tp.name]/imps[tp.name], clicks[tp.name]/imps[tp.name]; math.Abs(cpm/tp.cpm-1) > 0.05 || math.Abs(ctr/tp.ctr-1) > 0.05 {
			t.Errorf("%s: CPM %.2f CTR %.4f, simulated %.2f and %.4f", tp.name, cpm, ctr, tp.cpm, tp.ctr)
		}
	}
	roas := func(tp string) float64 { return revenueByEntry[tp] / cost[tp] }
	t.Logf("revenue per cost by entry touchpoint: email %.1f search_ads %.2f social %.2f display_ads %.2f",
		roas("email"), roas("search_ads"), roas("social"), roas("display_ads"))
	if !(roas("display_ads") < 0.6*roas("social") && roas("social") < roas("search_ads") && roas("search_ads") < roas("email")) {
		t.Error("ROAS should rank display_ads < social < search_ads < email")
	}
	if cost["display_ads"] < cost["social"] {
		t.Error("display_ads should carry the highest spend")
	}
}

func sameNum(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }

// TestBundledSample checks that testdata/sample is exactly what its README's command makes.
func TestBundledSample(t *testing.T) {
	root := filepath.Join("..", "..", "testdata", "sample")
	if _, err := os.Stat(filepath.Join(root, EventsFile)); err != nil {
		t.Skipf("bundled sample not found at %s", root)
	}
	dir := t.TempDir()
	if _, err := Write(dir, Options{Customers: 4000, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, name := range []string{EventsFile, SpendFile} {
		want, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(filepath.Join(dir, name))
		if !bytes.Equal(got, want) {
			t.Errorf("testdata/sample/%s differs from a fresh `journeykpi sample --customers 4000 --seed 1`; regenerate it", name)
		}
		total += int64(len(want))
	}
	if total > 2<<20 {
		t.Errorf("bundled sample is %d bytes, want under 2 MiB", total)
	}
}

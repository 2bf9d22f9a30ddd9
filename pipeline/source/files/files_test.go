package files

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"

	"github.com/journeykpi/journeykpi/config"
)

var testSchema = arrow.NewSchema([]arrow.Field{
	{Name: "customer_id", Type: arrow.BinaryTypes.String},
	{Name: "event_time", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
	{Name: "event_name", Type: arrow.BinaryTypes.String},
	{Name: "touchpoint", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "revenue", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
}, nil)

var eventNames = []string{"page_view", "view_item", "add_to_cart", "purchase"}

// writeParquet writes rows rows of testSchema to path, rowGroup rows per row group. Row i has
// customer_id "c<i>" (unique, so not dictionary-encoded), event_name from a small set and a
// revenue on every fourth row.
func writeParquet(tb testing.TB, path string, rows, rowGroup int) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	props := parquet.NewWriterProperties(
		parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithDataPageVersion(parquet.DataPageV2),
		parquet.WithDictionaryDefault(true),
		parquet.WithDictionaryFor("customer_id", false),
		parquet.WithMaxRowGroupLength(int64(rowGroup)),
	)
	fw, err := pqarrow.NewFileWriter(testSchema, f, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		tb.Fatal(err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, testSchema)
	defer b.Release()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	for start := 0; start < rows; start += rowGroup {
		for i := start; i < min(rows, start+rowGroup); i++ {
			b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("c%d", i))
			b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(t0 + int64(i)*1e6))
			b.Field(2).(*array.StringBuilder).Append(eventNames[i%len(eventNames)])
			if i%10 == 0 {
				b.Field(3).(*array.StringBuilder).AppendNull()
			} else {
				b.Field(3).(*array.StringBuilder).Append([]string{"email", "social", "store"}[i%3])
			}
			if i%4 == 3 {
				b.Field(4).(*array.Float64Builder).Append(float64(i))
			} else {
				b.Field(4).(*array.Float64Builder).AppendNull()
			}
		}
		rec := b.NewRecord()
		if err := fw.Write(rec); err != nil {
			tb.Fatal(err)
		}
		rec.Release()
	}
	if err := fw.Close(); err != nil {
		tb.Fatal(err)
	}
}

func writeFile(tb testing.TB, path, text string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	data := []byte(text)
	if strings.HasSuffix(path, ".gz") {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(data)
		zw.Close()
		data = buf.Bytes()
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// collected is everything a Read emitted, rows as maps of column name to value text ("<null>"
// for null), plus the records' schemas.
type collected struct {
	mu      sync.Mutex
	rows    []map[string]string
	schemas []*arrow.Schema
	batches int
}

func (c *collected) emit(rec arrow.Record) error {
	rows := make([]map[string]string, rec.NumRows())
	for i := range rows {
		rows[i] = map[string]string{}
	}
	for j, f := range rec.Schema().Fields() {
		col := rec.Column(j)
		for i := range rows {
			if col.IsNull(i) {
				rows[i][f.Name] = "<null>"
			} else {
				rows[i][f.Name] = col.ValueStr(i)
			}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rows = append(c.rows, rows...)
	c.schemas = append(c.schemas, rec.Schema())
	c.batches++
	return nil
}

func (c *collected) column(name string) []string {
	var out []string
	for _, r := range c.rows {
		out = append(out, r[name])
	}
	slices.Sort(out)
	return out
}

func read(t *testing.T, cfg config.Files, opts Options, r span) *collected {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	opts.Allocator = mem
	s, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	var c collected
	if err := s.Read(context.Background(), r.start, r.end, c.emit); err != nil {
		t.Fatal(err)
	}
	// pqarrow v15 leaves a few page buffers to the garbage collector; the text readers' own
	// builders must all be released.
	if !strings.Contains(strings.Join(cfg.Paths, " "), "parquet") {
		mem.AssertSize(t, 0)
	}
	return &c
}

func TestParquetParallelReadsEveryRowOnce(t *testing.T) {
	dir := t.TempDir()
	const rows = 10000
	writeParquet(t, filepath.Join(dir, "a.parquet"), rows, 1500) // 7 row groups
	for _, parallel := range []int{1, 2, 3, 8} {
		t.Run(fmt.Sprint(parallel), func(t *testing.T) {
			c := read(t, config.Files{Paths: []string{filepath.Join(dir, "*.parquet")}},
				Options{Parallel: parallel, BatchRows: 1000}, span{})
			ids := c.column("customer_id")
			if len(ids) != rows {
				t.Fatalf("read %d rows, want %d", len(ids), rows)
			}
			want := make([]string, rows)
			for i := range want {
				want[i] = fmt.Sprintf("c%d", i)
			}
			slices.Sort(want)
			if !slices.Equal(ids, want) {
				t.Fatal("rows read are not the rows written, each once")
			}
			if c.batches < 10 {
				t.Errorf("%d batches, want at least 10 of at most 1000 rows", c.batches)
			}
		})
	}
}

func TestParquetProjectionAndDictionary(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.parquet")
	writeParquet(t, path, 3000, 1000)
	s, err := New(config.Files{Paths: []string{path}}, Options{Columns: []string{"revenue", "event_name", "customer_id", "sentiment"}})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var total, revenues int64
	err = s.Read(context.Background(), time.Time{}, time.Time{}, func(rec arrow.Record) error {
		mu.Lock()
		defer mu.Unlock()
		var names []string
		for _, f := range rec.Schema().Fields() {
			names = append(names, f.Name)
		}
		if got := strings.Join(names, ","); got != "customer_id,event_name,revenue" {
			t.Errorf("columns %s, want customer_id,event_name,revenue (file order, absent sentiment left out)", got)
		}
		if _, ok := rec.Column(1).(*array.Dictionary); !ok {
			t.Errorf("event_name is %s, want a dictionary array", rec.Column(1).DataType())
		}
		if _, ok := rec.Column(0).(*array.String); !ok {
			t.Errorf("customer_id (plain-encoded) is %s, want utf8", rec.Column(0).DataType())
		}
		total += rec.NumRows()
		revenues += int64(rec.Column(2).Len() - rec.Column(2).NullN())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if total != 3000 || revenues != 750 {
		t.Errorf("rows %d, revenues %d; want 3000, 750", total, revenues)
	}
	plan, planned, err := s.Plan(context.Background(), time.Time{}, time.Time{})
	info, _ := os.Stat(path)
	if err != nil || planned <= 0 || planned >= info.Size() || !strings.Contains(plan, "3 of 5 columns") {
		t.Errorf("plan of a projection: %q, %d bytes of %d, %v", plan, planned, info.Size(), err)
	}
	if _, err := New(config.Files{Paths: []string{path}}, Options{Columns: []string{"nope"}}); err != nil {
		t.Fatal(err) // footers are read by Read, not New
	}
	s, _ = New(config.Files{Paths: []string{path}}, Options{Columns: []string{"nope"}})
	err = s.Read(context.Background(), time.Time{}, time.Time{}, func(arrow.Record) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "nope") || !strings.Contains(err.Error(), "a.parquet") {
		t.Errorf("projection onto absent columns: error %v, want one naming the column and file", err)
	}
}

func TestCSV(t *testing.T) {
	dir := t.TempDir()
	text := "\uFEFFcustomer_id,event_time,revenue,touchpoint\n" +
		"c1,2026-01-01T10:00:00,,email\n" +
		"c2,2026-01-01 11:00,abc,\"store, downtown\"\n" +
		"c3,2026-01-02,12.5\n" + // too few fields
		"c4,2026-01-02,1,social,extra\n" + // too many fields
		"\n" +
		"c5,1767225600000000,3,\"multi\nline\"\n"
	for _, name := range []string{"e.csv", "e.csv.gz"} {
		t.Run(name, func(t *testing.T) {
			writeFile(t, filepath.Join(dir, name), text)
			c := read(t, config.Files{Paths: []string{filepath.Join(dir, name)}}, Options{BatchRows: 2}, span{})
			want := []map[string]string{
				{"customer_id": "c1", "event_time": "2026-01-01T10:00:00", "revenue": "<null>", "touchpoint": "email", MalformedColumn: "false"},
				{"customer_id": "c2", "event_time": "2026-01-01 11:00", "revenue": "abc", "touchpoint": "store, downtown", MalformedColumn: "false"},
				{"customer_id": "<null>", "event_time": "<null>", "revenue": "<null>", "touchpoint": "<null>", MalformedColumn: "true"},
				{"customer_id": "<null>", "event_time": "<null>", "revenue": "<null>", "touchpoint": "<null>", MalformedColumn: "true"},
				{"customer_id": "c5", "event_time": "1767225600000000", "revenue": "3", "touchpoint": "multi\nline", MalformedColumn: "false"},
			}
			if fmt.Sprint(c.rows) != fmt.Sprint(want) {
				t.Errorf("rows\n%v\nwant\n%v", c.rows, want)
			}
			if c.batches != 3 {
				t.Errorf("%d batches, want 3 of at most 2 rows", c.batches)
			}
			for _, f := range c.schemas[0].Fields() {
				if f.Name != MalformedColumn && f.Type.ID() != arrow.STRING {
					t.Errorf("column %s is %s, want utf8", f.Name, f.Type)
				}
			}
		})
	}
	t.Run("projection", func(t *testing.T) {
		c := read(t, config.Files{Paths: []string{filepath.Join(dir, "e.csv")}},
			Options{Columns: []string{"touchpoint", "customer_id", "segment"}}, span{})
		var names []string
		for _, f := range c.schemas[0].Fields() {
			names = append(names, f.Name)
		}
		if got := strings.Join(names, ","); got != "touchpoint,customer_id,"+MalformedColumn {
			t.Errorf("columns %s", got)
		}
	})
	t.Run("empty", func(t *testing.T) {
		writeFile(t, filepath.Join(dir, "empty", "x.csv"), "")
		writeFile(t, filepath.Join(dir, "empty", "y.csv"), "a,b\n")
		c := read(t, config.Files{Paths: []string{filepath.Join(dir, "empty", "*")}}, Options{}, span{})
		if c.batches != 0 {
			t.Errorf("%d batches from files without rows", c.batches)
		}
	})
	t.Run("unnamed columns", func(t *testing.T) {
		// A spreadsheet saved as CSV ends its lines with commas for columns it once formatted.
		writeFile(t, filepath.Join(dir, "unnamed", "x.csv"), "customer_id,touchpoint,,\nc1,email,,\n")
		c := read(t, config.Files{Paths: []string{filepath.Join(dir, "unnamed", "x.csv")}}, Options{}, span{})
		want := fmt.Sprint([]map[string]string{{"customer_id": "c1", "touchpoint": "email", MalformedColumn: "false"}})
		if got := fmt.Sprint(c.rows); got != want {
			t.Errorf("rows %s, want %s", got, want)
		}
	})
	t.Run("duplicate header", func(t *testing.T) {
		writeFile(t, filepath.Join(dir, "dup", "x.csv"), "a,b,a\n1,2,3\n")
		s, err := New(config.Files{Paths: []string{filepath.Join(dir, "dup", "x.csv")}}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		err = s.Read(context.Background(), time.Time{}, time.Time{}, func(arrow.Record) error { return nil })
		if err == nil || !strings.Contains(err.Error(), `"a" appears twice`) {
			t.Errorf("error %v", err)
		}
	})
}

func TestNDJSON(t *testing.T) {
	dir := t.TempDir()
	text := `{"customer_id": "c1", "event_time": 1767225600000000, "revenue": 12.50, "flag": true, "ctx": {"a": [1, 2]}}
{"customer_id": 7, "event_name": "page_view", "revenue": null, "touchpoint": ""}

not json
[1, 2]
{"customer_id": "c3", "customer_id": "c3b", "event_name": "view_item"} trailing
{"customer_id": "c4", "event_name": "a\"b\u00e9", "late": 1}
`
	want := []map[string]string{
		{"customer_id": "c1", "event_time": "1767225600000000", "revenue": "12.50", "flag": "true", "ctx": `{"a":[1,2]}`, "event_name": "<null>", "touchpoint": "<null>", MalformedColumn: "false"},
		{"customer_id": "7", "event_time": "<null>", "revenue": "<null>", "flag": "<null>", "ctx": "<null>", "event_name": "page_view", "touchpoint": "<null>", MalformedColumn: "false"},
		{"customer_id": "<null>", "event_time": "<null>", "revenue": "<null>", "flag": "<null>", "ctx": "<null>", "event_name": "<null>", "touchpoint": "<null>", MalformedColumn: "true"},
		{"customer_id": "<null>", "event_time": "<null>", "revenue": "<null>", "flag": "<null>", "ctx": "<null>", "event_name": "<null>", "touchpoint": "<null>", MalformedColumn: "true"},
		{"customer_id": "<null>", "event_time": "<null>", "revenue": "<null>", "flag": "<null>", "ctx": "<null>", "event_name": "<null>", "touchpoint": "<null>", MalformedColumn: "true"},
		{"customer_id": "c4", "event_time": "<null>", "revenue": "<null>", "flag": "<null>", "ctx": "<null>", "event_name": `a"bé`, "touchpoint": "<null>", MalformedColumn: "false"},
	}
	for _, name := range []string{"e.ndjson", "e.jsonl.gz"} {
		t.Run(name, func(t *testing.T) {
			writeFile(t, filepath.Join(dir, name), text)
			// BatchRows 4: the columns come from the first four lines; later keys ("late")
			// are dropped.
			c := read(t, config.Files{Paths: []string{filepath.Join(dir, name)}}, Options{BatchRows: 4}, span{})
			var names []string
			for _, f := range c.schemas[0].Fields() {
				names = append(names, f.Name)
			}
			if got := strings.Join(names, ","); got != "customer_id,event_time,revenue,flag,ctx,event_name,touchpoint,"+MalformedColumn {
				t.Errorf("columns %s", got)
			}
			if fmt.Sprint(c.rows) != fmt.Sprint(want) {
				t.Errorf("rows\n%v\nwant\n%v", c.rows, want)
			}
		})
	}
	t.Run("byte-order mark", func(t *testing.T) {
		// Windows tools (PowerShell's Out-File, Notepad) start UTF-8 text with one.
		writeFile(t, filepath.Join(dir, "bom", "e.ndjson"), "\uFEFF{\"customer_id\": \"c1\"}\n{\"customer_id\": \"c2\"}\n")
		c := read(t, config.Files{Paths: []string{filepath.Join(dir, "bom", "e.ndjson")}}, Options{}, span{})
		want := fmt.Sprint([]map[string]string{
			{"customer_id": "c1", MalformedColumn: "false"}, {"customer_id": "c2", MalformedColumn: "false"}})
		if got := fmt.Sprint(c.rows); got != want {
			t.Errorf("rows %s, want %s", got, want)
		}
	})
	t.Run("requested columns", func(t *testing.T) {
		c := read(t, config.Files{Paths: []string{filepath.Join(dir, "e.ndjson")}},
			Options{Columns: []string{"event_name", "sentiment"}}, span{})
		got := fmt.Sprint(c.rows[0], c.rows[5])
		wantRows := fmt.Sprint(
			map[string]string{"event_name": "<null>", "sentiment": "<null>", MalformedColumn: "false"},
			map[string]string{"event_name": `a"bé`, "sentiment": "<null>", MalformedColumn: "false"})
		if got != wantRows {
			t.Errorf("got %s, want %s", got, wantRows)
		}
	})
}

func TestGlobs(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{
		"a/x.csv", "a/y.csv", "a/_SUCCESS", "a/.x.csv.crc", "a/b/z.csv", "a/b/c/w.csv", "other/v.csv",
	} {
		writeFile(t, filepath.Join(dir, p), "k\n"+p+"\n")
	}
	cases := []struct {
		patterns []string
		want     string // matched files, relative to dir
		err      string
	}{
		{[]string{"a/*.csv"}, "a/x.csv a/y.csv", ""},
		{[]string{"a/*"}, "a/x.csv a/y.csv", ""}, // _SUCCESS and .crc skipped
		{[]string{"a/**/*.csv"}, "a/b/c/w.csv a/b/z.csv a/x.csv a/y.csv", ""},
		{[]string{"*/b/z.csv"}, "a/b/z.csv", ""},
		{[]string{"a/x.csv", "a/*.csv"}, "a/x.csv a/y.csv", ""}, // no file twice
		{[]string{"a/[xy].csv"}, "a/x.csv a/y.csv", ""},
		{[]string{"a/*.parquet"}, "", `no file matches "` + dir + `/a/*.parquet"`},
		{[]string{"a/missing.csv"}, "", "no file matches"},
		{[]string{"a/*.txt"}, "", "no file matches"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.patterns, "+"), func(t *testing.T) {
			var abs []string
			for _, p := range c.patterns {
				abs = append(abs, filepath.Join(dir, p))
			}
			s, err := New(config.Files{Paths: abs}, Options{})
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			read, _, err := s.match(span{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range read {
				rel, _ := filepath.Rel(dir, f.path)
				got = append(got, filepath.ToSlash(rel))
			}
			if strings.Join(got, " ") != c.want {
				t.Errorf("matched %q, want %q", got, c.want)
			}
		})
	}
	t.Run("relative", func(t *testing.T) {
		t.Chdir(dir)
		c := read(t, config.Files{Paths: []string{"a/b/../*.csv", "./other/v.csv"}}, Options{}, span{})
		if got := strings.Join(c.column("k"), " "); got != "a/x.csv a/y.csv other/v.csv" {
			t.Errorf("read %q", got)
		}
	})
	t.Run("unknown extension", func(t *testing.T) {
		writeFile(t, filepath.Join(dir, "t/data.txt"), "x")
		_, err := New(config.Files{Paths: []string{filepath.Join(dir, "t/data.txt")}}, Options{})
		if err == nil || !strings.Contains(err.Error(), "data.txt") || !strings.Contains(err.Error(), "files.format") {
			t.Errorf("error %v", err)
		}
		c := read(t, config.Files{Paths: []string{filepath.Join(dir, "t/data.txt")}, Format: "csv"}, Options{}, span{})
		if len(c.rows) != 0 {
			t.Errorf("rows %v", c.rows)
		}
	})
}

func TestFormatOf(t *testing.T) {
	cases := []struct {
		configured, name, format string
		gz                       bool
		err                      bool
	}{
		{"auto", "x.parquet", "parquet", false, false},
		{"", "x.PQ", "parquet", false, false},
		{"auto", "x.csv", "csv", false, false},
		{"auto", "x.csv.gz", "csv", true, false},
		{"auto", "x.ndjson", "ndjson", false, false},
		{"auto", "x.jsonl.gz", "ndjson", true, false},
		{"auto", "x.json", "ndjson", false, false},
		{"auto", "x.txt", "", false, true},
		{"auto", "x.parquet.gz", "", false, true},
		{"csv", "x.txt", "csv", false, false},
		{"ndjson", "x.log.gz", "ndjson", true, false},
		{"xml", "x.xml", "", false, true},
	}
	for _, c := range cases {
		format, gz, err := formatOf(c.configured, c.name)
		if (err != nil) != c.err || format != c.format || gz != c.gz {
			t.Errorf("formatOf(%q, %q) = %q, %v, %v; want %q, %v, error %v", c.configured, c.name, format, gz, err, c.format, c.gz, c.err)
		}
	}
}

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestPartitionPruning(t *testing.T) {
	cases := []struct {
		path      string
		partition string // "" for none
	}{
		{"events/date=2026-01-05/part-0.parquet", "2026-01-05"},
		{"events/dt=2026-01-05/hour=3/part-0.parquet", "2026-01-05"},
		{"events/year=2026/date=2026-01-05/x.csv", "2026-01-05"},
		{"events/date=2026-1-5/x.csv", ""},
		{"events/date=20260105/x.csv", ""},
		{"date=2026-01-05.csv", ""}, // a file name, not a folder
		{"events/x.csv", ""},
	}
	for _, c := range cases {
		got := partitionDay(c.path)
		if (c.partition == "" && !got.IsZero()) || (c.partition != "" && !got.Equal(day(c.partition))) {
			t.Errorf("partitionDay(%q) = %v, want %q", c.path, got, c.partition)
		}
	}
	r := span{day("2026-01-05"), day("2026-01-07")} // days 5 and 6
	prune := []struct {
		day    string
		pruned bool
	}{
		{"2026-01-03", true},
		{"2026-01-04", false}, // one day of slack: its events may be on the 5th in the report zone
		{"2026-01-05", false},
		{"2026-01-06", false},
		{"2026-01-07", false}, // slack after
		{"2026-01-08", true},
	}
	for _, c := range prune {
		if got := pruned(day(c.day), r); got != c.pruned {
			t.Errorf("pruned(%s) = %v, want %v", c.day, got, c.pruned)
		}
	}
	if pruned(day("2026-01-01"), span{}) || pruned(time.Time{}, r) {
		t.Error("an unbounded range or a file outside partitions was pruned")
	}
	if !pruned(day("2026-01-01"), span{start: day("2026-02-01")}) || pruned(day("2026-03-01"), span{start: day("2026-02-01")}) {
		t.Error("an open-ended range pruned wrong")
	}

	// A real read: only the kept folders are opened, and Plan and Describe say what was pruned.
	dir := t.TempDir()
	for d := 1; d <= 10; d++ {
		p := filepath.Join(dir, fmt.Sprintf("date=2026-01-%02d", d), "events.csv")
		writeFile(t, p, fmt.Sprintf("customer_id,day\nc,%d\n", d))
	}
	// Pruned, so never opened.
	if err := os.WriteFile(filepath.Join(dir, "date=2026-01-02", "broken.csv.gz"), []byte("not gzip"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := config.Files{Paths: []string{filepath.Join(dir, "*", "*.csv*")}}
	s, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.LastRead() != "" {
		t.Errorf("last read %q before any read", s.LastRead())
	}
	plan, bytes, err := s.Plan(context.Background(), r.start, r.end)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan, "4 files to read") || !strings.Contains(plan, "7 files pruned") ||
		!strings.Contains(plan, "date=2026-01-08") || bytes <= 0 {
		t.Errorf("plan %s, %d bytes", plan, bytes)
	}
	var c collected
	if err := s.Read(context.Background(), r.start, r.end, c.emit); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.column("day"), " "); got != "4 5 6 7" {
		t.Errorf("read days %s, want 4 5 6 7", got)
	}
	if d := s.Describe(); !strings.Contains(d, "read 4 files") || !strings.Contains(d, "7 files pruned") {
		t.Errorf("describe %q", d)
	}
	// LastRead lists what that read opened and pruned, from what the read knew: it still lists
	// the pruned files after they are gone from the disk.
	if err := os.RemoveAll(filepath.Join(dir, "date=2026-01-08")); err != nil {
		t.Fatal(err)
	}
	last := s.LastRead()
	if !strings.Contains(last, "4 files read") || !strings.Contains(last, "7 files pruned") ||
		!strings.Contains(last, filepath.Join("date=2026-01-05", "events.csv")+"\tcsv") || !strings.Contains(last, "date=2026-01-08") {
		t.Errorf("last read %q", last)
	}
	if err := s.Read(context.Background(), time.Time{}, time.Time{}, c.emit); err == nil || !strings.Contains(err.Error(), "broken.csv.gz") {
		t.Errorf("reading everything: error %v, want the broken file named", err)
	}
}

func TestFSRoot(t *testing.T) {
	dir := t.TempDir()
	writeParquet(t, filepath.Join(dir, "e.parquet"), 2500, 1000)
	pq, err := os.ReadFile(filepath.Join(dir, "e.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		"testdata/sample/events.parquet":        {Data: pq},
		"testdata/sample/spend.csv":             {Data: []byte("date,touchpoint,cost\n2026-01-01,email,1.50\n")},
		"testdata/sample/date=2026-01-01/x.csv": {Data: []byte("a\n1\n")},
	}
	c := read(t, config.Files{Paths: []string{"testdata/sample/events.parquet"}}, Options{FS: fsys, Parallel: 2}, span{})
	if len(c.rows) != 2500 {
		t.Errorf("read %d rows from the FS, want 2500", len(c.rows))
	}
	c = read(t, config.Files{Paths: []string{"./testdata/sample/*.csv"}}, Options{FS: fsys}, span{})
	if fmt.Sprint(c.rows) != "[map[__malformed:false cost:1.50 date:2026-01-01 touchpoint:email]]" {
		t.Errorf("rows %v", c.rows)
	}
	s, err := New(config.Files{Paths: []string{"testdata/**/*.csv"}}, Options{FS: fsys})
	if err != nil {
		t.Fatal(err)
	}
	plan, _, _ := s.Plan(context.Background(), day("2026-02-01"), day("2026-03-01"))
	if !strings.Contains(plan, "1 file to read") || !strings.Contains(plan, "1 file pruned") {
		t.Errorf("plan %s", plan)
	}
	if _, err := New(config.Files{Paths: []string{"../x.csv"}}, Options{FS: fsys}); err == nil {
		t.Error("a path leaving the FS was accepted")
	}
	if _, err := New(config.Files{Paths: []string{"testdata/*.parquet"}}, Options{FS: fsys}); err == nil || !strings.Contains(err.Error(), `"testdata/*.parquet"`) {
		t.Errorf("error %v, want the pattern named", err)
	}
}

func TestEmitErrorStopsRead(t *testing.T) {
	dir := t.TempDir()
	for i := range 4 {
		writeParquet(t, filepath.Join(dir, fmt.Sprintf("p%d.parquet", i)), 5000, 1000)
	}
	s, err := New(config.Files{Paths: []string{filepath.Join(dir, "*.parquet")}}, Options{BatchRows: 500})
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	var mu sync.Mutex
	calls := 0
	err = s.Read(context.Background(), time.Time{}, time.Time{}, func(arrow.Record) error {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 3 {
			return stop
		}
		return nil
	})
	if err != stop {
		t.Errorf("error %v, want emit's error as is", err)
	}
	if calls > 10 {
		t.Errorf("%d emits after the error, want the read stopped", calls)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Read(ctx, time.Time{}, time.Time{}, func(arrow.Record) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled read: error %v", err)
	}
}

func BenchmarkParquetRead(b *testing.B) {
	dir := b.TempDir()
	const rows = 1 << 20
	path := filepath.Join(dir, "bench.parquet")
	writeParquet(b, path, rows, 256<<10)
	info, _ := os.Stat(path)
	s, err := New(config.Files{Paths: []string{path}}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(info.Size())
	b.ResetTimer()
	for range b.N {
		var mu sync.Mutex
		var n int64
		err := s.Read(context.Background(), time.Time{}, time.Time{}, func(rec arrow.Record) error {
			mu.Lock()
			n += rec.NumRows()
			mu.Unlock()
			return nil
		})
		if err != nil || n != rows {
			b.Fatalf("read %d rows, %v", n, err)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func TestSchema(t *testing.T) {
	dir := t.TempDir()
	writeParquet(t, filepath.Join(dir, "a.parquet"), 100, 100)
	writeFile(t, filepath.Join(dir, "empty.csv"), "")
	writeFile(t, filepath.Join(dir, "x.csv"), "customer_id,when\nc1,2026-01-01\n")
	writeFile(t, filepath.Join(dir, "x.ndjson"), `{"b": 1, "a": "x"}`+"\n")
	cases := []struct {
		pattern string
		columns []string
		want    string
	}{
		{"a.parquet", nil, "customer_id:utf8 event_time:timestamp[us, tz=UTC] event_name:dictionary<values=utf8, indices=int32, ordered=false> touchpoint:dictionary<values=utf8, indices=int32, ordered=false> revenue:float64"},
		{"a.parquet", []string{"revenue", "customer_id"}, "customer_id:utf8 revenue:float64"},
		{"*.csv", nil, "customer_id:utf8 when:utf8 __malformed:bool"},
		{"x.ndjson", nil, "b:utf8 a:utf8 __malformed:bool"},
	}
	for _, c := range cases {
		s, err := New(config.Files{Paths: []string{filepath.Join(dir, c.pattern)}}, Options{Columns: c.columns})
		if err != nil {
			t.Fatal(err)
		}
		sc, err := s.Schema(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range sc.Fields() {
			got = append(got, f.Name+":"+f.Type.String())
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%s %v: schema %s, want %s", c.pattern, c.columns, strings.Join(got, " "), c.want)
		}
	}
}

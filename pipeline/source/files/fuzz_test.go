package files

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/journeykpi/journeykpi/config"
)

// readAll reads every row of the one file name in fsys, discarding them; errors are fine, a
// panic is not.
func readAll(t *testing.T, fsys fstest.MapFS, name, format string) {
	t.Helper()
	s, err := New(config.Files{Paths: []string{name}, Format: format}, Options{FS: fsys, Parallel: 2, BatchRows: 64})
	if err != nil {
		return
	}
	_ = s.Read(context.Background(), time.Time{}, time.Time{}, func(rec arrow.Record) error {
		for i := range int(rec.NumCols()) {
			_ = rec.Column(i).Len()
		}
		return nil
	})
	_, _ = s.Schema(context.Background())
	_, _, _ = s.Plan(context.Background(), time.Time{}, time.Time{})
	_, _ = s.Fingerprint(context.Background(), time.Time{}, time.Time{})
}

// FuzzCSV: any bytes as a CSV file read as rows (bad ones flagged malformed) or fail, never
// panic.
func FuzzCSV(f *testing.F) {
	f.Add([]byte("customer_id,event_time,event_name\n1,2026-03-01T10:00:00Z,page_view\n"))
	f.Add([]byte("a,b\n\"x\"\"y\",2\n\"unterminated\n"))
	f.Add([]byte("a;b\n1;2\n"))
	f.Add([]byte("\xef\xbb\xbfa,b\r\n1,2,3\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		readAll(t, fstest.MapFS{"e.csv": {Data: data}}, "e.csv", "csv")
	})
}

// FuzzNDJSON: any bytes as an NDJSON file read as rows (bad lines flagged malformed) or fail,
// never panic.
func FuzzNDJSON(f *testing.F) {
	f.Add([]byte(`{"customer_id":1,"event_time":"2026-03-01T10:00:00Z","event_name":"page_view"}` + "\n"))
	f.Add([]byte(`{"a":[1,2],"b":{"c":null}}` + "\n[1]\nnot json\n"))
	f.Add([]byte(`{"a":1e999}` + "\n" + `{"a":"\ud800"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		readAll(t, fstest.MapFS{"e.ndjson": {Data: data}}, "e.ndjson", "ndjson")
	})
}

// FuzzParquet: any bytes as a Parquet file — a small one with pages, checksums, headers or the
// footer damaged — read or fail with an error naming the file, never panic (Arrow's reader
// panics on some corrupt pages; readRowGroup recovers them).
func FuzzParquet(f *testing.F) {
	p := filepath.Join(f.TempDir(), "e.parquet")
	writeParquet(f, p, 300, 100)
	small, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(small)
	for _, off := range []int{8, len(small) / 3, len(small) / 2, len(small) - 200} {
		c := append([]byte(nil), small...)
		for i := off; i < off+16 && i < len(c); i++ {
			c[i] ^= 0x5a
		}
		f.Add(c)
	}
	f.Add(small[:len(small)/2])
	f.Add([]byte("PAR1PAR1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		readAll(t, fstest.MapFS{"e.parquet": {Data: data}}, "e.parquet", "parquet")
	})
}

// TestCorruptParquetIsAnError: the bundled sample damaged at places where Arrow's reader panics
// (a zstd block that does not decode, a page past its buffer) and where it reports a bad CRC:
// each read fails with an error naming the file and the row group, and nothing panics.
func TestCorruptParquetIsAnError(t *testing.T) {
	sample, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "sample", "events.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	for _, off := range []int{100, 10073, 20046, 159668, 169641, 189587} {
		c := append([]byte(nil), sample...)
		for i := off; i < off+64; i++ {
			c[i] ^= 0x5a
		}
		s, err := New(config.Files{Paths: []string{"e.parquet"}}, Options{FS: fstest.MapFS{"e.parquet": {Data: c}}})
		if err != nil {
			t.Fatal(err)
		}
		err = s.Read(context.Background(), time.Time{}, time.Time{}, func(arrow.Record) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "files: e.parquet: row group ") {
			t.Errorf("damage at %d: error %v, want one naming the file and the row group", off, err)
		}
	}
	// A truncated file: its footer is gone.
	s, _ := New(config.Files{Paths: []string{"e.parquet"}}, Options{FS: fstest.MapFS{"e.parquet": {Data: sample[:len(sample)/2]}}})
	if s != nil {
		if err := s.Read(context.Background(), time.Time{}, time.Time{}, func(arrow.Record) error { return nil }); err == nil ||
			!strings.Contains(err.Error(), "e.parquet") {
			t.Errorf("truncated file: %v", err)
		}
	}
}

// FuzzGlob: any pattern over a small tree matches files or fails, never panics or leaves the
// file system.
func FuzzGlob(f *testing.F) {
	for _, p := range []string{"*.csv", "**/*.csv", "data/date=*/*.csv", "data/[a-", `data/\*`, "../x", "/abs/*", "data/**/**/x?.csv", ""} {
		f.Add(p)
	}
	fsys := fstest.MapFS{
		"a.csv":                       {Data: []byte("a\n1\n")},
		"data/date=2026-01-01/x1.csv": {Data: []byte("a\n1\n")},
		"data/date=2026-13-01/x2.csv": {Data: []byte("a\n1\n")},
		"data/deep/er/x3.csv":         {Data: []byte("a\n1\n")},
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		s, err := New(config.Files{Paths: []string{pattern}, Format: "csv"}, Options{FS: fsys})
		if err != nil {
			return
		}
		read, _, err := s.match(span{start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), end: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			return
		}
		for _, f := range read {
			if _, ok := fsys[f.name]; !ok {
				t.Fatalf("pattern %q matched %q, not a file of the FS", pattern, f.name)
			}
		}
	})
}

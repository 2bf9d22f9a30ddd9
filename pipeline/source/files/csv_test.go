package files

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/journeykpi/journeykpi/config"
)

// rowsOf reads one CSV text with the given options and returns each row as "a|b|c" (null as
// "<null>"), malformed rows as "MALFORMED".
func rowsOf(t *testing.T, text string, c config.CSV) []string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "x.csv"), text)
	got := read(t, config.Files{Paths: []string{filepath.Join(dir, "x.csv")}, CSV: c}, Options{BatchRows: 3}, span{})
	var out []string
	for _, r := range got.rows {
		if r[MalformedColumn] == "true" {
			out = append(out, "MALFORMED")
			continue
		}
		var vals []string
		for _, f := range got.schemas[0].Fields() {
			if f.Name != MalformedColumn {
				vals = append(vals, r[f.Name])
			}
		}
		out = append(out, strings.Join(vals, "|"))
	}
	return out
}

// An unterminated quote makes its own line malformed and the read goes on at the next line,
// wherever the quote stands in the line; nothing after it is swallowed.
func TestCSVUnterminatedQuoteDoesNotEatTheFile(t *testing.T) {
	good := []string{"c1,2026-01-01,email", "c2,2026-01-02,social", "c3,2026-01-03,store"}
	bad := []string{
		`"c9,2026-01-09,email`,   // first column
		`c9,"2026-01-09,email`,   // middle column
		`c9,2026-01-09,"email`,   // last column
		`c9,2026-01-09,"em"ail"`, // text after a closing quote
		`c9,2026-01-09,email"`,   // a stray quote inside a field is text: not malformed
	}
	for pos, b := range bad {
		t.Run(fmt.Sprint(pos), func(t *testing.T) {
			lines := append([]string{"customer_id,event_time,touchpoint", good[0], b}, good[1:]...)
			// A later line with a quote of its own must not close the broken one.
			lines = append(lines, `c4,2026-01-04,"web, shop"`)
			got := rowsOf(t, strings.Join(lines, "\n")+"\n", config.CSV{})
			want := []string{"c1|2026-01-01|email", "MALFORMED", "c2|2026-01-02|social", "c3|2026-01-03|store", "c4|2026-01-04|web, shop"}
			if pos == 4 {
				want[1] = `c9|2026-01-09|email"`
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s:\n got %q\nwant %q", b, got, want)
			}
		})
	}
	// A quoted field that does run over lines, and closes into a record of the right size, is
	// one record.
	got := rowsOf(t, "a,b\n\"multi\nline\",2\n3,4\n", config.CSV{})
	if strings.Join(got, ";") != "multi\nline|2;3|4" {
		t.Errorf("multi-line field: %q", got)
	}
	// An open quote at the end of the file.
	got = rowsOf(t, "a,b\n1,2\n3,\"4\n", config.CSV{})
	if strings.Join(got, ";") != "1|2;MALFORMED" {
		t.Errorf("open quote at the end: %q", got)
	}
}

func TestCSVFormats(t *testing.T) {
	for _, c := range []struct {
		name, text string
		csv        config.CSV
		want       string
	}{
		{"whitespace runs, leading space, CRLF", " customer_id  date number_of_cds  dollar_value\r\n 00001 19970101  1   11.77\r\n 00002 19970112  1   12.00\r\n",
			config.CSV{Delimiter: "whitespace"}, "00001|19970101|1|11.77;00002|19970112|1|12.00"},
		{"no header, named columns", " 00004 0001 19970101  2   29.33\r\n 00004 0001 19970118  2   29.73\r\n",
			config.CSV{Delimiter: "whitespace", Columns: []string{"customer_id", "sample_id", "date", "cds", "dollars"}},
			"00004|0001|19970101|2|29.33;00004|0001|19970118|2|29.73"},
		{"semicolon and comment lines", "# exported 2026-01-01\na;b\n1;\"x;y\"\n# a note\n2;z\n",
			config.CSV{Delimiter: ";", Comment: "#"}, "1|x;y;2|z"},
		{"tab", "a\tb\n1\t2\n", config.CSV{Delimiter: `\t`}, "1|2"},
		{"whitespace with a wrong field count", "a b\n1 2\n1 2 3\n", config.CSV{Delimiter: "whitespace"}, "1|2;MALFORMED"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := strings.Join(rowsOf(t, c.text, c.csv), ";"); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// A file reached twice, through two overlapping globs or a symbolic link, is read once, and a
// loop of links is harmless.
// A CSV file that is not UTF-8 (a Latin-1 or Windows-1252 export) is read, not refused as binary
// data: its bytes come through as they are.
func TestCSVNotUTF8IsReadAsItIs(t *testing.T) {
	got := rowsOf(t, "customer_id,touchpoint\nc1,caf\xe9\nc2,\x93quoted\x94 \xa320\n", config.CSV{})
	want := []string{"c1|caf\xe9", "c2|\x93quoted\x94 \xa320"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows %q, want %q", got, want)
	}
}

func TestFileReachedTwiceIsReadOnce(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "data", "events.csv"), "k\nv\n")
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink(filepath.Join(dir, "data", "events.csv"), filepath.Join(dir, "data", "alias.csv")))
	must(os.Symlink(filepath.Join(dir, "data"), filepath.Join(dir, "mirror")))
	// A loop: a → b → a, and a folder linking to itself.
	must(os.Symlink(filepath.Join(dir, "data", "b.csv"), filepath.Join(dir, "data", "a.csv")))
	must(os.Symlink(filepath.Join(dir, "data", "a.csv"), filepath.Join(dir, "data", "b.csv")))
	must(os.Symlink(filepath.Join(dir, "data"), filepath.Join(dir, "data", "self")))
	got := read(t, config.Files{Paths: []string{
		filepath.Join(dir, "data", "*.csv"), filepath.Join(dir, "data", "events.csv"),
		filepath.Join(dir, "mirror", "*.csv"), filepath.Join(dir, "**", "*.csv"),
	}}, Options{}, span{})
	if len(got.rows) != 1 {
		t.Errorf("read %d rows, want the one row of the one file", len(got.rows))
	}
}

// A file whose content is not its extension's format says so, and what it looks like.
func TestContentNotItsExtensionsFormat(t *testing.T) {
	dir := t.TempDir()
	writeParquet(t, filepath.Join(dir, "real.parquet"), 10, 10)
	pq, err := os.ReadFile(filepath.Join(dir, "real.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	csv := []byte("customer_id,event_time,event_name\nc1,2026-03-01,page_view\n")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(csv)
	zw.Close()
	// Bytes of every value but NUL, as compressed or encrypted data holds: not UTF-8, and
	// about 1 in 9 a control character.
	noise := make([]byte, 512)
	for i := range noise {
		noise[i] = byte(i*37 + 11)
		if noise[i] == 0 {
			noise[i] = 1
		}
	}
	for name, c := range map[string]struct {
		content []byte
		want    string
	}{
		"csv.parquet":  {csv, `not a Parquet file: it looks like text, as CSV (first line "customer_id,event_time,event_name")`},
		"pq.csv":       {pq, "not a CSV file: it looks like Parquet"},
		"csv.ndjson":   {csv, `not an NDJSON file: it looks like text, as CSV (first line "customer_id,event_time,event_name")`},
		"gz.csv":       {gz.Bytes(), "not a CSV file: it looks like gzip-compressed data"},
		"plain.csv.gz": {csv, "not gzip-compressed, though named .gz: it looks like text, as CSV"},
		"empty.csv.gz": {nil, "empty or cut short: named .gz, but it ends before a whole gzip header"},
		"cut.csv.gz":   {gz.Bytes()[:5], "empty or cut short"},
		"book.csv":     {[]byte("PK\x03\x04\x14\x00\x06\x00"), "not a CSV file: it looks like a ZIP archive"},
		"nul.csv":      {[]byte("customer_id\nc1\x00\x00\x00\n"), "not a CSV file: it looks like binary data"},
		"noise.csv":    {noise, "not a CSV file: it looks like binary data"},
		// Text that is not UTF-8 is text.
		"latin1.parquet": {[]byte("customer_id,caf\xe9\nc1,x\n"), `not a Parquet file: it looks like text, as CSV (first line "customer_id,caf\xe9")`},
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, c.content, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := New(config.Files{Paths: []string{p}}, Options{})
		if err == nil {
			err = s.Read(context.Background(), time.Time{}, time.Time{}, func(arrow.Record) error { return nil })
		}
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}

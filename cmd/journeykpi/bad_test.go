package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
	"go.yaml.in/yaml/v3"
)

var writeFixtures = flag.Bool("write-fixtures", false, "rewrite the binary fixtures of testdata/bad/fixtures")

// badCase is one case of the bad-input corpus, testdata/bad/cases.yaml.
type badCase struct {
	Name string `yaml:"name"`
	// Config is the config file; empty means defaultBadConfig (events.* read, up to 90% of the
	// rows rejected: the cases that count rejected rows have few good ones).
	Config string `yaml:"config"`
	// Files are written into the case's folder as they are; Gzip compressed; Fixtures copied
	// from testdata/bad/fixtures; Links made as symbolic links to a file of the folder.
	Files    map[string]string `yaml:"files"`
	Gzip     map[string]string `yaml:"gzip"`
	Fixtures map[string]string `yaml:"fixtures"`
	Links    map[string]string `yaml:"links"`
	// Args are the run's arguments after the config; empty means the March 2026 window.
	Args []string `yaml:"args"`
	// Exit is the expected exit code; Message a fragment of stderr (one line for exit 1, 2, 3).
	Exit    int    `yaml:"exit"`
	Message string `yaml:"message"`
	// Reasons are the rejected rows by reason of a report written (exit 0), exactly; Quality
	// other data_quality counts it must have.
	Reasons map[string]int64 `yaml:"reasons"`
	Quality map[string]int64 `yaml:"quality"`
}

const defaultBadConfig = `source: {files: {paths: ["events.*"]}}
quality: {max_reject_ratio: 0.9}
report: {name: bad}
`

// TestBadInputs runs every case of the bad-input corpus (testdata/bad/cases.yaml) through the
// command, in a folder of its own: its exit code, a fragment of its message, the rejected rows
// counted by reason when a report is written, and nothing but the run's ledger and lock left in
// the output folder when none is.
func TestBadInputs(t *testing.T) {
	root := moduleRoot(t)
	fixtures := filepath.Join(root, "testdata", "bad", "fixtures")
	if *writeFixtures {
		writeBadFixtures(t, fixtures)
	}
	b, err := os.ReadFile(filepath.Join(root, "testdata", "bad", "cases.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []badCase
	if err := yaml.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 60 {
		t.Errorf("the corpus has %d cases, fewer than 60", len(cases))
	}
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.Name] {
			t.Errorf("case %q appears twice", c.Name)
		}
		seen[c.Name] = true
		t.Run(c.Name, func(t *testing.T) {
			dir := t.TempDir()
			write := func(name string, data []byte) {
				p := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for name, text := range c.Files {
				write(name, []byte(text))
			}
			for name, text := range c.Gzip {
				var buf bytes.Buffer
				zw := gzip.NewWriter(&buf)
				zw.Write([]byte(text))
				zw.Close()
				write(name, buf.Bytes())
			}
			for name, fixture := range c.Fixtures {
				data, err := os.ReadFile(filepath.Join(fixtures, fixture))
				if err != nil {
					t.Fatal(err)
				}
				write(name, data)
			}
			for name, target := range c.Links {
				if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
					t.Fatal(err)
				}
			}
			config := c.Config
			if config == "" {
				config = defaultBadConfig
			}
			write("config.yaml", []byte(config))
			args := c.Args
			if len(args) == 0 {
				args = []string{"--from", "2026-03-01", "--to", "2026-03-31"}
			}
			t.Chdir(dir)
			code, stdout, stderr := runCmd(t, append([]string{"run", "--config", "config.yaml", "--out", "out"}, args...)...)
			if code != c.Exit {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, c.Exit, stderr)
			}
			if !strings.Contains(stderr, c.Message) {
				t.Errorf("stderr lacks %q:\n%s", c.Message, stderr)
			}
			left, _ := os.ReadDir("out")
			if code != exitOK {
				// Log lines aside, a failure is one plain line.
				if plain := plainLines(stderr); len(plain) != 1 || !strings.HasPrefix(plain[0], "journeykpi: ") {
					t.Errorf("a failure is one plain line; stderr:\n%s", stderr)
				}
				for _, e := range left {
					// The run's ledger and lock are its state (docs/operations.md), not a report.
					if n := e.Name(); n != "journeykpi-ledger.json" && n != "journeykpi.lock" {
						t.Errorf("a failed run left %s in the output folder", n)
					}
				}
				return
			}
			var rep struct {
				DataQuality map[string]json.RawMessage `json:"data_quality"`
			}
			jsonPath := strings.TrimSpace(strings.Split(stdout, "\n")[1])
			data, err := os.ReadFile(jsonPath)
			if err != nil || json.Unmarshal(data, &rep) != nil {
				t.Fatalf("report %s: %v", jsonPath, err)
			}
			var reasons map[string]int64
			json.Unmarshal(rep.DataQuality["rejected_by_reason"], &reasons)
			if len(reasons) != len(c.Reasons) {
				t.Errorf("rejected by reason %v, want %v", reasons, c.Reasons)
			}
			for k, v := range c.Reasons {
				if reasons[k] != v {
					t.Errorf("rejected %s: %d, want %d (all: %v)", k, reasons[k], v, reasons)
				}
			}
			for k, v := range c.Quality {
				var got int64
				if err := json.Unmarshal(rep.DataQuality[k], &got); err != nil || got != v {
					t.Errorf("data_quality.%s: %s, want %d", k, rep.DataQuality[k], v)
				}
			}
		})
	}
}

// writeBadFixtures writes the binary files of the corpus: Parquet files with no row, with
// integer customer ids, and with times in epoch seconds.
func writeBadFixtures(t *testing.T, dir string) {
	ts := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	at := func(day, hour int) arrow.Timestamp {
		return arrow.Timestamp(time.Date(2026, 3, day, hour, 0, 0, 0, time.UTC).UnixMicro())
	}
	write := func(name string, fields []arrow.Field, fill func(b *array.RecordBuilder)) {
		sc := arrow.NewSchema(fields, nil)
		b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
		defer b.Release()
		fill(b)
		rec := b.NewRecord()
		defer rec.Release()
		tbl := array.NewTableFromRecords(sc, []arrow.Record{rec})
		defer tbl.Release()
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := pqarrow.WriteTable(tbl, f, 1024, nil, pqarrow.DefaultWriterProps()); err != nil {
			t.Fatal(err)
		}
	}
	events := []arrow.Field{{Name: "customer_id", Type: arrow.BinaryTypes.String}, {Name: "event_time", Type: ts},
		{Name: "event_name", Type: arrow.BinaryTypes.String}}
	write("zero-rows.parquet", events, func(*array.RecordBuilder) {})
	write("events.parquet", events, func(b *array.RecordBuilder) {
		for i, c := range []string{"a", "b", "c"} {
			b.Field(0).(*array.StringBuilder).Append(c)
			b.Field(1).(*array.TimestampBuilder).Append(at(2+i, 10))
			b.Field(2).(*array.StringBuilder).Append("page_view")
		}
	})
	write("int-customers.parquet", []arrow.Field{{Name: "customer_id", Type: arrow.PrimitiveTypes.Int64}, {Name: "event_time", Type: ts},
		{Name: "event_name", Type: arrow.BinaryTypes.String}, {Name: "order_id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "revenue", Type: arrow.PrimitiveTypes.Float64, Nullable: true}}, func(b *array.RecordBuilder) {
		b.Field(0).(*array.Int64Builder).AppendValues([]int64{7, 8}, nil)
		b.Field(1).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{at(2, 10), at(3, 10)}, nil)
		b.Field(2).(*array.StringBuilder).AppendValues([]string{"page_view", "purchase"}, nil)
		b.Field(3).(*array.Int64Builder).AppendValues([]int64{0, 100}, []bool{false, true})
		b.Field(4).(*array.Float64Builder).AppendValues([]float64{0, 30}, []bool{false, true})
	})
	write("epoch-seconds.parquet", []arrow.Field{{Name: "customer_id", Type: arrow.BinaryTypes.String},
		{Name: "event_time", Type: arrow.PrimitiveTypes.Int64}, {Name: "event_name", Type: arrow.BinaryTypes.String}}, func(b *array.RecordBuilder) {
		b.Field(0).(*array.StringBuilder).AppendValues([]string{"a", "b"}, nil)
		b.Field(1).(*array.Int64Builder).AppendValues([]int64{1772445600, 1772532000}, nil)
		b.Field(2).(*array.StringBuilder).AppendValues([]string{"page_view", "page_view"}, nil)
	})
}

// plainLines are the lines of stderr that are not JSON log lines.
func plainLines(stderr string) []string {
	var plain []string
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if !strings.HasPrefix(l, "{") {
			plain = append(plain, l)
		}
	}
	return plain
}

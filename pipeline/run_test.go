package pipeline

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/journeykpi/journeykpi"
	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/internal/fault"
	"github.com/journeykpi/journeykpi/internal/memsource"
	"github.com/journeykpi/journeykpi/internal/offheap"
	"github.com/journeykpi/journeykpi/pipeline/window"
)

// hangUpSource emits its rows, then behaves as a remote stream does when its context ends: it
// fails with an error of its own that does not wrap the context's.
type hangUpSource struct{ *memsource.Source }

func (s hangUpSource) Read(ctx context.Context, start, end time.Time, emit func(arrow.Record) error) error {
	if err := s.Source.Read(ctx, start, end, emit); err != nil {
		return err
	}
	<-ctx.Done()
	return errors.New("stream: transport is closing")
}

// TestCancelledRunSaysSoAndLeavesNothing: a run cancelled during its read returns an error that
// is context.Canceled (exit 130, ledger "interrupted"), whatever the source made of it, and leaves
// neither report files nor spill files.
func TestCancelledRunSaysSoAndLeavesNothing(t *testing.T) {
	cfg := testConfig(t)
	cfg.Engine.TempDir = t.TempDir()
	cfg.Engine.MemoryBudget = 1 // spill everything
	out := t.TempDir()
	src := hangUpSource{memsource.CSV(`
customer_id,event_time,event_name
c1,2026-03-01T10:00:00Z,page_view
c2,2026-03-01T11:00:00Z,purchase
`, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	w, _ := window.Day("2026-03-01", time.UTC)
	_, err := Run(ctx, Job{Config: cfg, Window: w, Out: out, Source: src})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v is not context.Canceled", err)
	}
	for _, dir := range []string{out, cfg.Engine.TempDir} {
		if es, _ := os.ReadDir(dir); len(es) != 0 {
			t.Errorf("%s holds %d entries after a cancelled run", dir, len(es))
		}
	}
}

// TestSameReportWhateverWorkersAndBudget: the bundled sample gives byte-identical workbook and
// JSON with one worker and everything in memory as with more workers spilling rows and folding
// partitions split into pieces of a few rows (a budget of 1 byte: pieces of 16 rows) or a few
// thousand (SPEC §5: the same input and config give the same bytes; the budget and the machine
// are not input).
func TestSameReportWhateverWorkersAndBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the bundled sample twice; -short")
	}
	cfg, err := config.Example()
	if err != nil {
		t.Fatal(err)
	}
	w, err := window.Parse("2026-03-01", "2026-03-31", cfg.Location())
	if err != nil {
		t.Fatal(err)
	}
	runs := []struct {
		workers int
		budget  config.ByteSize
	}{{1, 1 << 30}, {4, 1}, {2, 1 << 20}, {3, 5 << 20}}
	files := make([][]string, len(runs))
	for i, e := range runs {
		c := cfg
		c.Engine.Workers, c.Engine.MemoryBudget, c.Engine.TempDir = e.workers, e.budget, t.TempDir()
		o, err := Run(context.Background(), Job{Config: c, Window: w, Out: t.TempDir(), FS: journeykpi.Sample(), Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		files[i] = o.Files
		if n := offheap.InUse(); n != 0 {
			t.Errorf("%d bytes of rows still mapped after the run with %+v: a scheduler would keep them", n, e)
		}
	}
	for i := range runs[1:] {
		i++
		if len(files[0]) != 2 || len(files[i]) != 2 {
			t.Fatalf("files %v", files)
		}
		for k := range files[0] {
			a, errA := zipOrFile(files[0][k])
			b, errB := zipOrFile(files[i][k])
			if errA != nil || errB != nil {
				t.Fatal(errA, errB)
			}
			if len(a) != len(b) {
				t.Errorf("%s has %d parts with 1 worker, %d with %+v", filepath.Base(files[0][k]), len(a), len(b), runs[i])
			}
			for part := range a {
				if !bytes.Equal(a[part], b[part]) {
					t.Errorf("%s %s differs between 1 worker in memory and %+v", filepath.Base(files[0][k]), part, runs[i])
				}
			}
		}
	}
}

// zipOrFile returns a workbook's parts by name, all but the About sheet (which shows the engine
// settings, the one thing that differs); any other file is one part.
func zipOrFile(path string) (map[string][]byte, error) {
	if filepath.Ext(path) != ".xlsx" {
		b, err := os.ReadFile(path)
		return map[string][]byte{"": b}, err
	}
	z, err := zip.OpenReader(path)
	if err != nil {
		return nil, err
	}
	defer z.Close()
	parts := map[string][]byte{}
	for _, f := range z.File {
		if f.Name == "xl/worksheets/sheet12.xml" { // About
			continue
		}
		r, err := f.Open()
		if err != nil {
			return nil, err
		}
		parts[f.Name], err = io.ReadAll(r)
		r.Close()
		if err != nil {
			return nil, err
		}
	}
	return parts, nil
}

// testConfig is the default config, valid, with a files source the tests replace.
func testConfig(t *testing.T) config.Config {
	t.Helper()
	c := config.Default()
	c.Source.Files.Paths = []string{"unused"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestNoDataFailsAndPartialPeriodsWarn: a period with no event fails with exit 3 naming the
// period and what was read, and leaves nothing; a period the data cover in part is written with
// its warnings in the JSON and the manifest.
func TestNoDataFailsAndPartialPeriodsWarn(t *testing.T) {
	cfg := testConfig(t)
	src := memsource.CSV(`
customer_id,event_time,event_name
c1,2026-03-01T10:00:00Z,page_view
c2,2026-03-09T11:00:00Z,page_view
`, 0)
	out := t.TempDir()
	w, _ := window.Parse("2026-04-01", "2026-04-30", time.UTC)
	_, err := Run(context.Background(), Job{Config: cfg, Window: w, Out: out, Source: src})
	if !errors.Is(err, ErrNoData) || fault.KindOf(err) != fault.Data ||
		!strings.Contains(err.Error(), "2026-04-01..2026-04-30") || !strings.Contains(err.Error(), "2026-03-01T10:00:00Z to 2026-03-09T11:00:00Z") {
		t.Fatalf("error %v, want no data naming the period and the events read", err)
	}
	if es, _ := os.ReadDir(out); len(es) != 0 {
		t.Errorf("a run with no data left %d files", len(es))
	}

	w, _ = window.Parse("2026-03-01", "2026-03-31", time.UTC)
	o, err := Run(context.Background(), Job{Config: cfg, Window: w, Out: out, Source: src})
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, wn := range o.Result.Warnings {
		codes = append(codes, wn.Code)
	}
	if !slices.Equal(codes, []string{DataEndsEarly, ComparisonBeforeData, HistoryShort}) {
		t.Errorf("warnings %v, want the data ending early, February before the data and a short history", codes)
	}
	m, err := os.ReadFile(OutputBase(out, cfg.Report.Name, w) + ".manifest.json")
	if err != nil || !strings.Contains(string(m), `"code": "data_ends_early"`) {
		t.Errorf("manifest lacks the warning: %v\n%s", err, m)
	}
}

// TestLineItemsReadAsOrdersWarn: orders whose events carry different revenue values under
// source.order_lines: first are counted and warned about, naming the setting; under sum they are
// the order's lines and add up.
func TestLineItemsReadAsOrdersWarn(t *testing.T) {
	src := func() *memsource.Source {
		return memsource.CSV(`
customer_id,event_time,event_name,order_id,line_id,revenue
c1,2026-03-02T10:00:00Z,page_view,<null>,<null>,<null>
c1,2026-03-02T10:05:00Z,purchase,o1,A,10
c1,2026-03-02T10:05:00Z,purchase,o1,B,5
c2,2026-03-03T10:00:00Z,purchase,o2,A,10
`, 0)
	}
	w, _ := window.Parse("2026-03-01", "2026-03-31", time.UTC)
	for _, c := range []struct {
		lines   string
		revenue float64
		warn    bool
	}{{"first", 20, true}, {"sum", 25, false}} {
		cfg := testConfig(t)
		cfg.Source.OrderLines = c.lines
		o, err := Run(context.Background(), Job{Config: cfg, Window: w, Out: t.TempDir(), Source: src()})
		if err != nil {
			t.Fatal(err)
		}
		var warned bool
		for _, wn := range o.Result.Warnings {
			if wn.Code == OrdersLookLikeLines {
				warned = strings.Contains(wn.Message, "source.order_lines: sum") && strings.HasPrefix(wn.Message, "1 orders")
			}
		}
		if o.Result.Repeat.Revenue != c.revenue || warned != c.warn || (o.Result.DataQuality.OrdersRevenueDiffers == 1) != c.warn {
			t.Errorf("order_lines %s: revenue %v warned %v differs %d; want %v %v", c.lines, o.Result.Repeat.Revenue, warned,
				o.Result.DataQuality.OrdersRevenueDiffers, c.revenue, c.warn)
		}
	}
}

// A filter that leaves nothing in the period shows in the no-data line: rows read, filtered,
// rejected and kept.
func TestNoDataLineCountsTheFilteredRows(t *testing.T) {
	cfg := testConfig(t)
	cfg.Source.Where = "touchpoint != 'email'"
	cfg.Quality.MaxRejectRatio = 0.5
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	src := memsource.CSV(`
customer_id,event_time,event_name,touchpoint
c1,2026-03-01T10:00:00Z,page_view,email
c2,2026-03-09T11:00:00Z,page_view,email
c3,2026-02-09T11:00:00Z,page_view,social
c4,bad,page_view,social
`, 0)
	w, _ := window.Parse("2026-03-01", "2026-03-31", time.UTC)
	_, err := Run(context.Background(), Job{Config: cfg, Window: w, Out: t.TempDir(), Source: src})
	if !errors.Is(err, ErrNoData) || !strings.Contains(err.Error(), "4 rows read, 2 filtered out by source.where, 1 rejected, 1 kept") {
		t.Errorf("error %v", err)
	}
}

// With source.allow_refunds a negative revenue is a refund: it reduces revenue, adds no order.
func TestRefundsReduceRevenue(t *testing.T) {
	cfg := testConfig(t)
	cfg.Source.AllowRefunds = true
	src := memsource.CSV(`
customer_id,event_time,event_name,order_id,revenue
c1,2026-03-02T10:00:00Z,purchase,o1,100
c1,2026-03-05T10:00:00Z,purchase,o1,-30
c2,2026-03-03T10:00:00Z,purchase,o2,50
c3,2026-03-06T10:00:00Z,purchase,o9,-20
`, 0)
	w, _ := window.Parse("2026-03-01", "2026-03-31", time.UTC)
	o, err := Run(context.Background(), Job{Config: cfg, Window: w, Out: t.TempDir(), Source: src})
	if err != nil {
		t.Fatal(err)
	}
	r := o.Result.Repeat
	if r.Orders != 2 || r.Purchasers != 2 || r.Revenue != 100 || *r.AverageOrderValue != 50 {
		t.Errorf("orders %d purchasers %d revenue %v AOV %v; want 2, 2, 100 (100-30+50-20), 50", r.Orders, r.Purchasers, r.Revenue, *r.AverageOrderValue)
	}
	var trend float64
	for _, p := range o.Result.Trends.Points {
		trend += p.Revenue
	}
	if trend != 100 {
		t.Errorf("trend revenue %v, want 100", trend)
	}
}

// A source without a single row fails with exit 3 naming the files it read.
func TestSourceWithoutRowsNamesItsFiles(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "empty.csv"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "header.csv"), []byte("customer_id,event_time,event_name\n"), 0o644)
	cfg := testConfig(t)
	cfg.Source.Files.Paths = []string{filepath.Join(dir, "*.csv")}
	w, _ := window.Parse("2026-03-01", "2026-03-31", time.UTC)
	_, err := Run(context.Background(), Job{Config: cfg, Window: w, Out: t.TempDir()})
	if !errors.Is(err, ErrNoData) || fault.KindOf(err) != fault.Data || !strings.Contains(err.Error(), "the source has no rows at all") ||
		!strings.Contains(err.Error(), "empty.csv") || !strings.Contains(err.Error(), "header.csv") {
		t.Errorf("error %v", err)
	}
}

// TestABrokenRunGivesBackItsRows: a run whose read fails or panics after some batches were
// grouped (a read dropped half-way, a source meeting data it cannot handle) gives back the memory
// its rows were held in, as a finished run does: the scheduler recovers a panic and runs on for
// months in the same process.
func TestABrokenRunGivesBackItsRows(t *testing.T) {
	for _, panics := range []bool{false, true} {
		var csv strings.Builder
		csv.WriteString("customer_id,event_time,event_name\n")
		for i := range 200 {
			fmt.Fprintf(&csv, "c%d,2026-04-%02dT10:00:00Z,page_view\n", i, 1+i%28)
		}
		src := &brokenSource{Source: memsource.CSV(csv.String(), 50), after: 2, panics: panics}
		cfg := testConfig(t)
		cfg.Engine.MemoryBudget, cfg.Engine.TempDir = 1<<20, t.TempDir()
		w, _ := window.Parse("2026-04-01", "2026-04-30", time.UTC)
		var err error
		func() {
			defer func() {
				if p := recover(); p != nil && (!panics || p != errReadBroken) {
					t.Fatalf("recovered %v, want the read's own panic", p)
				}
			}()
			_, err = Run(context.Background(), Job{Config: cfg, Window: w, Out: t.TempDir(), Source: src})
			if panics {
				t.Fatalf("the run returned %v, want the read's panic", err)
			}
		}()
		if !panics && !errors.Is(err, errReadBroken) || src.emitted != 2 {
			t.Fatalf("panics %v: err %v after %d batches, want the read's own error after 2", panics, err, src.emitted)
		}
		if n := offheap.InUse(); n != 0 {
			t.Errorf("panics %v: %d bytes of rows still mapped after the run broke", panics, n)
		}
	}
}

var errReadBroken = errors.New("read broken")

// brokenSource emits after batches of its source, then fails (or panics) with errReadBroken.
type brokenSource struct {
	*memsource.Source
	after, emitted int
	panics         bool
}

func (s *brokenSource) Read(ctx context.Context, start, end time.Time, emit func(arrow.Record) error) error {
	return s.Source.Read(ctx, start, end, func(rec arrow.Record) error {
		if s.emitted == s.after {
			if s.panics {
				panic(errReadBroken)
			}
			return errReadBroken
		}
		s.emitted++
		return emit(rec)
	})
}

package schedule

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/journeykpi/journeykpi/pipeline/window"
)

// FuzzLedger: any bytes as the ledger file open or fail, never panic; one that opens answers
// every question the scheduler and status ask of it, plans no period twice, and after the dead
// runs are marked abandoned is written back whole, with none left running.
func FuzzLedger(f *testing.F) {
	f.Add([]byte(`{"runs":[{"run_id":"a","trigger":"schedule","scheduled":"2026-03-17T02:00:00Z","from":"2026-03-16","to":"2026-03-16","config_hash":"h","input":"files:1","start":"2026-03-17T02:00:00Z","outcome":"ok","rows_read":1,"files":["x"]}]}`))
	f.Add([]byte(`{"runs":[{"run_id":"b","from":"2026-03-16","to":"2026-03-15","outcome":"running","scheduled":"not a time"}]}`))
	f.Add([]byte(`{"runs":null}`))
	f.Add([]byte(`[]`))
	w, _ := window.Day("2026-03-16", time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, LedgerFile), data, 0o644); err != nil {
			t.Fatal(err)
		}
		l, err := OpenLedger(dir)
		if err != nil {
			return
		}
		l.Done(w, "h", "files:1")
		l.Latest(w)
		l.LastScheduled()
		c, _ := ParseCron("0 3 * * *", time.UTC)
		s := New(Options{Cron: c, Period: window.PreviousDay, RecomputeDays: 3, CatchUp: 7, Ledger: l, Location: time.UTC})
		at := time.Date(2026, 3, 18, 3, 0, 0, 0, time.UTC)
		seen := map[string]bool{}
		for _, w := range s.Plan(at) {
			if seen[w.String()] {
				t.Fatalf("%s planned twice", w)
			}
			seen[w.String()] = true
		}
		// What a starting process does with it: the dead runs marked, written back and read again.
		if _, err := l.Abandon(at); err != nil {
			t.Fatal(err)
		}
		again, err := OpenLedger(dir)
		if err != nil {
			t.Fatalf("the ledger written back does not open: %v", err)
		}
		if len(again.Entries()) != len(l.Entries()) {
			t.Fatalf("%d entries written back, %d read", len(l.Entries()), len(again.Entries()))
		}
		for _, e := range again.Entries() {
			if e.Outcome == OutcomeRunning {
				t.Fatalf("still running after Abandon: %+v", e)
			}
		}
	})
}

// FuzzParseCron: any cron expression parses or fails, never panics; one that parses gives fire
// times in order.
func FuzzParseCron(f *testing.F) {
	for _, s := range []string{"0 3 * * *", "@daily", "CRON_TZ=America/New_York 0 6 * * *", "*/0 * * * *", "0 0 31 2 *", "@every 1h", "TZ=Nowhere/X 0 0 * * *"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		c, err := ParseCron(spec, time.UTC)
		if err != nil {
			return
		}
		from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		fires := c.Between(from, from.AddDate(0, 0, 3), 50)
		for i := 1; i < len(fires); i++ {
			if !fires[i].After(fires[i-1]) {
				t.Fatalf("%q: fire times out of order: %v", spec, fires)
			}
		}
	})
}

package pipeline

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/journeykpi/journeykpi"
	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/pipeline/window"
)

// TestSplitReadSameReport: a report read with source.history: orders (before the previous
// period's look-back only purchase-stage events) equals the report read with all, except the
// data-quality counts, over random windows, look-backs and histories of the bundled sample.
func TestSplitReadSameReport(t *testing.T) {
	base, err := config.Example()
	if err != nil {
		t.Fatal(err)
	}
	base.Engine.Workers = 2
	rng := rand.New(rand.NewPCG(15, 2026))
	first := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	runs := 6
	if testing.Short() {
		runs = 2
	}
	narrowed := 0
	for i := 0; i < runs; i++ {
		// Short windows and no year-ago period, so that the periods compared (the previous one and
		// the recent ones) leave older months for the split to read orders only from.
		from := first.AddDate(0, 0, 60+rng.IntN(110))
		to := from.AddDate(0, 0, rng.IntN(10))
		cfg := base
		cfg.Comparison.YearAgo = config.YearAgoOff
		if i == runs-1 {
			cfg.Comparison.YearAgo = config.YearAgoAuto
		}
		cfg.Attribution.Lookback = config.Duration(time.Duration(1+rng.IntN(60)) * 24 * time.Hour)
		cfg.Repeat.History = config.Duration(time.Duration(30+rng.IntN(400)) * 24 * time.Hour)
		w, err := window.Parse(from.Format(time.DateOnly), to.Format(time.DateOnly), time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		reports := map[string]map[string]any{}
		rows := map[string]float64{}
		for _, h := range []string{"all", "orders"} {
			c := cfg
			c.Source.History = h
			o, err := Run(context.Background(), Job{Config: c, Window: w, Out: t.TempDir(), FS: journeykpi.Sample(), Version: "test"})
			if err != nil {
				t.Fatalf("%s, history %s: %v", w, h, err)
			}
			b, err := os.ReadFile(o.Files[1])
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			rows[h] = doc["data_quality"].(map[string]any)["rows_used"].(float64)
			delete(doc, "data_quality")
			reports[h] = doc
		}
		a, _ := json.Marshal(reports["all"])
		o, _ := json.Marshal(reports["orders"])
		if string(a) != string(o) {
			t.Errorf("%s (look-back %s, history %s): the report read with history orders differs from the one read with all",
				w, cfg.Attribution.Lookback, cfg.Repeat.History)
		}
		t.Logf("%s look-back %s history %s year-ago %s: rows used %v with all, %v with orders", w, cfg.Attribution.Lookback,
			cfg.Repeat.History, cfg.Comparison.YearAgo, rows["all"], rows["orders"])
		if rows["orders"] < rows["all"] {
			narrowed++
		}
	}
	if narrowed < runs/2 {
		t.Errorf("only %d of %d windows read fewer rows with history orders: the test does not exercise the split", narrowed, runs)
	}
}

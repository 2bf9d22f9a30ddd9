package pipeline

import (
	"context"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/journeykpi/journeykpi/internal/memsource"
	"github.com/journeykpi/journeykpi/kpi"
	"github.com/journeykpi/journeykpi/pipeline/window"
)

// TestResponseCurvesThroughThePipeline: where spend drives orders along saturating curves, the
// report identifies each paid touchpoint's curve from events and spend read through the product,
// finds the marginal ROAS at today's spend of the curves the data were made with, and recommends
// moving budget from the saturated touchpoint to the other, as a four-week test resting on the
// curves. Each day, search's spend s brings round(40·s^1.5/(s^1.5 + 150^1.5)) single-touch orders
// of 100, social's round(30·s^1.2/(s^1.2 + 60^1.2)); spend swings over a 17-day cycle.
func TestResponseCurvesThroughThePipeline(t *testing.T) {
	type curve struct{ orders, alpha, kappa, level float64 }
	curves := map[string]curve{"search": {40, 1.5, 150, 150}, "social": {30, 1.2, 60, 150}}
	spendAt := func(name string, day int) float64 {
		c := curves[name]
		off := map[string]int{"search": 0, "social": 5}[name]
		return math.Round(c.level*(0.3+1.4*float64(((day+off)*7)%17)/16)*100) / 100
	}
	ordersAt := func(name string, s float64) float64 {
		c := curves[name]
		return c.orders * math.Pow(s, c.alpha) / (math.Pow(s, c.alpha) + math.Pow(c.kappa, c.alpha))
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const days = 150
	var ev, sp strings.Builder
	ev.WriteString("customer_id,event_time,event_name,touchpoint,order_id,revenue\n")
	sp.WriteString("date,touchpoint,cost\n")
	id := 0
	for d := range days {
		day := start.AddDate(0, 0, d)
		for _, name := range []string{"search", "social"} {
			s := spendAt(name, d)
			fmt.Fprintf(&sp, "%s,%s,%.2f\n", day.Format(time.DateOnly), name, s)
			for k := range int(math.Round(ordersAt(name, s))) {
				id++
				at := day.Add(time.Duration(8+k%10) * time.Hour)
				fmt.Fprintf(&ev, "c%d,%s,page_view,%s,,\n", id, at.Format(time.RFC3339), name)
				fmt.Fprintf(&ev, "c%d,%s,purchase,%s,o%d,100\n", id, at.Add(30*time.Minute).Format(time.RFC3339), name, id)
			}
		}
	}
	cfg := testConfig(t)
	cfg.Report.Currency = "EUR"
	cfg.Allocation.MaxShift = 0.3
	w, err := window.Parse("2026-05-01", "2026-05-30", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	o, err := Run(context.Background(), Job{Config: cfg, Window: w, Out: out,
		Source: memsource.CSV(ev.String(), 4096), Spend: memsource.CSV(sp.String(), 64)})
	if err != nil {
		t.Fatal(err)
	}
	al := o.Result.Allocation
	if len(al.ResponseCurves) != 2 {
		t.Fatalf("curves %+v", al.ResponseCurves)
	}
	for _, c := range al.ResponseCurves {
		if !c.Identified {
			t.Fatalf("%s: not identified: %s %s (%v, %v)", c.Touchpoint, c.Reason, c.Param, c.Have, c.Need)
		}
		// The true marginal ROAS at today's spend: 100 × d orders / d spend, taken numerically.
		s, h := c.CurrentDailySpend, 1e-3
		want := 100 * (ordersAt(c.Touchpoint, s+h) - ordersAt(c.Touchpoint, s-h)) / (2 * h)
		if got := c.MarginalROAS[kpi.ModelMarkov]; got == nil || math.Abs(*got-want) > 0.15*want {
			t.Errorf("%s: marginal ROAS %v at %.2f a day, the generating curve's %.3f", c.Touchpoint, got, s, want)
		}
		t.Logf("%s: today %.2f a day, α %.2f κ %.1f θ %.3f R² %.3f, marginal ROAS %.3f (true %.3f)", c.Touchpoint, s,
			*c.Alpha, *c.Kappa, *c.Theta, *c.RSquared, *c.MarginalROAS[kpi.ModelMarkov], want)
	}
	var shift *kpi.Recommendation
	for i, r := range al.Recommendations {
		if r.Kind == kpi.KindBudgetShift {
			shift = &al.Recommendations[i]
			break
		}
	}
	if shift == nil {
		t.Fatalf("no budget shift among %+v; shifts %+v", al.Recommendations, al.BudgetShifts)
	}
	if s := shift.Shift; s == nil || s.From != "social" || s.To != "search" || s.FromBasis != kpi.ResponseBasisCurve ||
		s.ToBasis != kpi.ResponseBasisCurve || !s.Recommended || !(s.TestRevenueChange > 0) {
		t.Fatalf("shift %+v, want social to search on the curves", shift.Shift)
	}
	// The JSON words it as a test to run.
	data, err := os.ReadFile(OutputBase(out, cfg.Report.Name, w) + ".json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "from social to search for four weeks: expected €") ||
		!strings.Contains(string(data), "if the response curves hold") {
		t.Errorf("the JSON does not word the shift as a test on the curves")
	}
}

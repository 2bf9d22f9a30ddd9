package kpi

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// cohortWant is one expected cohort row; -1 marks a null (unobservable) cell.
type cohortWant struct {
	cohort    string
	size      int64
	retention []float64
}

func checkCohorts(t *testing.T, got []Cohort, want []cohortWant) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d cohorts %+v, want %d", len(got), got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Cohort != w.cohort || g.Size != w.size || len(g.Retention) != len(w.retention) {
			t.Errorf("cohort %d = %s size %d with %d cells, want %s size %d with %d cells", i, g.Cohort, g.Size,
				len(g.Retention), w.cohort, w.size, len(w.retention))
			continue
		}
		for k, v := range w.retention {
			switch {
			case v < 0 && g.Retention[k] != nil:
				t.Errorf("cohort %s cell %d = %g, want null", w.cohort, k, *g.Retention[k])
			case v >= 0 && (g.Retention[k] == nil || math.Abs(*g.Retention[k]-v) > 1e-12):
				t.Errorf("cohort %s cell %d = %v, want %g", w.cohort, k, repeatFmtPtr(g.Retention[k]), v)
			}
		}
	}
}

func TestCohorts(t *testing.T) {
	f := newRepeatFixture(t)
	month := []Journey{
		f.journey(1, f.order("2023-12-05", 1, 1, "", ""), f.order("2024-01-10", 2, 1, "", ""),
			f.order("2024-01-20", 3, 1, "", ""), f.order("2024-03-05", 4, 1, "", "")),
		f.journey(2, f.order("2023-12-20", 1, 1, "", ""), f.order("2024-02-01", 2, 1, "", "")),
		// First order before the first cohort shown: in no cohort.
		f.journey(3, f.order("2023-11-30", 1, 1, "", ""), f.order("2024-01-10", 2, 1, "", "")),
		f.journey(4, f.order("2024-01-15", 1, 1, "", ""), f.order("2024-02-14", 2, 1, "", "")),
		// A second order in the first order's month is not a return.
		f.journey(5, f.order("2024-02-02", 1, 1, "", ""), f.order("2024-02-20", 2, 1, "", "")),
		f.journey(6, f.order("2024-03-10", 1, 1, "", "")),
		f.journey(7, f.order("2024-03-20", 1, 1, "", "")),
		f.journey(8, f.browse("2024-03-01", "social", "")),
	}
	week := []Journey{
		f.journey(1, f.order("2024-02-20", 1, 1, "", ""), f.order("2024-02-27", 2, 1, "", ""),
			f.order("2024-03-12", 3, 1, "", ""), f.order("2024-03-18", 4, 1, "", "")),
		f.journey(2, f.order("2024-03-17 23:00", 1, 1, "", "")),
	}
	const null = -1
	for _, c := range []struct {
		name, unit, from, to string
		history              int64
		journeys             []Journey
		want                 []cohortWant
	}{
		{
			// 2024-03 is not over on 03-15: its cells are null; the 2024-03-20 order is after to.
			name: "month, to in the middle of a month", unit: "month", from: "2024-03-01", to: "2024-03-15",
			history: 90 * Day, journeys: month,
			want: []cohortWant{
				{"2023-12", 2, []float64{0.5, 0.5, null}},
				{"2024-01", 1, []float64{1, null, null}},
				{"2024-02", 1, []float64{null, null, null}},
				{"2024-03", 1, []float64{null, null, null}},
			},
		},
		{
			name: "month, to on a month's last day", unit: "month", from: "2024-03-01", to: "2024-03-31",
			history: 90 * Day, journeys: month,
			want: []cohortWant{
				{"2023-12", 2, []float64{0.5, 0.5, 0.5}},
				{"2024-01", 1, []float64{1, 0, null}},
				{"2024-02", 1, []float64{0, null, null}},
				{"2024-03", 2, []float64{null, null, null}},
			},
		},
		{
			name: "no history: one cohort", unit: "month", from: "2024-03-01", to: "2024-03-31",
			journeys: month,
			want:     []cohortWant{{"2024-03", 2, []float64{}}},
		},
		{
			// Weeks start on Monday; 2024-03-17 is a Sunday, so every week shown is complete.
			name: "week", unit: "week", from: "2024-03-04", to: "2024-03-17",
			history: 14 * Day, journeys: week,
			want: []cohortWant{
				{"2024-02-19", 1, []float64{1, 0, 1}},
				{"2024-03-11", 1, []float64{null, null, null}},
			},
		},
		{
			name: "no orders", unit: "month", from: "2024-03-01", to: "2024-03-31",
			history: 90 * Day, journeys: month[7:],
			want: []cohortWant{},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := repeatParams(t, c.from, c.to)
			p.Cohort, p.History = c.unit, c.history
			cur, _ := repeatRun(p, f.d, c.journeys)
			if cur.CohortUnit != c.unit {
				t.Errorf("cohort unit %q, want %q", cur.CohortUnit, c.unit)
			}
			if cur.Cohorts == nil {
				t.Errorf("cohorts are nil, want a list")
			}
			checkCohorts(t, cur.Cohorts, c.want)
		})
	}
}

// TestRepeatJSONNulls checks that cells not yet observable and a fit that did not converge are
// null in the JSON, not 0.
func TestRepeatJSONNulls(t *testing.T) {
	f := newRepeatFixture(t)
	p := repeatParams(t, "2024-03-01", "2024-03-15")
	p.History = 90 * Day
	js := []Journey{f.journey(1, f.order("2023-12-05", 1, 1, "", ""), f.order("2024-01-10", 2, 1, "", ""))}
	cur, _ := repeatRun(p, f.d, js)
	got, err := json.Marshal(cur)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"cohorts":[{"cohort":"2023-12","size":1,"retention":[1,0,null]}]`,
		`"bgnbd":{"converged":false,"reason":"too few customers to fit: 1 (need at least 20)","r":null,"alpha":null,"a":null,"b":null,"log_likelihood":null,"time_unit":"weeks","customers":1,"horizon_days":90,"expected_purchases":null,"expected_revenue":null,"revenue_basis":"","average_purchase_value":null,"customers_ordering_again":null,"p_orders_again":null,"at_risk":0,"by_segment":[],"by_first_touchpoint":[]}`,
		`"purchasers":0,"orders":0,"revenue":0,"average_order_value":null`,
	} {
		if !strings.Contains(string(got), want) {
			t.Errorf("JSON %s\nlacks %s", got, want)
		}
	}
}

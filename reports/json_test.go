package reports

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/journeykpi/journeykpi/kpi"
)

func TestWriteJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	r := fullResult()
	if err := WriteJSON(path, r); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back kpi.Result
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	// The JSON holds the worded recommendations, without the fields kpi fills for the words.
	want := *worded(r)
	want.Allocation.CloseGap = 0
	// The numbers behind a fit's reason are for its words only.
	want.Allocation.ResponseCurves = slices.Clone(want.Allocation.ResponseCurves)
	for i := range want.Allocation.ResponseCurves {
		want.Allocation.ResponseCurves[i].Have, want.Allocation.ResponseCurves[i].Need = 0, 0
	}
	if sm := want.Repeat.SpendModel; sm != nil {
		c := *sm
		c.Have, c.Need = 0, 0
		want.Repeat.SpendModel = &c
	}
	for i := range want.Allocation.Recommendations {
		rec := &want.Allocation.Recommendations[i]
		if rec.Text == "" {
			t.Errorf("recommendation %d has no words", rec.Rank)
		}
		rec.Opportunity, rec.Shift, rec.Reach, rec.PainPoint = nil, nil, nil, nil
	}
	if !reflect.DeepEqual(&back, &want) {
		t.Error("JSON does not read back to the same Result")
	}
	if !strings.HasPrefix(string(data), "{\n  \"report\": {\n    \"name\": \"journey-report\",") {
		t.Errorf("not indented with report first:\n%.80s", data)
	}
	if !strings.Contains(string(data), "comparison → purchase") {
		t.Error("text is escaped instead of written as UTF-8")
	}
	// The keys SPEC §5 documents for analysts.
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{
		"report.name", "report.from", "report.to", "report.timezone",
		"funnel.closed.0.stage", "funnel.closed.0.reached", "funnel.closed.1.conversion_from_previous",
		"funnel.closed.1.conversion_from_entry", "funnel.closed.0.dropped", "funnel.closed.0.in_progress",
		"funnel.closed.1.time_to_convert_hours.median", "funnel.closed.1.time_to_convert_hours.p90",
		"funnel.closed.1.time_to_convert_hours.mean", "funnel.open.0.stage", "funnel.open.0.customers",
		"repeat.purchasers", "repeat.orders", "repeat.revenue", "repeat.average_order_value",
		"repeat.orders_per_purchaser", "repeat.repeat_purchase_rate", "repeat.returning_customer_rate",
		"repeat.cohorts.0.cohort", "repeat.cohorts.0.size", "repeat.cohorts.0.retention",
		"repeat.bgnbd.converged", "repeat.bgnbd.r", "repeat.bgnbd.alpha", "repeat.bgnbd.a", "repeat.bgnbd.b",
		"repeat.bgnbd.log_likelihood", "repeat.bgnbd.time_unit",
		"attribution.conversions", "attribution.touchpoints.0.touchpoint", "attribution.touchpoints.0.first_touch",
		"attribution.touchpoints.0.last_touch", "attribution.touchpoints.0.linear", "attribution.touchpoints.0.position_based",
		"attribution.touchpoints.0.time_decay", "attribution.touchpoints.0.markov", "attribution.touchpoints.0.removal_effect",
		"allocation.recommendations.0.rank", "allocation.recommendations.0.kind", "allocation.recommendations.0.text",
		"allocation.recommendations.0.value",
		"data_quality.rows_read", "data_quality.rows_rejected", "data_quality.rejected_by_reason", "data_quality.duplicates",
	} {
		if !hasKey(doc, strings.Split(key, ".")) {
			t.Errorf("JSON lacks %s", key)
		}
	}
}

func hasKey(v any, path []string) bool {
	if len(path) == 0 {
		return true
	}
	switch x := v.(type) {
	case map[string]any:
		e, ok := x[path[0]]
		return ok && hasKey(e, path[1:])
	case []any:
		for i, e := range x {
			if path[0] == strconv.Itoa(i) {
				return hasKey(e, path[1:])
			}
		}
	}
	return false
}

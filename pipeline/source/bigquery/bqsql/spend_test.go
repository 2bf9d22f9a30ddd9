package bqsql

import (
	"strings"
	"testing"
)

// TestSpendPreset checks the spend presets' queries: the Google Ads campaign stats with cost from
// micros, names and channel types from the campaign table's latest snapshot, the currency from the
// customer table's, days in the report time zone; Meta's AdInsights as Paid Social. A table or a
// time zone that could break out of the SQL text is refused.
func TestSpendPreset(t *testing.T) {
	g, err := SpendPreset("google_ads", "proj.ads.ads_CampaignBasicStats_1234567890", "Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"SUM(s.metrics_cost_micros) / 1e6 AS cost",
		"SUM(s.metrics_impressions) AS impressions",
		"SUM(s.metrics_clicks) AS clicks",
		"FROM `proj.ads.ads_CampaignBasicStats_1234567890` s",
		"FROM `proj.ads.ads_Campaign_1234567890`\n  WHERE _DATA_DATE = _LATEST_DATE",
		"FROM `proj.ads.ads_Customer_1234567890`",
		"WHEN 'SEARCH' THEN 'Paid Search'",
		"s.segments_date >= DATE(@start, 'Europe/Berlin') AND s.segments_date < DATE(@end, 'Europe/Berlin')",
		"GROUP BY date, touchpoint, campaign",
	} {
		if !strings.Contains(g, want) {
			t.Errorf("google_ads query lacks %q:\n%s", want, g)
		}
	}
	m, err := SpendPreset("meta_ads", "proj.fb.AdInsights", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CAST(DateStart AS DATE) AS date", "'Paid Social' AS touchpoint", "SUM(Spend) AS cost",
		"ANY_VALUE(AccountCurrency) AS currency", "FROM `proj.fb.AdInsights`", "CAST(DateStart AS DATE) >= DATE(@start, 'UTC')"} {
		if !strings.Contains(m, want) {
			t.Errorf("meta_ads query lacks %q:\n%s", want, m)
		}
	}
	for _, c := range [][3]string{
		{"google_ads", "proj.ads.other_table", "UTC"},
		{"google_ads", "proj.ads.ads_CampaignBasicStats_1` ; DROP", "UTC"},
		{"meta_ads", "proj.fb.AdInsights", "UTC'); DROP"},
		{"tiktok", "proj.t.x", "UTC"},
	} {
		if _, err := SpendPreset(c[0], c[1], c[2]); err == nil {
			t.Errorf("SpendPreset%q: no error", c)
		}
	}
}

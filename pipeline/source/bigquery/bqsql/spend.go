package bqsql

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/journeykpi/journeykpi/config"
)

// zoneName is an IANA time zone name as it may be spliced into SQL text.
var zoneName = regexp.MustCompile(`^[A-Za-z0-9_+\-/]+$`)

// SpendPreset is the query a spend preset reads its data-transfer table with: one row per day,
// touchpoint and campaign with the canonical spend columns (date, touchpoint, campaign, cost,
// impressions, clicks, currency), days cut in the report time zone tz, the range as @start and
// @end. table is the transfer's table as the config names it (validated there).
//
// google_ads reads the campaign stats table (p.ds.ads_CampaignBasicStats_<customer id>): cost is
// in micros of the account currency; the touchpoint is the campaign's channel type under the
// names of GA4's default channel group, so that spend meets the events of the ga4 preset; names
// and channel types come from the campaign table's latest snapshot, the currency from the
// customer table's. meta_ads reads AdInsights of the Facebook Ads transfer: spend is in the
// account currency, the touchpoint is Paid Social. Both sum the rows of a day as loaded.
func SpendPreset(preset, table, tz string) (string, error) {
	if !config.ValidTableRef(table) {
		return "", fmt.Errorf("%q is not a table reference", table)
	}
	if !zoneName.MatchString(tz) {
		return "", fmt.Errorf("%q is not a time zone name", tz)
	}
	day := func(col string) string {
		return fmt.Sprintf("%s >= DATE(@start, '%s') AND %s < DATE(@end, '%s')", col, tz, col, tz)
	}
	switch preset {
	case config.SpendPresetGoogleAds:
		i := strings.LastIndex(table, "CampaignBasicStats_")
		if i < 0 {
			return "", fmt.Errorf("%q is not a Google Ads campaign stats table (…ads_CampaignBasicStats_<customer id>)", table)
		}
		campaigns := table[:i] + "Campaign_" + table[i+len("CampaignBasicStats_"):]
		customer := table[:i] + "Customer_" + table[i+len("CampaignBasicStats_"):]
		var b strings.Builder
		b.WriteString("SELECT s.segments_date AS date,\n")
		b.WriteString("  CASE c.campaign_advertising_channel_type\n")
		b.WriteString("    WHEN 'SEARCH' THEN 'Paid Search' WHEN 'SHOPPING' THEN 'Paid Shopping' WHEN 'DISPLAY' THEN 'Display'\n")
		b.WriteString("    WHEN 'VIDEO' THEN 'Paid Video' WHEN 'PERFORMANCE_MAX' THEN 'Cross-network' WHEN 'DEMAND_GEN' THEN 'Paid Social'\n")
		b.WriteString("    ELSE 'Paid Other' END AS touchpoint,\n")
		b.WriteString("  c.campaign_name AS campaign,\n")
		b.WriteString("  SUM(s.metrics_cost_micros) / 1e6 AS cost,\n")
		b.WriteString("  SUM(s.metrics_impressions) AS impressions,\n")
		b.WriteString("  SUM(s.metrics_clicks) AS clicks,\n")
		b.WriteString("  ANY_VALUE(cu.customer_currency_code) AS currency\n")
		fmt.Fprintf(&b, "FROM `%s` s\n", table)
		b.WriteString("LEFT JOIN (\n  SELECT campaign_id, campaign_name, campaign_advertising_channel_type\n")
		fmt.Fprintf(&b, "  FROM `%s`\n  WHERE _DATA_DATE = _LATEST_DATE\n) c USING (campaign_id)\n", campaigns)
		fmt.Fprintf(&b, "CROSS JOIN (\n  SELECT ANY_VALUE(customer_currency_code) AS customer_currency_code\n  FROM `%s`\n  WHERE _DATA_DATE = _LATEST_DATE\n) cu\n", customer)
		fmt.Fprintf(&b, "WHERE %s\n", day("s.segments_date"))
		b.WriteString("GROUP BY date, touchpoint, campaign\n")
		return b.String(), nil
	case config.SpendPresetMetaAds:
		var b strings.Builder
		b.WriteString("SELECT CAST(DateStart AS DATE) AS date,\n")
		b.WriteString("  'Paid Social' AS touchpoint,\n")
		b.WriteString("  CampaignName AS campaign,\n")
		b.WriteString("  SUM(Spend) AS cost,\n")
		b.WriteString("  SUM(Impressions) AS impressions,\n")
		b.WriteString("  SUM(Clicks) AS clicks,\n")
		b.WriteString("  ANY_VALUE(AccountCurrency) AS currency\n")
		fmt.Fprintf(&b, "FROM `%s`\n", table)
		fmt.Fprintf(&b, "WHERE %s\n", day("CAST(DateStart AS DATE)"))
		b.WriteString("GROUP BY date, touchpoint, campaign\n")
		return b.String(), nil
	}
	return "", fmt.Errorf("%q is not a spend preset", preset)
}

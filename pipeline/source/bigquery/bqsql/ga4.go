package bqsql

import (
	"fmt"
	"strings"
	"time"

	"cloud.google.com/go/civil"
)

// GA4Columns are the canonical columns the GA4 preset produces.
var GA4Columns = []string{"customer_id", "event_time", "event_name", "touchpoint", "campaign", "segment", "order_id", "revenue"}

// Traffic says which traffic-source fields a GA4 export has: Google added them over the years
// (collected_traffic_source about June 2023, session_traffic_source_last_click about October
// 2024), and a query naming a field the export lacks fails.
type Traffic struct {
	SessionLastClick bool
	Collected        bool
}

// GA4 says how the preset reads a GA4 export.
type GA4 struct {
	// Table is the export's wildcard table: project.dataset.events_* (daily tables), or
	// events_fresh_* or events_intraday_*.
	Table   string
	Traffic Traffic
	// RevenueUSD reads purchase_revenue_in_usd (and refund_value_in_usd) instead of the event
	// currency's values.
	RevenueUSD bool
	// NetRefunds subtracts the refund events of an order, read in the range, from its revenue.
	NetRefunds bool
	// OrderEvents are the purchase stage's event names (refunds are netted on them).
	OrderEvents []string
}

// check refuses a table that is not an export's wildcard table.
func (g *GA4) check() error {
	for _, suffix := range []string{".events_*", ".events_fresh_*", ".events_intraday_*"} {
		if strings.HasSuffix(g.Table, suffix) {
			if len(g.OrderEvents) == 0 {
				return fmt.Errorf("the ga4 preset needs the purchase stage's event names")
			}
			return nil
		}
	}
	return fmt.Errorf("the ga4 preset reads the export's wildcard table, project.dataset.events_*, not %q", g.Table)
}

// param is the string parameter named key among the event's event_params.
func param(key string) string {
	return "(SELECT value.string_value FROM UNNEST(event_params) WHERE key = '" + key + "')"
}

// ga4Events is the CTE chain that gives every event of the export in [@start, @end) the traffic
// source of its session (a struct of source, medium and campaign, NULL for direct), the
// hit-level columns and the order's revenue and refund. The session's source is GA4's
// session_traffic_source_last_click where the export has it; else the first non-direct source
// among the session's events (dbt-ga4's rule: session_start and first_visit left out), read from
// collected_traffic_source where the export has it, else from the event's source, medium and
// campaign parameters; a gclid makes it google / cpc (paid search). The user's first-touch
// traffic_source is never read.
func ga4Events(g *GA4) string {
	src, med, camp, gclid := param("source"), param("medium"), param("campaign"),
		"COALESCE("+param("page_location")+", '') LIKE '%gclid=%'"
	if g.Traffic.Collected {
		src = "COALESCE(collected_traffic_source.manual_source, " + src + ")"
		med = "COALESCE(collected_traffic_source.manual_medium, " + med + ")"
		camp = "COALESCE(collected_traffic_source.manual_campaign_name, " + camp + ")"
		gclid = "(collected_traffic_source.gclid IS NOT NULL OR " + gclid + ")"
	}
	revenue, refund := "ecommerce.purchase_revenue", "ecommerce.refund_value"
	if g.RevenueUSD {
		revenue, refund = "ecommerce.purchase_revenue_in_usd", "ecommerce.refund_value_in_usd"
	}
	var b strings.Builder
	b.WriteString("WITH ev AS (\n  SELECT\n")
	b.WriteString("    stream_id, user_pseudo_id, user_id, event_timestamp, event_name,\n")
	b.WriteString("    device.category AS segment,\n")
	b.WriteString("    (SELECT value.int_value FROM UNNEST(event_params) WHERE key = 'ga_session_id') AS session_id,\n")
	fmt.Fprintf(&b, "    LOWER(%s) AS hit_source,\n", src)
	fmt.Fprintf(&b, "    LOWER(%s) AS hit_medium,\n", med)
	fmt.Fprintf(&b, "    %s AS hit_campaign,\n", camp)
	fmt.Fprintf(&b, "    %s AS hit_gclid,\n", gclid)
	if g.Traffic.SessionLastClick {
		b.WriteString("    session_traffic_source_last_click.manual_campaign.source AS last_click_source,\n")
		b.WriteString("    session_traffic_source_last_click.manual_campaign.medium AS last_click_medium,\n")
		b.WriteString("    session_traffic_source_last_click.manual_campaign.campaign_name AS last_click_campaign,\n")
		b.WriteString("    session_traffic_source_last_click.google_ads_campaign.campaign_name AS last_click_ads_campaign,\n")
	}
	b.WriteString("    NULLIF(NULLIF(ecommerce.transaction_id, ''), '(not set)') AS order_id,\n")
	fmt.Fprintf(&b, "    %s AS revenue,\n", revenue)
	fmt.Fprintf(&b, "    %s AS refund\n", refund)
	fmt.Fprintf(&b, "  FROM `%s`\n", g.Table)
	b.WriteString("  WHERE _TABLE_SUFFIX BETWEEN @start_suffix AND @end_suffix\n")
	b.WriteString("    AND event_timestamp >= UNIX_MICROS(@start) AND event_timestamp < UNIX_MICROS(@end)\n")
	b.WriteString("),\nhits AS (\n  SELECT *,\n    CASE\n")
	b.WriteString("      WHEN hit_gclid THEN STRUCT('google' AS source, 'cpc' AS medium, COALESCE(hit_campaign, '(cpc)') AS campaign)\n")
	b.WriteString("      WHEN hit_source IS NOT NULL AND hit_source != '(direct)'\n")
	b.WriteString("        THEN STRUCT(hit_source AS source, COALESCE(hit_medium, '(none)') AS medium, hit_campaign AS campaign)\n")
	b.WriteString("    END AS hit\n  FROM ev\n),\nsessions AS (\n  SELECT *,\n")
	b.WriteString("    FIRST_VALUE(IF(event_name IN ('session_start', 'first_visit'), NULL, hit) IGNORE NULLS) OVER (\n")
	b.WriteString("      PARTITION BY stream_id, user_pseudo_id, session_id\n")
	b.WriteString("      ORDER BY event_timestamp, event_name, hit.source, hit.medium, hit.campaign\n")
	b.WriteString("      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS session\n")
	b.WriteString("  FROM hits\n),\ntraffic AS (\n  SELECT *,\n")
	if g.Traffic.SessionLastClick {
		b.WriteString("    COALESCE(CASE\n")
		b.WriteString("      WHEN last_click_ads_campaign IS NOT NULL THEN STRUCT('google' AS source, 'cpc' AS medium, last_click_ads_campaign AS campaign)\n")
		b.WriteString("      WHEN last_click_source IS NOT NULL\n")
		b.WriteString("        THEN STRUCT(LOWER(last_click_source) AS source, LOWER(COALESCE(last_click_medium, '(none)')) AS medium, last_click_campaign AS campaign)\n")
		b.WriteString("    END, session) AS session_source\n")
	} else {
		b.WriteString("    session AS session_source\n")
	}
	b.WriteString("  FROM sessions\n)")
	if g.NetRefunds {
		b.WriteString(",\nrefunds AS (\n")
		b.WriteString("  SELECT order_id, SUM(COALESCE(refund, 0)) AS refunded\n")
		b.WriteString("  FROM traffic\n  WHERE event_name = 'refund' AND order_id IS NOT NULL\n  GROUP BY order_id\n)")
	}
	b.WriteString("\n")
	return b.String()
}

// touchpointExpr is an event's touchpoint: its session's default channel group; none for an
// event outside any session (Measurement Protocol, audience triggers).
func touchpointExpr() string {
	return "IF(session_id IS NULL, NULL,\n    " + strings.ReplaceAll(Channel("session_source.source", "session_source.medium", "session_source.campaign"), "\n", "\n    ") + ")"
}

// ga4Suffixes are the date shards' parameters: the range's days, one wider each side, since a
// property's days are in its own time zone.
func ga4Suffixes(start, end time.Time) []Param {
	return []Param{{"start_suffix", suffix(start, -1)}, {"end_suffix", suffix(end, 1)}, {"start", start.UTC()}, {"end", end.UTC()}}
}

func suffix(t time.Time, days int) string {
	return t.UTC().AddDate(0, 0, days).Format("20060102")
}

// GA4Read maps the GA4 export onto the data contract for [start, end): customers keyed on stream
// and device (stream_id:user_pseudo_id), each event's touchpoint and campaign from its session's
// traffic source, the order's revenue (less its refunds with NetRefunds). Rows without
// user_pseudo_id (consent mode without analytics storage) are left out (GA4Consent counts them),
// and so are refund events. With split, only purchase-stage events before split.Full (after the
// sessions' sources are found, so an old order keeps its touchpoint).
func GA4Read(g GA4, start, end time.Time, split *Split) (Statement, error) {
	if err := g.check(); err != nil {
		return Statement{}, err
	}
	var b strings.Builder
	b.WriteString(ga4Events(&g))
	b.WriteString("SELECT\n")
	b.WriteString("  CONCAT(stream_id, ':', user_pseudo_id) AS customer_id,\n")
	b.WriteString("  TIMESTAMP_MICROS(event_timestamp) AS event_time,\n")
	b.WriteString("  event_name,\n")
	b.WriteString("  " + touchpointExpr() + " AS touchpoint,\n")
	b.WriteString("  IF(session_id IS NULL, NULL, session_source.campaign) AS campaign,\n")
	b.WriteString("  segment,\n")
	b.WriteString("  order_id,\n")
	params := ga4Suffixes(start, end)
	if g.NetRefunds {
		b.WriteString("  IF(event_name IN UNNEST(@order_values), GREATEST(revenue - COALESCE(refunded, 0), 0), revenue) AS revenue\n")
		b.WriteString("FROM traffic LEFT JOIN refunds USING (order_id)\n")
	} else {
		b.WriteString("  revenue\nFROM traffic\n")
	}
	b.WriteString("WHERE user_pseudo_id IS NOT NULL AND event_name != 'refund'\n")
	if split != nil {
		b.WriteString("  AND (event_timestamp >= UNIX_MICROS(@full) OR event_name IN UNNEST(@order_values))\n")
		params = append(params, Param{"full", split.Full.UTC()})
	}
	if g.NetRefunds || split != nil {
		params = append(params, Param{"order_values", g.OrderEvents})
	}
	return Statement{SQL: b.String(), Params: params}, nil
}

// GA4Consent counts the export's rows in [start, end) and those without user_pseudo_id, which the
// read leaves out: consent mode's cookieless pings cannot be keyed to a customer.
func GA4Consent(g GA4, start, end time.Time) (Statement, error) {
	if err := g.check(); err != nil {
		return Statement{}, err
	}
	sql := "SELECT COUNT(*) AS rows_in_range, COUNTIF(user_pseudo_id IS NULL) AS no_client_id\n" +
		"FROM `" + g.Table + "`\n" +
		"WHERE _TABLE_SUFFIX BETWEEN @start_suffix AND @end_suffix\n" +
		"  AND event_timestamp >= UNIX_MICROS(@start) AND event_timestamp < UNIX_MICROS(@end)\n"
	return Statement{SQL: sql, Params: ga4Suffixes(start, end)}, nil
}

// GA4Staging is the SELECT a sync stages for the days from..to (UTC, inclusive): the export's
// events of those days on the compact table's columns, with the sessions' sources found over one
// more day before (a session that began before midnight keeps its source), plus user_id (for the
// identity table) and whether the row has no client id (counted, not kept). Refund events keep
// their order and the refunded value as revenue, with or without a client id (refunds are often
// sent from a server).
func GA4Staging(g GA4, from, to civil.Date) (Statement, error) {
	if err := g.check(); err != nil {
		return Statement{}, err
	}
	g.NetRefunds = false
	ctxStart := dayStart(from.AddDays(-1))
	first, end := dayStart(from), dayStart(to.AddDays(1))
	var b strings.Builder
	b.WriteString(ga4Events(&g))
	b.WriteString("SELECT\n")
	b.WriteString("  IF(user_pseudo_id IS NULL, NULL, CONCAT(stream_id, ':', user_pseudo_id)) AS customer_id,\n")
	b.WriteString("  TIMESTAMP_MICROS(event_timestamp) AS event_time,\n")
	b.WriteString("  event_name,\n")
	b.WriteString("  CAST(NULL AS STRING) AS stage,\n")
	b.WriteString("  " + touchpointExpr() + " AS touchpoint,\n")
	b.WriteString("  IF(session_id IS NULL, NULL, session_source.campaign) AS campaign,\n")
	b.WriteString("  segment,\n")
	b.WriteString("  order_id,\n")
	b.WriteString("  IF(event_name = 'refund', refund, revenue) AS revenue,\n")
	b.WriteString("  CAST(NULL AS FLOAT64) AS sentiment,\n")
	b.WriteString("  user_id,\n")
	b.WriteString("  user_pseudo_id IS NULL AND event_name != 'refund' AS no_client_id\n")
	b.WriteString("FROM traffic\n")
	b.WriteString("WHERE event_timestamp >= UNIX_MICROS(@first) AND event_timestamp < UNIX_MICROS(@end)\n")
	params := append(ga4Suffixes(ctxStart, end), Param{"first", first})
	return Statement{SQL: b.String(), Params: params}, nil
}

func dayStart(d civil.Date) time.Time { return d.In(time.UTC) }

// Regular expressions standing in for GA4's source categories (dbt-ga4 seeds them from Google's
// list of 800-odd sources): the largest search, social, video and shopping sites.
const (
	searchSites   = `(^|\.)(google|bing|yahoo|baidu|yandex|duckduckgo|ecosia|naver|seznam|qwant|startpage|ask|aol|daum|sogou)(\.|$)`
	socialSites   = `(^|\.)(facebook|fb|m\.facebook|l\.facebook|instagram|linkedin|lnkd|twitter|t\.co|x|pinterest|reddit|tiktok|snapchat|threads|vk|weibo|quora|tumblr)(\.|$)`
	videoSites    = `(^|\.)(youtube|youtu\.be|m\.youtube|vimeo|twitch|dailymotion)(\.|$)`
	shoppingSites = `(^|\.)(amazon|ebay|etsy|shopify|walmart|aliexpress|shopping\.google|google\.shopping)(\.|$)`
	paidMedium    = `^(.*cp.*|ppc|retargeting|paid.*)$`
	shopCampaign  = `^(.*(([^a-df-z]|^)shop|shopping).*)$`
	emailPattern  = `email|e-mail|e_mail|e mail`
)

// Channel is GA4's default channel group of a source, medium and campaign (SQL expressions), in
// the order of Google's rules as dbt-ga4's default_channel_grouping writes them; a NULL source and
// medium (no non-direct source in the session) is Direct.
func Channel(src, med, camp string) string {
	r := strings.NewReplacer("{s}", src, "{m}", med, "{c}", camp)
	re := func(v, pattern string) string { return "REGEXP_CONTAINS(" + v + ", r'" + pattern + "')" }
	lines := []string{
		"CASE",
		"  WHEN ({s} IS NULL AND {m} IS NULL) OR ({s} = '(direct)' AND {m} IN ('(none)', '(not set)')) THEN 'Direct'",
		"  WHEN " + re("{c}", "cross-network") + " THEN 'Cross-network'",
		"  WHEN (" + re("{s}", shoppingSites) + " OR " + re("{c}", shopCampaign) + ") AND " + re("{m}", paidMedium) + " THEN 'Paid Shopping'",
		"  WHEN " + re("{s}", searchSites) + " AND " + re("{m}", paidMedium) + " THEN 'Paid Search'",
		"  WHEN " + re("{s}", socialSites) + " AND " + re("{m}", paidMedium) + " THEN 'Paid Social'",
		"  WHEN " + re("{s}", videoSites) + " AND " + re("{m}", paidMedium) + " THEN 'Paid Video'",
		"  WHEN {m} IN ('display', 'banner', 'expandable', 'interstitial', 'cpm') THEN 'Display'",
		"  WHEN " + re("{m}", paidMedium) + " THEN 'Paid Other'",
		"  WHEN " + re("{s}", shoppingSites) + " OR " + re("{c}", shopCampaign) + " THEN 'Organic Shopping'",
		"  WHEN " + re("{s}", socialSites) + " OR {m} IN ('social', 'social-network', 'social-media', 'sm', 'social network', 'social media') THEN 'Organic Social'",
		"  WHEN " + re("{s}", videoSites) + " OR " + re("{m}", `^(.*video.*)$`) + " THEN 'Organic Video'",
		"  WHEN " + re("{s}", searchSites) + " OR {m} = 'organic' THEN 'Organic Search'",
		"  WHEN {m} IN ('referral', 'app', 'link') THEN 'Referral'",
		"  WHEN " + re("{s}", emailPattern) + " OR " + re("{m}", emailPattern) + " THEN 'Email'",
		"  WHEN {m} = 'affiliate' THEN 'Affiliates'",
		"  WHEN {m} = 'audio' THEN 'Audio'",
		"  WHEN {s} = 'sms' OR {m} = 'sms' THEN 'SMS'",
		"  WHEN " + re("{m}", `push$`) + " OR " + re("{m}", `mobile|notification`) + " OR {s} = 'firebase' THEN 'Mobile Push Notifications'",
		"  ELSE 'Unassigned'",
		"END",
	}
	return r.Replace(strings.Join(lines, "\n"))
}

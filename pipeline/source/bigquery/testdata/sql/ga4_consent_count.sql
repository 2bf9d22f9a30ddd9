SELECT COUNT(*) AS rows_in_range, COUNTIF(user_pseudo_id IS NULL) AS no_client_id
FROM `analytics.analytics_42.events_*`
WHERE _TABLE_SUFFIX BETWEEN @start_suffix AND @end_suffix
  AND event_timestamp >= UNIX_MICROS(@start) AND event_timestamp < UNIX_MICROS(@end)
-- @end = TIMESTAMP 2026-04-01 00:00:00+00:00
-- @end_suffix = STRING 20260402
-- @start = TIMESTAMP 2026-03-01 00:00:00+00:00
-- @start_suffix = STRING 20260228

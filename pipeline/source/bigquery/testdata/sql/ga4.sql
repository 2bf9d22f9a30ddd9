SELECT
  user_pseudo_id AS customer_id,
  TIMESTAMP_MICROS(event_timestamp) AS event_time,
  event_name,
  COALESCE((SELECT value.string_value FROM UNNEST(event_params) WHERE key = 'medium'), traffic_source.medium) AS touchpoint,
  COALESCE((SELECT value.string_value FROM UNNEST(event_params) WHERE key = 'campaign'), traffic_source.name) AS campaign,
  device.category AS segment,
  NULLIF(ecommerce.transaction_id, '(not set)') AS order_id,
  ecommerce.purchase_revenue AS revenue
FROM `analytics.analytics_123456.events_*`
WHERE _TABLE_SUFFIX BETWEEN @start_suffix AND @end_suffix
  AND event_timestamp >= UNIX_MICROS(@start)
  AND event_timestamp < UNIX_MICROS(@end)
-- @start_suffix = STRING '20260131'
-- @end_suffix = STRING '20260501'
-- @start = TIMESTAMP '2026-02-01 00:00:00 UTC'
-- @end = TIMESTAMP '2026-04-30 00:00:00 UTC'

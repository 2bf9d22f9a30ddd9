WITH picked AS (
  SELECT customer_key, event_time, event_name, touchpoint, campaign, order_id, revenue
  FROM `proj.jkpi.touchpoints`
  WHERE event_time >= @full AND event_time < @end AND event_name IS DISTINCT FROM 'refund'
  UNION ALL
  SELECT customer_key, event_time, event_name, touchpoint, campaign, order_id, revenue
  FROM `proj.jkpi.touchpoints`
  WHERE event_time >= @start AND event_time < @full AND event_name IS DISTINCT FROM 'refund'
    AND `event_name` IN UNNEST(@order_values)
),
keyed AS (
  SELECT * FROM picked
),
unmixed AS (
  SELECT *, MOD(IF(customer_key < 0, customer_key + BIGNUMERIC '18446744073709551616', CAST(customer_key AS BIGNUMERIC))
    * BIGNUMERIC '17428512612931826493', BIGNUMERIC '18446744073709551616') AS customer
  FROM keyed
)
SELECT
  CAST(IF(customer >= BIGNUMERIC '9223372036854775808', customer - BIGNUMERIC '18446744073709551616', customer) AS INT64) AS `customer_id`,
  event_time AS `event_time`,
  event_name AS `event_name`,
  touchpoint AS `touchpoint`,
  campaign AS `campaign`,
  order_id AS `order_id`,
  revenue AS `revenue`
FROM unmixed
-- @end = TIMESTAMP 2026-04-01 00:00:00+00:00
-- @full = TIMESTAMP 2026-03-10 00:00:00+00:00
-- @order_values = ARRAY<STRING> [purchase]
-- @start = TIMESTAMP 2026-03-01 00:00:00+00:00

WITH picked AS (
  SELECT customer_id, event_time, event_name, stage, touchpoint, campaign, segment, order_id, revenue, sentiment
  FROM `proj.jkpi.touchpoints`
  WHERE event_time >= @full AND event_time < @end AND event_name IS DISTINCT FROM 'refund'
  UNION ALL
  SELECT customer_id, event_time, event_name, stage, touchpoint, campaign, segment, order_id, revenue, sentiment
  FROM `proj.jkpi.touchpoints`
  WHERE event_time >= @start AND event_time < @full AND event_name IS DISTINCT FROM 'refund'
    AND `event_name` IN UNNEST(@order_values)
),
keyed AS (
  SELECT p.* EXCEPT (customer_id),
    FARM_FINGERPRINT(COALESCE(CONCAT('user:', m.user_id), p.customer_id)) AS customer_key
  FROM picked p LEFT JOIN `proj.jkpi.touchpoints_identity` m ON m.client_key = p.customer_id
),
unmixed AS (
  SELECT *, MOD(IF(customer_key < 0, customer_key + BIGNUMERIC '18446744073709551616', CAST(customer_key AS BIGNUMERIC))
    * BIGNUMERIC '17428512612931826493', BIGNUMERIC '18446744073709551616') AS customer
  FROM keyed
  WHERE (customer_key BETWEEN @key_lo1 AND @key_hi1 OR customer_key BETWEEN @key_lo2 AND @key_hi2)
),
refunds AS (
  SELECT order_id, SUM(revenue) AS refunded
  FROM `proj.jkpi.touchpoints`
  WHERE event_time >= @start AND event_time < @end AND event_name = 'refund' AND order_id IS NOT NULL
  GROUP BY order_id
)
SELECT
  CAST(IF(customer >= BIGNUMERIC '9223372036854775808', customer - BIGNUMERIC '18446744073709551616', customer) AS INT64) AS `customer_id`,
  event_time AS `event_time`,
  event_name AS `event_name`,
  stage AS `stage`,
  touchpoint AS `touchpoint`,
  campaign AS `campaign`,
  segment AS `segment`,
  order_id AS `order_id`,
  IF(event_name IN UNNEST(@order_values), GREATEST(revenue - COALESCE(refunded, 0), 0), revenue) AS `revenue`,
  sentiment AS `sentiment`
FROM unmixed LEFT JOIN refunds USING (order_id)
-- @end = TIMESTAMP 2026-04-01 00:00:00+00:00
-- @full = TIMESTAMP 2026-03-10 00:00:00+00:00
-- @key_hi1 = INT64 9223372036854775807
-- @key_hi2 = INT64 -6124895493223874561
-- @key_lo1 = INT64 6196953087261802496
-- @key_lo2 = INT64 -9223372036854775808
-- @order_values = ARRAY<STRING> [purchase]
-- @start = TIMESTAMP 2026-03-01 00:00:00+00:00

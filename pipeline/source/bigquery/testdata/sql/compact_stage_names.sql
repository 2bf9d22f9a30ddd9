WITH picked AS (
  SELECT customer_key, event_time, event_name, stage, touchpoint, revenue
  FROM `proj.jkpi.touchpoints`
  WHERE event_time >= @full AND event_time < @end AND event_name IS DISTINCT FROM 'refund'
    AND (customer_key BETWEEN @key_lo1 AND @key_hi1 OR customer_key BETWEEN @key_lo2 AND @key_hi2)
  UNION ALL
  SELECT customer_key, event_time, event_name, stage, touchpoint, revenue
  FROM `proj.jkpi.touchpoints`
  WHERE event_time >= @start AND event_time < @full AND event_name IS DISTINCT FROM 'refund'
    AND `stage` IN UNNEST(@order_values)
    AND (customer_key BETWEEN @key_lo1 AND @key_hi1 OR customer_key BETWEEN @key_lo2 AND @key_hi2)
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
  CAST(IF(customer >= BIGNUMERIC '9223372036854775808', customer - BIGNUMERIC '18446744073709551616', customer) AS INT64) AS `user`,
  event_time AS `ts`,
  stage AS `phase`,
  touchpoint AS `touchpoint`,
  revenue AS `revenue`
FROM unmixed
-- @end = TIMESTAMP 2026-04-01 00:00:00+00:00
-- @full = TIMESTAMP 2026-03-10 00:00:00+00:00
-- @key_hi1 = INT64 2305843009213693951
-- @key_hi2 = INT64 0
-- @key_lo1 = INT64 0
-- @key_lo2 = INT64 1
-- @order_values = ARRAY<STRING> [bought]
-- @start = TIMESTAMP 2026-03-01 00:00:00+00:00

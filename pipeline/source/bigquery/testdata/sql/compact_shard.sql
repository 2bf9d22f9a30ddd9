WITH picked AS (
  SELECT customer_key, event_time, event_name, touchpoint, campaign, order_id, revenue
  FROM `proj.jkpi.touchpoints`
  WHERE event_time >= @start AND event_time < @end AND event_name IS DISTINCT FROM 'refund'
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
  CAST(IF(customer >= BIGNUMERIC '9223372036854775808', customer - BIGNUMERIC '18446744073709551616', customer) AS INT64) AS `customer_id`,
  event_time AS `event_time`,
  event_name AS `event_name`,
  touchpoint AS `touchpoint`,
  campaign AS `campaign`,
  order_id AS `order_id`,
  revenue AS `revenue`
FROM unmixed
-- @end = TIMESTAMP 2026-04-01 00:00:00+00:00
-- @key_hi1 = INT64 9223372036854775807
-- @key_hi2 = INT64 -6124895493223874561
-- @key_lo1 = INT64 6196953087261802496
-- @key_lo2 = INT64 -9223372036854775808
-- @start = TIMESTAMP 2026-03-01 00:00:00+00:00

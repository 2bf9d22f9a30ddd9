CREATE TABLE IF NOT EXISTS `proj.jkpi.touchpoints` (
  customer_id STRING,
  customer_key INT64,
  event_time TIMESTAMP NOT NULL,
  event_name STRING,
  stage STRING,
  touchpoint STRING,
  campaign STRING,
  segment STRING,
  order_id STRING,
  revenue FLOAT64,
  sentiment FLOAT64
)
PARTITION BY DATE(event_time)
CLUSTER BY event_name, customer_key
OPTIONS (require_partition_filter = TRUE, description = 'journeykpi: compact touchpoint table, kept by journeykpi sync');
CREATE TABLE IF NOT EXISTS `proj.jkpi.touchpoints_days` (
  day DATE NOT NULL,
  synced_at TIMESTAMP NOT NULL,
  rows_staged INT64,
  rows_kept INT64,
  no_client_id INT64,
  refunds INT64
)
OPTIONS (description = 'journeykpi: the days journeykpi sync rebuilt');
CREATE TEMP TABLE staged AS
SELECT
  CAST(`customer_id` AS STRING) AS customer_id,
  TIMESTAMP(`event_time`, @tz) AS event_time,
  TRIM(`event_name`) AS event_name,
  CAST(NULL AS STRING) AS stage,
  CAST(NULL AS STRING) AS touchpoint,
  CAST(NULL AS STRING) AS campaign,
  CAST(NULL AS STRING) AS segment,
  CAST(NULL AS STRING) AS order_id,
  CAST(NULL AS FLOAT64) AS revenue,
  CAST(NULL AS FLOAT64) AS sentiment,
  CAST(NULL AS STRING) AS user_id,
  FALSE AS no_client_id
FROM `proj.marketing.events_dated`
WHERE `event_time` >= @start_wide AND `event_time` < @end_wide
  AND TIMESTAMP(`event_time`, @tz) >= @start AND TIMESTAMP(`event_time`, @tz) < @end;
BEGIN TRANSACTION;
DELETE FROM `proj.jkpi.touchpoints` WHERE DATE(event_time) BETWEEN @from_day AND @to_day;
INSERT INTO `proj.jkpi.touchpoints` (customer_id, customer_key, event_time, event_name, stage, touchpoint, campaign, segment, order_id, revenue, sentiment)
SELECT customer_id, FARM_FINGERPRINT(customer_id), event_time, event_name, stage, touchpoint, campaign, segment, order_id, revenue, sentiment
FROM staged
WHERE NOT no_client_id;
DELETE FROM `proj.jkpi.touchpoints_days` WHERE day BETWEEN @from_day AND @to_day;
INSERT INTO `proj.jkpi.touchpoints_days` (day, synced_at, rows_staged, rows_kept, no_client_id, refunds)
SELECT d, CURRENT_TIMESTAMP(), COUNT(s.event_time), COUNTIF(NOT s.no_client_id), COUNTIF(s.no_client_id),
  COUNTIF(s.event_name = 'refund')
FROM UNNEST(GENERATE_DATE_ARRAY(@from_day, @to_day)) AS d
LEFT JOIN staged s ON DATE(s.event_time) = d
GROUP BY d;
COMMIT TRANSACTION;
SELECT day, rows_staged, rows_kept, no_client_id, refunds
FROM `proj.jkpi.touchpoints_days`
WHERE day BETWEEN @from_day AND @to_day
ORDER BY day;
-- @end = TIMESTAMP 2026-04-01 00:00:00+00:00
-- @end_wide = DATE 2026-04-02
-- @from_day = DATE 2026-03-27
-- @start = TIMESTAMP 2026-03-27 00:00:00+00:00
-- @start_wide = DATE 2026-03-26
-- @to_day = DATE 2026-03-31
-- @tz = STRING UTC

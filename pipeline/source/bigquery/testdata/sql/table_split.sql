SELECT `customer_id`, `event_time`, `event_name`, `touchpoint`, `order_id`, `revenue`
FROM `proj.marketing.events`
WHERE `event_time` >= @start AND `event_time` < @end
  AND (`event_time` >= @full OR TRIM(`event_name`) IN UNNEST(@order_values))
-- @end = TIMESTAMP 2026-04-01 00:00:00+00:00
-- @full = TIMESTAMP 2026-03-10 00:00:00+00:00
-- @order_values = ARRAY<STRING> [purchase]
-- @start = TIMESTAMP 2026-03-01 00:00:00+00:00

SELECT MAX(event_time) AS latest
FROM `proj.jkpi.touchpoints`
WHERE event_time >= @start AND event_time < @end AND event_name IS DISTINCT FROM 'refund'
-- @end = TIMESTAMP 2036-03-31 00:00:00+00:00
-- @start = TIMESTAMP 2026-03-31 00:00:00+00:00

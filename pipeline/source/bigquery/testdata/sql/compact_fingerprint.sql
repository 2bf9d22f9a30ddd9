SELECT TO_JSON_STRING(ARRAY_AGG(STRUCT(day, synced_at) ORDER BY day)) AS synced
FROM `proj.jkpi.touchpoints_days`
WHERE day BETWEEN @first_day AND @last_day
-- @first_day = DATE 2026-03-01
-- @last_day = DATE 2026-03-31

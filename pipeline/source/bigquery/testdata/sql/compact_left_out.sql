SELECT COALESCE(SUM(no_client_id), 0) AS no_client_id, COUNT(*) AS days_synced
FROM `proj.jkpi.touchpoints_days`
WHERE day BETWEEN @first_day AND @last_day
-- @first_day = DATE 2026-03-01
-- @last_day = DATE 2026-03-31

SELECT * FROM `proj.ds.t`
WHERE ts >= @start AND ts < @end
-- @start = TIMESTAMP '2026-02-01 00:00:00 UTC'
-- @end = TIMESTAMP '2026-04-30 00:00:00 UTC'

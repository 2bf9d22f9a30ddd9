SELECT *
FROM `proj.ds.ts_datetime`
WHERE `ts` >= @start AND `ts` < @end
-- @start = DATETIME '2026-01-31T00:00:00'
-- @end = DATETIME '2026-05-01T00:00:00'

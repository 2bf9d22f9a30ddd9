SELECT *
FROM `proj.ds.ts_date`
WHERE `ts` >= @start AND `ts` < @end
-- @start = DATE '2026-01-31'
-- @end = DATE '2026-05-01'

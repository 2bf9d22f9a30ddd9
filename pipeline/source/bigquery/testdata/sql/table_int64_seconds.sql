SELECT `customer_id`, `ts`
FROM `proj.ds.ts_int64`
WHERE `ts` >= UNIX_SECONDS(@start) AND `ts` < UNIX_SECONDS(@end)
-- @start = TIMESTAMP '2026-02-01 00:00:00 UTC'
-- @end = TIMESTAMP '2026-04-30 00:00:00 UTC'

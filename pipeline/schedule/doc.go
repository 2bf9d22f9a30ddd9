// Package schedule runs reports unattended: the cron loop with catch-up and recompute, the run
// ledger, the output lock, backfills and the webhook.
package schedule

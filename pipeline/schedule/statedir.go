package schedule

// Lock files in the state directory (internal/lockfile).
const (
	// OutputLockFile guards the output: whoever writes reports or the ledger holds it — a
	// backfill throughout, the scheduler while it runs reports (not while it waits for the next
	// fire time).
	OutputLockFile = "journeykpi.lock"
	// SchedulerLockFile keeps a second scheduler off the same state directory; a scheduler holds
	// it for its whole life.
	SchedulerLockFile = "journeykpi-schedule.lock"
)

package config

// Schedule configures `journeykpi schedule`, the nightly daemon.
type Schedule struct {
	// Cron is a five-field cron expression, read in the report time zone unless it starts with
	// CRON_TZ=.
	Cron string `yaml:"cron"`
	// Period is what each run reports: previous_day, previous_week, previous_month, trailing_7d or
	// trailing_28d, relative to the run time in the report time zone.
	Period string `yaml:"period"`
	// RecomputeDays is how many earlier periods each run recomputes, for late-arriving data.
	RecomputeDays int `yaml:"recompute_days"`
	// CatchUp is at most how many missed periods a starting scheduler reports, oldest first.
	CatchUp int `yaml:"catch_up"`
	// StateDir holds the run ledger and the lock file. Empty means report.out.
	StateDir string `yaml:"state_dir"`
	// GracePeriod is how long a running report may take to finish after SIGTERM.
	GracePeriod Duration `yaml:"grace_period"`
	// Webhook is called with a small JSON body after every run, when set.
	Webhook string `yaml:"webhook"`
}

// DefaultSchedule is nightly at 03:00, reporting the previous day.
func DefaultSchedule() Schedule {
	return Schedule{Cron: "0 3 * * *", Period: "previous_day", RecomputeDays: 3, CatchUp: 7, GracePeriod: Duration(60e9)}
}
